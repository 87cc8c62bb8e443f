"""Fork/wake storm: short-lived children plus pipe ping-pong, the loads that balance the most.

Every fork places a new task (fork balancing) and every exit or wake-up leaves a CPU newly
idle; a steady CPU hog produces almost no can_migrate_task() calls by comparison.
"""

from __future__ import annotations

from pydantic import Field

from mllb_lab.workloads.base import Params, Target, Workload, scaled
from mllb_lab.workloads.stressng import parse, stress_ng


class ForkStormParams(Params):
    forkers: int | None = Field(default=None, ge=1, le=4096)
    switchers: int | None = Field(default=None, ge=0, le=4096)
    per_cpu: float = Field(default=0.5, gt=0, le=16)
    fork_max: int = Field(default=8, ge=1, le=4096, description="children per fork round")


def command(p: ForkStormParams, t: Target, duration: int) -> str:
    forkers = scaled(p.forkers, p.per_cpu, t)
    switchers = scaled(p.switchers, p.per_cpu, t)
    args = f"--fork {forkers} --fork-max {p.fork_max}"
    if switchers:
        args += f" --switch {switchers}"
    return stress_ng(args, duration)


def regime(p: ForkStormParams, t: Target) -> str:
    return "bursty"


WORKLOADS = (
    Workload("forkstorm", "fork + context-switch storm (stress-ng fork, switch)",
             ForkStormParams, command, parse, regime, ("stress-ng",)),
)  # fmt: skip
