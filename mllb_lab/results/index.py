"""The index database (results/index.sqlite): one row per ingested run, with its provenance.

A run is visible to queries and exports only through its row here; the row is committed after
the run's folder is complete and in place, so a reader never sees half a run.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

INDEX = "index.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT NOT NULL, campaign TEXT NOT NULL, campaign_run TEXT NOT NULL, host TEXT NOT NULL,
  topology TEXT NOT NULL, cpus INTEGER NOT NULL, numa_nodes INTEGER NOT NULL,
  kernel_release TEXT NOT NULL, kernel_config_sha256 TEXT NOT NULL, kernel_requested TEXT,
  workload TEXT NOT NULL, params TEXT NOT NULL, regime TEXT NOT NULL, repetition INTEGER NOT NULL,
  seed INTEGER NOT NULL, capture INTEGER NOT NULL, duration INTEGER NOT NULL,
  exit_code INTEGER NOT NULL, decisions INTEGER NOT NULL, lost INTEGER,
  metrics TEXT NOT NULL, tools TEXT NOT NULL, path TEXT NOT NULL, ingested_at TEXT NOT NULL,
  PRIMARY KEY (campaign_run, run_id)
);
"""
FILTERS = ("campaign", "campaign_run", "host", "workload", "regime", "kernel_release")


@dataclass
class IndexRow:
    run_id: str
    campaign: str
    campaign_run: str
    host: str
    topology: str
    cpus: int
    numa_nodes: int
    kernel_release: str
    kernel_config_sha256: str
    kernel_requested: str
    workload: str
    params: str
    regime: str
    repetition: int
    seed: int
    capture: int
    duration: int
    exit_code: int
    decisions: int
    lost: int | None
    metrics: dict[str, Any] = field(default_factory=dict)
    tools: dict[str, Any] = field(default_factory=dict)
    path: str = ""
    ingested_at: str = ""

    def values(self) -> tuple[Any, ...]:
        d = dict(self.__dict__)
        d["metrics"] = json.dumps(self.metrics, sort_keys=True)
        d["tools"] = json.dumps(self.tools, sort_keys=True)
        return tuple(d[c] for c in COLUMNS)


COLUMNS = [f.name for f in fields(IndexRow)]


def connect(results: Path) -> sqlite3.Connection:
    results.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(results / INDEX, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(SCHEMA)
    db.row_factory = sqlite3.Row
    return db


def has(db: sqlite3.Connection, campaign_run: str, run_id: str) -> bool:
    sql = "SELECT 1 FROM runs WHERE campaign_run = ? AND run_id = ?"
    return db.execute(sql, (campaign_run, run_id)).fetchone() is not None


def insert(db: sqlite3.Connection, row: IndexRow) -> None:
    marks = ", ".join("?" for _ in COLUMNS)
    db.execute(f"INSERT INTO runs ({', '.join(COLUMNS)}) VALUES ({marks})", row.values())


def query(db: sqlite3.Connection, **filters: str | None) -> list[dict[str, Any]]:
    where, args = [], []
    for key in FILTERS:
        if filters.get(key):
            where.append(f"{key} = ?")
            args.append(filters[key])
    sql = "SELECT * FROM runs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = db.execute(sql + " ORDER BY ingested_at, campaign_run, run_id", args).fetchall()
    out = []
    for r in rows:
        d = dict(r)
        d["metrics"] = json.loads(d["metrics"])
        d["tools"] = json.loads(d["tools"])
        d["params"] = json.loads(d["params"])
        out.append(d)
    return out
