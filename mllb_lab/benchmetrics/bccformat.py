"""Writing benchmetrics files in the formats the guest produces (mllb-schedlat's JSON or, as
older results hold, BCC histograms; the sampler's lines, /proc/schedstat v15), from numbers:
for tests and the report benchmark, since the controller cannot trace can_migrate_task (no
kprobes or fentry on the host)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mllb_lab.benchmetrics import schedlat

STARS = 40


def bar(count: int, most: int) -> str:
    stars = int(STARS * count / most) if most else 0
    return "|" + "*" * stars + " " * (STARS - stars) + "|"


def log2_hist(values_ns: np.ndarray, label: str = "nsecs") -> str:
    """funclatency's printout for these latencies (buckets [2^k, 2^(k+1)-1], 0 -> 1 first)."""
    v = np.asarray(values_ns, dtype=np.int64)
    slots = np.zeros(64, dtype=np.int64)
    idx = np.where(v <= 1, 0, np.floor(np.log2(np.maximum(v, 1))).astype(int))
    np.add.at(slots, idx, 1)
    last = int(np.nonzero(slots)[0].max()) if slots.any() else 0
    most = int(slots.max())
    lines = [f"{'':5}{label:<19} : count     distribution"]
    for k in range(last + 1):
        lo, hi = (0, 1) if k == 0 else (1 << k, (1 << (k + 1)) - 1)
        lines.append(f"{lo:>10} -> {hi:<10} : {slots[k]:<8} {bar(int(slots[k]), most)}")
    total = int(v.sum())
    avg = total // len(v) if len(v) else 0
    lines.append(f"\navg = {avg} nsecs, total: {total} nsecs, count: {len(v)}\n")
    return "\n".join(lines)


def funclatency_output(func: str, values_ns: np.ndarray) -> str:
    head = f'Tracing 1 functions for "{func}"... Hit Ctrl-C to end.\n\n'
    return head + log2_hist(values_ns) + "Detaching...\n"


def runqlen_output(lengths: np.ndarray) -> str:
    counts = np.bincount(np.asarray(lengths, dtype=np.int64))
    most = int(counts.max()) if len(counts) else 0
    lines = [
        "Sampling run queue length... Hit Ctrl-C to end.",
        "",
        f"{'':5}{'runqlen':<13} : count     distribution",
    ]
    lines += [f"{k:>8}{'':10} : {c:<8} {bar(int(c), most)}" for k, c in enumerate(counts)]
    return "\n".join(lines) + "\n"


def sampler_output(times: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> str:
    rows = [f"{t:.3f} {a} {b}" for t, a, b in zip(times, hi, lo, strict=True)]
    return "# source /sys/kernel/debug/sched/debug, interval 0.1s\n" + "\n".join(rows) + "\n"


def schedstat_output(cpus: int, lb_gained: int, alb_pushed: int, lb_calls: int = 0) -> str:
    """/proc/schedstat v15 with one domain per CPU; every counter 0 except those given,
    spread over CPU_NOT_IDLE (lb_gained, lb_calls) and alb_pushed on cpu 0."""
    lines = ["version 15", "timestamp 4295000000"]
    for cpu in range(cpus):
        lines.append(f"cpu{cpu} 0 0 100 50 80 40 1000000 20000 90")
        counters = [0] * 36
        if cpu == 0:
            counters[8] = lb_calls
            counters[8 + 4] = lb_gained
            counters[26] = alb_pushed
        lines.append(f"domain0 {'f' * max(1, cpus // 4)} " + " ".join(map(str, counters)))
    return "\n".join(lines) + "\n"


def write_run(
    folder: Path,
    rng: np.random.Generator,
    seconds: int = 10,
    cpus: int = 8,
    latency_scale: float = 1.0,
    latency_tool: str = "schedlat",
) -> Path:
    """A run's benchmetrics folder with plausible values; latency_scale slows every call.
    latency_tool "schedlat" writes mllb-schedlat's JSON (what the role collects now), "bcc"
    BCC's funclatency/runqlen printouts (what older results hold)."""
    out = folder / "benchmetrics"
    out.mkdir(parents=True, exist_ok=True)
    latencies = {
        func: rng.lognormal(np.log(median * latency_scale), 0.5, 2000)
        for func, median in (("can_migrate_task", 900), ("load_balance", 14_500))
    }
    lengths = rng.poisson(1.2, 5000)
    if latency_tool == "schedlat":
        text = schedlat.dump(latencies, lengths, nr_cpus=cpus, duration_s=float(seconds))
        (out / schedlat.FILE).write_text(text)
    else:
        for func, values in latencies.items():
            (out / f"funclatency-{func}.txt").write_text(funclatency_output(func, values))
        (out / "runqlen.txt").write_text(runqlen_output(lengths))
    t = np.arange(0, seconds, 0.1)
    lo = rng.integers(0, 2, len(t))
    (out / "imbalance.txt").write_text(sampler_output(t, lo + rng.integers(0, 4, len(t)), lo))
    (out / "loadavg.txt").write_text(f"{rng.uniform(1.5, 2.0):.2f} 1.76 1.20 3/210 4242\n")
    (out / "schedstat-start.txt").write_text(schedstat_output(cpus, 100, 5, 1000))
    gained = int(100 + rng.integers(400, 600))
    (out / "schedstat-end.txt").write_text(schedstat_output(cpus, gained, 9, 4000))
    (out / "status.txt").write_text("")
    return out
