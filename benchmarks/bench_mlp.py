#!/usr/bin/env python3
"""Benchmark: training time on 500k synthetic records, and user-space ns per decision of the
kernel MLP (c-fixed, c-float) against a naive triple-loop version, side by side in one run.

Run it alone (heavy): flock /tmp/mllb-heavy.lock .venv/bin/python benchmarks/bench_mlp.py
Options: --rows N (training rows, default 500000), --epochs N (default 10, fixed budget, no
early stopping so runs compare), --skip-training, --passes N (timed passes over the decision
rows; the median is shown), --data FILE... (decision records, e.g. a capture's Parquet, for the
decision rows instead of synthetic ones), --clamp (a version 2 blob whose input domain is the
rows' own range: every call clamps, no output changes, so the cost of the clamp shows against
a run without it). Training data is synthetic (mllb_lab.ml.synthetic).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mllb_lab.ml.blob import build_blob
from mllb_lab.ml.cmlp import kmod_dir
from mllb_lab.ml.domain import InputRange
from mllb_lab.ml.features import build_features
from mllb_lab.ml.fixedpoint import input_to_fx
from mllb_lab.ml.synthetic import generate
from mllb_lab.ml.weights import load_weights

WEIGHTS = Path(__file__).resolve().parent.parent / "tests/unit/data/mllb-original-weights.json"


def bench_training(rows: int, epochs: int) -> None:
    from mllb_lab.ml.fit import fit
    from mllb_lab.ml.model import candidate

    t = time.perf_counter()
    table = build_features(generate(rows, seed=1), "paper15")
    print(
        f"records+features: {rows} rows -> {len(table)} after filters in "
        f"{time.perf_counter() - t:.1f} s"
    )
    for name in ("paper", "logit"):
        cfg = replace(candidate(name), epochs=epochs, patience=epochs)  # fixed budget
        t = time.perf_counter()
        fitted = fit(cfg, table, seed=0)
        dt = time.perf_counter() - t
        print(
            f"training {name:6s} batch {cfg.batch_size:4d}: {fitted.epochs_run} epochs in "
            f"{dt:6.1f} s ({dt / fitted.epochs_run:5.2f} s/epoch)"
        )


def decision_rows(data: list[Path]) -> tuple[np.ndarray, str]:
    """Feature rows in their recorded order: real records if given, else synthetic ones."""
    if data:
        from mllb_lab.ml.datafiles import load_records
        from mllb_lab.ml.features import required_columns

        df, _ = load_records(data, required_columns("paper15"))
        what = f"real records from {len(data)} file(s)"
    else:
        df, what = generate(20_000, seed=2), "synthetic records"
    return build_features(df, "paper15").x.astype(np.float64), what


def bench_decisions(passes: int, data: list[Path], clamp: bool) -> None:
    w = load_weights(WEIGHTS)
    x, what = decision_rows(data)
    if clamp:
        w = replace(w, input_range=InputRange.from_rows(x))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        subprocess.run(["make", "-s", "-C", str(kmod_dir()), f"O={tmp}", "bench"], check=True)
        flags = subprocess.run(
            ["make", "-s", "-C", str(kmod_dir()), "print-flags"], capture_output=True, text=True
        ).stdout
        (out / "m.blob").write_bytes(build_blob(w))
        header = np.array([len(x), x.shape[1]], "<u4").tobytes()
        body = x.astype("<f4").tobytes() + input_to_fx(x).astype("<i4").tobytes()
        (out / "rows.bin").write_bytes(header + body)
        res = subprocess.run(
            [str(out / "mllb_bench"), str(out / "m.blob"), str(out / "rows.bin"), str(passes)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    figures = {line.split()[0]: line.split()[1:] for line in res.splitlines()}
    median = {name: float(v[0]) for name, v in figures.items() if len(v) == 3}
    best = {name: float(v[1]) for name, v in figures.items() if len(v) == 3}
    nonzero = float(np.mean(x != 0)) * x.shape[1]
    fast, rows = (int(v) for v in figures["fast-rows"])
    print(
        f"decisions: {len(x)} feature rows ({what}, paper15), {nonzero:.1f} of 15 inputs "
        f"non-zero on average; the paper's published weights; median (min) over {passes} "
        "passes of timed 1000-row blocks, implementations interleaved; "
        + ("blob v2, inputs clamped to the rows' own range" if clamp else "blob v1, no clamp")
    )
    for line in flags.strip().splitlines():
        print(f"  flags {line}")
    labels = {
        "c-fixed": "c-fixed (kernel no-FPU flags)",
        "c-fixed-fresh": "c-fixed, row copied s32 by s32 first",
        "c-float": "c-float (user space: no kernel_fpu_begin)",
        "c-fixed-plain": "c-fixed, plain loops (fast path off)",
        "naive-fixed": "naive triple loop, same flags",
    }
    for name, label in labels.items():
        print(f"  {label:42s} {median[name]:7.2f} ns/decision ({best[name]:.2f})")
    print(
        f"  speed-up c-fixed vs naive: {median['naive-fixed'] / median['c-fixed']:.1f}x; "
        f"rows on the fast path: {fast}/{rows}; results differing from the plain loops "
        f"or the naive version: {int(figures['mismatches'][0])}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--passes", type=int, default=51, help="timed passes (median is shown)")
    ap.add_argument("--data", type=Path, nargs="*", default=[], help="record files to use")
    ap.add_argument("--skip-training", action="store_true")
    ap.add_argument("--clamp", action="store_true", help="clamp inputs (blob v2)")
    args = ap.parse_args()
    bench_decisions(args.passes, args.data, args.clamp)
    if not args.skip_training:
        bench_training(args.rows, args.epochs)


if __name__ == "__main__":
    main()
