"""Q21.11 semantics: the Python reference and the C helpers agree, and both reproduce the
paper's golden vector (raw 2894)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mllb_lab.ml import fixedpoint as fp
from mllb_lab.ml.blob import fixed_arrays
from mllb_lab.ml.cmlp import CModel, lib
from mllb_lab.ml.weights import load_weights

# A copy of shared/reference/mllb-original-weights.json (the original's published weights).
REFERENCE = Path(__file__).parent / "data" / "mllb-original-weights.json"
GOLDEN = json.loads(REFERENCE.read_text())["golden"]


def test_constants_round_half_away_from_zero() -> None:
    # 0.25/2048 steps: x.5 cases go away from zero in both directions.
    assert fp.const_to_fx(np.array([1.5, -1.5]) / 2048).tolist() == [2, -2]
    assert fp.const_to_fx(np.array([0.565644])).tolist() == [1158]
    assert fp.const_to_fx(np.array([-0.042528])).tolist() == [-87]


def test_inputs_truncate_like_kernel_division() -> None:
    # loads 8 and 9 over 1000 -> 16 and 18, as the paper's (a << 11) / b
    assert fp.input_to_fx(np.array(GOLDEN["features_after_prep"][9:11])).tolist() == [16, 18]
    assert (
        fp.input_to_fx(np.array(GOLDEN["features_after_prep"][9:11])).tolist()
        == GOLDEN["q21_11_inputs_for_loads"]
    )
    c = lib()
    for load in (8, 9, 999, 1, 125, 123456):
        kernel = c.mllb_user_fx_div(c.mllb_user_fx_from_int(load), c.mllb_user_fx_from_int(1000))
        assert fp.input_to_fx(np.array([load / 1000])).tolist() == [kernel]
        assert fp.fx_div(load * 2048, 1000 * 2048) == kernel


def test_int_to_fx_saturates_where_the_paper_overflowed() -> None:
    c = lib()
    assert c.mllb_user_fx_from_int(2**20 - 1) == (2**20 - 1) * 2048
    assert c.mllb_user_fx_from_int(2**20) == fp.S32_MAX
    assert c.mllb_user_fx_from_int(-(2**20)) == fp.S32_MIN
    assert c.mllb_user_fx_from_int(-(2**20) - 5) == fp.S32_MIN
    assert fp.input_to_fx(np.array([2.0**20, -(2.0**21)])).tolist() == [fp.S32_MAX, fp.S32_MIN]


def test_c_mul_and_div_match_reference_on_random_values() -> None:
    rng = np.random.default_rng(7)
    c = lib()
    for a, b in rng.integers(-(2**24), 2**24, size=(500, 2)):
        a, b = int(a), int(b)
        assert c.mllb_user_fx_mul(a, b) == int(np.clip((a * b) >> 11, fp.S32_MIN, fp.S32_MAX))
        if b:
            assert c.mllb_user_fx_div(a, b) == fp.fx_div(a, b)
    assert c.mllb_user_fx_div(5, 0) == fp.S32_MAX


def test_golden_vector_python_reference_and_c() -> None:
    w = load_weights(REFERENCE)
    x = np.array([GOLDEN["features_after_prep"]])
    fx = fixed_arrays(w)
    ref = fp.forward_fx(fx["w1"], fx["b1"], fx["w2"], int(fx["b2"]), fp.input_to_fx(x))
    assert ref.tolist() == [GOLDEN["q21_11_raw_output"]]
    model = CModel.from_weights(w)
    raw, dec = model.forward_fixed_from_float(x)
    assert raw.tolist() == [2894] and dec.tolist() == [True]
    out, dec_f = model.forward_float(x)
    assert out[0] == pytest.approx(GOLDEN["float_output"], abs=5e-6) and dec_f.tolist() == [True]


def test_c_fixed_equals_python_reference_on_random_inputs() -> None:
    w = load_weights(REFERENCE)
    rng = np.random.default_rng(1)
    x = np.column_stack(
        [rng.integers(0, 2, 2000) for _ in range(8)]
        + [rng.integers(-2, 10, 2000), rng.uniform(0, 5, 2000), rng.uniform(0, 5, 2000)]
        + [rng.integers(0, 6, 2000), rng.uniform(-1, 1, 2000)]
        + [rng.integers(0, 2, 2000) for _ in range(2)]
    )
    fx = fixed_arrays(w)
    q = fp.input_to_fx(x)
    ref = fp.forward_fx(fx["w1"], fx["b1"], fx["w2"], int(fx["b2"]), q)
    raw, dec = CModel.from_weights(w).forward_fixed(q)
    assert raw.tolist() == ref.tolist()
    assert dec.tolist() == (ref > 1024).tolist()


def test_fast_path_equals_reference_at_maximum_shape() -> None:
    """32 inputs x 20 hidden (two register chunks, eight flag groups), many 0 and 1.0."""
    from mllb_lab.ml.weights import MlpWeights

    rng = np.random.default_rng(9)
    w = MlpWeights(
        w1=rng.normal(size=(32, 20)),
        b1=rng.normal(size=20),
        w2=rng.normal(size=20),
        b2=-0.2,
        features_order=[f"f{i}" for i in range(32)],
        threshold=0.0,
        output="logit",
    )
    x = rng.choice(
        [0.0, 1.0, 2.0, -1.0, 0.37, 1500.0], size=(3000, 32), p=[0.4, 0.3, 0.1, 0.05, 0.1, 0.05]
    )
    fx = fixed_arrays(w)
    q = fp.input_to_fx(x)
    ref = fp.forward_fx(fx["w1"], fx["b1"], fx["w2"], int(fx["b2"]), q)
    raw, _ = CModel.from_weights(w).forward_fixed(q)
    assert raw.tolist() == ref.tolist()
