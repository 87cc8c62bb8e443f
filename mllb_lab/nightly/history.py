"""The nightly history: <results>/nightly.jsonl, one line per evaluation, appended, never
rewritten (the store's rule). The newest line about a campaign run is its verdict."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

HISTORY = "nightly.jsonl"


def read(results: Path) -> list[dict[str, Any]]:
    path = results / HISTORY
    if not path.is_file():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut by a crash mid-write: the evaluation is simply redone
    return out


def verdicts(results: Path) -> dict[str, dict[str, Any]]:
    """campaign run -> its newest evaluation."""
    return {e["campaign_run"]: e for e in read(results)}


def append(results: Path, entry: dict[str, Any]) -> None:
    results.mkdir(parents=True, exist_ok=True)
    fd = os.open(results / HISTORY, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(entry, sort_keys=True, allow_nan=False) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
