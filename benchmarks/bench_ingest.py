"""Results-store ingest speed on the controller: rows per second through store.ingest().

One ingest = verify the sha256 manifest, convert the tracer's file to decision records with
provenance, write Parquet, fsync, rename into place and commit the index row. The tracer file
is written in the tracer's format by mllb_lab.capture.writer (the goal: >= 1M rows/s).

  .venv/bin/python benchmarks/bench_ingest.py [--rows 2000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from mllb_lab.campaign import capture_hook
from mllb_lab.capture.writer import STOCK_61, synthetic_records, write_capture
from mllb_lab.results import manifest, store
from mllb_lab.results.export import export
from mllb_lab.results.index import IndexRow

CR = "bench-20260101T000000Z"


def index_row(run_id: str) -> IndexRow:
    return IndexRow(
        run_id=run_id, campaign="bench", campaign_run=CR, host="h", topology="2x14x2", cpus=56,
        numa_nodes=2, kernel_release="6.1.0", kernel_config_sha256="0" * 64,
        kernel_requested="stock", workload="hackbench", params="{}", regime="bursty",
        repetition=1, seed=0, capture=1, duration=60, exit_code=0, decisions=0, lost=None,
    )  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-ingest-", dir="/var/tmp"))
    try:
        records = synthetic_records(args.rows, nr_cpus=56, nr_nodes=2)
        source = root / "source.bin"
        write_capture(source, records, capabilities=STOCK_61)
        size_mb = source.stat().st_size / 1e6
        print(f"tracer file: {args.rows:,} records, {size_mb:.1f} MB")
        results = root / "results"
        rates = []
        for i in range(args.repeat):
            run_id = f"hackbench-r{i}-bench"
            work = store.staging_dir(results, CR, run_id, 1)
            (work / "artifacts").mkdir(parents=True)
            shutil.copyfile(source, work / "artifacts" / capture_hook.CAPTURE_FILE)
            manifest.write(work / "artifacts")
            t0 = time.perf_counter()
            row = store.ingest(results, index_row(run_id), work, {}, capture_hook.write_decisions)
            took = time.perf_counter() - t0
            rates.append(row.decisions / took)
            cold = " (includes one-time imports)" if i == 0 else ""
            line = f"ingest {i + 1}: {row.decisions:,} rows in {took:.2f} s"
            print(f"{line} = {rates[-1]:,.0f} rows/s{cold}")
        t_verify = time.perf_counter()
        manifest.verify(store.run_dir(results, CR, "hackbench-r0-bench") / "artifacts")
        verify_s = time.perf_counter() - t_verify
        print(f"manifest verify alone: {size_mb / verify_s:,.0f} MB/s")
        t0 = time.perf_counter()
        info = export(results, root / "dataset.parquet")
        took = time.perf_counter() - t0
        print(f"export: {info['rows']:,} rows from {info['runs']} runs in {took:.2f} s"
              f" = {info['rows'] / took:,.0f} rows/s")  # fmt: skip
        warm = rates[1:] or rates
        median = sorted(warm)[len(warm) // 2]
        print(f"ingest rows/s (warm): best {max(warm):,.0f}, median {median:,.0f}"
              " (goal >= 1,000,000)")  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
