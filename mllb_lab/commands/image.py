"""CLI commands: image build."""

from __future__ import annotations

import argparse
import json

from mllb_lab.lab.image import ensure_image
from mllb_lab.progress import Progress


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the top-level parser."""
    image = sub.add_parser("image", help="guest images")
    image_sub = image.add_subparsers(dest="image_command", metavar="ACTION")
    image_sub.required = True
    build = image_sub.add_parser(
        "build", help="build (or reuse) the Debian guest image, cached by its recipe"
    )
    build.add_argument("--release", default="bookworm", help="Debian release (default bookworm)")
    build.add_argument("--json", action="store_true", help="print the image's paths as JSON")
    build.set_defaults(func=cmd_build)


def cmd_build(args: argparse.Namespace) -> int:
    image = ensure_image(args.release, Progress(quiet=False))
    if args.json:
        fields = ("key", "dir", "rootfs", "disk", "kernel", "initrd", "release")
        print(json.dumps({f: str(getattr(image, f)) for f in fields}, indent=2))
    else:
        print(f"{image.key} {image.disk}")
    return 0
