"""BCC's histogram printouts (print_log2_hist / print_linear_hist) as numbers.

log2 rows look like `      256 -> 511        : 12       |****    |` under a header naming the
unit (`nsecs`, `usecs`, `msecs`); linear rows (runqlen) like `        3          : 40  |**|`.
A value in a log2 bucket is taken at the bucket's midpoint, which is what a CDF can know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

UNIT_NS = {"nsecs": 1.0, "usecs": 1e3, "msecs": 1e6}
LOG2_ROW = re.compile(r"^\s*(\d+)\s*->\s*(\d+)\s*:\s*(\d+)\s*\|")
LINEAR_ROW = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*\|")
HEADER = re.compile(r"^\s*(\w+)\s+:\s*count\s+distribution")
AVG = re.compile(r"avg\s*=\s*([\d.]+)\s*(\w+),\s*total:\s*([\d.]+)\s*\w+,\s*count:\s*(\d+)")


@dataclass(frozen=True)
class Histogram:
    lo: np.ndarray  # bucket lower bounds (inclusive), in `unit`
    hi: np.ndarray  # upper bounds (inclusive)
    counts: np.ndarray
    unit: str  # "ns" for latencies, the label (e.g. "runqlen") otherwise
    reported_mean: float | None = None  # funclatency's own exact average, in `unit`

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    @property
    def mids(self) -> np.ndarray:
        return (self.lo + self.hi) / 2

    def mean(self) -> float:
        if self.reported_mean is not None:
            return self.reported_mean
        return float((self.mids * self.counts).sum() / self.total) if self.total else float("nan")

    def quantile(self, q: float) -> float:
        """The upper bound of the bucket holding the q-quantile (a conservative estimate)."""
        if not self.total:
            return float("nan")
        cum = np.cumsum(self.counts)
        i = int(np.searchsorted(cum, q * self.total, side="left"))
        return float(self.hi[min(i, len(self.hi) - 1)])

    def merged(self, other: Histogram) -> Histogram:
        """Sum of two histograms over the union of their buckets (for a kernel's runs)."""
        keys = sorted(
            set(zip(self.lo, self.hi, strict=True)) | set(zip(other.lo, other.hi, strict=True))
        )
        counts = dict.fromkeys(keys, 0)
        for h in (self, other):
            for lo, hi, c in zip(h.lo, h.hi, h.counts, strict=True):
                counts[(lo, hi)] += int(c)
        lo, hi = (np.array([k[i] for k in keys], dtype=float) for i in (0, 1))
        return Histogram(lo, hi, np.array([counts[k] for k in keys]), self.unit)


def parse_log2(text: str) -> Histogram | None:
    """funclatency output -> latency histogram in ns; None when no histogram was printed."""
    scale, rows, mean = 1.0, [], None
    for line in text.splitlines():
        if m := HEADER.match(line):
            scale = UNIT_NS.get(m[1], 1.0)
        elif m := LOG2_ROW.match(line):
            rows.append((int(m[1]), int(m[2]), int(m[3])))
        elif m := AVG.search(line):
            mean = float(m[1]) * UNIT_NS.get(m[2], 1.0)
    if not rows:
        return None
    arr = np.array(rows, dtype=float)
    return Histogram(arr[:, 0] * scale, arr[:, 1] * scale, arr[:, 2].astype(np.int64), "ns", mean)


def parse_linear(text: str, unit: str = "runqlen") -> Histogram | None:
    """runqlen output -> histogram of run-queue lengths (one bucket per length)."""
    rows = [(int(m[1]), int(m[2])) for line in text.splitlines() if (m := LINEAR_ROW.match(line))]
    if not rows:
        return None
    arr = np.array(rows, dtype=float)
    return Histogram(arr[:, 0], arr[:, 0], arr[:, 1].astype(np.int64), unit)
