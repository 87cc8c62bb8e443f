"""Reading mllb-schedlat's JSON (the agreed `mllb-schedlat/1` interface) into the histograms
the report plots, and through read.py into a run's scalars.

The documents below are written by hand in exactly the interface's shape (the host cannot run
the tool: no fentry here); `schedlat.dump` (used by synthetic stores) is checked against numpy
on raw values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from mllb_lab.benchmetrics import bccformat, histogram, read, schedlat

# can_migrate_task: 1 call in [0, 1] ns, 3 in [4, 7], 4 in [1024, 2047], 2 in [2048, 4095]
TEXT = """
{"format": "mllb-schedlat/1", "kernel_release": "6.1.192-mllb-replace-fixed", "nr_cpus": 8,
 "duration_s": 12.03,
 "functions": {"can_migrate_task": {"count": 10, "sum_ns": 4321,
                                    "log2_ns": [1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 2]},
               "load_balance": {"count": 4, "sum_ns": 60000,
                                "log2_ns": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3]}},
 "missing": {},
 "runqlen": {"hz": 99, "samples": 2376, "hist": [2000, 300, 76]}}
"""
DOC = json.loads(TEXT)


def write(folder: Path, doc: dict) -> Path:
    (folder / "benchmetrics").mkdir(parents=True, exist_ok=True)
    (folder / "benchmetrics" / "schedlat.json").write_text(json.dumps(doc))
    return folder


def test_log2_buckets_are_bccs_and_the_mean_is_exact() -> None:
    out = schedlat.parse(TEXT)
    cmt = out.latency["can_migrate_task"]
    assert cmt.total == 10 and cmt.unit == "ns"
    assert list(cmt.lo[:3]) == [0, 2, 4] and list(cmt.hi[:3]) == [1, 3, 7]
    assert cmt.lo[11] == 2048 and cmt.hi[11] == 4095
    assert cmt.mean() == pytest.approx(432.1)  # sum_ns / count, not bucket midpoints
    assert cmt.quantile(0.5) == 2047  # 4 of 10 below 1024; the 5th call is in [1024, 2047]
    assert out.latency["load_balance"].quantile(0.99) == 32767
    assert out.runqlen is not None and list(out.runqlen.counts) == [2000, 300, 76]
    assert out.runqlen.mean() == pytest.approx((300 + 2 * 76) / 2376)
    assert (out.kernel_release, out.nr_cpus, out.duration_s) == (DOC["kernel_release"], 8, 12.03)


def test_buckets_merge_with_a_funclatency_histogram() -> None:
    """Same bucket bounds as BCC's print_log2_hist, so old and new runs merge bucket by bucket."""
    values = np.array([1, 5, 6, 1500, 1600, 3000])
    bcc = histogram.parse_log2(bccformat.funclatency_output("can_migrate_task", values))
    ours = schedlat.parse(schedlat.dump({"can_migrate_task": values}, None))
    assert bcc is not None
    mine = ours.latency["can_migrate_task"]
    assert list(mine.counts) == list(bcc.counts)
    assert set(zip(mine.lo, mine.hi, strict=True)) == set(zip(bcc.lo, bcc.hi, strict=True))
    assert mine.merged(bcc).total == 12


def test_dump_counts_each_value_in_its_log2_bucket() -> None:
    values = np.random.default_rng(5).lognormal(np.log(900), 0.7, 4000).astype(np.int64)
    doc = json.loads(schedlat.dump({"f": values}, np.array([0, 0, 3])))
    f = doc["functions"]["f"]
    assert f["count"] == 4000 and f["sum_ns"] == int(values.sum())
    for i, c in enumerate(f["log2_ns"]):
        lo = 0 if i == 0 else 1 << i
        assert c == int(((values >= lo) & (values < 1 << (i + 1))).sum())
    assert f["log2_ns"][-1] > 0  # trailing zeros trimmed
    assert doc["runqlen"] == {"hz": 99, "samples": 3, "hist": [2, 0, 0, 1]}


def test_a_run_with_schedlat_json_gives_the_latency_and_runqlen_scalars(tmp_path: Path) -> None:
    bm = read.read(write(tmp_path, DOC))
    assert bm is not None
    assert set(bm.latency) == {"can_migrate_task", "load_balance"}
    assert bm.scalars["can_migrate_task_latency_ns_mean"] == pytest.approx(432.1)
    assert bm.scalars["can_migrate_task_latency_ns_p50"] == 2047
    assert bm.scalars["load_balance_calls"] == 4
    assert bm.scalars["load_balance_latency_ns_mean"] == 15000
    assert bm.scalars["runqlen_mean"] == pytest.approx(452 / 2376)
    # only the files this folder lacks are missing, not latency or runqlen
    assert bm.missing == ["imbalance samples", "loadavg", "schedstat"]


def test_a_function_the_tool_could_not_attach_is_missing_with_its_reason(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(DOC))
    del doc["functions"]["load_balance"]
    doc["missing"] = {"load_balance": "not in BTF (inlined?)", "runqlen": "perf event: ENOENT"}
    del doc["runqlen"]
    bm = read.read(write(tmp_path, doc))
    assert bm is not None and set(bm.latency) == {"can_migrate_task"} and bm.runqlen is None
    assert "latency load_balance: not in BTF (inlined?)" in bm.missing
    assert "runqlen: perf event: ENOENT" in bm.missing
    assert "load_balance_latency_ns_mean" not in bm.scalars and "runqlen_mean" not in bm.scalars


def test_a_function_attached_but_never_called_is_missing_not_a_zero(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(DOC))
    doc["functions"]["load_balance"] = {"count": 0, "sum_ns": 0, "log2_ns": []}
    bm = read.read(write(tmp_path, doc))
    assert bm is not None and "latency load_balance: attached, no calls" in bm.missing


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"format": "mllb-schedlat/2"}, "format is 'mllb-schedlat/2'"),
        ({"functions": []}, "functions is not an object"),
        ({"runqlen": {"hist": [1, -2]}}, "runqlen.hist is not a list of counts"),
        (
            {"functions": {"can_migrate_task": {"count": "3", "sum_ns": 9, "log2_ns": [1]}}},
            "functions.can_migrate_task needs integer count and numeric sum_ns",
        ),
    ],
)
def test_a_malformed_file_names_the_field(change: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        schedlat.parse(json.dumps({**DOC, **change}))


def test_an_unreadable_file_drops_its_metrics_not_the_run(tmp_path: Path) -> None:
    (tmp_path / "benchmetrics").mkdir()
    (tmp_path / "benchmetrics" / "schedlat.json").write_text('{"format": "mllb-sched')  # cut off
    (tmp_path / "benchmetrics" / "loadavg.txt").write_text("0.5 0.4 0.3 1/100 7\n")
    bm = read.read(tmp_path)
    assert bm is not None and bm.latency == {} and bm.scalars["loadavg_1m"] == 0.5
    assert any(m.startswith("latency can_migrate_task: schedlat.json unreadable (not JSON")
               for m in bm.missing)  # fmt: skip
