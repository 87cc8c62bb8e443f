"""`mllb-lab nightly --compare-only` on a history of real-shaped nights.

Each night is a campaign run ingested through the real path (mllb_lab/report/synthetic.py);
the regression is the test's explicit act: night 3 is written with every time and latency
20% slower. Statistics are the real ones (Welch, noise threshold); nothing is mocked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mllb_lab.cli import main
from mllb_lab.nightly import history
from mllb_lab.report import synthetic

NIGHTS = [f"nightly-2027010{d}T020000Z" for d in range(1, 6)]
NIGHTLY_YML = """
results: results
noise: 0.05
campaign:
  name: nightly
  targets: {lab: nightly}
  capture: false
  duration: 10
  repetitions: 5
  workloads:
    - name: hackbench
    - name: sysbench
"""


def add_night(results: Path, night: str, seed: int, slowdown: float = 1.0) -> None:
    synthetic.add_campaign_run(
        results, night, {"6.1.0-nightly": slowdown}, repetitions=5, decisions=0, seed=seed,
        campaign="nightly",
    )  # fmt: skip


def nightly(cfg: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:
    rc = main(["nightly", str(cfg), "--compare-only", "--json", *extra])
    return rc, json.loads(capsys.readouterr().out)


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "nightly.yml"
    path.write_text(NIGHTLY_YML)
    return path


def test_injected_regression_is_flagged_and_unchanged_reruns_are_not(cfg: Path, capsys) -> None:
    results = cfg.parent / "results"
    add_night(results, NIGHTS[0], seed=1)
    rc, doc = nightly(cfg, capsys)
    assert rc == 0 and doc["evaluations"][0]["verdict"] == "first"

    add_night(results, NIGHTS[1], seed=2)  # an unchanged rerun: noise only
    rc, doc = nightly(cfg, capsys)
    ev = doc["evaluations"][0]
    assert rc == 0 and ev["verdict"] == "good" and ev["baseline"] == NIGHTS[0]
    assert ev["regressions"] == [] and ev["compared"] > 20

    add_night(results, NIGHTS[2], seed=3, slowdown=1.2)  # the injected regression
    rc, doc = nightly(cfg, capsys)
    ev = doc["evaluations"][0]
    assert rc == 4 and ev["verdict"] == "regression" and ev["baseline"] == NIGHTS[1]
    flagged = {(r["benchmark"], r["metric"]) for r in ev["regressions"]}
    assert ("hackbench", "hackbench_mean_s") in flagged
    assert ("sysbench", "sysbench_events") in flagged  # a rate that fell
    assert ("hackbench", "can_migrate_task_latency_ns_mean") in flagged
    assert all(r["change_pct"] > 5 or r["direction"] == "higher" for r in ev["regressions"])
    assert Path(doc["reports"][0]).is_file()

    add_night(results, NIGHTS[3], seed=4)  # back to normal: compared with the last GOOD night
    rc, doc = nightly(cfg, capsys)
    ev = doc["evaluations"][0]
    assert rc == 0 and ev["verdict"] == "good" and ev["baseline"] == NIGHTS[1]

    # re-evaluating the whole history gives the same verdicts, in order
    rc, doc = nightly(cfg, capsys, "--all")
    assert [e["verdict"] for e in doc["evaluations"]] == ["first", "good", "regression", "good"]
    assert rc == 0
    latest = history.verdicts(results)
    assert latest[NIGHTS[2]]["verdict"] == "regression"


def test_pinned_baseline_and_text_output(cfg: Path, capsys) -> None:
    results = cfg.parent / "results"
    add_night(results, NIGHTS[0], seed=1, slowdown=1.2)
    add_night(results, NIGHTS[1], seed=2)
    cfg.write_text(NIGHTLY_YML + f"baseline: {NIGHTS[0]}\n")
    rc, doc = nightly(cfg, capsys)
    ev = doc["evaluations"][0]
    assert rc == 0 and ev["baseline"] == NIGHTS[0] and ev["improvements"]  # faster than pinned
    cfg.write_text(NIGHTLY_YML + f"baseline: {NIGHTS[1]}\n")
    add_night(results, NIGHTS[2], seed=3, slowdown=1.2)
    assert main(["nightly", str(cfg), "--compare-only"]) == 4
    out = capsys.readouterr().out
    assert f"{NIGHTS[2]}: regression against {NIGHTS[1]}" in out
    assert "REGRESSION hackbench hackbench_mean_s" in out


def test_bad_nightly_files_are_one_line_errors(cfg: Path, capsys) -> None:
    cfg.write_text(NIGHTLY_YML.replace("noise: 0.05", "noise: 5"))
    assert main(["nightly", str(cfg), "--compare-only"]) == 2
    assert "noise" in capsys.readouterr().err
    cfg.write_text(NIGHTLY_YML.replace("duration: 10", "duraton: 10"))
    assert main(["nightly", str(cfg), "--compare-only"]) == 2
    err = capsys.readouterr().err.strip()
    assert "campaign.duraton: unknown key" in err and len(err.splitlines()) == 1
    cfg.write_text(NIGHTLY_YML)
    assert main(["nightly", str(cfg), "--compare-only"]) == 2  # an empty history
    assert "run the nightly once" in capsys.readouterr().err
    cfg.write_text(NIGHTLY_YML + "baseline: nightly-19990101T000000Z\n")
    add_night(cfg.parent / "results", NIGHTS[0], seed=1)
    assert main(["nightly", str(cfg), "--compare-only"]) == 2
    assert "pin an existing run id" in capsys.readouterr().err
