"""`mllb-lab export`: write a model as a C header, a binary blob, or weights JSON."""

from __future__ import annotations

import sys
from pathlib import Path

from mllb_lab.errors import UserError
from mllb_lab.ml.blob import build_blob
from mllb_lab.ml.export_c import render_header
from mllb_lab.ml.modeldir import EXPORT_DIR, ModelRef

FORMATS = {"c": "mllb_model.h", "blob": "mllb_model.blob", "json": "weights.json"}


def default_output(ref: ModelRef, fmt: str) -> Path:
    if ref.directory is None:
        raise UserError("--out", "needed when MODEL is a weights file", "give --out PATH")
    return ref.directory / EXPORT_DIR / FORMATS[fmt]


def export(ref: ModelRef, fmt: str, out: Path | None) -> Path:
    if fmt not in FORMATS:
        raise UserError("--format", f"unknown format {fmt!r}", f"one of {', '.join(FORMATS)}")
    path = out or default_output(ref, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    w = ref.weights
    if w.input_range is None and fmt in ("c", "blob"):
        sys.stderr.write(
            f"mllb-lab: note: {ref.source} has no input_range (trained before input domains): "
            "exported without clamping (blob version 1)\n"
        )
    if fmt == "c":
        prov = [f"model: {ref.source}"]
        prov += [f"data sha256: {h}" for h in w.extra.get("data_sha256", [])]
        if w.extra.get("synthetic_data"):
            prov.append("trained on SYNTHETIC data (not a real capture)")
        path.write_text(render_header(w, prov))
    elif fmt == "blob":
        path.write_bytes(build_blob(w))
    else:
        w.save(path)
    return path
