"""CLI: mllb-lab nightly FILE.yml [--compare-only [--all]] [--lab NAME | --inventory FILE].

Exit codes: 0 no regression; 4 regression beyond noise; 3 campaign runs failed; 2 bad input.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mllb_lab.errors import UserError
from mllb_lab.nightly import config
from mllb_lab.nightly.run import EXIT_REGRESSION, nightly
from mllb_lab.progress import Progress


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "nightly", help="run a campaign, compare with the baseline, flag regressions"
    )
    p.add_argument("file", metavar="FILE.yml", type=Path, help="nightly file (see docs/nightly.md)")
    p.add_argument(
        "--compare-only", action="store_true", help="evaluate the newest run, run nothing"
    )
    p.add_argument(
        "--all", action="store_true", help="with --compare-only: re-evaluate every run, in order"
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--lab", help="run on this lab (overrides the nightly file)")
    where.add_argument("--inventory", type=Path, help="run on a declared inventory")
    p.add_argument("--json", action="store_true", help="machine-readable verdicts on stdout")
    p.set_defaults(func=cmd_nightly)


def cmd_nightly(args: argparse.Namespace) -> int:
    cfg = config.load(args.file)
    if args.all and not args.compare_only:
        raise UserError("--all", "only with --compare-only", "add --compare-only")
    out = nightly(
        cfg,
        args.file,
        args.compare_only,
        args.all,
        args.lab,
        args.inventory,
        Progress(quiet=args.json),
    )
    regression = any(ev.verdict == "regression" for ev in out.evaluations[-1:])
    if args.json:
        doc = {
            "evaluations": [ev.entry() for ev in out.evaluations],
            "failed_runs": out.failed_runs,
            "reports": [str(p) for p in out.reports],
        }
        print(json.dumps(doc, indent=2, default=str))
    else:
        for ev, report in zip(out.evaluations, out.reports, strict=True):
            print(f"{ev.campaign_run}: {ev.verdict} against {ev.baseline or '-'}"
                  f" ({ev.compared} comparisons) -> {report}")  # fmt: skip
            for r in ev.regressions:
                print(
                    f"  REGRESSION {r['benchmark']} {r['metric']}: {r['baseline_mean']:.4g}"
                    f" -> {r['mean']:.4g} ({r['change_pct']:+.1f}%, Welch p {r['welch_p']:.2g})"
                )
        for f in out.failed_runs:
            print(f"  failed {f['run_id']} on {f['host']}: {f['error']}")
    if out.failed_runs:
        return 3
    return EXIT_REGRESSION if regression else 0
