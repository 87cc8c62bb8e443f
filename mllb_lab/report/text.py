"""The plain-text summary for terminals: one line per compared metric, markers, geomeans."""

from __future__ import annotations

import math

from mllb_lab.report.analysis import Analysis
from mllb_lab.report.load import Loaded

LEGEND = "* p<0.05  ** p<0.01  *** p<0.001 (Welch); MWU = Mann-Whitney U p"


def fmt(v: float) -> str:
    if math.isnan(v):
        return "-"
    return f"{v:.4g}"


def summary(loaded: Loaded, a: Analysis) -> str:
    lines = [
        f"{len(loaded.runs)} runs, grouped by {a.group_by}: "
        + ", ".join(f"{g} ({a.runs_per_group.get(g, 0)} runs)" for g in a.groups),
        f"baseline: {a.baseline}",
    ]
    for s in loaded.skipped:
        lines.append(f"skipped {s.name}: {s.reason}")
    for b in a.benchmarks:
        comps = [(m, g, c) for m in b.metrics for g, c in m.comparisons.items()]
        if not comps:  # nothing to compare with (one group): the summaries themselves
            lines.append(f"\n{b.name}")
            for m in b.metrics:
                for g, s in m.summaries.items():
                    lo, hi = s.mean_ci
                    lines.append(f"  {m.metric:<34} {g:<22} mean {fmt(s.mean):>10}"
                                 f"  95% CI [{fmt(lo)}, {fmt(hi)}]  n={s.n}")  # fmt: skip
            continue
        lines.append(f"\n{b.name}")
        for m, g, c in comps:
            lines.append(
                f"  {m.metric:<34} {g:<22} {fmt(c.baseline.mean):>10} ->"
                f" {fmt(c.candidate.mean):>10}"
                f" {c.change_pct:+7.1f}% {c.marker:<3} MWU {fmt(c.mannwhitney_p):>6}  {c.verdict}"
            )
    if a.geomean:
        lines.append("")
        for g, v in a.geomean.items():
            lines.append(f"geomean of ratios {g} vs {a.baseline}: {fmt(v)} (>1 = better)")
    lines.append(LEGEND)
    return "\n".join(lines)
