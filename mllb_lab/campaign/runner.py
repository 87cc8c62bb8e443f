"""Run a campaign: plan into the ledger, then waves of one run per host, in parallel.

A wave is one ansible-runner call of playbooks/run.yml over the hosts that still have work
(Ansible's forks run them in parallel); each host's run is fetched and ingested as soon as the
wave ends. The ledger records every transition, so Ctrl-C or kill -9 of this process, a crashed
guest or a dropped SSH connection loses at most the runs in flight, which --resume reruns.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mllb_lab.ansible import run_playbook
from mllb_lab.campaign import (
    campaign_run,
    capture_hook,
    outcome,
    recovery,
    recovery_ops,
    schema,
    targets,
)
from mllb_lab.campaign.kernel_switch import KernelSwitch, check_lab
from mllb_lab.campaign.ledger import Entry
from mllb_lab.campaign.matrix import RunSpec, expand
from mllb_lab.campaign.schema import Campaign
from mllb_lab.campaign.targets import Resolved, topology_of
from mllb_lab.errors import MllbError, UserError
from mllb_lab.progress import Progress
from mllb_lab.results import store
from mllb_lab.workloads import registry
from mllb_lab.workloads.base import Target

PLAYBOOK = "run.yml"
REMOTE_ROOT = "/var/lib/mllb-lab/runs"
TRACER = "mllb-tracer"
SCHEDLAT = "mllb-schedlat"  # roles/benchmetrics' latency + run-queue tool, like the tracer
CONTROLLER_ONLY = (TRACER, SCHEDLAT)  # built here, copied by their roles, not as run files


@dataclass
class Outcome:
    campaign_run: str
    folder: Path
    counts: dict[str, int]
    failures: list[dict[str, str]] = field(default_factory=list)
    recoveries: list[dict[str, Any]] = field(default_factory=list)  # hosts cycled or given up


def prepared(spec: RunSpec, facts: dict[str, Any]) -> registry.Prepared:
    params = registry.parse_params(spec.workload, spec.params)
    return registry.prepare(spec.workload, params, Target.from_facts(facts), spec.duration)


def check_kernel(campaign: Campaign, resolved: Resolved) -> None:
    if campaign.kernel == "stock":
        return
    for host, hf in resolved.facts.items():
        if hf.get("kernel") != campaign.kernel:
            raise UserError(
                "kernel",
                f"{host} runs {hf.get('kernel')}, the campaign wants {campaign.kernel}",
                "boot that kernel first (mllb-lab up --kernel ...) or use kernel: stock",
            )


def run(
    campaign: Campaign,
    file: Path,
    file_sha: str,
    resolved: Resolved,
    results: Path,
    resume: bool,
    progress: Progress,
) -> Outcome:
    if any(r.capture for r in expand(campaign, ["x"])):
        capture_hook.require("capture")
    check_kernel(campaign, resolved)
    if resume:
        cr = campaign_run.find_resumable(results, campaign.name, file_sha, resolved.label)
    else:
        cr = campaign_run.create(results, campaign.name, file, file_sha, resolved.label)
    switch = None
    if campaign.kernels is not None:
        check_lab(resolved.lab, "kernels")
        assert resolved.lab is not None
        model = schema.model_path(campaign, file.parent)
        switch = KernelSwitch.prepare(resolved.lab, campaign.kernel_entries(), model, progress)
    specs = {s.run_id: s for s in expand(campaign, resolved.hosts)}
    added = cr.ledger.plan(list(specs.values()))
    progress.say(f"campaign run {cr.id}: {len(specs)} runs ({added} newly planned)")
    files = {f for s in specs.values() for f in registry.get(s.workload).files}
    built = registry.build_files(tuple(sorted(files)))
    if any(s.capture for s in specs.values()):
        with progress.step("building the tracer (cached)"):
            built[TRACER] = capture_hook.tracer_binary()
    if campaign.benchmetrics:  # only then: campaigns without benchmetrics never build it
        from mllb_lab.benchmetrics.schedlat_build import ensure_schedlat

        with progress.step("building mllb-schedlat (cached)"):
            built[SCHEDLAT] = ensure_schedlat()
    failures: list[dict[str, str]] = []
    installed: set[str] = set()  # hosts that got the programs in this invocation
    recoverer = recovery_for(campaign, progress)
    try:
        wave = 0
        while True:
            todo = next_wave(cr.ledger.pending(campaign.max_attempts), failures)
            if not todo:
                break
            wave += 1
            setup: dict[str, Any] | None = None
            if switch is not None:
                todo, setup = switch_kernel(campaign, switch, specs, todo, progress)
                if setup["booted_for_this_run"]:  # new guest: new port, fresh disk
                    assert resolved.lab is not None
                    resolved = targets.from_lab(resolved.lab, "kernels", progress, True)
                    installed.clear()
            failures += run_wave(
                campaign, cr, specs, todo, resolved, results, built, installed, progress, setup,
                recoverer,
            )  # fmt: skip
            if recoverer is not None:
                failures = recoverer.settle(cr.ledger, failures, campaign.max_attempts)
                for host in recoverer.take_cycled():  # rebooted: programs and module are gone
                    installed.discard(host)
                    if switch is not None:
                        switch.loaded.clear()
            c = cr.ledger.counts()
            progress.say(
                f"wave {wave}: {c['ingested']}/{len(specs)} runs done, {c['failed']} failed"
            )
        recoveries = recoverer.to_json() if recoverer is not None else []
        return Outcome(cr.id, cr.folder, cr.ledger.counts(), failures, recoveries)
    finally:
        cr.ledger.close()


def recovery_for(campaign: Campaign, progress: Progress) -> recovery.Recoverer | None:
    """Hung hosts are power-cycled and their runs retried unless the campaign says
    `recover: false`."""
    if not campaign.recover:
        return None
    return recovery.Recoverer(recovery_ops.host_ops, progress)


def switch_kernel(
    campaign: Campaign,
    switch: KernelSwitch,
    specs: dict[str, RunSpec],
    todo: list[Entry],
    progress: Progress,
) -> tuple[list[Entry], dict[str, Any]]:
    """The wave runs the kernel entry of its earliest run only (one boot serves the hosts of
    the lab); the lab is put on that entry first."""
    first = min(todo, key=lambda e: e.seq)
    kernel = specs[first.run_id].kernel
    entry = {e.text: e for e in campaign.kernel_entries()}[kernel]
    setup = switch.ensure(entry, progress)
    return [e for e in todo if specs[e.run_id].kernel == kernel], setup


def next_wave(pending: list[Entry], failed_now: list[dict[str, str]]) -> list[Entry]:
    """Each host's next pending run; a run that failed in this invocation waits for --resume
    (except one whose host was power-cycled: recovery.settle took it out of the failures)."""
    skip = {f["run_id"] for f in failed_now}
    wave: dict[str, Entry] = {}
    for e in pending:
        if e.run_id not in skip and e.host not in wave:
            wave[e.host] = e
    return list(wave.values())


def run_wave(
    campaign: Campaign,
    cr: campaign_run.CampaignRun,
    specs: dict[str, RunSpec],
    todo: list[Entry],
    resolved: Resolved,
    results: Path,
    built: dict[str, Path],
    installed: set[str],
    progress: Progress,
    setup: dict[str, Any] | None = None,
    recoverer: recovery.Recoverer | None = None,
) -> list[dict[str, str]]:
    failures: list[dict[str, str]] = []
    to_run: dict[str, dict[str, Any]] = {}
    works: dict[str, Path] = {}
    for e in todo:
        spec = specs[e.run_id]
        work = store.staging_dir(results, cr.id, e.run_id, e.attempts)
        done = store.run_dir(results, cr.id, e.run_id).exists()
        if done or (e.state == "fetched" and (work / "artifacts").is_dir()):
            # The controller stopped after the fetch: ingest (or finish ingesting), never rerun.
            works[e.run_id] = work
            continue
        cr.ledger.move(e.run_id, "running")
        work = store.staging_dir(results, cr.id, e.run_id, e.attempts + 1)
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        works[e.run_id] = work
        hv = host_vars(campaign, cr.id, spec, e.attempts + 1, resolved, built, work)
        if setup is not None:
            hv["spec"]["kernel_setup"] = setup
        hv["install"] = spec.host not in installed
        if not hv["install"]:
            hv["files"] = []
        to_run[spec.host] = hv
        progress.say(
            f"[{spec.host}] {spec.workload} {spec.params or ''} rep {spec.repetition}: start"
        )
    failed_hosts: dict[str, str] = {}
    if to_run:
        longest = max(v["timeout"] for v in to_run.values())
        result = run_playbook(
            PLAYBOOK,
            resolved.inventory,
            extravars={"mllb_runs": to_run},
            limit=",".join(sorted(to_run)),
            lab=resolved.lab,
            timeout=longest + 600,  # the workload's own timeout fires first; this is a backstop
            raise_on_failure=False,
        )
        for f in result.failures:
            failed_hosts.setdefault(f.host, f"{f.task}: {f.kind}: {f.message}")
        installed.update(h for h in to_run if h not in failed_hosts)
        if not result.ok and not result.failures:
            for host in to_run:
                failed_hosts[host] = (
                    f"playbook {result.status} (rc {result.rc}), log {result.stdout}"
                )
    errors: dict[str, str] = {}
    for e in todo:  # ingest what came back before any recovery (which may take minutes)
        spec = specs[e.run_id]
        error = failed_hosts.get(spec.host) if spec.host in to_run else None
        if error is None:
            error = finish(campaign, cr, spec, resolved, results, works[e.run_id], progress)
        if error is not None:
            errors[e.run_id] = error
    recovered: dict[str, recovery.Recovery] = {}
    if recoverer is not None and failed_hosts:  # a hung host? (probe, power-cycle, give up)
        runs_of = {h: to_run[h]["spec"]["run_id"] for h in failed_hosts if h in to_run}
        recovered = recoverer.after_wave(runs_of, resolved)
    for run_id, error in errors.items():
        host = specs[run_id].host
        if host in recovered:
            error = f"{error}; {recovered[host].note()}"
        cr.ledger.move(run_id, "failed", error)
        failures.append({"run_id": run_id, "host": host, "error": error})
        progress.say(f"[{host}] {specs[run_id].workload}: FAILED: {error}")
    return failures


def host_vars(
    campaign: Campaign,
    crid: str,
    spec: RunSpec,
    attempt: int,
    resolved: Resolved,
    built: dict[str, Path],
    work: Path,
) -> dict[str, Any]:
    p = prepared(spec, resolved.facts[spec.host])
    return {
        # One folder per attempt: after a kill -9 the old attempt's orphaned ansible-playbook
        # may still be writing to its own folder while the resumed run starts afresh.
        "run_dir": f"{REMOTE_ROOT}/{crid}/{spec.run_id}.{attempt}",
        "command": p.command,
        "timeout": spec.duration + campaign.timeout_margin,
        "needs": list(p.needs),
        # Files go with a host's first run of the invocation only (run_wave clears them for the
        # others), so that run carries every workload's files, not just its own.
        "files": [
            {"src": str(v), "dest": f} for f, v in sorted(built.items()) if f not in CONTROLLER_ONLY
        ],
        "spec": {
            **spec.to_row(),
            "campaign_run": crid,
            "command": p.command,
            "regime": regime_of(spec, p),
        },
        "capture": spec.capture,
        "benchmetrics": campaign.benchmetrics,
        "agreement": campaign.agreement,
        "tracer_bin": str(built.get(TRACER, "")),
        "schedlat_bin": str(built.get(SCHEDLAT, "")),
        "fetch_to": str(work / outcome.ARCHIVE),
    }


def regime_of(spec: RunSpec, p: registry.Prepared) -> str:
    return spec.regime or p.regime


def finish(
    campaign: Campaign,
    cr: campaign_run.CampaignRun,
    spec: RunSpec,
    resolved: Resolved,
    results: Path,
    work: Path,
    progress: Progress,
) -> str | None:
    """Unpack and ingest one run; returns an error text, or None when it is ingested."""
    facts = resolved.facts[spec.host]
    try:
        in_place = store.run_dir(results, cr.id, spec.run_id).exists()
        if not in_place and not (work / "artifacts").is_dir():
            outcome.unpack(work)
            cr.ledger.move(spec.run_id, "fetched")
        p = prepared(spec, facts)
        row = outcome.ingest(
            results, campaign.name, cr.id, spec, regime_of(spec, p), facts, topology_of(facts), work
        )
    except MllbError as exc:  # a bad manifest or an unreadable tracer file fails this run only
        return str(exc)
    cr.ledger.move(spec.run_id, "ingested")
    note = f", exit code {row.exit_code}" if row.exit_code else ""
    progress.say(f"[{spec.host}] {spec.workload}: ingested, {row.decisions} decisions{note}")
    return None
