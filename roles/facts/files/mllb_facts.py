#!/usr/bin/python3
"""Print this host's facts for mllb-lab as JSON: kernel, CPU topology, NUMA nodes, distro.

Read-only: only /proc, /sys and /etc/os-release are read. Runs on the target under its own
python3 (3.6+), so it uses nothing beyond the standard library.
"""

import glob
import json
import os
import platform
import socket

SCHEMA = 1


def read(path, default=""):
    try:
        with open(path) as fh:
            return fh.read().strip()
    except OSError:
        return default


def expand(cpulist):
    """'0-3,8' -> [0, 1, 2, 3, 8]"""
    cpus = []
    for part in cpulist.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-")
            cpus.extend(range(int(lo), int(hi) + 1))
        else:
            cpus.append(int(part))
    return cpus


def meminfo_mib(path):
    for line in read(path).splitlines():
        fields = line.split()
        if "MemTotal:" in fields:
            return int(fields[fields.index("MemTotal:") + 1]) // 1024
    return 0


def cpu_topology(online):
    packages, cores = set(), set()
    for cpu in online:
        base = "/sys/devices/system/cpu/cpu%d/topology/" % cpu
        package = read(base + "physical_package_id", "0")
        packages.add(package)
        cores.add((package, read(base + "die_id", "0"), read(base + "core_id", str(cpu))))
    sockets = max(len(packages), 1)
    return {
        "sockets": sockets,
        "cores_per_socket": max(len(cores) // sockets, 1),
        "threads_per_core": max(len(online) // max(len(cores), 1), 1),
    }


def numa_nodes():
    nodes = []
    for path in sorted(glob.glob("/sys/devices/system/node/node[0-9]*")):
        cpulist = read(path + "/cpulist")
        nodes.append({
            "id": int(os.path.basename(path)[4:]),
            "cpus": cpulist,
            "cpu_count": len(expand(cpulist)),
            "memory_mib": meminfo_mib(path + "/meminfo"),
            "distances": [int(d) for d in read(path + "/distance").split()],
        })
    return sorted(nodes, key=lambda node: node["id"])


def distro():
    info = {}
    for line in read("/etc/os-release").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            info[key] = value.strip('"')
    return {
        "id": info.get("ID", ""),
        "version_id": info.get("VERSION_ID", ""),
        "pretty_name": info.get("PRETTY_NAME", ""),
    }


def main():
    online_list = read("/sys/devices/system/cpu/online") or "0-%d" % (os.cpu_count() - 1)
    online = expand(online_list)
    facts = {
        "schema": SCHEMA,
        "hostname": socket.gethostname(),
        "kernel": platform.release(),
        "arch": platform.machine(),
        "cpus": len(online),
        "cpus_online": online_list,
        "numa_nodes": numa_nodes(),
        "memory_mib": meminfo_mib("/proc/meminfo"),
        "distro": distro(),
        "python": platform.python_version(),
        "btf": os.path.exists("/sys/kernel/btf/vmlinux"),
    }
    facts.update(cpu_topology(online))
    print(json.dumps(facts, sort_keys=True))


if __name__ == "__main__":
    main()
