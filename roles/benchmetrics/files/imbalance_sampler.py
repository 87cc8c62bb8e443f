#!/usr/bin/env python3
"""Sample the run-queue imbalance 10 times a second: max and min nr_running over all CPUs.

Reads the scheduler's debug file (debugfs sched/debug on 5.13+, /proc/sched_debug before), in
which each `cpu#N` section starts with the run queue's own `.nr_running`. Prints one line per
sample: `<seconds since start> <max> <min>`, until the duration ends or SIGINT/SIGTERM.
"""

import os
import signal
import sys
import time

SOURCES = ("/sys/kernel/debug/sched/debug", "/proc/sched_debug")


def nr_running(path):
    per_cpu, in_cpu = [], False
    with open(path) as fh:
        for line in fh:
            if line.startswith("cpu#"):
                in_cpu = True
            elif in_cpu and line.strip().startswith(".nr_running"):
                per_cpu.append(int(line.split(":")[1]))
                in_cpu = False  # later .nr_running lines belong to cfs_rq/rt_rq sections
    return per_cpu


def main():
    duration = float(sys.argv[1]) if len(sys.argv) > 1 else 3600.0
    interval = 0.1
    if not os.path.exists(SOURCES[0]) and os.path.isdir("/sys/kernel/debug"):
        os.system("mount -t debugfs none /sys/kernel/debug 2>/dev/null")
    source = next((s for s in SOURCES if os.path.exists(s)), None)
    if source is None:
        print("# no scheduler debug file (CONFIG_SCHED_DEBUG off?)", flush=True)
        return 1
    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print(f"# source {source}, interval {interval}s", flush=True)
    t0 = time.monotonic()
    next_at = t0
    while not stop and time.monotonic() - t0 < duration:
        counts = nr_running(source)
        if counts:
            print(f"{time.monotonic() - t0:.3f} {max(counts)} {min(counts)}", flush=True)
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
