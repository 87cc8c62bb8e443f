"""Expand a campaign into runs: host x kernel x workload x parameter set x repetition.

With a kernel axis (`kernels:`) every repetition visits every kernel (interleaved: A B, B A,
...; see campaign/kernels.py) and runs the repetition's workload order on each.

A run's id is a hash of what defines it (not of when it was planned), so a resumed campaign
finds the same ids and never runs a finished one twice.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass
from typing import Any

from mllb_lab.campaign.kernels import repetition_order
from mllb_lab.campaign.schema import Campaign


@dataclass(frozen=True)
class RunSpec:
    run_id: str
    seq: int  # position in this host's run order
    host: str
    kernel: str
    workload: str
    params: dict[str, Any]
    duration: int
    capture: bool
    repetition: int
    regime: str | None  # campaign override; otherwise the workload's own
    seed: int

    def to_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["params"] = canonical(self.params)
        return row


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def run_id(campaign: str, host: str, kernel: str, key: dict[str, Any], repetition: int) -> str:
    digest = hashlib.sha256(canonical([campaign, host, kernel, key, repetition]).encode())
    return f"{key['workload']}-r{repetition}-{digest.hexdigest()[:10]}"


def expand(campaign: Campaign, hosts: list[str]) -> list[RunSpec]:
    """Every run, ordered per host: repetition by repetition, kernel by kernel within one,
    workloads shuffled by the seed (the same order for every kernel of a repetition)."""
    variants = []
    for entry in campaign.workloads:
        for params in entry.combinations():
            variants.append(
                {
                    "workload": entry.name,
                    "params": params,
                    "duration": entry.duration or campaign.duration,
                    "capture": campaign.capture if entry.capture is None else entry.capture,
                    "regime": entry.regime,
                }
            )
    runs: list[RunSpec] = []
    for host in hosts:
        seq = 0
        for rep in range(1, campaign.repetitions + 1):
            order = list(variants)
            # Same seed, same order on every host; a different order each repetition, so slow
            # drift (page cache, thermal) does not always hit the same workload.
            random.Random(f"{campaign.seed}:{rep}").shuffle(order)
            for kernel in repetition_order(campaign.kernel_entries(), rep):
                for v in order:
                    runs.append(spec_of(campaign, host, kernel.text, v, rep, seq))
                    seq += 1
    return runs


def spec_of(
    campaign: Campaign, host: str, kernel: str, v: dict[str, Any], rep: int, seq: int
) -> RunSpec:
    return RunSpec(
        run_id=run_id(campaign.name, host, kernel, v, rep),
        seq=seq,
        host=host,
        kernel=kernel,
        workload=v["workload"],
        params=v["params"],
        duration=v["duration"],
        capture=v["capture"],
        repetition=rep,
        regime=v["regime"],
        seed=campaign.seed,
    )


def duplicates(runs: list[RunSpec]) -> list[str]:
    """Ids that occur twice: the same workload and parameters listed twice in one file."""
    seen: set[str] = set()
    dup = []
    for r in runs:
        if r.run_id in seen:
            dup.append(r.run_id)
        seen.add(r.run_id)
    return dup
