"""The report as one self-contained HTML file: inline CSS and SVG, no script, no external URL."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from html import escape

from mllb_lab import __version__
from mllb_lab.report.analysis import Analysis
from mllb_lab.report.load import Loaded
from mllb_lab.report.plots import Plot
from mllb_lab.report.text import LEGEND

CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.2em .5em;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}
.worse{background:#fdd}.better{background:#dfd}.note{color:#666;font-style:italic}
figure.plot{margin:1em 0}figure.plot svg{max-width:100%;height:auto;overflow:visible}
.skipped{color:#a40}code{font-size:.9em}
"""
METADATA = re.compile(r"<metadata>.*?</metadata>", re.S)


def fmt(v: float) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.4g}"


def ci(lo_hi: tuple[float, float]) -> str:
    lo, hi = lo_hi
    return "–" if math.isnan(lo) else f"[{lo:.4g}, {hi:.4g}]"


def plot_html(p: Plot) -> str:
    if p.svg is None:
        return f'<h3>{escape(p.title)}</h3><p class="note">{escape(p.note)}</p>'
    svg = METADATA.sub("", p.svg)
    return (
        f'<figure class="plot" id="plot-{escape(p.id)}"><figcaption><b>{escape(p.title)}</b>'
        f"</figcaption>{svg}</figure>"
    )


def overview(loaded: Loaded, a: Analysis) -> str:
    rows = "".join(
        f'<tr><td class="l">{escape(g)}{" (baseline)" if g == a.baseline else ""}</td>'
        f"<td>{a.runs_per_group.get(g, 0)}</td>"
        f"<td>{fmt(a.geomean.get(g, math.nan)) if g != a.baseline else '1'}</td></tr>"
        for g in a.groups
    )
    skipped = "".join(
        f'<li class="skipped"><code>{escape(s.name)}</code>: {escape(s.reason)}</li>'
        for s in loaded.skipped
    )
    return (
        f"<table><tr><th class='l'>{escape(a.group_by)}</th><th>runs</th>"
        f"<th>geomean of ratios (&gt;1 better)</th></tr>{rows}</table>"
        + (f"<p>Skipped:</p><ul>{skipped}</ul>" if skipped else "")
    )


def benchmark_tables(a: Analysis) -> str:
    parts = []
    for b in a.benchmarks:
        head = "".join(
            f"<th>{escape(g)} mean</th><th>95% CI</th><th>median [95% CI]</th><th>n</th>"
            for g in a.groups
        )
        head += "".join(f"<th>{escape(g)} Δ%</th><th>MWU p</th>" for g in a.groups[1:])
        rows = []
        for m in b.metrics:
            cells = []
            for g in a.groups:
                s = m.summaries.get(g)
                if s is None:
                    cells.append("<td></td>" * 4)
                    continue
                cells.append(
                    f"<td>{fmt(s.mean)}</td><td>{ci(s.mean_ci)}</td>"
                    f"<td>{fmt(s.median)} {ci(s.median_ci)}</td><td>{s.n}</td>"
                )
            for g in a.groups[1:]:
                c = m.comparisons.get(g)
                if c is None:
                    cells.append("<td></td><td></td>")
                    continue
                cells.append(
                    f'<td class="{c.verdict}">{c.change_pct:+.1f}% {escape(c.marker)}</td>'
                    f"<td>{fmt(c.mannwhitney_p)}</td>"
                )
            arrow = {"lower": "↓", "higher": "↑"}.get(m.direction or "", "")
            rows.append(f'<tr><td class="l">{escape(m.metric)} {arrow}</td>{"".join(cells)}</tr>')
        parts.append(
            f"<h3>{escape(b.name)}</h3><table><tr><th class='l'>metric</th>{head}</tr>"
            + "".join(rows)
            + "</table>"
        )
    return "".join(parts)


def provenance_html(prov: dict[str, dict[str, list[str]]]) -> str:
    parts = []
    for g, fields in prov.items():
        rows = "".join(
            f'<tr><td class="l">{escape(f)}</td><td class="l">{escape(", ".join(vs))}</td></tr>'
            for f, vs in fields.items()
        )
        parts.append(f"<h3>{escape(g)}</h3><table>{rows}</table>")
    return "".join(parts)


def model_html(metrics: list[tuple[str, float]] | None, source: str) -> str:
    if metrics is None:
        return '<p class="note">No model given (--model DIR).</p>'
    rows = "".join(f'<tr><td class="l">{escape(k)}</td><td>{fmt(v)}</td></tr>' for k, v in metrics)
    return f"<p>From <code>{escape(source)}</code></p><table>{rows}</table>"


def render(
    loaded: Loaded,
    a: Analysis,
    plots: list[Plot],
    prov: dict[str, dict[str, list[str]]],
    model: list[tuple[str, float]] | None,
    model_source: str,
) -> str:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    sources = ", ".join(f"<code>{escape(s)}</code>" for s in loaded.sources)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mllb-lab report</title>
<style>{CSS}</style></head><body>
<h1>mllb-lab report: {escape(" vs ".join(a.groups))}</h1>
<p>Generated {stamp} by mllb-lab {__version__} from {sources}.
Baseline: <b>{escape(a.baseline)}</b>.
{escape(LEGEND)}; Δ% is the change of the mean; cells are coloured only when significant and
beyond the noise threshold.</p>
<h2>Overview</h2>{overview(loaded, a)}
<h2>Plots</h2>{"".join(plot_html(p) for p in plots)}
<h2>Per benchmark</h2>{benchmark_tables(a)}
<h2>Model</h2>{model_html(model, model_source)}
<h2>Provenance</h2>{provenance_html(prov)}
</body></html>
"""
