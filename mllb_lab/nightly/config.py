"""The nightly file: which campaign, where, which history, which baseline, how much noise.

campaign: smoke.yml          # a campaign file relative to this file, or a campaign inline
lab: nightly                 # or inventory: FILE (+ the campaign's targets.group); default:
                             #   the campaign's targets.lab
results: ../results/nightly  # the history: a results store, relative to this file
baseline: last-good          # or a pinned campaign run id, e.g. smoke-20260101T020000Z
noise: 0.05                  # relative change of a mean ignored as noise
alpha: 0.05                  # significance level of the Welch t-test
metrics: []                  # only these metrics (default: every metric with a direction)
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mllb_lab import yamlfile
from mllb_lab.campaign import schema
from mllb_lab.campaign.schema import Campaign, user_error
from mllb_lab.errors import UserError
from mllb_lab.paths import cache_home


class Nightly(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    campaign: Path | dict[str, Any]
    lab: str | None = None
    inventory: Path | None = None
    results: Path = Path("results/nightly")
    baseline: str = Field(default="last-good", pattern=r"^[A-Za-z0-9._-]+$")
    noise: float = Field(default=0.05, ge=0, lt=1)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    metrics: list[str] = Field(default_factory=list)


def load(path: Path) -> Nightly:
    """Read and validate; relative paths are taken relative to the nightly file."""
    if not path.is_file():
        raise UserError("FILE", f"{path} does not exist", "give a nightly YAML file")
    data = yamlfile.parse(path.read_text(), str(path))
    if not isinstance(data, dict):
        raise UserError(str(path), "not a mapping", "start with 'campaign:'")
    try:
        cfg = Nightly.model_validate(data)
    except ValidationError as exc:
        raise user_error(str(path), exc) from None
    if cfg.lab and cfg.inventory:
        raise UserError(f"{path}: lab", "give lab or inventory, not both", "remove one")
    base = path.parent
    return cfg.model_copy(
        update={
            "campaign": base / cfg.campaign if isinstance(cfg.campaign, Path) else cfg.campaign,
            "results": base / cfg.results,
            "inventory": base / cfg.inventory if cfg.inventory else None,
        }
    )


def campaign_of(cfg: Nightly, source: Path) -> tuple[Campaign, Path, str]:
    """(campaign, the file the runner copies into the campaign run, its sha256).

    An inline campaign is validated like a campaign file (errors name `campaign.<field>`) and
    written canonically to a content-keyed file in the cache, so unchanged nights hash the
    same and nothing is rewritten."""
    if isinstance(cfg.campaign, Path):
        campaign, sha = schema.load(cfg.campaign)
        return campaign, cfg.campaign, sha
    try:
        campaign = Campaign.model_validate(cfg.campaign)
    except ValidationError as exc:
        raise user_error(str(source), exc, ("campaign",)) from None
    schema.check_params(f"{source}: campaign", campaign)
    text = yaml.safe_dump(cfg.campaign, sort_keys=True).encode()
    sha = hashlib.sha256(text).hexdigest()
    file = cache_home() / "nightly" / f"{campaign.name}-{sha[:16]}.yml"
    if not file.is_file():
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(text)
        os.replace(tmp, file)
    return campaign, file, sha
