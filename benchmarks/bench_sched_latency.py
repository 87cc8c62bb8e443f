"""can_migrate_task() and load_balance() latency in the guest: CFS vs ML float vs ML fixed.

The paper's Fig. 4 (BCC funclatency, same load on every kernel): fixed point 1.36x CFS, float
1.64x, load_balance +13%. Goal here: fixed <= 1.15x, load_balance <= +5%.

What it does: builds (or reuses) the NON-debug JC_SCHED variants (lockdep would distort the
latencies), boots a TCG lab and runs a bench campaign with the kernel axis
  toggle-fixed:off (CFS decides: TOGGLE with the switch off; the model is loaded but not asked)
  replace-float, replace-fixed (the model decides every soft decision)
with repetitions interleaved and benchmetrics on, so each run carries mllb-schedlat's
fentry/fexit latency histograms of both functions (log2 ns buckets, exact sum) under the same
hackbench load. The histograms of each kernel's runs are merged; mean is exact (sum of
latencies / calls over the kernel's runs), p50/p99 the upper bound of the log2 bucket, so their
ratios move in powers of two: the mean ratio is the figure to compare with the paper.
The model: --model takes a blob or a trained model folder (exported with `mllb-lab export
--format blob`); default the paper's published weights. Heavy: build the kernels first (one
`mllb-lab kernel build` per variant under the lock), then run it alone,
  flock /tmp/mllb-heavy.lock .venv/bin/python benchmarks/bench_sched_latency.py \
      --model /root/mllb-data/model-stress-idle [--topology 2x4x1]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mllb_lab.benchmetrics import read  # noqa: E402
from mllb_lab.benchmetrics.histogram import Histogram  # noqa: E402

WEIGHTS = REPO / "tests" / "unit" / "data" / "mllb-original-weights.json"
KERNELS = {"CFS": "toggle-fixed:off", "ML float": "replace-float", "ML fixed": "replace-fixed"}
FUNCS = ("can_migrate_task", "load_balance")


def cli(env: dict[str, str], *args: str, timeout: float = 7200) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mllb_lab", *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=timeout)  # fmt: skip


def must(proc: subprocess.CompletedProcess, what: str) -> str:
    if proc.returncode != 0:
        sys.exit(f"{what} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc.stdout


def build_kernels(env: dict[str, str]) -> None:
    for name in ("toggle-fixed", "replace-float", "replace-fixed"):
        mode, arith = name.split("-")
        flag = "--fixed-point" if arith == "fixed" else "--float"
        t0 = time.monotonic()
        must(cli(env, "kernel", "build", "--source", "6.1", "--mode", mode, flag), name)
        print(f"kernel {name}: ready in {time.monotonic() - t0:.0f} s", flush=True)


def model_blob(env: dict[str, str], path: Path | None, out: Path) -> Path:
    if path is not None and path.is_dir():  # a trained model: its in-kernel blob
        must(cli(env, "export", str(path), "--format", "blob", "--out", str(out)), "export")
        return out
    if path is not None:
        return path.resolve()
    from mllb_lab.ml.blob import build_blob
    from mllb_lab.ml.weights import load_weights

    out.write_bytes(build_blob(load_weights(WEIGHTS)))
    return out


def campaign_text(lab: str, blob: Path, seconds: int, reps: int, loops: int) -> str:
    kernels = ", ".join(KERNELS.values())
    return f"""\
name: latency
targets: {{lab: {lab}}}
capture: false
benchmetrics: true
duration: {seconds}
timeout_margin: 300
repetitions: {reps}
seed: 4
model: {blob}
kernels: [{kernels}]
workloads:
  - name: hackbench
    params: {{loops: {loops}}}
"""


def merged(results: Path) -> tuple[dict[str, dict[str, dict]], list[str]]:
    """{kernel entry: {function: {hist, calls, mean}}} over that kernel's runs; notes."""
    db = sqlite3.connect(results / "index.sqlite")
    rows = db.execute("SELECT kernel_requested, path, duration FROM runs").fetchall()
    db.close()
    out: dict[str, dict[str, dict]] = {}
    notes = []
    for kernel, path, duration in rows:
        artifacts = results / path / "artifacts"
        bm = read.read(artifacts, duration=duration)
        status = (artifacts / "benchmetrics" / "status.txt").read_text().strip()
        if status:
            notes.append(f"{kernel} {path}: {status}")
        if bm is None:
            continue
        notes += [f"{kernel} {path}: missing {m}" for m in bm.missing]
        for func, hist in bm.latency.items():
            slot = out.setdefault(kernel, {}).setdefault(func, {"hist": None, "total_ns": 0.0})
            slot["hist"] = hist if slot["hist"] is None else slot["hist"].merged(hist)
            slot["total_ns"] += hist.mean() * hist.total
    for funcs in out.values():
        for slot in funcs.values():
            h: Histogram = slot["hist"]
            slot["calls"] = h.total
            slot["mean"] = slot["total_ns"] / h.total if h.total else float("nan")
    return out, notes


def report(data: dict[str, dict[str, dict]]) -> None:
    base = data.get(KERNELS["CFS"], {})
    for func in FUNCS:
        print(f"\n{func} latency (ns; mllb-schedlat fentry/fexit, its overhead included)")
        print(f"  {'kernel':<10} {'entry':<18} {'calls':>9} {'mean':>8} {'p50':>7} {'p99':>8}"
              f" {'mean/CFS':>9} {'p50/CFS':>8} {'p99/CFS':>8}")  # fmt: skip
        for label, entry in KERNELS.items():
            slot = data.get(entry, {}).get(func)
            if slot is None:
                print(f"  {label:<10} {entry:<18} (no data: see the notes)")
                continue
            h: Histogram = slot["hist"]
            p50, p99 = h.quantile(0.5), h.quantile(0.99)
            ref = base.get(func)
            r_mean = slot["mean"] / ref["mean"] if ref else float("nan")
            r_p50 = p50 / ref["hist"].quantile(0.5) if ref else float("nan")
            r_p99 = p99 / ref["hist"].quantile(0.99) if ref else float("nan")
            print(f"  {label:<10} {entry:<18} {slot['calls']:>9} {slot['mean']:>8.0f} {p50:>7.0f}"
                  f" {p99:>8.0f} {r_mean:>8.2f}x {r_p50:>7.2f}x {r_p99:>7.2f}x")  # fmt: skip
    print("\npaper (Fig. 4): can_migrate_task fixed 1.36x, float 1.64x CFS; load_balance +13%")
    print("goal: can_migrate_task fixed <= 1.15x CFS, load_balance <= +5%")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--topology", default="2x2x2", help="at most 2x4x2 on a 2-core host")
    ap.add_argument("--seconds", type=int, default=30, help="hackbench seconds per run")
    ap.add_argument("--repetitions", type=int, default=2)
    ap.add_argument("--loops", type=int, default=100, help="hackbench loops per round")
    ap.add_argument(
        "--model",
        type=Path,
        help="model blob or trained model folder (default: the paper's weights)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the results folder")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    env = dict(os.environ, MLLB_LAB_HOME=str(tmp / "labs"))
    build_kernels(env)
    blob = model_blob(env, args.model, tmp / "model.blob")
    print(f"model: {args.model or WEIGHTS}", flush=True)
    book = tmp / "latency.yml"
    book.write_text(campaign_text("lat", blob, args.seconds, args.repetitions, args.loops))
    t0 = time.monotonic()
    must(cli(env, "up", "--topology", args.topology, "--name", "lat", "--kernel",
             KERNELS["CFS"].split(":")[0]), "up")  # fmt: skip
    try:
        kallsyms = must(cli(env, "ssh", "lat", "--", "grep -wE 'can_migrate_task|load_balance'"
                            " /proc/kallsyms"), "kallsyms")  # fmt: skip
        out = cli(env, "campaign", str(book), "--results", str(tmp / "results"), "--json")
    finally:
        cli(env, "down", "lat")
    took = time.monotonic() - t0
    try:  # exit 3 with some runs failed still leaves the others' figures worth printing
        summary = json.loads(out.stdout)
    except json.JSONDecodeError:
        must(out, "campaign")
        raise
    failures = summary.get("failures", [])
    data, notes = merged(tmp / "results")
    print(f"lab {args.topology} (TCG), hackbench loops={args.loops}, {args.seconds} s per run, "
          f"{args.repetitions} repetitions interleaved; {summary['counts']['ingested']} runs "
          f"in {took:.0f} s (boots included)")  # fmt: skip
    print("guest /proc/kallsyms: " + "; ".join(" ".join(x.split()[1:]) for x in
                                                kallsyms.splitlines()))  # fmt: skip
    report(data)
    for n in notes:
        print(f"note: {n}")
    for f in failures:
        print(f"FAILED run {f['run_id']}: {f['error']}")
    print(f"results: {tmp / 'results'}" if args.keep else "")


if __name__ == "__main__":
    main()
