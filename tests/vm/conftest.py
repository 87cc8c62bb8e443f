"""Shared fixtures for tests that boot real QEMU guests.

The guest image is built once and cached by its recipe's content key in the normal cache
(MLLB_CACHE_HOME or ~/.cache/mllb-lab), so reruns reuse it. Labs live in a per-session folder;
every lab left running is powered off at the end of the session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mllb_lab.lab.image import Image, ensure_image
from mllb_lab.progress import Progress


@pytest.fixture(scope="session")
def guest_image() -> Image:
    return ensure_image("bookworm", Progress(quiet=False))


@pytest.fixture(scope="session")
def lab_env(tmp_path_factory: pytest.TempPathFactory, guest_image: Image) -> Iterator[dict]:
    """Environment for `mllb-lab` subprocesses: a private MLLB_LAB_HOME, `down --all` after."""
    env = dict(os.environ, MLLB_LAB_HOME=str(tmp_path_factory.mktemp("labs")))
    yield env
    subprocess.run([sys.executable, "-m", "mllb_lab", "down", "--all"], env=env, timeout=600)


@pytest.fixture(scope="session")
def mllb(lab_env: dict) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real CLI: mllb("up", "--topology", "2x2x2") -> CompletedProcess."""

    def run(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mllb_lab", *args],
            capture_output=True,
            text=True,
            env=lab_env,
            timeout=timeout,
        )

    return run


@pytest.fixture(scope="session")
def labs_dir(lab_env: dict) -> Path:
    return Path(lab_env["MLLB_LAB_HOME"])
