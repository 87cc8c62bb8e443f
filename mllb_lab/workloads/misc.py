"""The idle regime.

Idle matters: the paper's model trained on high load only fell to 85% on an idle system. The
run prints the CPU utilisation and load average it saw (cpuload.py).
"""

from __future__ import annotations

from mllb_lab.workloads.base import Params, Target, Workload
from mllb_lab.workloads.cpuload import cpu_usage_metrics, with_cpu_usage


class IdleParams(Params):
    pass


def idle_command(p: IdleParams, t: Target, duration: int) -> str:
    return with_cpu_usage(f"sleep {duration}")


def idle_parse(text: str) -> dict[str, float]:
    return cpu_usage_metrics(text)


def idle_regime(p: IdleParams, t: Target) -> str:
    return "idle"


WORKLOADS = (
    Workload("idle", "nothing but the system's own background", IdleParams, idle_command,
             idle_parse, idle_regime),
)  # fmt: skip
