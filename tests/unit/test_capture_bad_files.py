"""Malformed capture files become a UserError naming the file, never a traceback."""

from __future__ import annotations

import pytest

from mllb_lab.capture.reader import read_capture
from mllb_lab.capture.writer import header_bytes, synthetic_records, write_capture
from mllb_lab.cli import main
from mllb_lab.errors import UserError


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match=r"capture file .*nope.bin: cannot be read"):
        read_capture(tmp_path / "nope.bin")


def test_short_file(tmp_path):
    path = tmp_path / "short.bin"
    path.write_bytes(b"MLLB")
    with pytest.raises(UserError, match=r"short.bin: is 4 bytes, shorter than the header"):
        read_capture(path)


def test_wrong_magic(tmp_path):
    path = tmp_path / "csv.bin"
    path.write_bytes(b"ts,pid\n" * 100)
    with pytest.raises(UserError, match=r"csv.bin: does not start with the MLLBDEC1 magic"):
        read_capture(path)


def test_newer_version(tmp_path):
    path = tmp_path / "v9.bin"
    path.write_bytes(header_bytes(0, version=9))
    with pytest.raises(UserError, match=r"v9.bin: has format version 9"):
        read_capture(path)


def test_record_size_mismatch(tmp_path):
    path = tmp_path / "rs.bin"
    path.write_bytes(header_bytes(0, record_size=152))
    with pytest.raises(UserError, match=r"rs.bin: record size 152"):
        read_capture(path)


def test_truncated_complete_file(tmp_path):
    path = write_capture(tmp_path / "t.bin", synthetic_records(10))
    path.write_bytes(path.read_bytes()[:-160])
    with pytest.raises(UserError, match=r"t.bin: holds 9 records but its header says 10"):
        read_capture(path)


def test_partial_record_in_complete_file(tmp_path):
    path = write_capture(tmp_path / "p.bin", synthetic_records(3))
    path.write_bytes(path.read_bytes() + b"\0" * 7)
    with pytest.raises(UserError, match=r"p.bin: ends with a partial record"):
        read_capture(path)


def test_cli_convert_bad_file_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "bad.bin"
    path.write_text("not a capture\n" * 30)
    rc = main(["capture-convert", str(path), "--out", str(tmp_path / "o.parquet")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "bad.bin" in err and "Traceback" not in err


def test_cli_capture_bad_duration(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MLLB_LAB_HOME", str(tmp_path))
    rc = main(["capture", "nolab", "--duration", "0", "--out", str(tmp_path / "o.parquet")])
    assert rc == 2
    assert "--duration" in capsys.readouterr().err


def test_cli_capture_unknown_lab(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MLLB_LAB_HOME", str(tmp_path))
    rc = main(["capture", "nolab", "--out", str(tmp_path / "o.parquet")])
    assert rc == 2
    assert "there is no lab named 'nolab'" in capsys.readouterr().err
