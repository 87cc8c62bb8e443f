"""mllb-schedlat builds on the controller (real clang, bpftool, static link) into the BPF tools'
content-keyed cache, and refuses bad arguments with one line and exit 2. Loading BPF is not
possible on this host (no fentry, machine-facts), so what the tool measures is checked in a
guest: tests/vm/test_schedlat_guest.py."""

from __future__ import annotations

import subprocess

import pytest

from mllb_lab.benchmetrics.schedlat_build import ensure_schedlat
from mllb_lab.capture import build


@pytest.fixture
def schedlat(tmp_path, monkeypatch):
    monkeypatch.setenv("MLLB_CACHE_HOME", str(tmp_path))
    return ensure_schedlat()


def run(binary, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=60)


def test_built_static_next_to_the_tracer_and_cached(schedlat, tmp_path):
    assert schedlat.parent == tmp_path / "tracer" / build.build_key()
    assert schedlat.name == "mllb-schedlat"
    assert (schedlat.parent / "mllb-tracer").is_file()  # one make, one folder
    elf = subprocess.run(["readelf", "-l", str(schedlat)], capture_output=True, text=True)
    assert "INTERP" not in elf.stdout  # static: the guest needs no libbpf
    mtime = schedlat.stat().st_mtime_ns
    assert ensure_schedlat() == schedlat and schedlat.stat().st_mtime_ns == mtime
    assert build.build_tracer().parent == schedlat.parent


def test_key_covers_the_schedlat_sources(tmp_path):
    src = tmp_path / "bpf"
    src.mkdir()
    for name in build.SOURCES:
        (src / name).write_bytes((build.bpf_dir() / name).read_bytes())
    before = build.build_key(src)
    (src / "mllb_runqlen.bpf.c").write_text((src / "mllb_runqlen.bpf.c").read_text() + "\n")
    assert build.build_key(src) != before


def test_help_goes_to_stdout(schedlat):
    proc = run(schedlat, "--help")
    assert proc.returncode == 0 and proc.stdout.startswith("usage: mllb-schedlat --out")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "--out FILE.json is required"),
        (("--out",), "--out needs a value"),
        (("--out", "x.json", "--duration", "-1"), "--duration"),
        (("--out", "x.json", "--duration", "soon"), "--duration"),
        (("--out", "x.json", "--runqlen-hz", "1e3"), "--runqlen-hz"),
        (("--out", "x.json", "--runqlen-hz", "20000"), "--runqlen-hz"),
        (("--out", "x.json", "--funcs", "a,,b"), "--funcs"),
        (("--out", "x.json", "--funcs", "a;rm"), "--funcs"),
        (("--out", "x.json", "--funcs", "load_balance,load_balance"), "given twice"),
        (("--out", "x.json", "--funcs", "", "--runqlen-hz", "0"), "nothing to measure"),
        (("--out", "x.json", "--bogus"), "unknown option '--bogus'"),
        (("--out", "x.json", "extra"), "unexpected argument 'extra'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(schedlat, tmp_path, args, says):
    proc = run(schedlat, *args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and says in proc.stderr
    assert proc.stderr.startswith("mllb-schedlat: ") and proc.stdout == ""
    assert not (tmp_path / "x.json").exists()


def test_nothing_attachable_is_exit_3_with_one_line(schedlat, tmp_path):
    # Measured on the real kernel of whatever runs the test: a function that exists nowhere
    # and no sampler leaves nothing to attach, here and in any guest.
    out = tmp_path / "o.json"
    proc = run(schedlat, "--out", str(out), "--funcs", "no_such_function_xyz", "--runqlen-hz", "0")
    assert proc.returncode == 3 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "nothing attachable" in proc.stderr
    assert "no_such_function_xyz: not a function in the kernel's BTF" in proc.stderr
    assert not out.exists()
