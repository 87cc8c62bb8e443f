"""A real bench campaign on a 2x2x2 TCG lab, CFS vs ML, into a report whose plots render.

Two kernel entries of the tier's builds: TOGGLE with the switch off (CFS decides; the fair
baseline on the same self-built kernel) and REPLACE fixed point (the model decides), two
repetitions interleaved (A B, B A: the lab boots twice after its first boot), hackbench for a
few seconds, benchmetrics on (BCC funclatency/runqlen through CONFIG_IKHEADERS, imbalance
sampler, loadavg, schedstat), the model blob of the paper's published weights loaded with
mllb.ko after each boot. Then `mllb-lab report --group-by variant` on the store and the
headless-Chromium check that every plot renders with both kernels' series.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from chromium_render import assert_plots_render, assert_self_contained

from mllb_lab.benchmetrics import read
from mllb_lab.ml.blob import build_blob
from mllb_lab.ml.weights import load_weights
from mllb_lab.report.plots import COLORS

Cli = Callable[..., subprocess.CompletedProcess[str]]
LAB = "jcbench"
WEIGHTS = Path(__file__).parent.parent / "unit" / "data" / "mllb-original-weights.json"
CAMPAIGN = """\
name: bench-ci
targets: {{lab: {lab}}}
capture: false
benchmetrics: true
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


def test_benchmark_metrics_come_from_bcc_on_jc_kernels(campaign: dict) -> None:
    for r in runs_of(campaign["results"]):
        folder = campaign["results"] / r["path"] / "artifacts" / "benchmetrics"
        status = (folder / "status.txt").read_text()
        assert "missing" not in status and "failed" not in status, status
        bm = read.read(folder.parent, duration=r["duration"])
        assert bm is not None and not bm.missing, bm and bm.missing
        assert bm.scalars["load_balance_calls"] > 0
        assert bm.scalars["can_migrate_task_calls"] > 0  # a real symbol in this build
        assert bm.scalars["lb_migrations"] >= 0 and bm.imbalance is not None
        assert r["metrics"]["hackbench_mean_s"] > 0


def test_report_of_the_campaign_renders_every_plot(campaign: dict, cli: Cli, tmp_path) -> None:
    out = tmp_path / "bench.html"
    proc = cli(
        "report", str(campaign["results"]), "--out", str(out), "--group-by", "variant",
        "--baseline", campaign["cfs"], "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["skipped"] == [], summary["skipped"]
    page = out.read_text()
    assert_self_contained(page)
    assert_plots_render(page, tmp_path, COLORS[:2])  # both kernels on every plot
