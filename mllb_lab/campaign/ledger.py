"""The ledger: one SQLite row per run with its state; the single source of "what is left".

States: planned -> running -> fetched -> ingested (done), or failed (with the error). A run is
only done once ingested. Every transition is its own committed transaction (WAL journal), so a
controller killed at any instant leaves a ledger that says exactly where each run was.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mllb_lab.campaign.matrix import RunSpec

STATES = ("planned", "running", "fetched", "ingested", "failed")
ALLOWED = {
    # planned -> failed: its host was given up (campaign/recovery.py); --resume retries it.
    "planned": {"running", "failed"},
    # running -> running: restarted on resume; running -> ingested: the controller died after
    # the store committed the run but before the ledger heard of it.
    "running": {"fetched", "failed", "running", "ingested"},
    "fetched": {"ingested", "failed", "running"},
    "failed": {"running"},
    "ingested": set(),
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, host TEXT NOT NULL, kernel TEXT NOT NULL,
  workload TEXT NOT NULL, params TEXT NOT NULL, duration INTEGER NOT NULL,
  capture INTEGER NOT NULL, repetition INTEGER NOT NULL, regime TEXT, seed INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'planned', attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT, updated TEXT NOT NULL
);
"""


class TransitionError(RuntimeError):
    pass


@dataclass(frozen=True)
class Entry:
    run_id: str
    host: str
    seq: int
    state: str
    attempts: int
    error: str | None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)  # explicit transactions only
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def set_meta(self, **values: str) -> None:
        with self.tx():
            for k, v in values.items():
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (k, v))

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM meta").fetchall())

    def tx(self) -> sqlite3.Connection:
        return _Tx(self.db)  # type: ignore[return-value]

    def plan(self, runs: list[RunSpec]) -> int:
        """Insert runs not yet known; existing rows (and their states) are left alone."""
        added = 0
        with self.tx():
            for r in runs:
                row = r.to_row()
                cur = self.db.execute(
                    "INSERT OR IGNORE INTO runs (run_id, seq, host, kernel, workload, params,"
                    " duration, capture, repetition, regime, seed, updated) VALUES"
                    " (:run_id, :seq, :host, :kernel, :workload, :params, :duration, :capture,"
                    " :repetition, :regime, :seed, :updated)",
                    {**row, "capture": int(r.capture), "updated": now()},
                )
                added += cur.rowcount
        return added

    def move(self, run_id: str, state: str, error: str | None = None) -> None:
        with self.tx():
            row = self.db.execute("SELECT state FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise TransitionError(f"unknown run {run_id}")
            if state not in ALLOWED[row[0]]:
                raise TransitionError(f"run {run_id}: {row[0]} -> {state} is not allowed")
            bump = 1 if state == "running" else 0
            self.db.execute(
                "UPDATE runs SET state = ?, error = ?, attempts = attempts + ?, updated = ?"
                " WHERE run_id = ?",
                (state, error, bump, now(), run_id),
            )

    def entries(self) -> list[Entry]:
        rows = self.db.execute(
            "SELECT run_id, host, seq, state, attempts, error FROM runs ORDER BY host, seq"
        ).fetchall()
        return [Entry(*row) for row in rows]

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT state, COUNT(*) FROM runs GROUP BY state").fetchall()
        return {state: 0 for state in STATES} | dict(rows)

    def pending(self, max_attempts: int) -> list[Entry]:
        """What a (resumed) campaign still has to do, in each host's order.

        planned: never started. running: the controller died or was stopped mid-run (the run
        restarts from scratch). fetched: artifacts came back but ingest did not finish.
        failed: retried while attempts < max_attempts. ingested: done, never repeated.
        """
        return [
            e
            for e in self.entries()
            if e.state in ("planned", "running", "fetched")
            or (e.state == "failed" and e.attempts < max_attempts)
        ]


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (including KeyboardInterrupt)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")
