"""The rows a JC_SCHED kernel really asks the model about (`mllb-lab train --rows asked`).

Patch 0004 sets `lb_env.test_aggressive = 1` once can_migrate_task()'s hard conditions passed;
6.1 then still answers active balancing (LBF_ACTIVE_LB) itself before the soft decision, where
the model is asked. So the kernel's question is exactly: test_aggressive == 1 as the KERNEL set
it (not derived by the tracer on a stock kernel), lbf_active == 0, p_running == 0. The paper's
filter (features.py) keeps the active-balancing rows and accepts a derived flag.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mllb_lab.errors import UserError
from mllb_lab.ml.features import paper_filter
from mllb_lab.ml.records import LABEL

ROW_SETS = ("paper", "asked")
FLAG = "--rows"
# Fewer examples of a label than this and neither the held-out split nor early stopping
# sees enough of it to mean anything (10% held out: at least 3 rows of each label).
MIN_PER_LABEL = 30
CAPTURE_METADATA_KEY = b"mllb.capture"  # what mllb_lab/capture writes into its Parquet files


def flag_source(path: Path) -> str | None:
    """The test_aggressive source (kernel, derived) in a capture Parquet file's metadata."""
    if path.suffix.lower() not in (".parquet", ".pq"):
        return None
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(CAPTURE_METADATA_KEY)
    if raw is None:
        return None
    try:
        source = json.loads(raw).get("test_aggressive_source")
    except (json.JSONDecodeError, AttributeError):
        return None
    return source if isinstance(source, str) else None


def check_kernel_flag(paths: Sequence[Path]) -> None:
    """Every file must carry test_aggressive as the kernel set it."""
    for path in paths:
        source = flag_source(Path(path))
        if source != "kernel":
            said = "derived by the tracer (a stock kernel)" if source else "of unknown origin"
            raise UserError(
                f"{FLAG} asked",
                f"{path}: test_aggressive is {said}, so the rows the kernel asks about "
                "cannot be told apart",
                "train on Parquet files written by `mllb-lab capture` (or a campaign) on a "
                "JC_SCHED kernel, or drop --rows asked",
            )


def asked_mask(df: pd.DataFrame) -> np.ndarray:
    """Rows where the kernel asks the model: the paper's rows (hard conditions passed, task not
    running) without active balancing, which 6.1 answers before asking."""
    return paper_filter(df) & (df["lbf_active"] == 0).to_numpy()


def label_counts(y: pd.Series) -> tuple[int, int]:
    """(keeps, migrates): CFS's answers 0 and 1."""
    return int((y == 0).sum()), int((y == 1).sum())


def select_asked(
    df: pd.DataFrame, paths: Sequence[Path], min_per_label: int = MIN_PER_LABEL
) -> pd.DataFrame:
    """The asked rows of `df` (read from `paths`), refused when too few of a label remain."""
    check_kernel_flag(paths)
    missing = [c for c in ("test_aggressive", "lbf_active", "p_running") if c not in df]
    if missing:
        raise UserError(
            f"DATA: column {missing[0]}", f"needed by {FLAG} asked", "capture with mllb-lab"
        )
    kept = df.loc[asked_mask(df)].reset_index(drop=True)
    keeps, migrates = label_counts(kept[LABEL])
    for count, what in ((keeps, "keep (can_migrate 0)"), (migrates, "migrate (can_migrate 1)")):
        if count < min_per_label:
            raise UserError(
                f"{FLAG} asked",
                f"only {count} {what} rows where the kernel asks the model ({len(kept)} asked "
                f"of {len(df)}; at least {min_per_label} of each label are needed)",
                "capture longer or under a load with cache-hot, queued tasks (docs/ml.md, "
                "'Training on the kernel's question')",
            )
    return kept
