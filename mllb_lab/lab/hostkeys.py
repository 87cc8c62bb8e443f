"""Pinned SSH host keys: a lab's known_hosts, keyed by host alias (ssh's HostKeyAlias).

A key is pinned once, either as declared by the user (`mllb_host_key` in an inventory) or on
first adoption via ssh-keyscan (trust on first use, fingerprint shown). It is never replaced:
ssh runs with StrictHostKeyChecking=yes against this file, so a changed key is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mllb_lab.errors import LabError, UserError

# Preferred first: the key type pinned when ssh-keyscan offers several.
KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "ssh-rsa",
)


@dataclass(frozen=True)
class HostKey:
    type: str
    blob: str  # base64, as in known_hosts

    def fingerprint(self) -> str:
        """OpenSSH's SHA256 fingerprint, the form `ssh-keygen -l` and ssh's prompts print."""
        digest = hashlib.sha256(base64.b64decode(self.blob)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    def line(self, alias: str) -> str:
        return f"{alias} {self.type} {self.blob}"


def parse_key(text: str, field: str) -> HostKey:
    """'ssh-ed25519 AAAA... [comment]' -> HostKey; checks the blob really is that key type."""
    parts = str(text).split()
    fix = "give the host's public key as 'ssh-ed25519 AAAA...' (see /etc/ssh/*.pub on the host)"
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise UserError(field, f"'{one_word(text)}' is not an SSH public key", fix)
    try:
        raw = base64.b64decode(parts[1], validate=True)
        (length,) = struct.unpack(">I", raw[:4])
        inner = raw[4 : 4 + length].decode()
    except (binascii.Error, struct.error, UnicodeDecodeError):
        raise UserError(field, "the key's base64 part is damaged", fix) from None
    # The wire format names its own type; rsa-sha2-* keys are stored as ssh-rsa blobs.
    expected = "ssh-rsa" if parts[0].startswith("rsa-sha2") else parts[0]
    if inner != expected:
        raise UserError(field, f"key says {parts[0]} but its data is {inner}", fix)
    return HostKey(expected, parts[1])


def one_word(text: str) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= 40 else flat[:37] + "..."


def pinned(known_hosts: Path, alias: str) -> list[HostKey]:
    if not known_hosts.exists():
        return []
    keys = []
    for line in known_hosts.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and alias in parts[0].split(","):
            keys.append(HostKey(parts[1], parts[2]))
    return keys


def pin(known_hosts: Path, alias: str, key: HostKey) -> bool:
    """Record `key` for `alias` unless a key is already pinned; True if written now."""
    if pinned(known_hosts, alias):
        return False
    known_hosts.parent.mkdir(parents=True, exist_ok=True)
    with known_hosts.open("a") as fh:
        fh.write(key.line(alias) + "\n")
    known_hosts.chmod(0o600)
    return True


def keyscan(address: str, port: int, timeout: int = 10) -> HostKey:
    """Ask the host for its key (trust on first use) and return the preferred type."""
    cmd = ["ssh-keyscan", "-T", str(timeout), "-p", str(port), address]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout * 4)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"ssh-keyscan {address}:{port} failed: {exc}") from None
    found: dict[str, HostKey] = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and not line.startswith("#") and parts[1] in KEY_TYPES:
            found[parts[1]] = HostKey(parts[1], parts[2])
    for key_type in KEY_TYPES:
        if key_type in found:
            return found[key_type]
    detail = " ".join(out.stderr.split())[-200:] or "no answer"
    raise LabError(f"no SSH host key from {address}:{port} ({detail})")
