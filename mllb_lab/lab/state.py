"""Lab state on disk: $MLLB_LAB_HOME/<name>/state.json, versioned, written atomically.

This is the contract between provisioning (`up`), Ansible (inventory, facts) and the other
commands: everything needed to reach a lab's hosts is here.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mllb_lab.errors import UserError
from mllb_lab.paths import lab_home

STATE_VERSION = 1
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


@dataclass
class HostAccess:
    """How Ansible and `mllb-lab ssh` reach one host, with its pinned host key."""

    name: str  # inventory hostname, also the HostKeyAlias in known_hosts
    address: str
    port: int = 22
    user: str = "root"
    key_file: str = ""  # private key (the lab's ed25519 key)
    known_hosts: str = ""  # pinned host keys; StrictHostKeyChecking stays on


@dataclass
class LabState:
    name: str
    backend: str  # qemu | libvirt | baremetal
    status: str  # starting | running | stopped | failed
    topology: dict[str, Any] = field(default_factory=dict)  # Topology.to_dict()
    memory_mib: int = 0
    accel: str = ""
    hosts: list[HostAccess] = field(default_factory=list)
    pid: int | None = None  # qemu backend: the supervised process
    domain: str | None = None  # libvirt backend: domain name
    files: dict[str, str] = field(default_factory=dict)  # serial log, qmp socket, overlay, ...
    facts: dict[str, Any] = field(default_factory=dict)  # per host, from the facts role
    created: str = ""
    version: int = STATE_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabState:
        data = dict(data)
        data["hosts"] = [HostAccess(**h) for h in data.get("hosts", [])]
        return cls(**data)


def check_name(name: str, field_name: str = "--name") -> str:
    if not NAME_RE.match(name):
        raise UserError(
            field_name,
            f"'{name}' is not a valid lab name",
            "use 1-31 lowercase letters, digits or '-', starting with a letter",
        )
    return name


def lab_dir(name: str) -> Path:
    return lab_home() / check_name(name)


def state_path(name: str) -> Path:
    return lab_dir(name) / "state.json"


def load(name: str) -> LabState | None:
    path = state_path(name)
    if not path.exists():
        return None
    return LabState.from_dict(json.loads(path.read_text()))


def save(state: LabState) -> Path:
    path = state_path(state.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".state.", suffix=".json")
    with os.fdopen(fd, "w") as fh:
        fh.write(state.to_json())
    os.replace(tmp, path)
    return path


def all_labs() -> list[LabState]:
    home = lab_home()
    if not home.is_dir():
        return []
    found = []
    for child in sorted(home.iterdir()):
        state = load(child.name) if NAME_RE.match(child.name) else None
        if state is not None:
            found.append(state)
    return found
