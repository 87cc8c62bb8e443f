"""One topology model for every backend: sockets x cores x threads, NUMA nodes, memory, distances.

Parsed from "SxCxT" (one NUMA node per socket) or from a lab file's `topology:` mapping (several
nodes per socket, node distances); rendered as QEMU arguments and libvirt XML; checked against
what the guest reports after boot (lscpu and /sys/devices/system/node).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from mllb_lab.errors import UserError

MAX_SOCKETS = 8
MAX_THREADS = 8
# q35's maximum vCPU count in QEMU 7.2.
MAX_VCPUS = 288
# Without an emulated IOMMU doing interrupt remapping, x2APIC IDs above 254 cannot be used.
MAX_APIC_ID = 254
LOCAL_DISTANCE = 10
REMOTE_DISTANCE = 20  # what Linux assumes when the firmware gives no SLIT
SPEC_RE = re.compile(r"^(\d+)x(\d+)x(\d+)$")


@dataclass(frozen=True)
class Topology:
    sockets: int
    cores: int  # per socket
    threads: int  # per core
    nodes_per_socket: int = 1
    distances: tuple[tuple[int, ...], ...] | None = None  # nodes x nodes, None = 10/20

    @property
    def vcpus(self) -> int:
        return self.sockets * self.cores * self.threads

    @property
    def nodes(self) -> int:
        return self.sockets * self.nodes_per_socket

    @property
    def spec(self) -> str:
        return f"{self.sockets}x{self.cores}x{self.threads}"

    def node_cpus(self, node: int) -> range:
        """vCPU indexes of a node: QEMU numbers socket-major, then core, then thread."""
        cores_per_node = self.cores // self.nodes_per_socket
        first_core = node * cores_per_node  # cores are numbered across sockets
        return range(first_core * self.threads, (first_core + cores_per_node) * self.threads)

    def distance_matrix(self) -> tuple[tuple[int, ...], ...]:
        if self.distances is not None:
            return self.distances
        n = self.nodes
        return tuple(
            tuple(LOCAL_DISTANCE if i == j else REMOTE_DISTANCE for j in range(n)) for i in range(n)
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["distances"] = [list(row) for row in self.distances] if self.distances else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "topology") -> Topology:
        """From a lab file's mapping; errors name the field path under `where`."""
        if not isinstance(data, dict):
            raise UserError(where, "must be a mapping with sockets, cores, threads")
        unknown = set(data) - {"sockets", "cores", "threads", "nodes_per_socket", "distances"}
        if unknown:
            raise UserError(f"{where}.{sorted(unknown)[0]}", "unknown field")
        values = {}
        for name in ("sockets", "cores", "threads", "nodes_per_socket"):
            value = data.get(name, 1 if name == "nodes_per_socket" else None)
            if not isinstance(value, int) or isinstance(value, bool):
                raise UserError(f"{where}.{name}", f"must be an integer, got {value!r}")
            values[name] = value
        distances = data.get("distances")
        if distances is not None:
            if not isinstance(distances, list) or not all(
                isinstance(row, list) and all(type(v) is int for v in row) for row in distances
            ):
                raise UserError(f"{where}.distances", "must be a list of lists of integers")
            distances = tuple(tuple(row) for row in distances)
        topo = cls(distances=distances, **values)
        topo.validate(where)
        return topo

    def validate(self, field: str = "--topology") -> Topology:
        """Every problem at once, as one UserError naming `field`."""
        problems = []
        for name, value in (("sockets", self.sockets), ("cores", self.cores)):
            if value < 1:
                problems.append(f"{name} must be at least 1")
        if not 1 <= self.threads <= MAX_THREADS:
            problems.append(f"threads must be 1 to {MAX_THREADS}")
        if self.sockets > MAX_SOCKETS:
            problems.append(f"{self.sockets} sockets is more than {MAX_SOCKETS}")
        if self.nodes_per_socket < 1 or (self.cores >= 1 and self.cores % self.nodes_per_socket):
            problems.append(f"nodes_per_socket must divide the {self.cores} cores of a socket")
        if self.vcpus > MAX_VCPUS:
            problems.append(f"{self.vcpus} vCPUs is more than QEMU's maximum of {MAX_VCPUS}")
        elif not problems and self.max_apic_id() > MAX_APIC_ID:
            problems.append(
                f"the highest APIC ID would be {self.max_apic_id()} (limit {MAX_APIC_ID}); "
                "use fewer sockets, cores or threads"
            )
        if self.distances is not None and not problems:
            problems += self._distance_problems()
        if problems:
            raise UserError(field, f"'{self.spec}': " + "; ".join(problems))
        return self

    def max_apic_id(self) -> int:
        """x86 packs thread, core and socket into APIC ID bit fields rounded up to powers of 2."""
        thread_bits = (self.threads - 1).bit_length()
        core_bits = (self.cores - 1).bit_length()
        return (
            ((self.sockets - 1) << (core_bits + thread_bits))
            | ((self.cores - 1) << thread_bits)
            | (self.threads - 1)
        )

    def _distance_problems(self) -> list[str]:
        rows = self.distances or ()
        n = self.nodes
        if len(rows) != n or any(len(row) != n for row in rows):
            return [f"distances must be a {n}x{n} matrix (one row and column per node)"]
        problems = []
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if i == j and value != LOCAL_DISTANCE:
                    problems.append(f"distances[{i}][{i}] must be {LOCAL_DISTANCE}")
                elif i != j and not LOCAL_DISTANCE < value <= 255:
                    problems.append(f"distances[{i}][{j}] must be 11 to 255")
        return problems


def parse(text: str, field: str = "--topology") -> Topology:
    """'2x14x2' -> Topology(2, 14, 2), validated."""
    match = SPEC_RE.match(text.strip().lower())
    if not match:
        raise UserError(
            field,
            f"'{text}' is not SOCKETSxCORESxTHREADS",
            "e.g. 2x14x2 for 2 sockets of 14 cores with 2 threads each",
        )
    sockets, cores, threads = (int(g) for g in match.groups())
    return Topology(sockets, cores, threads).validate(field)


def split_memory(topo: Topology, memory_mib: int) -> list[int]:
    """Total guest memory split evenly across NUMA nodes, in MiB."""
    return [memory_mib // topo.nodes] * topo.nodes


def _cpu_range(cpus: range) -> str:
    return f"{cpus.start}-{cpus.stop - 1}" if len(cpus) > 1 else str(cpus.start)


def qemu_args(topo: Topology, memory_mib: int) -> list[str]:
    """-m, -smp, one memory-backend-ram per node, -numa node/dist."""
    sizes = split_memory(topo, memory_mib)
    args = [
        "-m",
        f"{sum(sizes)}M",
        "-smp",
        f"{topo.vcpus},sockets={topo.sockets},cores={topo.cores},threads={topo.threads}",
    ]
    for node, size in enumerate(sizes):
        args += ["-object", f"memory-backend-ram,id=mem{node},size={size}M"]
        args += [
            "-numa",
            f"node,nodeid={node},cpus={_cpu_range(topo.node_cpus(node))},memdev=mem{node}",
        ]
    if topo.distances is not None:
        for i, row in enumerate(topo.distances):
            for j, value in enumerate(row):
                if i != j:
                    args += ["-numa", f"dist,src={i},dst={j},val={value}"]
    return args


def libvirt_topology_xml(topo: Topology) -> str:
    """The <topology/> element that goes inside libvirt's <cpu>."""
    return (
        f"<topology sockets='{topo.sockets}' dies='1' cores='{topo.cores}' "
        f"threads='{topo.threads}'/>"
    )


def libvirt_numa_xml(topo: Topology, memory_mib: int) -> str:
    """The <numa> element (cells with cpus, memory and distances) that goes inside <cpu>."""
    lines = ["<numa>"]
    matrix = topo.distance_matrix()
    for node, size in enumerate(split_memory(topo, memory_mib)):
        cpus = _cpu_range(topo.node_cpus(node))
        lines.append(f"  <cell id='{node}' cpus='{cpus}' memory='{size}' unit='MiB'>")
        lines.append("    <distances>")
        for other, value in enumerate(matrix[node]):
            lines.append(f"      <sibling id='{other}' value='{value}'/>")
        lines.append("    </distances>")
        lines.append("  </cell>")
    lines.append("</numa>")
    return "\n".join(lines)


# --- after boot: what the guest reports against what was asked --------------------------------

# One SSH round trip that dumps every node's cpulist, distances and memory.
NODE_DUMP_COMMAND = (
    "for d in /sys/devices/system/node/node[0-9]*; do "
    'echo "== ${d##*/node}"; echo "cpulist: $(cat $d/cpulist)"; '
    'echo "distance: $(cat $d/distance)"; grep MemTotal $d/meminfo; done'
)
# A node's MemTotal is below its configured size (kernel, page tables); below this share is wrong.
MIN_NODE_MEMORY_SHARE = 0.7


def parse_node_dump(text: str) -> dict[int, dict[str, str]]:
    """Output of NODE_DUMP_COMMAND -> {node: {"cpulist", "distance", "memtotal_kib"}}."""
    nodes: dict[int, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("== "):
            current = nodes.setdefault(int(line[3:]), {})
        elif line.startswith(("cpulist:", "distance:")):
            key, _, value = line.partition(":")
            current[key] = value.strip()
        elif "MemTotal:" in line:
            current["memtotal_kib"] = line.split("MemTotal:")[1].split()[0]
    return nodes


def _lscpu_fields(text: str) -> dict[str, str]:
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def _cpulist(text: str) -> list[int]:
    cpus: list[int] = []
    for part in text.split(","):
        if part.strip():
            first, _, last = part.strip().partition("-")
            cpus += range(int(first), int(last or first) + 1)
    return cpus


def verify(
    topo: Topology, memory_mib: int, lscpu_text: str, node_sysfs: dict[int, dict[str, str]]
) -> list[str]:
    """Mismatches between the topology asked for and what the guest reports; [] when equal."""
    mismatches = []
    fields = _lscpu_fields(lscpu_text)
    expected = {
        "CPU(s)": topo.vcpus,
        "Socket(s)": topo.sockets,
        "Core(s) per socket": topo.cores,
        "Thread(s) per core": topo.threads,
        "NUMA node(s)": topo.nodes,
    }
    for key, want in expected.items():
        got = fields.get(key)
        if got != str(want):
            mismatches.append(f"lscpu {key}: expected {want}, guest has {got or 'nothing'}")
    for node in range(topo.nodes):
        # lscpu writes two CPUs as "0,1" and more as "0-27": compare the CPUs, not the text
        got = fields.get(f"NUMA node{node} CPU(s)")
        if got is None or _cpulist(got) != list(topo.node_cpus(node)):
            mismatches.append(
                f"lscpu NUMA node{node} CPU(s): expected {_cpu_range(topo.node_cpus(node))}, "
                f"guest has {got or 'nothing'}"
            )
    if sorted(node_sysfs) != list(range(topo.nodes)):
        mismatches.append(
            f"/sys/devices/system/node: expected nodes 0-{topo.nodes - 1}, "
            f"guest has {sorted(node_sysfs)}"
        )
        return mismatches
    matrix = topo.distance_matrix()
    for node, size in enumerate(split_memory(topo, memory_mib)):
        info = node_sysfs[node]
        cpus = _cpulist(info.get("cpulist", ""))
        if cpus != list(topo.node_cpus(node)):
            mismatches.append(
                f"node{node} cpulist: expected {_cpu_range(topo.node_cpus(node))}, "
                f"guest has {info.get('cpulist')}"
            )
        distances = [int(v) for v in info.get("distance", "").split()]
        if distances != list(matrix[node]):
            mismatches.append(
                f"node{node} distance: expected {' '.join(map(str, matrix[node]))}, "
                f"guest has {info.get('distance')}"
            )
        mem_mib = int(info.get("memtotal_kib", "0")) // 1024
        if not size * MIN_NODE_MEMORY_SHARE <= mem_mib <= size:
            mismatches.append(f"node{node} memory: expected about {size} MiB, guest has {mem_mib}")
    return mismatches
