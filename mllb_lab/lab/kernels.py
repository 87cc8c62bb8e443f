"""--kernel: which kernel a guest boots directly (-kernel/-initrd), and with which initrd.

`stock`, a bzImage path or its folder, or a JC_SCHED variant built by `mllb-lab kernel build`
(test-fixed, replace-float, toggle-fixed-perf, ...; docs/kernel.md). A variant boots without
an initrd: its drivers are built in, and the image's initrd holds modules for Debian's kernel.
"""

from __future__ import annotations

from pathlib import Path

from mllb_lab.errors import UserError
from mllb_lab.lab.image import Image

BZIMAGE_NAMES = ("bzImage", "arch/x86/boot/bzImage", "vmlinuz")
INITRD_NAMES = ("initrd.img", "initrd", "initramfs.img")
VARIANT_SOURCE = "6.1"  # the series `up --kernel VARIANT` looks up
# A variant has no /lib/modules/<release> in the image, so the image's mllb-net unit (which
# modprobes virtio_net first) fails: the kernel sets QEMU user networking's fixed address
# itself instead (ip=, CONFIG_IP_PNP) and the unit is masked.
VARIANT_CMDLINE = "ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off systemd.mask=mllb-net.service"


def resolve_kernel(choice: str, image: Image) -> tuple[Path, Path | None]:
    """'stock' -> the image's kernel+initrd; a bzImage file -> it with the image's initrd;
    a folder -> its bzImage and its initrd if it has one (else the image's); a variant name
    -> its cached build's bzImage and no initrd."""
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
    return resolve_variant(choice), None


def resolve_variant(choice: str) -> Path:
    """The bzImage of a built variant for the current patches and config."""
    # imported here: plain `up` should not pay for the kernel package
    from mllb_lab.kernel import build
    from mllb_lab.kernel.variant import parse_variant

    variant = parse_variant(choice)
    if variant is None:
        raise UserError(
            "--kernel",
            f"kernel variant '{choice}' is unknown (and no such file)",
            "use stock, a bzImage path, or MODE-fixed|float[-perf][-debug] with MODE "
            "test|replace|toggle, e.g. test-fixed",
        )
    command = build.build_command(VARIANT_SOURCE, variant)
    try:
        plan = build.plan_build(VARIANT_SOURCE, variant)
    except UserError as exc:
        raise UserError("--kernel", f"cannot look up {variant.name}: {exc}", command) from None
    record = build.cached(plan)
    if record is None:
        raise UserError(
            "--kernel",
            f"kernel variant {variant.name} is not built for the current patches and config",
            f"run: {command}",
        )
    return Path(record.dir) / "bzImage"


def boot_cmdline(image_cmdline: str, initrd: Path | None) -> str:
    """The image's command line, plus what a self-contained variant kernel needs."""
    return image_cmdline if initrd is not None else f"{image_cmdline} {VARIANT_CMDLINE}"
