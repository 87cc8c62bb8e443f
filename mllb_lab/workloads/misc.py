"""The idle regime.

Idle matters: the paper's model trained on high load only fell to 85% on an idle system.
"""

from __future__ import annotations

import re

from mllb_lab.workloads.base import Params, Target, Workload
from mllb_lab.workloads.loops import NUMBER


class IdleParams(Params):
    pass


def idle_command(p: IdleParams, t: Target, duration: int) -> str:
    return f"sleep {duration}; echo loadavg=$(cut -d' ' -f1 /proc/loadavg)"


def idle_parse(text: str) -> dict[str, float]:
    m = re.search(rf"loadavg={NUMBER}", text)
    return {"loadavg_1m": float(m[1])} if m else {}


def idle_regime(p: IdleParams, t: Target) -> str:
    return "idle"


WORKLOADS = (
    Workload("idle", "nothing but the system's own background", IdleParams, idle_command,
             idle_parse, idle_regime),
)  # fmt: skip
