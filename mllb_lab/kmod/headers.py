"""The kernel build tree mllb.ko is built against: for the stock guest kernel, Debian's
linux-headers-<release> on this host, where <release> is the kernel inside the cached guest
image (its image.json). apt's default linux-headers-amd64 may follow bookworm-security while
the image follows bookworm, so the exact package is named and installed, never the meta one.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from mllb_lab.errors import LabError, UserError
from mllb_lab.lab.image import MANIFEST, plan_image

HEADERS_ROOT = Path("/usr/src")


def guest_kernel_release(image_release: str = "bookworm") -> str:
    """`uname -r` of the stock kernel in the cached guest image for `image_release`."""
    image = plan_image(image_release)
    if not image.ready:
        raise UserError(
            "--image", f"no {image_release} guest image is built yet", "run mllb-lab image build"
        )
    return str(json.loads((image.dir / MANIFEST).read_text())["kernel_version"])


def headers_dir(release: str) -> Path:
    return HEADERS_ROOT / f"linux-headers-{release}"


def apt_has(package: str) -> bool:
    """Whether apt knows a candidate version of `package` (apt-cache policy)."""
    proc = subprocess.run(
        ["apt-cache", "policy", package], capture_output=True, text=True, check=False
    )
    for line in proc.stdout.splitlines():
        if line.strip().startswith("Candidate:"):
            return line.split(":", 1)[1].strip() not in ("", "(none)")
    return False


def stock_tree(release: str, install: bool = False, log: Path | None = None) -> Path:
    """The build tree for kernel `release`; with install=True apt installs it if missing."""
    tree = headers_dir(release)
    if (tree / "Makefile").is_file():
        return tree
    package = f"linux-headers-{release}"
    if not apt_has(package):
        raise UserError(
            "--kernel stock",
            f"the guest image's kernel {release} has no {package} in apt (apt moved on)",
            "rebuild the image (mllb-lab image build) so its kernel is one apt has headers for",
        )
    if not install:
        raise UserError(
            "--kernel stock",
            f"no headers for the guest kernel {release} in {tree}",
            f"apt-get install {package} (or pass --install-headers)",
        )
    if os.geteuid() != 0:
        raise UserError("--install-headers", "needs root (apt-get)", f"apt-get install {package}")
    proc = subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", package],
        capture_output=True,
        text=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        check=False,
    )
    if proc.returncode != 0 or not (tree / "Makefile").is_file():
        if log:
            log.write_text(proc.stdout + proc.stderr)
        raise LabError(f"apt-get install {package} failed", log=log)
    return tree
