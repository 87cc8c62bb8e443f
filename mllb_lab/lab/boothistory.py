"""Boot attempts of a lab, kept in its folder for campaigns to attach to their runs:
$MLLB_LAB_HOME/<lab>/boots.json (a versioned list) and boots/<id>/console.log per attempt."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mllb_lab.lab.state import lab_dir

HISTORY = "boots.json"
HISTORY_VERSION = 1


@dataclass
class BootAttempt:
    id: str  # <UTC time>-<variant>, also the folder of its console log
    lab: str
    target: str  # what was asked for: a variant name or a path
    kernel: str  # the bzImage booted
    expected_release: str | None
    known_good: str  # the kernel the lab ran before, and falls back to
    result: str = "pending"  # ok | failed
    reason: str = ""  # panic | exited | hang | verify | "" when ok
    failure_line: str | None = None  # the console's panic line, if any
    release: str | None = None  # `uname -r` the test kernel reported, if it came up
    console_log: str = ""
    fallback: dict[str, Any] = field(default_factory=dict)  # {kernel, release, result}
    started: str = ""
    seconds: float = 0.0

    @property
    def folder(self) -> Path:
        return lab_dir(self.lab) / "boots" / self.id


def new_attempt(
    lab: str, target: str, kernel: Path, release: str | None, known_good: Path
) -> BootAttempt:
    safe = "".join(c if c.isalnum() or c in "+-." else "_" for c in target)[-40:]
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return BootAttempt(
        id=f"{stamp}-{safe}",
        lab=lab,
        target=target,
        kernel=str(kernel),
        expected_release=release,
        known_good=str(known_good),
        started=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )


def keep_console(attempt: BootAttempt, serial_log: Path) -> Path:
    """Copy the serial log now: the next boot of the lab starts a new one."""
    attempt.folder.mkdir(parents=True, exist_ok=True)
    kept = attempt.folder / "console.log"
    if serial_log.is_file():
        shutil.copyfile(serial_log, kept)
    else:
        kept.write_text("(no console output was written)\n")
    attempt.console_log = str(kept)
    return kept


def history_path(lab: str) -> Path:
    return lab_dir(lab) / HISTORY


def load(lab: str) -> list[BootAttempt]:
    path = history_path(lab)
    if not path.is_file():
        return []
    data = json.loads(path.read_text())
    return [BootAttempt(**a) for a in data.get("attempts", [])]


def record(attempt: BootAttempt) -> Path:
    """Append (or update, by id) the attempt in the lab's history, atomically."""
    attempts = [a for a in load(attempt.lab) if a.id != attempt.id] + [attempt]
    path = history_path(attempt.lab)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"version": HISTORY_VERSION, "attempts": [asdict(a) for a in attempts]}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".boots.", suffix=".json")
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, path)
    return path
