#!/usr/bin/env python3
"""The effect of the input domain (mllb_lab/ml/domain.py) on a capture heavier than training:
the same trained weights evaluated by the kernel's C code (Q21.11 and float), once clamping
each input to the training range (what a version 2 blob does in mllb.ko) and once not (a
version 1 blob), on every row of the given capture. Prints false keeps (CFS migrated, the
model kept), false migrates and accuracy, per workload and overall.

Usage: .venv/bin/python benchmarks/bench_input_domain.py --model MODEL_DIR --data FILE...
[--rows paper|asked] (MODEL_DIR from `mllb-lab train`, i.e. with an input_range; FILE:
decision records; asked: the rows a JC_SCHED kernel asks the model, from a JC capture).
Light (no TensorFlow, a few seconds for 300k rows); no lock needed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mllb_lab.ml.asked import select_asked
from mllb_lab.ml.cmlp import CModel
from mllb_lab.ml.datafiles import load_records
from mllb_lab.ml.features import build_features, required_columns
from mllb_lab.ml.modeldir import resolve_model
from mllb_lab.ml.weights import MlpWeights


def unclamped(w: MlpWeights) -> MlpWeights:
    return MlpWeights(
        w.w1, w.b1, w.w2, w.b2, list(w.features_order), w.threshold, w.output, w.feature_set
    )


def line(name: str, y: np.ndarray, dec: np.ndarray) -> str:
    mig = y == 1
    false_keep = int(np.sum(mig & ~dec))
    false_mig = int(np.sum(~mig & dec))
    return (
        f"{name:<26} rows {len(y):>7}  false keeps {false_keep:>6} "
        f"({false_keep / max(mig.sum(), 1):.3%} of CFS migrates)  false migrates "
        f"{false_mig:>5} ({false_mig / max((~mig).sum(), 1):.2%} of CFS keeps)  "
        f"accuracy {np.mean(dec == mig):.4%}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--data", type=Path, nargs="+", required=True)
    ap.add_argument("--rows", choices=("paper", "asked"), default="paper", help="as `train --rows`")
    args = ap.parse_args()
    w = resolve_model(args.model).weights
    if w.input_range is None:
        print("the model has no input_range: retrain it with this version", file=sys.stderr)
        return 2
    data, _ = load_records(args.data, required_columns(w.feature_set))
    if args.rows == "asked":  # only what a JC_SCHED kernel asks the model (a JC capture)
        data = select_asked(data, args.data, min_per_label=1)
    table = build_features(data, w.feature_set)
    x, y = table.x.astype(np.float64), table.y.astype(int)
    outside = ~np.all((x >= w.input_range.lo) & (x <= w.input_range.hi), axis=1)
    print(f"{len(x)} rows, {outside.mean():.2%} with a feature outside the training range")
    for i, name in enumerate(w.features_order):
        frac = np.mean((x[:, i] < w.input_range.lo[i]) | (x[:, i] > w.input_range.hi[i]))
        if frac > 0:
            print(
                f"  {name}: training [{w.input_range.lo[i]:g}, {w.input_range.hi[i]:g}], "
                f"capture [{x[:, i].min():g}, {x[:, i].max():g}], {frac:.2%} rows outside"
            )
    workloads = table.groups["workload"].to_numpy()
    for label, model in (("clamped (v2)", w), ("unclamped (v1)", unclamped(w))):
        cm = CModel.from_weights(model)
        for impl, dec in (
            ("c-fixed", cm.forward_fixed_from_float(x)[1]),
            ("c-float", cm.forward_float(x)[1]),
        ):
            print(line(f"{label} {impl}", y, dec))
            if impl == "c-fixed":
                for wl in sorted(set(workloads)):
                    sel = workloads == wl
                    print("  " + line(f"{wl}", y[sel], dec[sel]))
                print("  " + line("rows outside the range", y[outside], dec[outside]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
