"""Build a report: load the runs, analyse, plot, write the HTML atomically; return a summary
(what --json prints) and the terminal text."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from mllb_lab.errors import UserError
from mllb_lab.report import html, plots, text
from mllb_lab.report.analysis import Analysis, analyze
from mllb_lab.report.load import Loaded, load
from mllb_lab.report.model import model_metrics
from mllb_lab.report.provenance import provenance


def usable(paths: list[Path]) -> Loaded:
    loaded = load(paths)
    if not loaded.runs:
        reasons = "; ".join(f"{s.name}: {s.reason}" for s in loaded.skipped[:3]) or "no runs"
        raise UserError("RESULTS", f"nothing usable ({reasons})", "give a results store with runs")
    return loaded


def clean(v: float) -> float | None:
    return None if isinstance(v, float) and math.isnan(v) else v


def as_json(loaded: Loaded, a: Analysis, out: Path | None) -> dict[str, Any]:
    return {
        "out": str(out) if out else None,
        "runs": len(loaded.runs),
        "group_by": a.group_by,
        "groups": a.groups,
        "baseline": a.baseline,
        "skipped": [{"name": s.name, "reason": s.reason} for s in loaded.skipped],
        "geomean": {g: clean(v) for g, v in a.geomean.items()},
        "comparisons": [
            {
                "benchmark": b.name,
                "metric": c.metric,
                "group": g,
                "direction": c.direction,
                "baseline_mean": clean(c.baseline.mean),
                "mean": clean(c.candidate.mean),
                "change_pct": clean(c.change_pct),
                "welch_p": clean(c.welch_p),
                "mannwhitney_p": clean(c.mannwhitney_p),
                "marker": c.marker,
                "verdict": c.verdict,
            }
            for b in a.benchmarks
            for m in b.metrics
            for g, c in m.comparisons.items()
        ],
    }


def build(
    paths: list[Path],
    out: Path,
    group_by: str = "kernel",
    baseline: str | None = None,
    model_dir: Path | None = None,
    noise: float = 0.05,
) -> tuple[dict[str, Any], str]:
    model = model_metrics(model_dir) if model_dir else None
    loaded = usable(paths)
    a = analyze(loaded.runs, group_by, baseline, noise)
    figures = plots.all_plots(loaded.runs, a)
    page = html.render(loaded, a, figures, provenance(loaded.runs, a), model, str(model_dir or ""))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(page)
    os.replace(tmp, out)
    return as_json(loaded, a, out), text.summary(loaded, a)
