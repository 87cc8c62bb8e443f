"""stress-ng workloads: the paper's 30/60/120 stressor levels and the reproduction guide's mixes.

Task counts scale with the target: `load` is stressors per 100 CPUs (50/100/200 are the paper's
regimes: 30/60/120 stressors on its 56 CPUs), or give `stressors` to fix the count. Steady hogs
balance little, so `cpu_load` < 100 makes a duty-cycled (bursty) load that sleeps and wakes.
"""

from __future__ import annotations

import re

from pydantic import Field

from mllb_lab.workloads.base import Params, Target, Workload, load_regime, q, scaled

# A --metrics-brief row: "stress-ng: info:  [pid] cpu  1234  10.00  39.00  0.01  123.40  31.63"
METRIC_ROW = re.compile(
    r"\]\s+(?P<name>[a-z][a-z0-9-]*)\s+(?P<ops>\d+)\s+(?P<real>[\d.]+)\s+(?P<usr>[\d.]+)"
    r"\s+(?P<sys>[\d.]+)\s+(?P<rate>[\d.]+)\s+(?P<rate_cpu>[\d.]+)"
)
COMPLETED = re.compile(r"successful run completed in ([\d.]+)\s*s")


class StressParams(Params):
    stressors: int | None = Field(default=None, ge=1, le=4096)
    load: int = Field(default=100, ge=1, le=1000, description="stressors per 100 CPUs")
    cpu_load: int = Field(default=100, ge=1, le=100, description="duty cycle of cpu stressors")


def count(p: StressParams, target: Target, share: float = 1.0) -> int:
    return max(1, round(scaled(p.stressors, p.load / 100, target) * share))


def stress_ng(args: str, duration: int) -> str:
    # --metrics-brief goes to the log on stderr; the role keeps both streams, the parser reads it.
    return f"stress-ng {args} --timeout {duration}s --metrics-brief 2>&1"


def parse(text: str) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for m in METRIC_ROW.finditer(text):
        name = m["name"].replace("-", "_")
        metrics[f"{name}_bogo_ops"] = float(m["ops"])
        metrics[f"{name}_bogo_ops_per_s"] = float(m["rate"])
        metrics[f"{name}_usr_s"] = float(m["usr"])
        metrics[f"{name}_sys_s"] = float(m["sys"])
    done = COMPLETED.search(text)
    if done:
        metrics["completed_s"] = float(done[1])
    return metrics


def regime(p: StressParams, target: Target) -> str:
    if p.cpu_load < 100:
        return "bursty"
    return load_regime(count(p, target), target)


def cpu_cmd(p: StressParams, t: Target, d: int) -> str:
    duty = f" --cpu-load {p.cpu_load}" if p.cpu_load < 100 else ""
    return stress_ng(f"--cpu {count(p, t)}{duty}", d)


class FftParams(StressParams):
    pass


def fft_cmd(p: FftParams, t: Target, d: int) -> str:
    return stress_ng(f"--cpu {count(p, t)} --cpu-method fft --cpu-load {p.cpu_load}", d)


class NumaParams(StressParams):
    vm_bytes: str = Field(default="32M", pattern=r"^\d+[KMG]$")


def numa_cmd(p: NumaParams, t: Target, d: int) -> str:
    # --numa moves its pages between nodes; --vm keeps memory traffic on each node.
    n = count(p, t)
    half = max(1, n // 2)
    return stress_ng(f"--numa {half} --vm {n - half or 1} --vm-bytes {q(p.vm_bytes)}", d)


class MatrixNodeParams(StressParams):
    node: int = Field(default=0, ge=0)


def matrix_node_cmd(p: MatrixNodeParams, t: Target, d: int) -> str:
    # Everything on one node: the other node idles, so balancing pulls across the NUMA boundary.
    node_cpus = len(t.nodes[p.node]) if p.node < len(t.nodes) else t.cpus
    n = scaled(p.stressors, p.load / 100, Target(cpus=node_cpus))
    bind = f"numactl --cpunodebind={p.node} --membind={p.node} "
    return bind + stress_ng(f"--matrix {n} --matrix-method prod", d)


def matrix_node_regime(p: MatrixNodeParams, t: Target) -> str:
    return "numa-skew"


def cache_cmd(p: StressParams, t: Target, d: int) -> str:
    return stress_ng(f"--cache {count(p, t)}", d)


class OversubParams(StressParams):
    load: int = Field(default=200, ge=101, le=1000)


class SeekParams(StressParams):
    load: int = Field(default=50, ge=1, le=1000)
    size: str = Field(default="64M", pattern=r"^\d+[KMG]$")


def seek_cmd(p: SeekParams, t: Target, d: int) -> str:
    # I/O waits put tasks to sleep and wake them elsewhere: a source of newly-idle balancing.
    return stress_ng(f"--seek {count(p, t)} --seek-size {q(p.size)} --temp-path .", d)


def seek_regime(p: SeekParams, t: Target) -> str:
    return "io"


class MixedParams(StressParams):
    vm_bytes: str = Field(default="32M", pattern=r"^\d+[KMG]$")


def mixed_cmd(p: MixedParams, t: Target, d: int) -> str:
    # A quarter each: duty-cycled cpu, memory, context switches, seeks.
    n = count(p, t, 0.25)
    parts = (
        f"--cpu {n} --cpu-load 60 --vm {n} --vm-bytes {q(p.vm_bytes)} --switch {n} "
        f"--seek {n} --seek-size 16M --temp-path ."
    )
    return stress_ng(parts, d)


def mixed_regime(p: MixedParams, t: Target) -> str:
    return "mixed"


def plain_regime(p: StressParams, t: Target) -> str:
    return load_regime(count(p, t), t)


WORKLOADS = (
    Workload("stress-cpu", "stress-ng cpu stressors", StressParams, cpu_cmd, parse, regime,
             ("stress-ng",)),
    Workload("stress-fft", "stress-ng cpu stressors, fft method", FftParams, fft_cmd, parse,
             regime, ("stress-ng",)),
    Workload("stress-numa", "stress-ng NUMA page migration + vm", NumaParams, numa_cmd, parse,
             plain_regime, ("stress-ng",)),
    Workload("stress-matrix-node", "stress-ng matrixprod pinned to one NUMA node",
             MatrixNodeParams, matrix_node_cmd, parse, matrix_node_regime,
             ("stress-ng", "numactl")),
    Workload("stress-cache", "stress-ng cache thrashers", StressParams, cache_cmd, parse,
             plain_regime, ("stress-ng",)),
    Workload("stress-oversub", "stress-ng cpu at 2x oversubscription", OversubParams, cpu_cmd,
             parse, regime, ("stress-ng",)),
    Workload("stress-seek", "stress-ng hdd seek stressors", SeekParams, seek_cmd, parse,
             seek_regime, ("stress-ng",)),
    Workload("stress-mixed", "stress-ng cpu+vm+switch+seek mix", MixedParams, mixed_cmd, parse,
             mixed_regime, ("stress-ng",)),
)  # fmt: skip
