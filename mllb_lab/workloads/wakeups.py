"""The near-idle regime: tasks that sleep on a shared timer and wake together for a short burst.

A plain idle machine hardly balances (123 decisions in 90 s on 2x14x2), so it cannot measure
how a model decides on an idle system. Here `tasks` processes sleep until the next multiple of
`interval_us` (CLOCK_MONOTONIC, so all wake at the same instant), spin for `busy_us`, and sleep
again: the machine stays mostly idle (utilisation about tasks x busy / interval / CPUs), but at
every tick more tasks wake than CPUs are free, so CPUs that finish go newly idle and pull the
waiting ones, and idle CPUs balance: the decisions an idle system makes.

Why not cyclictest (rt-tests): it pins each thread to one CPU even without -a, so nearly every
decision it causes fails the affinity test (8,343 of 10,867 in one run) and the paper's
filters drop it. These are plain unpinned SCHED_OTHER processes, the class can_migrate_task()
balances. The run prints the CPU utilisation it caused (cpuload.py).
"""

from __future__ import annotations

import re

from pydantic import Field

from mllb_lab.workloads.base import Params, Target, Workload, q, scaled
from mllb_lab.workloads.cpuload import cpu_usage_metrics, with_cpu_usage

# Run by python3 on the target (Ansible needs it there anyway): argv = tasks interval_us
# busy_us duration_s. Each child prints one "wakes=N" line, the parent "tasks=N" at the end.
PROGRAM = """
import os, sys, time
tasks, interval_us, busy_us, duration = (int(a) for a in sys.argv[1:5])
period, busy, end = interval_us / 1e6, busy_us / 1e6, time.monotonic() + duration
for _ in range(tasks):
    if os.fork() == 0:
        wakes = 0
        while time.monotonic() < end:
            time.sleep(period - time.monotonic() % period)
            stop = time.monotonic() + busy
            while time.monotonic() < stop:
                pass
            wakes += 1
        os.write(1, f"wakes={wakes}\\n".encode())  # one write: lines of tasks never interleave
        os._exit(0)
failed = sum(os.wait()[1] != 0 for _ in range(tasks))
print(f"tasks={tasks} failed={failed}", flush=True)
sys.exit(1 if failed else 0)
"""

WAKES = re.compile(r"(?m)^wakes=(\d+)$")
TASKS = re.compile(r"(?m)^tasks=(\d+) failed=(\d+)$")


class WakeupsParams(Params):
    tasks: int | None = Field(default=None, ge=1, le=1024)
    per_cpu: float = Field(default=2, gt=0, le=8, description="tasks per CPU")
    interval_us: int = Field(default=20_000, ge=1000, le=1_000_000)
    busy_us: int = Field(default=500, ge=0, le=100_000, description="spin after each wake-up")


def command(p: WakeupsParams, t: Target, duration: int) -> str:
    tasks = scaled(p.tasks, p.per_cpu, t)
    run = f"python3 -c {q(PROGRAM)} {tasks} {p.interval_us} {p.busy_us} {duration}"
    return with_cpu_usage(run)


def parse(text: str) -> dict[str, float]:
    metrics = cpu_usage_metrics(text)
    wakes = [int(w) for w in WAKES.findall(text)]
    if wakes:
        metrics["wakeups"] = float(sum(wakes))
        metrics["wakeups_min_per_task"] = float(min(wakes))
    done = TASKS.search(text)
    if done:
        metrics["tasks"] = float(done[1])
        metrics["tasks_failed"] = float(done[2])
    return metrics


def regime(p: WakeupsParams, t: Target) -> str:
    return "idle"


WORKLOADS = (
    Workload("wakeups", "tasks waking together on a timer for a short burst, machine mostly idle",
             WakeupsParams, command, parse, regime, ("python3",)),
)  # fmt: skip
