"""Power control of a QEMU lab over QMP, against a real QEMU process.

The machine is the smallest QEMU can run (64 MiB, no disk: SeaBIOS finds nothing to boot and
waits), because power control acts on QEMU, not on the guest OS; it needs no guest image.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from mllb_lab.cli import main
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.backends.qmp import qmp_execute
from mllb_lab.lab.state import HostAccess, LabState


@pytest.fixture
def qemu_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MLLB_LAB_HOME", str(tmp_path / "labs"))
    folder = lab_state.lab_dir("pw")
    folder.mkdir(parents=True)
    sock, pidfile = folder / "qmp.sock", folder / "qemu.pid"
    proc = subprocess.Popen(
        ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "64", "-nodefaults",
         "-display", "none", "-pidfile", str(pidfile),
         "-qmp", f"unix:{sock},server=on,wait=off"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        if sock.exists():
            break
        time.sleep(0.1)
    state = LabState(
        name="pw", backend="qemu", status="running", hosts=[HostAccess("pw-1", "127.0.0.1")],
        pid=proc.pid, files={"qmp": str(sock), "pidfile": str(pidfile)},
    )  # fmt: skip
    lab_state.save(state)
    yield proc, sock
    proc.kill()
    proc.wait()


def power(capsys: pytest.CaptureFixture[str], action: str) -> tuple[int, dict | str]:
    rc = main(["power", action, "--lab", "pw", "--json"])
    out = capsys.readouterr()
    return rc, json.loads(out.out) if rc == 0 else out.err


def test_qmp_status_cycle_off(qemu_lab, capsys) -> None:
    proc, sock = qemu_lab
    assert power(capsys, "status") == (0, {"host": "pw-1", "action": "status", "state": "on"})
    qmp_execute(sock, "stop")  # paused (as a hung or halted guest might be): `on` resumes it
    assert qmp_execute(sock, "query-status")["return"]["status"] == "paused"
    assert power(capsys, "on")[1]["state"] == "on"
    assert power(capsys, "cycle")[1]["state"] == "on"  # system_reset
    log = (lab_state.lab_dir("pw") / "power.log").read_text()
    assert "qmp system_reset -> ok" in log and "qmp cont -> ok" in log
    assert power(capsys, "off")[1]["state"] == "off"  # quit: QEMU exits
    assert proc.wait(timeout=30) == 0
    rc, err = power(capsys, "cycle")
    assert rc == 2 and "powered off" in err and "mllb-lab up --name pw" in err
