"""Waiting for a guest's SSH without raising (ssh.await_ssh) and the raising form `up` uses.

Real ssh against real local sockets: a closed port (refused at once) and a listener that
accepts and never speaks (a guest whose sshd is not up yet), so the probe itself times out and
must be tolerated. The successful login is exercised by every guest boot of the vm tier."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from mllb_lab.errors import LabError
from mllb_lab.lab import ssh
from mllb_lab.lab.ports import free_port
from mllb_lab.lab.state import HostAccess, LabState


def lab_on(port: int, tmp_path: Path) -> LabState:
    known = tmp_path / "known_hosts"
    known.write_text("")
    host = HostAccess("probe", "127.0.0.1", port, known_hosts=str(known))
    return LabState(name="probe", backend="qemu", status="starting", hosts=[host])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts connections and never sends an SSH banner."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_a_guest_that_stopped_is_exited_without_probing(tmp_path: Path) -> None:
    waited = ssh.await_ssh(lab_on(free_port(), tmp_path), 30, alive=lambda: False)
    assert waited == ssh.SshWait(ssh.EXITED, "")


def test_no_login_in_time_is_a_timeout_with_the_last_complaint(tmp_path: Path) -> None:
    waited = ssh.await_ssh(lab_on(free_port(), tmp_path), 1.5, alive=lambda: True, pause=0.2)
    assert waited.outcome == ssh.TIMEOUT
    assert "refused" in waited.last


def test_a_probe_that_times_out_is_tolerated(
    tmp_path: Path, silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ssh, "PROBE_TIMEOUT", 1.0)  # the real 60 s, shortened
    with pytest.raises(LabError):  # the plain probe raises ...
        ssh.run(lab_on(silent_port, tmp_path), "true", timeout=ssh.PROBE_TIMEOUT)
    waited = ssh.await_ssh(lab_on(silent_port, tmp_path), 2.5, alive=lambda: True, pause=0.1)
    assert waited.outcome == ssh.TIMEOUT  # ... the wait does not
    assert "did not answer" in waited.last


def test_a_guest_dying_while_probed_is_exited(tmp_path: Path) -> None:
    answers = iter([True, True, False])
    waited = ssh.await_ssh(lab_on(free_port(), tmp_path), 30, lambda: next(answers), pause=0.1)
    assert waited.outcome == ssh.EXITED
    assert "refused" in waited.last


def test_wait_for_ssh_raises_with_the_log(tmp_path: Path) -> None:
    log = tmp_path / "serial.log"
    state = lab_on(free_port(), tmp_path)
    with pytest.raises(LabError) as stopped:
        ssh.wait_for_ssh(state, 30, lambda: False, log)
    assert "stopped while booting" in stopped.value.what and stopped.value.log == log
    with pytest.raises(LabError) as late:
        ssh.wait_for_ssh(state, 1.0, lambda: True, log)
    assert "no SSH login to lab 'probe' within 1s" in late.value.what
    assert "refused" in late.value.what and late.value.log == log
