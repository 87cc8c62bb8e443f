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
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from mllb_lab.lab import state as lab_state
from mllb_lab.lab.accel import tracing_accel
from mllb_lab.lab.image import Image, ensure_image
from mllb_lab.progress import Progress

# `down` waits this long for an ACPI power-off before it kills QEMU (CLI default 120 s): a
# healthy 2x2x2 guest is off in ~5 s, a hung one ignores ACPI (session 3: a 122 s teardown),
# and the guest's overlay disk is thrown away either way.
DOWN_GRACE = "30"


@pytest.fixture(scope="session")
def guest_image() -> Image:
    return ensure_image("bookworm", Progress(quiet=False))


@pytest.fixture(scope="session")
def lab_env(tmp_path_factory: pytest.TempPathFactory, guest_image: Image) -> Iterator[dict]:
    """Environment for `mllb-lab` subprocesses: a private MLLB_LAB_HOME, `down --all` after."""
    env = dict(os.environ, MLLB_LAB_HOME=str(tmp_path_factory.mktemp("labs")))
    yield env
    subprocess.run(
        [sys.executable, "-m", "mllb_lab", "down", "--all", "--timeout", DOWN_GRACE],
        env=env,
        timeout=600,
    )


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


@pytest.fixture(scope="session")
def booted_lab(
    mllb: Callable[..., subprocess.CompletedProcess[str]], lab_env: dict
) -> Callable[..., AbstractContextManager[lab_state.LabState]]:
    """`with booted_lab(NAME, *up_args) as state:` a lab booted by the real `mllb-lab up`, its
    state readable from this process too (MLLB_LAB_HOME set), powered off after."""

    @contextmanager
    def boot(name: str, *up_args: str) -> Iterator[lab_state.LabState]:
        proc = mllb("up", "--name", name, *up_args)
        assert proc.returncode == 0, proc.stderr
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("MLLB_LAB_HOME", lab_env["MLLB_LAB_HOME"])
            state = lab_state.load(name)
            assert state is not None
            yield state
        mllb("down", name, "--timeout", DOWN_GRACE)

    return boot


SHARED_GUEST = "shared"


@pytest.fixture(scope="session")
def shared_guest(
    booted_lab: Callable[..., AbstractContextManager[lab_state.LabState]],
) -> Iterator[lab_state.LabState]:
    """One 2x2x2 guest on Debian's stock kernel for every test that only needs *a* guest
    (Ansible, roles, the stock-kernel module, the tools): a TCG boot costs about a minute, so
    the tier boots it once. Tests using it must leave it as they found it (stop what they
    start, unload what they load). Without KVM it runs single-threaded TCG: its tests attach
    and detach BPF programs, which can hang a multi-threaded TCG guest (docs/schedlat.md)."""
    with booted_lab(SHARED_GUEST, "--topology", "2x2x2", "--accel", tracing_accel()) as state:
        yield state
