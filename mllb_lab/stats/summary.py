"""One metric's sample: mean, median and their 95% confidence intervals.

The mean's interval is Student-t based; the median's is a seeded percentile bootstrap, so a
report rebuilt from the same data prints the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20200824  # fixed: the same sample always gives the same interval


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float
    median: float
    std: float  # sample standard deviation (ddof=1); nan when n < 2
    mean_ci: tuple[float, float]  # nan bounds when n < 2
    median_ci: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def as_array(values: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return arr[np.isfinite(arr)]


def mean_ci(x: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """mean ± t(n-1) · s/√n."""
    n = len(x)
    if n < 2:
        return (math.nan, math.nan)
    half = sps.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / math.sqrt(n)
    m = float(x.mean())
    return (m - half, m + half)


def median_ci(
    x: np.ndarray,
    confidence: float = CONFIDENCE,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float]:
    """Percentile bootstrap of the median, seeded."""
    n = len(x)
    if n < 2:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    medians = np.median(x[rng.integers(0, n, size=(resamples, n))], axis=1)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(medians, [alpha, 1 - alpha])
    return (float(lo), float(hi))


def summarize(values: Sequence[float] | np.ndarray) -> Summary:
    x = as_array(values)
    if len(x) == 0:
        nan = math.nan
        return Summary(0, nan, nan, nan, (nan, nan), (nan, nan))
    return Summary(
        n=len(x),
        mean=float(x.mean()),
        median=float(np.median(x)),
        std=float(x.std(ddof=1)) if len(x) > 1 else math.nan,
        mean_ci=mean_ci(x),
        median_ci=median_ci(x),
    )
