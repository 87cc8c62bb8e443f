"""mllb-schedlat's JSON (format `mllb-schedlat/1`, written by bpf/mllb_schedlat.c in the guest)
as the same `Histogram`s the BCC printouts gave: one log2 latency histogram per function and
the run-queue length histogram.

`functions.<f>.log2_ns[i]` counts calls that took [2^i, 2^(i+1)) ns (index 0 also holds 0 and
1 ns): BCC's log2 buckets, so a histogram read here merges with one parsed from funclatency.
`runqlen.hist[k]` counts per-CPU samples that saw k tasks waiting. Trailing zeros are trimmed
by the tool; `sum_ns / count` is the exact mean.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mllb_lab.benchmetrics.histogram import Histogram

FORMAT = "mllb-schedlat/1"
FILE = "schedlat.json"


@dataclass(frozen=True)
class Schedlat:
    latency: dict[str, Histogram]  # function -> ns histogram (functions with calls only)
    runqlen: Histogram | None
    missing: dict[str, str] = field(default_factory=dict)  # what was not measured -> why
    kernel_release: str = ""
    nr_cpus: int = 0
    duration_s: float = 0.0


def counts_of(value: Any, where: str) -> np.ndarray:
    if not isinstance(value, list) or not all(
        isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in value
    ):
        raise ValueError(f"{where} is not a list of counts")
    return np.array(value, dtype=np.int64)


def log2_histogram(entry: Any, func: str) -> Histogram:
    if not isinstance(entry, dict):
        raise ValueError(f"functions.{func} is not an object")
    counts = counts_of(entry.get("log2_ns"), f"functions.{func}.log2_ns")
    count, sum_ns = entry.get("count"), entry.get("sum_ns")
    if not isinstance(count, int) or not isinstance(sum_ns, int | float):
        raise ValueError(f"functions.{func} needs integer count and numeric sum_ns")
    # count and the buckets are summed over per-CPU slots the probes update one after the
    # other, so a read racing a call may be off by one: not a reason to drop the data.
    i = np.arange(len(counts), dtype=float)
    lo = np.where(i == 0, 0.0, 2.0**i)
    hi = 2.0 ** (i + 1) - 1
    mean = float(sum_ns) / count if count else None
    return Histogram(lo, hi, counts, "ns", mean)


def linear_histogram(entry: Any) -> Histogram:
    if not isinstance(entry, dict):
        raise ValueError("runqlen is not an object")
    counts = counts_of(entry.get("hist"), "runqlen.hist")
    k = np.arange(len(counts), dtype=float)
    return Histogram(k, k, counts, "runqlen")


def parse(text: str) -> Schedlat:
    """Raises ValueError naming the field when the file is not mllb-schedlat/1."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise ValueError(f"format is {found!r}, expected {FORMAT!r}")
    functions = doc.get("functions", {})
    if not isinstance(functions, dict):
        raise ValueError("functions is not an object")
    missing = {str(k): str(v) for k, v in (doc.get("missing") or {}).items()}
    latency = {}
    for func, entry in functions.items():
        hist = log2_histogram(entry, func)
        if hist.total:
            latency[func] = hist
        else:  # attached, never called during the run: nothing to plot
            missing.setdefault(func, "attached, no calls")
    runqlen = linear_histogram(doc["runqlen"]) if doc.get("runqlen") is not None else None
    if runqlen is not None and not runqlen.total:
        missing.setdefault("runqlen", "no samples")
        runqlen = None
    return Schedlat(
        latency=latency,
        runqlen=runqlen,
        missing=missing,
        kernel_release=str(doc.get("kernel_release", "")),
        nr_cpus=int(doc.get("nr_cpus", 0)),
        duration_s=float(doc.get("duration_s", 0.0)),
    )


def dump(
    latencies_ns: dict[str, np.ndarray],
    runqlen: np.ndarray | None,
    nr_cpus: int = 8,
    duration_s: float = 10.0,
    missing: dict[str, str] | None = None,
    hz: int = 99,
) -> str:
    """The tool's JSON for raw latencies and run-queue lengths (tests, synthetic stores)."""
    functions = {}
    for func, values in latencies_ns.items():
        v = np.asarray(values, dtype=np.int64)
        idx = np.where(v <= 1, 0, np.floor(np.log2(np.maximum(v, 1))).astype(int))
        slots = np.bincount(idx, minlength=1) if len(v) else np.zeros(0, dtype=np.int64)
        functions[func] = {"count": len(v), "sum_ns": int(v.sum()), "log2_ns": trim(slots)}
    doc: dict[str, Any] = {
        "format": FORMAT,
        "kernel_release": "6.1.0-synthetic",
        "nr_cpus": nr_cpus,
        "duration_s": duration_s,
        "functions": functions,
        "missing": missing or {},
    }
    if runqlen is not None:
        hist = np.bincount(np.asarray(runqlen, dtype=np.int64))
        doc["runqlen"] = {"hz": hz, "samples": int(hist.sum()), "hist": trim(hist)}
    return json.dumps(doc)


def trim(counts: np.ndarray) -> list[int]:
    nonzero = np.nonzero(counts)[0]
    return [int(c) for c in counts[: int(nonzero.max()) + 1]] if len(nonzero) else []
