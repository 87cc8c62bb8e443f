"""The results store: atomic ingest, refusal of a manifest mismatch, recovery after a crash.

The decision file here is written by mllb_lab.capture.writer in the tracer's format (the host
cannot trace can_migrate_task: no kprobes/fentry); real tracer files are ingested in
tests/vm/test_campaign.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mllb_lab.campaign import capture_hook
from mllb_lab.capture.writer import STOCK_61, synthetic_records, write_capture
from mllb_lab.errors import LabError
from mllb_lab.ml.records import CAPTURE_COLUMNS, PROVENANCE_COLUMNS
from mllb_lab.results import index, manifest, store
from mllb_lab.results.export import export
from mllb_lab.results.index import IndexRow

CR = "t-20260101T000000Z"


def row(run_id: str = "idle-r1-abc", capture: int = 1) -> IndexRow:
    return IndexRow(
        run_id=run_id, campaign="t", campaign_run=CR, host="h1", topology="2x2x2", cpus=8,
        numa_nodes=2, kernel_release="6.1.0-test", kernel_config_sha256="0" * 64,
        kernel_requested="stock", workload="idle", params="{}", regime="idle", repetition=1,
        seed=0, capture=capture, duration=5, exit_code=0, decisions=0, lost=None,
    )  # fmt: skip


def staged(results: Path, run_id: str = "idle-r1-abc", records: int = 1000) -> Path:
    """A fetched run as the collect role leaves it: files plus MANIFEST.sha256."""
    work = store.staging_dir(results, CR, run_id, 1)
    art = work / "artifacts"
    art.mkdir(parents=True)
    (art / "workload.out").write_text("loadavg=0.10\n")
    (art / "kernel-release.txt").write_text("6.1.0-test\n")
    write_capture(
        art / capture_hook.CAPTURE_FILE, synthetic_records(records), capabilities=STOCK_61
    )
    manifest.write(art)
    return work


def visible(results: Path) -> list[str]:
    db = index.connect(results)
    try:
        return [r["run_id"] for r in index.query(db)]
    finally:
        db.close()


def test_ingest_writes_decisions_with_provenance(tmp_path: Path) -> None:
    work = staged(tmp_path)
    got = store.ingest(tmp_path, row(), work, {"loadavg_1m": 0.1}, capture_hook.write_decisions)
    final = store.run_dir(tmp_path, CR, "idle-r1-abc")
    assert not work.exists() and final.is_dir()
    assert got.decisions == 1000 and got.lost == 0
    table = pq.read_table(final / "decisions.parquet")
    assert table.num_rows == 1000
    assert set(CAPTURE_COLUMNS) | set(PROVENANCE_COLUMNS) <= set(table.column_names)
    prov = table.select(list(PROVENANCE_COLUMNS)).to_pylist()[0]
    assert prov == {"regime": "idle", "workload": "idle", "kernel": "6.1.0-test",
                    "run_id": "idle-r1-abc"}  # fmt: skip
    assert json.loads((final / "metrics.json").read_text()) == {"loadavg_1m": 0.1}
    assert visible(tmp_path) == ["idle-r1-abc"]
    # ingesting the same run again (a resumed controller) changes nothing
    store.ingest(tmp_path, row(), work, {}, capture_hook.write_decisions)
    assert visible(tmp_path) == ["idle-r1-abc"]
    out = export(tmp_path, tmp_path / "ds.parquet")
    assert out == {"out": str(tmp_path / "ds.parquet"), "runs": 1, "rows": 1000}


def test_manifest_mismatch_is_refused(tmp_path: Path) -> None:
    work = staged(tmp_path)
    (work / "artifacts" / "workload.out").write_text("tampered\n")
    with pytest.raises(LabError, match=r"workload\.out checksum differs"):
        store.ingest(tmp_path, row(), work, {}, capture_hook.write_decisions)
    assert visible(tmp_path) == []
    assert not store.run_dir(tmp_path, CR, "idle-r1-abc").exists()
    assert (tmp_path / store.REJECTED / CR / work.name / "artifacts").is_dir()


def test_unlisted_or_missing_files_are_refused(tmp_path: Path) -> None:
    work = staged(tmp_path)
    (work / "artifacts" / "extra.txt").write_text("x")
    with pytest.raises(LabError, match=r"unlisted extra\.txt"):
        manifest.verify(work / "artifacts")
    (work / "artifacts" / "extra.txt").unlink()
    (work / "artifacts" / "workload.out").unlink()
    with pytest.raises(LabError, match=r"missing workload\.out"):
        manifest.verify(work / "artifacts")


def test_failure_before_the_commit_leaves_nothing_visible(tmp_path: Path, monkeypatch) -> None:
    work = staged(tmp_path)

    def broken_insert(db: object, r: IndexRow) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(index, "insert", broken_insert)
    with pytest.raises(OSError):
        store.ingest(tmp_path, row(), work, {}, capture_hook.write_decisions)
    assert visible(tmp_path) == []
    assert not store.run_dir(tmp_path, CR, "idle-r1-abc").exists()
    assert (work / "artifacts").is_dir()  # still staged: a retry ingests it
    monkeypatch.undo()
    store.ingest(tmp_path, row(), work, {}, capture_hook.write_decisions)
    assert visible(tmp_path) == ["idle-r1-abc"]


KILL_AFTER_RENAME = """
import os, signal, sys
from pathlib import Path
from mllb_lab.campaign import capture_hook
from mllb_lab.results import store
sys.path.insert(0, sys.argv[2])
from test_campaign_store import CR, row
real = os.rename
def rename_then_die(a, b):
    real(a, b)
    os.kill(os.getpid(), signal.SIGKILL)  # after the rename, before the COMMIT
store.os.rename = rename_then_die
results = Path(sys.argv[1])
store.ingest(results, row(), store.staging_dir(results, CR, "idle-r1-abc", 1), {},
             capture_hook.write_decisions)
"""


def test_kill_9_between_rename_and_commit_is_recovered_once(tmp_path: Path) -> None:
    work = staged(tmp_path)
    here = str(Path(__file__).parent)
    proc = subprocess.run([sys.executable, "-c", KILL_AFTER_RENAME, str(tmp_path), here])
    assert proc.returncode == -9
    final = store.run_dir(tmp_path, CR, "idle-r1-abc")
    assert final.is_dir() and not work.exists()
    assert visible(tmp_path) == []  # the uncommitted row is not there: no half run visible
    got = store.ingest(tmp_path, row(), work, {}, capture_hook.write_decisions)  # resume
    assert got.decisions == 1000
    assert visible(tmp_path) == ["idle-r1-abc"]
    store.ingest(tmp_path, row(), work, {}, capture_hook.write_decisions)
    assert visible(tmp_path) == ["idle-r1-abc"]


def test_run_without_capture_has_no_decisions(tmp_path: Path) -> None:
    work = staged(tmp_path)
    got = store.ingest(tmp_path, row(capture=0), work, {}, capture_hook.write_decisions)
    assert got.decisions == 0
    assert not (store.run_dir(tmp_path, CR, "idle-r1-abc") / "decisions.parquet").exists()


def test_store_decisions_match_the_capture_converter(tmp_path: Path) -> None:
    """The store's Arrow path writes what mllb_lab.capture.convert writes, value for value."""
    from mllb_lab.capture.convert import METADATA_KEY, convert_file

    work = staged(tmp_path, records=5000)
    art = work / "artifacts"
    prov = {"regime": "load100", "workload": "stress-cpu", "kernel": "6.1.0-test", "run_id": "x"}
    assert capture_hook.write_decisions(art, prov, tmp_path / "ours.parquet") == (5000, 0)
    convert_file(art / capture_hook.CAPTURE_FILE, tmp_path / "theirs.parquet", prov)
    ours, theirs = (
        pq.read_table(tmp_path / "ours.parquet"),
        pq.read_table(tmp_path / "theirs.parquet"),
    )
    assert ours.column_names == theirs.column_names
    assert ours.schema.types == theirs.schema.types
    assert ours.to_pandas().equals(theirs.to_pandas())
    assert json.loads(ours.schema.metadata[METADATA_KEY])["lost"] == 0
