"""mllb.ko on a running lab host: copy it in, load it, feed /sys/kernel/mllb/, read it back.
Over the lab's own ssh (pinned host key, shared connection); files travel on stdin.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from mllb_lab.errors import LabError
from mllb_lab.lab.ssh import ssh_argv
from mllb_lab.lab.state import LabState

SYSFS = "/sys/kernel/mllb"
GUEST_KO = "/tmp/mllb.ko"


def run(
    state: LabState, command: str, data: bytes | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """One shell command on the lab's first host; `data` goes to its stdin."""
    try:
        proc = subprocess.run(
            [*ssh_argv(state), command], input=data, capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise LabError(f"'{command}' on lab '{state.name}' took over {timeout:.0f}s") from None
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode()
    )


def check(state: LabState, command: str, data: bytes | None = None) -> str:
    proc = run(state, command, data)
    if proc.returncode != 0:
        raise LabError(f"'{command}' on lab '{state.name}' failed: {proc.stderr.strip()[-300:]}")
    return proc.stdout


def push(state: LabState, data: bytes, path: str) -> None:
    check(state, f"cat > {shlex.quote(path)}", data)


def insmod(state: LabState, module: Path) -> None:
    """(Re)load mllb.ko: a loaded copy is removed first."""
    push(state, module.read_bytes(), GUEST_KO)
    check(state, f"if [ -d {SYSFS} ]; then rmmod mllb; fi; insmod {GUEST_KO}")


def write_attr(state: LabState, name: str, data: bytes) -> subprocess.CompletedProcess[str]:
    """Write `data` to /sys/kernel/mllb/<name> with cat (which writes until done, so sysfs'
    page-sized pieces all arrive); a refusal shows as a non-zero exit and strerror text."""
    return run(state, f"cat > {SYSFS}/{name}", data)


def read_attr(state: LabState, name: str) -> dict[str, str]:
    """A `key value` per line attribute as a dict."""
    out = check(state, f"cat {SYSFS}/{name}")
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def read_model(state: LabState) -> bytes:
    proc = subprocess.run(
        [*ssh_argv(state), f"cat {SYSFS}/model"], capture_output=True, timeout=120
    )
    if proc.returncode != 0:
        raise LabError(f"reading {SYSFS}/model on lab '{state.name}' failed")
    return proc.stdout


def bench(state: LabState, decisions: int) -> dict[str, str]:
    check(state, f"echo {int(decisions)} > {SYSFS}/bench")
    return read_attr(state, "bench")
