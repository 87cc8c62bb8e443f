"""Guest memory: parse --memory, a default scaled to the NUMA nodes, host and QEMU limits."""

from __future__ import annotations

import re
from pathlib import Path

from mllb_lab.errors import UserError
from mllb_lab.topology import Topology

DEFAULT_PER_NODE_MIB = 2048  # 4G for the paper's 2 nodes
MIN_PER_NODE_MIB = 256
SIZE_RE = re.compile(r"^(\d+)\s*([mg]?)(?:i?b)?$", re.IGNORECASE)


def parse_size_mib(text: str, field: str = "--memory") -> int:
    """'4G' / '4096M' / '4096' (MiB) -> MiB."""
    match = SIZE_RE.match(text.strip())
    if not match:
        raise UserError(field, f"'{text}' is not a size", "e.g. 4G or 4096M")
    number, unit = int(match.group(1)), match.group(2).lower()
    return number * 1024 if unit == "g" else number


def host_available_mib(meminfo: Path = Path("/proc/meminfo")) -> int:
    for line in meminfo.read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    raise OSError(f"no MemAvailable in {meminfo}")


def guest_memory_mib(topo: Topology, text: str | None, available_mib: int | None = None) -> int:
    """Total guest memory in MiB, a whole number of MiB per node, checked against the host."""
    total = parse_size_mib(text) if text else DEFAULT_PER_NODE_MIB * topo.nodes
    per_node = total // topo.nodes
    if per_node < MIN_PER_NODE_MIB:
        raise UserError(
            "--memory",
            f"{total} MiB over {topo.nodes} NUMA nodes is {per_node} MiB per node",
            f"give at least {MIN_PER_NODE_MIB * topo.nodes}M",
        )
    total = per_node * topo.nodes
    available = host_available_mib() if available_mib is None else available_mib
    if total > available:
        raise UserError(
            "--memory",
            f"{total} MiB for {topo.spec} is more than the host's {available} MiB available",
            "give a smaller --memory or a smaller --topology",
        )
    return total
