"""Bare-metal adoption: what is refused before any host is contacted (the real SSH path is in
tests/vm/test_baremetal.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mllb_lab.errors import UserError
from mllb_lab.lab import baremetal
from mllb_lab.lab.state import LabState, lab_dir, save
from mllb_lab.progress import Progress


@pytest.fixture(autouse=True)
def lab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MLLB_LAB_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.mark.parametrize(
    ("file", "name"),
    [
        ("xeon-pair.example.yml", "xeon-pair"),
        ("Rack_7.yml", "rack-7"),
        ("2024-hosts.yaml", "metal-2024-hosts"),
    ],
)
def test_default_name_is_a_valid_lab_name(file: str, name: str) -> None:
    assert baremetal.default_name(Path(file)) == name
    lab_dir(name)  # raises if the name is not valid


def test_name_of_a_guest_lab_is_not_taken_over(tmp_path: Path) -> None:
    save(LabState(name="paper", backend="qemu", status="running"))
    inv = tmp_path / "inv.yml"
    inv.write_text("all:\n  hosts:\n    a:\n      ansible_host: 10.0.0.1\n      ansible_user: r\n")
    with pytest.raises(UserError) as err:
        baremetal.adopt("paper", inv, Progress(quiet=True))
    assert err.value.field == "--name" and "backend qemu" in err.value.problem


def test_bad_inventory_stops_before_any_state(tmp_path: Path) -> None:
    inv = tmp_path / "inv.yml"
    inv.write_text("all:\n  hosts:\n    a:\n      ansible_user: root\n")
    with pytest.raises(UserError) as err:
        baremetal.adopt("metal", inv, Progress(quiet=True))
    assert err.value.field == "inv.yml: all.hosts.a.ansible_host"
    assert not lab_dir("metal").exists()


def test_forget_refuses_guest_labs() -> None:
    state = LabState(name="paper", backend="qemu", status="running")
    save(state)
    with pytest.raises(UserError):
        baremetal.forget(state)
    assert lab_dir("paper").exists()


def test_alive_is_the_adopted_status() -> None:
    assert baremetal.alive(LabState(name="m", backend="baremetal", status="running"))
    assert not baremetal.alive(LabState(name="m", backend="baremetal", status="failed"))
