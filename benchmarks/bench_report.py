"""Report generation time for a store of 100 runs holding 1M captured decisions.

The store is built through the real ingest path (mllb_lab/report/synthetic.py: workload output
through the real parsers, BCC-format benchmark files, tracer-format decision files, manifest,
index); then `report.build.build` loads every run (metrics, benchmark files, decision
summaries), computes the statistics and plots and writes the HTML. Prints the figures.

  .venv/bin/python benchmarks/bench_report.py [--runs 100] [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from mllb_lab.report import build, load, synthetic

KERNELS = {"6.1.0-cfs": 1.0, "6.1.0-mllb-fixed": 1.1}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    per_cell = len(KERNELS) * len(synthetic.BENCHMARKS)
    reps = max(1, args.runs // per_cell)
    runs = reps * per_cell
    per_run = args.rows // runs
    tmp = Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        results = tmp / "results"
        t0 = time.perf_counter()
        synthetic.add_campaign_run(
            results, "bench-20260101T000000Z", KERNELS, repetitions=reps, decisions=per_run
        )
        built = time.perf_counter() - t0
        print(f"store: {runs} runs, {per_run * runs:,} decisions, ingested in {built:.1f} s")
        t0 = time.perf_counter()
        loaded = load.load([results])
        print(f"load only (metrics, benchmark files, decision summaries): "
              f"{time.perf_counter() - t0:.2f} s")  # fmt: skip
        assert len(loaded.runs) == runs
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            build.build([results], tmp / "report.html")
            times.append(time.perf_counter() - t0)
        size = (tmp / "report.html").stat().st_size
        print(
            f"report: best {min(times):.2f} s, mean {sum(times) / len(times):.2f} s over"
            f" {args.repeat} (HTML {size / 1024:.0f} KiB); "
            f"{per_run * runs / min(times) / 1e6:.2f} M decision rows/s"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
