"""Baseline vs candidate for one metric: Welch's t-test, Mann-Whitney U, change and verdict.

Significance markers follow the usual convention on the Welch p-value: '*' < 0.05,
'**' < 0.01, '***' < 0.001. A change counts as a regression or an improvement only when it is
significant AND larger than the noise threshold (relative change of the means).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats as sps

from mllb_lab.stats.direction import Direction
from mllb_lab.stats.summary import Summary, as_array, summarize

ALPHA = 0.05
Verdict = Literal["better", "worse", "same", "untested"]


@dataclass(frozen=True)
class Comparison:
    metric: str
    direction: Direction
    baseline: Summary
    candidate: Summary
    ratio: float  # candidate mean / baseline mean
    change_pct: float
    welch_p: float
    mannwhitney_p: float
    marker: str
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def welch_p(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or len(b) < 2:
        return math.nan
    if a.std() == 0 and b.std() == 0:
        return 1.0 if a.mean() == b.mean() else 0.0  # no spread: any difference is exact
    with warnings.catch_warnings():  # nearly equal samples: scipy warns, the p-value stands
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(sps.ttest_ind(a, b, equal_var=False).pvalue)


def mannwhitney_p(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 1 or len(b) < 1:
        return math.nan
    if np.array_equal(np.unique(a), np.unique(b)) and len(np.unique(a)) == 1:
        return 1.0
    return float(sps.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def marker(p: float) -> str:
    if math.isnan(p):
        return "?"
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < ALPHA else ""


def compare(
    metric: str,
    direction: Direction,
    baseline: Sequence[float] | np.ndarray,
    candidate: Sequence[float] | np.ndarray,
    noise: float = 0.05,
    alpha: float = ALPHA,
) -> Comparison:
    """`noise`: relative change of the mean below which nothing is flagged (0.05 = 5%);
    `alpha`: the Welch p-value below which a change counts as significant."""
    a, b = as_array(baseline), as_array(candidate)
    sa, sb = summarize(a), summarize(b)
    ratio = sb.mean / sa.mean if sa.n and sb.n and sa.mean != 0 else math.nan
    change = (ratio - 1) * 100 if not math.isnan(ratio) else math.nan
    p = welch_p(a, b)
    if math.isnan(p):
        verdict: Verdict = "untested"
    elif p >= alpha or abs(ratio - 1) <= noise:
        verdict = "same"
    else:
        worse = ratio > 1 if direction == "lower" else ratio < 1
        verdict = "worse" if worse else "better"
    return Comparison(
        metric=metric,
        direction=direction,
        baseline=sa,
        candidate=sb,
        ratio=ratio,
        change_pct=change,
        welch_p=p,
        mannwhitney_p=mannwhitney_p(a, b),
        marker=marker(p),
        verdict=verdict,
    )
