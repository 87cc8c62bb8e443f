"""Build mllb.ko against a kernel build tree (Debian headers or a configured source tree after
`make modules_prepare`), out of the repository: the kmod sources are copied into a cache
folder keyed by their content and by the tree's identity, and built there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from mllb_lab.errors import LabError, UserError
from mllb_lab.paths import cache_home, repo_root

MODULE = "mllb.ko"
# What identifies a build tree: its release, config and exported symbols.
TREE_FILES = ("include/generated/utsrelease.h", ".config", "Module.symvers")


def kmod_sources() -> list[Path]:
    """The module's sources: kmod/*.c, *.h and Kbuild (not the user-space shim or bench)."""
    root = repo_root() / "kmod"
    return sorted(p for p in root.iterdir() if p.suffix in {".c", ".h"} or p.name == "Kbuild")


def tree_release(tree: Path) -> str:
    """UTS_RELEASE of the tree: what `uname -r` says on its kernel (and the module's vermagic)."""
    path = tree / "include" / "generated" / "utsrelease.h"
    if path.is_file():
        for line in path.read_text().splitlines():
            if line.startswith("#define UTS_RELEASE"):
                return line.split('"')[1]
    return "unknown"


def build_key(tree: Path) -> str:
    digest = hashlib.sha256()
    for path in kmod_sources():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in TREE_FILES:
        path = tree / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b""))
    return f"{tree_release(tree)}-{digest.hexdigest()[:16]}"


def check_tree(tree: Path) -> None:
    if not (tree / "Makefile").is_file():
        raise UserError(
            "--tree",
            f"{tree} is not a kernel build tree (no Makefile)",
            "pass /usr/src/linux-headers-RELEASE or a built kernel source tree",
        )
    if not (tree / "Module.symvers").is_file():
        raise UserError(
            "--tree",
            f"{tree} has no Module.symvers",
            "build the kernel there first (or make modules_prepare after a full build)",
        )


def build_module(tree: Path) -> Path:
    """mllb.ko for `tree`, built once per (sources, tree); returns its cached path."""
    tree = tree.resolve()
    check_tree(tree)
    out_dir = cache_home() / "kmod" / build_key(tree)
    module = out_dir / MODULE
    if module.is_file():
        return module
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=".build-"))
    try:
        for path in kmod_sources():
            shutil.copy2(path, work / path.name)
        proc = subprocess.run(
            ["make", "-C", str(tree), f"M={work}", "modules"],
            capture_output=True,
            text=True,
            check=False,
        )
        (work / "build.log").write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0 or not (work / MODULE).is_file():
            failed = out_dir.parent / "last-failed-build.log"
            shutil.copy(work / "build.log", failed)
            raise LabError(f"building {MODULE} against {tree} failed", log=failed)
        try:
            os.rename(work, out_dir)
        except OSError:  # a parallel builder won; its module is the same
            if not module.is_file():
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return module
