"""One run's benchmark metrics from its artifacts/benchmetrics folder: scalars for the
statistics and distributions for the plots. Missing tools leave their metrics out (listed in
`missing` as "<metric>: <why>"), they do not fail the run.

Latency and run-queue length come from mllb-schedlat's schedlat.json; folders collected before
it (BCC funclatency-*.txt, runqlen.txt) are still read."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mllb_lab.benchmetrics import histogram, imbalance, schedlat, schedstat
from mllb_lab.benchmetrics.histogram import Histogram

FOLDER = "benchmetrics"
FUNCTIONS = ("can_migrate_task", "load_balance")


@dataclass
class BenchMetrics:
    scalars: dict[str, float] = field(default_factory=dict)
    latency: dict[str, Histogram] = field(default_factory=dict)  # function -> ns histogram
    runqlen: Histogram | None = None
    imbalance: np.ndarray | None = None  # (t, max - min nr_running)
    missing: list[str] = field(default_factory=list)


def text_of(folder: Path, name: str) -> str | None:
    path = folder / name
    return path.read_text(errors="replace") if path.is_file() else None


def read(artifacts: Path, duration: float | None = None) -> BenchMetrics | None:
    """None when the run was not a benchmark run (no benchmetrics folder)."""
    folder = artifacts / FOLDER
    if not folder.is_dir():
        return None
    bm = BenchMetrics()
    text = text_of(folder, schedlat.FILE)
    if text is not None:
        from_schedlat(bm, text)
    elif any(folder.glob("funclatency-*.txt")):  # collected with BCC (before mllb-schedlat)
        from_bcc(bm, folder)
    else:  # the tool was not given, died or did not attach: status.txt says which
        bm.missing += [f"latency {f}: not measured (see status.txt)" for f in FUNCTIONS]
        bm.missing.append("runqlen: not measured (see status.txt)")
    for func, hist in bm.latency.items():
        bm.scalars[f"{func}_latency_ns_mean"] = hist.mean()
        bm.scalars[f"{func}_latency_ns_p50"] = hist.quantile(0.5)
        bm.scalars[f"{func}_latency_ns_p99"] = hist.quantile(0.99)
        bm.scalars[f"{func}_calls"] = float(hist.total)
    if bm.runqlen is not None:
        bm.scalars["runqlen_mean"] = bm.runqlen.mean()
    text = text_of(folder, "imbalance.txt")
    samples = imbalance.parse(text) if text else np.empty((0, 2))
    if len(samples):
        bm.imbalance = samples
        bm.scalars["max_rq_imbalance_mean"] = float(samples[:, 1].mean())
        bm.scalars["max_rq_imbalance_max"] = float(samples[:, 1].max())
    else:
        bm.missing.append("imbalance samples")
    text = text_of(folder, "loadavg.txt")
    if text and len(text.split()) >= 3:
        one, five, fifteen = (float(v) for v in text.split()[:3])
        bm.scalars.update(loadavg_1m=one, loadavg_5m=five, loadavg_15m=fifteen)
    else:
        bm.missing.append("loadavg")
    before, after = text_of(folder, "schedstat-start.txt"), text_of(folder, "schedstat-end.txt")
    if before and after and schedstat.version(after) == 15:
        d = schedstat.delta(before, after)
        bm.scalars["lb_migrations"] = float(d["lb_migrations"] + d["alb_pushed"])
        if duration and not math.isclose(duration, 0):
            bm.scalars["lb_migrations_per_s"] = bm.scalars["lb_migrations"] / duration
    else:
        bm.missing.append("schedstat")
    return bm


def from_schedlat(bm: BenchMetrics, text: str) -> None:
    try:
        out = schedlat.parse(text)
    except ValueError as exc:
        bm.missing += [f"latency {f}: {schedlat.FILE} unreadable ({exc})" for f in FUNCTIONS]
        bm.missing.append(f"runqlen: {schedlat.FILE} unreadable")
        return
    bm.latency = {f: out.latency[f] for f in FUNCTIONS if f in out.latency}
    for func in FUNCTIONS:
        if func not in bm.latency:
            bm.missing.append(f"latency {func}: {out.missing.get(func, 'not traced')}")
    bm.runqlen = out.runqlen
    if bm.runqlen is None:
        bm.missing.append(f"runqlen: {out.missing.get('runqlen', 'not sampled')}")


def from_bcc(bm: BenchMetrics, folder: Path) -> None:
    for func in FUNCTIONS:
        text = text_of(folder, f"funclatency-{func}.txt")
        hist = histogram.parse_log2(text) if text else None
        if hist is None or not hist.total:
            bm.missing.append(f"latency {func}: no funclatency histogram")
        else:
            bm.latency[func] = hist
    text = text_of(folder, "runqlen.txt")
    hist = histogram.parse_linear(text) if text else None
    if hist is None or not hist.total:
        bm.missing.append("runqlen: no runqlen histogram")
    else:
        bm.runqlen = hist
