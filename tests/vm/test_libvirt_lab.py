"""Real libvirt guests: libvirtd and virtlogd started by the test (no init system here), the
paper's 2x14x2 as a transient domain, and `down` leaving nothing behind.

More than two NUMA cells are not booted here: the libvirt XML for 4 sockets is checked in
tests/unit/test_topology.py, and a 4-node guest booting next to another lab is
tests/vm/test_qemu_lab.py's (each extra TCG boot costs about a minute)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator

import pytest

from mllb_lab.lab import libvirtd
from mllb_lab.lab.backends.libvirt import DEFAULT_URI
from mllb_lab.lab.ports import listening

Cli = Callable[..., subprocess.CompletedProcess[str]]


def lscpu(mllb: Cli, lab: str) -> dict[str, str]:
    out = mllb("ssh", lab, "--", "LC_ALL=C", "lscpu").stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def domains() -> list[str]:
    out = subprocess.run(
        ["virsh", "-c", DEFAULT_URI, "list", "--all", "--name"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.split() if line]


@pytest.fixture(scope="module")
def daemons() -> Iterator[None]:
    started = libvirtd.start()
    yield
    libvirtd.stop(started)


@pytest.fixture(scope="module")
def paper(daemons: None, mllb: Cli) -> Iterator[dict]:
    proc = mllb("up", "--topology", "2x14x2", "--backend", "libvirt", "--name", "lvpaper", "--json")
    assert proc.returncode == 0, proc.stderr
    yield json.loads(proc.stdout)
    mllb("down", "lvpaper")


def test_paper_topology_under_libvirt(paper: dict, mllb: Cli) -> None:
    assert (paper["backend"], paper["status"], paper["vcpus"]) == ("libvirt", "running", 56)
    assert "mllb-lvpaper" in domains()
    fields = lscpu(mllb, "lvpaper")
    assert fields["Vendor ID"] == "GenuineIntel"
    assert (fields["Socket(s)"], fields["Core(s) per socket"], fields["Thread(s) per core"]) == (
        "2",
        "14",
        "2",
    )
    assert fields["NUMA node(s)"] == "2"
    assert (fields["NUMA node0 CPU(s)"], fields["NUMA node1 CPU(s)"]) == ("0-27", "28-55")
    numactl = mllb("ssh", "lvpaper", "--", "numactl", "-H").stdout
    assert "available: 2 nodes (0-1)" in numactl
    assert "node 1 cpus: " + " ".join(map(str, range(28, 56))) in numactl


def test_down_removes_the_domain_and_its_port(paper: dict, mllb: Cli) -> None:
    port = int(paper["ssh"].rsplit(":", 1)[1])
    assert listening(port)
    proc = mllb("down", "lvpaper")
    assert proc.returncode == 0, proc.stderr
    assert "mllb-lvpaper" not in domains()
    assert not listening(port)
    qemus = subprocess.run(["pgrep", "-f", "guest=mllb-lvpaper"], capture_output=True)
    assert qemus.stdout == b""
    rows = {r["name"]: r for r in json.loads(mllb("status", "--json").stdout)}
    assert rows["lvpaper"]["status"] == "stopped"
