"""Host facts (kernel, CPU topology, NUMA nodes, distro, BTF) gathered by the facts role.

The role writes a JSON report on each host and fetches it (checksum-verified) into the run's
folder; this module reads those reports, checks their shape, and stores them in the lab state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mllb_lab.ansible import RunResult, run_playbook
from mllb_lab.errors import LabError
from mllb_lab.inventory import write_lab_inventory
from mllb_lab.lab.state import LabState, save
from mllb_lab.progress import Progress

FACTS_PLAYBOOK = "facts.yml"
SCHEMA = 1
# Report field -> type it must have; the collector is roles/facts/files/mllb_facts.py.
REQUIRED: dict[str, type | tuple[type, ...]] = {
    "schema": int,
    "kernel": str,
    "arch": str,
    "cpus": int,
    "sockets": int,
    "cores_per_socket": int,
    "threads_per_core": int,
    "numa_nodes": list,
    "memory_mib": int,
    "distro": dict,
    "python": str,
    "btf": bool,
}


def gather(state: LabState, progress: Progress | None = None) -> dict[str, dict[str, Any]]:
    """Run playbooks/facts.yml on the lab's hosts; store and return {host: facts}."""
    inventory = write_lab_inventory(state)
    progress = progress or Progress(quiet=True)
    with progress.step(f"gathering facts from {len(state.hosts)} host(s)"):
        result = run_playbook(FACTS_PLAYBOOK, inventory, lab=state.name, progress=progress)
    facts = {host.name: read_report(result, host.name) for host in state.hosts}
    state.facts.update(facts)
    save(state)
    return facts


def report_path(result: RunResult, host: str) -> Path:
    return result.fetch_dir / "facts" / f"{host}.json"


def read_report(result: RunResult, host: str) -> dict[str, Any]:
    path = report_path(result, host)
    if not path.is_file():
        raise LabError(f"no facts came back from {host} (expected {path})", log=result.stdout)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise LabError(f"facts from {host} are not JSON: {exc}", log=path) from None
    check_report(data, host, path)
    return data


def check_report(data: Any, host: str, path: Path) -> None:
    if not isinstance(data, dict):
        raise LabError(f"facts from {host} are not a JSON object", log=path)
    for key, kind in REQUIRED.items():
        if not isinstance(data.get(key), kind):
            raise LabError(f"facts from {host}: '{key}' missing or not {kind}", log=path)
    if data["schema"] != SCHEMA:
        raise LabError(f"facts from {host}: schema {data['schema']}, expected {SCHEMA}", log=path)


def topology_of(host_facts: dict[str, Any]) -> str:
    """'SOCKETSxCORESxTHREADS' as the host reports it, comparable with --topology."""
    return (
        f"{host_facts['sockets']}x{host_facts['cores_per_socket']}x{host_facts['threads_per_core']}"
    )
