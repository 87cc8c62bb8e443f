"""What `kernel boot` boots, and what it must report once up: a kernel, its release, and the
JC_SCHED options of its build (read from the build's own .config)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mllb_lab.errors import UserError
from mllb_lab.kernel import cache
from mllb_lab.kernel.config import final_values

JC_PREFIX = "CONFIG_JC_SCHED"
IMAGE_MANIFEST = "image.json"  # next to a guest image's stock kernel (lab/image.py)


@dataclass(frozen=True)
class BootTarget:
    name: str  # how the user named it (variant, build name, path)
    kernel: Path  # the bzImage
    release: str | None  # what `uname -r` must say; None when unknown (a bare bzImage)
    jc_config: dict[str, str]  # CONFIG_JC_SCHED* -> y/n in the build; empty: not a JC build


def from_record(name: str, record: cache.BuildRecord) -> BootTarget:
    folder = Path(record.dir)
    values = final_values((folder / "config").read_text())
    jc = {k: v for k, v in values.items() if k.startswith(JC_PREFIX)}
    return BootTarget(name, folder / "bzImage", record.release, jc)


def for_kernel(kernel: Path, name: str | None = None) -> BootTarget:
    """A kernel file: a cached build's bzImage, a guest image's stock kernel, or any other."""
    record = cache.read_record(kernel.parent)
    if record is not None:
        return from_record(name or record.variant, record)
    manifest = kernel.parent / IMAGE_MANIFEST
    if manifest.is_file():
        version = json.loads(manifest.read_text()).get("kernel_version")
        return BootTarget(name or f"stock ({version})", kernel, version, {})
    return BootTarget(name or str(kernel), kernel, None, {})


def resolve(choice: str) -> BootTarget:
    """A variant name (current patches and config), a cached build's name such as
    `test-fixed+broken-init` (newest), a build folder, or a bzImage path."""
    from mllb_lab.kernel.variant import parse_variant
    from mllb_lab.lab.kernels import resolve_variant

    path = Path(choice).expanduser()
    if path.is_dir() and cache.read_record(path) is not None:
        return for_kernel(path / "bzImage")
    if path.is_file():
        return for_kernel(path.resolve())
    if parse_variant(choice) is not None:
        try:
            return for_kernel(resolve_variant(choice), choice)
        except UserError as exc:
            raise UserError("VARIANT", exc.problem, exc.fix) from None
    builds = [r for r in cache.list_builds() if r.variant == choice]
    if builds:
        return from_record(choice, builds[-1])  # list_builds sorts by creation time
    known = sorted({r.variant for r in cache.list_builds()})
    raise UserError(
        "VARIANT",
        f"'{choice}' is neither a kernel variant, a cached build nor a file",
        f"build it first (mllb-lab kernel build ...); cached: {', '.join(known) or 'none'}",
    )
