"""Reading decision-record files (Parquet or CSV) with their provenance, refusing bad input
with the file and column named."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mllb_lab.errors import UserError
from mllb_lab.ml.records import ALL_NUMERIC, PROVENANCE_COLUMNS

SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


@dataclass(frozen=True)
class SourceFile:
    path: str
    sha256: str
    rows: int


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_one(path: Path) -> pd.DataFrame:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise UserError("DATA", f"{path}: unknown file type", "use .parquet or .csv files")
    if not path.is_file():
        raise UserError("DATA", f"{path} does not exist", "give existing record files")
    try:
        if kind == "parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise UserError(
            "DATA", f"{path}: cannot read ({exc})", f"use a valid {kind} file"
        ) from None


def check_column(df: pd.DataFrame, name: str, where: str) -> None:
    """A numeric record column: no NaN, numbers only, integral values (counters and flags)."""
    col = df[name]
    field = f"{where}: column {name}"
    if col.dtype == bool:
        return
    if not pd.api.types.is_numeric_dtype(col):
        bad = col[pd.to_numeric(col, errors="coerce").isna()].iloc[:1]
        sample = f" (row {bad.index[0]}: {bad.iloc[0]!r})" if len(bad) else ""
        raise UserError(field, f"has non-numeric values{sample}", "records hold integers")
    if col.isna().any():
        row = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise UserError(field, f"has NaN/empty values (first at row {row})", "drop or fix them")
    if pd.api.types.is_float_dtype(col) and not np.all(np.mod(col.to_numpy(), 1) == 0):
        raise UserError(field, "has fractional values", "records hold integer counters")


def load_records(paths: list[Path], required: list[str]) -> tuple[pd.DataFrame, list[SourceFile]]:
    """Concatenate record files; `required` columns must exist in every file."""
    if not paths:
        raise UserError("DATA", "no files given", "pass one or more .parquet/.csv record files")
    frames, sources = [], []
    for path in paths:
        df = _read_one(Path(path))
        missing = [c for c in required if c not in df.columns]
        if missing:
            raise UserError(
                f"{path}: column {missing[0]}",
                f"missing ({len(missing)} required columns absent: {', '.join(missing[:5])})",
                "see docs/ml.md for the record schema",
            )
        for name in df.columns:
            if name in ALL_NUMERIC:
                check_column(df, name, str(path))
        for name in PROVENANCE_COLUMNS:
            df[name] = df[name].astype(str) if name in df.columns else "unknown"
        df["source_file"] = str(path)
        df["source_row"] = np.arange(len(df), dtype=np.int64)
        frames.append(df)
        sources.append(SourceFile(str(path), sha256_file(Path(path)), len(df)))
    data = pd.concat(frames, ignore_index=True)
    if data.empty:
        raise UserError("DATA", "the files hold no rows", "capture some decisions first")
    return data, sources
