"""Stratified k-fold cross-validation of one ModelConfig (folds keep label x regime mix).

Besides the per-fold accuracy, every row's out-of-fold decision (made by the fold model that
did not train on it) is pooled into per-group confusion matrices: small regimes such as idle
are then measured on all their training rows, not only on the 10% held out."""

from __future__ import annotations

import numpy as np

from mllb_lab.ml.evaluate import balance_kind, by_group, confusion
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
    oof = np.zeros(len(table), dtype=bool)
    for k in range(folds):
        fitted = fit(cfg, table.subset(np.flatnonzero(fold != k)), seed + k, **fit_kwargs)
        test_idx = np.flatnonzero(fold == k)
        test = table.subset(test_idx)
        oof[test_idx] = fitted.decisions(test.x)
        accs.append(confusion(test.y, oof[test_idx])["accuracy"])
    groups = table.groups.assign(balance=balance_kind(table.names, table.x))
    return {
        "folds": folds,
        "stratified_by": "label x regime",
        "accuracy_per_fold": accs,
        "accuracy_mean": float(np.mean(accs)),
        "accuracy_std": float(np.std(accs)),
        "out_of_fold": by_group(table.y, oof, groups),
    }
