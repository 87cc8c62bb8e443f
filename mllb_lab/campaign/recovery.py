"""Bring back a host that stopped answering during a campaign, or give up on it.

Under TCG, attaching or detaching a BPF trampoline can hang a multi-threaded guest for good
(docs/schedlat.md); on bare metal a test kernel can lock up. After each wave, every host whose
run failed is probed. A dead host with a power driver is cycled (QMP system_reset + cont, IPMI
power cycle), awaited for the lab's boot timeout and checked to run the kernel it ran before;
its failed run then goes back to the ledger's retry (max_attempts) in the same invocation. A
host without a driver, whose cycle fails, that does not come back or comes back on another
kernel is given up: its remaining runs are marked failed (`--resume` retries them later) and
the other hosts carry on. Recoveries are kept in the ledger's meta table (`recoveries`).

The decisions take the host's operations as small callables (HostOps), so they are tested
without hosts; campaign/recovery_ops.py builds the real ones.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from mllb_lab.campaign.ledger import Ledger
from mllb_lab.campaign.targets import Resolved
from mllb_lab.errors import MllbError
from mllb_lab.progress import Progress

RECOVERED, GAVE_UP = "recovered", "gave-up"
META_KEY = "recoveries"
BOOT_TIMEOUT = 300.0  # `mllb-lab up`'s default boot timeout


@dataclass(frozen=True)
class HostOps:
    """What recovery can do to one host."""

    alive: Callable[[], bool]  # a short liveness probe (SSH; QMP status for QEMU guests)
    power: str  # the power driver's kind ("qmp", "ipmi"), or why there is none
    cycle: Callable[[], None] | None  # None: no power driver; raises MllbError on failure
    wait_up: Callable[[float], bool]  # True once a login works within the seconds given
    release: Callable[[], str]  # `uname -r`
    logs: tuple[str, ...] = ()  # power log, console log: named in every error


@dataclass
class Recovery:
    host: str
    after_run: str
    outcome: str  # RECOVERED | GAVE_UP
    power: str
    reason: str = ""  # why it was given up
    seconds: float | None = None  # from the cycle to a working login
    release: str = ""
    logs: list[str] = field(default_factory=list)
    at: str = ""

    def note(self) -> str:
        """The text that goes into the failed run's error."""
        logs = f" (logs: {', '.join(self.logs)})" if self.logs else ""
        if self.outcome == RECOVERED:
            return (
                f"{self.host} was unreachable: power-cycled ({self.power}), back after "
                f"{self.seconds:.0f} s on {self.release}; the run is retried{logs}"
            )
        return f"{self.host} is unreachable and was given up: {self.reason}{logs}"


def recover_host(
    host: str,
    run_id: str,
    ops: HostOps,
    expected_release: str,
    boot_timeout: float,
    progress: Progress,
    clock: Callable[[], float] = time.monotonic,
) -> Recovery | None:
    """None if the host answers (its run failed on its own); else what was done about it."""
    if ops.alive():
        return None
    rec = Recovery(
        host, run_id, GAVE_UP, ops.power, logs=list(ops.logs),
        at=datetime.now(UTC).isoformat(timespec="seconds"),
    )  # fmt: skip
    if ops.cycle is None:
        rec.reason = f"no power driver to cycle it ({ops.power})"
        progress.say(f"[{host}] unreachable after run {run_id}: {rec.reason}; giving up on it")
        return rec
    progress.say(f"[{host}] unreachable after run {run_id}: power cycle ({ops.power}) ...")
    t0 = clock()
    try:
        ops.cycle()
    except MllbError as exc:
        rec.reason = f"the power cycle ({ops.power}) failed: {exc}"
    else:
        if not ops.wait_up(boot_timeout):
            rec.reason = f"no SSH login within {boot_timeout:.0f} s of the power cycle"
        else:
            rec.seconds = round(clock() - t0, 1)
            rec.release = release_of(ops)
            if expected_release and rec.release != expected_release:
                rec.reason = f"it came back on kernel {rec.release}, not {expected_release}"
            else:
                rec.outcome = RECOVERED
    if rec.outcome == RECOVERED:
        progress.say(f"[{host}] back after {rec.seconds:.0f} s on {rec.release}")
    else:
        progress.say(f"[{host}] {rec.reason}; giving up on it")
    return rec


def release_of(ops: HostOps) -> str:
    try:
        return ops.release().strip()
    except MllbError as exc:
        return f"unknown ({exc})"


class Recoverer:
    """Recovery across the waves of one campaign invocation."""

    def __init__(
        self,
        ops_for: Callable[[Resolved, str], HostOps],
        progress: Progress,
        boot_timeout: float = BOOT_TIMEOUT,
    ) -> None:
        self.ops_for = ops_for
        self.progress = progress
        self.boot_timeout = boot_timeout
        self.recoveries: list[Recovery] = []
        self.given_up: dict[str, Recovery] = {}
        self.cycled: set[str] = set()  # hosts rebooted since the runner last asked (take_cycled)
        self.to_retry: set[str] = set()  # runs of recovered hosts, until the next settle

    def after_wave(self, failed: dict[str, str], resolved: Resolved) -> dict[str, Recovery]:
        """`failed`: host -> the run that failed on it in this wave. Probes each host; a
        cycled one must come back on the kernel its facts name (for a kernel-switching
        campaign: the kernel the lab was last booted into, whose facts the runner reread)."""
        done: dict[str, Recovery] = {}
        for host, run_id in sorted(failed.items()):
            if host in self.given_up:
                continue
            expected = str(resolved.facts.get(host, {}).get("kernel", ""))
            rec = recover_host(
                host, run_id, self.ops_for(resolved, host), expected, self.boot_timeout,
                self.progress,
            )  # fmt: skip
            if rec is None:
                continue
            done[host] = rec
            self.recoveries.append(rec)
            if rec.outcome == RECOVERED:
                self.cycled.add(host)
                self.to_retry.add(run_id)
            else:
                self.given_up[host] = rec
        return done

    def take_cycled(self) -> set[str]:
        """Hosts rebooted since the last call: their programs and modules are gone."""
        hosts, self.cycled = self.cycled, set()
        return hosts

    def settle(
        self, ledger: Ledger, failures: list[dict[str, str]], max_attempts: int
    ) -> list[dict[str, str]]:
        """After a wave: the run that failed on a recovered host is retried now (dropped from
        the failures) while it has attempts left; a given-up host's remaining runs fail with
        the reason. Returns the failures that stand; the recoveries go into the ledger."""
        attempts = {e.run_id: e.attempts for e in ledger.entries()}
        retry = {r for r in self.to_retry if attempts[r] < max_attempts}
        self.to_retry = set()
        kept = [f for f in failures if f["run_id"] not in retry]
        known = {f["run_id"] for f in kept}
        for e in ledger.pending(max_attempts):
            rec = self.given_up.get(e.host)
            if rec is None or e.run_id in known or e.state == "fetched":
                continue  # (fetched runs are ingested without their host)
            error = rec.note()
            if e.state in ("planned", "running"):
                ledger.move(e.run_id, "failed", error)
            kept.append({"run_id": e.run_id, "host": e.host, "error": error})
        if self.recoveries:
            self.save(ledger)
        return kept

    def save(self, ledger: Ledger) -> None:
        """Earlier invocations' recoveries (a --resume) stay; this one's are added."""
        before = json.loads(ledger.meta().get(META_KEY, "[]"))
        ours = [asdict(r) for r in self.recoveries]
        kept = [r for r in before if r not in ours]
        ledger.set_meta(**{META_KEY: json.dumps(kept + ours)})

    def to_json(self) -> list[dict]:
        return [asdict(r) for r in self.recoveries]
