"""Synthetic decision records labelled by CFS's can_migrate_task() rules (mllb-facts §1), for
tests and benchmarks only. Rows carry kernel="synthetic-4.15" or "synthetic-6.1" and
workload="synthetic" so they can never be mistaken for real captures.

The distributions are invented (plausible, not measured); the labels follow the kernel's
logic exactly, with the 6.1 differences (active balance, per-CPU kthreads, SMT domains,
numa_group faults) that the paper's 15 features cannot see.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mllb_lab.ml.features import MIGRATION_COST_NS
from mllb_lab.ml.records import ALL_NUMERIC, REGIMES

# Load factor per regime (stress-ng stressors per CPU) and env->idle mix (idle, not, newly).
_LOAD = {"idle": 0.05, "load50": 0.5, "load100": 1.0, "load200": 2.0}
_IDLE_MIX = {
    "idle": (0.55, 0.05, 0.40),
    "load50": (0.35, 0.25, 0.40),
    "load100": (0.20, 0.45, 0.35),
    "load200": (0.10, 0.65, 0.25),
}
NR_CPUS, CPUS_PER_NODE = 56, 28
SYNTHETIC_MARK = "synthetic"  # workload name of every synthetic row


def _per_regime(regime: np.ndarray, table: dict[str, float]) -> np.ndarray:
    return np.array([table[r] for r in regime])


def generate(rows: int, seed: int = 0, regimes: tuple[str, ...] = REGIMES) -> pd.DataFrame:
    """`rows` records spread evenly over `regimes`, labelled by the CFS rules."""
    rng = np.random.default_rng(seed)
    n = rows
    regime = np.array(regimes)[np.arange(n) % len(regimes)]
    rng.shuffle(regime)
    load = _per_regime(regime, _LOAD)
    kernel61 = rng.random(n) < 0.5

    src_cpu = rng.integers(0, NR_CPUS, n)
    cross = rng.random(n) < 0.3
    sibling = ~cross & (rng.random(n) < 0.25)
    other = (src_cpu + rng.integers(1, CPUS_PER_NODE, n)) % CPUS_PER_NODE
    dst_cpu = np.where(
        cross,
        (src_cpu + CPUS_PER_NODE) % NR_CPUS,
        np.where(sibling, src_cpu ^ 1, (src_cpu // CPUS_PER_NODE) * CPUS_PER_NODE + other),
    )
    src_node, dst_node = src_cpu // CPUS_PER_NODE, dst_cpu // CPUS_PER_NODE
    same_node = src_node == dst_node

    mix = np.stack([_IDLE_MIX[r] for r in regime])
    idle_kind = (rng.random(n)[:, None] > np.cumsum(mix, axis=1)).sum(axis=1)  # 0,1,2
    src_len = 2 + rng.poisson(2 * load)
    dst_len = np.where(idle_kind == 1, 1 + rng.poisson(load), 0)
    src_numa_len = rng.binomial(src_len, 0.6)
    src_preferred_len = rng.binomial(src_numa_len, 0.7)
    # Waiting time since exec_start grows with load: log-uniform, shifted by load.
    delta = (10 ** rng.uniform(3.0, 7.0, n) * (0.3 + load)).astype(np.int64)
    src_load = (src_len * rng.uniform(300, 1024, n)).astype(np.int64)
    dst_load = (dst_len * rng.uniform(300, 1024, n)).astype(np.int64)

    preferred = np.where(rng.random(n) < 0.6, -1, rng.integers(0, 2, n))
    total_faults = np.where(rng.random(n) < 0.5, 0, rng.integers(1, 5000, n))
    delta_faults = (total_faults * rng.uniform(-1, 1, n)).astype(np.int64)
    in_group = (total_faults > 0) & (rng.random(n) < 0.3)
    group_total = np.where(in_group, total_faults * rng.integers(2, 6, n), 0)
    group_delta = (group_total * rng.uniform(-1, 1, n)).astype(np.int64)
    cache_nice_tries = np.where(same_node, 1, 2)
    nr_fails = rng.geometric(1 / (1.2 + load), n) - 1
    buddy_hot = (dst_len > 0) & (rng.random(n) < 0.05)
    lbf_active = kernel61 & (rng.random(n) < 0.03)
    per_cpu_kthread = kernel61 & (rng.random(n) < 0.01)
    sd_smt = sibling

    throttled = rng.random(n) < 0.002
    pinned = rng.random(n) < 0.03
    p_running = rng.random(n) < 0.05
    hard_fail = throttled | pinned | p_running | per_cpu_kthread

    # migrate_degrades_locality(): -1 "no opinion", 1 degrades, 0 improves or neutral.
    prefer_src = preferred == src_node
    prefer_dst = preferred == dst_node
    weight_delta = np.where(kernel61 & in_group, group_delta, delta_faults)
    mdl = np.where(weight_delta < 0, 1, 0)
    mdl = np.where(idle_kind == 0, -1, mdl)
    mdl = np.where(prefer_dst, 0, mdl)
    mdl = np.where(prefer_src, np.where(src_len > src_preferred_len, 1, -1), mdl)
    mdl = np.where((total_faults == 0) | same_node, -1, mdl)
    # task_hot(): buddy -> hot; else recently run -> hot; 6.1: SMT siblings are never hot.
    task_hot = np.where(buddy_hot, 1, (delta < MIGRATION_COST_NS).astype(int))
    task_hot = np.where(kernel61 & sd_smt, 0, task_hot)
    hot = np.where(mdl == -1, task_hot, mdl)
    soft = (hot <= 0) | (nr_fails > cache_nice_tries)
    label = ~hard_fail & (soft | lbf_active)

    one = np.ones(n, dtype=np.int64)
    df = pd.DataFrame(
        {
            "ts": np.cumsum(rng.integers(1_000, 100_000, n)),
            "curr_pid": rng.integers(1, 30_000, n),
            "pid": rng.integers(1, 30_000, n),
            "src_cpu": src_cpu,
            "dst_cpu": dst_cpu,
            "imbalance": rng.integers(0, 4096, n),
            "src_len": src_len,
            "src_numa_len": src_numa_len,
            "src_preferred_len": src_preferred_len,
            "delta": delta,
            "cpu_idle": idle_kind == 0,
            "cpu_not_idle": idle_kind == 1,
            "cpu_newly_idle": idle_kind == 2,
            "same_node": same_node,
            "prefer_src": prefer_src,
            "prefer_dst": prefer_dst,
            "delta_faults": delta_faults,
            "total_faults": total_faults,
            "dst_len": dst_len,
            "src_load": src_load,
            "dst_load": dst_load,
            "nr_fails": nr_fails,
            "cache_nice_tries": cache_nice_tries,
            "buddy_hot": buddy_hot,
            "throttled": throttled,
            "p_running": p_running,
            "test_aggressive": ~hard_fail,
            "can_migrate": label,
            "pc_0": 0 * one,
            "pc_1": 0 * one,
            "sd_numa": ~same_node,
            "sd_smt": sd_smt,
            "lbf_active": lbf_active,
            "per_cpu_kthread": per_cpu_kthread,
            "group_delta_faults": group_delta,
            "group_total_faults": group_total,
            "migration_type": np.zeros(n, dtype=np.int64),
            "src_node": src_node,
            "dst_node": dst_node,
        }
    )
    df = df.astype(ALL_NUMERIC)
    df["regime"] = regime
    df["workload"] = SYNTHETIC_MARK
    df["kernel"] = np.where(kernel61, "synthetic-6.1", "synthetic-4.15")
    df["run_id"] = f"synthetic-seed{seed}"
    return df
