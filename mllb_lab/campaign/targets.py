"""Where a campaign runs: a lab (by name) or a group of a declared inventory, with host facts.

Workloads are sized from each host's facts, so facts are read from the lab state, or gathered
with the facts role when the state has none (or when the targets come from an inventory).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mllb_lab import facts as facts_mod
from mllb_lab.errors import LabError, UserError
from mllb_lab.inventory import write_lab_inventory
from mllb_lab.lab import baremetal
from mllb_lab.lab import state as lab_state
from mllb_lab.progress import Progress


@dataclass
class Resolved:
    label: str  # "lab:NAME" or "inventory:FILE#GROUP", recorded in the ledger
    inventory: Path
    hosts: list[str]
    facts: dict[str, dict[str, Any]]
    lab: str | None = None  # for the ansible-runner base folder


def resolve(
    lab: str | None,
    inventory: Path | None,
    group: str | None,
    field: str,
    progress: Progress,
    need_facts: bool = True,
) -> Resolved:
    if lab:
        return from_lab(lab, field, progress, need_facts)
    if inventory is None:
        raise UserError("--lab", "no targets", "give --lab NAME, --inventory FILE or targets.lab")
    return from_inventory(inventory, group, progress, need_facts)


def from_lab(name: str, field: str, progress: Progress, need_facts: bool) -> Resolved:
    lab_state.check_name(name, field)
    state = lab_state.load(name)
    if state is None:
        raise UserError(field, f"no lab named '{name}'", "see `mllb-lab status`, or `mllb-lab up`")
    if state.status != "running":
        raise UserError(field, f"lab '{name}' is {state.status}", "start it with `mllb-lab up`")
    inventory = write_lab_inventory(state)
    hosts = [h.name for h in state.hosts]
    if need_facts and any(h not in state.facts for h in hosts):
        facts_mod.gather(state, progress)
    facts = {h: state.facts[h] for h in hosts if h in state.facts}
    return Resolved(f"lab:{name}", inventory, hosts, facts, lab=name)


def group_hosts(inventory: Path, group: str | None) -> list[str]:
    """Ask Ansible itself which hosts the group holds (children included)."""
    cmd = [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(inventory), "--list"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError("--inventory", f"ansible-inventory cannot read {inventory}", "fix it")
    data = json.loads(proc.stdout)

    def walk(name: str) -> list[str]:
        node = data.get(name, {})
        found = list(node.get("hosts", []))
        for child in node.get("children", []):
            found += walk(child)
        return found

    wanted = group or "all"
    if wanted != "all" and wanted not in data:
        raise UserError("targets.group", f"no group '{wanted}' in {inventory}", "fix the name")
    return sorted(set(walk(wanted)))


def from_inventory(
    inventory: Path, group: str | None, progress: Progress, need_facts: bool
) -> Resolved:
    """Declared hosts go through bare-metal adoption (pinned host keys, facts) as a lab named
    after the file, so they are reached exactly like any lab's hosts."""
    if not inventory.is_file():
        raise UserError("--inventory", f"{inventory} does not exist", "give an inventory file")
    hosts = group_hosts(inventory, group)
    if not hosts:
        raise UserError("targets.group", f"no hosts in group '{group or 'all'}'", "add hosts")
    label = f"inventory:{inventory.resolve()}#{group or 'all'}"
    name = baremetal.default_name(inventory)
    if not need_facts:  # dry run: contact nothing
        return Resolved(label, inventory.resolve(), hosts, {}, lab=name)
    state = baremetal.adopt(name, inventory, progress)
    facts = {h: state.facts[h] for h in hosts if h in state.facts}
    return Resolved(label, write_lab_inventory(state), hosts, facts, lab=name)


def topology_of(host_facts: dict[str, Any]) -> str:
    try:
        return facts_mod.topology_of(host_facts)
    except KeyError:
        raise LabError("host facts lack the CPU topology") from None
