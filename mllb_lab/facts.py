"""Host facts (kernel, CPU topology, NUMA nodes, distro, BTF) gathered by the facts role.

The role's collector returns one JSON report per host; this module takes it from the task's
result, checks its shape, and stores it in the lab state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mllb_lab.ansible import RunResult, run_playbook
from mllb_lab.errors import LabError
from mllb_lab.inventory import write_lab_inventory
from mllb_lab.lab.state import LabState, save
from mllb_lab.progress import Progress

FACTS_PLAYBOOK = "facts.yml"
COLLECT_TASK = "Collect the facts on the target"  # roles/facts/tasks/collect.yml
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
    """Run playbooks/facts.yml on the lab's hosts; store and return {host: facts}.

    The facts come back in the collect task's result: writing the report on the target and
    fetching it (the role's default, for plain ansible-playbook runs) took ~14 s more per
    `up` in a TCG guest, for the same JSON."""
    inventory = write_lab_inventory(state)
    progress = progress or Progress(quiet=True)
    with progress.step(f"gathering facts from {len(state.hosts)} host(s)"):
        result = run_playbook(
            FACTS_PLAYBOOK,
            inventory,
            lab=state.name,
            progress=progress,
            extravars={"facts_write_report": False},
            keep_results=(COLLECT_TASK,),
        )
    facts = {host.name: read_report(result, host.name) for host in state.hosts}
    state.facts.update(facts)
    save(state)
    return facts


def read_report(result: RunResult, host: str) -> dict[str, Any]:
    res = result.task_results.get(host, {}).get(COLLECT_TASK)
    if res is None:
        raise LabError(f"no facts came back from {host}", log=result.stdout)
    data = res.get("report")
    check_report(data, host, result.stdout)
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
