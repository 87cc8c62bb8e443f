"""`kernel boot VARIANT --inventory FILE`: safe boot of a disk-booted (bare-metal) host.

roles/kernel_install puts the build into /boot, keeps GRUB's saved default on the known-good
entry and arms the test entry for one boot (grub-reboot), with panic=N on its command line.
Then the controller reboots the host and waits: a login on the test release that verifies is
success; a login on the known-good release means the test kernel died and GRUB fell back by
itself (a panic); no login within the timeout is a hang: the host is power-cycled through its
`mllb_power` hook (mllb_lab/power), which also lands on the known-good entry. Every attempt is
recorded like a QEMU one (lab/boothistory.py); the console log is the previous boot's kernel
log as journald kept it (a real serial console needs the BMC's serial-over-LAN).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from mllb_lab.ansible import run_playbook
from mllb_lab.errors import LabError, UserError
from mllb_lab.kernel import cache
from mllb_lab.lab import baremetal, boothistory, bootverify, console, ssh
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.boothistory import BootAttempt
from mllb_lab.lab.boottarget import BootTarget
from mllb_lab.lab.state import HostAccess, LabState
from mllb_lab.progress import Progress

PLAYBOOK = "kernel-install.yml"
DOWN_TIMEOUT = 180.0  # a host that never goes down did not take the reboot
POLL = 5.0
PREVIOUS_BOOT_LOG = "journalctl -k -b -1 --no-pager 2>&1 || true"
# the role pins the kernel that ran at the first install; before that, the running one
KNOWN_GOOD = "cat /var/lib/mllb-lab/kernel-install/known-good 2>/dev/null || uname -r"


@dataclass
class HostOps:
    """What the safe boot does to one host. Real hosts get `real_ops`; the unit test
    replaces these with a scripted double because no host can be rebooted on this machine."""

    install: Callable[[], None]
    reboot: Callable[[], None]
    reachable: Callable[[], bool]
    verify: Callable[[BootTarget], tuple[str, list[str]]]
    previous_boot_log: Callable[[], str]
    power_cycle: Callable[[], None] | None  # None: the host declares no mllb_power


def _wait(reachable: Callable[[], bool], want: bool, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if reachable() == want:
            return True
        time.sleep(POLL)
    return reachable() == want


def run(
    ops: HostOps,
    attempt: BootAttempt,
    target: BootTarget,
    known_good: str,
    timeout: float,
    progress: Progress,
) -> BootAttempt:
    """Install, reboot once into the test entry, classify the outcome, fall back if needed."""
    with progress.step(f"installing {target.name} and arming a one-shot GRUB boot"):
        ops.install()
    with progress.step("rebooting into the test kernel"):
        ops.reboot()
        if not _wait(ops.reachable, False, DOWN_TIMEOUT):
            raise LabError("the host did not go down after the reboot command")
    with progress.step(f"waiting up to {timeout:.0f}s for a login"):
        came_up = _wait(ops.reachable, True, timeout)
    if not came_up:
        if ops.power_cycle is None:
            raise LabError(
                f"test kernel {target.name} hangs and the host declares no mllb_power "
                "to power-cycle it; reset it by hand (GRUB's default is the known-good kernel)"
            )
        attempt.reason = "hang"
        with progress.step("power-cycling the hung host (mllb_power)"):
            ops.power_cycle()
        if not _wait(ops.reachable, True, timeout):
            raise LabError("the host did not come back after the power-cycle")
    release, problems = ops.verify(target)
    attempt.release = release
    if came_up and release == target.release and not problems:
        attempt.result = "ok"
        return attempt
    attempt.result = "failed"
    if came_up:
        attempt.reason = "panic" if release == known_good else "verify"
        attempt.failure_line = "; ".join(problems) if attempt.reason == "verify" else None
    log = attempt.folder / "console.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    text = ops.previous_boot_log() if attempt.reason != "verify" else ""
    log.write_text(text or "(no kernel log of the failed boot was kept by the host)\n")
    attempt.console_log = str(log)
    if attempt.reason == "verify":
        return attempt  # the test kernel runs but is not the one asked for: no fallback
    attempt.failure_line = console.failure_line(text) or attempt.failure_line
    good = BootTarget(known_good, Path(attempt.known_good), known_good, {})
    back, problems = ops.verify(good)
    attempt.fallback = {"release": back, "result": "failed" if problems else "ok"}
    return attempt


def adopted_lab(inventory: Path, lab: str | None) -> LabState:
    name = lab or baremetal.default_name(inventory)
    state = lab_state.load(lab_state.check_name(name, "--lab"))
    if state is None or state.backend != baremetal.BACKEND:
        raise UserError(
            "--inventory",
            f"no bare-metal lab '{name}' adopted from {inventory}",
            f"mllb-lab up --backend baremetal --inventory {inventory} --name {name}",
        )
    return state


def pick_host(state: LabState, host: str | None) -> HostAccess:
    hosts = {h.name: h for h in state.hosts}
    if host is None and len(hosts) == 1:
        return next(iter(hosts.values()))
    if host not in hosts:
        raise UserError("--host", f"give one of {', '.join(hosts)}", "safe boot is per host")
    return hosts[host]


def real_ops(
    state: LabState, host: HostAccess, inventory: Path, record: cache.BuildRecord,
    progress: Progress,
) -> HostOps:  # fmt: skip
    """Ansible for the install, ssh for the rest, the inventory's power hook for a hang."""
    from mllb_lab.power.choose import for_inventory

    one = replace(state, hosts=[host])
    folder = Path(record.dir)
    debs = [str(folder / "debs" / d) for d in record.debs]

    def install() -> None:
        run_playbook(
            PLAYBOOK, Path(state.files["inventory"]), limit=host.name, lab=state.name,
            progress=progress,
            extravars={"kernel_install_build_dir": str(folder),
                       "kernel_install_release": record.release, "kernel_install_debs": debs},
        )  # fmt: skip

    def reboot() -> None:
        ssh.run(one, "nohup sh -c 'sleep 2; systemctl reboot' >/dev/null 2>&1 &", timeout=60)
        ssh.close_master(one)

    def reachable() -> bool:
        try:
            return ssh.run(one, "true", timeout=30).returncode == 0
        except LabError:
            return False

    try:
        driver = for_inventory(inventory, host.name)
    except UserError:
        driver = None  # no mllb_power: a hang is reported, not power-cycled

    def power_cycle() -> None:
        assert driver is not None
        driver.run("cycle")

    return HostOps(
        install=install,
        reboot=reboot,
        reachable=reachable,
        verify=lambda target: bootverify.verify(one, target),
        previous_boot_log=lambda: ssh.run(one, PREVIOUS_BOOT_LOG, timeout=120).stdout,
        power_cycle=power_cycle if driver else None,
    )


def boot(
    inventory: Path, lab: str | None, host_name: str | None, target: BootTarget,
    timeout: float, progress: Progress,
) -> BootAttempt:  # fmt: skip
    state = adopted_lab(inventory, lab)
    host = pick_host(state, host_name)
    record = cache.read_record(target.kernel.parent)
    if record is None:
        raise UserError("VARIANT", f"{target.name} is not a cached kernel build", "build it")
    one = replace(state, hosts=[host])
    known_good = ssh.check_output(one, KNOWN_GOOD).strip()
    attempt = boothistory.new_attempt(
        state.name, target.name, target.kernel, target.release, Path(f"/boot/vmlinuz-{known_good}")
    )
    t0 = time.monotonic()
    try:
        run(real_ops(state, host, inventory, record, progress), attempt, target, known_good,
            timeout, progress)  # fmt: skip
    finally:
        if attempt.result == "pending":
            attempt.result = "failed"
        attempt.seconds = round(time.monotonic() - t0, 1)
        boothistory.record(attempt)
    return attempt
