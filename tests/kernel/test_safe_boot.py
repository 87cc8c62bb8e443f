"""Safe boot in a QEMU lab, for real: a deliberately broken test kernel (built by the real
build: test-fixed plus tests/kernel/data/broken-init.config, whose built-in command line names
an init that does not exist) panics at boot; `kernel boot` notices on its own (QEMU ends, thanks
to -no-reboot and panic=N), brings the lab back on its known-good kernel, verifies it, and
records the attempt as failed with the console log holding the panic line. Then a good kernel
boots through the same command and is verified.

The guest is the tier's shared TEST-mode guest (conftest.test_mode_lab, on the good kernel):
safe boot leaves it on that kernel again, running, and conftest orders this module after every
other user of the guest (a debug-kernel boot costs about a minute under TCG)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from mllb_lab.kernel.build import plan_build
from mllb_lab.kernel.variant import parse_variant

Cli = Callable[..., subprocess.CompletedProcess[str]]
LAB = "jctest"  # conftest.TEST_LAB, the shared TEST-mode guest
BROKEN = Path(__file__).parent / "data" / "broken-init.config"
PANIC = "Kernel panic - not syncing: Requested init /nonexistent failed"


@pytest.fixture(scope="module")
def builds(kernel_build: Callable[..., dict]) -> dict[str, dict]:
    good = kernel_build("test-fixed")
    broken = kernel_build("test-fixed", extra_config=BROKEN)  # incremental on the same tree
    return {"good": good, "broken": broken}


@pytest.fixture(scope="module")
def lab(builds: dict[str, dict], test_mode_lab: dict, labs_dir: Path) -> Path:
    assert test_mode_lab["name"] == LAB
    assert test_mode_lab["record"]["variant"] == builds["good"]["variant"]  # the known-good
    return labs_dir / LAB


def test_the_broken_kernel_is_an_incremental_build(builds: dict[str, dict]) -> None:
    """Only what reads CONFIG_CMDLINE* recompiles: no second cold build for the broken kernel."""
    good = parse_variant(builds["good"]["variant"])  # the tier's flavour, e.g. -debug
    assert good is not None
    variant = replace(good, extra=("broken-init",))
    assert variant.name == builds["broken"]["variant"]
    log = plan_build("6.1", variant, [BROKEN]).log.read_text()
    compiled = re.findall(r"^  CC(?: \[M\])?\s+(\S+)$", log, re.M)
    assert "arch/x86/kernel/setup.o" in compiled and len(compiled) < 20, compiled


def uname(cli: Cli) -> str:
    proc = cli("ssh", LAB, "--", "uname -r", timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_broken_kernel_panics_and_the_lab_returns_to_known_good(
    builds: dict[str, dict], lab: Path, cli: Cli
) -> None:
    good, broken = builds["good"], builds["broken"]
    assert broken["variant"] == f"{good['variant']}+broken-init"
    assert broken["release"].endswith("+broken-init")

    proc = cli("kernel", "boot", broken["variant"], "--lab", LAB, "--json", timeout=1800)
    assert proc.returncode == 3, proc.stderr  # a failed boot is a lab failure, not bad input
    attempt = json.loads(proc.stdout)
    assert attempt["result"] == "failed" and attempt["reason"] == "panic", attempt
    assert attempt["failure_line"].startswith(PANIC), attempt
    console_log = Path(attempt["console_log"])
    assert console_log.parent.parent == lab / "boots"
    assert PANIC in console_log.read_text(errors="replace")
    assert attempt["fallback"] == {
        "kernel": str(Path(good["dir"]) / "bzImage"),
        "release": good["release"],
        "result": "ok",
    }
    message = proc.stderr.strip().splitlines()[-1]
    assert message.startswith(f"mllb-lab: error: test kernel {broken['variant']} failed to boot")
    assert f"console log: {console_log}" in message and f"back on {good['release']}" in message

    # on its own: nobody but `kernel boot` touched the lab, and it runs the known-good kernel
    assert uname(cli) == good["release"]
    history = json.loads((lab / "boots.json").read_text())["attempts"]
    assert [(a["target"], a["result"]) for a in history] == [(broken["variant"], "failed")]


def test_a_good_kernel_boots_and_is_verified(builds: dict[str, dict], lab: Path, cli: Cli) -> None:
    good = builds["good"]
    proc = cli("kernel", "boot", good["variant"], "--lab", LAB, "--json", timeout=1800)
    assert proc.returncode == 0, proc.stderr
    attempt = json.loads(proc.stdout)
    assert attempt["result"] == "ok" and attempt["error"] is None
    assert attempt["release"] == good["release"] and not attempt["fallback"]
    assert uname(cli) == good["release"]
    config = cli("ssh", LAB, "--", "zcat /proc/config.gz", timeout=300).stdout
    assert "CONFIG_JC_SCHED=y" in config and "CONFIG_JC_SCHED_TEST=y" in config
    state = json.loads((lab / "state.json").read_text())
    assert state["status"] == "running"
    assert state["files"]["kernel"] == str(Path(good["dir"]) / "bzImage")
    results = [a["result"] for a in json.loads((lab / "boots.json").read_text())["attempts"]]
    assert results == ["failed", "ok"]
