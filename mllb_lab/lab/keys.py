"""Per-lab SSH keys: the client key mllb-lab logs in with, and the guest's host key.

Both are made on the controller once per lab; the host key reaches the guest on its seed disk
and is pinned in the lab's known_hosts under the host's alias (ssh's HostKeyAlias), so the first
connection is already verified and StrictHostKeyChecking stays on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mllb_lab.lab import hostcmd
from mllb_lab.lab.hostkeys import parse_key, pin

KNOWN_HOSTS = "known_hosts"


@dataclass(frozen=True)
class LabKeys:
    client_key: Path  # private key; the public half is client_key + ".pub"
    host_key: Path  # the guest's ed25519 host key (private; ".pub" beside it)
    known_hosts: Path

    @property
    def client_pub(self) -> Path:
        return self.client_key.with_name(self.client_key.name + ".pub")

    @property
    def host_pub(self) -> Path:
        return self.host_key.with_name(self.host_key.name + ".pub")


def _keygen(path: Path, comment: str) -> None:
    if path.exists():
        return
    hostcmd.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path],
        f"ssh-keygen {path.name}",
    )


def ensure_keys(lab_dir: Path, alias: str) -> LabKeys:
    """Create the keys if missing (never replace them) and pin the host key for `alias`."""
    key_dir = lab_dir / "keys"
    key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys = LabKeys(
        client_key=key_dir / "id_ed25519",
        host_key=key_dir / "ssh_host_ed25519_key",
        known_hosts=lab_dir / KNOWN_HOSTS,
    )
    _keygen(keys.client_key, f"mllb-lab@{alias}")
    _keygen(keys.host_key, f"root@{alias}")
    pin(keys.known_hosts, alias, parse_key(keys.host_pub.read_text(), str(keys.host_pub)))
    return keys
