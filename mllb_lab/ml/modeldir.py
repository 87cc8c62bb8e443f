"""The model directory: what `train` writes and what `export` / `model run` read.

model.keras      the Keras model
weights.json     MlpWeights (original shape + threshold, output kind, feature set, version)
metrics.json     CV, model selection evidence, held-out metrics per regime, C agreement
provenance.json  input files with sha256, row counts, seed, versions
report.md        short human-readable training report
export/          what `mllb-lab export` writes by default
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mllb_lab.errors import UserError
from mllb_lab.ml.weights import MlpWeights, load_weights

KERAS_FILE = "model.keras"
WEIGHTS_FILE = "weights.json"
METRICS_FILE = "metrics.json"
PROVENANCE_FILE = "provenance.json"
REPORT_FILE = "report.md"
EXPORT_DIR = "export"


@dataclass
class ModelRef:
    """A MODEL argument resolved: the weights, and the directory if it was one."""

    weights: MlpWeights
    directory: Path | None
    source: Path

    @property
    def keras_path(self) -> Path | None:
        if self.directory is None:
            return None
        path = self.directory / KERAS_FILE
        return path if path.is_file() else None


def resolve_model(path: Path, field: str = "MODEL") -> ModelRef:
    path = Path(path)
    if path.is_dir():
        weights = path / WEIGHTS_FILE
        if not weights.is_file():
            raise UserError(field, f"{path} has no {WEIGHTS_FILE}", "train into it first")
        return ModelRef(load_weights(weights), path, weights)
    if path.is_file():
        return ModelRef(load_weights(path), None, path)
    raise UserError(field, f"{path} does not exist", "give a model directory or a weights JSON")


def write_json(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(json.dumps(doc, indent=1, default=str) + "\n")
