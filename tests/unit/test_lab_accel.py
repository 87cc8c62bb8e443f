"""KVM detection on fake /dev, /sys, /proc trees: the hosts we cannot be (real VT-x) included."""

from __future__ import annotations

from pathlib import Path

import pytest

from mllb_lab.errors import UserError
from mllb_lab.lab.accel import choose, kvm_problem


def fake_host(root: Path, *, flags: str, kvm_dev: bool = True, pvm: bool = False) -> Path:
    (root / "proc").mkdir(parents=True)
    (root / "proc" / "cpuinfo").write_text(f"processor\t: 0\nflags\t\t: fpu sse2 {flags}\n")
    (root / "dev").mkdir()
    if kvm_dev:
        (root / "dev" / "kvm").write_text("")
    if pvm:
        (root / "sys" / "module" / "kvm_pvm").mkdir(parents=True)
    return root


def test_this_kind_of_host_pvm_layer_means_tcg(tmp_path: Path) -> None:
    root = fake_host(tmp_path, flags="avx2", pvm=True)
    assert "kvm_pvm" in (kvm_problem(root) or "")
    accel = choose("auto", root)
    assert accel.name == "tcg"
    assert accel.qemu_args() == ["-accel", "tcg,thread=multi", "-cpu", "max,vendor=GenuineIntel"]


def test_dev_kvm_without_vmx_is_not_enough(tmp_path: Path) -> None:
    root = fake_host(tmp_path, flags="avx2")
    assert "vmx/svm" in (kvm_problem(root) or "")
    assert choose("auto", root).name == "tcg"


def test_hardware_virtualisation_gets_kvm(tmp_path: Path) -> None:
    root = fake_host(tmp_path, flags="vmx avx2")
    assert kvm_problem(root) is None
    accel = choose("auto", root)
    assert (accel.name, accel.qemu_args()) == ("kvm", ["-accel", "kvm", "-cpu", "host"])


def test_kvm_requested_where_unusable_names_the_flag(tmp_path: Path) -> None:
    root = fake_host(tmp_path, flags="svm", kvm_dev=False)
    with pytest.raises(UserError) as err:
        choose("kvm", root)
    assert err.value.field == "--accel"
    assert "/dev/kvm does not exist" in str(err.value)


def test_unknown_accel() -> None:
    with pytest.raises(UserError, match="--accel: 'hvf' is not one of auto, kvm, tcg"):
        choose("hvf")
