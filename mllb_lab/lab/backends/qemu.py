"""The embedded backend: mllb-lab itself runs and supervises qemu-system-x86_64, no daemon.

QEMU daemonizes only once initialised, so a failed start (e.g. the SSH port just got taken)
is reported synchronously. Per lab: a pidfile, a QMP socket for ACPI power-off, the serial
console in a file, QEMU's own messages in qemu.log, SSH forwarded on 127.0.0.1:<port>.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

from mllb_lab import topology
from mllb_lab.errors import LabError
from mllb_lab.lab.backends.base import GuestSpec, PortInUse, Started
from mllb_lab.lab.backends.qmp import qmp_execute
from mllb_lab.lab.state import LabState
from mllb_lab.progress import Progress

QEMU_ENV = "MLLB_QEMU"  # another binary, e.g. a self-built QEMU
DEFAULT_BINARY = "qemu-system-x86_64"
KILL_GRACE = 5.0


def binary() -> str:
    wanted = os.environ.get(QEMU_ENV, DEFAULT_BINARY)
    found = shutil.which(wanted)
    if found is None:
        raise LabError(
            f"QEMU binary '{wanted}' not found (apt-get install qemu-system-x86, "
            f"or set {QEMU_ENV} to its path)"
        )
    return found


def lab_files(lab_dir: Path) -> dict[str, str]:
    return {
        "pidfile": str(lab_dir / "qemu.pid"),
        "qmp": str(lab_dir / "qmp.sock"),
        "qemu_log": str(lab_dir / "qemu.log"),
    }


def command(spec: GuestSpec) -> list[str]:
    files = lab_files(spec.lab_dir)
    argv = [
        binary(),
        "-name",
        f"{spec.name},process=mllb-{spec.name}",
        "-machine",
        "q35",
        *spec.accel.qemu_args(),
        *topology.qemu_args(spec.topology, spec.memory_mib),
        "-nodefaults",
        "-display",
        "none",
        "-serial",
        f"file:{spec.serial_log}",
        "-qmp",
        f"unix:{files['qmp']},server=on,wait=off",
        "-pidfile",
        files["pidfile"],
        "-daemonize",
        "-kernel",
        str(spec.kernel),
        "-append",
        spec.cmdline,
        # The overlay is disposable, so host-side flushes buy nothing.
        "-drive",
        f"file={spec.overlay},format=qcow2,if=virtio,cache=unsafe",
        "-drive",
        f"file={spec.seed},format=raw,if=virtio,readonly=on",
        "-netdev",
        f"user,id=net0,hostfwd=tcp:127.0.0.1:{spec.ssh_port}-:22",
        "-device",
        "virtio-net-pci,netdev=net0",
        "-device",
        "virtio-rng-pci",
    ]
    if spec.no_reboot:
        argv.append("-no-reboot")
    if spec.initrd is not None:
        argv[argv.index("-append") : argv.index("-append")] = ["-initrd", str(spec.initrd)]
    return argv


class QemuBackend:
    name = "qemu"
    accels = ("kvm", "tcg", "tcg-single")

    def check_host(self) -> None:
        binary()

    def describe(self, spec: GuestSpec) -> str:
        return shlex.join(command(spec))

    def start(self, spec: GuestSpec, progress: Progress) -> Started:
        files = lab_files(spec.lab_dir)
        log = Path(files["qemu_log"])
        argv = command(spec)
        with log.open("a") as fh:
            fh.write(f"$ {shlex.join(argv)}\n")
            fh.flush()
            proc = subprocess.run(argv, stdout=fh, stderr=subprocess.STDOUT, check=False)
        if proc.returncode != 0:
            text = log.read_text()
            if "host forwarding rule" in text.rsplit("$ ", 1)[-1]:
                raise PortInUse(spec.ssh_port)
            raise LabError(f"qemu failed to start (exit {proc.returncode})", log=log)
        pid = int(Path(files["pidfile"]).read_text().strip())
        return Started(pid=pid, files=files)

    def alive(self, state: LabState) -> bool:
        return _is_our_qemu(state)

    def stop(self, state: LabState, timeout: float) -> None:
        if not _is_our_qemu(state) or state.pid is None:
            return
        qmp = Path(state.files.get("qmp", ""))
        if timeout > 0 and qmp.exists():
            # No QMP answer: fall through to signals.
            with contextlib.suppress(OSError, ValueError):
                qmp_execute(qmp, "system_powerdown")
            if _wait_gone(state, timeout):
                return
        for sig, grace in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, KILL_GRACE)):
            try:
                os.kill(state.pid, sig)
            except ProcessLookupError:
                return
            if _wait_gone(state, grace):
                return
        raise LabError(f"qemu of lab '{state.name}' (pid {state.pid}) survived SIGKILL")


def _is_our_qemu(state: LabState) -> bool:
    """The pid is alive and is still this lab's qemu (pids get reused)."""
    if state.pid is None:
        return False
    try:
        cmdline = Path(f"/proc/{state.pid}/cmdline").read_bytes().split(b"\0")
        stat = Path(f"/proc/{state.pid}/stat").read_text()
    except OSError:
        return False
    if stat.rsplit(") ", 1)[-1].startswith("Z"):
        return False  # a zombie waiting for its parent is as good as gone
    return state.files.get("pidfile", "").encode() in cmdline


def _wait_gone(state: LabState, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _is_our_qemu(state):
            return True
        time.sleep(0.2)
    return not _is_our_qemu(state)


BACKEND = QemuBackend()
