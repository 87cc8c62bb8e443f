"""The versioned binary model blob (docs/blob-format.md; parsed in C by kmod/mllb_blob.c).

Header 48 bytes little endian, payload float32 then Q21.11 s32 arrays, CRC-32 trailer.
Version 2 (a model with an input domain) appends the ranges: float32 lo, hi, then Q21.11 lo,
hi; a model without one (trained before ranges existed) is written as version 1, no clamp.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from mllb_lab.errors import UserError
from mllb_lab.ml.fixedpoint import const_to_fx
from mllb_lab.ml.weights import MlpWeights

MAGIC = b"MLLB"
VERSION_PLAIN = 1
VERSION_RANGES = 2
HEADER_LEN = 48
FEATURE_SET_LEN = 20
OUTPUT_CODES = {"linear": 0, "logit": 1}
_HEADER = struct.Struct("<4sHHHHBBHIiI20s")
assert _HEADER.size == HEADER_LEN


def _flat(w: MlpWeights) -> np.ndarray:
    return np.concatenate([w.w1.reshape(-1), w.b1, w.w2, [w.b2]])


def fixed_arrays(w: MlpWeights) -> dict[str, np.ndarray]:
    """The Q21.11 form of every weight, as exported to C and to the blob."""
    return {
        "w1": const_to_fx(w.w1),
        "b1": const_to_fx(w.b1),
        "w2": const_to_fx(w.w2),
        "b2": const_to_fx(w.b2),
        "threshold": const_to_fx(w.threshold),
        **_fixed_range(w),
    }


def _fixed_range(w: MlpWeights) -> dict[str, np.ndarray]:
    if w.input_range is None:
        return {}
    lo, hi = w.input_range.fixed()
    return {"lo": lo, "hi": hi}


def blob_version(w: MlpWeights) -> int:
    return VERSION_PLAIN if w.input_range is None else VERSION_RANGES


def build_blob(w: MlpWeights) -> bytes:
    name = w.feature_set.encode("ascii", "replace")
    if len(name) > FEATURE_SET_LEN:
        raise UserError("feature_set", f"{w.feature_set!r} is too long", "at most 20 ASCII chars")
    floats = _flat(w).astype("<f4")
    fixed = const_to_fx(_flat(w)).astype("<i4")
    payload = floats.tobytes() + fixed.tobytes()
    if w.input_range is not None:
        rng = w.input_range
        lo_fx, hi_fx = rng.fixed()
        payload += np.concatenate([rng.lo, rng.hi]).astype("<f4").tobytes()
        payload += np.concatenate([lo_fx, hi_fx]).astype("<i4").tobytes()
    header = _HEADER.pack(
        MAGIC,
        blob_version(w),
        HEADER_LEN,
        w.n_in,
        w.n_hidden,
        OUTPUT_CODES[w.output],
        0,
        0,
        struct.unpack("<I", struct.pack("<f", w.threshold))[0],
        int(const_to_fx(w.threshold)),
        len(payload),
        name.ljust(FEATURE_SET_LEN, b"\0"),
    )
    body = header + payload
    return body + struct.pack("<I", zlib.crc32(body))
