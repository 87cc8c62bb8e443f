"""The runner hands mllb-schedlat to roles/benchmetrics only for campaigns with benchmetrics on
(through the run's `schedlat_bin`, copied by the role like the tracer by roles/capture), and
never as a workload file."""

from __future__ import annotations

from pathlib import Path

from mllb_lab.campaign import runner
from mllb_lab.campaign.matrix import expand
from mllb_lab.campaign.schema import Campaign
from mllb_lab.campaign.targets import Resolved

FACTS = {"cpus": 8, "sockets": 2, "cores_per_socket": 2, "threads_per_core": 2,
         "numa_nodes": [{"id": 0, "cpus": "0-3"}, {"id": 1, "cpus": "4-7"}]}  # fmt: skip


def host_vars(tmp_path: Path, benchmetrics: bool, built: dict[str, Path]) -> dict:
    campaign = Campaign.model_validate(
        {"name": "b", "capture": False, "benchmetrics": benchmetrics, "duration": 2,
         "workloads": [{"name": "fibo", "params": {"n": 20}}]}
    )  # fmt: skip
    resolved = Resolved("lab:x", tmp_path / "inventory.yml", ["h1"], {"h1": FACTS}, lab="x")
    (spec,) = expand(campaign, ["h1"])
    return runner.host_vars(campaign, "cr", spec, 1, resolved, built, tmp_path)


def test_the_tool_goes_to_the_role_not_into_the_run_files(tmp_path: Path) -> None:
    built = {"fibo": tmp_path / "fibo", runner.SCHEDLAT: tmp_path / "k" / "mllb-schedlat"}
    hv = host_vars(tmp_path, True, built)
    assert hv["benchmetrics"] is True
    assert hv["schedlat_bin"] == str(tmp_path / "k" / "mllb-schedlat")
    assert [f["dest"] for f in hv["files"]] == ["fibo"]


def test_a_run_without_the_tool_carries_an_empty_path(tmp_path: Path) -> None:
    """(runner.run builds the tool only when benchmetrics is on; the resume tests run campaigns
    without it and without schedlat_build.)"""
    hv = host_vars(tmp_path, False, {"fibo": tmp_path / "fibo"})
    assert hv["schedlat_bin"] == "" and hv["benchmetrics"] is False
