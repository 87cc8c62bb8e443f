"""The HTML report rendered by headless Chromium: every plot is laid out and has pixels.

The store is built through the real ingest path (mllb_lab/report/synthetic.py: workload output
parsed by the real parsers, BCC-format benchmark files, tracer-format decisions); the Chromium
check itself is tests/chromium_render.py (also used on a real bench campaign in
tests/kernel/test_bench_campaign.py).
"""

from __future__ import annotations

from pathlib import Path

from chromium_render import assert_plots_render, assert_self_contained

from mllb_lab.cli import main
from mllb_lab.report import synthetic
from mllb_lab.report.plots import COLORS


def test_report_plots_render_in_chromium(tmp_path: Path) -> None:
    results = tmp_path / "results"
    kernels = {"6.1.0-cfs": 1.0, "6.1.0-mllb-fixed": 1.15}
    synthetic.add_campaign_run(results, "bench-20260101T000000Z", kernels, repetitions=3)
    out = tmp_path / "report.html"
    assert main(["report", str(results), "--out", str(out), "--baseline", "6.1.0-cfs"]) == 0
    page = out.read_text()
    assert_self_contained(page)
    assert_plots_render(page, tmp_path, COLORS[:2])  # both kernels' series on every plot
