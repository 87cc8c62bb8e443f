"""Python reference of the kernel's Q21.11 arithmetic (kmod/mllb_fixed.h), for tests and for
converting weights at export. Vectorised with numpy int64.

- constants: round half away from zero of v * 2048, saturated to s32;
- inputs: truncation toward zero of v * 2048, saturated; this equals the kernel's int_to_fx for
  integer features and its (a << 11) / b for the ratio features (loads / 1000, faults share);
- products: (a * b) >> 11 in s64 (arithmetic shift, i.e. floor), one shift per product;
- decision: output > threshold (0.5 -> 1024).
"""

from __future__ import annotations

import numpy as np

SHIFT = 11
ONE = 1 << SHIFT
S32_MAX = 2**31 - 1
S32_MIN = -(2**31)


def saturate(v: np.ndarray) -> np.ndarray:
    return np.clip(v, S32_MIN, S32_MAX).astype(np.int64)


def const_to_fx(v: np.ndarray | float) -> np.ndarray:
    """Weights and thresholds: round half away from zero (the paper's constants)."""
    a = np.asarray(v, dtype=np.float64) * ONE
    return saturate(np.sign(a) * np.floor(np.abs(a) + 0.5))


def input_to_fx(v: np.ndarray | float) -> np.ndarray:
    """Feature values: truncate toward zero, as the kernel's fixed-point division does."""
    return saturate(np.trunc(np.asarray(v, dtype=np.float64) * ONE))


def fx_div(a: int, b: int) -> int:
    """(a << 11) / b with C's truncation toward zero."""
    num = a * ONE
    q = abs(num) // abs(b)
    return int(np.clip(q if (num >= 0) == (b > 0) else -q, S32_MIN, S32_MAX))


def forward_fx(
    w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: int, x: np.ndarray
) -> np.ndarray:
    """Q21.11 forward pass over rows of Q21.11 inputs; all arrays int64."""
    x = np.atleast_2d(x).astype(np.int64)
    prods = (x[:, :, None] * w1[None, :, :]) >> SHIFT  # one shift per product
    h = saturate(prods.sum(axis=1) + b1)
    h = np.maximum(h, 0)
    return saturate(((h * w2[None, :]) >> SHIFT).sum(axis=1) + b2)


def clamp_fx(x: np.ndarray, lo: np.ndarray | None, hi: np.ndarray | None) -> np.ndarray:
    """Q21.11 rows clamped into the model's input domain (kmod: clamp_fx in mllb_mlp_fx.c);
    unchanged when the model has none."""
    x = np.atleast_2d(x).astype(np.int64)
    return x if lo is None or hi is None else np.clip(x, lo, hi)
