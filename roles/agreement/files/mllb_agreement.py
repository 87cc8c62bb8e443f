#!/usr/bin/env python3
"""Agreement harvest on a JC_SCHED target (roles/agreement): `start RUN_DIR` resets the
per-CPU ML-vs-CFS counters and, on a TEST-mode kernel, turns the model on
(kernel.sched_mllb=1, remembering the old value); `stop RUN_DIR` restores the switch and
writes RUN_DIR/agreement.json with the totals and the per-CPU cells.

TOGGLE and REPLACE kernels keep their switch as the campaign set it (there it changes who
decides); their counters are still reset and read. Python 3 standard library only.
"""

import gzip
import json
import os
import sys

DEBUGFS = "/sys/kernel/debug/sched/mllb"
SWITCH = "/proc/sys/kernel/sched_mllb"
SAVED = ".agreement-switch"  # in the run folder: the switch's value before start
CELLS = ("cfs0_ml0", "cfs0_ml1", "cfs1_ml0", "cfs1_ml1")


def fail(text):
    sys.stderr.write(f"mllb_agreement: {text}\n")
    sys.exit(2)


def mode():
    try:
        with gzip.open("/proc/config.gz", "rt") as fh:
            config = fh.read()
    except OSError:
        return "unknown"
    for name in ("TEST", "REPLACE", "TOGGLE"):
        if f"CONFIG_JC_SCHED_{name}=y" in config:
            return name.lower()
    return "unknown"


def read(path):
    with open(path) as fh:
        return fh.read()


def write(path, text):
    with open(path, "w") as fh:
        fh.write(text)


def totals():
    return {
        k: int(v) for k, v in (line.split() for line in read(f"{DEBUGFS}/agreement").splitlines())
    }


def percpu():
    """agreement_percpu: `CPU cfs0_ml0 cfs0_ml1 cfs1_ml0 cfs1_ml1` per line."""
    rows = {}
    for line in read(f"{DEBUGFS}/agreement_percpu").splitlines():
        parts = line.split()
        if parts and parts[0].isdigit():
            rows[parts[0]] = [int(v) for v in parts[1:]]
    return rows


def start(run_dir):
    if not os.path.isfile(f"{DEBUGFS}/agreement"):
        fail(f"{DEBUGFS}/agreement is missing: not a JC_SCHED kernel (or debugfs not mounted)")
    if mode() == "test":
        write(os.path.join(run_dir, SAVED), read(SWITCH).strip() + "\n")
        write(SWITCH, "1\n")
    write(f"{DEBUGFS}/agreement", "0\n")


def stop(run_dir):
    saved = os.path.join(run_dir, SAVED)
    switched = os.path.isfile(saved)
    if switched:
        write(SWITCH, read(saved))
        os.unlink(saved)
    counts = totals()
    asked = sum(counts.get(c, 0) for c in CELLS)
    agree = counts.get("cfs0_ml0", 0) + counts.get("cfs1_ml1", 0)
    result = {
        "version": 1,
        "mode": mode(),
        "switch_set_by_harvest": switched,
        "counters": counts,
        "decisions": asked,
        "agreement": agree / asked if asked else None,
        "percpu_columns": ["cpu", *CELLS],
        "percpu": percpu(),
    }
    write(os.path.join(run_dir, "agreement.json"), json.dumps(result, indent=2) + "\n")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        fail("usage: mllb_agreement.py start|stop RUN_DIR")
    (start if sys.argv[1] == "start" else stop)(sys.argv[2])


if __name__ == "__main__":
    main()
