"""The near-idle regime: a handful of threads that sleep and wake on a timer (cyclictest).

A plain idle machine hardly balances (123 decisions in 90 s on 2x14x2), so it cannot measure
how a model decides on an idle system. Periodic wake-ups keep the machine mostly idle but make
CPUs go idle and wake again all the time: newly-idle and idle balancing run, and aligned
wake-ups (distance 0) now and then stack two tasks on one runqueue for them to pull. The run
prints the CPU utilisation it caused (cpuload.py), the figure that makes it an idle run.
SCHED_OTHER threads (no -p): the fair class is what can_migrate_task() balances.
"""

from __future__ import annotations

import re

from pydantic import Field

from mllb_lab.workloads.base import Params, Target, Workload, scaled
from mllb_lab.workloads.cpuload import cpu_usage_metrics, with_cpu_usage

# "T: 0 ( 4382) P: 0 I:1000 C:   1811 Min:     34 Act:   90 Avg:  230 Max:   15242"
THREAD_ROW = re.compile(
    r"(?m)^T:\s*\d+\s*\(\s*\d+\)\s*P:\s*\d+\s*I:\s*\d+\s*C:\s*(?P<cycles>\d+)\s*"
    r"Min:\s*(?P<min>\d+)\s*Act:\s*\d+\s*Avg:\s*(?P<avg>\d+)\s*Max:\s*(?P<max>\d+)"
)


class WakeupsParams(Params):
    threads: int | None = Field(default=None, ge=1, le=256)
    per_cpu: float = Field(default=0.125, gt=0, le=1, description="threads per CPU")
    interval_us: int = Field(default=1000, ge=100, le=1_000_000)
    distance_us: int = Field(default=0, ge=0, le=100_000, description="interval step per thread")


def command(p: WakeupsParams, t: Target, duration: int) -> str:
    # --default-system: leave /dev/cpu_dma_latency alone, the machine's idle states are the point.
    threads = scaled(p.threads, p.per_cpu, t)
    cyclic = (
        f"cyclictest -t {threads} -i {p.interval_us} -d {p.distance_us} -D {duration} -q "
        "--default-system 2>&1"
    )
    return with_cpu_usage(cyclic)


def parse(text: str) -> dict[str, float]:
    metrics = cpu_usage_metrics(text)
    rows = list(THREAD_ROW.finditer(text))
    if rows:
        metrics["wakeups"] = float(sum(int(r["cycles"]) for r in rows))
        metrics["wake_latency_avg_us"] = sum(int(r["avg"]) for r in rows) / len(rows)
        metrics["wake_latency_max_us"] = float(max(int(r["max"]) for r in rows))
    return metrics


def regime(p: WakeupsParams, t: Target) -> str:
    return "idle"


WORKLOADS = (
    Workload("wakeups", "a few timer-driven sleep/wake threads on an otherwise idle machine",
             WakeupsParams, command, parse, regime, ("cyclictest",)),
)  # fmt: skip
