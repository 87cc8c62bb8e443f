"""What every workload is: a parameter schema, scaling to the target, a command, a parser.

A workload never runs anything on the controller. It renders a shell command for one target
(sized from that target's facts) and parses the text that command printed into metrics.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from mllb_lab.ml.records import REGIMES


@dataclass(frozen=True)
class Target:
    """The facts a workload scales with (from the facts role: cpus and numa_nodes)."""

    cpus: int
    nodes: tuple[tuple[int, ...], ...] = ()  # CPUs of each NUMA node

    @classmethod
    def from_facts(cls, facts: dict[str, Any]) -> Target:
        nodes = tuple(tuple(expand_cpulist(n.get("cpus", ""))) for n in facts.get("numa_nodes", []))
        return cls(cpus=int(facts["cpus"]), nodes=nodes)

    @property
    def node_count(self) -> int:
        return max(1, len(self.nodes))


def expand_cpulist(text: str) -> list[int]:
    """'0-3,8' -> [0, 1, 2, 3, 8]"""
    cpus: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-")
            cpus.extend(range(int(lo), int(hi) + 1))
        elif part:
            cpus.append(int(part))
    return cpus


class Params(BaseModel):
    """Base of every workload's parameters: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Workload:
    name: str
    summary: str
    params: type[Params]
    # (params, target, duration seconds) -> shell command run on the target
    command: Callable[[Any, Target, int], str]
    # printed text -> metrics (numbers only, so they fit the index)
    parse: Callable[[str], dict[str, float]]
    # (params, target) -> regime name stored with every decision row
    regime: Callable[[Any, Target], str]
    needs: tuple[str, ...] = ()  # programs the target must have
    files: tuple[str, ...] = field(default_factory=tuple)  # controller files copied first


def scaled(count: int | None, per_cpu: float, target: Target) -> int:
    """An explicit count wins; otherwise `per_cpu` tasks per CPU of the target, at least 1."""
    if count is not None:
        return count
    return max(1, math.ceil(per_cpu * target.cpus))


def load_regime(tasks: int, target: Target) -> str:
    """Tasks per CPU -> the nearest of the paper's regimes (30/60/120 stressors on 56 CPUs)."""
    ratio = tasks / max(1, target.cpus)
    if ratio <= 0:
        return REGIMES[0]
    if ratio < 0.75:
        return "load50"
    if ratio < 1.5:
        return "load100"
    return "load200"


def q(value: object) -> str:
    return shlex.quote(str(value))
