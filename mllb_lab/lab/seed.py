"""The per-guest seed disk: hostname, SSH host keys and authorized_keys on a small ext4.

Made with `mkfs.ext4 -d` (no mount, no root-only loop devices); the image's mllb-seed.service
(qemu/guest/) finds it by label and applies it before ssh.service. Same disk for every backend.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from mllb_lab.lab import hostcmd
from mllb_lab.lab.keys import LabKeys

SEED_LABEL = "mllbseed"  # must match qemu/guest/mllb-seed
SEED_SIZE = 16 * 1024 * 1024


def make_seed(path: Path, hostname: str, keys: LabKeys) -> Path:
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".seed-") as tmp:
        root = Path(tmp)
        (root / "hostname").write_text(hostname + "\n")
        shutil.copyfile(keys.client_pub, root / "authorized_keys")
        shutil.copyfile(keys.host_key, root / keys.host_key.name)
        shutil.copyfile(keys.host_pub, root / keys.host_pub.name)
        (root / keys.host_key.name).chmod(0o600)
        with path.open("wb") as fh:
            fh.truncate(SEED_SIZE)
        hostcmd.run(
            ["mkfs.ext4", "-q", "-F", "-L", SEED_LABEL, "-d", root, path], "mkfs.ext4 of the seed"
        )
    path.chmod(0o600)
    return path
