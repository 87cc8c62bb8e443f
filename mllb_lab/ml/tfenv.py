"""Import TensorFlow/Keras quietly and deterministically; import this before keras anywhere."""

from __future__ import annotations

import os

# 3: TF 2.21 prints a harmless C++ "NodeDef mentions attribute" error on every fit.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import tensorflow as tf


def seed_everything(seed: int) -> None:
    """Python, numpy and TF seeds plus deterministic TF ops: same data + seed, same model."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


__all__ = ["keras", "seed_everything", "tf"]
