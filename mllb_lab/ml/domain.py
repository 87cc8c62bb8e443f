"""The model's input domain: per feature, the range [lo, hi] of the values training saw.

A ReLU MLP extrapolates linearly outside the region it was fitted on, so a heavier load than
the training capture (longer queues, higher loads) can push it to confident wrong answers.
Every inference path clamps each input to [lo, hi] first: Keras evaluation, the float64
reference, the C MLP (float and Q21.11) and mllb.ko. The range is data, stored beside the
weights (weights.json "input_range", blob version 2), not a Keras layer (docs/ml.md).

Bounds are snapped outward to numbers that are exact both as float32 and as Q21.11 (k / 2048,
k in s32), so the float and the fixed-point clamp are the same clamp: for a monotone rounding r,
r(clip(x, lo, hi)) == clip(r(x), r(lo), r(hi)), and r(lo) == lo when lo is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mllb_lab.errors import UserError
from mllb_lab.ml.fixedpoint import ONE, S32_MAX, S32_MIN

SOURCE = "training rows (after build_features), snapped outward to float32 and Q21.11"


def _snap(v: np.ndarray, up: bool) -> np.ndarray:
    """The nearest value at or beyond v (outward) that is exact in float32 and in Q21.11."""
    k = np.ceil(v * ONE) if up else np.floor(v * ONE)
    grid = k / ONE
    f32 = grid.astype(np.float32)
    # Beyond 2^12 in magnitude float32 spacing is a multiple of 1/2048: step outward in float32.
    inexact = f32.astype(np.float64) != grid
    if np.any(inexact):
        toward = np.float32(np.inf if up else -np.inf)
        stepped = np.nextafter(f32, toward)
        f32 = np.where(inexact & ((f32 < grid) if up else (f32 > grid)), stepped, f32)
    return f32.astype(np.float64)


def is_exact(v: np.ndarray) -> np.ndarray:
    """Whether each value is exactly a float32 and exactly k / 2048 with k in s32."""
    v = np.asarray(v, dtype=np.float64)
    k = v * ONE
    return (
        np.isfinite(v)
        & (v.astype(np.float32).astype(np.float64) == v)
        & (np.floor(k) == k)
        & (k >= S32_MIN)
        & (k <= S32_MAX)
    )


@dataclass(frozen=True)
class InputRange:
    lo: np.ndarray  # float64, each exact in float32 and Q21.11
    hi: np.ndarray

    @classmethod
    def from_rows(cls, x: np.ndarray) -> InputRange:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or len(x) == 0:
            raise UserError("DATA", "no training rows to take the input range from", None)
        lo, hi = _snap(x.min(axis=0), up=False), _snap(x.max(axis=0), up=True)
        bad = np.flatnonzero(~(is_exact(lo) & is_exact(hi)))
        if len(bad):
            raise UserError(
                f"DATA: feature {int(bad[0])}",
                f"training values reach {x[:, bad[0]].min()}..{x[:, bad[0]].max()}, outside "
                "Q21.11 (|v| < 2^20)",
                "check the capture: no feature of the paper gets that large",
            )
        return cls(lo, hi)

    def clip(self, x: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(x, dtype=np.float64), self.lo, self.hi)

    def fixed(self) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi) in Q21.11, int64: exact, so no rounding rule is involved."""
        return (np.rint(self.lo * ONE).astype(np.int64), np.rint(self.hi * ONE).astype(np.int64))

    def to_json(self) -> dict[str, Any]:
        return {"lo": self.lo.tolist(), "hi": self.hi.tolist(), "source": SOURCE}


def range_from_json(doc: Any, n_in: int, where: str) -> InputRange:
    """Parse and check weights.json's "input_range"; every problem names the field."""
    field = f"{where}: input_range"
    if not isinstance(doc, dict) or "lo" not in doc or "hi" not in doc:
        raise UserError(field, "must be an object with lo and hi lists", "retrain or remove it")
    arrs = []
    for key in ("lo", "hi"):
        try:
            arr = np.asarray(doc[key], dtype=np.float64)
        except (TypeError, ValueError):
            raise UserError(f"{field}.{key}", "not a list of numbers", "retrain") from None
        if arr.shape != (n_in,):
            raise UserError(f"{field}.{key}", f"has shape {arr.shape}", f"expected ({n_in},)")
        bad = np.flatnonzero(~is_exact(arr))
        if len(bad):
            raise UserError(
                f"{field}.{key}[{int(bad[0])}]",
                f"{arr[bad[0]]!r} is not exactly a float32 and a Q21.11 value (k/2048, |v|<2^20)",
                "retrain: training writes exact bounds",
            )
        arrs.append(arr)
    lo, hi = arrs
    bad = np.flatnonzero(lo > hi)
    if len(bad):
        i = int(bad[0])
        raise UserError(f"{field}", f"lo[{i}] = {lo[i]} > hi[{i}] = {hi[i]}", "retrain")
    return InputRange(lo, hi)
