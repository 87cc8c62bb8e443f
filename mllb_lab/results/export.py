"""Export a training dataset: the decisions of the selected indexed runs in one Parquet file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mllb_lab.errors import UserError
from mllb_lab.results import index


def export(results: Path, out: Path, **filters: str | None) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not (results / index.INDEX).is_file():
        raise UserError("--results", f"no results index in {results}", "run a campaign first")
    db = index.connect(results)
    try:
        runs = [r for r in index.query(db, **filters) if r["decisions"] > 0]
    finally:
        db.close()
    if not runs:
        raise UserError("filters", "no ingested run with decisions matches", "see results list")
    tables = [pq.read_table(results / r["path"] / "decisions.parquet") for r in runs]
    table = pa.concat_tables(tables, promote_options="default")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, out)
    return {"out": str(out), "runs": len(runs), "rows": table.num_rows}
