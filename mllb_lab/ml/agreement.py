"""Proof that the C code decides like the trained model: Keras (or the float64 reference)
against c-float and c-fixed on the same rows, every disagreement listed with its row."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mllb_lab.ml.cmlp import CModel
from mllb_lab.ml.fixedpoint import ONE
from mllb_lab.ml.weights import MlpWeights

FLOAT_GATE = 1.0  # c-float must take every decision the reference takes
FIXED_GATE = 0.999
MAX_LISTED = 200  # disagreements written out in full; the count is always exact


@dataclass
class Agreement:
    reference: str  # "keras" or "numpy-float64"
    rows: int
    c_float_agree: float
    c_fixed_agree: float
    c_float_max_abs_diff: float
    c_fixed_max_abs_diff: float
    disagreements: list[dict[str, object]] = field(default_factory=list)
    disagreement_count: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.c_float_agree >= FLOAT_GATE and self.c_fixed_agree >= FIXED_GATE

    def to_json(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "rows": self.rows,
            "c_float_agree": self.c_float_agree,
            "c_fixed_agree": self.c_fixed_agree,
            "c_float_max_abs_diff": self.c_float_max_abs_diff,
            "c_fixed_max_abs_diff": self.c_fixed_max_abs_diff,
            "gates": {"c_float": FLOAT_GATE, "c_fixed": FIXED_GATE},
            "passed": self.passed,
            "disagreement_count": self.disagreement_count,
            "disagreements": self.disagreements,
        }


def _row_label(groups: pd.DataFrame | None, i: int) -> dict[str, object]:
    if groups is None or "source_row" not in groups:
        return {"row": i}
    return {
        "row": i,
        "source_file": str(groups["source_file"].iloc[i]),
        "source_row": int(groups["source_row"].iloc[i]),
    }


def check_agreement(
    weights: MlpWeights,
    x: np.ndarray,
    reference_out: np.ndarray | None = None,
    groups: pd.DataFrame | None = None,
) -> Agreement:
    """`reference_out` is the Keras output per row; without it the float64 reference is used."""
    ref_name = "keras" if reference_out is not None else "numpy-float64"
    ref = weights.forward(x) if reference_out is None else np.asarray(reference_out, np.float64)
    ref_dec = ref > weights.threshold
    cm = CModel.from_weights(weights)
    f_out, f_dec = cm.forward_float(x)
    q_raw, q_dec = cm.forward_fixed_from_float(x)
    q_out = q_raw.astype(np.float64) / ONE
    listed: list[dict[str, object]] = []
    counts = {}
    for impl, dec, out in (("c-float", f_dec, f_out), ("c-fixed", q_dec, q_out)):
        bad = np.flatnonzero(dec != ref_dec)
        counts[impl] = len(bad)
        for i in bad[:MAX_LISTED]:
            entry = _row_label(groups, int(i))
            entry.update(
                impl=impl,
                reference_output=float(ref[i]),
                c_output=float(out[i]),
                reference_decision=int(ref_dec[i]),
                c_decision=int(dec[i]),
                features=[float(v) for v in x[i]],
            )
            listed.append(entry)
    n = len(ref)
    return Agreement(
        reference=ref_name,
        rows=n,
        c_float_agree=float(np.mean(f_dec == ref_dec)) if n else 1.0,
        c_fixed_agree=float(np.mean(q_dec == ref_dec)) if n else 1.0,
        c_float_max_abs_diff=float(np.max(np.abs(f_out - ref))) if n else 0.0,
        c_fixed_max_abs_diff=float(np.max(np.abs(q_out - ref))) if n else 0.0,
        disagreements=listed,
        disagreement_count=counts,
    )
