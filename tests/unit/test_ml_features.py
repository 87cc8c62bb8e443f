"""The paper's 15 features exactly (mllb-facts §3) and input refusal with the column named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mllb_lab.cli import main
from mllb_lab.errors import UserError
from mllb_lab.ml.datafiles import load_records
from mllb_lab.ml.features import PAPER15, build_features, required_columns
from mllb_lab.ml.records import ALL_NUMERIC, CAPTURE_COLUMNS, EXTENDED_COLUMNS
from mllb_lab.ml.synthetic import generate


def record(**over: int) -> dict[str, int]:
    base = dict.fromkeys(CAPTURE_COLUMNS, 0) | dict.fromkeys(EXTENDED_COLUMNS, 0)
    base |= {"test_aggressive": 1, "src_len": 5, "src_preferred_len": 3, "delta": 499_999}
    base |= {"cpu_newly_idle": 1, "src_load": 2048, "dst_load": 8, "dst_len": 1}
    base |= {"delta_faults": -30, "total_faults": 120, "nr_fails": 2, "cache_nice_tries": 1}
    base |= {"buddy_hot": 1, "same_node": 1, "prefer_dst": 1, "can_migrate": 1}
    return base | over


def test_paper15_values_and_order() -> None:
    table = build_features(pd.DataFrame([record()]), "paper15")
    assert table.names == list(PAPER15)
    expected = [1, 1, 0, 0, 1, 1, 0, 1, 3, 2.048, 0.008, 1, -0.25, 1, 1]
    assert table.x[0].tolist() == pytest.approx(expected)
    assert table.x.dtype == np.float32 and table.y.tolist() == [1]


def test_derived_columns_at_their_boundaries() -> None:
    rows = [
        record(delta=500_000, src_len=3, src_preferred_len=3, nr_fails=1, total_faults=0),
        record(delta=0, src_len=4, src_preferred_len=3, nr_fails=0, cache_nice_tries=0),
    ]
    x = build_features(pd.DataFrame(rows), "paper15").x
    col = {n: i for i, n in enumerate(PAPER15)}
    assert x[:, col["delta_hot"]].tolist() == [0, 1]  # delta < 500000 ns
    assert x[:, col["src_non_pref_nr"]].tolist() == [0, 1]  # src_len > src_preferred_len
    assert x[:, col["extra_fails"]].tolist() == [0, 0]  # nr_fails > cache_nice_tries
    assert x[:, col["src_len"]].tolist() == [1, 2]  # src_len - 2
    assert x[0, col["delta_faults"]] == -30  # unchanged when total_faults is 0


def test_filters_drop_running_and_non_aggressive_rows() -> None:
    df = pd.DataFrame([record(), record(p_running=1), record(test_aggressive=0)])
    table = build_features(df, "paper15")
    assert len(table) == 1 and table.provenance == {"rows_in": 3, "rows_after_filters": 1}


def test_extended_set_appends_kernel_inputs() -> None:
    df = pd.DataFrame([record(lbf_active=1, group_delta_faults=5, group_total_faults=20)])
    table = build_features(df, "extended")
    assert table.names[:15] == list(PAPER15)
    assert table.names[15:] == ["sd_smt", "lbf_active", "per_cpu_kthread", "group_faults"]
    assert table.x[0, 15:].tolist() == [0, 1, 0, 0.25]


def write(df: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
    else:
        df.to_parquet(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_missing_column_is_named(tmp_path: Path, suffix: str) -> None:
    df = pd.DataFrame([record()]).drop(columns=["src_load"])
    path = write(df, tmp_path / f"r{suffix}")
    with pytest.raises(UserError) as err:
        load_records([path], required_columns("paper15"))
    assert err.value.field == f"{path}: column src_load"


def test_nan_and_wrong_types_are_named(tmp_path: Path) -> None:
    df = pd.DataFrame([record(), record()]).astype({"delta": "float64"})
    df.loc[1, "delta"] = np.nan
    with pytest.raises(UserError, match="column delta") as err:
        load_records([write(df, tmp_path / "nan.parquet")], required_columns("paper15"))
    assert "NaN" in err.value.problem
    df = pd.DataFrame([record(), record()]).astype({"dst_len": "object"})
    df.loc[0, "dst_len"] = "three"
    with pytest.raises(UserError, match="column dst_len") as err:
        load_records([write(df, tmp_path / "str.csv")], required_columns("paper15"))
    assert "non-numeric" in err.value.problem
    df = pd.DataFrame([record()]).astype({"src_load": "float64"})
    df.loc[0, "src_load"] = 1.5
    with pytest.raises(UserError, match="column src_load"):
        load_records([write(df, tmp_path / "frac.parquet")], required_columns("paper15"))


def test_empty_input_and_all_filtered(tmp_path: Path) -> None:
    empty = write(pd.DataFrame([record()]).iloc[:0], tmp_path / "empty.parquet")
    with pytest.raises(UserError, match="no rows"):
        load_records([empty], required_columns("paper15"))
    df = pd.DataFrame([record(p_running=1)])
    with pytest.raises(UserError, match="no rows left after the paper's filters"):
        build_features(df, "paper15")
    with pytest.raises(UserError, match="0/1"):
        build_features(pd.DataFrame([record(can_migrate=2)]), "paper15")


def test_unknown_feature_set_is_refused() -> None:
    with pytest.raises(UserError) as err:
        build_features(pd.DataFrame([record()]), "nope")
    assert err.value.field == "--features"


def test_train_cli_refuses_bad_data_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    df = pd.DataFrame([record()]).drop(columns=["buddy_hot"])
    path = write(df, tmp_path / "bad.csv")
    rc = main(["train", str(path), "--out", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert rc == 2 and "column buddy_hot" in err and "Traceback" not in err
    rc = main(["train", str(tmp_path / "x.json"), "--out", str(tmp_path / "m")])
    assert rc == 2 and "DATA" in capsys.readouterr().err


def test_synthetic_records_fit_the_schema_and_are_reproducible() -> None:
    a, b = generate(3000, seed=5), generate(3000, seed=5)
    pd.testing.assert_frame_equal(a, b)
    for name, dtype in ALL_NUMERIC.items():
        assert str(a[name].dtype) == dtype, name
    assert set(a["workload"]) == {"synthetic"}
    assert set(a["regime"]) == {"idle", "load50", "load100", "load200"}
