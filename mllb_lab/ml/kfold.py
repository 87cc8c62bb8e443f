"""Stratified splits with numpy (no scikit-learn): folds and a held-out part that keep the
class balance (and optionally the regime mix) of the whole data."""

from __future__ import annotations

import numpy as np


def _strata(y: np.ndarray, strata: np.ndarray | None) -> np.ndarray:
    if strata is None:
        return np.asarray(y).astype(str)
    return np.char.add(np.asarray(y).astype(str), np.char.add("|", strata.astype(str)))


def stratified_folds(
    y: np.ndarray, k: int, seed: int, strata: np.ndarray | None = None
) -> np.ndarray:
    """Fold number (0..k-1) per row; each stratum is shuffled then dealt round-robin."""
    rng = np.random.default_rng(seed)
    keys = _strata(y, strata)
    fold = np.empty(len(keys), dtype=np.int64)
    for key in np.unique(keys):
        idx = np.flatnonzero(keys == key)
        rng.shuffle(idx)
        fold[idx] = (np.arange(len(idx)) + rng.integers(k)) % k
    return fold


def holdout_split(
    y: np.ndarray, fraction: float, seed: int, strata: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, held-out indices), stratified."""
    rng = np.random.default_rng(seed)
    keys = _strata(y, strata)
    held = []
    for key in np.unique(keys):
        idx = np.flatnonzero(keys == key)
        rng.shuffle(idx)
        held.append(idx[: round(len(idx) * fraction)])
    held_idx = np.sort(np.concatenate(held)) if held else np.array([], dtype=np.int64)
    mask = np.ones(len(keys), dtype=bool)
    mask[held_idx] = False
    return np.flatnonzero(mask), held_idx
