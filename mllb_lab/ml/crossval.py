"""Stratified k-fold cross-validation of one ModelConfig (folds keep label x regime mix)."""

from __future__ import annotations

import numpy as np

from mllb_lab.ml.evaluate import confusion
from mllb_lab.ml.features import FeatureTable
from mllb_lab.ml.fit import fit
from mllb_lab.ml.kfold import stratified_folds
from mllb_lab.ml.model import ModelConfig


def cross_validate(
    cfg: ModelConfig,
    table: FeatureTable,
    folds: int,
    seed: int,
    fit_kwargs: dict[str, int | None],
) -> dict[str, object]:
    regimes = table.groups["regime"].to_numpy() if "regime" in table.groups else None
    fold = stratified_folds(table.y, folds, seed + 2, regimes)
    accs = []
    for k in range(folds):
        fitted = fit(cfg, table.subset(np.flatnonzero(fold != k)), seed + k, **fit_kwargs)
        test = table.subset(np.flatnonzero(fold == k))
        accs.append(confusion(test.y, fitted.decisions(test.x))["accuracy"])
    return {
        "folds": folds,
        "stratified_by": "label x regime",
        "accuracy_per_fold": accs,
        "accuracy_mean": float(np.mean(accs)),
        "accuracy_std": float(np.std(accs)),
    }
