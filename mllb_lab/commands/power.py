"""CLI: mllb-lab power on|off|cycle|status (--lab NAME | --inventory FILE HOST) [--json]."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mllb_lab.errors import UserError
from mllb_lab.power.base import ACTIONS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("power", help="power a lab guest or a bare-metal host on, off, or cycle it")
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("host", nargs="?", help="inventory host name (with --inventory)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--lab", help="a QEMU lab (QMP)")
    where.add_argument("--inventory", type=Path, help="a declared inventory with mllb_power")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_power)


def cmd_power(args: argparse.Namespace) -> int:
    from mllb_lab.power import choose

    if args.inventory:
        if not args.host:
            raise UserError("HOST", "missing", "name the inventory host to power")
        driver = choose.for_inventory(args.inventory, args.host)
    else:
        driver = choose.for_lab(args.lab)
    state = driver.run(args.action)
    if args.json:
        print(json.dumps({"host": driver.host, "action": args.action, "state": state}))
    else:
        print(f"{driver.host}: {args.action}: power is {state}")
    return 0
