"""A campaign recovers a guest that hangs in the middle of a run (campaign/recovery.py).

Stand-in for the hang: under multi-threaded TCG, attaching or detaching the tracer's BPF
trampoline hangs a guest for good about 1 round in 20 (docs/schedlat.md), which cannot be
triggered on demand. Here the test hangs the guest for real through QMP `stop` while a run's
workload is running: every vCPU stops and SSH dies, as in that hang. The campaign must notice
(Ansible reports the host unreachable), find it dead, power-cycle it through the QMP driver
(system_reset, then `cont`, since a stopped guest stays stopped after a reset), wait for SSH,
check it runs the same kernel, rerun that run, and finish with every run ingested and the
recovery in the --json output, the ledger and the power log; the run ingested before the hang
is left untouched.

Its own small lab (1 socket x 2 cores, single-threaded TCG without KVM: tracing), two 8 s runs.
Run it alone: flock /tmp/mllb-heavy.lock .venv/bin/pytest tests/vm/test_campaign_recovery.py -x
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from ledgers import open_ledger, run_states

from mllb_lab.errors import LabError
from mllb_lab.lab import ssh
from mllb_lab.lab.accel import tracing_accel
from mllb_lab.lab.backends.qmp import qmp_execute
from mllb_lab.lab.state import LabState, lab_dir
from mllb_lab.results import manifest

REPO = Path(__file__).resolve().parents[2]
LAB = "recover"
CAMPAIGN = """\
name: recover
targets: {{lab: {lab}}}
capture: true
duration: 8
timeout_margin: 60
seed: 3
workloads:
  - name: stress-cpu
    params: {{load: [100, 200]}}
"""


def workload_started(state: LabState, run_id: str) -> bool:
    """The run's workload is running: its output file exists in the first attempt's folder."""
    try:
        proc = ssh.run(state, f"ls /var/lib/mllb-lab/runs/*/{run_id}.1/workload.out", timeout=30)
    except LabError:  # a slow answer is "not yet"
        return False
    return proc.returncode == 0


@pytest.fixture(scope="module")
def lab(
    booted_lab: Callable[..., AbstractContextManager[LabState]],
) -> Iterator[LabState]:
    with booted_lab(LAB, "--topology", "1x2x1", "--memory", "1G", "--accel", tracing_accel()) as s:
        yield s


@pytest.fixture(scope="module")
def hung_campaign(lab: LabState, lab_env: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run the campaign; once the first run is ingested and the second's workload runs, stop
    the guest's vCPUs through QMP and leave the rest to the campaign."""
    folder = tmp_path_factory.mktemp("recover")
    results = folder / "results"
    file = folder / "recover.yml"
    file.write_text(CAMPAIGN.format(lab=LAB))
    cmd = [sys.executable, "-m", "mllb_lab", "campaign", str(file), "--lab", LAB,
           "--results", str(results), "--json"]  # fmt: skip
    err = (folder / "stderr.log").open("w")
    proc = subprocess.Popen(cmd, env=lab_env, stdout=subprocess.PIPE, stderr=err, text=True,
                            cwd=REPO)  # fmt: skip
    hung: str | None = None
    before: dict[str, tuple[str, int]] = {}
    deadline = time.monotonic() + 600
    while hung is None and proc.poll() is None and time.monotonic() < deadline:
        now = run_states(results, "recover")
        running = [r for r, (s, _) in now.items() if s == "running"]
        one_done = any(s == "ingested" for s, _ in now.values())
        if one_done and running and workload_started(lab, running[0]):
            qmp_execute(Path(lab.files["qmp"]), "stop")
            hung, before = running[0], now
        time.sleep(1)
    assert hung is not None, f"the campaign ended before the hang: rc {proc.poll()}"
    status = qmp_execute(Path(lab.files["qmp"]), "query-status")["return"]
    out, _ = proc.communicate(timeout=1200)
    err.close()
    return {
        "results": results,
        "hung": hung,
        "before": before,
        "paused": status,
        "rc": proc.returncode,
        "stdout": out,
        "stderr": (folder / "stderr.log").read_text(),
        "after": run_states(results, "recover"),
    }


def test_the_hung_run_is_rerun_after_a_power_cycle(hung_campaign: dict) -> None:
    c = hung_campaign
    assert c["paused"]["running"] is False  # the guest really was stopped
    assert c["rc"] == 0, c["stderr"][-4000:]
    summary = json.loads(c["stdout"])
    assert summary["counts"]["ingested"] == 2 and summary["failures"] == []
    assert c["after"][c["hung"]] == ("ingested", 2)  # the hung attempt, then one rerun
    (rec,) = summary["recoveries"]
    assert (rec["host"], rec["after_run"], rec["outcome"], rec["power"]) == (
        LAB, c["hung"], "recovered", "qmp",
    )  # fmt: skip
    assert rec["seconds"] > 0 and rec["release"]
    print(f"\nrecovery: power cycle (qmp) to SSH login {rec['seconds']} s on {rec['release']}")
    assert f"[{LAB}] unreachable after run {c['hung']}: power cycle (qmp)" in c["stderr"]
    assert f"[{LAB}] back after" in c["stderr"]


def test_recovery_is_recorded(hung_campaign: dict, lab: LabState) -> None:
    db = open_ledger(hung_campaign["results"], "recover")
    assert db is not None
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    finally:
        db.close()
    (saved,) = json.loads(meta["recoveries"])
    assert saved["after_run"] == hung_campaign["hung"] and saved["outcome"] == "recovered"
    power_log = (lab_dir(LAB) / "power.log").read_text()
    assert "qmp system_reset -> ok" in power_log and "qmp cont -> ok" in power_log
    assert str(lab_dir(LAB) / "power.log") in saved["logs"]


def test_same_kernel_and_nothing_lost(hung_campaign: dict, lab: LabState) -> None:
    release = ssh.check_output(lab, "uname -r").strip()
    assert release == lab.facts[LAB]["kernel"] == json.loads(hung_campaign["stdout"])[
        "recoveries"][0]["release"]  # fmt: skip
    results: Path = hung_campaign["results"]
    done_before = [r for r, (s, _) in hung_campaign["before"].items() if s == "ingested"]
    assert len(done_before) == 1
    db = sqlite3.connect(f"file:{results / 'index.sqlite'}?mode=ro", uri=True)
    try:
        rows = dict(db.execute("SELECT run_id, path FROM runs").fetchall())
    finally:
        db.close()
    assert set(rows) == set(hung_campaign["after"])
    for path in rows.values():
        manifest.verify(results / path / "artifacts")
