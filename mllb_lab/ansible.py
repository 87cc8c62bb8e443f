"""Run a playbook through ansible-runner: one private dir and ident per run, events -> progress.

Layout under the base dir (default $MLLB_LAB_HOME/<lab>/ansible/):
  runs/<ident>/       the run's private_data_dir: env/, inventory/, project -> playbooks/,
                      fetched/ (where playbooks put files they fetch: extravar mllb_fetch_dir)
  artifacts/<ident>/  ansible-runner's artifacts (stdout, job_events/, rc, status, command)
Both are rotated to the newest `keep` runs. Environment variables are passed in memory only
(`suppress_env_files=True`), so nothing secret lands in env/.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ansible_runner

from mllb_lab.errors import LabError, UserError
from mllb_lab.paths import lab_home, repo_root
from mllb_lab.progress import Progress

log = logging.getLogger(__name__)

KEEP_RUNS = 20
# Event name -> word shown in the progress line.
HOST_EVENTS = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_unreachable": "unreachable",
    "runner_on_skipped": "skipped",
}


@dataclass
class HostFailure:
    host: str
    task: str
    kind: str  # failed | unreachable
    message: str

    def __str__(self) -> str:
        return f"[{self.host}] TASK {self.task}: {self.kind}: {self.message}"


@dataclass
class RunResult:
    playbook: str
    rc: int
    status: str  # successful | failed | timeout | canceled
    ident: str
    run_dir: Path
    artifact_dir: Path
    failures: list[HostFailure] = field(default_factory=list)
    outcomes: list[tuple[str, str, str]] = field(default_factory=list)  # (host, task, word)
    changed: int = 0
    events: int = 0
    # {host: {task: the module's result}} for the tasks run_playbook was asked to keep
    task_results: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.rc == 0 and self.status == "successful" and not self.failures

    @property
    def fetch_dir(self) -> Path:
        return self.run_dir / "fetched"

    @property
    def stdout(self) -> Path:
        return self.artifact_dir / "stdout"


class EventProgress:
    """ansible-runner event_handler: per-host task results become progress lines."""

    def __init__(self, progress: Progress | None, keep: tuple[str, ...] = ()) -> None:
        self.progress = progress
        self.keep = keep
        self.task_results: dict[str, dict[str, dict[str, Any]]] = {}
        self.failures: list[HostFailure] = []
        self.outcomes: list[tuple[str, str, str]] = []
        self.changed = 0
        self.count = 0

    def __call__(self, event: dict[str, Any]) -> bool:
        self.count += 1
        name = event.get("event", "")
        if name not in HOST_EVENTS:
            return True
        data = event.get("event_data", {})
        host = str(data.get("host", "?"))
        task = str(data.get("task", "?")).strip()
        res = data.get("res") if isinstance(data.get("res"), dict) else {}
        word = HOST_EVENTS[name]
        if name == "runner_on_ok" and res.get("changed"):
            word = "changed"
            self.changed += 1
        if name == "runner_on_ok" and task in self.keep:
            self.task_results.setdefault(host, {})[task] = res
        self.outcomes.append((host, task, word))
        line = f"[{host}] TASK {task}: {word}"
        if name in ("runner_on_failed", "runner_on_unreachable"):
            message = one_line(str(res.get("msg") or res.get("stderr") or res))
            if data.get("ignore_errors"):
                line += " (ignored)"
            else:
                kind = "unreachable" if name == "runner_on_unreachable" else "failed"
                self.failures.append(HostFailure(host, task, kind, message))
            line += f": {message}"
        if self.progress is not None:
            self.progress.say(line)
        return True  # keep the event in artifacts/<ident>/job_events


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def playbook_path(playbook: str) -> Path:
    path = Path(playbook)
    if not path.is_absolute():
        path = repo_root() / "playbooks" / playbook
    if not path.is_file():
        raise UserError("playbook", f"{playbook} not found", f"expected {path}")
    return path


def runner_env() -> dict[str, str]:
    """ansible-runner starts `ansible-playbook` from PATH: put this interpreter's bin first."""
    venv_bin = str(Path(sys.executable).parent)
    return {
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "/usr/bin:/bin")]),
        "ANSIBLE_CONFIG": str(repo_root() / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(repo_root() / "roles"),
        "ANSIBLE_PIPELINING": "True",  # ~40% fewer SSH round trips into slow TCG guests
        # ansible-runner sets this to False unless given; Ansible then puts
        # StrictHostKeyChecking=no before the inventory's ssh args, and ssh takes the first.
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_NOCOLOR": "True",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
    }


def new_ident(playbook: Path) -> str:
    """Sorts by start time; the random part keeps concurrent runs of one lab apart."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{secrets.token_hex(2)}-{playbook.stem}"


def rotate(folder: Path, keep: int) -> None:
    """Keep the newest `keep` entries (idents sort by time)."""
    if not folder.is_dir():
        return
    entries = sorted(p for p in folder.iterdir() if p.is_dir())
    for old in entries[: max(0, len(entries) - keep)]:
        shutil.rmtree(old, ignore_errors=True)


def prepare_run_dir(run_dir: Path, playbook: Path) -> None:
    for sub in ("env", "inventory", "fetched"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    (run_dir / "project").symlink_to(playbook.parent, target_is_directory=True)


def run_playbook(
    playbook: str,
    inventory: Path | dict[str, Any],
    *,
    extravars: dict[str, Any] | None = None,
    limit: str | None = None,
    check: bool = False,
    progress: Progress | None = None,
    tags: str | None = None,
    lab: str | None = None,
    base_dir: Path | None = None,
    keep: int = KEEP_RUNS,
    timeout: int | None = None,
    raise_on_failure: bool = True,
    cancel: Callable[[], bool] | None = None,
    env: dict[str, str] | None = None,
    keep_results: tuple[str, ...] = (),
) -> RunResult:
    """Run `playbook` (a name under playbooks/ or a path) and return what happened.

    Raises LabError naming the failed host/task and the stdout artifact when the run fails,
    unless raise_on_failure is False. `env` adds or overrides ANSIBLE_* settings for this run.
    The results of the tasks named in `keep_results` come back in `task_results`.
    """
    book = playbook_path(playbook)
    if not isinstance(inventory, dict) and not Path(inventory).exists():
        raise UserError("inventory", f"{inventory} does not exist", "check the path")
    base = base_dir or (lab_home() / lab / "ansible" if lab else lab_home() / ".ansible-runs")
    ident = new_ident(book)
    run_dir = base / "runs" / ident
    rotate(base / "runs", keep - 1)
    prepare_run_dir(run_dir, book)
    if isinstance(inventory, dict):
        inv_arg = run_dir / "inventory" / "hosts.json"
        inv_arg.write_text(json.dumps(inventory, indent=2))
    else:
        inv_arg = Path(inventory).resolve()
    # Playbooks put what they fetch under mllb_fetch_dir, so results stay with their run.
    fetched = run_dir / "fetched"
    variables = {"mllb_run_dir": str(run_dir), "mllb_fetch_dir": str(fetched), **(extravars or {})}
    handler = EventProgress(progress, keep_results)
    cmdline = "--check --diff" if check else None
    log.debug("ansible run %s: %s on %s", ident, book, inv_arg)
    runner = ansible_runner.run(
        private_data_dir=str(run_dir),
        artifact_dir=str(base / "artifacts"),
        project_dir=str(run_dir / "project"),
        ident=ident,
        playbook=book.name,
        inventory=str(inv_arg),
        extravars=variables,
        limit=limit,
        tags=tags,
        cmdline=cmdline,
        envvars={**runner_env(), **(env or {})},
        suppress_env_files=True,
        rotate_artifacts=keep,
        event_handler=handler,
        cancel_callback=cancel,
        timeout=timeout,
        quiet=True,
    )
    result = RunResult(
        playbook=book.name,
        rc=int(runner.rc if runner.rc is not None else -1),
        status=str(runner.status),
        ident=ident,
        run_dir=run_dir,
        artifact_dir=Path(runner.config.artifact_dir),
        failures=handler.failures,
        outcomes=handler.outcomes,
        changed=handler.changed,
        events=handler.count,
        task_results=handler.task_results,
    )
    if raise_on_failure and not result.ok:
        raise LabError(describe_failure(result), log=result.stdout)
    return result


def describe_failure(result: RunResult) -> str:
    head = f"playbook {result.playbook} {result.status} (rc {result.rc}, run {result.ident})"
    if result.failures:
        return f"{head}: " + "; ".join(str(f) for f in result.failures[:3])
    if result.rc == 127:
        return f"{head}: ansible-playbook not found on PATH"
    return head
