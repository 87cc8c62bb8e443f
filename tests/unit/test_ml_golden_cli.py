"""Acceptance: the real CLI, the real C library through ctypes, the paper's golden vector."""

from __future__ import annotations

from pathlib import Path

import pytest

from mllb_lab.cli import main

WEIGHTS = Path(__file__).parent / "data" / "mllb-original-weights.json"
GOLDEN = "1,0,0,0,1,0,0,0,0,0.008,0.009,0,0,0,0"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_c_fixed_prints_raw_2894(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "model", "run", str(WEIGHTS), "--input", GOLDEN, "--impl", "c-fixed")
    assert rc == 0
    assert out.strip() == "row 0: raw 2894 (1.41309) decision 1"


def test_c_float_prints_1_41490(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "model", "run", str(WEIGHTS), "--input", GOLDEN, "--impl", "c-float")
    assert rc == 0
    assert out.strip() == "row 0: 1.41490 decision 1"


def test_keras_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "model", "run", str(WEIGHTS), "--input", GOLDEN, "--impl", "keras")
    assert rc == 0
    assert out.strip() == "row 0: 1.41490 decision 1"


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--input", "1,2,3"], "--input"),
        (["--input", "1,0,0,0,1,0,0,0,0,x,0.009,0,0,0,0"], "--input"),
        (["--input", "1,0,0,0,1,0,0,0,0,nan,0.009,0,0,0,0"], "--input"),
        ([], "--input/--data"),
    ],
)
def test_bad_input_is_exit_2_naming_the_field(
    capsys: pytest.CaptureFixture[str], argv: list[str], field: str
) -> None:
    rc, _, err = run(capsys, "model", "run", str(WEIGHTS), *argv)
    assert rc == 2
    assert err.startswith(f"mllb-lab: error: {field}:")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_missing_model_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc, _, err = run(capsys, "model", "run", str(tmp_path / "nope"), "--input", GOLDEN)
    assert rc == 2 and "MODEL:" in err


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    rc, out, _ = run(
        capsys, "model", "run", str(WEIGHTS), "--input", GOLDEN, "--impl", "c-fixed", "--json"
    )
    doc = json.loads(out)
    assert rc == 0 and doc["rows"][0]["raw"] == 2894 and doc["threshold"] == 0.5
