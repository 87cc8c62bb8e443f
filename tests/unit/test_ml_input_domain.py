"""The model's input domain (mllb_lab/ml/domain.py): recorded as exact bounds, applied by every
inference path (float64 reference, Keras, C float, C Q21.11, the Python Q21.11 mirror, the
generated header), carried by blob version 2 and checked by the C parser (kmod/mllb_blob.c).
Version 1 blobs and weights files without a range keep working, unclamped."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from mllb_lab.cli import main
from mllb_lab.errors import UserError
from mllb_lab.ml.blob import HEADER_LEN, build_blob, fixed_arrays
from mllb_lab.ml.cmlp import BlobRejected, CModel
from mllb_lab.ml.domain import InputRange, is_exact
from mllb_lab.ml.fixedpoint import ONE, clamp_fx, forward_fx, input_to_fx
from mllb_lab.ml.modeldir import ModelRef
from mllb_lab.ml.weights import MlpWeights, load_weights, weights_from_json

WEIGHTS = Path(__file__).parent / "data" / "mllb-original-weights.json"
N_IN, N_HIDDEN = 15, 10


def model_with_range(seed: int = 3) -> tuple[MlpWeights, np.ndarray]:
    """Random weights whose domain comes from 'training' rows; returns (weights, test rows)
    with many test values far outside that domain (a heavier load)."""
    rng = np.random.default_rng(seed)
    w = MlpWeights(
        w1=rng.normal(size=(N_IN, N_HIDDEN)),
        b1=rng.normal(size=N_HIDDEN),
        w2=rng.normal(size=N_HIDDEN),
        b2=0.2,
        features_order=[f"x{i}" for i in range(N_IN)],
    )
    train = rng.normal(size=(500, N_IN)) * 2 + 0.3
    w.input_range = InputRange.from_rows(train)
    test = rng.normal(size=(3000, N_IN)) * 8
    return w, test


def unclamped(w: MlpWeights) -> MlpWeights:
    return MlpWeights(w.w1, w.b1, w.w2, w.b2, list(w.features_order), w.threshold, w.output)


def reseal(body: bytes) -> bytes:
    return body + struct.pack("<I", zlib.crc32(body))


def test_range_is_outward_and_exact() -> None:
    x = np.array([[0.3, -5.0, 1.0, 10000.0001], [0.7, -2.0001, 1.0, -10000.0001]])
    r = InputRange.from_rows(x)
    assert is_exact(r.lo).all() and is_exact(r.hi).all()
    assert (r.lo <= x.min(axis=0)).all() and (r.hi >= x.max(axis=0)).all()
    # on the Q21.11 grid: floor for lo, ceil for hi (not the weights' round-half-away rule)
    assert r.lo[0] == 614 / ONE and r.hi[0] == 1434 / ONE  # 0.3 * 2048 = 614.4, 0.7 -> 1433.6
    assert r.lo[1] == -5.0 and r.hi[1] == -4096 / ONE  # -2.0001 * 2048 = -4096.2 -> ceil -4096
    assert r.lo[2] == r.hi[2] == 1.0  # a constant feature stays a point
    # beyond 2^13 float32 is coarser than 1/2048: still exact in both, still outward
    assert r.hi[3] >= 10000.0001 and r.lo[3] <= -10000.0001
    lo_fx, hi_fx = r.fixed()
    assert lo_fx.tolist() == [int(v * ONE) for v in r.lo] and hi_fx[0] == 1434


def test_values_beyond_q21_11_are_refused() -> None:
    with pytest.raises(UserError, match="feature 0"):
        InputRange.from_rows(np.array([[2.0**21], [0.0]]))


def test_reference_forward_clamps() -> None:
    w, x = model_with_range()
    plain = unclamped(w)
    clipped = np.clip(x, w.input_range.lo, w.input_range.hi)
    assert np.array_equal(w.forward(x), plain.forward(clipped))
    assert not np.allclose(w.forward(x), plain.forward(x))  # the clamp matters on these rows


def test_c_float_and_fixed_clamp_like_the_reference() -> None:
    w, x = model_with_range()
    clipped = np.clip(x, w.input_range.lo, w.input_range.hi)
    c, c_plain = CModel.from_weights(w), CModel.from_weights(unclamped(w))
    # C float on raw rows == unclamped C float on clamped rows, bit for bit
    assert c.forward_float(x)[0].tobytes() == c_plain.forward_float(clipped)[0].tobytes()
    # C Q21.11 == the Python mirror: truncate, clamp in Q21.11, forward
    fx = fixed_arrays(w)
    mirror = forward_fx(
        fx["w1"], fx["b1"], fx["w2"], int(fx["b2"]), clamp_fx(input_to_fx(x), fx["lo"], fx["hi"])
    )
    assert c.forward_fixed_from_float(x)[0].tolist() == mirror.tolist()
    # and clamping in Q21.11 equals truncating the float64-clamped rows (exact bounds)
    assert c.forward_fixed_from_float(x)[0].tolist() == (
        c_plain.forward_fixed_from_float(clipped)[0].tolist()
    )
    ref_dec = w.forward(x) > w.threshold
    assert np.mean(c.forward_fixed_from_float(x)[1] == ref_dec) >= 0.999
    assert not np.array_equal(c.forward_float(x)[1], c_plain.forward_float(x)[1])


def test_keras_evaluation_clamps(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`model run --impl keras` / `model check` clamp before Keras; check proves C equal."""
    w, x = model_with_range()
    path = tmp_path / "w.json"
    w.save(path)
    from mllb_lab.ml.run import keras_forward

    out = keras_forward(ModelRef(w, None, path), x[:500])
    assert np.max(np.abs(out - w.forward(x[:500]))) < 1e-3
    feats = tmp_path / "rows.csv"
    header = ",".join(w.features_order)
    np.savetxt(feats, x[:500], delimiter=",", header=header, comments="")
    assert main(["model", "check", str(path), "--data", str(feats), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["c_float_agree"] == 1.0 and doc["c_fixed_agree"] >= 0.999


def test_weights_json_round_trip_and_old_files(tmp_path: Path) -> None:
    w, _ = model_with_range()
    w.save(tmp_path / "w.json")
    again = load_weights(tmp_path / "w.json")
    assert np.array_equal(again.input_range.lo, w.input_range.lo)
    assert np.array_equal(again.input_range.hi, w.input_range.hi)
    assert "input_range" not in again.extra
    old = load_weights(WEIGHTS)  # the paper's published file: no range, no clamp
    assert old.input_range is None
    assert build_blob(old)[4:6] == struct.pack("<H", 1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r.update(lo=r["hi"], hi=r["lo"]), "input_range"),  # lo > hi
        (lambda r: r["lo"].__setitem__(2, 0.1), "input_range.lo[2]"),  # not on the grid
        (lambda r: r["hi"].__setitem__(0, 2.0**21), "input_range.hi[0]"),  # beyond Q21.11
        (lambda r: r["hi"].pop(), "input_range.hi"),  # wrong shape
        (lambda r: r.pop("lo"), "input_range"),
    ],
)
def test_bad_ranges_in_weights_json_name_the_field(change, field: str) -> None:
    w, _ = model_with_range()
    doc = json.loads(json.dumps(w.to_json()))
    change(doc["input_range"])
    with pytest.raises(UserError) as err:
        weights_from_json(doc, where="w.json")
    assert err.value.field == f"w.json: {field}"


def test_blob_v2_round_trip() -> None:
    w, _ = model_with_range()
    blob = build_blob(w)
    words = N_IN * N_HIDDEN + 2 * N_HIDDEN + 1
    assert blob[4:6] == struct.pack("<H", 2)
    assert len(blob) == HEADER_LEN + 8 * words + 16 * N_IN + 4
    at = HEADER_LEN + 8 * words
    lo_f = np.frombuffer(blob, "<f4", N_IN, at)
    lo_q = np.frombuffer(blob, "<i4", N_IN, at + 8 * N_IN)
    assert np.array_equal(lo_f.astype(np.float64), w.input_range.lo)
    assert np.array_equal(lo_q, w.input_range.fixed()[0])
    CModel(blob)  # accepted; clamping itself is checked above


def _v2_with(w: MlpWeights, offset_in_ranges: int, value: bytes) -> bytes:
    blob = build_blob(w)
    at = HEADER_LEN + 8 * (N_IN * N_HIDDEN + 2 * N_HIDDEN + 1) + offset_in_ranges
    return reseal(blob[:at] + value + blob[at + len(value) : -4])


@pytest.mark.parametrize(
    ("mutate", "errname"),
    [
        # Q21.11 lo[0] one step off its float: the two forms would clamp differently
        (lambda w, b: _v2_with(w, 8 * N_IN, struct.pack("<i", _lo_fx0(w) + 1)), "ERANGE"),
        (lambda w, b: _v2_with(w, 0, struct.pack("<f", 0.1)), "ERANGE"),  # float not on the grid
        (lambda w, b: _v2_with(w, 0, struct.pack("<f", float("nan"))), "ERANGE"),
        (lambda w, b: _v2_with(w, 0, struct.pack("<f", 2.0**21)), "ERANGE"),  # beyond Q21.11
        # lo[0] > hi[0] in both forms, consistently
        (lambda w, b: build_blob(_swapped(w)), "EINVAL"),
        (lambda w, b: b[:-1] + bytes([b[-1] ^ 1]), "EBADMSG"),  # corrupted
        (lambda w, b: b[:-12] + bytes([b[-12] ^ 4]) + b[-11:], "EBADMSG"),  # a range bit
        (lambda w, b: reseal(b[: -4 - 16 * N_IN]), "EINVAL"),  # v2 header, v1 payload
        (lambda w, b: reseal(b[:-8]), "EINVAL"),  # truncated ranges
        (lambda w, b: reseal(b[:4] + struct.pack("<H", 1) + b[6:-4]), "EINVAL"),  # v1, v2 length
    ],
)
def test_c_parser_refuses_bad_v2_blobs(mutate, errname: str) -> None:
    w, _ = model_with_range()
    with pytest.raises(BlobRejected, match=errname):
        CModel(mutate(w, build_blob(w)))


def _lo_fx0(w: MlpWeights) -> int:
    return int(w.input_range.fixed()[0][0])


def _swapped(w: MlpWeights) -> MlpWeights:
    """lo and hi of input 0 exchanged (and made different), bypassing the Python checks."""
    lo, hi = w.input_range.lo.copy(), w.input_range.hi.copy()
    lo[0], hi[0] = hi[0] + 1, lo[0]
    bad = unclamped(w)
    bad.input_range = InputRange(lo, hi)
    return bad


def test_export_of_an_old_model_is_v1_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "old"
    model.mkdir()
    (model / "weights.json").write_text(WEIGHTS.read_text())
    assert main(["export", str(model), "--format", "blob"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no input_range" in err
    blob = (model / "export" / "mllb_model.blob").read_bytes()
    assert blob[4:6] == struct.pack("<H", 1)
    assert CModel(blob).forward_fixed_from_float(np.zeros((1, N_IN)))[0].shape == (1,)
