"""`mllb-lab report` on real stores (built by the real ingest path), including damaged ones:
broken or partial folders are named and skipped; nothing usable is exit 2, one line."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mllb_lab.cli import main
from mllb_lab.report import synthetic

CR = "bench-20260101T000000Z"
KERNELS = {"6.1.0-cfs": 1.0, "6.1.0-mllb-fixed": 1.25}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("store") / "results"
    synthetic.add_campaign_run(root, CR, KERNELS, repetitions=3, decisions=500)
    return root


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    rc = main([*args, "--json"])
    return rc, json.loads(capsys.readouterr().out)


def test_injected_slowdown_is_worse_with_markers(results: Path, tmp_path: Path, capsys) -> None:
    rc, doc = run_json(["report", str(results), "--out", str(tmp_path / "r.html")], capsys)
    assert rc == 0 and doc["groups"] == list(KERNELS) and doc["baseline"] == "6.1.0-cfs"
    assert doc["runs"] == 12 and doc["skipped"] == []
    by = {(c["benchmark"], c["metric"]): c for c in doc["comparisons"]}
    hb = by[("hackbench", "hackbench_mean_s")]
    assert hb["verdict"] == "worse" and hb["marker"].startswith("*")
    assert hb["change_pct"] == pytest.approx(25, abs=6)
    assert by[("sysbench", "sysbench_events")]["verdict"] == "worse"  # a rate that fell
    assert doc["geomean"]["6.1.0-mllb-fixed"] < 1


def test_baseline_can_be_pinned_and_must_exist(results: Path, tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "r.html")
    rc, doc = run_json(
        ["report", str(results), "--out", out, "--baseline", "6.1.0-mllb-fixed"], capsys
    )
    assert rc == 0 and doc["groups"][0] == "6.1.0-mllb-fixed" and doc["geomean"]["6.1.0-cfs"] > 1
    assert main(["report", str(results), "--out", out, "--baseline", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--baseline" in err[0] and "6.1.0-cfs" in err[0]


def test_model_metrics_and_text_summary(results: Path, tmp_path: Path, capsys) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "metrics.json").write_text(json.dumps({"cv": {"accuracy_mean": 0.9924}}))
    out = tmp_path / "r.html"
    assert main(["report", str(results), "--out", str(out), "--model", str(model)]) == 0
    text = capsys.readouterr().out
    assert "hackbench_mean_s" in text and "geomean of ratios" in text
    page = out.read_text()
    assert "cv.accuracy_mean" in page and "0.9924" in page
    assert "kernel_config_sha256" in page and "target.stress-ng" in page  # provenance


def test_broken_and_partial_folders_are_named_and_skipped(
    results: Path, tmp_path: Path, capsys
) -> None:
    import shutil

    damaged = tmp_path / "damaged"
    shutil.copytree(results, damaged)
    db = sqlite3.connect(damaged / "index.sqlite")
    rows = db.execute("SELECT run_id, path FROM runs ORDER BY run_id").fetchall()
    db.close()
    # the test's explicit acts of damage: a lost metrics file, a truncated Parquet file,
    # a run the ledger saw fail, and an argument that is no results store at all
    (damaged / rows[0][1] / "metrics.json").unlink()
    parquet = damaged / rows[1][1] / "decisions.parquet"
    parquet.write_bytes(parquet.read_bytes()[:100])
    ledger = sqlite3.connect(damaged / CR / "ledger.sqlite")
    ledger.executescript(
        "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, seq INTEGER, host TEXT,"
        " kernel TEXT, workload TEXT, params TEXT, duration INTEGER, capture INTEGER,"
        " repetition INTEGER, regime TEXT, seed INTEGER, state TEXT, attempts INTEGER,"
        " error TEXT, updated TEXT);"
        "INSERT INTO runs VALUES ('fibo-r1-x', 9, 'h1', 'k', 'fibo', '{}', 5, 0, 1, NULL, 0,"
        " 'failed', 3, 'guest crashed', '');"
    )
    ledger.commit()
    ledger.close()
    junk = tmp_path / "junk"
    junk.mkdir()
    rc, doc = run_json(
        ["report", str(damaged), str(junk), "--out", str(tmp_path / "r.html")], capsys
    )
    assert rc == 0 and doc["runs"] == 10
    reasons = {s["name"]: s["reason"] for s in doc["skipped"]}
    assert reasons[f"{CR}/{rows[0][0]}"].startswith("metrics.json unreadable")
    assert reasons[f"{CR}/{rows[1][0]}"].startswith("decisions.parquet unreadable")
    assert reasons[f"{CR}/fibo-r1-x"] == "not ingested (failed: guest crashed)"
    assert reasons[str(junk)] == "not a results store or campaign run folder"
    # a campaign run folder works as an argument too
    rc, doc = run_json(["report", str(damaged / CR), "--out", str(tmp_path / "r.html")], capsys)
    assert rc == 0 and doc["runs"] == 10


def test_nothing_usable_is_exit_2(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty), "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "RESULTS: nothing usable" in err[0] and str(empty) in err[0]
    assert not (tmp_path / "r.html").exists()
    assert main(["report", str(empty), "--out", str(tmp_path / "r.txt")]) == 2
    with pytest.raises(SystemExit) as exc:  # argparse's own check, one line (cli.py)
        main(["report", str(empty), "--out", str(tmp_path / "r.html"), "--noise", "2"])
    assert exc.value.code == 2
