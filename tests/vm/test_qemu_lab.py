"""Real QEMU guests under TCG: the paper's 2x14x2 topology end to end, a 4-node lab beside it,
and failed `up`s that must clean up after themselves.

One 2x14x2 boot serves the whole module (each boot costs ~1.5 min on 2 cores).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mllb_lab.lab import ssh
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.ports import listening

Cli = Callable[..., subprocess.CompletedProcess[str]]


def lscpu_fields(text: str) -> dict[str, str]:
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}


def gone(pid: int) -> bool:
    """No such process, or only a zombie: where PID 1 does not reap orphans (as on the
    firecracker-init hosts here) a daemonized QEMU that exited stays <defunct> but holds nothing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(") ", 1)[-1].startswith("Z")


def one_error_line(stderr: str) -> str:
    """Progress lines may precede it; the error itself is one line, with no traceback."""
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("mllb-lab: error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def with_env(env: dict, fn: Callable):
    """Run `fn` with this session's MLLB_LAB_HOME (for in-process state reads)."""
    old = os.environ.get("MLLB_LAB_HOME")
    os.environ["MLLB_LAB_HOME"] = env["MLLB_LAB_HOME"]
    try:
        return fn()
    finally:
        if old is None:
            del os.environ["MLLB_LAB_HOME"]
        else:
            os.environ["MLLB_LAB_HOME"] = old


def status_row(mllb: Cli, name: str) -> dict:
    """The lab's row of `status --json` (other test modules' labs share the lab home)."""
    rows = {row["name"]: row for row in json.loads(mllb("status", "--json").stdout)}
    return rows[name]


@pytest.fixture(scope="module")
def paper(mllb: Cli) -> dict:
    proc = mllb("up", "--topology", "2x14x2", "--name", "paper", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_up_reports_the_running_lab(paper: dict) -> None:
    assert paper["status"] == "running"
    assert (paper["topology"], paper["nodes"], paper["vcpus"]) == ("2x14x2", 2, 56)
    assert paper["memory_mib"] == 4096
    assert paper["accel"] in ("tcg", "kvm")


def test_lscpu_shows_the_paper_topology(paper: dict, mllb: Cli) -> None:
    proc = mllb("ssh", "paper", "--", "LC_ALL=C", "lscpu")
    assert proc.returncode == 0, proc.stderr
    fields = lscpu_fields(proc.stdout)
    assert fields["Socket(s)"] == "2"
    assert fields["Core(s) per socket"] == "14"
    assert fields["Thread(s) per core"] == "2"
    assert fields["NUMA node(s)"] == "2"
    assert fields["NUMA node0 CPU(s)"] == "0-27"
    assert fields["NUMA node1 CPU(s)"] == "28-55"


def test_numactl_agrees(paper: dict, mllb: Cli) -> None:
    proc = mllb("ssh", "paper", "--", "numactl", "-H")
    assert proc.returncode == 0, proc.stderr
    assert "available: 2 nodes (0-1)" in proc.stdout
    assert "node 0 cpus: " + " ".join(map(str, range(28))) in proc.stdout
    assert "node 1 cpus: " + " ".join(map(str, range(28, 56))) in proc.stdout
    assert re.search(r"^\s*0:\s+10\s+20\s*$", proc.stdout, re.M)
    assert re.search(r"^\s*1:\s+20\s+10\s*$", proc.stdout, re.M)


def test_guest_holds_the_pinned_host_key(paper: dict, mllb: Cli, labs_dir: Path) -> None:
    pinned_line = (labs_dir / "paper" / "known_hosts").read_text().split()
    assert pinned_line[0] == "paper"
    proc = mllb("ssh", "paper", "--", "cat", "/etc/ssh/ssh_host_ed25519_key.pub", "/etc/hostname")
    assert proc.stdout.split()[:2] == pinned_line[1:3]
    assert proc.stdout.split()[-1] == "paper"


def test_status_lists_it(paper: dict, mllb: Cli) -> None:
    rows = json.loads(mllb("status", "--json").stdout)
    assert [(r["name"], r["status"], r["ssh"]) for r in rows if r["name"] == "paper"] == [
        ("paper", "running", paper["ssh"])
    ]


def test_up_again_is_a_no_op(paper: dict, mllb: Cli) -> None:
    proc = mllb("up", "--topology", "2x14x2", "--name", "paper")
    assert proc.returncode == 0, proc.stderr
    assert "already running" in proc.stdout
    assert status_row(mllb, "paper")["pid"] == paper["pid"]


def test_name_in_use_by_another_topology(paper: dict, mllb: Cli) -> None:
    proc = mllb("up", "--topology", "2x2x2", "--name", "paper")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "mllb-lab: error: --name: lab 'paper' is already running (qemu, 2x14x2, 4096 MiB) "
        "(choose another --name or run 'mllb-lab down paper' first)"
    ]


def test_four_sockets_beside_it(paper: dict, mllb: Cli, labs_dir: Path) -> None:
    proc = mllb("up", "--topology", "4x2x1", "--name", "quad", "--json")
    assert proc.returncode == 0, proc.stderr
    quad = json.loads(proc.stdout)
    assert quad["ssh"] != paper["ssh"]
    fields = lscpu_fields(mllb("ssh", "quad", "--", "LC_ALL=C", "lscpu").stdout)
    assert (fields["Socket(s)"], fields["NUMA node(s)"]) == ("4", "4")
    assert [fields[f"NUMA node{n} CPU(s)"] for n in range(4)] == ["0,1", "2,3", "4,5", "6,7"]
    assert mllb("ssh", "paper", "--", "true").returncode == 0  # the first lab is untouched
    assert mllb("down", "quad").returncode == 0


def test_down_leaves_no_process_port_or_temporary_file(
    paper: dict, mllb: Cli, lab_env: dict, labs_dir: Path
) -> None:
    state = with_env(lab_env, lambda: lab_state.load("paper"))
    port = state.hosts[0].port
    master = with_env(lab_env, lambda: ssh.ssh_argv(state))
    proc = mllb("down", "paper")
    assert proc.returncode == 0, proc.stderr
    assert gone(state.pid)
    assert not listening(port)
    for key in ("overlay", "seed", "qmp", "pidfile"):
        assert not Path(state.files[key]).exists(), key
    check = subprocess.run([*master[:-1], "-O", "check", master[-1]], capture_output=True)
    assert check.returncode != 0  # no shared SSH connection left
    left = sorted(p.name for p in (labs_dir / "paper").iterdir())
    assert set(left) <= {
        "ansible",
        "inventory.yml",
        "keys",
        "known_hosts",
        "qemu.log",
        "serial.log",
        "state.json",
    }, left
    again = mllb("down", "paper")
    assert (again.returncode, again.stdout.strip()) == (0, "lab 'paper' is stopped")
    assert status_row(mllb, "paper")["status"] == "stopped"


def test_failed_start_removes_the_lab_and_keeps_the_log(
    mllb: Cli, labs_dir: Path, tmp_path: Path
) -> None:
    bogus = tmp_path / "bzImage"
    bogus.write_bytes(b"not a kernel" * 100)
    proc = mllb("up", "--topology", "1x1x1", "--name", "badkernel", "--kernel", str(bogus))
    assert proc.returncode == 3
    assert "qemu failed to start" in one_error_line(proc.stderr)
    assert not (labs_dir / "badkernel").exists()
    kept = re.search(r"\(log: (\S+)\)", proc.stderr)
    assert kept and Path(kept.group(1)).is_file()
    assert "badkernel" in kept.group(1)


def test_boot_timeout_stops_the_guest_and_cleans_up(mllb: Cli, labs_dir: Path) -> None:
    proc = mllb("up", "--topology", "1x2x1", "--name", "slow", "--boot-timeout", "3")
    assert proc.returncode == 3
    assert "no SSH login to lab 'slow' within 3s" in one_error_line(proc.stderr)
    assert not (labs_dir / "slow").exists()
    kept = re.search(r"\(log: (\S+)\)", proc.stderr)
    assert kept and Path(kept.group(1)).name == "serial.log"
    qemus = subprocess.run(["pgrep", "-f", "process=mllb-slow"], capture_output=True)
    assert qemus.stdout == b""
