"""Acceptance: a playbook run through the wrapper reaches a real QEMU guest and fetches a file.

The guest is the tier's shared 2x2x2 stock guest (conftest.shared_guest, booted by the real
`mllb-lab up`, TCG here); Ansible reaches it over SSH with the pinned host key from the lab's
generated inventory. Two NUMA nodes are there for the facts to show.
"""

from __future__ import annotations

import os
from pathlib import Path

from mllb_lab import facts
from mllb_lab.ansible import run_playbook
from mllb_lab.inventory import write_lab_inventory
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.state import LabState
from mllb_lab.progress import Progress


class Recording(Progress):
    def __init__(self) -> None:
        super().__init__(quiet=True)
        self.lines: list[str] = []

    def say(self, text: str) -> None:
        self.lines.append(text)


def test_playbook_reaches_guest_and_fetches_a_file(shared_guest: LabState) -> None:
    guest = shared_guest
    token = os.urandom(8).hex()
    progress = Recording()
    result = run_playbook(
        "fetch-test.yml",
        write_lab_inventory(guest),
        lab=guest.name,
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
    artifacts = Path(os.environ["MLLB_LAB_HOME"]) / guest.name / "ansible" / "artifacts"
    assert result.artifact_dir.parent == artifacts


def test_facts_describe_the_guest(shared_guest: LabState) -> None:
    guest = shared_guest
    found = facts.gather(guest)
    guest_facts = found[guest.hosts[0].name]
    assert facts.topology_of(guest_facts) == "2x2x2"
    assert [n["cpus"] for n in guest_facts["numa_nodes"]] == ["0-3", "4-7"]
    assert guest_facts["distro"]["id"] == "debian"
    assert guest_facts["kernel"].startswith("6.1.")
    saved = lab_state.load(guest.name)
    assert saved is not None and saved.facts[guest.hosts[0].name] == guest_facts
