"""Import TensorFlow/Keras quietly and deterministically; import this before keras anywhere."""

from __future__ import annotations

import logging
import os

# 3: TF 2.21 prints a harmless C++ "NodeDef mentions attribute" error on every fit.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# oneDNN's reordered float sums make results differ run to run and its start-up notice is the
# only line TF still prints to stderr; a 171-parameter MLP gains nothing from it.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import tensorflow as tf

# Keras retraces predict() once per new model (selection, CV folds); TF's warning about it is
# noise here.
logging.getLogger("tensorflow").setLevel(logging.ERROR)


def seed_everything(seed: int) -> None:
    """Python, numpy and TF seeds plus deterministic TF ops: same data + seed, same model."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


__all__ = ["keras", "seed_everything", "tf"]
