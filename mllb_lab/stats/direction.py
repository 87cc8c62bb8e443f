"""Which way is better for each metric: lower (times, latencies, imbalance) or higher (rates).

Decided by the metric's name, so new workload metrics get a direction without a table edit;
metrics that are bookkeeping (exit codes) are not compared at all.
"""

from __future__ import annotations

from typing import Literal

Direction = Literal["lower", "higher"]

# Bookkeeping, and capture figures that describe the load rather than how well it ran.
NOT_COMPARED = frozenset(
    {"exit_code", "wall_s", "decisions", "lost", "decisions_per_s", "migrate_fraction"}
)
# Scheduler costs are lower-is-better even as rates (lb_migrations_per_s), so they go first.
SCHEDULER_COSTS = ("latency", "imbalance", "loadavg", "migration", "runqlen")
HIGHER_SUFFIXES = ("_per_s", "_ops", "events", "_throughput")
TIME_SUFFIXES = ("_ns", "_us", "_ms", "_s")


def direction(metric: str) -> Direction | None:
    """'lower', 'higher', or None when the metric is not a performance figure."""
    if metric in NOT_COMPARED:
        return None
    if any(h in metric for h in SCHEDULER_COSTS):
        return "lower"
    if metric.endswith(HIGHER_SUFFIXES):
        return "higher"
    if metric.endswith(TIME_SUFFIXES):
        return "lower"
    return None
