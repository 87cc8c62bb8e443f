"""ssh into a lab host: pinned host key, the lab's key, batch mode, one reused connection.

Options come from the inventory, the same ones Ansible uses, including the shared ControlPath:
round trips after the first skip the handshake (2.5-3 s each into a 56-vCPU TCG guest).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mllb_lab.errors import LabError
from mllb_lab.inventory import ssh_options
from mllb_lab.lab.state import HostAccess, LabState


def ssh_argv(state: LabState, host: HostAccess | None = None) -> list[str]:
    host = host or state.hosts[0]
    # Bare-metal hosts may declare no key of their own (ssh-agent or ~/.ssh then applies).
    identity = ["-i", host.key_file] if host.key_file else []
    return [
        "ssh",
        "-p",
        str(host.port),
        *identity,
        *ssh_options(host, state.name),
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=10",
        "-o",
        "LogLevel=ERROR",
        f"{host.user}@{host.address}",
    ]


def run(state: LabState, command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [*ssh_argv(state), command], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise LabError(
            f"ssh to lab '{state.name}' did not answer '{command}' in {timeout:.0f}s"
        ) from None


def check_output(state: LabState, command: str, timeout: float = 120) -> str:
    proc = run(state, command, timeout)
    if proc.returncode != 0:
        raise LabError(
            f"'{command}' on lab '{state.name}' failed (exit {proc.returncode}): "
            f"{proc.stderr.strip()[-300:]}"
        )
    return proc.stdout


UP, EXITED, TIMEOUT, HOST_KEY = "up", "exited", "timeout", "host-key"
PROBE_PAUSE = 1.0
PROBE_TIMEOUT = 60.0  # one login attempt; a booting guest may accept and then stall


@dataclass(frozen=True)
class SshWait:
    outcome: str  # UP | EXITED (the guest stopped) | TIMEOUT | HOST_KEY (not the pinned key)
    last: str = ""  # the last complaint of ssh, for messages


def await_ssh(
    state: LabState, timeout: float, alive: Callable[[], bool], pause: float = PROBE_PAUSE
) -> SshWait:
    """Poll until a login works, without raising: the caller decides what a guest that
    stopped, never answered or showed another host key means (`up` fails, safe boot falls
    back). An ssh that itself times out is a boot that has not finished yet."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if not alive():
            return SshWait(EXITED, last)
        try:
            proc = run(state, "true", timeout=PROBE_TIMEOUT)
        except LabError as exc:
            last = exc.what
        else:
            if proc.returncode == 0:
                return SshWait(UP)
            last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
            if "Host key verification failed" in proc.stderr or "REMOTE HOST" in proc.stderr:
                return SshWait(HOST_KEY, last)
        time.sleep(pause)
    return SshWait(TIMEOUT if alive() else EXITED, last)


def wait_for_ssh(state: LabState, timeout: float, alive: Callable[[], bool], log: Path) -> None:
    """Poll until a login works; LabError if the guest died, its host key is wrong, or no
    login came within the timeout."""
    waited = await_ssh(state, timeout, alive)
    if waited.outcome == EXITED:
        raise LabError(f"the guest of lab '{state.name}' stopped while booting", log=log)
    if waited.outcome == HOST_KEY:
        raise LabError(f"lab '{state.name}' presented a host key other than the pinned one")
    if waited.outcome == TIMEOUT:
        raise LabError(
            f"no SSH login to lab '{state.name}' within {timeout:.0f}s "
            f"(last: {waited.last or 'none'})",
            log=log,
        )


def close_master(state: LabState) -> None:
    """End the shared connection: its background ssh process exits and removes its socket."""
    argv = ssh_argv(state)
    subprocess.run([*argv[:-1], "-O", "exit", argv[-1]], capture_output=True, timeout=30)
