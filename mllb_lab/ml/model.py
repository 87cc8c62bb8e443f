"""Keras models: the paper's MLP (parity) and the improved variants, and their conversion to
MlpWeights (the form every exporter and the C code use)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from mllb_lab.ml.tfenv import keras
from mllb_lab.ml.weights import MlpWeights


@dataclass(frozen=True)
class ModelConfig:
    """One candidate model. `output` "linear" is the paper's: BCE applied to a linear unit
    (Keras clips it into (0, 1)) and decision output > 0.5; "logit" trains BCE on logits and
    decides logit > 0 (= probability > 0.5, no exp() needed in the kernel)."""

    name: str
    feature_set: str = "paper15"
    hidden: int = 10
    output: str = "linear"
    class_weights: bool = False
    learning_rate: float = 5e-4  # the original code's (paper text: 3e-4)
    batch_size: int = 64
    epochs: int = 30
    patience: int = 3  # early stopping on validation loss

    @property
    def threshold(self) -> float:
        return 0.5 if self.output == "linear" else 0.0

    def to_json(self) -> dict[str, object]:
        return asdict(self)


PAPER = ModelConfig(name="paper")
CANDIDATES: tuple[ModelConfig, ...] = (
    PAPER,
    ModelConfig(name="logit", output="logit", batch_size=256, learning_rate=2e-3),
    ModelConfig(
        name="logit-cw", output="logit", class_weights=True, batch_size=256, learning_rate=2e-3
    ),
    ModelConfig(
        name="logit-ext",
        feature_set="extended",
        output="logit",
        hidden=12,
        batch_size=256,
        learning_rate=2e-3,
    ),
)


def candidate(name: str) -> ModelConfig:
    for cfg in CANDIDATES:
        if cfg.name == name:
            return cfg
    raise KeyError(name)


def _output_layer(cfg: ModelConfig) -> keras.layers.Dense:
    if cfg.output == "logit":
        return keras.layers.Dense(1, activation=None, name="out")
    # The paper's loss clips the linear output into (0, 1) before the log, so a row whose
    # output starts outside that interval has no gradient at all. With default initialisation
    # and unscaled inputs (src_len, dst_len up to tens) every output can start below 0 and the
    # model never learns (seen on synthetic data: 47.6%, all zeros). Starting every output near
    # 0.5 keeps the paper's model and loss but lets them train.
    return keras.layers.Dense(
        1,
        activation=None,
        name="out",
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
        bias_initializer=keras.initializers.Constant(0.5),
    )


def build_model(cfg: ModelConfig, n_in: int) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(n_in,)),
            keras.layers.Dense(cfg.hidden, activation="relu", name="hidden"),
            _output_layer(cfg),
        ]
    )
    from_logits = cfg.output == "logit"
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=cfg.learning_rate),
        loss=keras.losses.BinaryCrossentropy(from_logits=from_logits),
    )
    return model


def to_weights(model: keras.Model, cfg: ModelConfig, names: list[str]) -> MlpWeights:
    w1, b1 = model.get_layer("hidden").get_weights()
    w2, b2 = model.get_layer("out").get_weights()
    return MlpWeights(
        w1=w1.astype(np.float64),
        b1=b1.astype(np.float64),
        w2=w2.reshape(-1).astype(np.float64),
        b2=float(b2[0]),
        features_order=list(names),
        threshold=cfg.threshold,
        output=cfg.output,
        feature_set=cfg.feature_set,
    )


def predict(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """Raw output (linear value or logit) per row, float32, as the kernel would compute it."""
    return model.predict(x, batch_size=8192, verbose=0).reshape(-1)
