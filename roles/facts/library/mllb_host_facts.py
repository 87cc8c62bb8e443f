#!/usr/bin/python3
"""Ansible module: this host's facts for mllb-lab (kernel, CPU topology, NUMA nodes, distro).

A module rather than a script so that, with pipelining, it costs one SSH round trip (a script
costs four: temp dir, upload, run, clean up). Read-only: it reads /proc, /sys and
/etc/os-release, so it runs unchanged in check mode.
"""

DOCUMENTATION = r"""
module: mllb_host_facts
short_description: Kernel, CPU topology, NUMA nodes, distro and BTF facts for mllb-lab
description:
  - Returns C(report), a dict with schema, hostname, kernel, arch, cpus, cpus_online, sockets,
    cores_per_socket, threads_per_core, numa_nodes (id, cpus, cpu_count, memory_mib,
    distances), memory_mib, distro (id, version_id, pretty_name), python and btf.
options: {}
author: mllb-lab
"""

RETURN = r"""
report:
  description: The facts, as read from /proc, /sys and /etc/os-release.
  returned: always
  type: dict
"""

import glob  # noqa: E402 - Ansible modules put DOCUMENTATION first
import os  # noqa: E402
import platform  # noqa: E402
import socket  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

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
        base = f"/sys/devices/system/cpu/cpu{cpu}/topology/"
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
        nodes.append(
            {
                "id": int(os.path.basename(path)[4:]),
                "cpus": cpulist,
                "cpu_count": len(expand(cpulist)),
                "memory_mib": meminfo_mib(path + "/meminfo"),
                "distances": [int(d) for d in read(path + "/distance").split()],
            }
        )
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


def collect():
    online_list = read("/sys/devices/system/cpu/online") or f"0-{os.cpu_count() - 1}"
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
    return facts


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.exit_json(changed=False, report=collect())


if __name__ == "__main__":
    main()
