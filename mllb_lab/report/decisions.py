"""What the report shows of a run's captured decisions: how many, how fast, how many allowed.

Only three columns are read (Parquet is columnar), so a million rows cost a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("ts", "can_migrate", "cpu_newly_idle")


@dataclass(frozen=True)
class DecisionSummary:
    count: int
    per_s: float  # over the span of the timestamps
    migrate_fraction: float  # can_migrate_task() returned 1
    newly_idle_fraction: float


def summarize(path: Path) -> DecisionSummary:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=list(COLUMNS))
    n = table.num_rows
    if n == 0:
        return DecisionSummary(0, 0.0, float("nan"), float("nan"))
    lo, hi = pc.min_max(table["ts"]).values()
    span = (hi.as_py() - lo.as_py()) / 1e9
    mean = pc.mean
    return DecisionSummary(
        count=n,
        per_s=n / span if span > 0 else float("nan"),
        migrate_fraction=mean(table["can_migrate"]).as_py(),
        newly_idle_fraction=mean(table["cpu_newly_idle"]).as_py(),
    )
