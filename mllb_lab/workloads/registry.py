"""All workloads by name, and the one call the campaign code uses to prepare one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mllb_lab.workloads import (
    fibo,
    forkstorm,
    hackbench,
    kbuild,
    misc,
    perfbench,
    stressng,
    sysbench,
    wakeups,
)
from mllb_lab.workloads.base import Params, Target, Workload

WORKLOADS: dict[str, Workload] = {
    w.name: w
    for module in (stressng, hackbench, forkstorm, fibo, sysbench, perfbench, kbuild, misc, wakeups)
    for w in module.WORKLOADS
}
# Controller-side files a workload needs on the target, by name -> builder returning a path.
FILE_BUILDERS = {"fibo": fibo.build, "kbuild": kbuild.build}


@dataclass(frozen=True)
class Prepared:
    """One workload sized for one target: what the workload role runs and how to read it."""

    workload: str
    command: str
    regime: str
    needs: tuple[str, ...]
    files: tuple[str, ...]


def names() -> list[str]:
    return sorted(WORKLOADS)


def get(name: str) -> Workload:
    return WORKLOADS[name]


def parse_params(name: str, params: dict[str, Any]) -> Params:
    return WORKLOADS[name].params.model_validate(params)


def prepare(name: str, params: Params, target: Target, duration: int) -> Prepared:
    w = WORKLOADS[name]
    return Prepared(
        workload=name,
        command=w.command(params, target, duration),
        regime=w.regime(params, target),
        needs=w.needs,
        files=w.files,
    )


def build_files(files: tuple[str, ...]) -> dict[str, Path]:
    return {f: FILE_BUILDERS[f]() for f in files}


def parse_output(name: str, text: str) -> dict[str, float]:
    return WORKLOADS[name].parse(text)
