"""`mllb-lab kernel` and `up --kernel VARIANT`: bad input is one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mllb_lab.errors import UserError
from mllb_lab.kernel import source
from mllb_lab.lab.kernels import VARIANT_CMDLINE, boot_cmdline, resolve_variant


def cli(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MLLB_CACHE_HOME=str(cache))
    return subprocess.run(
        [sys.executable, "-m", "mllb_lab", *args], capture_output=True, text=True, env=env
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["kernel", "build"], "--mode"),
        (["kernel", "build", "--mode", "fast"], "--mode"),
        (["kernel", "build", "--mode", "test", "--source", "4.15"], "--source"),
        (["kernel", "build", "--mode", "test", "--float", "--fixed-point"], "--fixed-point"),
        (["kernel", "build", "--mode", "test", "--jobs", "0"], "--jobs"),
    ],
)
def test_bad_build_flags(tmp_path: Path, args: list[str], words: str) -> None:
    proc = cli(*args, cache=tmp_path)
    assert proc.returncode == 2
    assert words in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_list_is_empty_in_a_fresh_cache(tmp_path: Path) -> None:
    proc = cli("kernel", "list", "--json", cache=tmp_path)
    assert proc.returncode == 0 and json.loads(proc.stdout) == []


def test_dry_run_plans_without_building(  # needs linux-source-6.1 (scripts/apt-packages.txt)
    tmp_path: Path,
) -> None:
    proc = cli(
        "kernel", "build", "--mode", "replace", "--float", "--dry-run", "--json", cache=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["variant"] == "replace-float" and plan["cached"] is False
    assert plan["dir"] == str(tmp_path / "kernels" / plan["key"])
    assert not (tmp_path / "kernels").exists()
    again = json.loads(
        cli(
            "kernel", "build", "--mode", "replace", "--float", "--dry-run", "--json", cache=tmp_path
        ).stdout
    )
    other = json.loads(
        cli("kernel", "build", "--mode", "replace", "--dry-run", "--json", cache=tmp_path).stdout
    )
    assert again["key"] == plan["key"] and other["key"] != plan["key"]


def test_debug_flavour_has_its_own_key_and_object_tree(tmp_path: Path) -> None:
    def plan(*extra: str) -> dict:
        args = ("kernel", "build", "--mode", "replace", *extra, "--dry-run", "--json")
        proc = cli(*args, cache=tmp_path)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    plain, debug = plan(), plan("--debug")
    assert debug["variant"] == "replace-fixed-debug"
    assert debug["key"] != plain["key"]
    assert debug["tree"] == plain["tree"]  # one patched source
    assert debug["obj"] != plain["obj"]  # but objects per config family
    assert debug["fragments"][-1].endswith("debug.config")


def test_unbuilt_variant_names_kernel_flag_and_build_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no apt source here: the fix is still the build command
    monkeypatch.setattr(source, "USR_SRC", tmp_path)
    monkeypatch.setenv("MLLB_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(UserError) as err:
        resolve_variant("replace-float-perf")
    assert err.value.field == "--kernel"
    assert "mllb-lab kernel build --source 6.1 --mode replace --float --perf" in str(err.value)
    with pytest.raises(UserError) as err:
        resolve_variant("replace-fixed-debug")
    assert "--mode replace --fixed-point --debug" in str(err.value)


def test_variant_boot_has_its_own_network_setup() -> None:
    assert boot_cmdline("root=/dev/vda", Path("/x/initrd.img")) == "root=/dev/vda"
    assert boot_cmdline("root=/dev/vda", None) == f"root=/dev/vda {VARIANT_CMDLINE}"
