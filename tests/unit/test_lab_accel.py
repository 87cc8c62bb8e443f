"""KVM detection on fake /dev, /sys, /proc trees: the hosts we cannot be (real VT-x) included."""

from __future__ import annotations

from pathlib import Path

import pytest

from mllb_lab.errors import UserError
from mllb_lab.lab.accel import choose, kvm_problem, tracing_accel
from mllb_lab.lab.replan import lab_accel
from mllb_lab.lab.state import LabState


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
    with pytest.raises(UserError, match="--accel: 'hvf' is not one of auto, kvm, tcg, tcg-single"):
        choose("hvf")


def test_single_threaded_tcg_is_requestable_and_puts_every_vcpu_on_one_thread() -> None:
    # Why it exists: detaching BPF trampolines can hang a multi-threaded TCG guest.
    accel = choose("tcg-single")
    assert (accel.name, accel.reason) == ("tcg-single", "requested")
    assert accel.qemu_args() == ["-accel", "tcg,thread=single", "-cpu", "max,vendor=GenuineIntel"]


def test_a_lab_that_ran_single_threaded_restarts_single_threaded() -> None:
    # Safe boot and kernel switches rebuild the plan from the saved state.
    state = LabState(name="t", backend="qemu", status="stopped", accel="tcg-single")
    assert lab_accel(state).qemu_args()[:2] == ["-accel", "tcg,thread=single"]


def test_tracing_labs_get_single_threaded_tcg_without_kvm(tmp_path) -> None:
    # no /dev/kvm in this fake root: the MTTCG attach/detach hazard applies
    assert tracing_accel(tmp_path) == "tcg-single"
    assert choose(tracing_accel(tmp_path), tmp_path).qemu_args()[1] == ("tcg,thread=single")
