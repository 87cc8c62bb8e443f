"""The seam to the capture side (roles/capture and mllb_lab.capture), kept in one place.

The run playbook starts and stops the capture through the `capture` role's steps
(capture_steps [install, start], then [stop]) with the run folder as the tracer's output folder;
on ingest the tracer's output file is converted to decision records with
mllb_lab.capture.convert. Until the capture side is installed, campaigns with capture on stop
before running anything, naming the field to turn off.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from mllb_lab.errors import UserError
from mllb_lab.paths import repo_root

CAPTURE_FILE = "decisions.bin"  # the tracer's output in the run folder (capture_name decisions)


def available() -> bool:
    role = repo_root() / "roles" / "capture" / "tasks"
    has_convert = importlib.util.find_spec("mllb_lab.capture.convert") is not None
    return has_convert and all((role / f"{step}.yml").is_file() for step in ("start", "stop"))


def tracer_binary() -> Path:
    """The statically linked tracer, built on the controller (cached by its inputs)."""
    from mllb_lab.capture.build import build_tracer

    return build_tracer()


def require(field: str) -> None:
    if not available():
        raise UserError(
            field,
            "capture is on, but the capture side (roles/capture, mllb_lab.capture) is missing",
            "set capture: false for this campaign or install the capture side",
        )


def write_decisions(
    artifacts: Path, provenance: dict[str, str], out: Path
) -> tuple[int, int | None] | None:
    """Convert the tracer's file to decisions.parquet; (rows, lost events), None if absent."""
    src = artifacts / CAPTURE_FILE
    if not src.is_file():
        return None
    from mllb_lab.capture.convert import convert_file

    frame, summary = convert_file(src, out, provenance)
    lost = summary.get("lost")
    return len(frame), int(lost) if isinstance(lost, int) else None
