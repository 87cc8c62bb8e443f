"""sysbench cpu / threads / mutex: a scheduler-heavy load with its own throughput figures.

`threads` (yield + mutex lock/unlock in a loop) and `mutex` make tasks block and wake; `cpu`
is a steady hog (few balancing decisions, but the paper's load regimes need one).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from mllb_lab.workloads.base import Params, Target, Workload, load_regime, scaled
from mllb_lab.workloads.loops import NUMBER


class SysbenchParams(Params):
    test: Literal["cpu", "threads", "mutex"] = "threads"
    threads: int | None = Field(default=None, ge=1, le=4096)
    load: int = Field(default=100, ge=1, le=1000, description="threads per 100 CPUs")


def threads(p: SysbenchParams, t: Target) -> int:
    return scaled(p.threads, p.load / 100, t)


def command(p: SysbenchParams, t: Target, duration: int) -> str:
    return f"sysbench {p.test} --threads={threads(p, t)} --time={duration} run"


FIELDS = {
    "events_per_s": rf"events per second:\s*{NUMBER}",
    "total_time_s": rf"total time:\s*{NUMBER}s",
    "events": rf"total number of events:\s*{NUMBER}",
    "latency_min_ms": rf"min:\s*{NUMBER}",
    "latency_avg_ms": rf"avg:\s*{NUMBER}",
    "latency_max_ms": rf"max:\s*{NUMBER}",
    "latency_p95_ms": rf"95th percentile:\s*{NUMBER}",
}


def parse(text: str) -> dict[str, float]:
    metrics = {}
    for name, pattern in FIELDS.items():
        m = re.search(pattern, text)
        if m:
            metrics[f"sysbench_{name}"] = float(m[1])
    return metrics


def regime(p: SysbenchParams, t: Target) -> str:
    return load_regime(threads(p, t), t) if p.test == "cpu" else "bursty"


WORKLOADS = (
    Workload("sysbench", "sysbench cpu|threads|mutex", SysbenchParams, command, parse, regime,
             ("sysbench",)),
)  # fmt: skip
