"""--kernel: which kernel a guest boots directly (-kernel/-initrd), and with which initrd."""

from __future__ import annotations

from pathlib import Path

from mllb_lab.errors import UserError
from mllb_lab.lab.image import Image

BZIMAGE_NAMES = ("bzImage", "arch/x86/boot/bzImage", "vmlinuz")
INITRD_NAMES = ("initrd.img", "initrd", "initramfs.img")


def resolve_kernel(choice: str, image: Image) -> tuple[Path, Path]:
    """'stock' -> the image's kernel+initrd; a bzImage file -> it with the image's initrd;
    a folder -> its bzImage and its initrd if it has one (else the image's)."""
    if choice == "stock":
        return image.kernel, image.initrd
    path = Path(choice).expanduser()
    if path.is_file():
        return path.resolve(), image.initrd
    if path.is_dir():
        kernels = [path / n for n in BZIMAGE_NAMES if (path / n).is_file()]
        if not kernels:
            raise UserError("--kernel", f"{path} has no bzImage", "give a bzImage or its folder")
        initrds = [path / n for n in INITRD_NAMES if (path / n).is_file()]
        return kernels[0].resolve(), (initrds[0] if initrds else image.initrd).resolve()
    if "/" in choice or choice.startswith("."):
        raise UserError("--kernel", f"{choice} does not exist", "give a bzImage path or 'stock'")
    raise UserError(
        "--kernel",
        f"kernel variant '{choice}' is not available yet",
        "use --kernel stock or a bzImage path",
    )
