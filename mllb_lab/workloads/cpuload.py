"""Measure the load a workload really put on the target: CPU utilisation from /proc/stat.

The idle regime is defined by it (docs/ml.md, "Regimes"): a run counts as idle only if the
machine stayed mostly idle, so the idle workloads print what they used. Busy time is every
jiffy of the aggregate `cpu` line in user, nice, system, irq and softirq, out of those plus idle
and iowait (steal and guest time left out), over the run, for all CPUs together.
"""

from __future__ import annotations

import re

from mllb_lab.workloads.loops import NUMBER

# Prints "cpustat=<busy jiffies> <total jiffies>" (aggregate line of /proc/stat).
_SNAPSHOT = "awk '/^cpu /{b=$2+$3+$4+$7+$8; print \"cpustat=\" b, b+$5+$6}' /proc/stat"
_SNAPSHOT_RE = re.compile(r"(?m)^cpustat=(\d+) (\d+)$")


def with_cpu_usage(command: str) -> str:
    """Wrap `command`: one /proc/stat snapshot before, one after, then the 1-minute loadavg.

    The command runs in a subshell, so an `exit` in it cannot skip the second snapshot; its
    exit status is kept (the role fails a run on a non-zero status)."""
    return (
        f"{_SNAPSHOT}; ( {command} ); rc=$?; {_SNAPSHOT}; "
        "echo loadavg=$(cut -d' ' -f1 /proc/loadavg); exit $rc"
    )


def cpu_usage_metrics(text: str) -> dict[str, float]:
    """cpu_busy_pct (all CPUs, 0-100) from the first and last snapshot, and loadavg_1m."""
    metrics: dict[str, float] = {}
    snaps = [(int(b), int(t)) for b, t in _SNAPSHOT_RE.findall(text)]
    if len(snaps) >= 2:
        (b0, t0), (b1, t1) = snaps[0], snaps[-1]
        if t1 > t0:
            metrics["cpu_busy_pct"] = 100.0 * (b1 - b0) / (t1 - t0)
    m = re.search(rf"loadavg={NUMBER}", text)
    if m:
        metrics["loadavg_1m"] = float(m[1])
    return metrics
