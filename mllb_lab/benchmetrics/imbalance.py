"""The run-queue imbalance samples written by roles/benchmetrics' sampler (10 per second):
one line per sample, `<seconds since start> <max nr_running> <min nr_running>`."""

from __future__ import annotations

import numpy as np


def parse(text: str) -> np.ndarray:
    """-> array of shape (n, 2): time in seconds, max - min nr_running across CPUs."""
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and not line.startswith("#"):
            try:
                t, hi, lo = float(parts[0]), int(parts[1]), int(parts[2])
            except ValueError:
                continue
            rows.append((t, hi - lo))
    return np.array(rows, dtype=float).reshape(-1, 2)
