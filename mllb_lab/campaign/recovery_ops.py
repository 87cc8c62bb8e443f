"""The real HostOps of campaign/recovery.py: SSH probes, the lab's power driver, uname -r.

QEMU labs: QMP (a guest whose vCPUs are stopped or paused is dead without asking SSH) and the
QMP power driver. Declared inventories (bare-metal labs): the host's `mllb_power` (IPMI), as
the kernel-boot path uses it. libvirt labs have no power driver yet.
"""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import replace
from pathlib import Path

from mllb_lab.campaign.recovery import HostOps
from mllb_lab.campaign.targets import Resolved
from mllb_lab.errors import LabError, MllbError, UserError
from mllb_lab.lab import baremetal, ssh
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.backends import get_backend
from mllb_lab.power.base import PowerDriver
from mllb_lab.power.qmp import QmpPower

PROBE_SECONDS = 30.0  # one probe login; a loaded but healthy host answers in a few seconds
PROBES = 2  # a host is dead only if both fail


def host_ops(resolved: Resolved, host: str) -> HostOps:
    """Operations on `host` of the campaign's targets, from the lab state as it is now."""
    state = lab_state.load(resolved.lab or "")
    if state is None:
        raise LabError(f"lab '{resolved.lab}' vanished during the campaign")
    one = replace(state, hosts=[h for h in state.hosts if h.name == host])
    driver, why = power_driver(state, resolved, host)
    logs = [str(driver.log)] if driver is not None else []
    if state.files.get("serial_log"):
        logs.append(state.files["serial_log"])
    return HostOps(
        alive=lambda: alive(one, driver),
        power=driver.kind if driver is not None else why,
        cycle=(lambda: cycle(driver)) if driver is not None else None,
        wait_up=lambda seconds: wait_up(one, seconds),
        release=lambda: ssh.check_output(one, "uname -r", timeout=120),
        logs=tuple(logs),
    )


def power_driver(
    state: lab_state.LabState, resolved: Resolved, host: str
) -> tuple[PowerDriver | None, str]:
    """The host's driver, or None and why there is none."""
    from mllb_lab.power import choose

    try:
        if state.backend == "qemu":
            return choose.for_lab(state.name), ""
        if state.backend == baremetal.BACKEND:
            return choose.for_inventory(declared_inventory(state, resolved), host), ""
    except UserError as exc:
        return None, str(exc)
    return None, f"{state.backend} labs have no power driver"


def declared_inventory(state: lab_state.LabState, resolved: Resolved) -> Path:
    """The user's inventory file (its vault files are relative to it), else the lab's copy."""
    if resolved.label.startswith("inventory:"):
        original = Path(resolved.label.removeprefix("inventory:").rpartition("#")[0])
        if original.is_file():
            return original
    return Path(state.files.get("declared_inventory", ""))


def cycle(driver: PowerDriver) -> None:
    driver.run("cycle")  # run() writes the action and the state after it to the power log


def alive(state: lab_state.LabState, driver: PowerDriver | None) -> bool:
    # A QEMU guest whose vCPUs are not running (stopped, paused or gone) is dead without
    # asking SSH, which could only time out; an IPMI "on" says nothing about a hung kernel.
    if isinstance(driver, QmpPower) and driver.status() != "on":
        return False
    return any(probe(state) for _ in range(PROBES))


def probe(state: lab_state.LabState) -> bool:
    """One fresh login (never through the shared connection, which may hang on the dead
    one): `ssh` takes the first value given for an option, so ControlPath=none wins."""
    argv = ssh.ssh_argv(state)
    argv = [argv[0], "-o", "ControlPath=none", *argv[1:], "true"]
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=PROBE_SECONDS)
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


def wait_up(state: lab_state.LabState, seconds: float) -> bool:
    """After a cycle: drop the shared connection to the dead boot, then wait for a login."""
    with contextlib.suppress(MllbError, OSError, subprocess.SubprocessError):
        ssh.close_master(state)
    if state.backend == baremetal.BACKEND:
        running = baremetal.alive
    else:
        running = get_backend(state.backend).alive
    return ssh.await_ssh(state, seconds, lambda: running(state)).outcome == ssh.UP
