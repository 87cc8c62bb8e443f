"""The generated C header compiles with the kernel's flag sets (no FPU for the Q21.11 part, SSE
for the float part) and computes bit-identical results to the ctypes library."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mllb_lab.cli import main
from mllb_lab.ml.cmlp import CModel, kmod_dir
from mllb_lab.ml.fixedpoint import input_to_fx
from mllb_lab.ml.weights import MlpWeights, load_weights

WEIGHTS = Path(__file__).parent / "data" / "mllb-original-weights.json"

RUN_FX = """#include "mllb_model.h"
s32 run_fx(const s32 *in) { return mllb_mlp_forward_fx(&mllb_model_fx, in); }
"""
RUN_F = """#include "mllb_model.h"
void run_f(const float *in, float *out) { mllb_mlp_forward_f(&mllb_model_f, in, out); }
"""
MAIN = """#include <stdio.h>
#include "mllb_model.h"
s32 run_fx(const s32 *in);
void run_f(const float *in, float *out);
int main(void) {
	float xf[MLLB_MODEL_N_IN], o;
	s32 xq[MLLB_MODEL_N_IN];
	for (;;) {
		for (int i = 0; i < MLLB_MODEL_N_IN; i++)
			if (scanf("%f %d", &xf[i], &xq[i]) != 2)
				return 0;
		run_f(xf, &o);
		printf("%d %a\\n", run_fx(xq), o);
	}
}
"""


def kernel_flags() -> tuple[list[str], list[str]]:
    out = subprocess.run(
        ["make", "-s", "-C", str(kmod_dir()), "print-flags"], capture_output=True, text=True
    ).stdout
    flags = dict(line.split(": ", 1) for line in out.splitlines())
    return shlex.split(flags["fx"]), shlex.split(flags["float"])


def build_program(header_dir: Path, work: Path) -> Path:
    fx_flags, f_flags = kernel_flags()
    inc = ["-I", str(kmod_dir()), "-I", str(header_dir)]
    (work / "run_fx.c").write_text(RUN_FX)
    (work / "run_f.c").write_text(RUN_F)
    (work / "main.c").write_text(MAIN)
    units = [
        (work / "run_fx.c", fx_flags),
        (kmod_dir() / "mllb_mlp_fx.c", fx_flags),
        (work / "run_f.c", f_flags),
        (kmod_dir() / "mllb_mlp_float.c", f_flags),
        (work / "main.c", ["-O2", "-Wall", "-Werror"]),
    ]
    objs = []
    for i, (src, flags) in enumerate(units):
        obj = work / f"u{i}.o"
        subprocess.run(["gcc", *flags, *inc, "-c", str(src), "-o", str(obj)], check=True)
        objs.append(str(obj))
    exe = work / "prog"
    subprocess.run(["gcc", *objs, "-o", str(exe)], check=True)
    return exe


def run_program(exe: Path, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xq = input_to_fx(x)
    lines = "\n".join(
        " ".join(f"{np.float32(f).item()!r} {q}" for f, q in zip(rf, rq, strict=True))
        for rf, rq in zip(x, xq, strict=True)
    )
    out = subprocess.run([str(exe)], input=lines, capture_output=True, text=True, check=True)
    rows = [line.split() for line in out.stdout.splitlines()]
    return (
        np.array([int(r[0]) for r in rows]),
        np.array([float.fromhex(r[1]) for r in rows], np.float32),
    )


def check_header_matches_library(
    w: MlpWeights, header_dir: Path, tmp: Path, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    exe = build_program(header_dir, tmp)
    raw, out = run_program(exe, x)
    model = CModel.from_weights(w)
    assert raw.tolist() == model.forward_fixed_from_float(x)[0].tolist()
    assert out.tobytes() == model.forward_float(x.astype(np.float32))[0].tobytes()
    return raw, out


def test_reference_header_golden(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    header = tmp_path / "inc" / "mllb_model.h"
    assert main(["export", str(WEIGHTS), "--format", "c", "--out", str(header)]) == 0
    capsys.readouterr()
    x = np.array([[1, 0, 0, 0, 1, 0, 0, 0, 0, 0.008, 0.009, 0, 0, 0, 0]])
    rng = np.random.default_rng(3)
    x = np.vstack([x, rng.integers(0, 2, (50, 15)) * rng.uniform(0.5, 3, (50, 15))])
    raw, out = check_header_matches_library(load_weights(WEIGHTS), header.parent, tmp_path, x)
    assert raw[0] == 2894 and round(float(out[0]), 5) == 1.41490


def test_logit_header_with_other_shape(tmp_path: Path) -> None:
    from mllb_lab.ml.export import export
    from mllb_lab.ml.modeldir import ModelRef

    rng = np.random.default_rng(11)
    w = MlpWeights(
        w1=rng.normal(size=(19, 12)),
        b1=rng.normal(size=12),
        w2=rng.normal(size=12),
        b2=0.1,
        features_order=[f"f{i}" for i in range(19)],
        threshold=0.0,
        output="logit",
        feature_set="extended",
    )
    header = tmp_path / "inc" / "mllb_model.h"
    export(ModelRef(w, None, tmp_path / "w.json"), "c", header)
    assert "MLLB_MODEL_OUTPUT_LOGIT" in header.read_text()
    check_header_matches_library(w, header.parent, tmp_path, rng.normal(size=(40, 19)))


def test_header_with_input_domain_clamps_like_the_library(tmp_path: Path) -> None:
    """A model with an input domain: the header carries .clamp/.lo/.hi in both forms and the
    compiled header computes what the library (loaded from a v2 blob) computes."""
    from mllb_lab.ml.domain import InputRange
    from mllb_lab.ml.export import export
    from mllb_lab.ml.modeldir import ModelRef

    rng = np.random.default_rng(12)
    w = load_weights(WEIGHTS)
    w.input_range = InputRange.from_rows(rng.uniform(0, 1.5, (200, 15)))
    header = tmp_path / "inc" / "mllb_model.h"
    export(ModelRef(w, None, tmp_path / "w.json"), "c", header)
    assert header.read_text().count(".clamp = 1") == 2
    x = rng.uniform(-4, 8, (60, 15))
    raw, _ = check_header_matches_library(w, header.parent, tmp_path, x)
    w.input_range = None
    assert raw.tolist() != CModel.from_weights(w).forward_fixed_from_float(x)[0].tolist()
