"""mllb.ko in a real 2x2x2 TCG guest on Debian's stock 6.1 kernel, the tier's shared guest (no
scheduler hook there: self-test, eval, model loading and benchmark). Built on this controller
against the exact linux-headers package of the image's kernel; models come from `mllb-lab
export --format blob`.

Checked in the kernel: the golden vector of the paper's weights (Q21.11 raw 2894, float 1.41490,
both migrate) and bit-equality of the float output with the user-space build of the same C;
refusal of a corrupted, a wrong-version and two wrong-shaped blobs with the running model
unchanged; a multi-page blob; runtime implementation switch; benchmark; clean rmmod and dmesg.
Blob version 2 (a model with its training input domain): loaded, clamping in decide() and eval
bit-equal to user space; a v2 blob with lo > hi or float/Q21.11 bounds that differ is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import subprocess
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mllb_lab.kmod import guest
from mllb_lab.kmod.build import build_module, tree_release
from mllb_lab.kmod.headers import stock_tree
from mllb_lab.kmod.lb_in import records_to_lb_in
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.image import MANIFEST, Image
from mllb_lab.ml.blob import HEADER_LEN, build_blob
from mllb_lab.ml.cmlp import CModel, c_features
from mllb_lab.ml.domain import InputRange
from mllb_lab.ml.weights import MlpWeights

Cli = Callable[..., subprocess.CompletedProcess[str]]
WEIGHTS = Path(__file__).parent.parent / "unit" / "data" / "mllb-original-weights.json"
GOLDEN = "1,0,0,0,1,0,0,0,0,0.008,0.009,0,0,0,0"
RECORDS = Path(__file__).parent.parent / "unit" / "data" / "kmod_records.parquet"
BAD_DMESG = re.compile(r"WARNING:|BUG:|Oops|general protection|Call Trace|RIP:")


@pytest.fixture(scope="module")
def module(guest_image: Image) -> Path:
    release = json.loads((guest_image.dir / MANIFEST).read_text())["kernel_version"]
    tree = stock_tree(release, install=True)
    assert tree_release(tree) == release
    return build_module(tree)


@pytest.fixture(scope="module")
def lab(shared_guest: lab_state.LabState, module: Path) -> Iterator[lab_state.LabState]:
    guest.check(shared_guest, "dmesg -C")
    guest.insmod(shared_guest, module)
    yield shared_guest
    guest.run(shared_guest, "rmmod mllb 2>/dev/null || true")  # the guest is shared: leave it clean


@pytest.fixture(scope="module")
def paper_blob(mllb: Cli, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The paper's published weights, through the real export command."""
    out = tmp_path_factory.mktemp("blob") / "paper.blob"
    proc = mllb("export", str(WEIGHTS), "--format", "blob", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out.read_bytes()


def random_weights(n_in: int, n_hidden: int, feature_set: str, seed: int) -> MlpWeights:
    rng = np.random.default_rng(seed)
    return MlpWeights(
        w1=rng.normal(0, 0.5, (n_in, n_hidden)),
        b1=rng.normal(0, 0.1, n_hidden),
        w2=rng.normal(0, 0.5, n_hidden),
        b2=0.1,
        features_order=[f"f{i}" for i in range(n_in)],
        feature_set=feature_set,
    )


def crc_of(blob: bytes) -> str:
    return f"0x{struct.unpack('<I', blob[-4:])[0]:08x}"


def load(state: lab_state.LabState, blob: bytes) -> subprocess.CompletedProcess[str]:
    return guest.write_attr(state, "model", blob)


def evaluate(state: lab_state.LabState, vector: str) -> dict[str, str]:
    proc = guest.write_attr(state, "eval", vector.encode())
    assert proc.returncode == 0, proc.stderr
    return guest.read_attr(state, "eval")


def float_bits(value: np.float32) -> str:
    return f"0x{int(np.float32(value).view(np.uint32)):08x}"


def test_selftest_passes_on_load_and_nothing_registers_on_stock(lab) -> None:
    assert "result pass" in guest.check(lab, f"cat {guest.SYSFS}/selftest")
    info = guest.read_attr(lab, "info")
    assert (info["loaded"], info["registered"], info["impl"], info["hook"]) == (
        "0",
        "0",
        "fixed",
        "none",
    )
    assert guest.write_attr(lab, "eval", GOLDEN.encode()).returncode != 0  # no model yet


def test_paper_blob_loads_and_reads_back(lab, paper_blob: bytes) -> None:
    proc = load(lab, paper_blob)
    assert proc.returncode == 0, proc.stderr
    info = guest.read_attr(lab, "info")
    assert info["loaded"] == "1" and info["feature_set"] == "paper15"
    assert (info["n_in"], info["n_hidden"], info["output"]) == ("15", "10", "linear")
    assert info["crc"] == crc_of(paper_blob)
    assert guest.read_model(lab) == paper_blob


def test_golden_vector_in_the_kernel(lab, paper_blob: bytes) -> None:
    load(lab, paper_blob)
    out = evaluate(lab, GOLDEN)
    assert out["fixed_raw"] == "2894" and out["fixed_decision"] == "1"
    assert round(float(out["float"]), 5) == 1.41490
    assert out["float_decision"] == "1"
    x = np.array([[float(v) for v in GOLDEN.split(",")]], dtype=np.float32)
    user_out, _ = CModel(paper_blob).forward_float(x)
    assert out["float_bits"] == float_bits(user_out[0])  # same C, same bits, in the kernel


@pytest.mark.parametrize(
    "case",
    ["corrupted", "version", "shape_for_set", "multi_page", "v2_lo_above_hi", "v2_range_forms"],
)
def test_bad_blobs_are_refused_and_the_model_stays(lab, paper_blob: bytes, case: str) -> None:
    assert load(lab, paper_blob).returncode == 0
    before = guest.read_attr(lab, "info")
    if case == "corrupted":  # one payload bit flipped, checksum left as it was
        bad = bytearray(paper_blob)
        bad[100] ^= 0x01
        errno_text = "Bad message"
    elif case == "version":  # 3: no such version (2 is the version with input ranges)
        body = bytearray(paper_blob[:-4])
        body[4] = 3
        bad = bytes(body) + struct.pack("<I", zlib.crc32(body))
        errno_text = "Protocol error"
    elif case == "shape_for_set":  # valid blob, but paper15 has 15 inputs, not 16
        bad = build_blob(random_weights(16, 10, "paper15", 1))
        errno_text = "Invalid argument"
    elif case == "multi_page":  # 32 x 20: more than a page, in pieces; no set has 32 inputs
        bad = build_blob(random_weights(32, 20, "paper15", 2))
        assert len(bad) > 4096
        errno_text = "Invalid argument"
    elif case == "v2_lo_above_hi":
        w = clamped_weights()
        assert w.input_range is not None
        lo, hi = w.input_range.lo.copy(), w.input_range.hi.copy()
        lo[9], hi[9] = hi[9] + 1, lo[9]
        w.input_range = InputRange(lo, hi)
        bad = build_blob(w)
        errno_text = "Invalid argument"
    else:  # v2 whose Q21.11 lo[0] is one step off its float32 form
        good = build_blob(clamped_weights())
        at = HEADER_LEN + 8 * (15 * 10 + 2 * 10 + 1) + 8 * 15
        (lo0,) = struct.unpack_from("<i", good, at)
        body = good[:at] + struct.pack("<i", lo0 + 1) + good[at + 4 : -4]
        bad = body + struct.pack("<I", zlib.crc32(body))
        errno_text = "Numerical result out of range"
    proc = load(lab, bytes(bad))
    assert proc.returncode != 0 and errno_text in proc.stderr, proc.stderr
    after = guest.read_attr(lab, "info")
    assert after["crc"] == before["crc"] == crc_of(paper_blob)
    assert after["loads"] == before["loads"]
    assert evaluate(lab, GOLDEN)["fixed_raw"] == "2894"


def test_extended_model_matches_user_space(lab) -> None:
    blob = build_blob(random_weights(19, 20, "extended", 3))
    assert load(lab, blob).returncode == 0
    assert guest.read_attr(lab, "info")["feature_set"] == "extended"
    values = [round(v, 3) for v in np.random.default_rng(4).uniform(-2, 3, 19)]
    out = evaluate(lab, ",".join(f"{v:.3f}" for v in values))
    model = CModel(blob)
    x = np.array([values])
    raw, dec = model.forward_fixed_from_float(x)
    f_out, f_dec = model.forward_float(x.astype(np.float32))
    assert out["fixed_raw"] == str(int(raw[0]))
    assert out["fixed_decision"] == str(int(dec[0]))
    assert out["float_bits"] == float_bits(f_out[0])
    assert out["float_decision"] == str(int(f_dec[0]))


@pytest.mark.parametrize("feature_set", ["paper15", "extended"])
def test_decide_on_real_records_matches_user_space(
    lab, paper_blob: bytes, feature_set: str
) -> None:
    """Captured records through the kernel's decide() path (features + MLP, both
    implementations) equal the user-space build of the same C, bit for bit."""
    blob = (
        paper_blob
        if feature_set == "paper15"
        else build_blob(random_weights(19, 10, "extended", 5))
    )
    assert load(lab, blob).returncode == 0
    raw = records_to_lb_in(pd.read_parquet(RECORDS))
    got = guest.decide_raw(lab, raw)
    model = CModel(blob)
    fixed, fixed_dec = model.forward_fixed(c_features(raw, feature_set, "fixed"))
    flt, flt_dec = model.forward_float(c_features(raw, feature_set, "float"))
    np.testing.assert_array_equal(got["fixed_out"], fixed)
    np.testing.assert_array_equal(got["fixed_decision"], fixed_dec)
    np.testing.assert_array_equal(got["float_bits"], flt.view(np.uint32))
    np.testing.assert_array_equal(got["float_decision"], flt_dec)
    assert 0 < fixed_dec.sum() < len(raw)  # both answers occur, so decisions were compared


def clamped_weights() -> MlpWeights:
    """The paper's weights with an input domain from the first 40 captured records: the other
    records reach beyond it (longer queues, other loads), so the clamp changes outputs."""
    from mllb_lab.ml.weights import load_weights

    w = load_weights(WEIGHTS)
    x = c_features(records_to_lb_in(pd.read_parquet(RECORDS)), "paper15", "float")
    w.input_range = InputRange.from_rows(x[:40].astype(np.float64))
    return w


def test_v2_blob_clamps_in_the_kernel_like_user_space(lab) -> None:
    """Blob version 2: the kernel clamps each input to the training domain before the MLP in
    decide() (features from raw records) and in eval, bit-equal to the user-space build."""
    w = clamped_weights()
    blob = build_blob(w)
    assert load(lab, blob).returncode == 0
    info = guest.read_attr(lab, "info")
    assert (info["blob_version"], info["clamp"]) == ("2", "1")
    raw = records_to_lb_in(pd.read_parquet(RECORDS))
    got = guest.decide_raw(lab, raw)
    model = CModel(blob)
    fixed, fixed_dec = model.forward_fixed(c_features(raw, "paper15", "fixed"))
    flt, flt_dec = model.forward_float(c_features(raw, "paper15", "float"))
    np.testing.assert_array_equal(got["fixed_out"], fixed)
    np.testing.assert_array_equal(got["fixed_decision"], fixed_dec)
    np.testing.assert_array_equal(got["float_bits"], flt.view(np.uint32))
    np.testing.assert_array_equal(got["float_decision"], flt_dec)
    w.input_range = None  # the same weights unclamped: the clamp did change outputs
    plain, _ = CModel.from_weights(w).forward_fixed(c_features(raw, "paper15", "fixed"))
    assert (plain != fixed).any()
    out = evaluate(lab, "1,0,0,0,1,0,0,0,40,9.5,0.009,30,0,0,0")  # far beyond the domain
    x = np.array([[1, 0, 0, 0, 1, 0, 0, 0, 40, 9.5, 0.009, 30, 0, 0, 0]])
    assert out["fixed_raw"] == str(int(model.forward_fixed_from_float(x)[0][0]))
    assert out["float_bits"] == float_bits(model.forward_float(x.astype(np.float32))[0][0])
    v1 = guest.read_attr(lab, "info") if load(lab, build_blob(w)).returncode == 0 else {}
    assert (v1.get("blob_version"), v1.get("clamp")) == ("1", "0")  # version 1 still loads


def test_impl_switch_and_bench(lab, paper_blob: bytes) -> None:
    assert load(lab, paper_blob).returncode == 0
    assert guest.write_attr(lab, "impl", b"float\n").returncode == 0
    assert guest.read_attr(lab, "info")["impl"] == "float"
    assert guest.write_attr(lab, "impl", b"double\n").returncode != 0
    assert guest.write_attr(lab, "impl", b"fixed\n").returncode == 0
    figures = guest.bench(lab, 20000)
    print("in-kernel bench (2x2x2 TCG guest):", figures)
    assert figures["decisions"] == "20000"
    for name in ("fixed", "float", "float_batch"):
        assert float(figures[f"{name}_ns_per_decision"]) > 0
    agree, total = map(int, figures["fixed_float_agree"].split("/"))
    assert total == 256 and agree >= 0.95 * total
    proc = guest.write_attr(lab, "selftest", b"1")
    assert proc.returncode == 0
    assert "model_fixed_float_agree" in guest.check(lab, f"cat {guest.SYSFS}/selftest")


def test_rmmod_is_clean_and_dmesg_has_no_warnings(lab) -> None:
    guest.check(lab, "rmmod mllb")
    assert guest.run(lab, f"test -e {guest.SYSFS}").returncode != 0
    log = guest.check(lab, "dmesg")
    assert log.count("blob refused") == 6  # the refusals above were logged ...
    assert not BAD_DMESG.search(log), log  # ... and nothing went wrong
    sha = hashlib.sha256(log.encode()).hexdigest()[:12]
    print(f"guest dmesg since insmod ({sha}):\n{log}")
