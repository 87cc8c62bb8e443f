"""One nightly: run the campaign (unless --compare-only), evaluate the newest campaign run
against its baseline, append the verdict to the history, write an HTML report beside it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mllb_lab.campaign import runner, targets
from mllb_lab.campaign.schema import Campaign
from mllb_lab.errors import UserError
from mllb_lab.nightly import config, history
from mllb_lab.nightly.config import Nightly
from mllb_lab.nightly.evaluate import Evaluation, campaign_runs, evaluate, pick_baseline
from mllb_lab.progress import Progress
from mllb_lab.report import build

EXIT_REGRESSION = 4
REPORTS = "reports"


@dataclass
class Outcome:
    evaluations: list[Evaluation]
    failed_runs: list[dict[str, str]]
    reports: list[Path]


def run_campaign(
    cfg: Nightly,
    campaign: Campaign,
    file: Path,
    sha: str,
    lab: str | None,
    inventory: Path | None,
    progress: Progress,
) -> runner.Outcome:
    lab = lab or (None if inventory else cfg.lab)
    inventory = inventory or cfg.inventory
    if lab is None and inventory is None:
        lab = campaign.targets.lab
    if lab is None and inventory is None:
        raise UserError("lab", "no targets", "set lab: or inventory: in the nightly file")
    resolved = targets.resolve(lab, inventory, campaign.targets.group, "lab", progress)
    return runner.run(campaign, file, sha, resolved, cfg.results, False, progress)


def evaluate_one(cfg: Nightly, runs: list[str], candidate: str) -> tuple[Evaluation, Path]:
    baseline = pick_baseline(cfg.results, runs, candidate, cfg.baseline)
    ev = evaluate(cfg.results, candidate, baseline, cfg.noise, cfg.alpha, cfg.metrics)
    history.append(cfg.results, ev.entry())
    out = cfg.results / REPORTS / f"{candidate}.html"
    folders = [cfg.results / candidate] + ([cfg.results / baseline] if baseline else [])
    build.build(folders, out, "campaign-run", baseline, noise=cfg.noise)
    return ev, out


def nightly(
    cfg: Nightly,
    source: Path,
    compare_only: bool,
    every: bool,
    lab: str | None,
    inventory: Path | None,
    progress: Progress,
) -> Outcome:
    campaign, file, sha = config.campaign_of(cfg, source)
    failed: list[dict[str, str]] = []
    if not compare_only:
        out = run_campaign(cfg, campaign, file, sha, lab, inventory, progress)
        failed = out.failures
        if failed:  # a partial night is recorded, never used as a baseline
            history.append(cfg.results, {"campaign_run": out.campaign_run, "verdict": "failed",
                                         "failures": failed})  # fmt: skip
            return Outcome([], failed, [])
    runs = campaign_runs(cfg.results, campaign.name)
    if not runs:
        raise UserError(
            "--compare-only", f"no run of campaign '{campaign.name}' in {cfg.results}",
            "run the nightly once without --compare-only",
        )  # fmt: skip
    evaluations, reports = [], []
    for candidate in runs if every else runs[-1:]:
        ev, report = evaluate_one(cfg, runs, candidate)
        progress.say(f"{candidate}: {ev.verdict} (baseline {ev.baseline or '-'})")
        evaluations.append(ev)
        reports.append(report)
    return Outcome(evaluations, failed, reports)
