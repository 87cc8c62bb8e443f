"""The tracer builds on the controller (real clang, bpftool, static link) into a cache folder
keyed by its sources; an unchanged tree reuses the binary."""

from __future__ import annotations

import json
import subprocess

from mllb_lab.capture import build


def test_build_is_static_cached_and_keyed(tmp_path, monkeypatch):
    monkeypatch.setenv("MLLB_CACHE_HOME", str(tmp_path))
    binary = build.build_tracer()
    assert binary.parent == tmp_path / "tracer" / build.build_key()
    assert (binary.parent / "mllb_decisions.bpf.o").is_file()
    # statically linked: no program interpreter, so any target distro can run it
    elf = subprocess.run(["readelf", "-l", str(binary)], capture_output=True, text=True).stdout
    assert "INTERP" not in elf
    mtime = binary.stat().st_mtime_ns
    assert build.build_tracer() == binary and binary.stat().st_mtime_ns == mtime


def test_key_changes_with_sources(tmp_path, monkeypatch):
    src = tmp_path / "bpf"
    src.mkdir()
    for name in build.SOURCES:
        (src / name).write_bytes((build.bpf_dir() / name).read_bytes())
    before = build.build_key(src)
    (src / "mllb_kernel.h").write_text((src / "mllb_kernel.h").read_text() + "\n")
    assert build.build_key(src) != before


def test_tracer_refuses_bad_options_and_reports_errors_as_json(tmp_path, monkeypatch):
    monkeypatch.setenv("MLLB_CACHE_HOME", str(tmp_path))
    binary = build.build_tracer()
    bad = subprocess.run([str(binary), "--out", "x", "--ring-mb", "3"], capture_output=True)
    assert bad.returncode == 2 and b"power of two" in bad.stderr
    # Where the kernel refuses fexit (this host) or lacks can_migrate_task, the tracer still
    # ends with a JSON summary whose error says why; where it attaches, it records for 1 s.
    out = tmp_path / "o.bin"
    run = subprocess.run(
        [str(binary), "--out", str(out), "--duration", "1"], capture_output=True, text=True
    )
    summary = json.loads(run.stdout)
    assert summary["attach"] == "fexit"
    assert (run.returncode == 0) == (summary["error"] is None)
    if run.returncode == 0:
        assert summary["complete"] is True
