"""The patch series (kernel/patches/<series>/000N-*.patch) and applying it to a source tree.

A patch that does not apply is refused before anything changes (every patch is checked with
`patch --dry-run` on the tree as the earlier ones leave it), naming the patch: exit 2.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from mllb_lab.errors import LabError, UserError
from mllb_lab.paths import repo_root

PATCH_NAME = re.compile(r"^\d{4}-[\w.+-]+\.patch$")


def series_dir(series: str, root: Path | None = None) -> Path:
    return (root or repo_root()) / "kernel" / "patches" / series


def list_patches(folder: Path) -> list[Path]:
    """The series in order; a folder without patches is a broken checkout."""
    if not folder.is_dir():
        raise UserError("--source", f"{folder} does not exist", "check out kernel/patches/")
    patches = sorted(p for p in folder.iterdir() if PATCH_NAME.match(p.name))
    if not patches:
        raise UserError(str(folder), "holds no 000N-*.patch files", "add the patch series")
    return patches


def _patch(tree: Path, patch: Path, dry_run: bool) -> subprocess.CompletedProcess[str]:
    argv = ["patch", "-p1", "--forward", "--batch", "--fuzz=0", "-d", str(tree), "-i", str(patch)]
    if dry_run:
        argv.append("--dry-run")
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise LabError("the 'patch' program is missing (apt-get install patch)") from None


def apply_series(tree: Path, patches: list[Path], log: Path) -> None:
    """Apply each patch in turn; refuse one that does not apply cleanly (no fuzz)."""
    with log.open("a") as fh:
        for patch in patches:
            check = _patch(tree, patch, dry_run=True)
            fh.write(f"$ patch --dry-run {patch.name}\n{check.stdout}{check.stderr}")
            if check.returncode != 0:
                lines = (check.stdout + check.stderr).strip().splitlines() or ["no output"]
                detail = next((ln for ln in lines if "FAILED" in ln), lines[-1])
                raise UserError(
                    str(patch),
                    f"does not apply to {tree.name}: {detail.strip()}",
                    "rebase the patch on this source (docs/kernel.md)",
                )
            done = _patch(tree, patch, dry_run=False)
            fh.write(f"$ patch {patch.name}\n{done.stdout}{done.stderr}")
            if done.returncode != 0:
                raise LabError(f"applying {patch.name} failed after a clean dry run", log=log)
