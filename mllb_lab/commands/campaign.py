"""CLI: mllb-lab campaign FILE.yml [--lab NAME | --inventory FILE] [--resume] [--dry-run]."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mllb_lab.campaign import plan, runner, schema, targets
from mllb_lab.errors import UserError
from mllb_lab.progress import Progress


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("campaign", help="run a campaign file (workloads x hosts x repetitions)")
    p.add_argument(
        "file", metavar="FILE.yml", type=Path, help="campaign file (see docs/campaigns.md)"
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--lab", help="run on this lab's hosts (overrides targets.lab)")
    where.add_argument("--inventory", type=Path, help="run on a declared inventory (targets.group)")
    p.add_argument("--resume", action="store_true", help="continue the last run of this campaign")
    p.add_argument(
        "--dry-run", action="store_true", help="print the runs and commands, run nothing"
    )
    p.add_argument(
        "--results", type=Path, default=Path("results"), help="results folder (./results)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(func=cmd_campaign)


def cmd_campaign(args: argparse.Namespace) -> int:
    campaign, file_sha = schema.load(args.file)
    progress = Progress(quiet=False)
    lab = args.lab or (None if args.inventory else campaign.targets.lab)
    field = "--lab" if args.lab else f"{args.file}: targets.lab"
    if args.inventory is None and lab is None:
        raise UserError(
            f"{args.file}: targets", "no lab given", "set targets.lab or pass --lab NAME"
        )
    resolved = targets.resolve(
        lab, args.inventory, campaign.targets.group, field, progress, need_facts=not args.dry_run
    )
    if args.dry_run:
        rows = plan.plan_rows(campaign, resolved.hosts, resolved.facts)
        if args.json:
            print(
                json.dumps(
                    {"campaign": campaign.name, "targets": resolved.label, "runs": rows}, indent=2
                )
            )
        else:
            print(f"campaign {campaign.name} on {resolved.label}: {len(rows)} runs")
            print(plan.describe(rows))
        return 0
    out = runner.run(campaign, args.file, file_sha, resolved, args.results, args.resume, progress)
    summary = {
        "campaign_run": out.campaign_run,
        "folder": str(out.folder),
        "counts": out.counts,
        "failures": out.failures,
        "recoveries": out.recoveries,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        c = out.counts
        print(f"{out.campaign_run}: {c['ingested']} ingested, {c['failed']} failed -> {out.folder}")
        for r in out.recoveries:
            print(f"  {r['outcome']} {r['host']} after run {r['after_run']} ({r['power']})")
        for f in out.failures:
            print(f"  failed {f['run_id']} on {f['host']}: {f['error']}")
    return 0 if not out.failures else 3
