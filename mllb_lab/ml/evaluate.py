"""Metrics: accuracy and confusion matrices, overall and per regime / kernel / workload /
balancing type, each with a 95% confidence interval (small groups such as idle need one)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

GROUP_COLUMNS = ("regime", "kernel", "workload", "balance")
Z95 = 1.959964  # two-sided 95% normal quantile


def wilson_interval(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion: honest near 100% and for small n (the normal
    approximation would reach past 1)."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def confusion(y: np.ndarray, pred: np.ndarray) -> dict[str, object]:
    y, pred = np.asarray(y).astype(bool), np.asarray(pred).astype(bool)
    tp = int(np.sum(y & pred))
    tn = int(np.sum(~y & ~pred))
    fp = int(np.sum(~y & pred))
    fn = int(np.sum(y & ~pred))
    n = len(y)
    lo, hi = wilson_interval(tp + tn, n)
    return {
        "rows": n,
        "accuracy": (tp + tn) / n if n else float("nan"),
        "ci95": [lo, hi],
        "tp": tp,
        "tn": tn,
        "fp": fp,
        "fn": fn,
    }


def balance_kind(names: list[str], x: np.ndarray) -> np.ndarray:
    """env->idle of each row from its one-hot features: idle / newly_idle / not_idle."""
    kinds = np.full(len(x), "unknown", dtype=object)
    for feature, kind in (
        ("cpu_idle", "idle"),
        ("cpu_newly_idle", "newly_idle"),
        ("cpu_not_idle", "not_idle"),
    ):
        if feature in names:
            kinds[x[:, names.index(feature)] > 0.5] = kind
    return kinds


def by_group(y: np.ndarray, pred: np.ndarray, groups: pd.DataFrame) -> dict[str, object]:
    """Overall plus one confusion matrix per value of each provenance column."""
    out: dict[str, object] = {"all": confusion(y, pred)}
    for col in GROUP_COLUMNS:
        if col not in groups:
            continue
        values = groups[col].to_numpy()
        out[col] = {
            str(v): confusion(y[values == v], pred[values == v]) for v in sorted(set(values))
        }
    return out
