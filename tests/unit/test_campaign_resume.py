"""Resume of a run whose artifacts came back before the controller died: it is ingested from
the staged artifacts, not run again (no playbook starts: nothing is left to run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mllb_lab.campaign import campaign_run, runner
from mllb_lab.campaign.ledger import Entry
from mllb_lab.campaign.matrix import expand
from mllb_lab.campaign.runner import next_wave
from mllb_lab.campaign.schema import Campaign
from mllb_lab.campaign.targets import Resolved
from mllb_lab.errors import UserError
from mllb_lab.progress import Progress
from mllb_lab.results import index, manifest, store

FACTS = {"cpus": 8, "sockets": 2, "cores_per_socket": 2, "threads_per_core": 2,
         "numa_nodes": [{"id": 0, "cpus": "0-3"}, {"id": 1, "cpus": "4-7"}]}  # fmt: skip


def setup(tmp_path: Path) -> tuple[Campaign, Path, Resolved, Path]:
    campaign = Campaign.model_validate(
        {"name": "r", "capture": False, "duration": 2, "workloads": [{"name": "idle"}]}
    )
    file = tmp_path / "r.yml"
    file.write_text("name: r\n")
    resolved = Resolved("lab:x", tmp_path / "inventory.yml", ["h1"], {"h1": FACTS}, lab="x")
    return campaign, file, resolved, tmp_path / "results"


def test_fetched_run_is_ingested_not_rerun(tmp_path: Path) -> None:
    campaign, file, resolved, results = setup(tmp_path)
    cr = campaign_run.create(results, "r", file, "sha", resolved.label)
    (spec,) = expand(campaign, ["h1"])
    cr.ledger.plan([spec])
    cr.ledger.move(spec.run_id, "running")
    art = store.staging_dir(results, cr.id, spec.run_id, 1) / "artifacts"
    art.mkdir(parents=True)
    (art / "workload.out").write_text("loadavg=0.25\n")
    (art / "workload.json").write_text('{"rc": 0, "start": 10.0, "end": 12.5, "timeout": 122}')
    (art / "kernel-release.txt").write_text("6.1.0-x\n")
    manifest.write(art)
    cr.ledger.move(spec.run_id, "fetched")
    cr.ledger.close()  # the controller dies here

    out = runner.run(campaign, file, "sha", resolved, results, resume=True, progress=Progress(True))
    assert out.campaign_run == cr.id and out.counts["ingested"] == 1 and not out.failures
    db = index.connect(results)
    (row,) = index.query(db)
    db.close()
    assert row["metrics"] == {"loadavg_1m": 0.25, "exit_code": 0, "wall_s": 2.5}
    assert (row["regime"], row["kernel_release"], row["topology"]) == ("idle", "6.1.0-x", "2x2x2")
    prov = json.loads((results / row["path"] / "provenance.json").read_text())
    assert prov["run_id"] == spec.run_id


def test_resume_refuses_a_changed_file_or_nothing_to_resume(tmp_path: Path) -> None:
    campaign, file, resolved, results = setup(tmp_path)
    with pytest.raises(UserError, match="no earlier run"):
        runner.run(campaign, file, "sha", resolved, results, resume=True, progress=Progress(True))
    campaign_run.create(results, "r", file, "sha", resolved.label).ledger.close()
    with pytest.raises(UserError, match="campaign file changed"):
        runner.run(campaign, file, "other", resolved, results, resume=True, progress=Progress(True))


def test_a_wave_takes_each_hosts_next_run_and_skips_fresh_failures(tmp_path: Path) -> None:
    pending = [
        Entry("a1", "h1", 0, "planned", 0, None),
        Entry("a2", "h1", 1, "planned", 0, None),
        Entry("b1", "h2", 0, "failed", 1, "x"),
        Entry("b2", "h2", 1, "planned", 0, None),
    ]
    assert [e.run_id for e in next_wave(pending, [])] == ["a1", "b1"]
    assert [e.run_id for e in next_wave(pending, [{"run_id": "b1"}])] == ["a1", "b2"]
