"""The model's metrics for the report, from a model directory's metrics.json (see
mllb_lab/ml/modeldir.py): numeric leaves flattened to dotted keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mllb_lab.errors import UserError
from mllb_lab.ml.modeldir import METRICS_FILE

MAX_ROWS = 60


def flatten(doc: Any, prefix: str = "") -> list[tuple[str, float]]:
    if isinstance(doc, bool):
        return []
    if isinstance(doc, int | float):
        return [(prefix, float(doc))]
    out: list[tuple[str, float]] = []
    if isinstance(doc, dict):
        for k in sorted(doc):
            out += flatten(doc[k], f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(doc, list) and len(doc) <= 12:  # short lists only (per-fold scores)
        for i, v in enumerate(doc):
            out += flatten(v, f"{prefix}[{i}]")
    return out


def model_metrics(directory: Path) -> list[tuple[str, float]]:
    path = directory / METRICS_FILE
    if not path.is_file():
        raise UserError("--model", f"{directory} has no {METRICS_FILE}", "give a model directory")
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError:
        raise UserError(
            "--model", f"{path} is not JSON", "retrain into a fresh directory"
        ) from None
    return flatten(doc)[:MAX_ROWS]
