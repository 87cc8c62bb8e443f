"""Campaigns on two fake bare-metal hosts (tests/vm/fakehost.py: real sshd, real Ansible, real
workloads, in network namespaces on this machine) declared in an inventory: hosts run in
parallel, a run whose program is missing fails alone, --resume retries only failed runs.
The image ships perf, so the test hides it on both fake hosts (an overlayfs whiteout in their
upper layer, made before they start): a host without perf, the case this test is about.

Capture is off: the fake hosts share this machine's kernel, which cannot trace
can_migrate_task (no kprobes, fentry refused); tests/vm/test_campaign.py captures in a guest.
Benchmark metrics are on: mllb-schedlat cannot trace can_migrate_task on this kernel (fentry
refused), which each run records (status.txt or schedlat.json's `missing`) without failing
(the success path is tests/kernel/test_bench_campaign.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fakehost import FakeHost

from mllb_lab.benchmetrics import read
from mllb_lab.lab.image import ensure_image
from mllb_lab.progress import Progress

REPO = Path(__file__).resolve().parents[2]
CAMPAIGN = """\
name: metal-check
targets: {group: metal}
capture: false
benchmetrics: true
duration: 2
workloads:
  - name: idle
  - name: fibo
    params: {n: 20}
  - name: perf-bench
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("metal")
    key = tmp / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    rootfs = ensure_image(progress=Progress()).rootfs
    pub = key.with_suffix(".pub").read_text()
    hosts = [hide_perf(FakeHost(rootfs, tmp / f"fh{i}", pub)).start() for i in (1, 2)]
    try:
        inventory = tmp / "metal.yml"
        members = {f"box{i}": {"ansible_host": h.address, "ansible_user": "root",
                               "ansible_ssh_private_key_file": str(key)}
                   for i, h in enumerate(hosts, 1)}  # fmt: skip
        inventory.write_text(yaml.safe_dump({"all": {"children": {"metal": {"hosts": members}}}}))
        campaign = tmp / "metal-check.yml"
        campaign.write_text(CAMPAIGN)
        env = {**os.environ, "MLLB_LAB_HOME": str(tmp / "labs")}
        yield {"tmp": tmp, "inventory": inventory, "campaign": campaign, "env": env}
    finally:
        for h in hosts:
            h.stop()


def hide_perf(host: FakeHost) -> FakeHost:
    """Whiteout /usr/bin/perf in the host's overlay upper layer (a 0:0 character device)."""
    where = host.upper / "usr/bin"
    where.mkdir(parents=True, exist_ok=True)
    os.mknod(where / "perf", stat.S_IFCHR | 0o000, os.makedev(0, 0))
    return host


def cli(setup: dict, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mllb_lab", *args], capture_output=True,
                          text=True, env=setup["env"], cwd=REPO, timeout=900)  # fmt: skip


def test_parallel_hosts_failed_runs_and_resume(setup: dict) -> None:
    results = setup["tmp"] / "results"
    args = ["campaign", str(setup["campaign"]), "--inventory", str(setup["inventory"]),
            "--results", str(results), "--json"]  # fmt: skip
    dry = cli(setup, *args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)["runs"]
    assert sorted({r["host"] for r in plan}) == ["box1", "box2"] and len(plan) == 6

    first = cli(setup, *args)
    assert first.returncode == 3, first.stderr  # perf is hidden on both: those runs fail
    out = json.loads(first.stdout)
    assert out["counts"]["ingested"] == 4 and out["counts"]["failed"] == 2
    assert {f["host"] for f in out["failures"]} == {"box1", "box2"}
    assert all("not installed on this host: perf" in f["error"] for f in out["failures"])
    # three runs per host, both hosts in each wave
    assert "wave 3:" in first.stderr and "wave 4:" not in first.stderr

    listed = json.loads(cli(setup, "results", "list", "--results", str(results), "--json").stdout)
    assert sorted((r["host"], r["workload"]) for r in listed) == [
        ("box1", "fibo"), ("box1", "idle"), ("box2", "fibo"), ("box2", "idle")]  # fmt: skip
    for r in listed:
        assert r["exit_code"] == 0 and r["capture"] == 0 and r["topology"]
    fibo = [r for r in listed if r["workload"] == "fibo"]
    assert all(r["metrics"]["fibo_round_runs"] >= 1 for r in fibo)
    for bm in results.glob("*/runs/*/artifacts/benchmetrics"):
        metrics = read.read(bm.parent)
        assert metrics is not None and "can_migrate_task" not in metrics.latency
        assert any(m.startswith("latency can_migrate_task: ") for m in metrics.missing)
        assert (bm / "loadavg.txt").read_text().split()[0], "loadavg not recorded"
    assert len(list(results.glob("*/runs/*/artifacts/benchmetrics"))) == 4

    again = cli(setup, *args, "--resume")
    assert again.returncode == 3
    out2 = json.loads(again.stdout)
    assert out2["campaign_run"] == out["campaign_run"]
    assert {f["run_id"] for f in out2["failures"]} == {f["run_id"] for f in out["failures"]}
    relisted = json.loads(cli(setup, "results", "list", "--results", str(results), "--json").stdout)
    assert relisted == listed  # nothing ingested twice, nothing rewritten
    ledger = results / out["campaign_run"] / "ledger.sqlite"
    rows = sqlite3.connect(ledger).execute("SELECT workload, state, attempts FROM runs").fetchall()
    assert sorted(rows) == sorted(
        [("idle", "ingested", 1)] * 2
        + [("fibo", "ingested", 1)] * 2
        + [("perf-bench", "failed", 2)] * 2
    )

    export = cli(setup, "results", "export", "--out", str(setup["tmp"] / "x.parquet"),
                 "--results", str(results))  # fmt: skip
    assert export.returncode == 2 and "no ingested run with decisions" in export.stderr
