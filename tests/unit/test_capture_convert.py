"""Conversion of tracer records to the ml/records.py schema, on records written here in the
tracer's exact layout (the controller cannot trace; the VM test covers real records)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from mllb_lab.capture.convert import METADATA_KEY, OUTPUT_COLUMNS, convert_file, to_frame
from mllb_lab.capture.layout import RECORD_DTYPE
from mllb_lab.capture.reader import read_capture
from mllb_lab.capture.writer import STOCK_61, synthetic_records, write_capture
from mllb_lab.ml.records import (
    CAPTURE_COLUMNS,
    EXTENDED_COLUMNS,
    NODE_COLUMNS,
    PROVENANCE_COLUMNS,
)


def one_record(**values) -> np.ndarray:
    rec = np.zeros(1, dtype=RECORD_DTYPE)
    rec["preferred_nid"] = -1
    rec["test_flag"] = -1
    for key, value in values.items():
        rec[key] = value
    return rec


def test_columns_and_dtypes_are_the_schema(tmp_path):
    path = write_capture(tmp_path / "d.bin", synthetic_records(1000))
    frame, summary = convert_file(path, provenance={"regime": "load100", "run_id": "r1"})
    expected = [*CAPTURE_COLUMNS, *EXTENDED_COLUMNS, *NODE_COLUMNS, *PROVENANCE_COLUMNS]
    assert list(frame.columns) == expected
    for name, dtype in OUTPUT_COLUMNS.items():
        assert str(frame[name].dtype) == dtype, name
    assert not frame.isna().any().any()
    assert set(frame["regime"]) == {"load100"}
    assert set(frame["workload"]) == {"unknown"}
    assert set(frame["kernel"]) == {"6.1.0-test-amd64"}  # from the header
    assert summary["rows"] == 1000


def test_derived_fields(tmp_path):
    rec = np.concatenate(
        [
            # same node, task prefers the src node, newly idle, faults 7 on dst vs 3 on src
            one_record(
                src_cpu=1,
                dst_cpu=2,
                src_node=0,
                dst_node=0,
                preferred_nid=0,
                idle=2,
                src_faults=3,
                dst_faults=7,
                group_src_faults=10,
                group_dst_faults=4,
                hard_pass=1,
                can_migrate=1,
            ),
            # cross-node, prefers dst, idle; pinned away (hard_pass 0) so test_aggressive 0
            one_record(
                src_cpu=1,
                dst_cpu=5,
                src_node=0,
                dst_node=1,
                preferred_nid=1,
                idle=0,
                hard_pass=0,
                can_migrate=0,
            ),
            # a patched kernel's flag wins over the derived value
            one_record(src_node=1, dst_node=1, idle=1, test_flag=1, hard_pass=0),
        ]
    )
    frame = to_frame(read_capture(write_capture(tmp_path / "d.bin", rec)))
    assert frame["same_node"].tolist() == [1, 0, 1]
    assert frame["prefer_src"].tolist() == [1, 0, 0]
    assert frame["prefer_dst"].tolist() == [1, 1, 0]  # same node: both; -1 never matches
    assert frame["cpu_idle"].tolist() == [0, 1, 0]
    assert frame["cpu_not_idle"].tolist() == [0, 0, 1]
    assert frame["cpu_newly_idle"].tolist() == [1, 0, 0]
    assert frame["delta_faults"].tolist() == [4, 0, 0]
    assert frame["group_delta_faults"].tolist() == [-6, 0, 0]
    assert frame["test_aggressive"].tolist() == [1, 0, 1]
    assert frame["can_migrate"].tolist() == [1, 0, 0]


def test_lost_events_are_reported_in_summary_and_parquet(tmp_path):
    path = write_capture(tmp_path / "d.bin", synthetic_records(50), lost=17)
    out = tmp_path / "d.parquet"
    _, summary = convert_file(path, out)
    assert summary["lost"] == 17
    assert summary["complete"] is True
    meta = json.loads(pq.read_schema(out).metadata[METADATA_KEY])
    assert meta["lost"] == 17
    assert meta["test_aggressive_source"] == "derived"
    assert "test_flag" not in meta["capabilities"]
    back = pd.read_parquet(out)
    assert len(back) == 50
    assert str(back["can_migrate"].dtype) == "int8"


def test_unfinished_capture_keeps_records_and_says_lost_is_unknown(tmp_path):
    rec = synthetic_records(10)
    path = tmp_path / "d.bin"
    write_capture(path, rec, complete=False, lost=0)
    with open(path, "ab") as fh:  # a tracer killed in the middle of a record
        fh.write(b"\x01" * 40)
    _, summary = convert_file(path)
    assert summary["rows"] == 10
    assert summary["lost"] is None
    assert any("did not stop cleanly" in w for w in summary["warnings"])
    assert any("partial last record" in w for w in summary["warnings"])


def test_patched_kernel_capability(tmp_path):
    path = write_capture(
        tmp_path / "d.bin", synthetic_records(5), capabilities=[*STOCK_61, "test_flag"]
    )
    _, summary = convert_file(path)
    assert summary["test_aggressive_source"] == "kernel"


def test_unknown_provenance_column_is_refused(tmp_path):
    from mllb_lab.errors import UserError

    path = write_capture(tmp_path / "d.bin", synthetic_records(5))
    with pytest.raises(UserError, match="provenance colour"):
        convert_file(path, provenance={"colour": "red"})
