"""Group runs (by kernel release, kernel variant or campaign), then per benchmark and metric:
a summary per group and a comparison of every group with the baseline group."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from mllb_lab.errors import UserError
from mllb_lab.report.load import RunData
from mllb_lab.stats.compare import ALPHA, Comparison, compare
from mllb_lab.stats.direction import direction
from mllb_lab.stats.geomean import geomean_of_ratios
from mllb_lab.stats.summary import Summary, summarize

GROUP_BY = {
    "kernel": "kernel_release",
    "variant": "kernel_requested",
    "campaign": "campaign",
    "campaign-run": "campaign_run",
}


@dataclass
class MetricRow:
    metric: str
    direction: str | None
    summaries: dict[str, Summary]  # group -> summary
    comparisons: dict[str, Comparison]  # non-baseline group -> comparison with the baseline


@dataclass
class Benchmark:
    name: str
    metrics: list[MetricRow]


@dataclass
class Analysis:
    group_by: str
    groups: list[str]  # baseline first
    baseline: str
    benchmarks: list[Benchmark]
    geomean: dict[str, float] = field(default_factory=dict)  # group -> oriented geomean ratio
    runs_per_group: dict[str, int] = field(default_factory=dict)

    def comparisons(self) -> list[tuple[str, Comparison]]:
        return [
            (b.name, c) for b in self.benchmarks for m in b.metrics for c in m.comparisons.values()
        ]


def group_of(run: RunData, group_by: str) -> str:
    return str(run.row.get(GROUP_BY[group_by]) or "unknown")


def ordered_groups(runs: list[RunData], group_by: str, baseline: str | None) -> list[str]:
    """Default baseline: the group whose first run was ingested first (ties: by name)."""
    first: dict[str, str] = {}
    for r in runs:
        g = group_of(r, group_by)
        first[g] = min(first.get(g, r.row["ingested_at"]), r.row["ingested_at"])
    groups = sorted(first, key=lambda g: (first[g], g))
    if baseline is None:
        return groups
    if baseline not in groups:
        raise UserError(
            "--baseline", f"no runs with {group_by} '{baseline}'", f"one of: {', '.join(groups)}"
        )
    return [baseline] + [g for g in groups if g != baseline]


def analyze(
    runs: list[RunData],
    group_by: str = "kernel",
    baseline: str | None = None,
    noise: float = 0.05,
    alpha: float = ALPHA,
) -> Analysis:
    groups = ordered_groups(runs, group_by, baseline)
    base = groups[0]
    # benchmark -> metric -> group -> values
    values: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for r in runs:
        g = group_of(r, group_by)
        for metric, v in r.metrics.items():
            if not math.isnan(v):
                values[r.benchmark][metric][g].append(v)
    benchmarks = []
    for name in sorted(values):
        rows = []
        for metric in sorted(values[name]):
            per_group = values[name][metric]
            d = direction(metric)
            summaries = {g: summarize(per_group[g]) for g in groups if g in per_group}
            comps: dict[str, Any] = {}
            if d is not None and base in per_group:
                for g in groups[1:]:
                    if g in per_group:
                        comps[g] = compare(metric, d, per_group[base], per_group[g], noise, alpha)
            rows.append(MetricRow(metric, d, summaries, comps))
        benchmarks.append(Benchmark(name, rows))
    out = Analysis(group_by, groups, base, benchmarks)
    for g in groups[1:]:
        out.geomean[g] = geomean_of_ratios(
            m.comparisons[g] for b in benchmarks for m in b.metrics if g in m.comparisons
        )
    for r in runs:
        g = group_of(r, group_by)
        out.runs_per_group[g] = out.runs_per_group.get(g, 0) + 1
    return out
