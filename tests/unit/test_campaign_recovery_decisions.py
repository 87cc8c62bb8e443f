"""Recovery of hung hosts during a campaign: which hosts are probed, cycled or given up, and
what the ledger, the failures and the next wave make of it.

The host operations (SSH probe, power cycle, wait for a login, uname -r) are small callables
here: hung hosts and power switches cannot be had on demand in a unit test.
tests/vm/test_campaign_recovery.py hangs a real guest (QMP stop) and recovers it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mllb_lab.campaign import runner
from mllb_lab.campaign.ledger import Ledger
from mllb_lab.campaign.matrix import expand
from mllb_lab.campaign.recovery import (
    GAVE_UP,
    RECOVERED,
    HostOps,
    Recoverer,
    Recovery,
    recover_host,
)
from mllb_lab.campaign.recovery_ops import declared_inventory, power_driver
from mllb_lab.campaign.schema import Campaign, load
from mllb_lab.campaign.targets import Resolved
from mllb_lab.errors import LabError, UserError
from mllb_lab.lab.state import LabState
from mllb_lab.progress import Progress

KERNEL = "6.1.0-27-amd64"


@dataclass
class FakeHost:
    """A host as recovery sees it; counts what was done to it."""

    alive: bool = False
    driver: bool = True
    cycle_fails: bool = False
    comes_back: bool = True
    release: str = KERNEL
    calls: list[str] = field(default_factory=list)

    def ops(self) -> HostOps:
        def probe() -> bool:
            self.calls.append("probe")
            return self.alive

        def cycle() -> None:
            self.calls.append("cycle")
            if self.cycle_fails:
                raise LabError("QMP system_reset refused: no", log="/labs/x/power.log")
            self.alive = self.comes_back

        def wait_up(seconds: float) -> bool:
            self.calls.append(f"wait {seconds:.0f}")
            return self.alive

        def release() -> str:
            self.calls.append("uname")
            return self.release + "\n"

        return HostOps(
            alive=probe,
            power="qmp" if self.driver else "h1.mllb_power: not set",
            cycle=cycle if self.driver else None,
            wait_up=wait_up,
            release=release,
            logs=("/labs/x/power.log", "/labs/x/serial.log"),
        )


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        self.t += 21.5
        return self.t


def recover(host: FakeHost, expected: str = KERNEL) -> Recovery | None:
    return recover_host("h1", "idle-r1-x", host.ops(), expected, 300, Progress(True), Clock())


def test_a_host_that_answers_is_left_alone() -> None:
    host = FakeHost(alive=True)
    assert recover(host) is None
    assert host.calls == ["probe"]  # its run failed on its own: no cycle, no retry


def test_dead_host_is_cycled_and_checked() -> None:
    host = FakeHost()
    rec = recover(host)
    assert rec is not None and rec.outcome == RECOVERED
    assert host.calls == ["probe", "cycle", "wait 300", "uname"]
    assert (rec.seconds, rec.release, rec.power) == (21.5, KERNEL, "qmp")
    assert "power-cycled (qmp), back after 22 s" in rec.note()
    assert "retried" in rec.note() and "/labs/x/serial.log" in rec.note()


@pytest.mark.parametrize(
    ("host", "reason", "calls"),
    [
        (FakeHost(driver=False), "no power driver to cycle it (h1.mllb_power: not set)", 1),
        (FakeHost(cycle_fails=True), "the power cycle (qmp) failed: QMP system_reset", 2),
        (FakeHost(comes_back=False), "no SSH login within 300 s of the power cycle", 3),
        (FakeHost(release="6.1.0-jc-test"), f"came back on kernel 6.1.0-jc-test, not {KERNEL}", 4),
    ],
)
def test_given_up(host: FakeHost, reason: str, calls: int) -> None:
    rec = recover(host)
    assert rec is not None and rec.outcome == GAVE_UP
    assert reason in rec.reason
    assert len(host.calls) == calls
    note = rec.note()
    assert note.startswith("h1 is unreachable and was given up")
    assert "/labs/x/power.log" in note  # the error names where to look


def test_no_expected_kernel_accepts_any() -> None:
    rec = recover(FakeHost(release="anything"), expected="")
    assert rec is not None and rec.outcome == RECOVERED


def campaign(**over: object) -> Campaign:
    data = {"name": "r", "duration": 5, "max_attempts": 2, "workloads": [
        {"name": "idle"}, {"name": "stress-cpu", "params": {"load": [50, 100]}}]}  # fmt: skip
    return Campaign.model_validate({**data, **over})


def resolved() -> Resolved:
    facts = {h: {"kernel": KERNEL} for h in ("h1", "h2", "h3")}
    return Resolved("lab:x", Path("/dev/null"), sorted(facts), facts, lab="x")


def wave_fails(
    ledger: Ledger, c: Campaign, hosts: set[str], before: list[dict[str, str]] | None = None
) -> list[dict[str, str]]:
    """One wave as run_wave leaves it: the runs of `hosts` failed, the others are running."""
    failures = []
    for e in runner.next_wave(ledger.pending(c.max_attempts), before or []):
        ledger.move(e.run_id, "running")
        if e.host in hosts:
            ledger.move(e.run_id, "failed", "TASK Run the workload: unreachable")
            failures.append({"run_id": e.run_id, "host": e.host, "error": "unreachable"})
    return failures


def test_waves_retry_recovered_and_abandon_dead(tmp_path: Path) -> None:
    c = campaign()
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.plan(expand(c, ["h1", "h2", "h3"]))
    hosts = {"h1": FakeHost(), "h2": FakeHost(driver=False), "h3": FakeHost(alive=True)}
    probed: list[str] = []

    def ops_for(_: Resolved, host: str) -> HostOps:
        probed.append(host)
        return hosts[host].ops()

    rec = Recoverer(ops_for, Progress(True))
    failures = wave_fails(ledger, c, {"h1", "h2", "h3"})
    first = {f["host"]: f["run_id"] for f in failures}
    done = rec.after_wave(first, resolved())
    assert sorted(done) == ["h1", "h2"] and probed == ["h1", "h2", "h3"]
    assert rec.take_cycled() == {"h1"} and rec.take_cycled() == set()

    failures = rec.settle(ledger, failures, c.max_attempts)
    by_host: dict[str, list[dict[str, str]]] = {}
    for f in failures:
        by_host.setdefault(f["host"], []).append(f)
    assert "h1" not in by_host  # its run goes again in this invocation
    assert [f["run_id"] for f in by_host["h3"]] == [first["h3"]]  # alive: waits for --resume
    assert len(by_host["h2"]) == 3  # every run of the dead host stops
    assert all("h2 is unreachable and was given up" in f["error"] for f in by_host["h2"][1:])
    states = {e.run_id: (e.state, e.attempts, e.error) for e in ledger.entries()}
    for f in by_host["h2"][1:]:  # never started: failed without an attempt, --resume retries
        assert states[f["run_id"]][:2] == ("failed", 0)
    saved = json.loads(ledger.meta()["recoveries"])
    assert [(r["host"], r["outcome"]) for r in saved] == [("h1", RECOVERED), ("h2", GAVE_UP)]

    nxt = {e.host: e.run_id for e in runner.next_wave(ledger.pending(c.max_attempts), failures)}
    assert sorted(nxt) == ["h1", "h3"] and nxt["h1"] == first["h1"]  # h1's run again
    assert nxt["h3"] != first["h3"]  # h3 goes on with its next run; h2 has none

    # The retried run hangs h1 again: its attempts are spent (max 2), so the failure stands.
    probed.clear()
    hosts["h1"].alive = False
    failures += wave_fails(ledger, c, {"h1"}, failures)
    rec.after_wave({"h1": first["h1"]}, resolved())
    failures = rec.settle(ledger, failures, c.max_attempts)
    assert first["h1"] in {f["run_id"] for f in failures}
    assert probed == ["h1"]  # h2, given up, is not probed again
    assert len(json.loads(ledger.meta()["recoveries"])) == 3


def test_settle_without_recoveries_changes_nothing(tmp_path: Path) -> None:
    c = campaign()
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.plan(expand(c, ["h1"]))
    rec = Recoverer(lambda r, h: FakeHost(alive=True).ops(), Progress(True))
    failures = wave_fails(ledger, c, {"h1"})
    rec.after_wave({"h1": failures[0]["run_id"]}, resolved())
    assert rec.settle(ledger, failures, c.max_attempts) == failures
    assert "recoveries" not in ledger.meta()


def test_recoveries_of_an_earlier_invocation_stay(tmp_path: Path) -> None:
    c = campaign()
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.plan(expand(c, ["h1"]))
    ledger.set_meta(recoveries=json.dumps([{"host": "h1", "outcome": "gave-up"}]))
    rec = Recoverer(lambda r, h: FakeHost().ops(), Progress(True))
    failures = wave_fails(ledger, c, {"h1"})
    rec.after_wave({"h1": failures[0]["run_id"]}, resolved())
    rec.settle(ledger, failures, c.max_attempts)
    saved = json.loads(ledger.meta()["recoveries"])
    assert [r["outcome"] for r in saved] == [GAVE_UP, RECOVERED]


def test_switch_in_the_campaign_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text("name: r\nworkloads: [{name: idle}]\n")
    assert load(path)[0].recover is True  # on by default
    path.write_text("name: r\nrecover: false\nworkloads: [{name: idle}]\n")
    assert load(path)[0].recover is False
    assert runner.recovery_for(load(path)[0], Progress(True)) is None
    path.write_text("name: r\nrecover: sometimes\nworkloads: [{name: idle}]\n")
    with pytest.raises(UserError) as exc:
        load(path)
    assert exc.value.field.endswith(": recover")


INVENTORY = """\
all:
  hosts:
    box1:
      ansible_host: 192.0.2.11
      ansible_user: root
      mllb_power: {driver: ipmi, address: 192.0.2.111, user: ADMIN, password_env: MLLB_T_PW}
    box2:
      ansible_host: 192.0.2.12
      ansible_user: root
"""


def test_which_power_driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Declared hosts use their mllb_power (from the user's inventory file, named in the
    targets label); no mllb_power or a libvirt lab: no driver, and the reason says why."""
    monkeypatch.setenv("MLLB_LAB_HOME", str(tmp_path / "labs"))
    monkeypatch.setenv("MLLB_T_PW", "secret")
    inventory = tmp_path / "pair.yml"
    inventory.write_text(INVENTORY)
    metal = LabState("pair", "baremetal", "running", files={"declared_inventory": "/nowhere"})
    targets = Resolved(f"inventory:{inventory}#all", inventory, ["box1", "box2"], {}, lab="pair")
    assert declared_inventory(metal, targets) == inventory
    driver, why = power_driver(metal, targets, "box1")
    assert driver is not None and driver.kind == "ipmi" and why == ""
    assert driver.log == tmp_path / "labs" / "power" / "pair.log"
    driver, why = power_driver(metal, targets, "box2")
    assert driver is None and "box2.mllb_power" in why
    virt = LabState("v", "libvirt", "running")
    assert power_driver(virt, resolved(), "h1") == (None, "libvirt labs have no power driver")
