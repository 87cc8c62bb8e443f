"""Metrics: accuracy and confusion matrices, overall and per regime / kernel / workload."""

from __future__ import annotations

import numpy as np
import pandas as pd

GROUP_COLUMNS = ("regime", "kernel", "workload")


def confusion(y: np.ndarray, pred: np.ndarray) -> dict[str, float | int]:
    y, pred = np.asarray(y).astype(bool), np.asarray(pred).astype(bool)
    tp = int(np.sum(y & pred))
    tn = int(np.sum(~y & ~pred))
    fp = int(np.sum(~y & pred))
    fn = int(np.sum(y & ~pred))
    n = len(y)
    return {
        "rows": n,
        "accuracy": (tp + tn) / n if n else float("nan"),
        "tp": tp,
        "tn": tn,
        "fp": fp,
        "fn": fn,
    }


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
