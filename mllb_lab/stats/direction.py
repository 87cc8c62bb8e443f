"""Which way is better for each metric: lower (times, latencies, imbalance) or higher (rates).

Decided by the metric's name, so new workload metrics get a direction without a table edit;
metrics that are bookkeeping (exit codes) are not compared at all.
"""

from __future__ import annotations

from typing import Literal

Direction = Literal["lower", "higher"]

NOT_COMPARED = frozenset({"exit_code", "wall_s", "decisions", "lost"})
HIGHER_SUFFIXES = ("_per_s", "_ops", "_bogo_ops", "ops_per_s", "events", "_throughput")
LOWER_HINTS = ("latency", "_ns", "_us", "_s", "imbalance", "loadavg", "migrations", "runqlen")


def direction(metric: str) -> Direction | None:
    """'lower', 'higher', or None when the metric is not a performance figure."""
    if metric in NOT_COMPARED:
        return None
    if metric.endswith(HIGHER_SUFFIXES):
        return "higher"
    if any(h in metric for h in LOWER_HINTS):
        return "lower"
    return None
