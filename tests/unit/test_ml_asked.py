"""`mllb-lab train --rows asked`: the rows a JC_SCHED kernel asks the model about
(mllb_lab/ml/asked.py). Real Parquet files with the metadata `mllb-lab capture` writes; the
refusals go through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mllb_lab.cli import main
from mllb_lab.commands import ml as cmd
from mllb_lab.errors import UserError
from mllb_lab.ml import asked
from mllb_lab.ml.synthetic import generate


def records(keeps: int, migrates: int, seed: int = 0) -> pd.DataFrame:
    """Asked rows with the given labels, plus rows of every kind the kernel does NOT ask."""
    rng = np.random.default_rng(seed)
    n = keeps + migrates
    base = generate(n + 60, seed=seed).reset_index(drop=True)
    base["test_aggressive"], base["lbf_active"], base["p_running"] = 1, 0, 0
    base.loc[: n - 1, "can_migrate"] = np.repeat(np.array([0, 1], dtype=np.int8), [keeps, migrates])
    # not asked: a hard check failed (flag 0, label 0), running (label 0), active (label 1)
    base.loc[n : n + 19, ["test_aggressive", "can_migrate"]] = 0
    base.loc[n + 20 : n + 39, ["test_aggressive", "p_running", "can_migrate"]] = (0, 1, 0)
    base.loc[n + 40 :, ["lbf_active", "can_migrate"]] = (1, 1)
    return base.iloc[rng.permutation(len(base))].reset_index(drop=True)


def write(df: pd.DataFrame, path: Path, source: str | None = "kernel") -> Path:
    table = pa.Table.from_pandas(df, preserve_index=False)
    if source is not None:
        info = {"test_aggressive_source": source, "rows": len(df)}
        table = table.replace_schema_metadata({asked.CAPTURE_METADATA_KEY: json.dumps(info)})
    pq.write_table(table, path)
    return path


def test_mask_is_the_kernels_question() -> None:
    df = pd.DataFrame(
        {
            "test_aggressive": [1, 1, 1, 0, 0],
            "lbf_active": [0, 1, 0, 0, 0],
            "p_running": [0, 0, 1, 1, 0],
        }
    )
    assert asked.asked_mask(df).tolist() == [True, False, False, False, False]


def test_select_keeps_only_asked_rows(tmp_path: Path) -> None:
    df = records(keeps=40, migrates=200)
    path = write(df, tmp_path / "cap.parquet")
    kept = asked.select_asked(pd.read_parquet(path), [path])
    assert len(kept) == 240
    assert asked.label_counts(kept["can_migrate"]) == (40, 200)
    assert (kept["test_aggressive"] == 1).all() and (kept["lbf_active"] == 0).all()
    assert (kept["p_running"] == 0).all()


def test_flag_source_read_from_capture_metadata(tmp_path: Path) -> None:
    df = records(keeps=1, migrates=1)
    assert asked.flag_source(write(df, tmp_path / "k.parquet")) == "kernel"
    assert asked.flag_source(write(df, tmp_path / "d.parquet", "derived")) == "derived"
    assert asked.flag_source(write(df, tmp_path / "n.parquet", None)) is None
    df.to_csv(tmp_path / "c.csv", index=False)
    assert asked.flag_source(tmp_path / "c.csv") is None


@pytest.mark.parametrize("source", ["derived", None])
def test_refuses_a_flag_not_set_by_the_kernel(tmp_path: Path, source: str | None) -> None:
    good = write(records(40, 200), tmp_path / "good.parquet")
    bad = write(records(40, 200), tmp_path / "bad.parquet", source)
    with pytest.raises(UserError) as err:
        asked.select_asked(pd.read_parquet(good), [good, bad])
    assert err.value.field == "--rows asked" and str(bad) in err.value.problem


def test_refuses_too_few_keeps(tmp_path: Path) -> None:
    path = write(records(keeps=asked.MIN_PER_LABEL - 1, migrates=500), tmp_path / "few.parquet")
    with pytest.raises(UserError) as err:
        asked.select_asked(pd.read_parquet(path), [path])
    assert err.value.field == "--rows asked"
    assert f"only {asked.MIN_PER_LABEL - 1} keep" in err.value.problem


def test_refuses_too_few_migrates(tmp_path: Path) -> None:
    path = write(records(keeps=500, migrates=3), tmp_path / "few.parquet")
    with pytest.raises(UserError, match="only 3 migrate"):
        asked.select_asked(pd.read_parquet(path), [path])


def test_cli_choices_match_the_library() -> None:
    assert cmd.ROW_SETS == asked.ROW_SETS


def test_cli_refuses_csv_with_one_line_naming_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "cap.csv"
    records(40, 200).to_csv(data, index=False)
    rc = main(["train", str(data), "--out", str(tmp_path / "m"), "--rows", "asked", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "--rows asked" in err and "mllb-lab capture" in err
    assert not (tmp_path / "m").exists()


def test_cli_refuses_too_few_keeps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(records(keeps=5, migrates=500), tmp_path / "cap.parquet")
    rc = main(["train", str(data), "--out", str(tmp_path / "m"), "--rows", "asked", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "only 5 keep" in err and "--rows asked" in err, err


def test_class_weights_apply_to_every_candidate() -> None:
    from mllb_lab.ml.train import TrainOptions, _candidates

    one = _candidates(TrainOptions(model="logit-ext", class_weights=True), has_extended=True)
    assert [(c.name, c.class_weights) for c in one] == [("logit-ext", True)]
    auto = _candidates(TrainOptions(class_weights=True), has_extended=True)
    assert len(auto) > 1 and all(c.class_weights for c in auto)
    plain = _candidates(TrainOptions(model="logit"), has_extended=True)
    assert [c.class_weights for c in plain] == [False]
