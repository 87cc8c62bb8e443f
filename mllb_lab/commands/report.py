"""CLI: mllb-lab report RESULTS... --out report.html [--baseline G] [--group-by ...] [--json]."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mllb_lab.errors import UserError
from mllb_lab.report.analysis import GROUP_BY


def noise_fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not a number") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError("must be a fraction in [0, 1), e.g. 0.05 for 5%")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="statistics and plots of results stores -> one HTML file")
    p.add_argument(
        "results", nargs="+", type=Path, metavar="RESULTS", help="results stores or campaign runs"
    )
    p.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    p.add_argument(
        "--group-by", choices=sorted(GROUP_BY), default="kernel", help="what is compared (kernel)"
    )
    p.add_argument("--baseline", help="the group the others are compared with (default: first)")
    p.add_argument("--model", type=Path, help="a model directory whose metrics.json to include")
    p.add_argument(
        "--noise", type=noise_fraction, default=0.05, help="relative change ignored (0.05)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable summary on stdout")
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from mllb_lab.report.build import build

    if args.out.suffix.lower() not in (".html", ".htm"):
        raise UserError("--out", f"{args.out} is not an .html file", "name it REPORT.html")
    summary, text = build(
        args.results, args.out, args.group_by, args.baseline, args.model, args.noise
    )
    if args.json:
        print(json.dumps(summary, indent=2))
        for s in summary["skipped"]:  # the text summary lists them itself
            sys.stderr.write(f"mllb-lab: skipped {s['name']}: {s['reason']}\n")
    else:
        print(text)
        print(f"report: {args.out}")
    return 0
