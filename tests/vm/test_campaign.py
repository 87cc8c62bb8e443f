"""The smoke campaign on a real 2x2x2 QEMU guest (TCG, stock Debian kernel), with capture.

The guest is the tier's shared stock guest (conftest.shared_guest): no boot of its own. The
controller is killed with SIGKILL in the middle of the campaign (a run in flight), then
`--resume` finishes it: no finished run repeated, none missing, no half ingested run, and
decision records with every field filled and plausible.
Run it alone: flock /tmp/mllb-heavy.lock .venv/bin/pytest tests/vm/test_campaign.py
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from ledgers import run_states

from mllb_lab.lab.state import LabState
from mllb_lab.ml.records import CAPTURE_COLUMNS, PROVENANCE_COLUMNS
from mllb_lab.results import manifest

REPO = Path(__file__).resolve().parents[2]
SMOKE = REPO / "campaigns" / "smoke.yml"
Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def smoke_lab(shared_guest: LabState) -> str:
    return shared_guest.name


def index_rows(results: Path) -> dict[str, dict]:
    path = results / "index.sqlite"
    if not path.exists():
        return {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        return {r["run_id"]: dict(r) for r in db.execute("SELECT * FROM runs")}
    finally:
        db.close()


@pytest.fixture(scope="module")
def campaign(smoke_lab: str, lab_env: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Start the campaign, SIGKILL the controller with a run in flight, then --resume."""
    results = tmp_path_factory.mktemp("results")
    cmd = [sys.executable, "-m", "mllb_lab", "campaign", str(SMOKE), "--lab", smoke_lab,
           "--results", str(results)]  # fmt: skip
    log = (results.parent / "first.log").open("w")
    first = subprocess.Popen(cmd, env=lab_env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    deadline = time.monotonic() + 600
    killed_with: dict[str, tuple[str, int]] = {}
    while time.monotonic() < deadline and first.poll() is None:
        states = run_states(results, "smoke")
        done = [s for s, _ in states.values() if s == "ingested"]
        if len(done) >= 2 and any(s == "running" for s, _ in states.values()):
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
            killed_with = run_states(results, "smoke")
            break
        time.sleep(0.5)
    assert killed_with, f"the campaign ended before it could be killed: {first.returncode}"
    before = index_rows(results)
    time.sleep(5)  # let the orphaned ansible-playbook of the killed run write what it writes
    resumed = subprocess.run([*cmd, "--resume", "--json"], env=lab_env, capture_output=True,
                             text=True, cwd=REPO, timeout=900)  # fmt: skip
    return {
        "results": results,
        "killed_with": killed_with,
        "index_before": before,
        "resumed": resumed,
        "after": run_states(results, "smoke"),
        "index_after": index_rows(results),
    }


def test_kill_9_then_resume_finishes_every_run_once(campaign: dict) -> None:
    resumed = campaign["resumed"]
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    summary = json.loads(resumed.stdout)
    after, killed_with = campaign["after"], campaign["killed_with"]
    assert len(after) == 5  # smoke.yml: stress-cpu x3 loads, idle, hackbench
    assert summary["counts"]["ingested"] == 5 and summary["failures"] == []
    assert {s for s, _ in after.values()} == {"ingested"}
    for run_id, (state, attempts) in killed_with.items():
        if state == "ingested":  # finished before the kill: not run again
            assert after[run_id] == ("ingested", attempts)
        if state == "running":  # in flight at the kill: run again, once
            assert after[run_id][1] == attempts + 1
    index_after = campaign["index_after"]
    assert set(index_after) == set(after)  # none missing, none extra
    for run_id, row in campaign["index_before"].items():
        assert index_after[run_id] == row  # ingested rows untouched


def test_no_half_ingested_run(campaign: dict) -> None:
    results: Path = campaign["results"]
    folders = {p.name for p in results.glob("smoke-*/runs/*")}
    assert folders == set(campaign["index_after"])
    for row in campaign["index_after"].values():
        folder = results / row["path"]
        manifest.verify(folder / "artifacts")
        assert (folder / "metrics.json").is_file() and (folder / "decisions.parquet").is_file()


def test_provenance_and_metrics(campaign: dict, smoke_lab: str, mllb: Cli) -> None:
    rows = campaign["index_after"].values()
    assert {r["regime"] for r in rows} == {"load50", "load100", "load200", "idle", "bursty"}
    kernel = mllb("ssh", smoke_lab, "--", "uname", "-r").stdout.strip()
    for r in rows:
        assert r["host"] and r["topology"] == "2x2x2" and r["cpus"] == 8 and r["numa_nodes"] == 2
        assert r["kernel_release"] == kernel and len(r["kernel_config_sha256"]) == 64
        assert r["exit_code"] == 0, r
        tools = json.loads(r["tools"])
        assert "stress-ng" in tools["target.stress-ng"]
        metrics = json.loads(r["metrics"])
        assert metrics["wall_s"] >= 7
        if r["workload"] == "stress-cpu":
            assert metrics["cpu_bogo_ops"] > 0
        if r["workload"] == "hackbench":
            assert metrics["hackbench_runs"] >= 1


def test_decisions_are_complete_and_plausible(campaign: dict, mllb: Cli) -> None:
    results: Path = campaign["results"]
    out = results.parent / "smoke.parquet"
    proc = mllb("results", "export", "--out", str(out), "--results", str(results), "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    table = pq.read_table(out)
    # The idle run ("nothing but the system's own background") may rightly record no decision:
    # on single-threaded TCG an 8 s quiet window often has no queue with two tasks to pull from.
    # Every loaded run must have decisions, and export takes exactly the runs that have some.
    with_rows = {i for i, r in campaign["index_after"].items() if r["decisions"] > 0}
    loaded = {i for i, r in campaign["index_after"].items() if r["workload"] != "idle"}
    assert loaded <= with_rows and len(loaded) == 4
    assert info["rows"] == table.num_rows > 0 and info["runs"] == len(with_rows)
    df = table.to_pandas()
    for column in [*CAPTURE_COLUMNS, *PROVENANCE_COLUMNS]:
        assert df[column].notna().all(), column
    assert not (df[list(PROVENANCE_COLUMNS)] == "unknown").any().any()
    assert df["src_cpu"].between(0, 7).all() and df["dst_cpu"].between(0, 7).all()
    assert (df["src_cpu"] != df["dst_cpu"]).all()
    assert set(df["can_migrate"].unique()) <= {0, 1}
    assert (df[["cpu_idle", "cpu_not_idle", "cpu_newly_idle"]].sum(axis=1) == 1).all()
    # 2x2x2 with one node per socket: CPUs 0-3 on node 0, 4-7 on node 1
    assert (df["same_node"] == ((df["src_cpu"] // 4) == (df["dst_cpu"] // 4))).all()
    assert (df["src_len"] >= 0).all() and (df["delta"] >= 0).any()
    per_run = df.groupby("run_id").size()
    assert set(per_run.index) == with_rows
    for run_id, n in per_run.items():
        assert n == campaign["index_after"][run_id]["decisions"]  # the index counts what is stored


TOOLS_CAMPAIGN = """\
name: tools
targets: {{lab: {lab}}}
capture: false
duration: 20
workloads:
  - name: perf-bench
    params: {{loops: 20}}
  # Two compiles at a time, for a minute: with one per vCPU, 8 TCG vCPUs on 2 host cores made
  # every first-round compile outlast a 20 s run (0 objects finished).
  - name: kbuild
    params: {{jobs: 2}}
    duration: 60
  # The near-idle regime: tasks waking together on a timer (python3 on the guest).
  - name: wakeups
    duration: 10
"""


def test_perf_bench_and_kbuild_run_in_the_guest(
    smoke_lab: str, campaign: dict, mllb: Cli, tmp_path: Path
) -> None:
    """The image's linux-perf and gcc, and the kbuild bundle (Linux 6.1 kernel/ objects built
    from apt's linux-source-6.1 on the controller), and the near-idle `wakeups` tasks (python3):
    all run and parse (after the smoke campaign, on the same lab)."""
    file = tmp_path / "tools.yml"
    file.write_text(TOOLS_CAMPAIGN.format(lab=smoke_lab))
    results = tmp_path / "results"
    proc = mllb("campaign", str(file), "--lab", smoke_lab, "--results", str(results), "--json")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    rows = {r["workload"]: r for r in index_rows(results).values()}
    assert set(rows) == {"perf-bench", "kbuild", "wakeups"}
    perf = json.loads(rows["perf-bench"]["metrics"])
    assert perf["perf_bench_runs"] >= 1 and perf["perf_bench_mean_s"] > 0
    assert rows["perf-bench"]["regime"] == "bursty"
    kb = json.loads(rows["kbuild"]["metrics"])
    assert kb["kbuild_objects"] >= 1 and kb["kbuild_failed"] == 0, kb
    assert kb["kbuild_rounds"] >= 1 and kb["kbuild_objects_per_s"] > 0
    assert rows["kbuild"]["regime"] == "kbuild"
    wk = json.loads(rows["wakeups"]["metrics"])
    assert wk["wakeups"] > 0 and wk["tasks_failed"] == 0 and 0 <= wk["cpu_busy_pct"] <= 100, wk
    assert rows["wakeups"]["regime"] == "idle"
