"""Run the tracer on a lab's hosts through Ansible (playbooks/capture.yml, roles/capture/).

One playbook run per capture: install and start the tracer, run the workload (or wait),
stop the tracer, fetch its records and summary (checksum-verified). The campaign runner can
instead use the role's steps around its own workload step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mllb_lab.ansible import RunResult, run_playbook
from mllb_lab.capture.build import build_tracer
from mllb_lab.errors import LabError, UserError
from mllb_lab.inventory import write_lab_inventory
from mllb_lab.lab import lifecycle
from mllb_lab.lab import state as lab_state
from mllb_lab.progress import Progress

PLAYBOOK = "capture.yml"


@dataclass(frozen=True)
class HostCapture:
    host: str
    records_file: Path  # the tracer's binary file, fetched
    summary: dict[str, Any]  # the tracer's own JSON summary (records, lost, kernel, ...)


def running_lab(name: str, field: str = "NAME") -> lab_state.LabState:
    lab_state.check_name(name, field)
    state = lab_state.load(name)
    if state is None:
        raise UserError(field, f"there is no lab named '{name}'", "see 'mllb-lab status'")
    if lifecycle.live_status(state) != "running":
        raise UserError(field, f"lab '{name}' is not running", "run 'mllb-lab up' for it first")
    return state


def check_inputs(duration: int, ring_mb: int) -> None:
    if duration <= 0:
        raise UserError(
            "--duration",
            f"{duration} is not a positive number of seconds",
            "give e.g. --duration 30",
        )
    if ring_mb <= 0 or ring_mb & (ring_mb - 1):
        raise UserError("--ring-mb", f"{ring_mb} is not a power of two", "use 16, 64 or 256")


def capture_on_lab(
    lab: str,
    *,
    duration: int = 30,
    workload_cmd: str | None = None,
    name: str = "decisions",
    ring_mb: int = 64,
    poll_ms: int = 50,
    progress: Progress | None = None,
) -> list[HostCapture]:
    """Capture decisions on every host of `lab` while `workload_cmd` runs (or for `duration`)."""
    check_inputs(duration, ring_mb)
    state = running_lab(lab)
    progress = progress or Progress(quiet=True)
    with progress.step("building the tracer (cached)"):
        binary = build_tracer()
    extravars = {
        "capture_tracer_bin": str(binary),
        "capture_duration": duration,
        "capture_workload_cmd": workload_cmd or "",
        "capture_name": name,
        "capture_ring_mb": ring_mb,
        "capture_poll_ms": poll_ms,
    }
    inventory = write_lab_inventory(state)
    with progress.step(f"capturing for {duration}s on {len(state.hosts)} host(s)"):
        result = run_playbook(
            PLAYBOOK, inventory, lab=state.name, extravars=extravars, progress=progress
        )
    return [fetched(result, host.name, name) for host in state.hosts]


def fetched(result: RunResult, host: str, name: str) -> HostCapture:
    folder = result.fetch_dir / "capture" / host
    records, summary_file = folder / f"{name}.bin", folder / f"{name}.json"
    if not records.is_file() or not summary_file.is_file():
        raise LabError(f"no capture came back from {host} (expected {folder})", log=result.stdout)
    try:
        summary = json.loads(summary_file.read_text())
    except json.JSONDecodeError as exc:
        raise LabError(f"tracer summary from {host} is not JSON: {exc}", log=summary_file) from None
    return HostCapture(host=host, records_file=records, summary=summary)
