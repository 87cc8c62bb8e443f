"""Per-lab keys and the seed disk, with the real ssh-keygen, mkfs.ext4 and debugfs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mllb_lab.lab.hostkeys import pinned
from mllb_lab.lab.keys import ensure_keys
from mllb_lab.lab.seed import SEED_LABEL, make_seed


def test_keys_are_made_once_and_host_key_pinned(tmp_path: Path) -> None:
    keys = ensure_keys(tmp_path, "lab-a")
    first = keys.host_pub.read_text()
    pins = pinned(keys.known_hosts, "lab-a")
    assert [p.line("lab-a") for p in pins] == ["lab-a " + " ".join(first.split()[:2])]
    assert (keys.client_key.stat().st_mode & 0o777) == 0o600
    again = ensure_keys(tmp_path, "lab-a")
    assert again.host_pub.read_text() == first  # never replaced
    assert len(keys.known_hosts.read_text().splitlines()) == 1


def debugfs_cat(image: Path, name: str) -> str:
    out = subprocess.run(
        ["debugfs", "-R", f"cat /{name}", str(image)], capture_output=True, text=True, check=True
    )
    return out.stdout


def test_seed_disk_carries_hostname_keys_and_label(tmp_path: Path) -> None:
    keys = ensure_keys(tmp_path, "lab-b")
    seed = make_seed(tmp_path / "seed.img", "lab-b", keys)
    label = subprocess.run(
        ["blkid", "-s", "LABEL", "-o", "value", str(seed)], capture_output=True, text=True
    )
    assert label.stdout.strip() == SEED_LABEL
    assert debugfs_cat(seed, "hostname") == "lab-b\n"
    assert debugfs_cat(seed, "authorized_keys") == keys.client_pub.read_text()
    assert debugfs_cat(seed, "ssh_host_ed25519_key.pub") == keys.host_pub.read_text()
    assert "PRIVATE KEY" in debugfs_cat(seed, "ssh_host_ed25519_key")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".seed-")] == []
