"""Training end to end on synthetic records (mllb_lab.ml.synthetic, NOT real captures) through
the real CLI: real TensorFlow, real gcc-built C library. Small data and few epochs keep it fast;
the accuracy asserted is a sanity floor, not the acceptance target (see docs/ml.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mllb_lab.cli import main
from mllb_lab.ml.blob import build_blob
from mllb_lab.ml.weights import load_weights

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from mllb_lab.ml.synthetic import generate

    root = tmp_path_factory.mktemp("records")
    train = root / "train.parquet"
    generate(12_000, seed=21).to_parquet(train)
    check = root / "check.csv"
    generate(20_000, seed=22).to_csv(check, index=False)
    return {"train": train, "check": check}


@pytest.fixture(scope="module")
def model_dir(data: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model") / "m"
    argv = ["train", str(data["train"]), "--out", str(out), "--model", "logit", "--quiet"]
    rc = main([*argv, "--folds", "2", "--epochs", "60", "--batch-size", "1024", "--seed", "4"])
    assert rc == 0
    return out


def test_model_dir_contents(model_dir: Path) -> None:
    names = {p.name for p in model_dir.iterdir()}
    assert {"model.keras", "weights.json", "metrics.json", "provenance.json", "report.md"} <= names
    w = load_weights(model_dir / "weights.json")
    assert (w.n_in, w.n_hidden, w.output, w.threshold) == (15, 10, "logit", 0.0)
    prov = json.loads((model_dir / "provenance.json").read_text())
    assert prov["synthetic"] is True and len(prov["files"][0]["sha256"]) == 64
    assert "synthetic data" in (model_dir / "report.md").read_text()


def test_metrics_per_regime_with_confusion_matrices(model_dir: Path) -> None:
    m = json.loads((model_dir / "metrics.json").read_text())
    held = m["heldout"]
    assert set(held["regime"]) == {"idle", "load50", "load100", "load200"}
    assert set(held["kernel"]) == {"synthetic-4.15", "synthetic-6.1"}
    for cm in held["regime"].values():
        assert cm["tp"] + cm["tn"] + cm["fp"] + cm["fn"] == cm["rows"] > 0
    assert len(m["cross_validation"]["accuracy_per_fold"]) == 2
    assert held["all"]["accuracy"] > 0.8  # sanity floor for 60 epochs on 12k rows


def test_c_agrees_with_keras_on_heldout(model_dir: Path) -> None:
    agr = json.loads((model_dir / "metrics.json").read_text())["agreement"]
    assert agr["reference"] == "keras"
    assert agr["c_float_agree"] == 1.0 and agr["c_float_max_abs_diff"] < 1e-4
    assert agr["c_fixed_agree"] >= 0.999
    assert agr["disagreement_count"]["c-fixed"] == len(
        [d for d in agr["disagreements"] if d["impl"] == "c-fixed"]
    )


def test_model_check_on_separate_records(
    model_dir: Path, data: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["model", "check", str(model_dir), "--data", str(data["check"]), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0, doc
    assert doc["rows"] > 15_000 and doc["c_float_agree"] == 1.0 and doc["c_fixed_agree"] >= 0.999
    for d in doc["disagreements"]:  # every one names its source row
        assert d["row"].startswith("row ") and d["impl"] in ("c-float", "c-fixed")


def test_exports(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for fmt, name in (("c", "mllb_model.h"), ("blob", "mllb_model.blob"), ("json", "weights.json")):
        assert main(["export", str(model_dir), "--format", fmt]) == 0
        assert capsys.readouterr().out.strip() == str(model_dir / "export" / name)
    w = load_weights(model_dir / "weights.json")
    assert (model_dir / "export" / "mllb_model.blob").read_bytes() == build_blob(w)
    again = load_weights(model_dir / "export" / "weights.json")
    assert np.array_equal(again.w1, w.w1) and again.threshold == w.threshold


def test_run_on_record_file_all_impls_agree(
    model_dir: Path, data: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    decisions = {}
    for impl in ("keras", "c-float", "c-fixed"):
        argv = ["model", "run", str(model_dir), "--data", str(data["check"]), "--impl", impl]
        assert main(argv) == 0
        lines = capsys.readouterr().out.splitlines()
        decisions[impl] = [line.rsplit(" ", 1)[1] for line in lines]
    assert decisions["keras"] == decisions["c-float"]
    same = np.mean(np.array(decisions["keras"]) == np.array(decisions["c-fixed"]))
    assert same >= 0.999


def test_same_seed_same_weights(data: dict[str, Path], model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    argv = ["train", str(data["train"]), "--out", str(out), "--model", "logit", "--quiet"]
    rc = main([*argv, "--folds", "0", "--epochs", "60", "--batch-size", "1024", "--seed", "4"])
    assert rc == 0
    a, b = load_weights(model_dir / "weights.json"), load_weights(out / "weights.json")
    assert np.array_equal(a.w1, b.w1) and np.array_equal(a.w2, b.w2) and a.b2 == b.b2


def test_auto_selection_records_evidence(data: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "auto"
    argv = ["train", str(data["train"]), "--out", str(out), "--quiet", "--folds", "0"]
    assert main([*argv, "--epochs", "3", "--batch-size", "1024"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    names = [row["candidate"] for row in m["selection"]]
    assert names == ["paper", "logit", "logit-cw", "logit-ext"]
    chosen = [row for row in m["selection"] if row["chosen"]]
    assert len(chosen) == 1 and chosen[0]["candidate"] == m["chosen"]["name"]
    best = max(row["validation_accuracy"] for row in m["selection"])
    assert chosen[0]["validation_accuracy"] >= best - 1e-4


def test_per_regime_out_of_fold_metrics_and_intervals(model_dir: Path) -> None:
    m = json.loads((model_dir / "metrics.json").read_text())
    prov = json.loads((model_dir / "provenance.json").read_text())
    oof = m["cross_validation"]["out_of_fold"]
    # Every training row is decided once by the fold model that did not see it.
    assert oof["all"]["rows"] == prov["rows_after_filters"] - m["heldout"]["all"]["rows"]
    assert sum(cm["rows"] for cm in oof["regime"].values()) == oof["all"]["rows"]
    assert set(oof["balance"]) <= {"idle", "newly_idle", "not_idle"}
    for cm in [*m["heldout"]["regime"].values(), *oof["regime"].values()]:
        lo, hi = cm["ci95"]
        assert lo <= cm["accuracy"] <= hi
    report = (model_dir / "report.md").read_text()
    assert "regime idle: held-out" in report and "out-of-fold" in report


def test_input_domain_is_the_training_rows_range(model_dir: Path, data: dict[str, Path]) -> None:
    """train records per feature the range of the rows it fitted on, exact in float32 and
    Q21.11, and exports it (blob version 2); `model check` above proves every path clamps."""
    import pandas as pd

    from mllb_lab.ml.domain import is_exact
    from mllb_lab.ml.features import build_features

    w = load_weights(model_dir / "weights.json")
    assert w.input_range is not None
    lo, hi = w.input_range.lo, w.input_range.hi
    assert is_exact(lo).all() and is_exact(hi).all() and (lo <= hi).all()
    x = build_features(pd.read_parquet(data["train"]), "paper15").x.astype(np.float64)
    step = 1 / 2048
    assert (lo >= x.min(axis=0) - step).all() and (hi <= x.max(axis=0) + step).all()
    inside = np.all((x >= lo) & (x <= hi), axis=1).mean()
    assert inside > 0.95  # the held-out tenth may reach beyond the training part's range
    blob = build_blob(w)
    assert blob[4:6] == b"\x02\x00"
