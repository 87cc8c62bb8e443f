"""`kernel boot VARIANT --lab NAME` for QEMU labs: boot a test kernel once, fall back on its own.

The test kernel boots directly (-kernel) with `panic=N` on its command line and QEMU's
-no-reboot, so a panic ends the guest instead of looping. Success is an SSH login within the
timeout and a verified kernel (uname -r, the build's JC_SCHED options in /proc/config.gz).
Otherwise (QEMU exited: a panic; no login in time: a hang, powered off through the QMP power
driver; or a wrong kernel) the lab restarts on the kernel it ran before, that kernel is verified
too, and the attempt is recorded as failed with its console log kept (lab/boothistory.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from mllb_lab import facts
from mllb_lab.errors import LabError, UserError
from mllb_lab.inventory import write_lab_inventory
from mllb_lab.lab import boothistory, bootverify, console, lifecycle, replan, ssh
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.backends import get_backend
from mllb_lab.lab.boothistory import BootAttempt
from mllb_lab.lab.boottarget import BootTarget, for_kernel
from mllb_lab.lab.state import LabState
from mllb_lab.power.qmp import QmpPower
from mllb_lab.progress import Progress

PANIC_SECONDS = 5  # panic=N: the kernel resets N s after a panic (console flushed first)
DOWN_TIMEOUT = 20.0  # the overlay is thrown away: ACPI, then a kill soon after
EXITED, HANG, HOST_KEY = "exited", "hang", "host-key"  # why a test boot failed (attempt.reason)


@dataclass(frozen=True)
class SafeBootPlan:
    lab: str
    target: BootTarget
    known_good: BootTarget
    test: lifecycle.UpPlan  # the one-shot boot of the test kernel
    fallback: lifecycle.UpPlan  # the lab as it ran before


def load_lab(lab: str) -> LabState:
    """The lab to boot in: it exists, is a QEMU lab, and records the kernel it runs."""
    lab_state.check_name(lab, "--lab")
    state = lab_state.load(lab)
    if state is None:
        raise UserError("--lab", f"there is no lab named '{lab}'", "see 'mllb-lab status'")
    if state.backend != "qemu":
        raise UserError(
            "--lab",
            f"lab '{lab}' uses the {state.backend} backend; safe boot here covers QEMU labs",
            "for disk-booted or bare-metal hosts use --inventory FILE (GRUB one-shot)",
        )
    if not state.files.get("kernel"):
        raise UserError("--lab", f"lab '{lab}' records no kernel", f"mllb-lab up --name {lab}")
    return state


def plan(lab: str, target: BootTarget) -> SafeBootPlan:
    """Every check without side effects; the test boot and the fallback as two `up` plans."""
    state = load_lab(lab)
    known_kernel = Path(state.files["kernel"])
    initrd = Path(state.files["initrd"]) if state.files.get("initrd") else None
    fallback = replan.plan_from_state(state, known_kernel, initrd)
    test = replace(
        fallback,
        kernel=target.kernel,
        initrd=None,
        cmdline_extra=f"panic={PANIC_SECONDS}",
        no_reboot=True,
    )
    return SafeBootPlan(lab, target, for_kernel(known_kernel), test, fallback)


def describe(sb: SafeBootPlan, timeout: float) -> str:
    return "\n".join(
        [
            f"test kernel: {sb.target.name} ({sb.target.kernel}), "
            f"expects {sb.target.release or 'any release'}",
            f"known-good:  {sb.known_good.name} ({sb.known_good.kernel})",
            f"timeout:     {timeout:.0f}s; panic={PANIC_SECONDS}, -no-reboot",
            lifecycle.describe_plan(sb.test),
        ]
    )


def power_off(state: LabState, progress: Progress) -> None:
    """A hung guest: pull the plug through the QMP power driver, kill as a backstop."""
    driver = QmpPower(
        state.hosts[0].name, lab_state.lab_dir(state.name) / "power.log",
        Path(state.files.get("qmp", "")), state.name,
    )  # fmt: skip
    with progress.step(f"powering off the hung guest of lab '{state.name}' (QMP quit)"):
        try:
            driver.run("off")
        except LabError as exc:
            progress.say(f"QMP power-off failed ({exc}); killing QEMU")
        get_backend(state.backend).stop(state, timeout=0)


def _try_test_kernel(
    sb: SafeBootPlan, attempt: BootAttempt, timeout: float, progress: Progress
) -> LabState | None:
    """Boot the test kernel once; the running, verified state, or None (attempt says why)."""
    state = lifecycle.start_guest(sb.test, progress)
    serial = Path(state.files["serial_log"])
    with progress.step(f"waiting up to {timeout:.0f}s for {sb.target.name} to log in"):
        # QEMU ending is a panic (-no-reboot); no login in time is a hang
        waited = ssh.await_ssh(state, timeout, partial(get_backend(state.backend).alive, state))
    if waited.outcome == ssh.TIMEOUT:
        power_off(state, progress)  # (a wrong host key: the fallback's `down` stops the guest)
    if waited.outcome != ssh.UP:
        boothistory.keep_console(attempt, serial)
        text = console.read(Path(attempt.console_log))
        attempt.failure_line = console.failure_line(text)
        if waited.outcome == ssh.TIMEOUT:
            attempt.reason = HANG
        elif waited.outcome == ssh.HOST_KEY:
            attempt.reason, attempt.failure_line = HOST_KEY, waited.last
        else:
            attempt.reason = "panic" if attempt.failure_line else EXITED
        return None
    with progress.step("verifying the test kernel (uname -r, JC_SCHED config, topology)"):
        try:
            attempt.release, problems = bootverify.verify(state, sb.target)
            if not problems:
                lifecycle.verify_guest(state, sb.test.topology, sb.test.memory_mib)
        except LabError as exc:
            problems = [exc.what]
    boothistory.keep_console(attempt, serial)
    if problems:
        attempt.reason, attempt.failure_line = "verify", "; ".join(problems)
        return None
    return state


def _fall_back(sb: SafeBootPlan, attempt: BootAttempt, timeout: float, progress: Progress) -> None:
    """Restart the lab on its known-good kernel and verify it; LabError when that fails too."""
    lifecycle.down(sb.lab, DOWN_TIMEOUT, progress)
    attempt.fallback = {"kernel": str(sb.known_good.kernel), "result": "failed"}
    try:
        with progress.step(f"restarting lab '{sb.lab}' on its known-good {sb.known_good.name}"):
            state, _ = lifecycle.up(sb.fallback, timeout, progress)
        release, problems = bootverify.verify(state, sb.known_good)
    except LabError as exc:
        attempt.fallback["error"] = exc.what
        boothistory.record(attempt)
        raise LabError(
            f"test kernel {sb.target.name} failed to boot ({attempt.reason}: "
            f"{attempt.failure_line}) and the known-good kernel did not come back: {exc.what}; "
            f"console log: {attempt.console_log}",
            log=exc.log,
        ) from None
    attempt.fallback.update(release=release, result="failed" if problems else "ok")
    if problems:
        attempt.fallback["error"] = "; ".join(problems)


def boot(sb: SafeBootPlan, timeout: float, progress: Progress) -> BootAttempt:
    """One safe boot; the attempt is recorded whatever happens. result 'ok' or 'failed'."""
    attempt = boothistory.new_attempt(
        sb.lab, sb.target.name, sb.target.kernel, sb.target.release, sb.known_good.kernel
    )
    t0 = time.monotonic()
    lifecycle.down(sb.lab, DOWN_TIMEOUT, progress)
    try:
        try:
            state = _try_test_kernel(sb, attempt, timeout, progress)
        except LabError as exc:  # QEMU would not start, SSH broke...: still go back
            state, attempt.reason, attempt.failure_line = None, "start", exc.what
            boothistory.keep_console(attempt, lab_state.lab_dir(sb.lab) / lifecycle.SERIAL_LOG)
        if state is None:
            attempt.result = "failed"
            _fall_back(sb, attempt, timeout, progress)
        else:
            attempt.result = "ok"
            state.status = "running"
            lab_state.save(state)
            write_lab_inventory(state)
            facts.gather(state, progress)
    finally:
        if attempt.result == "pending":  # interrupted, or the lab itself failed
            attempt.result = "failed"
        attempt.seconds = round(time.monotonic() - t0, 1)
        boothistory.record(attempt)
    return attempt


def failure_message(attempt: BootAttempt) -> str:
    """The one line for a failed attempt (exit 3)."""
    why = attempt.failure_line or {"hang": "no login (hang)", "exited": "the guest stopped"}.get(
        attempt.reason, attempt.reason
    )
    if not attempt.fallback:
        back = "no fallback: the host runs that kernel now"
    elif attempt.fallback.get("result") == "ok":
        back = f"lab is back on {attempt.fallback.get('release') or attempt.known_good}"
    else:
        back = f"the known-good kernel came back unverified: {attempt.fallback.get('error')}"
    return (
        f"test kernel {attempt.target} failed to boot: {why}; "
        f"console log: {attempt.console_log}; {back}"
    )
