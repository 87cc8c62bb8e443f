"""Atomic ingest of one fetched run into the results folder, and its recovery after a crash.

Layout (nothing is ever overwritten in place):
  results/index.sqlite                          the index (see index.py)
  results/<campaign_run>/runs/<run_id>/         one finished run:
      artifacts/        what came back from the target, verified against MANIFEST.sha256
      decisions.parquet the captured decisions with provenance columns (capture runs only)
      metrics.json      the workload's parsed metrics, exit code and wall time
      provenance.json   the run's index row (so a crash after the rename can be recovered)
  results/.staging/     work in progress; never read by queries

Steps: verify the manifest; build the run's folder inside .staging; fsync every file; then, in
one SQLite transaction, insert the index row and rename the folder into place; commit.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mllb_lab.errors import LabError
from mllb_lab.results import index, manifest
from mllb_lab.results.index import IndexRow

STAGING = ".staging"
REJECTED = ".rejected"
# (artifacts dir, provenance columns, parquet path) -> (rows, lost events) or None (no capture)
DecisionWriter = Callable[[Path, dict[str, str], Path], tuple[int, int | None] | None]


def run_dir(results: Path, campaign_run: str, run_id: str) -> Path:
    return results / campaign_run / "runs" / run_id


def staging_dir(results: Path, campaign_run: str, run_id: str, attempt: int) -> Path:
    return results / STAGING / campaign_run / f"{run_id}.{attempt}"


def fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ingest(
    results: Path,
    row: IndexRow,
    work: Path,
    metrics: dict[str, Any],
    decisions: DecisionWriter | None = None,
) -> IndexRow:
    """Ingest the run whose verified-to-be artifacts are in `work`/artifacts.

    `row` carries the provenance known before ingest; decisions and path are filled here.
    Raises LabError (and moves `work` aside to .rejected) when the manifest does not verify.
    """
    final = run_dir(results, row.campaign_run, row.run_id)
    db = index.connect(results)
    try:
        if index.has(db, row.campaign_run, row.run_id):
            return row  # already ingested (a resumed controller got here twice)
        if final.exists():
            return recover(results, db, final)
        # The manifest is checked on a second thread while the decisions are converted
        # (hashlib and Parquet both release the GIL); nothing is committed before it passes.
        with ThreadPoolExecutor(max_workers=1) as pool:
            verified = pool.submit(manifest.verify, work / "artifacts")
            try:
                convert(row, work, decisions)
            finally:
                try:
                    verified.result()
                except LabError:
                    reject(results, work)
                    raise
        row.metrics = metrics
        row.path = str(final.relative_to(results))
        row.ingested_at = datetime.now(UTC).isoformat(timespec="seconds")
        (work / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True))
        (work / "provenance.json").write_text(json.dumps(asdict(row), indent=2, sort_keys=True))
        fsync_tree(work)
        final.parent.mkdir(parents=True, exist_ok=True)
        db.execute("BEGIN IMMEDIATE")
        try:
            index.insert(db, row)
            os.rename(work, final)
            fsync_dir(final.parent)
        except BaseException:
            db.execute("ROLLBACK")
            if final.exists() and not work.exists():
                os.rename(final, work)  # undo: the folder goes back to staging
            raise
        db.execute("COMMIT")
        return row
    finally:
        db.close()


def convert(row: IndexRow, work: Path, decisions: DecisionWriter | None) -> None:
    if decisions is None or not row.capture:
        return
    provenance = {
        "regime": row.regime,
        "workload": row.workload,
        "kernel": row.kernel_release,
        "run_id": row.run_id,
    }
    got = decisions(work / "artifacts", provenance, work / "decisions.parquet")
    if got is not None:
        row.decisions, row.lost = got


def recover(results: Path, db: Any, final: Path) -> IndexRow:
    """A folder in place without its index row: the controller died between rename and commit.

    The rename was the last step before commit, so the folder is complete; verify it again and
    commit its row (kept in provenance.json)."""
    manifest.verify(final / "artifacts")
    data = json.loads((final / "provenance.json").read_text())
    row = IndexRow(**data)
    db.execute("BEGIN IMMEDIATE")
    index.insert(db, row)
    db.execute("COMMIT")
    return row


def reject(results: Path, work: Path) -> Path:
    """Keep what failed verification for inspection, out of the way of a retry."""
    dest = results / REJECTED / work.parent.name / work.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        shutil.rmtree(dest)
    os.rename(work, dest)
    return dest
