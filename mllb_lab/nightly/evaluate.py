"""Compare a campaign run with its baseline, metric by metric, with mllb_lab.stats.

Regression: Welch p < alpha AND the mean moved the wrong way by more than `noise`.
Baseline: pinned (a campaign run id) or the newest earlier run whose verdict was good; the
first run of a history is its own baseline (verdict "first").
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mllb_lab.errors import UserError
from mllb_lab.nightly import history
from mllb_lab.report.analysis import analyze
from mllb_lab.report.load import load
from mllb_lab.results import index
from mllb_lab.stats import compare as stats_compare

GOOD = ("good", "first")


@dataclass
class Evaluation:
    campaign_run: str
    baseline: str | None
    verdict: str  # first | good | regression
    regressions: list[dict[str, Any]] = field(default_factory=list)
    improvements: list[dict[str, Any]] = field(default_factory=list)
    compared: int = 0
    skipped: list[str] = field(default_factory=list)

    def entry(self) -> dict[str, Any]:
        return {**self.__dict__, "at": datetime.now(UTC).isoformat(timespec="seconds")}


def campaign_runs(results: Path, campaign: str) -> list[str]:
    """The campaign's runs in the store, oldest first (ids end in a UTC stamp)."""
    if not (results / index.INDEX).is_file():
        return []
    db = index.connect(results)
    try:
        rows = db.execute(
            "SELECT DISTINCT campaign_run FROM runs WHERE campaign = ?", (campaign,)
        ).fetchall()
    finally:
        db.close()
    return sorted(r[0] for r in rows)


def pick_baseline(results: Path, runs: list[str], candidate: str, pinned: str) -> str | None:
    if pinned != "last-good":
        if pinned not in runs:
            raise UserError(
                "baseline", f"no campaign run {pinned} in {results}", "pin an existing run id"
            )
        return pinned
    verdicts = history.verdicts(results)
    earlier = [r for r in runs if r < candidate and verdicts.get(r, {}).get("verdict") in GOOD]
    return earlier[-1] if earlier else None


def number(v: float) -> float | None:
    """NaN is not JSON: the history stays readable by any JSON parser."""
    return None if math.isnan(v) else v


def finding(bench: str, c: stats_compare.Comparison) -> dict[str, Any]:
    return {
        "benchmark": bench,
        "metric": c.metric,
        "direction": c.direction,
        "baseline_mean": number(c.baseline.mean),
        "mean": number(c.candidate.mean),
        "change_pct": number(round(c.change_pct, 3)),
        "welch_p": number(c.welch_p),
        "mannwhitney_p": number(c.mannwhitney_p),
    }


def evaluate(
    results: Path,
    candidate: str,
    baseline: str | None,
    noise: float,
    alpha: float,
    metrics: list[str],
) -> Evaluation:
    if baseline is None or baseline == candidate:
        return Evaluation(candidate, None, "first")
    loaded = load([results / baseline, results / candidate])
    if not any(r.row["campaign_run"] == candidate for r in loaded.runs):
        raise UserError("campaign run", f"{candidate} has no usable runs", "see mllb-lab report")
    a = analyze(loaded.runs, "campaign-run", baseline, noise, alpha)
    ev = Evaluation(candidate, baseline, "good", skipped=[s.name for s in loaded.skipped])
    for bench, c in a.comparisons():
        if metrics and c.metric not in metrics:
            continue
        ev.compared += 1
        if c.verdict == "worse":
            ev.regressions.append(finding(bench, c))
        elif c.verdict == "better":
            ev.improvements.append(finding(bench, c))
    if ev.regressions:
        ev.verdict = "regression"
    return ev


def to_json(ev: Evaluation) -> str:
    return json.dumps(ev.entry(), indent=2, default=str)
