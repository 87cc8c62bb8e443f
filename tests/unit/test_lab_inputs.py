"""`up` inputs: memory sizes and limits, --kernel choices, the QEMU command a plan makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mllb_lab.errors import UserError
from mllb_lab.lab.accel import Accel
from mllb_lab.lab.backends.base import GuestSpec
from mllb_lab.lab.backends.qemu import command
from mllb_lab.lab.image import Image
from mllb_lab.lab.kernels import resolve_kernel
from mllb_lab.lab.memory import guest_memory_mib, parse_size_mib
from mllb_lab.topology import parse


def test_memory_sizes() -> None:
    assert parse_size_mib("4G") == 4096
    assert parse_size_mib("4096M") == 4096
    assert parse_size_mib("512") == 512
    assert parse_size_mib("2GiB") == 2048
    with pytest.raises(UserError, match="--memory: 'lots' is not a size"):
        parse_size_mib("lots")


def test_default_memory_scales_with_nodes() -> None:
    assert guest_memory_mib(parse("2x14x2"), None, available_mib=20000) == 4096
    assert guest_memory_mib(parse("4x2x1"), None, available_mib=20000) == 8192


def test_memory_is_split_in_whole_mib_per_node() -> None:
    assert guest_memory_mib(parse("3x1x1"), "1000M", available_mib=20000) == 999


def test_memory_beyond_host_or_too_small_per_node() -> None:
    with pytest.raises(UserError) as err:
        guest_memory_mib(parse("2x14x2"), "64G", available_mib=20000)
    assert err.value.field == "--memory"
    assert "more than the host's 20000 MiB available" in str(err.value)
    with pytest.raises(UserError, match="64 MiB per node"):
        guest_memory_mib(parse("8x1x1"), "512M", available_mib=20000)


def fake_image(root: Path) -> Image:
    return Image(
        key="k",
        dir=root,
        rootfs=root / "rootfs",
        disk=root / "disk.qcow2",
        kernel=root / "vmlinuz",
        initrd=root / "initrd.img",
        cmdline="root=/dev/vda",
    )


def test_kernel_choices(tmp_path: Path) -> None:
    image = fake_image(tmp_path / "image")
    assert resolve_kernel("stock", image) == (image.kernel, image.initrd)
    bz = tmp_path / "bzImage"
    bz.write_bytes(b"kernel")
    assert resolve_kernel(str(bz), image) == (bz, image.initrd)
    build = tmp_path / "build"
    (build / "arch/x86/boot").mkdir(parents=True)
    (build / "arch/x86/boot/bzImage").write_bytes(b"kernel")
    assert resolve_kernel(str(build), image) == (build / "arch/x86/boot/bzImage", image.initrd)
    (build / "initrd.img").write_bytes(b"initrd")
    assert resolve_kernel(str(build), image)[1] == build / "initrd.img"


@pytest.mark.parametrize(
    ("choice", "words"),
    [
        ("./missing/bzImage", "does not exist"),
        ("mllb-replace", "kernel variant 'mllb-replace' is unknown"),
    ],
)
def test_kernel_errors_name_the_flag(tmp_path: Path, choice: str, words: str) -> None:
    with pytest.raises(UserError) as err:
        resolve_kernel(choice, fake_image(tmp_path))
    assert err.value.field == "--kernel"
    assert words in str(err.value)


def test_qemu_command_for_paper_topology(tmp_path: Path) -> None:
    spec = GuestSpec(
        name="paper",
        lab_dir=tmp_path,
        topology=parse("2x14x2"),
        memory_mib=4096,
        accel=Accel("tcg", "test"),
        kernel=tmp_path / "vmlinuz",
        initrd=tmp_path / "initrd.img",
        cmdline="root=/dev/vda rw console=ttyS0",
        overlay=tmp_path / "overlay.qcow2",
        seed=tmp_path / "seed.img",
        ssh_port=40022,
        serial_log=tmp_path / "serial.log",
    )
    argv = command(spec)
    text = " ".join(argv)
    assert argv[argv.index("-cpu") + 1] == "max,vendor=GenuineIntel"
    assert "-smp 56,sockets=2,cores=14,threads=2" in text
    assert "hostfwd=tcp:127.0.0.1:40022-:22" in text
    assert f"-serial file:{tmp_path}/serial.log" in text
    assert f"-pidfile {tmp_path}/qemu.pid -daemonize" in text
    assert f"unix:{tmp_path}/qmp.sock,server=on,wait=off" in text
    assert argv[argv.index("-initrd") + 1] == str(tmp_path / "initrd.img")
    assert f"file={tmp_path}/seed.img,format=raw,if=virtio,readonly=on" in text
