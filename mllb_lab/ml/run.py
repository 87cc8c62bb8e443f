"""`mllb-lab model run`: evaluate a model on given rows with Keras, C float or C Q21.11."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mllb_lab.errors import UserError
from mllb_lab.ml.fixedpoint import ONE
from mllb_lab.ml.modeldir import ModelRef
from mllb_lab.ml.weights import MlpWeights

IMPLS = ("keras", "c-float", "c-fixed")


@dataclass
class Rows:
    x: np.ndarray  # float64 features
    labels: list[str]  # how each row is named in the output


def parse_input(text: str, n_in: int) -> Rows:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise UserError("--input", f"not a list of numbers: {text!r}", "e.g. 1,0,0.5,...") from None
    if len(values) != n_in:
        raise UserError("--input", f"{len(values)} values", f"the model takes {n_in}")
    if not all(math.isfinite(v) for v in values):
        raise UserError("--input", "contains NaN or infinity", "give finite numbers")
    return Rows(np.array([values]), ["row 0"])


def rows_from_file(path: Path, w: MlpWeights) -> Rows:
    """A file with one column per model feature, or decision records (features computed)."""
    from mllb_lab.ml.datafiles import check_column, load_records
    from mllb_lab.ml.features import build_features, required_columns

    probe, _ = load_records([path], [])
    if all(name in probe.columns for name in w.features_order):
        for name in w.features_order:
            col = probe[name]
            if not pd.api.types.is_numeric_dtype(col) or col.isna().any():
                check_column(probe, name, str(path))
        x = probe[w.features_order].to_numpy(np.float64)
        return Rows(x, [f"row {i}" for i in range(len(x))])
    missing = [c for c in required_columns(w.feature_set) if c not in probe.columns]
    if missing:
        raise UserError(
            f"{path}: column {missing[0]}",
            "missing (neither a feature file nor decision records)",
            f"give columns {', '.join(w.features_order)} or the record schema (docs/ml.md)",
        )
    table = build_features(probe, w.feature_set, where=str(path))
    src = table.groups["source_row"].to_numpy()
    return Rows(table.x.astype(np.float64), [f"row {int(r)}" for r in src])


def keras_forward(ref: ModelRef, x: np.ndarray) -> np.ndarray:
    """The Keras model of a model dir; for a weights file, a Keras model with those weights.
    Rows are clamped to the model's input domain first, as every other path does."""
    from mllb_lab.ml.model import ModelConfig, build_model, predict
    from mllb_lab.ml.tfenv import keras

    if ref.keras_path is not None:
        model = keras.models.load_model(ref.keras_path)
    else:
        w = ref.weights
        cfg = ModelConfig(name="loaded", hidden=w.n_hidden, output=w.output)
        model = build_model(cfg, w.n_in)
        model.get_layer("hidden").set_weights([w.w1, w.b1])
        model.get_layer("out").set_weights([w.w2.reshape(-1, 1), np.array([w.b2])])
    return predict(model, ref.weights.clip(x).astype(np.float32)).astype(np.float64)


def run_rows(ref: ModelRef, rows: Rows, impl: str) -> list[dict[str, object]]:
    from mllb_lab.ml.cmlp import CModel

    w = ref.weights
    if impl not in IMPLS:
        raise UserError("--impl", f"unknown implementation {impl!r}", f"one of {IMPLS}")
    results: list[dict[str, object]] = []
    if impl == "c-fixed":
        raw, dec = CModel.from_weights(w).forward_fixed_from_float(rows.x)
        for label, r, d in zip(rows.labels, raw, dec, strict=True):
            results.append(
                {"row": label, "raw": int(r), "output": int(r) / ONE, "decision": int(d)}
            )
        return results
    if impl == "c-float":
        out, dec = CModel.from_weights(w).forward_float(rows.x)
    else:
        out = keras_forward(ref, rows.x)
        dec = out > w.threshold
    for label, o, d in zip(rows.labels, out, dec, strict=True):
        results.append({"row": label, "output": float(o), "decision": int(d)})
    return results


def format_result(r: dict[str, object]) -> str:
    if "raw" in r:
        return f"{r['row']}: raw {r['raw']} ({r['output']:.5f}) decision {r['decision']}"
    return f"{r['row']}: {r['output']:.5f} decision {r['decision']}"
