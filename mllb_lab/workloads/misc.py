"""The idle regime and a kernel compile.

Idle matters: the paper's model trained on high load only fell to 85% on an idle system.
The kernel compile needs make, gcc and a configured tree on the target (not in the default
guest image): point `source` at one.
"""

from __future__ import annotations

import re

from pydantic import Field

from mllb_lab.workloads.base import Params, Target, Workload, q, scaled
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


class KbuildParams(Params):
    source: str = Field(default="/usr/src/linux", pattern=r"^/[^\s]*$")
    make_target: str = Field(default="vmlinux", pattern=r"^[A-Za-z0-9_./-]+$")
    jobs: int | None = Field(default=None, ge=1, le=4096)


def kbuild_command(p: KbuildParams, t: Target, duration: int) -> str:
    # The run's timeout bounds it; duration is the budget, not a loop length.
    jobs = scaled(p.jobs, 1.0, t)
    src = q(p.source)
    return (
        f"cd {src} && {{ [ -f .config ] || make -s defconfig; }} && make -s clean && "
        f"s=$(date +%s.%N) && make -s -j{jobs} {q(p.make_target)} >/dev/null && "
        f'e=$(date +%s.%N) && echo kbuild_seconds=$(awk "BEGIN{{print $e-$s}}")'
    )


def kbuild_parse(text: str) -> dict[str, float]:
    m = re.search(rf"kbuild_seconds={NUMBER}", text)
    return {"kbuild_s": float(m[1])} if m else {}


def kbuild_regime(p: KbuildParams, t: Target) -> str:
    return "kbuild"


WORKLOADS = (
    Workload("idle", "nothing but the system's own background", IdleParams, idle_command,
             idle_parse, idle_regime),
    Workload("kbuild", "kernel compile with one job per CPU", KbuildParams, kbuild_command,
             kbuild_parse, kbuild_regime, ("make", "gcc", "awk")),
)  # fmt: skip
