"""Check that a report's plots render in headless Chromium (shared by the report tests).

A copy of the report gets a one-line script that writes each plot's bounding box into the DOM
(the report itself has no script); a screenshot of the same page at the same size is then
checked inside each box for drawn pixels, including the colour of every expected series.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

WIDTH = 1200
BOXES_JS = """<script>
const boxes = [...document.querySelectorAll('figure.plot svg')].map(s => {
  const r = s.getBoundingClientRect();
  return [s.closest('figure').id, r.left + scrollX, r.top + scrollY, r.width, r.height];
});
document.body.setAttribute('data-boxes', JSON.stringify(
  {boxes, height: document.documentElement.scrollHeight}));
</script></body>"""
PLOTS = {"plot-cdf-can_migrate_task", "plot-cdf-load_balance", "plot-imbalance",
         "plot-runqlen", "plot-bars"}  # fmt: skip


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is not installed (scripts/apt-packages.txt lists it; run scripts/setup)"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--force-device-scale-factor=1"]  # fmt: skip
    return subprocess.run([exe, *flags, *args], capture_output=True, text=True, timeout=60)


def rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)])


def assert_self_contained(page: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?https?:""", page)
    assert "<script" not in page and "<img" not in page  # inline SVG only


def assert_plots_render(page: str, tmp_path: Path, colors: list[str]) -> dict[str, list[float]]:
    """Every plot in PLOTS is laid out, has drawn pixels and every colour in `colors`;
    returns the boxes {plot id: [x, y, w, h]}."""
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", BOXES_JS))
    dom = chromium(f"--window-size={WIDTH},1000", "--dump-dom", probe.as_uri())
    m = re.search(r'data-boxes="([^"]*)"', dom.stdout)
    assert m, dom.stderr[-2000:]
    layout = json.loads(html.unescape(m[1]))
    boxes = {b[0]: b[1:] for b in layout["boxes"]}
    assert set(boxes) == PLOTS
    height = int(layout["height"]) + 10
    shot = tmp_path / "shot.png"
    chromium(f"--window-size={WIDTH},{height}", f"--screenshot={shot}", probe.as_uri())
    image = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert image.shape[:2] == (height, WIDTH)
    for plot, (x, y, w, h) in boxes.items():
        assert w > 200 and h > 150, f"{plot} laid out at {w}x{h}"
        crop = image[int(y) : int(y + h), int(x) : int(x + w)]
        drawn = (crop.sum(axis=2) < 3 * 240).mean()
        assert drawn > 0.01, f"{plot}: only {drawn:.1%} of its box is not blank"
        for color in colors:
            near = (np.abs(crop - rgb(color)).sum(axis=2) < 40).sum()
            assert near > 20, f"{plot}: series colour {color} not drawn ({near} pixels)"
    return boxes
