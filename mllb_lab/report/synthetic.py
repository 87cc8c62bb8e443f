"""Results stores with plausible benchmark runs, written through the real ingest path
(campaign.outcome.ingest: manifest, workload parsers, decision conversion, index).

For tests and benchmarks of the report and nightly on the controller, which cannot run a
JC_SCHED kernel or kprobe can_migrate_task. Workload output is in each tool's own format and
parsed by its real parser; benchmark metrics come from bccformat. `slowdown` scales every
time and latency of a kernel (and divides its rates), so a test injects an effect explicitly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mllb_lab.benchmetrics import bccformat
from mllb_lab.campaign import capture_hook, outcome
from mllb_lab.campaign.matrix import RunSpec, run_id
from mllb_lab.capture.writer import STOCK_61, synthetic_records, write_capture
from mllb_lab.results import manifest, store
from mllb_lab.results.index import IndexRow

FACTS = {"cpus": 8, "numa_nodes": [{"cpus": "0-3"}, {"cpus": "4-7"}]}
BENCHMARKS = ("hackbench", "sysbench")


def workload_out(workload: str, rng: np.random.Generator, slowdown: float) -> str:
    if workload == "hackbench":
        times = rng.normal(0.80, 0.03, 12) * slowdown
        return "".join(f"Running in process mode with 2 groups\nTime: {t:.3f}\n" for t in times)
    events = int(rng.normal(52_000, 800) / slowdown)
    lat = rng.normal(0.15, 0.005) * slowdown
    return (
        "General statistics:\n    total time:                          10.0012s\n"
        f"    total number of events:              {events}\n"
        f"Latency (ms):\n         min:                                    0.05\n"
        f"         avg:                                    {lat:.2f}\n"
        f"         max:                                    4.10\n"
        f"         95th percentile:                        {lat * 2:.2f}\n"
        f"Threads fairness:\n    events (avg/stddev):           {events / 8:.4f}/12.3\n"
    )


def stage_run(
    work: Path,
    workload: str,
    kernel: str,
    rng: np.random.Generator,
    slowdown: float,
    decisions: int,
    duration: int,
) -> None:
    art = work / "artifacts"
    art.mkdir(parents=True)
    (art / "workload.out").write_text(workload_out(workload, rng, slowdown))
    (art / "workload.json").write_text(json.dumps({"rc": 0, "start": 0.0, "end": duration}))
    (art / "kernel-release.txt").write_text(kernel + "\n")
    (art / "kernel-config.txt").write_text(f"CONFIG_JC_SCHED={'y' if 'ml' in kernel else 'n'}\n")
    (art / "tools.txt").write_text("kernel: " + kernel + "\nstress-ng: stress-ng 0.15.06\n")
    bccformat.write_run(art, rng, seconds=duration, cpus=FACTS["cpus"], latency_scale=slowdown)
    if decisions:
        records = synthetic_records(decisions, seed=int(rng.integers(1 << 30)))
        write_capture(art / capture_hook.CAPTURE_FILE, records, capabilities=STOCK_61)
    manifest.write(art)


def add_campaign_run(
    results: Path,
    campaign_run: str,
    kernels: dict[str, float],
    repetitions: int = 3,
    decisions: int = 1000,
    duration: int = 10,
    seed: int = 0,
    benchmarks: tuple[str, ...] = BENCHMARKS,
    campaign: str = "bench",
) -> list[IndexRow]:
    """One campaign run: every kernel x benchmark x repetition, ingested; kernel -> slowdown."""
    rng = np.random.default_rng(seed)
    rows = []
    for rep in range(1, repetitions + 1):
        for kernel, slowdown in kernels.items():  # interleaved: A B A B
            for workload in benchmarks:
                key = {"workload": workload, "params": {}, "duration": duration}
                rid = run_id(campaign, "h1", kernel, key, rep)
                spec = RunSpec(rid, rep, "h1", kernel, workload, {}, duration, decisions > 0,
                               rep, None, seed)  # fmt: skip
                work = store.staging_dir(results, campaign_run, rid, 1)
                stage_run(work, workload, kernel, rng, slowdown, decisions, duration)
                rows.append(
                    outcome.ingest(
                        results, campaign, campaign_run, spec, "bursty", FACTS, "1x4x2", work
                    )
                )
    return rows
