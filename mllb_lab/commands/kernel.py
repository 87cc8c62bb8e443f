"""CLI commands: kernel build, kernel list (the JC_SCHED kernel, docs/kernel.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from mllb_lab.errors import EXIT_LAB, UserError
from mllb_lab.kernel import build, cache
from mllb_lab.kernel.source import SERIES
from mllb_lab.kernel.variant import MODES, Variant
from mllb_lab.lab.boothistory import BootAttempt
from mllb_lab.progress import Progress


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the top-level parser."""
    kernel = sub.add_parser("kernel", help="the JC_SCHED kernel: patch series, builds")
    kernel_sub = kernel.add_subparsers(dest="kernel_command", metavar="ACTION")
    kernel_sub.required = True

    b = kernel_sub.add_parser(
        "build", help="build (or reuse) a JC_SCHED kernel variant, cached by its inputs"
    )
    b.add_argument("--source", default=SERIES[0], choices=SERIES, help="kernel source series")
    b.add_argument("--mode", required=True, choices=MODES, help="who decides a migration")
    arith = b.add_mutually_exclusive_group()
    arith.add_argument(
        "--fixed-point",
        dest="arith",
        action="store_const",
        const="fixed",
        help="the module's default arithmetic is Q21.11 (default)",
    )
    arith.add_argument(
        "--float", dest="arith", action="store_const", const="float", help="float arithmetic"
    )
    b.add_argument("--perf", action="store_true", help="time every model call")
    b.add_argument(
        "--debug", action="store_true", help="lockdep, PROVE_RCU, FPU checks (variant -debug)"
    )
    b.add_argument(
        "--extra-config",
        action="append",
        default=[],
        metavar="FILE",
        help="one more config fragment, merged last (variant gets +STEM, e.g. +broken-init)",
    )
    b.add_argument("--deb", action="store_true", help="also make .deb packages (bare metal)")
    b.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="make -j (default: CPUs)")
    b.add_argument("--dry-run", action="store_true", help="show the plan and cache key only")
    b.add_argument("--json", action="store_true", help="print the build as JSON")
    b.set_defaults(func=cmd_build, arith="fixed")

    boot = kernel_sub.add_parser(
        "boot",
        help="boot a test kernel once; on panic or hang return to the known-good kernel",
    )
    boot.add_argument("variant", metavar="VARIANT", help="variant, cached build name, or path")
    boot.add_argument("--lab", help="a QEMU lab (direct kernel boot), or the adopted lab name")
    boot.add_argument(
        "--inventory", help="disk-booted/bare-metal hosts: GRUB one-shot (roles/kernel_install)"
    )
    boot.add_argument("--host", help="with --inventory: which host (default: the only one)")
    boot.add_argument("--timeout", type=float, default=300, help="seconds to wait for SSH")
    boot.add_argument("--dry-run", action="store_true", help="show the plan, boot nothing")
    boot.add_argument("--json", action="store_true", help="print the boot attempt as JSON")
    boot.set_defaults(func=cmd_boot)

    ls = kernel_sub.add_parser("list", help="cached kernel builds")
    ls.add_argument("--json", action="store_true", help="print the builds as JSON")
    ls.set_defaults(func=cmd_list)


def cmd_build(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UserError("--jobs", f"{args.jobs} is not a job count", "give 1 or more")
    variant = Variant(args.mode, args.arith, args.perf, args.debug)
    plan = build.plan_build(args.source, variant, [Path(p) for p in args.extra_config])
    variant = plan.variant
    record = build.cached(plan)
    if args.dry_run:
        info = {
            "variant": variant.name,
            "key": plan.key,
            "dir": str(plan.out_dir),
            "cached": record is not None,
            "source": str(plan.source.tarball),
            "patches": [str(p) for p in plan.patches],
            "fragments": [str(p) for p in plan.fragments],
            "tree": str(plan.tree_dir),
            "obj": str(plan.obj),
            "log": str(plan.log),
        }
        if args.json:
            print(json.dumps(info, indent=2))
        else:
            for name, value in info.items():
                print(f"{name + ':':10} {value}")
        return 0
    record = build.run_build(plan, Progress(quiet=False), args.jobs, deb=args.deb)
    if args.json:
        print(json.dumps(asdict(record), indent=2))
    else:
        print(f"{record.variant} {record.release} {record.dir}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    records = cache.list_builds()
    if args.json:
        print(json.dumps([asdict(r) for r in records], indent=2))
        return 0
    if not records:
        print("no kernel builds yet (mllb-lab kernel build --mode test)")
    for r in records:
        print(f"{r.variant:20} {r.release:32} {r.key} {r.created}")
    return 0


def cmd_boot(args: argparse.Namespace) -> int:
    """Exit 0 when the test kernel booted and verified; 3 when it failed (the lab is back on
    its known-good kernel, the attempt and its console log are in the lab's boots.json)."""
    from mllb_lab.lab import boottarget, safeboot

    if args.timeout <= 0:
        raise UserError("--timeout", f"{args.timeout} is not a duration", "give seconds > 0")
    if args.inventory:
        return _boot_metal(args)
    if not args.lab:
        raise UserError("--lab", "is required", "name the QEMU lab to boot the kernel in")
    safeboot.load_lab(args.lab)  # a wrong --lab is reported before a wrong VARIANT
    plan = safeboot.plan(args.lab, boottarget.resolve(args.variant))
    if args.dry_run:
        print(safeboot.describe(plan, args.timeout))
        return 0
    attempt = safeboot.boot(plan, args.timeout, Progress(quiet=False))
    return _report(args, attempt)


def _boot_metal(args: argparse.Namespace) -> int:
    from mllb_lab.lab import boottarget, safeboot_metal

    inventory = Path(args.inventory)
    if not inventory.is_file():
        raise UserError("--inventory", f"{inventory} does not exist", "give an inventory file")
    lab = safeboot_metal.adopted_lab(inventory, args.lab)
    safeboot_metal.pick_host(lab, args.host)
    target = boottarget.resolve(args.variant)
    if args.dry_run:
        print(f"would install {target.name} ({target.release}) on {args.host or lab.hosts[0].name}"
              f" with playbooks/{safeboot_metal.PLAYBOOK}, grub-reboot once, wait "
              f"{args.timeout:.0f}s, power-cycle through mllb_power on a hang, verify")  # fmt: skip
        return 0
    attempt = safeboot_metal.boot(
        inventory, args.lab, args.host, target, args.timeout, Progress(quiet=False)
    )
    return _report(args, attempt)


def _report(args: argparse.Namespace, attempt: BootAttempt) -> int:
    from mllb_lab.lab import safeboot

    message = None if attempt.result == "ok" else safeboot.failure_message(attempt)
    if args.json:
        print(json.dumps({**asdict(attempt), "error": message}, indent=2))
    elif message is None:
        print(f"lab '{attempt.lab}' runs {attempt.release} (verified)")
    if message is not None:
        sys.stderr.write(f"mllb-lab: error: {message}\n")
        return EXIT_LAB
    return 0
