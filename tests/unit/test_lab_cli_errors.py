"""Bad `up`/`down`/`ssh` input: one line on stderr, exit 2 (3 for a missing QEMU), nothing created.

These run the real CLI in a subprocess; none of them needs to boot a guest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mllb_lab.lab.accel import kvm_problem


def mllb(args: list[str], lab_home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ, MLLB_LAB_HOME=str(lab_home), **env)
    return subprocess.run(
        [sys.executable, "-m", "mllb_lab", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert words in lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--topology", "2x0x2"], "--topology: '2x0x2': cores must be at least 1"),
        (["--topology", "abc"], "--topology: 'abc' is not SOCKETSxCORESxTHREADS"),
        (["--topology", "2x14"], "--topology: '2x14' is not SOCKETSxCORESxTHREADS"),
        (["--topology", "9x64x4"], "9 sockets is more than 8"),
        (["--topology", "2x14x2", "--backend", "xen"], "--backend: unknown backend 'xen'"),
        (["--topology", "2x14x2", "--memory", "100T"], "--memory"),
        (["--topology", "2x14x2", "--memory", "999999G"], "more than the host's"),
        (["--topology", "2x14x2", "--name", "Bad_Name"], "--name: 'Bad_Name'"),
        (["--topology", "2x14x2", "--kernel", "replace-fxdpt"], "--kernel: kernel variant"),
        (["--topology", "2x14x2", "--accel", "hvf"], "--accel: 'hvf' is not one of"),
        (
            ["--topology", "2x2x2", "--backend", "libvirt", "--accel", "tcg-single"],
            "--accel: the libvirt backend cannot run a guest with tcg-single",
        ),
        (["--topology", "missing-lab.yml"], "--topology: cannot read lab file"),
    ],
)
def test_bad_up_input(tmp_path: Path, args: list[str], words: str) -> None:
    proc = mllb(["up", *args], tmp_path / "labs")
    assert_one_line_error(proc, 2, words)
    assert not (tmp_path / "labs").exists()


def test_lab_file_error_names_the_field_path(tmp_path: Path) -> None:
    lab_file = tmp_path / "lab.yml"
    lab_file.write_text(
        "topology:\n  sockets: 2\n  cores: 4\n  threads: 2\n  nodes_per_socket: 3\n"
    )
    proc = mllb(["up", "--topology", str(lab_file)], tmp_path / "labs")
    assert_one_line_error(proc, 2, f"{lab_file}: topology: '2x4x2': nodes_per_socket must divide")


def test_missing_qemu_binary_is_an_infrastructure_error(tmp_path: Path) -> None:
    proc = mllb(["up", "--topology", "2x2x2"], tmp_path / "labs", MLLB_QEMU="qemu-nowhere")
    assert_one_line_error(proc, 3, "QEMU binary 'qemu-nowhere' not found")
    assert not (tmp_path / "labs").exists()


def test_json_errors_are_also_json_on_stdout(tmp_path: Path) -> None:
    proc = mllb(["up", "--topology", "abc", "--json"], tmp_path / "labs")
    assert proc.returncode == 2
    assert '"error": "UserError"' in proc.stdout


def test_kvm_where_it_is_unusable(tmp_path: Path) -> None:
    problem = kvm_problem()
    if problem is None:
        pytest.skip("this host has working hardware KVM; the refusal cannot happen here")
    proc = mllb(["up", "--topology", "2x2x2", "--accel", "kvm"], tmp_path / "labs")
    assert_one_line_error(proc, 2, f"--accel: KVM is not usable here: {problem}")
    assert not (tmp_path / "labs").exists()


def test_dry_run_prints_the_command_and_creates_nothing(tmp_path: Path) -> None:
    proc = mllb(["up", "--topology", "2x14x2", "--dry-run", "--accel", "tcg"], tmp_path / "labs")
    assert proc.returncode == 0, proc.stderr
    assert "-smp 56,sockets=2,cores=14,threads=2" in proc.stdout
    assert "-cpu max,vendor=GenuineIntel" in proc.stdout
    assert not (tmp_path / "labs").exists()


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["down", "nolab"], 2, "NAME: there is no lab named 'nolab'"),
        (["down"], 2, "give a lab name or --all"),
        (["ssh", "nolab", "--", "true"], 2, "NAME: there is no lab named 'nolab'"),
    ],
)
def test_bad_down_and_ssh_input(tmp_path: Path, args: list[str], code: int, words: str) -> None:
    assert_one_line_error(mllb(args, tmp_path / "labs"), code, words)


def test_down_all_and_status_with_no_labs(tmp_path: Path) -> None:
    assert mllb(["down", "--all"], tmp_path / "labs").returncode == 0
    proc = mllb(["status", "--json"], tmp_path / "labs")
    assert (proc.returncode, proc.stdout.strip()) == (0, "[]")
