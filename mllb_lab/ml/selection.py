"""Choosing the default model by evidence: every candidate is fitted on the training part and
scored on an inner validation split it never saw; the best wins, ties go to the earlier (simpler)
candidate. The scores are kept in metrics.json so the choice can be checked."""

from __future__ import annotations

from collections.abc import Callable

from mllb_lab.ml.evaluate import confusion
from mllb_lab.ml.features import FeatureTable
from mllb_lab.ml.fit import fit
from mllb_lab.ml.kfold import holdout_split
from mllb_lab.ml.model import ModelConfig

TIE = 1e-4  # accuracy differences below this are noise at our data sizes


def select_model(
    candidates: list[ModelConfig],
    tables: dict[str, FeatureTable],
    seed: int,
    fit_kwargs: dict[str, int | None],
    say: Callable[[str], None] = lambda s: None,
) -> tuple[ModelConfig, list[dict[str, object]]]:
    any_table = next(iter(tables.values()))
    regimes = any_table.groups["regime"].to_numpy() if "regime" in any_table.groups else None
    inner_train, inner_val = holdout_split(any_table.y, 0.15, seed + 1, regimes)
    evidence: list[dict[str, object]] = []
    best: tuple[float, ModelConfig] | None = None
    for cfg in candidates:
        table = tables[cfg.feature_set]
        fitted = fit(cfg, table.subset(inner_train), seed, **fit_kwargs)
        val = table.subset(inner_val)
        pred = fitted.decisions(val.x)
        score = confusion(val.y, pred)["accuracy"]
        idle = val.groups["regime"].to_numpy() == "idle" if "regime" in val.groups else None
        idle_acc = confusion(val.y[idle], pred[idle])["accuracy"] if idle is not None else None
        evidence.append(
            {
                "candidate": cfg.name,
                "config": cfg.to_json(),
                "validation_rows": len(val),
                "validation_accuracy": score,
                "validation_accuracy_idle": idle_acc if idle is not None and idle.any() else None,
                "epochs_run": fitted.epochs_run,
            }
        )
        say(f"candidate {cfg.name}: validation accuracy {score:.4%}")
        if best is None or score > best[0] + TIE:
            best = (score, cfg)
    assert best is not None
    for row in evidence:
        row["chosen"] = row["candidate"] == best[1].name
    return best[1], evidence
