"""CLI: mllb-lab results list [--json] | results export --out FILE.parquet [filters]."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mllb_lab.errors import UserError
from mllb_lab.results import index
from mllb_lab.results.export import export


def add_filters(p: argparse.ArgumentParser) -> None:
    for name in index.FILTERS:
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, help=f"only runs with this {name}")


def register(sub: argparse._SubParsersAction) -> None:
    res = sub.add_parser("results", help="ingested campaign runs: list, export a dataset")
    res_sub = res.add_subparsers(dest="results_command", metavar="ACTION")
    res_sub.required = True
    ls = res_sub.add_parser("list", help="list ingested runs with their provenance")
    ls.add_argument(
        "--results", type=Path, default=Path("results"), help="results folder (./results)"
    )
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    add_filters(ls)
    ls.set_defaults(func=cmd_list)
    ex = res_sub.add_parser("export", help="decisions of the selected runs -> one Parquet file")
    ex.add_argument("--out", type=Path, required=True, help="FILE.parquet for `mllb-lab train`")
    ex.add_argument(
        "--results", type=Path, default=Path("results"), help="results folder (./results)"
    )
    ex.add_argument("--json", action="store_true", help="machine-readable output")
    add_filters(ex)
    ex.set_defaults(func=cmd_export)


def filters_of(args: argparse.Namespace) -> dict[str, str | None]:
    return {name: getattr(args, name) for name in index.FILTERS}


def cmd_list(args: argparse.Namespace) -> int:
    if not (args.results / index.INDEX).is_file():
        raise UserError("--results", f"no results index in {args.results}", "run a campaign first")
    db = index.connect(args.results)
    try:
        rows = index.query(db, **filters_of(args))
    finally:
        db.close()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        params = " ".join(f"{k}={v}" for k, v in sorted(r["params"].items()))
        print(
            f"{r['campaign_run']:<28} {r['run_id']:<30} {r['host']:<10} {r['workload']:<16}"
            f" {params:<18} {r['regime']:<9} {r['kernel_release']:<18} rc={r['exit_code']}"
            f" decisions={r['decisions']}" + agreement_text(r["metrics"])
        )
    print(f"{len(rows)} runs")
    return 0


def agreement_text(metrics: dict) -> str:
    """The agreement harvest's column (campaign `agreement: true`), when the run has one."""
    if metrics.get("agreement_decisions") is None:
        return ""
    share = metrics.get("agreement")
    value = "n/a" if share is None else f"{share:.4%}"
    return f" agreement={value} of {metrics['agreement_decisions']}"


def cmd_export(args: argparse.Namespace) -> int:
    if args.out.suffix != ".parquet":
        raise UserError("--out", f"{args.out} is not a .parquet file", "name it FILE.parquet")
    info = export(args.results, args.out, **filters_of(args))
    if args.json:
        print(json.dumps(info))
    else:
        print(f"{info['rows']} decisions from {info['runs']} runs -> {info['out']}")
    return 0
