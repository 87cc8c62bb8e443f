"""fibo: threads computing fibonacci recursively in rounds (our own workloads/fibo/fibo.c).

The guest image has no compiler, so the controller builds a static binary once (cached by the
source's hash) and the workload role copies it to the target.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

from pydantic import Field

from mllb_lab.errors import LabError
from mllb_lab.paths import cache_home, repo_root
from mllb_lab.workloads.base import Params, Target, Workload, scaled
from mllb_lab.workloads.loops import NUMBER, all_numbers, timing_stats

SOURCE = Path("workloads/fibo/fibo.c")
REMOTE = "../fibo"  # copied beside the run folders on the target; commands run in theirs


class FiboParams(Params):
    n: int = Field(default=32, ge=1, le=60, description="fib(n) per thread")
    threads: int | None = Field(default=None, ge=1, le=65536)
    per_cpu: float = Field(default=1.0, gt=0, le=16)


def command(p: FiboParams, t: Target, duration: int) -> str:
    return f"{REMOTE} -t {scaled(p.threads, p.per_cpu, t)} -n {p.n} -d {duration}"


def parse(text: str) -> dict[str, float]:
    metrics = timing_stats("fibo_round", all_numbers(rf"round=\d+ .*seconds={NUMBER}", text))
    m = re.search(rf"rounds=\d+ .*total_s={NUMBER}", text)
    if m:
        metrics["fibo_total_s"] = float(m[1])
    return metrics


def regime(p: FiboParams, t: Target) -> str:
    return "bursty"


def build(cache: Path | None = None) -> Path:
    """gcc -static the source once per content; returns the binary's path on the controller."""
    src = repo_root() / SOURCE
    key = hashlib.sha256(src.read_bytes()).hexdigest()[:16]
    out = (cache or cache_home()) / "workloads" / f"fibo-{key}"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}")
    # -O1: -O2 turns much of the recursion into loops, and the recursion is the point.
    cmd = ["gcc", "-O1", "-static", "-pthread", "-Wall", "-o", str(tmp), str(src)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        log = out.with_suffix(".log")
        log.write_text(proc.stdout + proc.stderr)
        raise LabError("building fibo with gcc -static failed", log=log)
    os.replace(tmp, out)
    return out


WORKLOADS = (
    Workload("fibo", "threads computing fib(n) recursively, in rounds", FiboParams, command,
             parse, regime, (), ("fibo",)),
)  # fmt: skip
