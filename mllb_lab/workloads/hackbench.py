"""hackbench (rt-tests): groups of senders and receivers over pipes or sockets.

Every message wakes a receiver, so it is the classic generator of wake-up balancing. Groups
scale with the target: one group (40 tasks) per `cpus_per_group` CPUs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mllb_lab.workloads.base import Params, Target, Workload
from mllb_lab.workloads.loops import NUMBER, all_numbers, repeat_for, timing_stats


class HackbenchParams(Params):
    groups: int | None = Field(default=None, ge=1, le=1000)
    cpus_per_group: int = Field(default=4, ge=1)
    loops: int = Field(default=100, ge=1)
    mode: Literal["process", "threads"] = "process"
    pipe: bool = False
    size: int = Field(default=100, ge=1, le=65536, description="bytes per message")


def groups(p: HackbenchParams, t: Target) -> int:
    return p.groups if p.groups is not None else max(1, t.cpus // p.cpus_per_group)


def command(p: HackbenchParams, t: Target, duration: int) -> str:
    flags = f"-g {groups(p, t)} -l {p.loops} -s {p.size}"
    if p.mode == "threads":
        flags += " -T"
    if p.pipe:
        flags += " -p"
    return repeat_for(duration, f"hackbench {flags}")


def parse(text: str) -> dict[str, float]:
    return timing_stats("hackbench", all_numbers(rf"(?m)^Time:\s*{NUMBER}", text))


def regime(p: HackbenchParams, t: Target) -> str:
    return "bursty"


WORKLOADS = (
    Workload("hackbench", "hackbench message storm", HackbenchParams, command, parse, regime,
             ("hackbench",)),
)  # fmt: skip
