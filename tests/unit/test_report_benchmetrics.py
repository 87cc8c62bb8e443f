"""Reading roles/benchmetrics' output: BCC histograms (older results; mllb-schedlat's JSON is
tests/unit/test_benchmetrics_schedlat.py), sampler lines, schedstat deltas.

The files are written in BCC's printout format by mllb_lab.benchmetrics.bccformat (the host
cannot kprobe can_migrate_task); the checks compare with numpy on the same raw values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mllb_lab.benchmetrics import bccformat, histogram, read, schedstat

RNG = np.random.default_rng(3)


def test_log2_histogram_round_trip_keeps_counts_and_bucket_quantiles() -> None:
    values = RNG.lognormal(np.log(900), 0.6, 5000).astype(np.int64)
    hist = histogram.parse_log2(bccformat.funclatency_output("can_migrate_task", values))
    assert hist is not None and hist.total == len(values)
    assert hist.mean() == pytest.approx(int(values.sum()) // len(values))  # funclatency's avg
    for q in (0.5, 0.9, 0.99):
        exact = np.quantile(values, q)
        # the estimate is the upper bound of the log2 bucket holding the quantile
        assert hist.quantile(q) / 2 < exact <= hist.quantile(q) + 1


def test_usecs_header_is_scaled_to_ns() -> None:
    text = "     usecs               : count     distribution\n" \
           "         4 -> 7          : 3        |****|\n"  # fmt: skip
    hist = histogram.parse_log2(text)
    assert hist is not None and hist.lo[0] == 4000 and hist.hi[0] == 7000


def test_runqlen_linear_histogram() -> None:
    lengths = RNG.poisson(1.5, 3000)
    hist = histogram.parse_linear(bccformat.runqlen_output(lengths))
    assert hist is not None and hist.total == 3000
    assert hist.mean() == pytest.approx(lengths.mean())


def test_schedstat_delta_counts_pulled_and_pushed_tasks() -> None:
    before = bccformat.schedstat_output(8, lb_gained=10, alb_pushed=1, lb_calls=50)
    after = bccformat.schedstat_output(8, lb_gained=70, alb_pushed=4, lb_calls=90)
    assert schedstat.version(after) == 15
    assert schedstat.delta(before, after) == {"lb_calls": 40, "lb_migrations": 60, "alb_pushed": 3}


@pytest.mark.parametrize("tool", ["schedlat", "bcc"])
def test_a_run_folder_gives_every_scalar(tmp_path: Path, tool: str) -> None:
    bccformat.write_run(tmp_path, RNG, seconds=5, latency_tool=tool)
    bm = read.read(tmp_path, duration=5)
    assert bm is not None and bm.missing == []
    assert set(bm.latency) == {"can_migrate_task", "load_balance"}
    assert bm.imbalance is not None and len(bm.imbalance) == 50
    assert bm.scalars["max_rq_imbalance_mean"] == pytest.approx(bm.imbalance[:, 1].mean())
    assert bm.scalars["lb_migrations_per_s"] == bm.scalars["lb_migrations"] / 5
    for key in ("loadavg_5m", "runqlen_mean", "load_balance_latency_ns_p99"):
        assert key in bm.scalars


def test_missing_tools_are_listed_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "benchmetrics").mkdir()
    (tmp_path / "benchmetrics" / "loadavg.txt").write_text("0.5 0.4 0.3 1/100 7\n")
    bm = read.read(tmp_path)
    assert bm is not None and bm.scalars == {
        "loadavg_1m": 0.5,
        "loadavg_5m": 0.4,
        "loadavg_15m": 0.3,
    }
    assert "runqlen: not measured (see status.txt)" in bm.missing
    assert "latency can_migrate_task: not measured (see status.txt)" in bm.missing
    assert read.read(tmp_path / "nothing") is None


def test_a_bcc_folder_without_runqlen_lists_it(tmp_path: Path) -> None:
    bccformat.write_run(tmp_path, RNG, seconds=5, latency_tool="bcc")
    (tmp_path / "benchmetrics" / "runqlen.txt").unlink()
    bm = read.read(tmp_path)
    assert bm is not None and bm.missing == ["runqlen: no runqlen histogram"]
    assert set(bm.latency) == {"can_migrate_task", "load_balance"}
