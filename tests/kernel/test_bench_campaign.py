"""A real bench campaign on a 2x2x2 TCG lab, CFS vs ML: the kernel axis of campaigns.

Two kernel entries of the tier's builds: REPLACE fixed point (the model decides) and TOGGLE
with the switch off (CFS decides; the fair baseline on the same self-built kernel), two
repetitions interleaved (A B, B A: the lab boots twice; it is the tier's shared REPLACE guest,
conftest.replace_mode_lab, already on the first entry's kernel), hackbench for a
few seconds, the model blob of the paper's published weights loaded with mllb.ko after each
boot, benchmetrics on (mllb-schedlat, built on the controller, attaches in about a second: a
few seconds per run, where BCC's in-guest clang took over 6 minutes under TCG). Then
`mllb-lab report --group-by variant` over the campaign's store must show every plot and
statistic issue 6 asks for, and headless Chromium must draw every plot with both kernels'
series (tests/chromium_render.py).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from chromium_render import PLOTS, assert_plots_render, assert_self_contained

from mllb_lab.benchmetrics import read
from mllb_lab.ml.blob import build_blob
from mllb_lab.ml.weights import load_weights
from mllb_lab.report.plots import COLORS

Cli = Callable[..., subprocess.CompletedProcess[str]]
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
kernels: [{ml}, {cfs}:off]
workloads:
  - name: hackbench
    params: {{loops: 50}}
"""


@pytest.fixture(scope="module")
def campaign(
    kernel_build: Callable[[str], dict], replace_mode_lab: dict, cli: Cli, tmp_path_factory
) -> dict:
    cfs = kernel_build("toggle-fixed")["variant"]
    ml = replace_mode_lab["record"]["variant"]  # the lab runs it: the first entry boots nothing
    folder = tmp_path_factory.mktemp("bench")
    (folder / "model.blob").write_bytes(build_blob(load_weights(WEIGHTS)))
    lab = replace_mode_lab["name"]
    (folder / "bench.yml").write_text(CAMPAIGN.format(lab=lab, cfs=cfs, ml=ml))
    results = folder / "results"
    proc = cli(
        "campaign", str(folder / "bench.yml"), "--results", str(results), "--json",
        timeout=1800,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr[-5000:]
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
    assert [r["kernel_requested"] for r in runs] == [ml, cfs, cfs, ml]
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


LATENCY = [f"{f}_latency_ns_{s}" for f in ("can_migrate_task", "load_balance")
           for s in ("mean", "p50", "p99")]  # fmt: skip
BENCH_METRICS = [*LATENCY, "runqlen_mean", "max_rq_imbalance_mean", "loadavg_1m", "lb_migrations"]


def test_every_benchmark_metric_comes_back_from_the_jc_kernels(campaign: dict) -> None:
    for r in runs_of(campaign["results"]):
        folder = campaign["results"] / r["path"] / "artifacts" / "benchmetrics"
        status = (folder / "status.txt").read_text()
        assert status == "", (r["kernel_requested"], status)  # mllb-schedlat attached
        bm = read.read(folder.parent, duration=r["duration"])
        assert bm is not None and bm.missing == [], bm and bm.missing
        assert bm.scalars["can_migrate_task_calls"] > 0  # a real symbol in this build
        assert bm.scalars["load_balance_calls"] > 0
        assert bm.runqlen is not None and bm.runqlen.total > 0
        assert bm.imbalance is not None and len(bm.imbalance) > 0
        assert bm.scalars["lb_migrations"] >= 0 and bm.scalars["loadavg_1m"] >= 0
        assert r["metrics"]["hackbench_mean_s"] > 0
        for key in BENCH_METRICS:  # what the report adds to the run's metrics and compares
            assert key in bm.scalars, key


def test_report_of_the_campaign_has_every_plot_and_statistic(
    campaign: dict, cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "bench.html"
    proc = cli(
        "report", str(campaign["results"]), "--out", str(out), "--group-by", "variant",
        "--baseline", campaign["cfs"], "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["skipped"] == [], summary["skipped"]
    assert summary["runs"] == 4 and summary["groups"] == [campaign["cfs"], campaign["ml"]]
    assert summary["geomean"][campaign["ml"]] is not None  # the one-number summary
    compared = {c["metric"]: c for c in summary["comparisons"] if c["group"] == campaign["ml"]}
    for key in [*BENCH_METRICS, "hackbench_mean_s"]:
        c = compared.get(key)
        assert c is not None, (key, sorted(compared))
        assert c["direction"] == "lower" and c["marker"] in ("", "*", "**", "***")
        assert c["baseline_mean"] is not None and c["mean"] is not None
        assert c["mannwhitney_p"] is not None  # 2 runs per kernel: the test is defined
    page = out.read_text()
    for plot in PLOTS:  # drawn, not replaced by a "no data" note
        assert f'id="{plot}"' in page, plot
    # the statistics table: mean with its CI, median with its CI, n, change with marker, MWU p
    for head in ("95% CI", "median [95% CI]", "Δ%", "MWU p", "geomean of ratios"):
        assert head in page, head
    for key in BENCH_METRICS:
        assert f'<td class="l">{key} ↓</td>' in page, key
    assert_self_contained(page)
    assert_plots_render(page, tmp_path, COLORS[:2])  # both kernels' series on every plot
