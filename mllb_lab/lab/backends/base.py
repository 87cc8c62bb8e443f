"""What a provisioning backend does, so qemu and libvirt are interchangeable behind `up`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from mllb_lab.lab.accel import Accel
from mllb_lab.lab.state import LabState
from mllb_lab.progress import Progress
from mllb_lab.topology import Topology


@dataclass(frozen=True)
class GuestSpec:
    """Everything needed to boot one guest; disks are already prepared (see disks.py)."""

    name: str
    lab_dir: Path
    topology: Topology
    memory_mib: int
    accel: Accel
    kernel: Path
    initrd: Path | None
    cmdline: str
    overlay: Path
    seed: Path
    ssh_port: int
    serial_log: Path
    no_reboot: bool = False  # a guest reset ends QEMU (safe boot: a panic must not loop)


@dataclass
class Started:
    pid: int | None = None  # a process we supervise (qemu backend)
    domain: str | None = None  # a libvirt domain
    files: dict[str, str] = field(default_factory=dict)  # extra files for LabState.files


class PortInUse(Exception):
    """The forwarded SSH port was taken between choosing and binding it; retry another."""


class Backend(Protocol):
    name: str
    accels: tuple[str, ...]  # the accelerators (Accel.name) this backend can give a guest

    def check_host(self) -> None:
        """Raise LabError when this host lacks what the backend needs (binary, daemon)."""

    def describe(self, spec: GuestSpec) -> str:
        """What start() would run, for `up --dry-run`."""

    def start(self, spec: GuestSpec, progress: Progress) -> Started:
        """Boot the guest and return once it runs (not once it is reachable)."""

    def stop(self, state: LabState, timeout: float) -> None:
        """Power off (ACPI), and after `timeout` seconds kill; no-op when not running."""

    def alive(self, state: LabState) -> bool:
        """Whether this lab's guest still runs."""
