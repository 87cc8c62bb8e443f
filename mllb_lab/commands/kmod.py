"""CLI commands: kmod build (the in-kernel model module, docs/kmod.md)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mllb_lab.kmod.build import build_module, check_tree, tree_release
from mllb_lab.kmod.headers import guest_kernel_release, stock_tree
from mllb_lab.progress import Progress


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the top-level parser."""
    kmod = sub.add_parser("kmod", help="the in-kernel model module mllb.ko")
    kmod_sub = kmod.add_subparsers(dest="kmod_command", metavar="ACTION")
    kmod_sub.required = True
    build = kmod_sub.add_parser(
        "build", help="build mllb.ko (cached) for the stock guest kernel or a kernel build tree"
    )
    build.add_argument(
        "--tree", type=Path, help="kernel build tree (default: headers of the guest image kernel)"
    )
    build.add_argument("--image", default="bookworm", help="guest image release (default)")
    build.add_argument(
        "--install-headers",
        action="store_true",
        help="apt-get install the guest kernel's exact linux-headers package if missing",
    )
    build.add_argument("--json", action="store_true", help="print the module path as JSON")
    build.set_defaults(func=cmd_build)


def cmd_build(args: argparse.Namespace) -> int:
    progress = Progress(quiet=args.json)
    tree = args.tree
    if tree is None:
        release = guest_kernel_release(args.image)
        with progress.step(f"headers for the guest kernel {release}"):
            tree = stock_tree(release, install=args.install_headers)
    check_tree(tree)
    with progress.step(f"building mllb.ko against {tree}"):
        module = build_module(tree)
    if args.json:
        print(json.dumps({"module": str(module), "release": tree_release(tree)}))
    else:
        print(module)
    return 0
