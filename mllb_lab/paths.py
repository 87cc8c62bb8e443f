"""Where state lives: lab state, content-keyed caches, results (see README, 'State')."""

from __future__ import annotations

import os
from pathlib import Path


def lab_home() -> Path:
    """Lab state: one folder per lab name ($MLLB_LAB_HOME, default ~/.local/share/mllb-lab)."""
    env = os.environ.get("MLLB_LAB_HOME")
    if env:
        return Path(env)
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "mllb-lab"


def cache_home() -> Path:
    """Caches keyed by the content of their inputs ($XDG_CACHE_HOME/mllb-lab)."""
    env = os.environ.get("MLLB_CACHE_HOME")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "mllb-lab"


def repo_root() -> Path:
    """The source tree (playbooks/, roles/, qemu/, kmod/ ... live beside the package)."""
    return Path(__file__).resolve().parent.parent
