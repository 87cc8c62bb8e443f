"""Tracer records -> the decision-record table of mllb_lab/ml/records.py, vectorised.

Each output column is one numpy expression over the whole record array (no Python loop per
row), which is what keeps conversion above a million rows per second.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from mllb_lab.capture.layout import IDLE, NEWLY_IDLE, NOT_IDLE
from mllb_lab.capture.reader import Capture, CaptureHeader, read_capture
from mllb_lab.errors import UserError
from mllb_lab.ml.records import (
    CAPTURE_COLUMNS,
    EXTENDED_COLUMNS,
    NODE_COLUMNS,
    PROVENANCE_COLUMNS,
)

OUTPUT_COLUMNS: dict[str, str] = {**CAPTURE_COLUMNS, **EXTENDED_COLUMNS, **NODE_COLUMNS}
METADATA_KEY = b"mllb.capture"


def numeric_columns(rec: np.ndarray) -> dict[str, np.ndarray]:
    """The numeric schema columns computed from raw records (see docs/capture.md)."""
    idle = rec["idle"]
    src_node, dst_node = rec["src_node"], rec["dst_node"]
    preferred = rec["preferred_nid"]
    # Stock kernels have no test flag: derive it from the hard conditions the tracer read
    # (1 exactly when can_migrate_task() got past them), rather than forcing it to 1.
    test = np.where(rec["test_flag"] >= 0, rec["test_flag"], rec["hard_pass"])
    zeros = np.zeros(len(rec), dtype=np.int64)
    cols: dict[str, np.ndarray] = {
        "ts": rec["ts"],
        "curr_pid": rec["curr_pid"],
        "pid": rec["pid"],
        "src_cpu": rec["src_cpu"],
        "dst_cpu": rec["dst_cpu"],
        "imbalance": rec["imbalance"],
        "src_len": rec["src_len"],
        "src_numa_len": rec["src_numa_len"],
        "src_preferred_len": rec["src_preferred_len"],
        "delta": rec["delta"],
        "cpu_idle": idle == IDLE,
        "cpu_not_idle": idle == NOT_IDLE,
        "cpu_newly_idle": idle == NEWLY_IDLE,
        "same_node": src_node == dst_node,
        "prefer_src": (preferred >= 0) & (preferred == src_node),
        "prefer_dst": (preferred >= 0) & (preferred == dst_node),
        "delta_faults": rec["dst_faults"] - rec["src_faults"],
        "total_faults": rec["total_faults"],
        "dst_len": rec["dst_len"],
        "src_load": rec["src_load"],
        "dst_load": rec["dst_load"],
        "nr_fails": rec["nr_fails"],
        "cache_nice_tries": rec["cache_nice_tries"],
        "buddy_hot": rec["buddy_hot"],
        "throttled": rec["throttled"],
        "p_running": rec["p_running"],
        "test_aggressive": test,
        "can_migrate": rec["can_migrate"],
        "pc_0": zeros,  # per-rq perf counters: not recorded (never model inputs)
        "pc_1": zeros,
        "sd_numa": rec["sd_numa"],
        "sd_smt": rec["sd_smt"],
        "lbf_active": rec["lbf_active"],
        "per_cpu_kthread": rec["per_cpu_kthread"],
        "group_delta_faults": rec["group_dst_faults"] - rec["group_src_faults"],
        "group_total_faults": rec["group_total_faults"],
        "migration_type": rec["migration_type"],
        "src_node": src_node,
        "dst_node": dst_node,
    }
    return {
        name: np.asarray(cols[name]).astype(dtype, copy=False)
        for name, dtype in OUTPUT_COLUMNS.items()
    }


def constant_strings(value: str, n: int) -> pd.Series:
    """n copies of one string as pandas' string dtype, built by Arrow (a Python list of a
    million strings would cost most of the conversion time)."""
    import pyarrow as pa

    codes = pa.array(np.zeros(n, dtype=np.int8))
    return pa.DictionaryArray.from_arrays(codes, pa.array([value])).cast(pa.string()).to_pandas()


def to_frame(capture: Capture, provenance: dict[str, str] | None = None) -> pd.DataFrame:
    """The decision table of one capture: schema columns in schema order, then provenance."""
    given = dict(provenance or {})
    unknown = sorted(set(given) - set(PROVENANCE_COLUMNS))
    if unknown:
        raise UserError(
            f"provenance {unknown[0]}",
            "is not a provenance column",
            f"use {', '.join(PROVENANCE_COLUMNS)}",
        )
    given.setdefault("kernel", capture.header.kernel_release or "unknown")
    df = pd.DataFrame(numeric_columns(capture.records), copy=False)
    n = len(df)
    for name in PROVENANCE_COLUMNS:
        df[name] = constant_strings(given.get(name, "unknown"), n)
    return df


def summary(header: CaptureHeader, frame: pd.DataFrame | None = None) -> dict[str, object]:
    """What a user and the campaign ledger need to know about a capture, lost events first."""
    out: dict[str, object] = {
        "records": header.records if header.complete else None,
        "lost": header.lost if header.complete else None,
        "complete": header.complete,
        "kernel_release": header.kernel_release,
        "attach": header.attach,
        "nr_cpus": header.nr_cpus,
        "nr_nodes": header.nr_nodes,
        "capabilities": header.capabilities,
        "test_aggressive_source": "kernel" if "test_flag" in header.capabilities else "derived",
        "warnings": header.warnings,
    }
    if frame is not None:
        out["rows"] = len(frame)
        out["labels"] = {
            str(k): int(v) for k, v in frame["can_migrate"].value_counts().sort_index().items()
        }
    return out


def write_parquet(frame: pd.DataFrame, header: CaptureHeader, out: Path) -> Path:
    """Parquet with the capture summary (lost events included) in the file's metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[METADATA_KEY] = json.dumps(summary(header)).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    pq.write_table(table.replace_schema_metadata(meta), tmp)
    tmp.replace(out)
    return out


def convert_file(
    src: Path | str, out: Path | str | None = None, provenance: dict[str, str] | None = None
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Read one tracer file, convert it, optionally write Parquet; returns (frame, summary)."""
    capture = read_capture(src)
    frame = to_frame(capture, provenance)
    if out is not None:
        write_parquet(frame, capture.header, Path(out))
    return frame, summary(capture.header, frame)
