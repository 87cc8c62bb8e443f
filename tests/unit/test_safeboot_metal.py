"""The bare-metal safe boot's decisions (install, reboot, wait, power-cycle, verify, fall
back). No host can be rebooted on this machine, so HostOps is a scripted double here: this
test says so, and checks only the controller's reasoning. The role's install on a real (fake)
host is tests/vm/test_kernel_install_fakehost.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from mllb_lab.errors import LabError
from mllb_lab.lab import boothistory, safeboot, safeboot_metal
from mllb_lab.lab.boottarget import BootTarget
from mllb_lab.lab.safeboot_metal import HostOps
from mllb_lab.progress import Progress

TEST = BootTarget("test-fixed", Path("/k/bzImage"), "6.1.192-mllb-test-fixed", {})
GOOD = "6.1.0-50-amd64"
PANIC_LOG = "[ 2.0] Kernel panic - not syncing: Requested init /nonexistent failed (error -2)."


class ScriptedHost:
    """A stand-in host: goes down on reboot, comes up on `boots_into` (None: hangs until
    power-cycled, then on the known-good kernel), counts what was done to it."""

    def __init__(self, boots_into: str | None, power: bool = True) -> None:
        self.boots_into, self.power = boots_into, power
        self.running: str | None = GOOD
        self.done: list[str] = []
        self._pending: str | None = None
        self._down_polls = 0

    def ops(self) -> HostOps:
        return HostOps(
            install=lambda: self.done.append("install"),
            reboot=self.reboot,
            reachable=lambda: self.running is not None,
            verify=lambda target: (self.running or "", []),
            previous_boot_log=lambda: PANIC_LOG,
            power_cycle=self.cycle if self.power else None,
        )

    def reboot(self) -> None:
        self.done.append("reboot")
        self.running = None
        self._pending = self.boots_into
        self._down_polls = 1  # the controller sees it down once before it boots

    def cycle(self) -> None:
        self.done.append("cycle")
        self.running = GOOD

    def tick(self) -> None:
        if self.running is not None:
            return
        if self._down_polls > 0:
            self._down_polls -= 1
        elif self._pending is not None:
            self.running = self._pending


@pytest.fixture
def attempt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> boothistory.BootAttempt:
    monkeypatch.setenv("MLLB_LAB_HOME", str(tmp_path))
    monkeypatch.setattr(safeboot_metal, "POLL", 0.01)
    return boothistory.new_attempt("metal", TEST.name, TEST.kernel, TEST.release, Path("/g"))


def drive(host: ScriptedHost, attempt: boothistory.BootAttempt, timeout: float = 0.3):
    ops = host.ops()
    reachable = ops.reachable

    def reachable_after_tick() -> bool:  # the host boots while the controller polls
        host.tick()
        return reachable()

    ops.reachable = reachable_after_tick
    return safeboot_metal.run(ops, attempt, TEST, GOOD, timeout, Progress(quiet=True))


def test_a_good_test_kernel_is_verified(attempt: boothistory.BootAttempt) -> None:
    host = ScriptedHost(boots_into=TEST.release)
    result = drive(host, attempt)
    assert (result.result, result.release, result.fallback) == ("ok", TEST.release, {})
    assert host.done == ["install", "reboot"]


def test_a_panic_lands_on_the_known_good_kernel_by_itself(attempt) -> None:
    host = ScriptedHost(boots_into=GOOD)  # panic=N rebooted into GRUB's saved entry
    result = drive(host, attempt)
    assert (result.result, result.reason) == ("failed", "panic")
    assert result.failure_line.startswith("Kernel panic - not syncing: Requested init")
    assert Path(result.console_log).read_text() == PANIC_LOG
    assert result.fallback == {"release": GOOD, "result": "ok"}
    assert host.done == ["install", "reboot"]  # no power-cycle needed
    assert "lab is back on 6.1.0-50-amd64" in safeboot.failure_message(result)


def test_a_hang_is_power_cycled_onto_the_known_good_kernel(attempt) -> None:
    host = ScriptedHost(boots_into=None)
    result = drive(host, attempt)
    assert (result.result, result.reason) == ("failed", "hang")
    assert host.done == ["install", "reboot", "cycle"]
    assert result.fallback["result"] == "ok"


def test_a_hang_without_power_hook_is_a_lab_error(attempt) -> None:
    with pytest.raises(LabError, match="no mllb_power"):
        drive(ScriptedHost(boots_into=None, power=False), attempt)
