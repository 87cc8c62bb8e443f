"""Safe boot without a guest: console reading, verification, targets, history, the CLI's
refusals and dry run, and `kernel build --extra-config` naming and keys. The booting itself
(panic, fallback, verification over SSH) runs for real in tests/kernel/test_safe_boot.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mllb_lab.errors import UserError
from mllb_lab.kernel import cache
from mllb_lab.kernel.build import plan_build
from mllb_lab.kernel.config import extra_fragments
from mllb_lab.kernel.variant import Variant
from mllb_lab.lab import boothistory, boottarget, bootverify, console, safeboot
from mllb_lab.lab import state as lab_state

BROKEN = Path(__file__).parents[1] / "kernel" / "data" / "broken-init.config"
PANIC_LOG = (
    "[    3.120000] Run /nonexistent as init process\r\n"
    "[    3.130000] Kernel panic - not syncing: Requested init /nonexistent failed (error -2).\r\n"
    "[    3.140000] CPU: 1 PID: 1 Comm: swapper/0 Not tainted 6.1.192-mllb-test-fixed+broken-init\n"
    "[    3.150000] Call Trace:\n"
)


def cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MLLB_LAB_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "mllb_lab", *args], capture_output=True, text=True, env=env
    )


def fake_build(folder: Path, variant: str, config: str) -> cache.BuildRecord:
    folder.mkdir(parents=True)
    (folder / "bzImage").write_bytes(b"not a kernel")
    (folder / "config").write_text(config)
    record = cache.BuildRecord(
        key=folder.name, variant=variant, series="6.1", source_version="6.1.192",
        release=f"6.1.192-mllb-{variant}", dir=str(folder), patches=[], fragments=[],
        created="2026-01-01T00:00:00+0000",
    )  # fmt: skip
    record.save(folder)
    return record


def test_the_panic_line_is_found_without_timestamp_or_cr() -> None:
    line = console.failure_line(console.NOISE.sub("", PANIC_LOG))
    assert line == "Kernel panic - not syncing: Requested init /nonexistent failed (error -2)."
    assert console.failure_line("[ 1.0] systemd[1]: Started ssh.service\n") is None


def test_verify_compares_release_and_every_jc_option() -> None:
    target = boottarget.BootTarget(
        "test-fixed", Path("/k"), "6.1.192-mllb-test-fixed",
        {"CONFIG_JC_SCHED": "y", "CONFIG_JC_SCHED_TEST": "y", "CONFIG_JC_SCHED_REPLACE": "n"},
    )  # fmt: skip
    good = "CONFIG_JC_SCHED=y\nCONFIG_JC_SCHED_TEST=y\n# CONFIG_JC_SCHED_REPLACE is not set\n"
    assert bootverify.mismatches(target, "6.1.192-mllb-test-fixed", good) == []
    wrong_mode = "CONFIG_JC_SCHED=y\nCONFIG_JC_SCHED_REPLACE=y\n"
    problems = bootverify.mismatches(target, "6.1.0-50-amd64", wrong_mode)
    assert problems == [
        "uname -r is 6.1.0-50-amd64, expected 6.1.192-mllb-test-fixed",
        "CONFIG_JC_SCHED_REPLACE=y in /proc/config.gz, the build has n",
        "CONFIG_JC_SCHED_TEST=n in /proc/config.gz, the build has y",
    ]
    # a kernel without /proc/config.gz (the image's Debian kernel) is no JC build
    assert bootverify.mismatches(target, "6.1.192-mllb-test-fixed", "") != []


def test_targets_from_builds_images_and_names(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MLLB_CACHE_HOME", str(tmp_path / "cache"))
    config = "CONFIG_JC_SCHED=y\nCONFIG_JC_SCHED_TEST=y\nCONFIG_CMDLINE_BOOL=y\n"
    build = tmp_path / "cache" / "kernels" / "abc"
    fake_build(build, "test-fixed+broken-init", config)
    target = boottarget.resolve("test-fixed+broken-init")
    assert target.kernel == build / "bzImage"
    assert target.release == "6.1.192-mllb-test-fixed+broken-init"
    assert target.jc_config == {"CONFIG_JC_SCHED": "y", "CONFIG_JC_SCHED_TEST": "y"}
    assert boottarget.resolve(str(build)).release == target.release
    image = tmp_path / "image"
    image.mkdir()
    (image / "vmlinuz").write_bytes(b"")
    (image / "image.json").write_text(json.dumps({"kernel_version": "6.1.0-50-amd64"}))
    stock = boottarget.for_kernel(image / "vmlinuz")
    assert (stock.release, stock.jc_config) == ("6.1.0-50-amd64", {})
    with pytest.raises(UserError) as err:
        boottarget.resolve("no-such-build")
    assert err.value.field == "VARIANT" and "test-fixed+broken-init" in str(err.value)


def test_history_appends_and_keeps_the_console(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MLLB_LAB_HOME", str(tmp_path))
    serial = tmp_path / "serial.log"
    serial.write_text(PANIC_LOG)
    first = boothistory.new_attempt("lab", "x/y z", Path("/k"), None, Path("/good"))
    assert "/" not in first.id and " " not in first.id
    kept = boothistory.keep_console(first, serial)
    first.result = "failed"
    boothistory.record(first)
    serial.write_text("a later boot overwrites the serial log")
    assert "Requested init" in kept.read_text()
    second = boothistory.new_attempt("lab", "test-fixed", Path("/k2"), "r", Path("/k"))
    second.id += "-2"
    boothistory.record(second)
    second.result = "ok"
    boothistory.record(second)  # an update, not a third entry
    history = boothistory.load("lab")
    assert [(a.id, a.result) for a in history] == [(first.id, "failed"), (second.id, "ok")]


def test_failure_message_names_panic_log_and_known_good() -> None:
    attempt = boothistory.new_attempt("lab", "test-fixed+broken-init", Path("/k"), None, Path("/g"))
    attempt.failure_line = "Kernel panic - not syncing: Requested init /nonexistent failed"
    attempt.console_log = "/labs/lab/boots/1/console.log"
    attempt.fallback = {"result": "ok", "release": "6.1.0-50-amd64"}
    assert safeboot.failure_message(attempt) == (
        "test kernel test-fixed+broken-init failed to boot: Kernel panic - not syncing: "
        "Requested init /nonexistent failed; console log: /labs/lab/boots/1/console.log; "
        "lab is back on 6.1.0-50-amd64"
    )
    attempt.failure_line, attempt.reason = None, "hang"
    assert "failed to boot: no login (hang)" in safeboot.failure_message(attempt)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["kernel", "boot", "test-fixed"], "--lab"),
        (["kernel", "boot", "test-fixed", "--lab", "nosuch"], "--lab"),
        (["kernel", "boot", "test-fixed", "--lab", "Bad_Name"], "--lab"),
        (["kernel", "boot", "test-fixed", "--lab", "nosuch", "--timeout", "0"], "--timeout"),
    ],
)
def test_bad_boot_input_is_one_line(tmp_path: Path, args: list[str], field: str) -> None:
    proc = cli(*args, home=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert field in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def _save_lab(home: Path, backend: str, kernel: Path) -> None:
    os.environ["MLLB_LAB_HOME"] = str(home)
    try:
        lab_state.save(
            lab_state.LabState(
                name="lab", backend=backend, status="stopped",
                topology={"sockets": 2, "cores": 2, "threads": 2}, memory_mib=4096,
                accel="tcg", files={"kernel": str(kernel), "initrd": "", "image": "bookworm"},
            )
        )  # fmt: skip
    finally:
        del os.environ["MLLB_LAB_HOME"]


def test_dry_run_shows_panic_and_no_reboot(tmp_path: Path) -> None:
    bzimage = tmp_path / "bzImage"
    bzimage.write_bytes(b"")
    _save_lab(tmp_path / "labs", "qemu", tmp_path / "good-kernel")
    proc = cli("kernel", "boot", str(bzimage), "--lab", "lab", "--dry-run", home=tmp_path / "labs")
    assert proc.returncode == 0, proc.stderr
    assert f"panic={safeboot.PANIC_SECONDS}" in proc.stdout and "-no-reboot" in proc.stdout
    assert str(tmp_path / "good-kernel") in proc.stdout
    missing = cli("kernel", "boot", "./missing/bzImage", "--lab", "lab", home=tmp_path / "labs")
    assert missing.returncode == 2 and missing.stderr.startswith("mllb-lab: error: VARIANT:")


def test_other_backends_are_pointed_to_inventory(tmp_path: Path) -> None:
    bzimage = tmp_path / "bzImage"
    bzimage.write_bytes(b"")
    _save_lab(tmp_path / "labs", "libvirt", bzimage)
    proc = cli("kernel", "boot", str(bzimage), "--lab", "lab", home=tmp_path / "labs")
    assert proc.returncode == 2 and "--inventory" in proc.stderr


def test_extra_config_names_the_variant_and_changes_the_key(tmp_path: Path) -> None:
    assert Variant("test", "fixed", extra=("broken-init",)).name == "test-fixed+broken-init"
    assert extra_fragments([BROKEN]) == [BROKEN.resolve()]
    bad = tmp_path / "Broken Init.config"
    bad.write_text("CONFIG_CMDLINE_BOOL=y\n")
    with pytest.raises(UserError, match="--extra-config"):
        extra_fragments([bad])
    with pytest.raises(UserError, match="--extra-config"):
        extra_fragments([tmp_path / "missing.config"])


def test_extra_config_is_part_of_the_build_key() -> (
    None
):  # needs linux-source-6.1 (scripts/apt-packages.txt)
    plain = plan_build("6.1", Variant("test", "fixed"))
    broken = plan_build("6.1", Variant("test", "fixed"), [BROKEN])
    assert broken.variant.name == "test-fixed+broken-init"
    assert broken.key != plain.key and broken.obj == plain.obj  # same tree: incremental
    assert broken.fragments[-1] == BROKEN.resolve()
