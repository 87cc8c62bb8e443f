"""The bare-metal backend: adopt declared hosts into a lab; forgetting them never touches them.

`mllb-lab up --backend baremetal --inventory FILE [--name NAME]` -> adopt(name, FILE, progress)
`mllb-lab down NAME` on a baremetal lab                           -> forget(state)
`mllb-lab status` (live_status) for a baremetal lab               -> alive(state)
No provisioning and no power control: the hosts exist already; adoption pins their host keys,
checks they answer, gathers their facts and checks a declared `mllb_topology` against them.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mllb_lab import facts as host_facts
from mllb_lab.ansible import run_playbook
from mllb_lab.errors import UserError
from mllb_lab.inventory import (
    DeclaredHost,
    known_hosts_path,
    load_declared,
    write_lab_inventory,
)
from mllb_lab.lab import hostkeys
from mllb_lab.lab.state import HostAccess, LabState, check_name, lab_dir, load, save
from mllb_lab.progress import Progress
from mllb_lab.topology import parse as parse_topology

BACKEND = "baremetal"
DECLARED_COPY = "declared-inventory.yml"


def default_name(inventory_path: Path) -> str:
    """A lab name from the inventory's file name: 'xeon-pair.example.yml' -> 'xeon-pair'."""
    stem = inventory_path.name.split(".")[0].lower()
    name = re.sub(r"[^a-z0-9-]+", "-", stem).strip("-")[:31]
    return name if name and name[0].isalpha() else f"metal-{name}"[:31].rstrip("-")


def adopt(name: str, inventory_path: Path, progress: Progress | None = None) -> LabState:
    """Create (or refresh) lab `name` from a declared inventory; returns the running lab."""
    progress = progress or Progress()
    check_name(name)
    existing = load(name)
    if existing is not None and existing.backend != BACKEND:
        raise UserError(
            "--name",
            f"lab '{name}' already exists with backend {existing.backend}",
            f"choose another --name or run 'mllb-lab down {name}' first",
        )
    declared = load_declared(Path(inventory_path))
    folder = lab_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / DECLARED_COPY
    shutil.copyfile(inventory_path, copy)
    known = known_hosts_path(name)
    for host in declared:
        pin_host_key(host, known, progress)
    state = LabState(
        name=name,
        backend=BACKEND,
        status="starting",
        hosts=[access_for(host, known) for host in declared],
        files={"declared_inventory": str(copy), "known_hosts": str(known)},
        created=existing.created if existing else datetime.now(UTC).isoformat(timespec="seconds"),
    )
    state.files["inventory"] = str(write_lab_inventory(state))
    save(state)
    try:
        with progress.step(f"checking that {len(declared)} host(s) answer over SSH"):
            run_playbook("ping.yml", Path(state.files["inventory"]), lab=name, progress=progress)
        found = host_facts.gather(state, progress)
        check_topologies(declared, found, inventory_path)
    except BaseException:
        state.status = "failed"
        save(state)
        raise
    state.topology = shared_topology(declared)
    state.status = "running"
    save(state)
    return state


def forget(state: LabState) -> None:
    """Drop the lab's local state (keys, inventory, artifacts); the hosts are left running."""
    if state.backend != BACKEND:
        raise UserError("down", f"lab '{state.name}' is a {state.backend} lab, not bare metal")
    shutil.rmtree(lab_dir(state.name), ignore_errors=True)


def alive(state: LabState) -> bool:
    """For `status`: mllb-lab supervises no process for real hosts, so the adopted status
    stands; reachability is what `adopt` (and every playbook run) checks."""
    return state.backend == BACKEND and state.status == "running"


def pin_host_key(host: DeclaredHost, known: Path, progress: Progress) -> None:
    already = hostkeys.pinned(known, host.name)
    if already:
        if host.host_key is not None and host.host_key not in already:
            raise UserError(
                f"{host.name}.mllb_host_key",
                "differs from the key this lab pinned earlier",
                "if the host was reinstalled, run 'mllb-lab down' for this lab and adopt again",
            )
        return
    if host.host_key is not None:
        hostkeys.pin(known, host.name, host.host_key)
        progress.say(f"[{host.name}] pinned declared host key {host.host_key.fingerprint()}")
        return
    key = hostkeys.keyscan(host.address, host.port)
    hostkeys.pin(known, host.name, key)
    progress.say(
        f"[{host.name}] trust on first use: pinned {key.type} {key.fingerprint()} "
        f"from {host.address}:{host.port}; compare it with the host's own key"
    )


def access_for(host: DeclaredHost, known: Path) -> HostAccess:
    return HostAccess(
        name=host.name,
        address=host.address,
        port=host.port,
        user=host.user,
        key_file=host.key_file,
        known_hosts=str(known),
    )


def check_topologies(
    declared: list[DeclaredHost], found: dict[str, dict[str, Any]], inventory_path: Path
) -> None:
    for host in declared:
        if host.topology is None:
            continue
        actual = host_facts.topology_of(found[host.name])
        if actual != host.topology:
            raise UserError(
                f"{Path(inventory_path).name}: {host.name}.mllb_topology",
                f"declares {host.topology} but the host reports {actual}",
                "correct mllb_topology (SOCKETSxCORESxTHREADS) or remove it",
            )


def shared_topology(declared: list[DeclaredHost]) -> dict[str, Any]:
    """The lab's topology (Topology.to_dict) when every host declares the same one; else {}."""
    specs = {host.topology for host in declared}
    if len(specs) != 1 or None in specs:
        return {}
    return parse_topology(str(next(iter(specs)))).to_dict()
