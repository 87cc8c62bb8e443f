"""The fast Q21.11 path (kmod/mllb_mlp_fx.c: packed hidden pairs, flag tables, exact floors)
gives the same bits as the Python reference on every row, whether it takes the row or sends it
to the plain loops; and it takes the rows it should (valid flags, whole counts, small values)."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from mllb_lab.ml import fixedpoint as fp
from mllb_lab.ml.blob import fixed_arrays
from mllb_lab.ml.cmlp import CModel, lib
from mllb_lab.ml.features import FEATURE_SETS
from mllb_lab.ml.weights import MlpWeights

# Positions of the paper15 inputs by kind (features.py order).
FLAGS = [0, 1, 2, 3, 4, 5, 6, 7, 13, 14]
WHOLE = [8, 11]  # src_len - 2, dst_len
RATIOS = [9, 10, 12]  # loads / 1000, fault share


def fast_rows(model: CModel, q: np.ndarray) -> np.ndarray:
    c = lib()
    c.mllb_user_fast_rows_fx.argtypes = [ctypes.c_void_p] * 2 + [ctypes.c_size_t, ctypes.c_void_p]
    rows = np.ascontiguousarray(q, dtype=np.int32)
    taken = np.zeros(len(rows), dtype=np.uint8)
    c.mllb_user_fast_rows_fx(model._h, rows.ctypes.data, len(rows), taken.ctypes.data)
    return taken.astype(bool)


def reference(w: MlpWeights, q: np.ndarray) -> np.ndarray:
    fx = fixed_arrays(w)
    return fp.forward_fx(fx["w1"], fx["b1"], fx["w2"], int(fx["b2"]), q)


def random_model(rng: np.random.Generator, n_in: int, n_hidden: int, feature_set: str, scale=1.0):
    return MlpWeights(
        w1=rng.normal(scale=scale, size=(n_in, n_hidden)),
        b1=rng.normal(scale=scale, size=n_hidden),
        w2=rng.normal(scale=scale, size=n_hidden),
        b2=float(rng.normal()),
        features_order=[f"f{i}" for i in range(n_in)],
        threshold=0.0,
        output="logit",
        feature_set=feature_set,
    )


def paper_rows(rng: np.random.Generator, n: int, n_in: int = 15) -> np.ndarray:
    """Rows shaped like paper15 features, in Q21.11: flags, counts and ratios within the range
    the fast path keeps for unit-scale weights (real captures: 99% of loads / 1000 are below
    0.6, of queue lengths below 32)."""
    x = np.zeros((n, n_in))
    x[:, FLAGS] = rng.integers(0, 2, (n, len(FLAGS)))
    x[:, 8] = rng.integers(-2, 30, n)
    x[:, 11] = rng.integers(0, 30, n)
    x[:, 9] = rng.uniform(0, 3, n) * (rng.random(n) < 0.9)
    x[:, 10] = rng.uniform(0, 3, n) * (rng.random(n) < 0.5)
    x[:, 12] = rng.uniform(-1, 1, n) * (rng.random(n) < 0.5)
    if n_in > 15:  # extended: three more flags and a ratio
        x[:, 15:18] = rng.integers(0, 2, (n, 3))
        x[:, 18:] = rng.uniform(-1, 1, (n, n_in - 18))
    return fp.input_to_fx(x)


@pytest.mark.parametrize(
    ("feature_set", "n_in", "n_hidden"),
    [("paper15", 15, 10), ("paper15", 15, 7), ("extended", 19, 20), ("extended", 19, 13)],
)
def test_fast_path_takes_feature_rows_and_equals_reference(
    feature_set: str, n_in: int, n_hidden: int
) -> None:
    assert len(FEATURE_SETS[feature_set].features) == n_in
    rng = np.random.default_rng(n_in * 100 + n_hidden)
    w = random_model(rng, n_in, n_hidden, feature_set)
    q = paper_rows(rng, 4000, n_in)
    model = CModel.from_weights(w)
    raw, dec = model.forward_fixed(q)
    ref = reference(w, q)
    assert raw.tolist() == ref.tolist()
    assert dec.tolist() == (ref > 0).tolist()
    assert fast_rows(model, q).all()


def test_rows_breaking_a_promise_go_the_plain_way_with_the_same_result() -> None:
    rng = np.random.default_rng(5)
    w = random_model(rng, 15, 10, "paper15")
    model = CModel.from_weights(w)
    good = paper_rows(rng, 1, 15)[0]
    bad = []
    for pos, value in [
        (0, 1024),  # a flag at 0.5
        (14, -2048),  # a flag at -1
        (3, 2049),
        (8, 2048 * 3 + 1),  # src_len not whole
        (11, -1),
        (8, 2048 * 56),  # counts are looked up for [-8, 56) only
        (11, -2048 * 9),
        (9, 2**31 - 1),  # huge load
        (12, -(2**31)),
        (10, 2**26),
    ]:
        row = good.copy()
        row[pos] = value
        bad.append(row)
    edges = []
    for pos, value in [(8, 2048 * 55), (11, -2048 * 8), (0, 0), (0, 2048)]:
        row = good.copy()
        row[pos] = value
        edges.append(row)
    q = np.array([good, *edges, *bad])
    raw, _ = model.forward_fixed(q)
    assert raw.tolist() == reference(w, q).tolist()
    assert fast_rows(model, q).tolist() == [True] * (1 + len(edges)) + [False] * len(bad)


def test_any_magnitude_equals_reference_on_both_paths() -> None:
    """Values from 0 to the s32 limits at every position: the range check must send every row
    that could overflow a packed lane to the plain loops, and saturation must match."""
    rng = np.random.default_rng(11)
    for n_hidden, scale in [(10, 1.0), (20, 40.0), (3, 0.01)]:
        w = random_model(rng, 15, n_hidden, "paper15", scale=scale)
        q = paper_rows(rng, 6000)
        mags = np.exp2(rng.uniform(0, 31, q.shape)).astype(np.int64)
        wild = rng.random(q.shape) < 0.15
        q = np.where(wild, np.clip(mags * rng.choice([-1, 1], q.shape), -(2**31), 2**31 - 1), q)
        model = CModel.from_weights(w)
        raw, _ = model.forward_fixed(q)
        assert raw.tolist() == reference(w, q).tolist()
        taken = fast_rows(model, q)
        assert taken.sum() < len(q)
        if scale <= 1.0:
            assert taken.sum() > 0.05 * len(q)  # rows without a wild value stay fast


def test_models_the_fast_path_cannot_take_still_compute_exactly() -> None:
    rng = np.random.default_rng(3)
    cases = [
        random_model(rng, 1, 5, "paper15"),  # a single input: no slot can read two
        random_model(rng, 15, 10, "paper15", scale=3e5),  # rows sums beyond the lane range
        random_model(rng, 15, 10, "no-such-set"),  # unknown set: no flags, all inputs packed
    ]
    for w in cases:
        q = fp.input_to_fx(rng.uniform(-3, 3, (500, w.n_in)).round(2))
        model = CModel.from_weights(w)
        raw, _ = model.forward_fixed(q)
        assert raw.tolist() == reference(w, q).tolist()
    assert not fast_rows(CModel.from_weights(cases[1]), q[:, :15]).any()
    assert fast_rows(CModel.from_weights(cases[2]), q[:, :15] // 8).all()  # all inputs packed


def test_decisions_where_the_output_saturates() -> None:
    """Large output weights: b2 + the sum can leave s32, so decide must saturate first (the
    shortcut `sum > threshold - b2` is only taken when it cannot)."""
    rng = np.random.default_rng(17)
    w = random_model(rng, 15, 10, "paper15")
    w.w2 = w.w2 * 3e4
    w.threshold = 1000.0
    q = paper_rows(rng, 3000)
    model = CModel.from_weights(w)
    raw, dec = model.forward_fixed(q)
    ref = reference(w, q)
    thr = int(fixed_arrays(w)["threshold"])
    assert raw.tolist() == ref.tolist()
    assert dec.tolist() == (ref > thr).tolist()
    assert (np.abs(ref) == 2**31 - 1).any() or (ref == -(2**31)).any()  # it does saturate
    assert fast_rows(model, q).all()


@pytest.mark.parametrize("n_in", [9, 10, 12])
def test_short_paper15_models_cover_one_and_two_counts_and_fractions(n_in: int) -> None:
    """The first n_in paper15 inputs: 9 -> one count, no fraction; 10 -> one count, one
    fraction; 12 -> two counts, two fractions (the shapes besides the usual straight line)."""
    rng = np.random.default_rng(n_in)
    w = random_model(rng, n_in, 10, "paper15")
    q = paper_rows(rng, 2000)[:, :n_in]
    model = CModel.from_weights(w)
    raw, _ = model.forward_fixed(q)
    assert raw.tolist() == reference(w, q).tolist()
    assert fast_rows(model, q).all()
