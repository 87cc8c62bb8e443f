"""CLI: `mllb-lab capture NAME` (trace can_migrate_task() on a lab) and `capture convert`."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from mllb_lab.errors import UserError
from mllb_lab.progress import Progress


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the top-level parser."""
    cap = sub.add_parser("capture", help="record can_migrate_task() decisions on a lab")
    cap.add_argument("name", metavar="NAME", help="a running lab (see 'mllb-lab status')")
    cap.add_argument("--duration", type=int, default=30, help="seconds to capture (default 30)")
    cap.add_argument("--workload-cmd", help="shell command run on the host while capturing")
    cap.add_argument("--out", required=True, help="Parquet file (one host) or folder (several)")
    cap.add_argument("--ring-mb", type=int, default=64, help="ring buffer MiB (power of two)")
    cap.add_argument("--regime", default="unknown", help="provenance: load regime of this run")
    cap.add_argument("--workload", default=None, help="provenance: workload name")
    cap.add_argument("--keep-raw", action="store_true", help="also keep the tracer's .bin file")
    cap.add_argument("--json", action="store_true", help="print the summary as JSON")
    cap.set_defaults(func=cmd_capture)

    conv = sub.add_parser("capture-convert", help="convert a tracer .bin file to Parquet")
    conv.add_argument("src", metavar="FILE.bin")
    conv.add_argument("--out", required=True, help="Parquet file to write")
    conv.add_argument("--regime", default="unknown")
    conv.add_argument("--workload", default="unknown")
    conv.add_argument("--run-id", default="unknown")
    conv.add_argument("--json", action="store_true", help="print the summary as JSON")
    conv.set_defaults(func=cmd_convert)


def _print(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, sort_keys=True))
        return
    lost = summary.get("lost")
    lost_text = "unknown (tracer did not stop cleanly)" if lost is None else str(lost)
    sys.stderr.write(
        f"{summary.get('out', '')}: {summary.get('rows')} decisions, lost {lost_text}, "
        f"labels {summary.get('labels')}, kernel {summary.get('kernel_release')}\n"
    )
    for warning in summary.get("warnings", []):
        sys.stderr.write(f"warning: {warning}\n")


def cmd_convert(args: argparse.Namespace) -> int:
    from mllb_lab.capture.convert import convert_file

    provenance = {"regime": args.regime, "workload": args.workload, "run_id": args.run_id}
    _, summary = convert_file(Path(args.src), Path(args.out), provenance)
    summary["out"] = args.out
    _print(summary, args.json)
    return 0


def cmd_capture(args: argparse.Namespace) -> int:
    from mllb_lab.capture.convert import convert_file
    from mllb_lab.capture.tracer import capture_on_lab

    out = Path(args.out)
    if out.suffix != ".parquet" and out.exists() and not out.is_dir():
        raise UserError("--out", f"{out} exists and is not a folder", "give a .parquet name")
    progress = Progress(quiet=args.json)
    captures = capture_on_lab(
        args.name,
        duration=args.duration,
        workload_cmd=args.workload_cmd,
        ring_mb=args.ring_mb,
        progress=progress,
    )
    single = out.suffix == ".parquet" and len(captures) == 1
    summaries = []
    for cap in captures:
        target = out if single else out / f"{cap.host}.parquet"
        provenance = {
            "regime": args.regime,
            "workload": args.workload or (args.workload_cmd or "none"),
            "run_id": cap.records_file.parent.parent.parent.name,  # the Ansible run ident
        }
        _, summary = convert_file(cap.records_file, target, provenance)
        summary.update(host=cap.host, out=str(target), tracer=cap.summary)
        if args.keep_raw:
            shutil.copy(cap.records_file, target.with_suffix(".bin"))
        summaries.append(summary)
        if not args.json:
            _print(summary, as_json=False)
    if args.json:
        print(json.dumps(summaries if len(summaries) > 1 else summaries[0], sort_keys=True))
    return 0
