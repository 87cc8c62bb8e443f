"""One number per kernel pair: the geometric mean of per-metric ratios, oriented so that
values above 1 always mean "the candidate is better" (lower-is-better ratios are inverted)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from mllb_lab.stats.compare import Comparison


def oriented_ratio(c: Comparison) -> float:
    """candidate/baseline for higher-is-better metrics, baseline/candidate for lower."""
    if math.isnan(c.ratio) or c.ratio <= 0:
        return math.nan
    return c.ratio if c.direction == "higher" else 1 / c.ratio


def geomean_of_ratios(comparisons: Iterable[Comparison]) -> float:
    logs = [math.log(r) for r in map(oriented_ratio, comparisons) if not math.isnan(r)]
    return math.exp(sum(logs) / len(logs)) if logs else math.nan
