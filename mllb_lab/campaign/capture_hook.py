"""The seam to the capture side (roles/capture and mllb_lab.capture), kept in one place.

The run playbook starts and stops the capture through the `capture` role's steps
(capture_steps [install, start], then [stop]) with the run folder as the tracer's output folder;
on ingest the tracer's output file is converted to decision records with
mllb_lab.capture.convert. Until the capture side is installed, campaigns with capture on stop
before running anything, naming the field to turn off.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from mllb_lab.errors import UserError
from mllb_lab.paths import repo_root

CAPTURE_FILE = "decisions.bin"  # the tracer's output in the run folder (capture_name decisions)


def available() -> bool:
    role = repo_root() / "roles" / "capture" / "tasks"
    has_convert = importlib.util.find_spec("mllb_lab.capture.convert") is not None
    return has_convert and all((role / f"{step}.yml").is_file() for step in ("start", "stop"))


def tracer_binary() -> Path:
    """The statically linked tracer, built on the controller (cached by its inputs)."""
    from mllb_lab.capture.build import build_tracer

    return build_tracer()


def require(field: str) -> None:
    if not available():
        raise UserError(
            field,
            "capture is on, but the capture side (roles/capture, mllb_lab.capture) is missing",
            "set capture: false for this campaign or install the capture side",
        )


def write_decisions(
    artifacts: Path, provenance: dict[str, str], out: Path
) -> tuple[int, int | None] | None:
    """Convert the tracer's file to decisions.parquet; (rows, lost events), None if absent.

    Arrow straight from the converter's numpy columns (no pandas frame in between): the same
    columns, order and metadata as mllb_lab.capture.convert.write_parquet, at about twice the
    rows per second, which is what keeps ingest near a million rows per second here."""
    src = artifacts / CAPTURE_FILE
    if not src.is_file():
        return None
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from mllb_lab.capture.convert import METADATA_KEY, numeric_columns, summary
    from mllb_lab.capture.reader import read_capture
    from mllb_lab.ml.records import PROVENANCE_COLUMNS

    capture = read_capture(src)
    columns = numeric_columns(capture.records)
    n = len(capture.records)
    arrays = {name: pa.array(values) for name, values in columns.items()}
    # One value per run, built in C++ (not per row); large_string as pandas writes it.
    for name in PROVENANCE_COLUMNS:
        value = provenance.get(name) or "unknown"
        arrays[name] = pa.repeat(pa.scalar(value, type=pa.large_string()), n)
    info = summary(capture.header)
    info["rows"] = n
    table = pa.table(arrays).replace_schema_metadata({METADATA_KEY: json.dumps(info).encode()})
    pq.write_table(table, out)
    lost = info.get("lost")
    return n, int(lost) if isinstance(lost, int) else None
