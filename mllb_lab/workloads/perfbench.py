"""perf bench sched: messaging (hackbench-like) and pipe (two tasks ping-ponging).

Needs `perf` on the target (Debian: linux-perf); the default guest image does not ship it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mllb_lab.workloads.base import Params, Target, Workload
from mllb_lab.workloads.loops import NUMBER, all_numbers, repeat_for, timing_stats


class PerfBenchParams(Params):
    bench: Literal["messaging", "pipe"] = "messaging"
    groups: int | None = Field(default=None, ge=1, le=1000)
    loops: int = Field(default=100, ge=1)
    threads: bool = False


def command(p: PerfBenchParams, t: Target, duration: int) -> str:
    if p.bench == "pipe":
        inner = f"perf bench sched pipe -l {p.loops * 1000}"
    else:
        g = p.groups if p.groups is not None else max(1, t.cpus // 4)
        inner = f"perf bench sched messaging -g {g} -l {p.loops}"
    if p.threads:
        inner += " -t" if p.bench == "messaging" else " -T"
    return repeat_for(duration, inner)


def parse(text: str) -> dict[str, float]:
    metrics = timing_stats("perf_bench", all_numbers(rf"Total time:\s*{NUMBER}", text))
    ops = all_numbers(rf"(?m)^\s*{NUMBER}\s+ops/sec", text)
    if ops:
        metrics["perf_bench_ops_per_s"] = sum(ops) / len(ops)
    return metrics


def regime(p: PerfBenchParams, t: Target) -> str:
    return "bursty"


WORKLOADS = (
    Workload("perf-bench", "perf bench sched messaging|pipe", PerfBenchParams, command, parse,
             regime, ("perf",)),
)  # fmt: skip
