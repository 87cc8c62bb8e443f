"""`mllb-lab train`: records -> features -> (model selection) -> CV -> final fit -> held-out
evaluation per regime -> C agreement -> model directory."""

from __future__ import annotations

import platform
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from mllb_lab import __version__
from mllb_lab.errors import UserError
from mllb_lab.ml import modeldir
from mllb_lab.ml.agreement import check_agreement
from mllb_lab.ml.asked import ROW_SETS, select_asked
from mllb_lab.ml.crossval import cross_validate
from mllb_lab.ml.datafiles import load_records
from mllb_lab.ml.evaluate import balance_kind, by_group
from mllb_lab.ml.features import EXTRA_RAW, FeatureTable, build_features, required_columns
from mllb_lab.ml.fit import fit
from mllb_lab.ml.kfold import holdout_split
from mllb_lab.ml.model import CANDIDATES, ModelConfig, candidate, to_weights
from mllb_lab.ml.records import LABEL, SCHEMA_VERSION
from mllb_lab.ml.report import render_report
from mllb_lab.ml.selection import select_model
from mllb_lab.ml.synthetic import SYNTHETIC_MARK
from mllb_lab.ml.tfenv import tf
from mllb_lab.progress import Progress

MODEL_CHOICES = ("auto", *(c.name for c in CANDIDATES))


@dataclass
class TrainOptions:
    model: str = "auto"
    seed: int = 0
    folds: int = 3
    holdout: float = 0.1
    epochs: int | None = None
    batch_size: int | None = None
    rows: str = "paper"  # "asked": only the rows a JC_SCHED kernel asks the model (asked.py)
    class_weights: bool = False  # balanced class weights for every candidate (rare keeps)


def _candidates(opts: TrainOptions, has_extended: bool) -> list[ModelConfig]:
    cands = _named_candidates(opts, has_extended)
    if opts.class_weights:
        return [replace(c, class_weights=True) for c in cands]
    return cands


def _named_candidates(opts: TrainOptions, has_extended: bool) -> list[ModelConfig]:
    if opts.model == "auto":
        return [c for c in CANDIDATES if c.feature_set == "paper15" or has_extended]
    try:
        cfg = candidate(opts.model)
    except KeyError:
        raise UserError(
            "--model", f"unknown model {opts.model!r}", f"one of {MODEL_CHOICES}"
        ) from None
    if cfg.feature_set == "extended" and not has_extended:
        raise UserError(
            "--model", f"{cfg.name} needs the extended columns ({', '.join(EXTRA_RAW)})", None
        )
    return [cfg]


def _check_options(opts: TrainOptions) -> None:
    if opts.rows not in ROW_SETS:
        raise UserError("--rows", f"unknown row set {opts.rows!r}", f"one of {ROW_SETS}")
    if not 0 < opts.holdout < 0.5:
        raise UserError("--holdout", f"{opts.holdout} is out of range", "use 0 < fraction < 0.5")
    if opts.folds == 1 or opts.folds < 0:
        raise UserError("--folds", f"{opts.folds} folds", "use 0 (no CV) or at least 2")
    for name, value in (("--epochs", opts.epochs), ("--batch-size", opts.batch_size)):
        if value is not None and value < 1:
            raise UserError(name, f"{value} is not positive", "use a positive integer")


def train(paths: list[Path], out: Path, opts: TrainOptions, progress: Progress) -> dict[str, Any]:
    _check_options(opts)
    with progress.step(f"reading {len(paths)} record file(s)"):
        data, sources = load_records(paths, required_columns("paper15"))
    rows_in = len(data)
    if opts.rows == "asked":
        with progress.step("keeping the rows the kernel asks the model about"):
            data = select_asked(data, paths)
    has_extended = all(c in data.columns for c in EXTRA_RAW)
    cands = _candidates(opts, has_extended)
    tables: dict[str, FeatureTable] = {}
    for fs in sorted({c.feature_set for c in cands}):
        tables[fs] = build_features(data, fs)
    base = next(iter(tables.values()))
    if len(np.unique(base.y)) < 2:
        raise UserError(f"DATA: column {LABEL}", "has a single class", "capture more decisions")
    regimes = base.groups["regime"].to_numpy()
    train_idx, held_idx = holdout_split(base.y, opts.holdout, opts.seed, regimes)
    fit_kwargs = {"epochs": opts.epochs, "batch_size": opts.batch_size}
    train_tables = {k: t.subset(train_idx) for k, t in tables.items()}

    selection = None
    if len(cands) > 1:
        with progress.step(f"choosing among {len(cands)} candidate models"):
            cfg, selection = select_model(cands, train_tables, opts.seed, fit_kwargs, progress.say)
    else:
        cfg = cands[0]
    table, train_t = tables[cfg.feature_set], train_tables[cfg.feature_set]
    cv = None
    if opts.folds:
        with progress.step(f"{opts.folds}-fold stratified cross-validation of {cfg.name}"):
            cv = cross_validate(cfg, train_t, opts.folds, opts.seed, fit_kwargs)
    with progress.step(f"fitting {cfg.name} on {len(train_t)} rows"):
        fitted = fit(cfg, train_t, opts.seed, **fit_kwargs)
    held = table.subset(held_idx)
    held_out = fitted.outputs(held.x)
    weights = to_weights(fitted.model, cfg, table.names)
    weights.input_range = fitted.input_range
    with progress.step("checking C (float and Q21.11) against Keras on held-out rows"):
        agreement = check_agreement(weights, held.x, held_out, held.groups)

    synthetic = bool((data["workload"] == SYNTHETIC_MARK).any())
    provenance = {
        "schema_version": SCHEMA_VERSION,
        "files": [s.__dict__ for s in sources],
        "rows_in": rows_in,
        "rows_after_filters": len(table),
        "rows": opts.rows,
        "synthetic": synthetic,
        "seed": opts.seed,
        "mllb_lab": __version__,
        "tensorflow": tf.__version__,
        "python": platform.python_version(),
    }
    metrics = {
        "chosen": {"name": cfg.name, **cfg.to_json(), "threshold": cfg.threshold},
        "epochs_run": fitted.epochs_run,
        "selection": selection,
        "cross_validation": cv,
        "heldout": by_group(
            held.y,
            held_out > cfg.threshold,
            held.groups.assign(balance=balance_kind(held.names, held.x)),
        ),
        # What always answering the majority label of the training part would score.
        "heldout_majority_baseline": float(np.mean(held.y == (train_t.y.mean() >= 0.5))),
        "agreement": agreement.to_json(),
    }
    weights.extra = {
        "source": f"mllb-lab {__version__} train ({cfg.name})",
        "data_sha256": [s.sha256 for s in sources],
        "synthetic_data": synthetic,
    }
    out.mkdir(parents=True, exist_ok=True)
    fitted.model.save(out / modeldir.KERAS_FILE)
    weights.save(out / modeldir.WEIGHTS_FILE)
    modeldir.write_json(out / modeldir.METRICS_FILE, metrics)
    modeldir.write_json(out / modeldir.PROVENANCE_FILE, provenance)
    (out / modeldir.REPORT_FILE).write_text(render_report(metrics, provenance))
    return metrics
