"""One `up` plan rebuilt from a lab's saved state (lab/replan.py), shared by safe boot and a
campaign's kernel switch: the lab's own topology, memory, backend, accelerator and image.
The boots themselves run for real in tests/kernel/test_safe_boot.py and
tests/kernel/test_bench_campaign.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mllb_lab.campaign.kernel_switch import KernelSwitch
from mllb_lab.lab import lifecycle, replan, safeboot
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.boottarget import BootTarget
from mllb_lab.lab.image import plan_image
from mllb_lab.progress import Progress
from mllb_lab.topology import Topology

TOPOLOGY = {"sockets": 2, "cores": 2, "threads": 2}


def saved_lab(home: Path, monkeypatch: pytest.MonkeyPatch, **files: str) -> lab_state.LabState:
    monkeypatch.setenv("MLLB_LAB_HOME", str(home))
    state = lab_state.LabState(
        name="lab", backend="qemu", status="running", topology=TOPOLOGY, memory_mib=3072,
        accel="kvm", files={"kernel": "/k/bzImage", "initrd": "/k/initrd.img", **files},
    )  # fmt: skip
    lab_state.save(state)
    return state


def test_the_plan_is_the_lab_as_it_ran(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = saved_lab(tmp_path, monkeypatch, image="trixie")
    plan = replan.plan_from_state(state, Path("/new/bzImage"), None)
    assert (plan.name, plan.memory_mib, plan.backend.name) == ("lab", 3072, "qemu")
    assert plan.topology == Topology.from_dict(TOPOLOGY)
    # the recorded accelerator, even where `auto` would not pick it (no usable KVM here)
    assert plan.accel.name == "kvm" and plan.accel.reason == "as the lab ran before"
    assert plan.image == plan_image("trixie")  # the lab's own image, not the default one
    assert (plan.kernel, plan.initrd) == (Path("/new/bzImage"), None)
    assert (plan.cmdline_extra, plan.no_reboot) == ("", False)


def test_stock_means_the_labs_own_image_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = saved_lab(tmp_path, monkeypatch, image="trixie")
    plan = replan.plan_for_kernel(state, "stock")
    assert (plan.kernel, plan.initrd) == (plan_image("trixie").kernel, plan_image("trixie").initrd)


def test_older_labs_image_and_accel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel_dir = tmp_path / "image"
    kernel_dir.mkdir()
    (kernel_dir / "image.json").write_text(json.dumps({"release": "trixie"}))
    state = saved_lab(tmp_path, monkeypatch, kernel=str(kernel_dir / "vmlinuz"))
    state.files.pop("image", None)
    assert replan.image_release(state) == "trixie"  # from the stock kernel's image manifest
    state.files["kernel"] = "/elsewhere/bzImage"
    assert replan.image_release(state) == replan.DEFAULT_RELEASE
    state.accel = ""
    assert replan.lab_accel(state).name == "tcg"  # chosen as `up` would: no usable KVM here


def test_safe_boot_falls_back_to_the_replanned_lab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = saved_lab(tmp_path, monkeypatch, image="trixie")
    target = BootTarget("test-fixed", Path("/t/bzImage"), "6.1.192-mllb-test-fixed", {})
    sb = safeboot.plan("lab", target)
    assert sb.fallback == replan.plan_from_state(state, Path("/k/bzImage"), Path("/k/initrd.img"))
    assert sb.test.image == sb.fallback.image and sb.test.accel == sb.fallback.accel
    assert (sb.test.kernel, sb.test.initrd, sb.test.no_reboot) == (Path("/t/bzImage"), None, True)


def test_kernel_switch_boots_the_replanned_lab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order and the plan only: lifecycle's down/up are recorded instead of run (a real
    boot is tests/kernel/test_bench_campaign.py's)."""
    state = saved_lab(tmp_path, monkeypatch, image="trixie")
    calls: list[tuple[str, object]] = []
    monkeypatch.setattr(lifecycle, "down", lambda name, *_: calls.append(("down", name)))

    def up(plan: lifecycle.UpPlan, *_: object) -> tuple[lab_state.LabState, bool]:
        calls.append(("up", plan))
        return state, False

    monkeypatch.setattr(lifecycle, "up", up)
    switch = KernelSwitch("lab", None, {})
    switch.boot(state, "stock", Progress(quiet=True))
    assert calls == [("down", "lab"), ("up", replan.plan_for_kernel(state, "stock"))]
    assert switch.boots == 1


def test_the_labs_image_by_its_recorded_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A recipe change after `up` gives the release a new key; the lab's overlay still sits on
    the image it was made from, so a restart must boot that one (and its stock kernel)."""
    monkeypatch.setenv("MLLB_CACHE_HOME", str(tmp_path / "cache"))
    old = tmp_path / "cache" / "images" / "bookworm-0ld"
    old.mkdir(parents=True)
    (old / "image.json").write_text(
        json.dumps({"key": "bookworm-0ld", "release": "bookworm", "cmdline": "root=/dev/vda old"})
    )
    state = saved_lab(tmp_path / "labs", monkeypatch, image="bookworm", image_key="bookworm-0ld")
    assert plan_image("bookworm").key != "bookworm-0ld"
    image = replan.lab_image(state)
    assert (image.key, image.dir, image.cmdline) == ("bookworm-0ld", old, "root=/dev/vda old")
    plan = replan.plan_for_kernel(state, "stock")
    assert (plan.kernel, plan.initrd) == (old / "vmlinuz", old / "initrd.img")
    (old / "image.json").unlink()  # that image is gone: the release's current image
    assert replan.lab_image(state) == plan_image("bookworm")
