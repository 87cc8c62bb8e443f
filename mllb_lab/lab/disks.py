"""A guest's disks, the same for every backend: a qcow2 overlay on the image, and a seed disk."""

from __future__ import annotations

from pathlib import Path

from mllb_lab.lab import hostcmd
from mllb_lab.lab.image import Image
from mllb_lab.lab.keys import LabKeys
from mllb_lab.lab.seed import make_seed

OVERLAY = "overlay.qcow2"
SEED = "seed.img"


def prepare_guest_disks(
    image: Image, lab_dir: Path, hostname: str, keys: LabKeys
) -> dict[str, str]:
    """Fresh overlay + seed in lab_dir; returns their paths for LabState.files."""
    overlay = lab_dir / OVERLAY
    overlay.unlink(missing_ok=True)
    hostcmd.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", image.disk, overlay],
        "qemu-img create of the overlay",
    )
    seed = make_seed(lab_dir / SEED, hostname, keys)
    return {"overlay": str(overlay), "seed": str(seed)}
