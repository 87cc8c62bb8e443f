"""The report's figures as inline SVG (matplotlib, Agg): latency CDFs, run-queue imbalance over
time, run-queue length histograms, per-benchmark bars with 95% confidence intervals."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

from mllb_lab.benchmetrics.histogram import Histogram
from mllb_lab.benchmetrics.read import FUNCTIONS
from mllb_lab.report.analysis import Analysis, group_of
from mllb_lab.report.load import RunData

HEADLINE = ("_mean_s", "total_s", "_bogo_ops_per_s", "events_per_s", "_per_s", "events")
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")


@dataclass(frozen=True)
class Plot:
    id: str
    title: str
    svg: str | None  # None: nothing to draw (see `note`)
    note: str = ""


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "mllb-lab"})
    import matplotlib.pyplot as plt

    return plt


def to_svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    pyplot().close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE: it goes inline


def merged(hists: list[Histogram]) -> Histogram | None:
    out = None
    for h in hists:
        out = h if out is None else out.merged(h)
    return out


def by_group(runs: list[RunData], a: Analysis) -> dict[str, list[RunData]]:
    out: dict[str, list[RunData]] = {g: [] for g in a.groups}
    for r in runs:
        out[group_of(r, a.group_by)].append(r)
    return out


def latency_cdf(runs: list[RunData], a: Analysis, func: str) -> Plot:
    title = f"{func}() latency CDF (fentry/fexit, log2 buckets)"
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    drawn = False
    for i, (g, rs) in enumerate(by_group(runs, a).items()):
        h = merged([r.bench.latency[func] for r in rs if r.bench and func in r.bench.latency])
        if h is None or not h.total:
            continue
        first = int(np.nonzero(h.counts)[0][0])  # start at the first bucket with calls
        x = np.concatenate([[h.lo[first]], h.hi[first:]])
        y = np.concatenate([[0.0], np.cumsum(h.counts[first:]) / h.total])
        ax.step(np.maximum(x, 1), y, where="post", color=COLORS[i % len(COLORS)], label=g)
        drawn = True
    if not drawn:
        plt.close(fig)
        return Plot(f"cdf-{func}", title, None, "no latency data in these runs")
    ax.set_xscale("log")
    ax.set_xlabel("latency (ns, log2 buckets)")
    ax.set_ylabel("fraction of calls")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return Plot(f"cdf-{func}", title, to_svg(fig))


def imbalance_over_time(runs: list[RunData], a: Analysis) -> Plot:
    """Per group, the mean over its runs of max - min nr_running in 1-second bins."""
    title = "Run-queue imbalance over time (max - min nr_running, sampled 10/s)"
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    drawn = False
    for i, (g, rs) in enumerate(by_group(runs, a).items()):
        samples = [r.bench.imbalance for r in rs if r.bench and r.bench.imbalance is not None]
        if not samples:
            continue
        end = int(max(s[-1, 0] for s in samples)) + 1
        sums, counts = np.zeros(end), np.zeros(end)
        for s in samples:
            idx = s[:, 0].astype(int)
            np.add.at(sums, idx, s[:, 1])
            np.add.at(counts, idx, 1)
        ok = counts > 0
        ax.plot(np.arange(end)[ok], sums[ok] / counts[ok], color=COLORS[i % len(COLORS)], label=g)
        drawn = True
    if not drawn:
        plt.close(fig)
        return Plot("imbalance", title, None, "no imbalance samples in these runs")
    ax.set_xlabel("seconds into the run")
    ax.set_ylabel("imbalance (tasks)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return Plot("imbalance", title, to_svg(fig))


def runqlen_histograms(runs: list[RunData], a: Analysis) -> Plot:
    title = "Run-queue length histogram (99 Hz per-CPU samples, fraction)"
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    groups = by_group(runs, a)
    hists = {
        g: merged([r.bench.runqlen for r in rs if r.bench and r.bench.runqlen])
        for g, rs in groups.items()
    }
    hists = {g: h for g, h in hists.items() if h is not None and h.total}
    if not hists:
        plt.close(fig)
        return Plot("runqlen", title, None, "no runqlen data in these runs")
    width = 0.8 / len(hists)
    for i, (g, h) in enumerate(hists.items()):
        ax.bar(
            h.lo + i * width - 0.4 + width / 2,
            h.counts / h.total,
            width,
            color=COLORS[i % len(COLORS)],
            label=g,
        )
    ax.set_xlabel("tasks waiting in the run queue")
    ax.set_ylabel("fraction")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    return Plot("runqlen", title, to_svg(fig))


def headline_metric(a: Analysis, bench_name: str) -> str | None:
    """The workload's own figure (a time or a rate) for the bar chart; else any compared one."""
    bench = next(b for b in a.benchmarks if b.name == bench_name)
    compared = [m for m in bench.metrics if m.direction and a.baseline in m.summaries]
    scheduler = ("latency", "imbalance", "loadavg", "migration", "runqlen", "decisions")
    own = [m for m in compared if not any(s in m.metric for s in scheduler)]
    candidates = own or compared
    if not candidates:
        return None

    def rank(name: str) -> int:  # means and totals before extremes, rates before counts
        return next((i for i, p in enumerate(HEADLINE) if p in name), len(HEADLINE))

    return min(candidates, key=lambda m: (rank(m.metric), m.metric)).metric


def benchmark_bars(a: Analysis) -> Plot:
    """Each benchmark's headline metric, normalised to the baseline's mean, with 95% CIs."""
    title = f"Per-benchmark headline metric relative to {a.baseline} (mean, 95% CI)"
    rows = []
    for b in a.benchmarks:
        metric = headline_metric(a, b.name)
        if metric:
            rows.append((b.name, next(m for m in b.metrics if m.metric == metric)))
    if not rows:
        return Plot("bars", title, None, "no metric present in the baseline")
    plt = pyplot()
    height = max(2.5, 0.35 * len(rows) * len(a.groups) + 1.2)
    fig, ax = plt.subplots(figsize=(7, height))
    width = 0.8 / len(a.groups)
    for gi, g in enumerate(a.groups):
        ys, xs, errs = [], [], [[], []]
        for i, (_, m) in enumerate(rows):
            s, base = m.summaries.get(g), m.summaries[a.baseline].mean
            if s is None or not base:
                continue
            ys.append(i - 0.4 + width * (gi + 0.5))
            xs.append(s.mean / base)
            lo, hi = s.mean_ci
            errs[0].append(0 if math.isnan(lo) else (s.mean - lo) / base)
            errs[1].append(0 if math.isnan(hi) else (hi - s.mean) / base)
        ax.barh(ys, xs, width, xerr=errs, capsize=3, color=COLORS[gi % len(COLORS)], label=g)
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{n}\n{m.metric} ({m.direction} better)" for n, m in rows], fontsize=7)
    ax.invert_yaxis()  # first benchmark on top, as in the tables
    ax.set_xlabel(f"mean / {a.baseline} mean")
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8)
    return Plot("bars", title, to_svg(fig))


def all_plots(runs: list[RunData], a: Analysis) -> list[Plot]:
    plots = [latency_cdf(runs, a, f) for f in FUNCTIONS]
    plots += [imbalance_over_time(runs, a), runqlen_histograms(runs, a), benchmark_bars(a)]
    return plots
