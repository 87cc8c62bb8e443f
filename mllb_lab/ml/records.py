"""The decision-record schema: one row per can_migrate_task() call.

This is the contract with the capture side (Parquet files with these columns). The 30 columns
of the original CSV (mllb-facts §2), the raw inputs newer kernels use, and provenance columns.
Names and dtypes are listed in docs/ml.md.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

# The original dump_lb.py columns, in its order, with the dtype we store them as.
CAPTURE_COLUMNS: dict[str, str] = {
    "ts": "int64",  # ns, bpf_ktime_get_ns()
    "curr_pid": "int32",
    "pid": "int32",
    "src_cpu": "int32",
    "dst_cpu": "int32",
    "imbalance": "int64",
    "src_len": "int32",  # src_rq->nr_running
    "src_numa_len": "int32",  # src_rq->nr_numa_running
    "src_preferred_len": "int32",  # src_rq->nr_preferred_running
    "delta": "int64",  # rq_clock_task(src_rq) - p->se.exec_start, ns
    "cpu_idle": "int8",  # one-hot of env->idle, decoded by enum name
    "cpu_not_idle": "int8",
    "cpu_newly_idle": "int8",
    "same_node": "int8",
    "prefer_src": "int8",
    "prefer_dst": "int8",
    "delta_faults": "int64",  # task faults on dst node - on src node
    "total_faults": "int64",  # p->total_numa_faults
    "dst_len": "int32",
    "src_load": "int64",  # src_rq->cfs.avg.load_avg
    "dst_load": "int64",
    "nr_fails": "int32",  # env->sd->nr_balance_failed
    "cache_nice_tries": "int32",
    "buddy_hot": "int8",
    "throttled": "int8",
    "p_running": "int8",  # p->on_cpu
    "test_aggressive": "int8",  # 1 once the hard conditions passed
    "can_migrate": "int8",  # the label: can_migrate_task()'s return value
    "pc_0": "int64",  # perf counters, never model inputs
    "pc_1": "int64",
}

# Raw inputs of the 6.x heuristic that the original did not capture.
EXTENDED_COLUMNS: dict[str, str] = {
    "sd_numa": "int8",  # env->sd->flags & SD_NUMA
    "sd_smt": "int8",  # env->sd->flags & SD_SHARE_CPUCAPACITY (6.1 task_hot returns 0)
    "lbf_active": "int8",  # env->flags & LBF_ACTIVE_LB (6.1 returns 1 early)
    "per_cpu_kthread": "int8",  # kthread_is_per_cpu(p) (6.1 hard condition)
    "group_delta_faults": "int64",  # numa_group faults on dst node - on src node
    "group_total_faults": "int64",  # numa_group total faults (0: no group)
    "migration_type": "int8",  # enum migration_type: 0 load, 1 util, 2 task, 3 misfit
}

# Added by the capture side (docs/capture.md): the NUMA node of each CPU as the traced kernel
# saw it, so any node count can be checked and used. Not model inputs.
NODE_COLUMNS: dict[str, str] = {
    "src_node": "int16",
    "dst_node": "int16",
}

# Where a row came from; strings. Missing provenance columns are filled with "unknown".
PROVENANCE_COLUMNS: tuple[str, ...] = ("regime", "workload", "kernel", "run_id")

# Names used for the `regime` column (stress-ng stressors per CPU: none, 50%, 100%, 200%).
REGIMES: tuple[str, ...] = ("idle", "load50", "load100", "load200")

LABEL = "can_migrate"

ALL_NUMERIC: dict[str, str] = {**CAPTURE_COLUMNS, **EXTENDED_COLUMNS, **NODE_COLUMNS}
