"""The agreement harvest (campaign `agreement: true`): the schema switch, the run variable the
playbook reads, the metrics a run's agreement.json adds, the `results list` column, and the
role's target script refusing a kernel without JC_SCHED (this controller). The counters exist
only in a JC guest: tests/kernel/test_agreement.py runs the harvest there for real."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mllb_lab.campaign import agreement, schema
from mllb_lab.commands.results import agreement_text
from mllb_lab.errors import LabError, UserError

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "roles" / "agreement" / "files" / "mllb_agreement.py"
BASE = "name: t\ntargets: {lab: nolab}\nworkloads:\n  - name: idle\n"


def load(tmp_path: Path, text: str) -> schema.Campaign:
    path = tmp_path / "c.yml"
    path.write_text(text)
    return schema.load(path)[0]


def test_schema_switch_defaults_off_and_takes_a_bool(tmp_path: Path) -> None:
    assert load(tmp_path, BASE).agreement is False
    assert load(tmp_path, BASE + "agreement: true\n").agreement is True
    with pytest.raises(UserError) as err:
        load(tmp_path, BASE + "agreement: maybe\n")
    assert "agreement" in str(err.value)


def harvest(cells: dict[str, int], decisions: int) -> dict:
    return {"version": 1, "mode": "test", "counters": cells, "decisions": decisions}


def test_metrics_from_the_harvest_file(tmp_path: Path) -> None:
    assert agreement.metrics_of(tmp_path) == {}  # no harvest: no columns
    cells = {"cfs0_ml0": 5, "cfs0_ml1": 1, "cfs1_ml0": 2, "cfs1_ml1": 992, "no_model": 0}
    (tmp_path / agreement.FILE).write_text(json.dumps(harvest(cells, 1000)))
    m = agreement.metrics_of(tmp_path)
    assert m["agreement"] == pytest.approx(0.997)
    assert m["agreement_decisions"] == 1000 and m["agreement_cfs1_ml0"] == 2
    assert m["agreement_mode"] == "test"
    assert agreement_text(m) == " agreement=99.7000% of 1000"
    assert agreement_text({}) == ""


def test_no_decisions_is_no_share_and_a_broken_file_fails_the_run(tmp_path: Path) -> None:
    cells = dict.fromkeys(agreement.CELLS, 0) | {"no_model": 40}
    (tmp_path / agreement.FILE).write_text(json.dumps(harvest(cells, 0)))
    m = agreement.metrics_of(tmp_path)
    assert m["agreement"] is None and m["agreement_no_model"] == 40
    assert agreement_text(m) == " agreement=n/a of 0"
    (tmp_path / agreement.FILE).write_text('{"counters": {}}')
    with pytest.raises(LabError):
        agreement.metrics_of(tmp_path)


def test_the_run_playbook_wraps_the_workload_in_the_harvest() -> None:
    text = (REPO / "playbooks" / "run.yml").read_text()
    start = text.index("name: Start the agreement harvest")
    workload = text.index("name: Run the workload")
    stop = text.index("name: Stop the agreement harvest")
    assert start < workload < stop
    assert text.count("when: run.agreement | default(false) | bool") == 2


def test_target_script_refuses_a_kernel_without_jc_sched(tmp_path: Path) -> None:
    """On this controller (no JC_SCHED kernel) the start step must fail loudly, not pass."""
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "start", str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "not a JC_SCHED kernel" in proc.stderr
    assert not (tmp_path / "agreement.json").exists()
