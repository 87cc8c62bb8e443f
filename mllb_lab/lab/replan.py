"""The `up` plan of a lab that already ran, rebuilt from its saved state, for another kernel.

Safe boot (lab/safeboot.py) and a campaign's kernel switch (campaign/kernel_switch.py) both
restart a lab as it was (topology, memory, backend, accelerator and its own guest image) on a
different kernel; this is the one place that rebuilds that plan. The lab's own image matters:
`stock` means that image's kernel, and the guest's disk is an overlay of that image.
"""

from __future__ import annotations

import json
from pathlib import Path

from mllb_lab.lab import accel as accel_mod
from mllb_lab.lab.backends import get_backend
from mllb_lab.lab.image import Image, built_image, plan_image
from mllb_lab.lab.kernels import resolve_kernel
from mllb_lab.lab.lifecycle import UpPlan
from mllb_lab.lab.state import LabState
from mllb_lab.topology import Topology

DEFAULT_RELEASE = "bookworm"


def image_release(state: LabState) -> str:
    """The release of the guest image the lab boots (recorded by `up`; older labs: the stock
    kernel's image manifest next to it, else the default)."""
    if state.files.get("image"):
        return state.files["image"]
    manifest = Path(state.files.get("kernel", "")).parent / "image.json"
    if manifest.is_file():
        return str(json.loads(manifest.read_text()).get("release", DEFAULT_RELEASE))
    return DEFAULT_RELEASE


def lab_image(state: LabState) -> Image:
    """The image the lab's overlay disk sits on, by the key `up` recorded; when that image is
    gone (or the lab predates the key), the current image of its release."""
    key = state.files.get("image_key")
    if key and (image := built_image(key)) is not None:
        return image
    return plan_image(image_release(state))


def lab_accel(state: LabState) -> accel_mod.Accel:
    """The accelerator the lab ran with (a lab recorded without one: chosen as `up` would)."""
    if state.accel:
        return accel_mod.Accel(state.accel, "as the lab ran before")
    return accel_mod.choose("auto")


def plan_from_state(state: LabState, kernel: Path, initrd: Path | None) -> UpPlan:
    """The lab as it ran, booting `kernel` (with `initrd`, None for a self-contained one)."""
    return UpPlan(
        name=state.name,
        topology=Topology.from_dict(state.topology),
        memory_mib=state.memory_mib,
        backend=get_backend(state.backend),
        accel=lab_accel(state),
        image=lab_image(state),
        kernel=kernel,
        initrd=initrd,
    )


def plan_for_kernel(state: LabState, choice: str) -> UpPlan:
    """The lab as it ran, booting `choice` as `up --kernel` takes it (stock, path, variant)."""
    kernel, initrd = resolve_kernel(choice, lab_image(state))
    return plan_from_state(state, kernel, initrd)
