"""A campaign run: one folder in the results store (campaign file copy + ledger), and finding
the one to continue with --resume."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mllb_lab.campaign.ledger import Ledger
from mllb_lab.errors import UserError

LEDGER = "ledger.sqlite"
CAMPAIGN_COPY = "campaign.yml"


@dataclass
class CampaignRun:
    id: str
    folder: Path
    ledger: Ledger


def create(results: Path, name: str, source: Path, file_sha: str, targets: str) -> CampaignRun:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    crid = f"{name}-{stamp}"
    folder = results / crid
    n = 1
    while folder.exists():  # two starts within one second: never reuse a folder
        n += 1
        crid = f"{name}-{stamp}-{n}"
        folder = results / crid
    folder.mkdir(parents=True)
    shutil.copyfile(source, folder / CAMPAIGN_COPY)
    ledger = Ledger(folder / LEDGER)
    ledger.set_meta(campaign=name, file_sha256=file_sha, targets=targets, campaign_run=crid)
    return CampaignRun(crid, folder, ledger)


def find_resumable(results: Path, name: str, file_sha: str, targets: str) -> CampaignRun:
    """The newest campaign run of this campaign on these targets."""
    candidates = sorted(results.glob(f"{name}-*/{LEDGER}"), reverse=True)
    for path in candidates:
        ledger = Ledger(path)
        meta = ledger.meta()
        if meta.get("campaign") != name or meta.get("targets") != targets:
            ledger.close()
            continue
        if meta.get("file_sha256") != file_sha:
            ledger.close()
            raise UserError(
                "--resume",
                f"the campaign file changed since {path.parent.name} started",
                "restore it, or start a new campaign run without --resume",
            )
        return CampaignRun(path.parent.name, path.parent, ledger)
    raise UserError(
        "--resume", f"no earlier run of campaign '{name}' on {targets} in {results}",
        "start one without --resume",
    )  # fmt: skip
