"""The blob: written by Python, validated and loaded by the C parser (kmod/mllb_blob.c)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mllb_lab.ml.blob import HEADER_LEN, build_blob
from mllb_lab.ml.cmlp import BlobRejected, CModel, lib
from mllb_lab.ml.weights import load_weights

WEIGHTS = Path(__file__).parent / "data" / "mllb-original-weights.json"


def reseal(body: bytes) -> bytes:
    """Recompute the CRC so a test reaches the check after the checksum."""
    return body + struct.pack("<I", zlib.crc32(body))


def test_c_crc32_equals_zlib() -> None:
    data = bytes(range(256)) * 3
    assert lib().mllb_user_crc32(data, len(data)) == zlib.crc32(data)


def test_valid_blob_loads_with_shape_and_feature_set() -> None:
    w = load_weights(WEIGHTS)
    blob = build_blob(w)
    assert len(blob) == HEADER_LEN + 2 * 4 * (15 * 10 + 10 + 10 + 1) + 4
    m = CModel(blob)
    assert (m.n_in, m.feature_set) == (15, "paper15")


def test_blob_keeps_float_bits_and_fixed_values() -> None:
    w = load_weights(WEIGHTS)
    blob = build_blob(w)
    floats = np.frombuffer(blob, "<f4", count=1, offset=HEADER_LEN)
    assert floats[0] == np.float32(w.w1[0, 0])
    words = 15 * 10 + 21
    fixed = np.frombuffer(blob, "<i4", count=1, offset=HEADER_LEN + 4 * words)
    assert fixed[0] == 1158


@pytest.mark.parametrize(
    ("mutate", "errname"),
    [
        (lambda b: b"XLLB" + b[4:], "EINVAL"),  # magic
        (lambda b: b[:-1] + bytes([b[-1] ^ 1]), "EBADMSG"),  # checksum
        (lambda b: b[:100] + bytes([b[100] ^ 0x40]) + b[101:], "EBADMSG"),  # payload bit flip
        (lambda b: reseal(b[:4] + struct.pack("<H", 3) + b[6:-4]), "EPROTO"),  # unknown version
        (lambda b: reseal(b[:4] + struct.pack("<H", 2) + b[6:-4]), "EINVAL"),  # v2, no ranges
        (lambda b: reseal(b[:8] + struct.pack("<H", 33) + b[10:-4]), "EINVAL"),  # n_in too big
        (lambda b: reseal(b[:10] + struct.pack("<H", 9) + b[12:-4]), "EINVAL"),  # shape vs length
        (lambda b: reseal(b[:12] + bytes([7]) + b[13:-4]), "EINVAL"),  # output kind
        (lambda b: reseal(b[:-20]), "EINVAL"),  # truncated payload
        (lambda b: b[:30], "EINVAL"),  # shorter than a header
    ],
)
def test_c_parser_rejects_bad_blobs(mutate: Callable[[bytes], bytes], errname: str) -> None:
    blob = mutate(build_blob(load_weights(WEIGHTS)))
    with pytest.raises(BlobRejected, match=errname):
        CModel(blob)
