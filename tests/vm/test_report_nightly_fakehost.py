"""`mllb-lab nightly` end to end on a fake bare-metal host (tests/vm/fakehost.py: real sshd in a
network namespace, real Ansible, real fibo runs): the campaign runs through the real runner,
lands in the history, is evaluated against the last good night and gets its HTML report.

The fake host shares this busy 2-core machine, so run-to-run timing noise is large; the noise
threshold here is set high (90%) because this test is about the run path, not the statistics
(tests/unit/test_nightly_regression.py checks flagging and not-flagging on controlled data).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fakehost import FakeHost

from mllb_lab.lab.image import ensure_image
from mllb_lab.progress import Progress

REPO = Path(__file__).resolve().parents[2]
NIGHTLY = """\
inventory: metal.yml
results: history
noise: 0.9
campaign:
  name: nightly-metal
  targets: {group: metal}
  capture: false
  duration: 2
  repetitions: 2
  workloads:
    - name: fibo
      params: {n: 20}
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("nightly")
    key = tmp / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    rootfs = ensure_image(progress=Progress()).rootfs
    host = FakeHost(rootfs, tmp / "fh1", key.with_suffix(".pub").read_text()).start()
    try:
        members = {"box1": {"ansible_host": host.address, "ansible_user": "root",
                            "ansible_ssh_private_key_file": str(key)}}  # fmt: skip
        (tmp / "metal.yml").write_text(
            yaml.safe_dump({"all": {"children": {"metal": {"hosts": members}}}})
        )
        (tmp / "nightly.yml").write_text(NIGHTLY)
        env = {**os.environ, "MLLB_LAB_HOME": str(tmp / "labs")}
        yield {"tmp": tmp, "env": env}
    finally:
        host.stop()


def nightly(setup: dict, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mllb_lab", "nightly", str(setup["tmp"] / "nightly.yml"), *args,
         "--json"], capture_output=True, text=True, env=setup["env"], cwd=REPO, timeout=900,
    )  # fmt: skip


def test_two_nights_on_a_declared_host(setup: dict) -> None:
    first = nightly(setup)
    assert first.returncode == 0, first.stderr
    ev1 = json.loads(first.stdout)["evaluations"][0]
    assert ev1["verdict"] == "first" and ev1["baseline"] is None
    second = nightly(setup)
    assert second.returncode == 0, second.stderr
    doc = json.loads(second.stdout)
    ev2 = doc["evaluations"][0]
    assert ev2["verdict"] == "good" and ev2["baseline"] == ev1["campaign_run"]
    assert ev2["compared"] >= 1  # fibo's own timings, from real runs
    history = setup["tmp"] / "history"
    lines = [json.loads(x) for x in (history / "nightly.jsonl").read_text().splitlines()]
    assert [e["verdict"] for e in lines] == ["first", "good"]
    page = Path(doc["reports"][0]).read_text()
    assert "fibo_total_s" in page and ev1["campaign_run"] in page
    listed = subprocess.run(
        [sys.executable, "-m", "mllb_lab", "results", "list", "--results", str(history),
         "--json"], capture_output=True, text=True, env=setup["env"], check=True,
    )  # fmt: skip
    runs = json.loads(listed.stdout)
    assert len(runs) == 4 and {r["host"] for r in runs} == {"box1"}
