"""The MLP weights file: the shape of the original's published weights, plus what the kernel
needs to decide without guessing (threshold, output kind, feature set).

JSON shape (a superset of shared/reference/mllb-original-weights.json):
  w1 [n_in][n_hidden] row-major by input, b1 [n_hidden], w2 [n_hidden], b2 [1],
  features_order [n_in], threshold, output ("linear" | "logit"), feature_set, format_version,
  input_range {lo [n_in], hi [n_in]} (optional: the training input domain, see domain.py).
A file without the extra keys is read as the paper's model: linear output, threshold 0.5; one
without input_range (trained before it existed) is a model whose inputs are not clamped.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mllb_lab.errors import UserError
from mllb_lab.ml.domain import InputRange, range_from_json

FORMAT_VERSION = 1
OUTPUT_KINDS = ("linear", "logit")
MAX_IN = 32  # kmod/mllb_mlp.h MLLB_MAX_IN
MAX_HIDDEN = 20  # kmod/mllb_mlp.h MLLB_MAX_HIDDEN


@dataclass
class MlpWeights:
    w1: np.ndarray  # (n_in, n_hidden) float64
    b1: np.ndarray  # (n_hidden,)
    w2: np.ndarray  # (n_hidden,)
    b2: float
    features_order: list[str]
    threshold: float = 0.5
    output: str = "linear"
    feature_set: str = "paper15"
    extra: dict[str, Any] = field(default_factory=dict)  # provenance, kept on save
    input_range: InputRange | None = None  # None: inputs are not clamped (older models)

    @property
    def n_in(self) -> int:
        return int(self.w1.shape[0])

    @property
    def n_hidden(self) -> int:
        return int(self.w1.shape[1])

    def clip(self, x: np.ndarray) -> np.ndarray:
        """Rows clamped into the input domain (unchanged for a model without one)."""
        x = np.asarray(x, dtype=np.float64)
        return x if self.input_range is None else self.input_range.clip(x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Float64 reference forward pass (rows of n_in features), inputs clamped first."""
        h = np.maximum(0.0, self.clip(x) @ self.w1 + self.b1)
        return h @ self.w2 + self.b2

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = dict(self.extra)
        doc.update(
            {
                "format_version": FORMAT_VERSION,
                "layout": "w1 is row-major [feature][hidden]; hidden ReLU; migrate iff "
                f"output > threshold ({self.output} output)",
                "features_order": list(self.features_order),
                "feature_set": self.feature_set,
                "output": self.output,
                "threshold": self.threshold,
                "w1": self.w1.tolist(),
                "b1": self.b1.tolist(),
                "w2": self.w2.tolist(),
                "b2": [float(self.b2)],
            }
        )
        doc.pop("input_range", None)
        if self.input_range is not None:
            doc["input_range"] = self.input_range.to_json()
        return doc

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")


def _matrix(doc: dict[str, Any], key: str, where: str) -> np.ndarray:
    if key not in doc:
        raise UserError(f"{where}: {key}", "missing", "a weights file needs w1, b1, w2, b2")
    try:
        arr = np.asarray(doc[key], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{where}: {key}", f"not numbers ({exc})", "use JSON numbers") from None
    if not np.all(np.isfinite(arr)):
        raise UserError(f"{where}: {key}", "contains NaN or infinity", "retrain or fix the file")
    return arr


def weights_from_json(doc: dict[str, Any], where: str = "weights") -> MlpWeights:
    w1, b1, w2, b2 = (_matrix(doc, k, where) for k in ("w1", "b1", "w2", "b2"))
    if w1.ndim != 2:
        raise UserError(f"{where}: w1", "must be a 2-D list [feature][hidden]", None)
    n_in, n_hidden = w1.shape
    if not (0 < n_in <= MAX_IN and 0 < n_hidden <= MAX_HIDDEN):
        raise UserError(
            f"{where}: w1", f"shape {n_in}x{n_hidden}", f"at most {MAX_IN}x{MAX_HIDDEN}"
        )
    for key, arr, size in (("b1", b1, n_hidden), ("w2", w2.reshape(-1), n_hidden), ("b2", b2, 1)):
        if arr.shape != (size,):
            raise UserError(f"{where}: {key}", f"has shape {arr.shape}", f"expected ({size},)")
    order = doc.get("features_order") or [f"x{i}" for i in range(n_in)]
    if len(order) != n_in:
        raise UserError(f"{where}: features_order", f"{len(order)} names", f"expected {n_in}")
    output = doc.get("output", "linear")
    if output not in OUTPUT_KINDS:
        raise UserError(f"{where}: output", f"unknown kind {output!r}", f"one of {OUTPUT_KINDS}")
    threshold = doc.get("threshold", 0.5 if output == "linear" else 0.0)
    if not isinstance(threshold, int | float) or not math.isfinite(threshold):
        raise UserError(f"{where}: threshold", f"not a finite number: {threshold!r}", None)
    known = {"w1", "b1", "w2", "b2", "features_order", "output", "threshold", "feature_set"}
    known.add("input_range")
    rng = doc.get("input_range")
    input_range = None if rng is None else range_from_json(rng, n_in, where)
    return MlpWeights(
        w1=w1,
        b1=b1,
        w2=w2.reshape(-1),
        b2=float(b2[0]),
        features_order=[str(n) for n in order],
        threshold=float(threshold),
        output=output,
        feature_set=str(doc.get("feature_set", "paper15")),
        extra={k: v for k, v in doc.items() if k not in known},
        input_range=input_range,
    )


def load_weights(path: Path) -> MlpWeights:
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UserError(
            "MODEL", f"{path} does not exist", "give a model dir or weights JSON"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError("MODEL", f"{path} is not JSON ({exc})", "give a weights JSON") from None
    if not isinstance(doc, dict):
        raise UserError("MODEL", f"{path} is not a JSON object", "give a weights JSON")
    return weights_from_json(doc, where=str(path))
