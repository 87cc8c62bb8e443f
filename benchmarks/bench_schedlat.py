"""mllb-schedlat figures in a running lab's first guest: what the measurement itself costs, and
CFS's can_migrate_task / load_balance latency and run-queue lengths under hackbench.

    flock /tmp/mllb-heavy.lock .venv/bin/python benchmarks/bench_schedlat.py --lab NAME \
        [--calls 200000] [--seconds 30] [--groups 2]

overhead: a Python loop of umask() syscalls timed in the guest (best of --repeat) without the
tool and with `--funcs __x64_sys_umask` attached (an fentry/fexit pair on a function that does
almost nothing): the difference per call is the added cost of one timed call; the latency the
tool reports for that trivial function is its floor (trampoline + two bpf_ktime_get_ns reads).
hackbench: the default tool (both functions, run-queue lengths at 99 Hz) for --seconds of
`hackbench -g GROUPS -l 200` loops, stopped 2 s after the load. Prints figures only; asserts
nothing. Under TCG every figure is an emulated-instruction cost, not a native one.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mllb_lab.benchmetrics.schedlat_build import ensure_schedlat  # noqa: E402
from mllb_lab.capture.tracer import running_lab  # noqa: E402
from mllb_lab.kmod import guest  # noqa: E402
from mllb_lab.lab.state import LabState  # noqa: E402

DIR = "/var/tmp/schedlat-bench"
TRIVIAL = "__x64_sys_umask"  # in the BTF of Debian 6.1 (getppid's wrapper is not)
LOOP = (
    "import os, time\n"
    "n = {calls}\n"
    "t = time.perf_counter_ns()\n"
    "for _ in range(n):\n"
    "    os.umask(0o22)\n"
    "print((time.perf_counter_ns() - t) / n)\n"
)


def loop_ns(lab: LabState, calls: int, repeat: int) -> float:
    code = LOOP.format(calls=calls)
    runs = [float(guest.check(lab, "python3 -", code.encode())) for _ in range(repeat)]
    return min(runs)


def start_tool(lab: LabState, name: str, args: str) -> None:
    guest.check(
        lab,
        f"cd {DIR} && (./mllb-schedlat --out {name}.json {args} > {name}.out 2> {name}.err &"
        f" echo $! > {name}.pid)"
        f" && for i in $(seq 300); do grep -q attached {name}.out && exit 0; sleep 0.2; done;"
        f" cat {name}.err >&2; exit 1",
    )


def stop_tool(lab: LabState, name: str) -> dict:
    guest.check(
        lab,
        f"cd {DIR} && kill -INT $(cat {name}.pid); "
        f"for i in $(seq 300); do [ -s {name}.json ] && exit 0; sleep 0.2; done; exit 1",
    )
    return json.loads(guest.check(lab, f"cat {DIR}/{name}.json"))


def quantile_bucket(log2_ns: list[int], q: float) -> str:
    """The log2 bucket holding quantile q, as 'lo-hi ns'."""
    total, seen = sum(log2_ns), 0
    for i, count in enumerate(log2_ns):
        seen += count
        if seen >= q * total:
            return f"{2**i if i else 0}-{2 ** (i + 1) - 1}"
    return "-"


def describe(name: str, f: dict) -> str:
    mean = f["sum_ns"] / f["count"] if f["count"] else float("nan")
    b = f["log2_ns"]
    return (
        f"{name}: {f['count']} calls, mean {mean / 1000:.2f} us, median in "
        f"{quantile_bucket(b, 0.5)} ns, p90 in {quantile_bucket(b, 0.9)} ns, "
        f"p99 in {quantile_bucket(b, 0.99)} ns"
    )


def bench_overhead(lab: LabState, calls: int, repeat: int) -> None:
    base = loop_ns(lab, calls, repeat)
    start_tool(lab, "overhead", f"--funcs {TRIVIAL} --runqlen-hz 0")
    try:
        timed = loop_ns(lab, calls, repeat)
    finally:
        doc = stop_tool(lab, "overhead")
    f = doc["functions"][TRIVIAL]
    floor = f["sum_ns"] / f["count"]
    print(
        f"overhead: umask() loop {base:.0f} ns/call bare, {timed:.0f} ns/call with "
        f"fentry/fexit on {TRIVIAL}: +{timed - base:.0f} ns per timed call "
        f"(best of {repeat} x {calls} calls)"
    )
    print(f"overhead: floor, the latency reported for {TRIVIAL}: {floor:.0f} ns mean")
    print(f"overhead: {describe(TRIVIAL, f)}")


def bench_hackbench(lab: LabState, seconds: int, groups: int) -> None:
    # Stopped 2 s after the load: detaching a hot function can hang a TCG guest
    # (docs/schedlat.md), so the tool attaches and detaches while the guest is quiet.
    start_tool(lab, "hackbench", "")
    load = (
        f"end=$((SECONDS + {seconds})); while [ $SECONDS -lt $end ]; do "
        f"hackbench -g {groups} -l 200 >/dev/null; done; sleep 2"
    )
    proc = guest.run(lab, f"bash -c {shlex.quote(load)}", timeout=seconds + 300)
    if proc.returncode:
        sys.exit(f"hackbench failed: {proc.stderr.strip()[-300:]}")
    stop_tool(lab, "hackbench")
    doc = json.loads(guest.check(lab, f"cat {DIR}/hackbench.json"))
    print(
        f"hackbench -g {groups}: kernel {doc['kernel_release']}, {doc['nr_cpus']} CPUs, "
        f"{doc['duration_s']:.1f} s, missing {doc['missing'] or 'none'}"
    )
    for name, f in doc["functions"].items():
        print(f"hackbench -g {groups}: {describe(name, f)}")
    rq = doc["runqlen"]
    if rq:
        hist = rq["hist"]
        mean = sum(k * n for k, n in enumerate(hist)) / rq["samples"]
        waiting = 1 - hist[0] / rq["samples"]
        print(
            f"hackbench -g {groups}: runqlen {rq['samples']} samples at {rq['hz']} Hz "
            f"(expected {rq['hz'] * doc['duration_s'] * doc['nr_cpus']:.0f}), mean "
            f"{mean:.2f} waiting, {waiting:.1%} of samples with a task waiting, max {len(hist) - 1}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", required=True)
    parser.add_argument("--calls", type=int, default=200000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--groups", type=int, default=2)
    parser.add_argument("--skip-overhead", action="store_true")
    args = parser.parse_args()
    lab = running_lab(args.lab)
    guest.check(lab, f"rm -rf {DIR} && mkdir -p {DIR}")
    guest.push(lab, ensure_schedlat().read_bytes(), f"{DIR}/mllb-schedlat")
    guest.check(lab, f"chmod +x {DIR}/mllb-schedlat")
    try:
        if not args.skip_overhead:
            bench_overhead(lab, args.calls, args.repeat)
        bench_hackbench(lab, args.seconds, args.groups)
    finally:
        # only the tools this script started (their pid files), then their folder
        guest.run(lab, f"cd {DIR} && cat *.pid | xargs -r kill 2>/dev/null; rm -rf {DIR}")


if __name__ == "__main__":
    main()
