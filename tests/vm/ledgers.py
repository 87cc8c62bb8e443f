"""Read a campaign's ledger the way a watcher does while the campaign runs (read-only)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_ledger(results: Path, campaign: str) -> sqlite3.Connection | None:
    """The ledger of `campaign`'s run under `results`, read-only (None before it exists)."""
    paths = list(results.glob(f"{campaign}-*/ledger.sqlite"))
    return sqlite3.connect(f"file:{paths[0]}?mode=ro", uri=True) if paths else None


def run_states(results: Path, campaign: str) -> dict[str, tuple[str, int]]:
    """{run_id: (state, attempts)}; empty until the ledger and its table exist."""
    db = open_ledger(results, campaign)
    if db is None:
        return {}
    try:
        return {r[0]: (r[1], r[2]) for r in db.execute("SELECT run_id, state, attempts FROM runs")}
    except sqlite3.OperationalError:
        return {}
    finally:
        db.close()
