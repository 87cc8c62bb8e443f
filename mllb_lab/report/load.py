"""Read the runs a report is about, from results stores or campaign-run folders.

A RESULTS argument is a results store (has index.sqlite: every indexed run) or one campaign
run folder inside a store (its indexed runs; runs its ledger lists as not ingested are
reported). Anything broken is recorded in `skipped` with its name and reason, never fatal:
a folder that is not a store, a run whose folder or metrics are missing or unreadable, a run
whose workload failed.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mllb_lab.benchmetrics import read as bench_read
from mllb_lab.benchmetrics.read import BenchMetrics
from mllb_lab.report.decisions import DecisionSummary
from mllb_lab.report.decisions import summarize as summarize_decisions
from mllb_lab.results import index

LEDGER = "ledger.sqlite"


@dataclass
class RunData:
    row: dict[str, Any]  # the index row (provenance)
    folder: Path
    metrics: dict[str, float]  # workload metrics + benchmark scalars + decision figures
    bench: BenchMetrics | None
    decisions: DecisionSummary | None

    @property
    def benchmark(self) -> str:
        """The workload and its parameters: what is compared across kernels."""
        params = " ".join(f"{k}={v}" for k, v in sorted(self.row["params"].items()))
        return f"{self.row['workload']} {params}".strip()


@dataclass
class Skipped:
    name: str
    reason: str


@dataclass
class Loaded:
    runs: list[RunData] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def numeric(metrics: dict[str, Any]) -> dict[str, float]:
    return {
        k: float(v)
        for k, v in metrics.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }


def load_run(root: Path, row: dict[str, Any]) -> RunData:
    """Raises ValueError/OSError with a reason when the run cannot be used."""
    folder = root / row["path"]
    if not folder.is_dir():
        raise ValueError("run folder missing")
    try:
        metrics = numeric(json.loads((folder / "metrics.json").read_text()))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"metrics.json unreadable ({type(exc).__name__})") from None
    if row["exit_code"] != 0:
        raise ValueError(f"workload failed (exit code {row['exit_code']})")
    bench = bench_read.read(folder / "artifacts", duration=row["duration"])
    if bench is not None:
        metrics.update(bench.scalars)
    decisions = None
    if row["decisions"]:
        try:
            decisions = summarize_decisions(folder / "decisions.parquet")
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise ValueError(f"decisions.parquet unreadable ({type(exc).__name__})") from None
        metrics["decisions_per_s"] = decisions.per_s
        metrics["migrate_fraction"] = decisions.migrate_fraction
    return RunData(row, folder, metrics, bench, decisions)


def not_ingested(folder: Path) -> list[Skipped]:
    """Runs a campaign run's ledger has not seen ingested (failed, interrupted)."""
    path = folder / LEDGER
    if not path.is_file():
        return []
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = db.execute(
                "SELECT run_id, state, error FROM runs WHERE state != 'ingested'"
            ).fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        return [Skipped(f"{folder.name}/{LEDGER}", f"unreadable ledger ({exc})")]
    return [
        Skipped(f"{folder.name}/{run_id}", f"not ingested ({state}{': ' + err if err else ''})")
        for run_id, state, err in rows
    ]


def rows_of(store: Path, campaign_run: str | None) -> list[dict[str, Any]]:
    db = index.connect(store)
    try:
        return index.query(db, campaign_run=campaign_run)
    finally:
        db.close()


def load(paths: list[Path]) -> Loaded:
    out = Loaded()
    seen: set[tuple[str, str]] = set()
    for path in paths:
        if (path / index.INDEX).is_file():
            store, campaign_run = path, None
            ledgers = [p.parent for p in sorted(path.glob(f"*/{LEDGER}"))]
        elif (path.parent / index.INDEX).is_file() and any(
            (path / p).exists() for p in (LEDGER, "runs")
        ):
            store, campaign_run = path.parent, path.name
            ledgers = [path] if (path / LEDGER).is_file() else []
        else:
            out.skipped.append(Skipped(str(path), "not a results store or campaign run folder"))
            continue
        try:
            rows = rows_of(store, campaign_run)
        except sqlite3.Error as exc:
            out.skipped.append(Skipped(str(path), f"unreadable index ({exc})"))
            continue
        out.sources.append(str(path))
        for folder in ledgers:
            out.skipped += not_ingested(folder)
        for row in rows:
            key = (row["campaign_run"], row["run_id"])
            if key in seen:
                continue
            seen.add(key)
            try:
                out.runs.append(load_run(store, row))
            except (ValueError, OSError) as exc:
                out.skipped.append(Skipped(f"{row['campaign_run']}/{row['run_id']}", str(exc)))
    return out
