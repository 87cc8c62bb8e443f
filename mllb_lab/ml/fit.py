"""Fitting one ModelConfig on a FeatureTable: seeded, early stopping, optional class weights."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mllb_lab.ml.domain import InputRange
from mllb_lab.ml.features import FeatureTable
from mllb_lab.ml.model import ModelConfig, build_model, predict
from mllb_lab.ml.tfenv import keras, seed_everything


@dataclass
class Fitted:
    cfg: ModelConfig
    model: keras.Model
    epochs_run: int
    history: dict[str, list[float]]
    input_range: InputRange  # of the rows it was fitted on: evaluation clamps to it

    def outputs(self, x: np.ndarray) -> np.ndarray:
        return predict(self.model, self.input_range.clip(x).astype(np.float32))

    def decisions(self, x: np.ndarray) -> np.ndarray:
        return self.outputs(x) > self.cfg.threshold


def balanced_class_weights(y: np.ndarray) -> dict[int, float]:
    """Weights inversely proportional to class frequency (mean weight 1)."""
    counts = np.bincount(y.astype(int), minlength=2).astype(np.float64)
    counts[counts == 0] = 1
    return {c: float(len(y) / (2 * counts[c])) for c in (0, 1)}


def fit(
    cfg: ModelConfig,
    table: FeatureTable,
    seed: int,
    epochs: int | None = None,
    batch_size: int | None = None,
) -> Fitted:
    """Train on `table`; the last 10% (shuffled beforehand) is the early-stopping split."""
    seed_everything(seed)
    order = np.random.default_rng(seed).permutation(len(table))
    x, y = table.x[order], table.y[order].astype(np.float32)
    model = build_model(cfg, x.shape[1])
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=cfg.patience, restore_best_weights=True
    )
    hist = model.fit(
        x,
        y,
        batch_size=batch_size or cfg.batch_size,
        epochs=epochs or cfg.epochs,
        validation_split=0.1,
        callbacks=[stop],
        class_weight=balanced_class_weights(table.y) if cfg.class_weights else None,
        shuffle=True,
        verbose=0,
    )
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    rng = InputRange.from_rows(table.x)
    return Fitted(cfg, model, len(history.get("loss", [])), history, rng)
