"""Acceptance: a playbook run through the wrapper reaches a real QEMU guest and fetches a file.

The guest is booted by the real `mllb-lab up` (TCG here); Ansible reaches it over SSH with the
pinned host key from the lab's generated inventory. A small 2x2x2 guest keeps the boot short
while still having two NUMA nodes for the facts to show.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from mllb_lab import facts
from mllb_lab.ansible import run_playbook
from mllb_lab.inventory import write_lab_inventory
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.state import LabState
from mllb_lab.progress import Progress

LAB = "ansible"


class Recording(Progress):
    def __init__(self) -> None:
        super().__init__(quiet=True)
        self.lines: list[str] = []

    def say(self, text: str) -> None:
        self.lines.append(text)


@pytest.fixture(scope="module")
def guest(booted_lab: Callable[..., AbstractContextManager[LabState]]) -> Iterator[LabState]:
    with booted_lab(LAB, "--topology", "2x2x2") as state:
        yield state


def test_playbook_reaches_guest_and_fetches_a_file(guest: LabState) -> None:
    token = os.urandom(8).hex()
    progress = Recording()
    result = run_playbook(
        "fetch-test.yml",
        write_lab_inventory(guest),
        lab=LAB,
        extravars={"fetch_test_content": token},
        progress=progress,
    )
    host = guest.hosts[0].name
    assert (result.fetch_dir / f"{host}.txt").read_text() == f"{token}\n"
    assert progress.lines == [
        f"[{host}] TASK Write the test file: changed",
        f"[{host}] TASK Fetch the test file back: changed",
    ]
    assert result.stdout.is_file()
    artifacts = Path(os.environ["MLLB_LAB_HOME"]) / LAB / "ansible" / "artifacts"
    assert result.artifact_dir.parent == artifacts


def test_facts_describe_the_guest(guest: LabState) -> None:
    found = facts.gather(guest)
    guest_facts = found[guest.hosts[0].name]
    assert facts.topology_of(guest_facts) == "2x2x2"
    assert [n["cpus"] for n in guest_facts["numa_nodes"]] == ["0-3", "4-7"]
    assert guest_facts["distro"]["id"] == "debian"
    assert guest_facts["kernel"].startswith("6.1.")
    saved = lab_state.load(LAB)
    assert saved is not None and saved.facts[guest.hosts[0].name] == guest_facts
