"""Start libvirtd and virtlogd by hand, for machines without an init system (CI, containers).

A controller with systemd runs them as services; here the tests (and users of such machines)
start them. Without systemd libvirtd cannot be socket-activated, and its log directory may be
missing, which makes it exit at once.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from mllb_lab.errors import LabError

DIRS = ("/var/log/libvirt", "/var/lib/libvirt/qemu", "/var/cache/libvirt", "/run/libvirt")
SOCKET = Path("/run/libvirt/libvirt-sock")
LOG = Path("/var/log/libvirt/libvirtd.log")


def _running(name: str) -> bool:
    return subprocess.run(["pgrep", "-x", name], capture_output=True, check=False).returncode == 0


def start(timeout: float = 60.0) -> list[str]:
    """Start whichever daemon is not running; returns the ones this call started."""
    for folder in DIRS:
        Path(folder).mkdir(parents=True, exist_ok=True)
    started = []
    for daemon in ("virtlogd", "libvirtd"):
        if not _running(daemon):
            subprocess.run([daemon, "-d"], check=True)
            started.append(daemon)
    deadline = time.monotonic() + timeout
    while not SOCKET.exists():
        if time.monotonic() > deadline or not _running("libvirtd"):
            raise LabError("libvirtd did not come up", log=LOG)
        time.sleep(0.5)
    return started


def stop(daemons: list[str]) -> None:
    """Stop the daemons a `start` call started (and only those)."""
    for daemon in reversed(daemons):
        subprocess.run(["pkill", "-x", daemon], check=False)
    deadline = time.monotonic() + 30
    while any(_running(d) for d in daemons) and time.monotonic() < deadline:
        time.sleep(0.2)
