"""The module's C feature code (kmod/mllb_features*.c) against features.py, the definition the
models are trained on: on real captured records and on edge cases. Float must be float32 of
Python's value exactly; Q21.11 must be trunc(value * 2048) saturated (fixedpoint.input_to_fx),
the kernel's (a << 11) / b rule.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mllb_lab.errors import UserError
from mllb_lab.kmod.lb_in import LB_IN_DTYPE, records_to_lb_in
from mllb_lab.ml.cmlp import c_features
from mllb_lab.ml.features import FEATURE_SETS, build_features, extra_columns, paper_columns
from mllb_lab.ml.fixedpoint import S32_MAX, S32_MIN, input_to_fx

RECORDS = Path(__file__).parent / "data" / "kmod_records.parquet"  # sampled from a real capture
SETS = ("paper15", "extended")


def python_features(df: pd.DataFrame, name: str) -> np.ndarray:
    """features.py's float64 values for every row (no row filter), in the set's order."""
    cols = paper_columns(df) | extra_columns(df)
    return np.column_stack([cols[f] for f in FEATURE_SETS[name].features])


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return pd.read_parquet(RECORDS)


@pytest.mark.parametrize("name", SETS)
def test_float_features_equal_python_on_real_records(records: pd.DataFrame, name: str) -> None:
    got = c_features(records_to_lb_in(records), name, "float")
    want = python_features(records, name).astype(np.float32)
    assert got.shape == (len(records), len(FEATURE_SETS[name].features))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", SETS)
def test_fixed_features_equal_python_on_real_records(records: pd.DataFrame, name: str) -> None:
    got = c_features(records_to_lb_in(records), name, "fixed")
    np.testing.assert_array_equal(got, input_to_fx(python_features(records, name)))


def test_real_records_exercise_the_ratio_paths(records: pd.DataFrame) -> None:
    """The sample must hold the interesting rows, or the tests above prove little."""
    assert (records["total_faults"] != 0).sum() > 50
    assert ((records["delta_faults"] != 0) & (records["total_faults"] != 0)).any()
    assert (records["src_load"] % 1000 != 0).sum() > 100
    assert (records["delta"] < 500_000).any() and (records["delta"] >= 500_000).any()


def test_c_features_equal_the_training_table(records: pd.DataFrame) -> None:
    """On the rows the paper's filters keep, C float features are build_features()'s x."""
    table = build_features(records, "extended")
    kept = records[(records["p_running"] == 0) & (records["test_aggressive"] == 1)]
    np.testing.assert_array_equal(c_features(records_to_lb_in(kept), "extended", "float"), table.x)


def edge_rows() -> pd.DataFrame:
    """Boundaries of every derived feature, saturation, signs and empty denominators."""
    big = 2**63 - 1
    rows = [
        {"delta": 499_999, "src_len": 0, "src_preferred_len": 0},
        {"delta": 500_000, "src_len": 1, "src_preferred_len": 0, "nr_fails": 2},
        {"delta": -7, "src_len": 2, "src_preferred_len": 3, "cache_nice_tries": 2, "nr_fails": 2},
        {"delta": big, "src_len": 2**32 - 1, "dst_len": 2**32 - 1},
        {"src_load": 999, "dst_load": 1001, "delta_faults": -5, "total_faults": 3},
        {"src_load": 1_048_575_999, "dst_load": 1_048_576_000, "delta_faults": 7},
        {"src_load": 2**40 + 3, "dst_load": 2**63 + 5, "delta_faults": -(2**40)},
        {"delta_faults": 3, "total_faults": 2**60 + 1, "group_delta_faults": -(2**62)},
        {"delta_faults": -(2**20), "total_faults": 1, "group_delta_faults": 2**20 - 1},
        {"delta_faults": 1, "total_faults": 2048, "group_total_faults": 3, "group_delta_faults": 1},
        {"cpu_idle": 1, "same_node": 1, "prefer_src": 1, "buddy_hot": 1, "sd_smt": 1},
        {"cpu_newly_idle": 1, "prefer_dst": 1, "lbf_active": 1, "per_cpu_kthread": 1},
        {"cpu_not_idle": 1, "delta": -(2**63), "group_delta_faults": 5, "group_total_faults": 0},
        # float(num) / float(den) would round twice and differ in the last bit here
        {"delta_faults": 16_777_219, "total_faults": 7, "src_load": 16_777_219_000},
    ]
    raw = np.zeros(len(rows), dtype=LB_IN_DTYPE)
    for i, row in enumerate(rows):
        for key, value in row.items():
            raw[key][i] = value
    return pd.DataFrame(raw)


def exact_fx(num: int, den: int) -> int:
    """The Q21.11 rule on exact integers: trunc(num * 2048 / den), saturated."""
    q = abs(num) * 2048 // den
    return max(S32_MIN, min(S32_MAX, -q if num < 0 else q))


@pytest.mark.parametrize("name", SETS)
def test_float_features_equal_python_on_edge_cases(name: str) -> None:
    df = edge_rows()
    got = c_features(df.to_records(index=False).astype(LB_IN_DTYPE), name, "float")
    np.testing.assert_array_equal(got, python_features(df, name).astype(np.float32))


def test_fixed_features_follow_the_rule_on_edge_cases() -> None:
    df = edge_rows()
    got = c_features(df.to_records(index=False).astype(LB_IN_DTYPE), "extended", "fixed")
    names = list(FEATURE_SETS["extended"].features)
    for i, r in enumerate(df.itertuples()):
        share = (r.delta_faults, r.total_faults) if r.total_faults else (r.delta_faults, 1)
        gshare = (r.group_delta_faults, r.group_total_faults or 1)
        want = {
            "src_len": exact_fx(int(r.src_len) - 2, 1),
            "dst_len": exact_fx(int(r.dst_len), 1),
            "src_load": exact_fx(int(r.src_load), 1000),
            "dst_load": exact_fx(int(r.dst_load), 1000),
            "delta_faults": exact_fx(int(share[0]), int(share[1])),
            "group_faults": exact_fx(int(gshare[0]), int(gshare[1])),
            "delta_hot": 2048 * int(r.delta < 500_000),
            "src_non_pref_nr": 2048 * int(r.src_len > r.src_preferred_len),
            "extra_fails": 2048 * int(r.nr_fails > r.cache_nice_tries),
        }
        for feature, value in want.items():
            assert got[i, names.index(feature)] == value, (i, feature)
    # Where float64 is exact, the rule is also what input_to_fx() gives for features.py.
    exact_rows = [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13]
    py = input_to_fx(python_features(df, "extended"))
    np.testing.assert_array_equal(got[exact_rows], py[exact_rows])


def test_saturation_instead_of_overflow() -> None:
    got = c_features(edge_rows().to_records(index=False).astype(LB_IN_DTYPE), "paper15", "fixed")
    assert got[3, 8] == S32_MAX  # src_len 2^32 - 1: int_to_fx would have wrapped
    assert got[5, 9] == 1_048_575_999 * 2048 // 1000 and got[5, 10] == S32_MAX
    assert got[6, 12] == S32_MIN


def test_unknown_feature_set_is_refused() -> None:
    with pytest.raises(UserError, match="feature_set"):
        c_features(np.zeros(1, dtype=LB_IN_DTYPE), "paper16", "float")
