"""Per-group evaluation: confusion matrices with Wilson 95% intervals, the balancing type of a
row, and groups that keep rows apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mllb_lab.ml.evaluate import balance_kind, by_group, confusion, wilson_interval


def test_wilson_interval_matches_hand_computed_values() -> None:
    lo, hi = wilson_interval(95, 100)
    assert lo == pytest.approx(0.8882, abs=1e-4) and hi == pytest.approx(0.9784, abs=1e-4)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson_interval(10, 10)  # all right: the interval still admits errors
    assert hi == pytest.approx(1.0) and lo == pytest.approx(0.7225, abs=1e-4)
    assert all(np.isnan(wilson_interval(0, 0)))


def test_interval_narrows_with_rows() -> None:
    small = wilson_interval(98, 100)
    large = wilson_interval(9800, 10000)
    assert large[1] - large[0] < (small[1] - small[0]) / 5


def test_confusion_counts_and_interval() -> None:
    y = np.array([1, 1, 0, 0, 1])
    pred = np.array([1, 0, 0, 1, 1])
    cm = confusion(y, pred)
    assert (cm["tp"], cm["tn"], cm["fp"], cm["fn"], cm["rows"]) == (2, 1, 1, 1, 5)
    assert cm["accuracy"] == 0.6
    assert cm["ci95"][0] < 0.6 < cm["ci95"][1]


def test_balance_kind_reads_the_one_hot_features() -> None:
    names = ["src_len", "cpu_idle", "cpu_not_idle", "cpu_newly_idle"]
    x = np.array([[3, 1, 0, 0], [3, 0, 1, 0], [3, 0, 0, 1], [3, 0, 0, 0]], dtype=np.float32)
    assert list(balance_kind(names, x)) == ["idle", "not_idle", "newly_idle", "unknown"]


def test_by_group_splits_rows_by_each_column() -> None:
    y = np.array([1, 1, 0, 1])
    pred = np.array([1, 0, 0, 1])
    groups = pd.DataFrame({"regime": ["idle", "idle", "load50", "load50"],
                           "balance": ["idle", "newly_idle", "idle", "idle"]})  # fmt: skip
    out = by_group(y, pred, groups)
    assert out["all"]["rows"] == 4 and out["regime"]["idle"]["accuracy"] == 0.5
    assert out["regime"]["load50"]["accuracy"] == 1.0
    assert out["balance"]["idle"]["rows"] == 3 and "kernel" not in out
