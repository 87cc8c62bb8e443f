"""CLI commands: up, down, status, ssh (lab lifecycle)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from mllb_lab.errors import UserError
from mllb_lab.lab import baremetal, lifecycle, ssh
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.accel import CHOICES as ACCELS
from mllb_lab.lab.backends import NAMES as BACKENDS
from mllb_lab.progress import Progress


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the top-level parser."""
    up = sub.add_parser("up", help="boot a lab with a given CPU/NUMA topology")
    up.add_argument("--topology", help="SOCKETSxCORESxTHREADS, or a lab file (guests)")
    up.add_argument("--name", help="lab name (default mllb-<topology>)")
    up.add_argument("--memory", help="total guest memory split across NUMA nodes (default 2G/node)")
    up.add_argument(
        "--backend", default="qemu", help=f"one of {', '.join((*BACKENDS, baremetal.BACKEND))}"
    )
    up.add_argument("--inventory", help="baremetal: an Ansible inventory of declared hosts")
    up.add_argument("--accel", default="auto", help=f"one of {', '.join(ACCELS)}")
    up.add_argument("--image", default="bookworm", help="Debian release of the guest image")
    up.add_argument(
        "--kernel",
        default="stock",
        help="stock, a bzImage, a folder with one, or a kernel variant (test-fixed, ...)",
    )
    up.add_argument("--boot-timeout", type=float, default=300, help="seconds to wait for SSH")
    up.add_argument("--dry-run", action="store_true", help="print the plan, create nothing")
    up.add_argument("--json", action="store_true", help="print the lab's status as JSON")
    up.set_defaults(func=cmd_up)

    down = sub.add_parser("down", help="power a lab off (ACPI, then kill after --timeout)")
    down.add_argument("name", nargs="?", metavar="NAME")
    down.add_argument("--all", action="store_true", help="every lab")
    down.add_argument("--timeout", type=float, default=120, help="seconds before killing")
    down.set_defaults(func=cmd_down)

    status = sub.add_parser("status", help="list labs")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)

    ssh_cmd = sub.add_parser("ssh", help="ssh into a lab (pinned host key)")
    ssh_cmd.add_argument("name", metavar="NAME")
    ssh_cmd.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ...")
    ssh_cmd.set_defaults(func=cmd_ssh)


def _row(name: str) -> dict:
    return next(r for r in lifecycle.status_rows() if r["name"] == name)


def cmd_up(args: argparse.Namespace) -> int:
    progress = Progress(quiet=False)
    if args.backend == baremetal.BACKEND or args.inventory:
        return _adopt(args, progress)
    if not args.topology:
        raise UserError("--topology", "is required for guests", "e.g. --topology 2x14x2")
    request = lifecycle.UpRequest(
        topology=args.topology,
        name=args.name,
        memory=args.memory,
        backend=args.backend,
        accel=args.accel,
        image=args.image,
        kernel=args.kernel,
        boot_timeout=args.boot_timeout,
    )
    plan = lifecycle.plan_up(request)
    if args.dry_run:
        print(lifecycle.describe_plan(plan))
        return 0
    state, already = lifecycle.up(plan, request.boot_timeout, progress)
    if args.json:
        print(json.dumps(_row(state.name), indent=2))
    elif already:
        print(f"lab '{state.name}' is already running (nothing to do)")
    else:
        print(f"lab '{state.name}' is up: mllb-lab ssh {state.name} -- lscpu")
    return 0


def _adopt(args: argparse.Namespace, progress: Progress) -> int:
    """Bare metal: adopt the hosts an inventory declares (nothing is provisioned)."""
    if args.backend != baremetal.BACKEND:
        raise UserError("--inventory", "only applies to --backend baremetal", "add it")
    if not args.inventory:
        raise UserError("--inventory", "is required with --backend baremetal", "give one")
    if args.topology:
        raise UserError(
            "--topology", "does not apply to bare metal", "declare mllb_topology in the inventory"
        )
    inventory = Path(args.inventory)
    name = args.name or baremetal.default_name(inventory)
    if args.dry_run:
        print(f"would adopt the hosts of {inventory} as bare-metal lab '{name}'")
        return 0
    state = baremetal.adopt(name, inventory, progress)
    if args.json:
        print(json.dumps(_row(state.name), indent=2))
    else:
        hosts = ", ".join(h.name for h in state.hosts)
        print(f"lab '{state.name}' adopted {len(state.hosts)} host(s): {hosts}")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    progress = Progress(quiet=False)
    if args.all == bool(args.name):
        raise UserError("NAME", "give a lab name or --all (not both)", "see 'mllb-lab status'")
    if args.all:
        states = lifecycle.down_all(args.timeout, progress)
    else:
        states = [lifecycle.down(lab_state.check_name(args.name, "NAME"), args.timeout, progress)]
    for state in states:
        print(f"lab '{state.name}' is {state.status}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    rows = lifecycle.status_rows()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no labs")
    for row in rows:
        print(
            f"{row['name']:<20} {row['status']:<8} {row['backend']:<8} {row['topology'] or '-':<8}"
            f" {row['nodes']} nodes {row['vcpus']} vCPUs {row['memory_mib']} MiB {row['accel']}"
            f"  ssh {row['ssh']}"
        )
    return 0


def cmd_ssh(args: argparse.Namespace) -> int:
    name = lab_state.check_name(args.name, "NAME")
    state = lab_state.load(name)
    if state is None:
        raise UserError("NAME", f"there is no lab named '{name}'", "see 'mllb-lab status'")
    if lifecycle.live_status(state) != "running":
        raise UserError("NAME", f"lab '{name}' is not running", "run 'mllb-lab up' for it first")
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    argv = ssh.ssh_argv(state)
    if not command and sys.stdin.isatty():
        argv.insert(1, "-t")
    return subprocess.call([*argv, *command])
