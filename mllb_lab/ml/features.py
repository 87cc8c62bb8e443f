"""Decision records -> model inputs: the paper's 15 features exactly (mllb-facts §3), and an
extended set with the inputs newer kernels use. Vectorised; provenance rides along.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mllb_lab.errors import UserError
from mllb_lab.ml.records import LABEL, PROVENANCE_COLUMNS

MIGRATION_COST_NS = 500_000  # sysctl_sched_migration_cost

PAPER15: tuple[str, ...] = (
    "src_non_pref_nr",
    "delta_hot",
    "cpu_idle",
    "cpu_not_idle",
    "cpu_newly_idle",
    "same_node",
    "prefer_src",
    "prefer_dst",
    "src_len",
    "src_load",
    "dst_load",
    "dst_len",
    "delta_faults",
    "extra_fails",
    "buddy_hot",
)
EXTRA: tuple[str, ...] = ("sd_smt", "lbf_active", "per_cpu_kthread", "group_faults")

# Record columns each feature set needs (besides the label).
PAPER15_RAW: tuple[str, ...] = (
    "p_running",
    "test_aggressive",
    "src_len",
    "src_preferred_len",
    "delta",
    "cpu_idle",
    "cpu_not_idle",
    "cpu_newly_idle",
    "same_node",
    "prefer_src",
    "prefer_dst",
    "src_load",
    "dst_load",
    "dst_len",
    "delta_faults",
    "total_faults",
    "nr_fails",
    "cache_nice_tries",
    "buddy_hot",
)
EXTRA_RAW: tuple[str, ...] = (
    "sd_smt",
    "lbf_active",
    "per_cpu_kthread",
    "group_delta_faults",
    "group_total_faults",
)


@dataclass(frozen=True)
class FeatureSet:
    name: str
    features: tuple[str, ...]
    raw: tuple[str, ...]
    # Rows the set keeps: the paper drops rows that failed a hard condition.
    keep: Callable[[pd.DataFrame], np.ndarray]


@dataclass
class FeatureTable:
    """Model inputs with their label and where each row came from."""

    feature_set: str
    names: list[str]
    x: np.ndarray  # float32 (rows, features)
    y: np.ndarray  # int8 labels
    groups: pd.DataFrame  # regime, workload, kernel, run_id, source_file, source_row
    provenance: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, idx: np.ndarray) -> FeatureTable:
        return FeatureTable(
            self.feature_set,
            self.names,
            self.x[idx],
            self.y[idx],
            self.groups.iloc[idx].reset_index(drop=True),
            self.provenance,
        )


def _ratio(num: pd.Series, den: pd.Series) -> np.ndarray:
    """num / den, left unchanged where den is 0 (as the paper's preprocessing)."""
    n, d = num.to_numpy(np.float64), den.to_numpy(np.float64)
    out = n.copy()
    nz = d != 0
    out[nz] = n[nz] / d[nz]
    return out


def paper_columns(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """The 15 features of mllb-facts §3, computed from raw record columns."""
    src_len = df["src_len"].to_numpy(np.float64)
    return {
        "src_non_pref_nr": (df["src_len"] > df["src_preferred_len"]).to_numpy(np.float64),
        "delta_hot": (df["delta"] < MIGRATION_COST_NS).to_numpy(np.float64),
        "cpu_idle": df["cpu_idle"].to_numpy(np.float64),
        "cpu_not_idle": df["cpu_not_idle"].to_numpy(np.float64),
        "cpu_newly_idle": df["cpu_newly_idle"].to_numpy(np.float64),
        "same_node": df["same_node"].to_numpy(np.float64),
        "prefer_src": df["prefer_src"].to_numpy(np.float64),
        "prefer_dst": df["prefer_dst"].to_numpy(np.float64),
        "src_len": src_len - 2,
        "src_load": df["src_load"].to_numpy(np.float64) / 1000,
        "dst_load": df["dst_load"].to_numpy(np.float64) / 1000,
        "dst_len": df["dst_len"].to_numpy(np.float64),
        "delta_faults": _ratio(df["delta_faults"], df["total_faults"]),
        "extra_fails": (df["nr_fails"] > df["cache_nice_tries"]).to_numpy(np.float64),
        "buddy_hot": df["buddy_hot"].to_numpy(np.float64),
    }


def extra_columns(df: pd.DataFrame) -> dict[str, np.ndarray]:
    return {
        "sd_smt": df["sd_smt"].to_numpy(np.float64),
        "lbf_active": df["lbf_active"].to_numpy(np.float64),
        "per_cpu_kthread": df["per_cpu_kthread"].to_numpy(np.float64),
        "group_faults": _ratio(df["group_delta_faults"], df["group_total_faults"]),
    }


def paper_filter(df: pd.DataFrame) -> np.ndarray:
    return ((df["p_running"] == 0) & (df["test_aggressive"] == 1)).to_numpy()


FEATURE_SETS: dict[str, FeatureSet] = {
    "paper15": FeatureSet("paper15", PAPER15, PAPER15_RAW, paper_filter),
    "extended": FeatureSet("extended", PAPER15 + EXTRA, PAPER15_RAW + EXTRA_RAW, paper_filter),
}


def feature_set(name: str) -> FeatureSet:
    try:
        return FEATURE_SETS[name]
    except KeyError:
        raise UserError(
            "--features", f"unknown feature set {name!r}", f"one of {', '.join(FEATURE_SETS)}"
        ) from None


def required_columns(name: str) -> list[str]:
    return [*feature_set(name).raw, LABEL]


def build_features(df: pd.DataFrame, name: str, where: str = "DATA") -> FeatureTable:
    """Filter, derive and order the features of set `name`; the label must be 0/1."""
    fs = feature_set(name)
    missing = [c for c in (*fs.raw, LABEL) if c not in df.columns]
    if missing:
        raise UserError(
            f"{where}: column {missing[0]}",
            f"missing for feature set {name}",
            "see docs/ml.md for the record schema",
        )
    rows_in = len(df)
    kept = df.loc[fs.keep(df)].reset_index(drop=True)
    if kept.empty:
        raise UserError(
            where,
            f"no rows left after the paper's filters (p_running == 0, test_aggressive == 1; "
            f"{rows_in} rows in)",
            "capture on a patched kernel or with --old semantics",
        )
    labels = kept[LABEL].to_numpy()
    if not np.isin(labels, (0, 1)).all():
        raise UserError(f"{where}: column {LABEL}", "has values other than 0/1", "it is a label")
    cols = paper_columns(kept)
    if fs.name == "extended":
        cols.update(extra_columns(kept))
    x = np.column_stack([cols[f] for f in fs.features]).astype(np.float32)
    group_cols = [c for c in (*PROVENANCE_COLUMNS, "source_file", "source_row") if c in kept]
    return FeatureTable(
        feature_set=fs.name,
        names=list(fs.features),
        x=x,
        y=labels.astype(np.int8),
        groups=kept[group_cols].reset_index(drop=True),
        provenance={"rows_in": rows_in, "rows_after_filters": len(kept)},
    )
