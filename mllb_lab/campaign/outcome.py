"""From a fetched run archive to an ingested run: unpack, read what the target recorded,
build the index row, hand it to the store."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tarfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from mllb_lab import __version__
from mllb_lab.campaign import agreement, capture_hook
from mllb_lab.campaign.matrix import RunSpec, canonical
from mllb_lab.errors import LabError
from mllb_lab.results import store
from mllb_lab.results.index import IndexRow
from mllb_lab.workloads import registry

ARCHIVE = "artifacts.tar.gz"


def unpack(work: Path) -> Path:
    """work/artifacts.tar.gz -> work/artifacts (complete, or not there at all)."""
    archive = work / ARCHIVE
    if not archive.is_file():
        raise LabError(f"the run archive did not come back (expected {archive})")
    tmp = work / "artifacts.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for m in members:
            check_member(m, archive)
        tar.extractall(tmp, members=members)
    os.rename(tmp, work / "artifacts")
    archive.unlink()
    return work / "artifacts"


def check_member(member: tarfile.TarInfo, archive: Path) -> None:
    """Only plain files and folders inside the archive's root (Python 3.11.2 has no filter=)."""
    name = Path(member.name)
    if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
        raise LabError(f"refusing archive member {member.name!r}", log=archive)


def read_text(folder: Path, name: str, default: str = "") -> str:
    path = folder / name
    return path.read_text(errors="replace") if path.is_file() else default


def metrics_of(spec: RunSpec, artifacts: Path) -> tuple[dict[str, Any], int]:
    info = json.loads(read_text(artifacts, "workload.json", "{}") or "{}")
    rc = int(info.get("rc", -1))
    metrics: dict[str, Any] = registry.parse_output(
        spec.workload, read_text(artifacts, "workload.out")
    )
    metrics["exit_code"] = rc
    metrics.update(agreement.metrics_of(artifacts))
    if "start" in info and "end" in info:
        metrics["wall_s"] = round(float(info["end"]) - float(info["start"]), 6)
    return metrics, rc


def tools_of(artifacts: Path) -> dict[str, str]:
    tools = {"mllb-lab": __version__}
    for pkg in ("ansible-core", "ansible-runner", "pyarrow"):
        with contextlib.suppress(PackageNotFoundError):
            tools[pkg] = version(pkg)
    for line in read_text(artifacts, "tools.txt").splitlines():
        name, _, value = line.partition(": ")
        if value:
            tools[f"target.{name.strip()}"] = value.strip()
    return tools


def ingest(
    results: Path,
    campaign: str,
    campaign_run: str,
    spec: RunSpec,
    regime: str,
    host_facts: dict[str, Any],
    topology: str,
    work: Path,
) -> IndexRow:
    artifacts = work / "artifacts"
    metrics, rc = metrics_of(spec, artifacts)
    config = (
        (artifacts / "kernel-config.txt").read_bytes()
        if (artifacts / "kernel-config.txt").is_file()
        else b""
    )
    row = IndexRow(
        run_id=spec.run_id,
        campaign=campaign,
        campaign_run=campaign_run,
        host=spec.host,
        topology=topology,
        cpus=int(host_facts.get("cpus", 0)),
        numa_nodes=len(host_facts.get("numa_nodes", [])),
        kernel_release=read_text(artifacts, "kernel-release.txt").strip() or "unknown",
        kernel_config_sha256=hashlib.sha256(config).hexdigest(),
        kernel_requested=spec.kernel,
        workload=spec.workload,
        params=canonical(spec.params),
        regime=regime,
        repetition=spec.repetition,
        seed=spec.seed,
        capture=int(spec.capture),
        duration=spec.duration,
        exit_code=rc,
        decisions=0,
        lost=None,
        tools=tools_of(artifacts),
    )
    return store.ingest(results, row, work, metrics, capture_hook.write_decisions)
