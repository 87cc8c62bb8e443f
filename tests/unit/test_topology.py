"""Topology: parsing, limits, QEMU/libvirt rendering, post-boot verification."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from mllb_lab.errors import UserError
from mllb_lab.topology import (
    Topology,
    libvirt_numa_xml,
    libvirt_topology_xml,
    parse,
    parse_node_dump,
    qemu_args,
    verify,
)

# What lscpu printed in a 2x14x2 guest (trimmed to the fields that matter).
LSCPU_2X14X2 = """\
Architecture:                    x86_64
CPU(s):                          56
On-line CPU(s) list:             0-55
Vendor ID:                       GenuineIntel
Thread(s) per core:              2
Core(s) per socket:              14
Socket(s):                       2
NUMA node(s):                    2
NUMA node0 CPU(s):               0-27
NUMA node1 CPU(s):               28-55
"""
NODES_2X14X2 = """\
== 0
cpulist: 0-27
distance: 10 20
Node 0 MemTotal:        1967344 kB
== 1
cpulist: 28-55
distance: 20 10
Node 1 MemTotal:        2031012 kB
"""


def test_parse_paper_topology() -> None:
    topo = parse("2x14x2")
    assert (topo.sockets, topo.cores, topo.threads, topo.vcpus, topo.nodes) == (2, 14, 2, 56, 2)
    assert list(topo.node_cpus(0)) == list(range(28))
    assert list(topo.node_cpus(1)) == list(range(28, 56))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("abc", "not SOCKETSxCORESxTHREADS"),
        ("2x14", "not SOCKETSxCORESxTHREADS"),
        ("2x0x2", "cores must be at least 1"),
        ("0x2x2", "sockets must be at least 1"),
        ("9x64x4", "9 sockets is more than 8"),
        ("2x14x9", "threads must be 1 to 8"),
        ("4x33x2", "the highest APIC ID"),
    ],
)
def test_bad_topologies_name_the_flag(text: str, words: str) -> None:
    with pytest.raises(UserError) as err:
        parse(text)
    assert err.value.field == "--topology"
    assert words in str(err.value)


def test_all_problems_in_one_message() -> None:
    with pytest.raises(UserError) as err:
        parse("9x64x4")
    assert "2304 vCPUs is more than QEMU's maximum of 288" in str(err.value)


def test_qemu_args_for_paper_topology() -> None:
    args = qemu_args(parse("2x14x2"), 4096)
    text = " ".join(args)
    assert "-smp 56,sockets=2,cores=14,threads=2" in text
    assert "-m 4096M" in text
    assert "memory-backend-ram,id=mem0,size=2048M" in text
    assert "node,nodeid=0,cpus=0-27,memdev=mem0" in text
    assert "node,nodeid=1,cpus=28-55,memdev=mem1" in text
    assert "dist" not in text  # QEMU's default SLIT-less 10/20 unless distances are given


def test_several_nodes_per_socket_and_distances_from_lab_file() -> None:
    topo = Topology.from_dict(
        {
            "sockets": 2,
            "cores": 4,
            "threads": 2,
            "nodes_per_socket": 2,
            "distances": [[10, 12, 20, 20], [12, 10, 20, 20], [20, 20, 10, 12], [20, 20, 12, 10]],
        }
    )
    assert topo.nodes == 4
    assert [list(topo.node_cpus(n)) for n in range(4)] == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9, 10, 11],
        [12, 13, 14, 15],
    ]
    text = " ".join(qemu_args(topo, 4096))
    assert "node,nodeid=3,cpus=12-15,memdev=mem3" in text
    assert "size=1024M" in text
    assert "dist,src=0,dst=1,val=12" in text
    assert "dist,src=3,dst=0,val=20" in text
    assert Topology.from_dict(topo.to_dict()) == topo


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"sockets": 2, "cores": 3, "threads": 1, "nodes_per_socket": 2}, "lab.topology"),
        ({"sockets": 2, "cores": "x", "threads": 1}, "lab.topology.cores"),
        ({"sockets": 2, "cores": 2, "threads": 1, "numa": 1}, "lab.topology.numa"),
        ({"sockets": 2, "cores": 2, "threads": 1, "distances": [[10, 20]]}, "lab.topology"),
        ({"sockets": 2, "cores": 2, "threads": 1, "distances": [[10, 5], [5, 10]]}, "lab.topology"),
        ({"sockets": 2, "cores": 2, "threads": 1, "distances": "near"}, "lab.topology.distances"),
    ],
)
def test_lab_file_errors_name_the_field(data: dict, field: str) -> None:
    with pytest.raises(UserError) as err:
        Topology.from_dict(data, where="lab.topology")
    assert err.value.field == field


def test_libvirt_xml_fragments_parse_and_match() -> None:
    topo = parse("4x2x1")
    topology = ET.fromstring(libvirt_topology_xml(topo))
    assert topology.attrib == {"sockets": "4", "dies": "1", "cores": "2", "threads": "1"}
    numa = ET.fromstring(libvirt_numa_xml(topo, 4096))
    cells = numa.findall("cell")
    assert [c.get("cpus") for c in cells] == ["0-1", "2-3", "4-5", "6-7"]
    assert {c.get("memory") for c in cells} == {"1024"}
    siblings = cells[2].findall("distances/sibling")
    assert [s.get("value") for s in siblings] == ["20", "20", "10", "20"]


def test_verify_accepts_a_matching_guest() -> None:
    topo = parse("2x14x2")
    assert verify(topo, 4096, LSCPU_2X14X2, parse_node_dump(NODES_2X14X2)) == []


def test_verify_reports_every_mismatch() -> None:
    topo = parse("2x14x2")
    # What plain `-cpu max` (AMD) gives: 28 cores x 1 thread.
    lscpu = LSCPU_2X14X2.replace("Thread(s) per core:              2", "Thread(s) per core: 1")
    lscpu = lscpu.replace("Core(s) per socket:              14", "Core(s) per socket: 28")
    nodes = parse_node_dump(
        NODES_2X14X2.replace("Node 1 MemTotal:        2031012", "Node 1 MemTotal: 512000")
    )
    found = verify(topo, 4096, lscpu, nodes)
    assert "lscpu Thread(s) per core: expected 2, guest has 1" in found
    assert "lscpu Core(s) per socket: expected 14, guest has 28" in found
    assert "node1 memory: expected about 2048 MiB, guest has 500" in found
    assert len(found) == 3


def test_verify_reads_lscpu_cpu_lists_as_lists() -> None:
    """lscpu prints a two-CPU node as '0,1', not '0-1' (seen in a real 4x2x1 guest)."""
    topo = parse("2x1x2")
    lscpu = (
        "CPU(s): 4\nThread(s) per core: 2\nCore(s) per socket: 1\nSocket(s): 2\n"
        "NUMA node(s): 2\nNUMA node0 CPU(s): 0,1\nNUMA node1 CPU(s): 2,3\n"
    )
    nodes = {
        0: {"cpulist": "0-1", "distance": "10 20", "memtotal_kib": "900000"},
        1: {"cpulist": "2-3", "distance": "20 10", "memtotal_kib": "1000000"},
    }
    assert verify(topo, 2048, lscpu, nodes) == []
    wrong = lscpu.replace("NUMA node1 CPU(s): 2,3", "NUMA node1 CPU(s): 2")
    assert verify(topo, 2048, wrong, nodes) == [
        "lscpu NUMA node1 CPU(s): expected 2-3, guest has 2"
    ]


def test_verify_reports_missing_numa_nodes() -> None:
    topo = parse("4x2x1")
    found = verify(topo, 4096, "CPU(s): 8\nNUMA node(s): 1\n", {0: {"cpulist": "0-7"}})
    assert any("NUMA node(s): expected 4, guest has 1" in m for m in found)
    assert any("expected nodes 0-3, guest has [0]" in m for m in found)
