"""Host keys: parsing and checking declared keys, fingerprints, pin-once known_hosts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mllb_lab.errors import UserError
from mllb_lab.lab.hostkeys import HostKey, parse_key, pin, pinned


def real_key(tmp_path: Path, kind: str = "ed25519", name: str = "k") -> tuple[str, str]:
    """A real public key from ssh-keygen, and the fingerprint ssh-keygen prints for it."""
    path = tmp_path / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(path)], check=True, timeout=60
    )
    pub = path.with_suffix(".pub").read_text().strip()
    listed = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(path.with_suffix(".pub"))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return pub, listed.split()[1]


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_fingerprint_matches_ssh_keygen(tmp_path: Path, kind: str) -> None:
    pub, fingerprint = real_key(tmp_path, kind)
    key = parse_key(pub, "mllb_host_key")
    assert key.fingerprint() == fingerprint


def test_rsa_sha2_name_is_stored_as_ssh_rsa(tmp_path: Path) -> None:
    pub, _ = real_key(tmp_path, "rsa")
    blob = pub.split()[1]
    assert parse_key(f"rsa-sha2-512 {blob}", "f").type == "ssh-rsa"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("AAAAC3NzaC1lZDI1NTE5", "not an SSH public key"),
        ("ssh-dss AAAAB3NzaC1kc3M=", "not an SSH public key"),
        ("ssh-ed25519 not*base64", "damaged"),
    ],
)
def test_bad_declared_keys(text: str, words: str) -> None:
    with pytest.raises(UserError) as err:
        parse_key(text, "inv.yml: all.hosts.x.mllb_host_key")
    assert err.value.field == "inv.yml: all.hosts.x.mllb_host_key"
    assert words in err.value.problem


def test_type_must_match_the_key_data(tmp_path: Path) -> None:
    pub, _ = real_key(tmp_path, "ed25519")
    with pytest.raises(UserError) as err:
        parse_key(f"ecdsa-sha2-nistp256 {pub.split()[1]}", "f")
    assert "its data is ssh-ed25519" in err.value.problem


def test_pin_once_and_never_replace(tmp_path: Path) -> None:
    first = parse_key(real_key(tmp_path, name="a")[0], "f")
    second = parse_key(real_key(tmp_path, name="b")[0], "f")
    known = tmp_path / "lab" / "known_hosts"
    assert pin(known, "xeon1", first) is True
    assert pin(known, "xeon1", second) is False
    assert pinned(known, "xeon1") == [first]
    assert pin(known, "xeon2", second) is True
    assert pinned(known, "xeon2") == [second]
    assert known.stat().st_mode & 0o777 == 0o600
    assert known.read_text().splitlines()[0] == f"xeon1 {first.type} {first.blob}"


def test_pinned_file_is_what_ssh_keygen_reads(tmp_path: Path) -> None:
    """ssh finds the key under the alias (HostKeyAlias) in the file we write."""
    key = parse_key(real_key(tmp_path)[0], "f")
    known = tmp_path / "known_hosts"
    pin(known, "guest0", key)
    found = subprocess.run(
        ["ssh-keygen", "-F", "guest0", "-f", str(known)], capture_output=True, text=True
    )
    assert found.returncode == 0 and key.blob in found.stdout


def test_no_pin_file_means_nothing_pinned(tmp_path: Path) -> None:
    assert pinned(tmp_path / "missing", "x") == []
    assert HostKey("ssh-ed25519", "AAAA").line("h") == "h ssh-ed25519 AAAA"
