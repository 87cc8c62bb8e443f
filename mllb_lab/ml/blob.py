"""The versioned binary model blob (docs/blob-format.md; parsed in C by kmod/mllb_blob.c).

Header 48 bytes little endian, payload float32 then Q21.11 s32 arrays, CRC-32 trailer.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from mllb_lab.errors import UserError
from mllb_lab.ml.fixedpoint import const_to_fx
from mllb_lab.ml.weights import MlpWeights

MAGIC = b"MLLB"
VERSION = 1
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
    }


def build_blob(w: MlpWeights) -> bytes:
    name = w.feature_set.encode("ascii", "replace")
    if len(name) > FEATURE_SET_LEN:
        raise UserError("feature_set", f"{w.feature_set!r} is too long", "at most 20 ASCII chars")
    floats = _flat(w).astype("<f4")
    fixed = const_to_fx(_flat(w)).astype("<i4")
    payload = floats.tobytes() + fixed.tobytes()
    header = _HEADER.pack(
        MAGIC,
        VERSION,
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
