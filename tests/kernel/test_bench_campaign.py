"""A real bench campaign on a 2x2x2 TCG lab, CFS vs ML: the kernel axis of campaigns.

Two kernel entries of the tier's builds: TOGGLE with the switch off (CFS decides; the fair
baseline on the same self-built kernel) and REPLACE fixed point (the model decides), two
repetitions interleaved (A B, B A: the lab boots twice after its first boot), hackbench for a
few seconds, the model blob of the paper's published weights loaded with mllb.ko after each
boot. Benchmetrics are off here: BCC compiles its programs with clang inside the guest, which
under TCG on 2 host cores took over 6 minutes per tool start (docs/roadmap.md: a precompiled
latency tool is the way out), so the report-from-a-bench-campaign check is not in CI yet.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mllb_lab.ml.blob import build_blob
from mllb_lab.ml.weights import load_weights

Cli = Callable[..., subprocess.CompletedProcess[str]]
LAB = "jcbench"
WEIGHTS = Path(__file__).parent.parent / "unit" / "data" / "mllb-original-weights.json"
CAMPAIGN = """\
name: bench-ci
targets: {{lab: {lab}}}
capture: false
benchmetrics: false
duration: 5
timeout_margin: 240
repetitions: 2
seed: 6
model: model.blob
kernels: [{cfs}:off, {ml}]
workloads:
  - name: hackbench
    params: {{loops: 50}}
"""


@pytest.fixture(scope="module")
def campaign(kernel_build: Callable[[str], dict], cli: Cli, tmp_path_factory) -> dict:
    cfs = kernel_build("toggle-fixed")["variant"]
    ml = kernel_build("replace-fixed")["variant"]
    folder = tmp_path_factory.mktemp("bench")
    (folder / "model.blob").write_bytes(build_blob(load_weights(WEIGHTS)))
    (folder / "bench.yml").write_text(CAMPAIGN.format(lab=LAB, cfs=cfs, ml=ml))
    # the lab starts on the first entry's kernel: the campaign boots it twice (A B, B A)
    proc = cli("up", "--topology", "2x2x2", "--name", LAB, "--kernel", cfs)
    assert proc.returncode == 0, proc.stderr[-3000:]
    try:
        results = folder / "results"
        proc = cli(
            "campaign", str(folder / "bench.yml"), "--results", str(results), "--json",
            timeout=1800,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr[-5000:]
    finally:
        cli("down", LAB, timeout=600)
    return {"cfs": f"{cfs}:off", "ml": ml, "results": results, "out": json.loads(proc.stdout)}


def runs_of(results: Path) -> list[dict]:
    db = sqlite3.connect(results / "index.sqlite")
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM runs")]
    db.close()
    for r in rows:
        run_json = results / r["path"] / "artifacts" / "run.json"
        r["run"] = json.loads(run_json.read_text())
        r["metrics"] = json.loads((results / r["path"] / "metrics.json").read_text())
    return sorted(rows, key=lambda r: r["run"]["seq"])


def test_interleaved_runs_with_one_boot_per_switch(campaign: dict) -> None:
    assert campaign["out"]["counts"]["ingested"] == 4, campaign["out"]
    runs = runs_of(campaign["results"])
    cfs, ml = campaign["cfs"], campaign["ml"]
    assert [r["kernel_requested"] for r in runs] == [cfs, ml, ml, cfs]
    setups = [r["run"]["kernel_setup"] for r in runs]
    assert [s["booted_for_this_run"] for s in setups] == [False, True, False, True]
    assert setups[-1]["boots_so_far"] == 2
    for r, s in zip(runs, setups, strict=True):
        boot = s["boot"]
        assert r["kernel_release"].endswith(f"-mllb-{boot}"), (r["kernel_release"], boot)
        assert s["module"] == {"registered": "1", "impl": "fixed"}, s
        assert len(s["model_sha256"]) == 64
        if r["kernel_requested"] == cfs:
            assert s["sched_mllb"] == 0  # set by the runner before the run
