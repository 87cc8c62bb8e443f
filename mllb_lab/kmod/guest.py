"""mllb.ko on a running lab host: copy it in, load it, feed /sys/kernel/mllb/, read it back.
Over the lab's own ssh (pinned host key, shared connection); files travel on stdin.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import numpy as np

from mllb_lab.errors import LabError
from mllb_lab.kmod.lb_in import LB_IN_DTYPE
from mllb_lab.lab.ssh import ssh_argv
from mllb_lab.lab.state import LabState

SYSFS = "/sys/kernel/mllb"
GUEST_KO = "/tmp/mllb.ko"
# struct mllb_raw_out (kmod/mllb_raw.h): what /sys/kernel/mllb/decide answers per row.
RAW_OUT_DTYPE = np.dtype(
    [
        ("fixed_out", "<i4"),
        ("float_bits", "<u4"),
        ("fixed_decision", "u1"),
        ("float_decision", "u1"),
        ("pad", "u1", 2),
    ]
)
RAW_ROWS_PER_WRITE = 4096 // LB_IN_DTYPE.itemsize  # the module takes one page per write


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


def decide_raw(state: LabState, raw: np.ndarray) -> np.ndarray:
    """The kernel's decide() path (both implementations) on rows of struct mllb_lb_in; one
    ssh round trip: dd writes each page-sized batch in one write(), cat reads the answers."""
    raw = np.ascontiguousarray(raw, dtype=LB_IN_DTYPE)
    block = RAW_ROWS_PER_WRITE * LB_IN_DTYPE.itemsize
    batches = -(-len(raw) // RAW_ROWS_PER_WRITE)
    script = (
        f"for i in $(seq {batches}); do "
        f"dd bs={block} count=1 iflag=fullblock conv=notrunc status=none "
        f"of={SYSFS}/decide || exit 1; cat {SYSFS}/decide; done"
    )
    proc = subprocess.run(
        [*ssh_argv(state), script], input=raw.tobytes(), capture_output=True, timeout=300
    )
    if proc.returncode != 0:
        raise LabError(f"{SYSFS}/decide on lab '{state.name}': {proc.stderr.decode()[-300:]}")
    out = np.frombuffer(proc.stdout, dtype=RAW_OUT_DTYPE)
    if len(out) != len(raw):
        raise LabError(f"{SYSFS}/decide answered {len(out)} rows for {len(raw)}")
    return out


def bench(state: LabState, decisions: int) -> dict[str, str]:
    check(state, f"echo {int(decisions)} > {SYSFS}/bench")
    return read_attr(state, "bench")
