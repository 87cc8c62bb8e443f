"""Guest images: a debootstrapped Debian rootfs, a base qcow2, and its kernel + initrd.

Cached under cache_home()/images/<key>/ where the key hashes the recipe (see recipe.py). A build
happens in a temporary sibling folder that is renamed into place only when complete, so an
interrupted build never leaves an image that looks valid; a lock file serialises builders.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mllb_lab.errors import LabError
from mllb_lab.lab import hostcmd
from mllb_lab.lab.mirror import debian_mirror
from mllb_lab.lab.recipe import Recipe, check_release, load_recipe
from mllb_lab.paths import cache_home
from mllb_lab.progress import Progress

MANIFEST = "image.json"


@dataclass(frozen=True)
class Image:
    key: str  # content hash of the recipe
    dir: Path
    rootfs: Path  # the debootstrapped tree, kept (fake bare-metal hosts copy it)
    disk: Path  # base qcow2; guests boot from an overlay on top of it
    kernel: Path
    initrd: Path
    release: str = "bookworm"
    cmdline: str = ""  # kernel command line for direct boot of this disk

    @property
    def ready(self) -> bool:
        return (self.dir / MANIFEST).is_file()


def images_home() -> Path:
    return cache_home() / "images"


def plan_image(release: str = "bookworm", recipe: Recipe | None = None) -> Image:
    """Where the image for `release` lives (built or not); creates nothing."""
    recipe = recipe or load_recipe()
    return _image_at(recipe.key(check_release(release)), release, recipe.kernel_cmdline)


def _image_at(key: str, release: str, cmdline: str) -> Image:
    root = images_home() / key
    return Image(
        key=key,
        dir=root,
        rootfs=root / "rootfs",
        disk=root / "disk.qcow2",
        kernel=root / "vmlinuz",
        initrd=root / "initrd.img",
        release=release,
        cmdline=cmdline,
    )


def built_image(key: str) -> Image | None:
    """The built image with this key, as its manifest describes it (None if it is gone): a
    lab's own image, even after the recipe changed and the current key points elsewhere."""
    try:
        manifest = json.loads((images_home() / key / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    release, cmdline = manifest.get("release", "bookworm"), manifest.get("cmdline", "")
    return _image_at(key, str(release), str(cmdline))


def ensure_image(release: str = "bookworm", progress: Progress | None = None) -> Image:
    """The cached image for `release`, built first if the recipe changed or it never was."""
    progress = progress or Progress(quiet=True)
    recipe = load_recipe()
    image = plan_image(release, recipe)
    if image.ready:
        return image
    images_home().mkdir(parents=True, exist_ok=True)
    with _build_lock(image, progress):
        if image.ready:  # another process built it while we waited
            return image
        _build(image, recipe, progress)
    return image


@contextmanager
def _build_lock(image: Image, progress: Progress) -> Iterator[None]:
    with open(images_home() / f".{image.key}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress.say(f"waiting for another build of image {image.key}")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _build(image: Image, recipe: Recipe, progress: Progress) -> None:
    hostcmd.require("debootstrap", "debootstrap")
    hostcmd.require("mkfs.ext4", "e2fsprogs")
    hostcmd.require("qemu-img", "qemu-utils")
    for stale in images_home().glob(f".build-{image.key}-*"):  # left by an interrupted build
        _remove_build_dir(stale)
    log = images_home() / "logs" / f"{image.key}-{time.strftime('%Y%m%d-%H%M%S')}.log"
    log.parent.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=images_home(), prefix=f".build-{image.key}-"))
    try:
        rootfs = tmp / "rootfs"
        mirror = debian_mirror(image.release)
        with progress.step(f"debootstrap {image.release} from {mirror} (log: {log})"):
            _debootstrap(recipe, image.release, mirror, rootfs, log)
        with progress.step("configuring the guest (seed service, initramfs, units)"):
            _configure(recipe, image.release, mirror, rootfs, log)
        kernel_version = _copy_kernel(rootfs, tmp)
        with progress.step("making the base disk"):
            _make_disk(recipe, rootfs, tmp, log)
        manifest = {
            "key": image.key,
            "release": image.release,
            "mirror": mirror,
            "kernel_version": kernel_version,
            "cmdline": recipe.kernel_cmdline,
            "packages": list(recipe.packages),
            "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        shutil.copy(log, tmp / "build.log")
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        if image.dir.exists():  # only a leftover without a manifest can be here
            shutil.rmtree(image.dir)
        tmp.chmod(0o755)  # mkdtemp makes it private; libvirt's qemu user must read the disk
        os.rename(tmp, image.dir)
    except BaseException:
        _remove_build_dir(tmp)
        raise
    progress.say(f"image {image.key} ready in {image.dir}")


def _remove_build_dir(path: Path) -> None:
    """Remove a build folder, first unmounting what debootstrap may have left mounted in it
    (/proc, /sys, ...): rmtree must never walk into the host's pseudo file systems."""
    prefix = str(path.resolve()) + "/"
    with open("/proc/self/mounts") as fh:
        mounts = [line.split()[1] for line in fh]
    for mount in sorted((m for m in mounts if m.startswith(prefix)), reverse=True):
        hostcmd.run(["umount", "-l", mount], f"unmounting {mount}")
    shutil.rmtree(path, ignore_errors=True)


def _debootstrap(recipe: Recipe, release: str, mirror: str, rootfs: Path, log: Path) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    argv = [
        "debootstrap",
        f"--variant={recipe.variant}",
        f"--include={','.join(recipe.packages)}",
        "--components=main",
        release,
        rootfs,
        mirror,
    ]
    hostcmd.run(argv, "debootstrap", log=log, env=env)


def _chroot(rootfs: Path, log: Path, *argv: str) -> None:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    hostcmd.run(["chroot", rootfs, *argv], f"'{' '.join(argv)}' in the image", log=log, env=env)


def _configure(recipe: Recipe, release: str, mirror: str, rootfs: Path, log: Path) -> None:
    for guest_file in recipe.files:
        dest = rootfs / guest_file.dest.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.unlink(missing_ok=True)  # resolv.conf may be a symlink
        shutil.copyfile(guest_file.src, dest)
        dest.chmod(guest_file.mode)
    # Host keys come from each guest's seed disk and are pinned by the controller.
    for key in (rootfs / "etc" / "ssh").glob("ssh_host_*"):
        key.unlink()
    (rootfs / "etc" / "hostname").write_text("mllb-guest\n")
    (rootfs / "etc" / "apt" / "sources.list").write_text(f"deb {mirror} {release} main\n")
    initramfs = rootfs / "etc" / "initramfs-tools"
    (initramfs / "conf.d" / "mllb-lab").write_text("MODULES=list\n")
    (initramfs / "modules").write_text("\n".join(recipe.initramfs_modules) + "\n")
    _chroot(rootfs, log, "update-initramfs", "-u", "-k", "all")
    _chroot(rootfs, log, "systemctl", "mask", *recipe.masked_units)
    _chroot(rootfs, log, "systemctl", "enable", *recipe.enabled_units)
    for deb in (rootfs / "var" / "cache" / "apt" / "archives").glob("*.deb"):
        deb.unlink()


def _copy_kernel(rootfs: Path, dest: Path) -> str:
    kernels = sorted((rootfs / "boot").glob("vmlinuz-*"))
    if len(kernels) != 1:
        raise LabError(f"expected one kernel in the image's /boot, found {len(kernels)}")
    version = kernels[0].name.removeprefix("vmlinuz-")
    shutil.copyfile(kernels[0], dest / "vmlinuz")
    shutil.copyfile(rootfs / "boot" / f"initrd.img-{version}", dest / "initrd.img")
    return version


def _make_disk(recipe: Recipe, rootfs: Path, dest: Path, log: Path) -> None:
    raw = dest / "disk.raw"
    with raw.open("wb") as fh:
        fh.truncate(recipe.disk_size_mib * 1024 * 1024)
    hostcmd.run(
        ["mkfs.ext4", "-q", "-F", "-L", recipe.root_label, "-d", rootfs, raw],
        "mkfs.ext4 of the image",
        log=log,
    )
    hostcmd.run(
        ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, dest / "disk.qcow2"],
        "qemu-img convert of the image",
        log=log,
    )
    raw.unlink()
