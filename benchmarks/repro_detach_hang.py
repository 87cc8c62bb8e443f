"""Reproducer, not a test: does detaching mllb-schedlat under load hang a TCG guest?

Boots a 2x2x2 stock lab with the given --accel, then loops: start mllb-schedlat (fentry/fexit on
can_migrate_task and load_balance), wait for `attached`, start `hackbench -g 4 -l 2000` in the
background, SIGINT the tool ~3 s later while hackbench runs (the worst case: the detach patches
hot functions), then check the guest still answers `ssh true` within 30 s. Stops at the first
hang or when --cap seconds of looping have passed, then `mllb-lab down` (kills a hung guest).
Prints the boot time, hangs/N and one untraced hackbench time (the accelerator's throughput).

Run it alone on the machine (it boots an 8-vCPU guest):
  MLLB_LAB_HOME=/tmp/E-labs flock /tmp/mllb-heavy.lock \
      .venv/bin/python benchmarks/repro_detach_hang.py --accel tcg-single --cap 300
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

from mllb_lab.benchmetrics.schedlat_build import ensure_schedlat
from mllb_lab.kmod import guest
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.ssh import ssh_argv

DIR = "/var/tmp/hang-repro"
HACKBENCH = "hackbench -g 4 -l 2000"  # the load detached under: runs minutes in TCG, killed after
# The throughput figure: a short untraced run (the long one above takes over 2 min in MTTCG).
THROUGHPUT = "hackbench -g 2 -l 200"
# One detach under load. The tool runs in this ssh session; hackbench in its own session
# (setsid) so it can be killed as a group once the guest has been seen alive.
ITERATION = f"""
set -u
cd {DIR}
rm -f tool.out tool.err
./mllb-schedlat --out r.json > tool.out 2> tool.err & t=$!
for i in $(seq 600); do grep -q attached tool.out && break; sleep 0.1; done
grep -q attached tool.out || {{ echo "not attached"; cat tool.err; exit 1; }}
setsid {HACKBENCH} > hb.out 2>&1 & echo $! > hb.pid
sleep 3
kill -INT $t; wait $t; echo "tool_rc=$?"
"""
MLLB_LAB = str(Path(sys.executable).parent / "mllb-lab")  # the venv's CLI
KILL_LOAD = f"kill -- -$(cat {DIR}/hb.pid) 2>/dev/null; sleep 1; true"


def ssh(state: lab_state.LabState, command: str, timeout: float) -> tuple[int | None, str]:
    """(exit code, output), or (None, '') when the guest did not answer in time."""
    try:
        proc = subprocess.run(
            [*ssh_argv(state), command], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None, ""
    return proc.returncode, proc.stdout + proc.stderr


def up(name: str, accel: str) -> float:
    start = time.monotonic()
    subprocess.run(
        [MLLB_LAB, "up", "--topology", "2x2x2", "--name", name, "--accel", accel], check=True
    )
    return time.monotonic() - start


def hackbench_seconds(state: lab_state.LabState) -> float:
    """One untraced run, the time hackbench reports itself."""
    rc, out = ssh(state, THROUGHPUT, timeout=120)
    match = re.search(r"Time:\s*([0-9.]+)", out)
    if rc != 0 or not match:
        raise SystemExit(f"hackbench failed (rc {rc}): {out[-300:]}")
    return float(match.group(1))


def series(state: lab_state.LabState, cap: float) -> tuple[int, int, list[float]]:
    """(hangs, detaches, seconds each detach took) until the first hang or `cap` seconds."""
    hangs = detaches = 0
    took: list[float] = []
    end = time.monotonic() + cap
    while time.monotonic() < end:
        start = time.monotonic()
        rc, out = ssh(state, f"bash -c {shlex.quote(ITERATION)}", timeout=45)
        alive, _ = ssh(state, "true", timeout=30)
        detaches += 1
        if rc is None or alive != 0:
            hangs += 1
            print(f"detach {detaches}: HANG (iteration rc {rc}, ssh true rc {alive})", flush=True)
            break
        if "tool_rc=0" not in out:
            raise SystemExit(f"detach {detaches}: the tool misbehaved: {out[-300:]}")
        took.append(time.monotonic() - start)
        print(f"detach {detaches}: guest alive ({took[-1]:.1f} s)", flush=True)
        ssh(state, KILL_LOAD, timeout=60)
    return hangs, detaches, took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accel", default="tcg", help="tcg (multi-threaded) or tcg-single")
    parser.add_argument("--name", default="hang")
    parser.add_argument("--cap", type=float, default=300, help="seconds of detaching at most")
    args = parser.parse_args()
    binary = ensure_schedlat()
    try:
        boot = up(args.name, args.accel)
        state = lab_state.load(args.name)
        assert state is not None
        guest.check(state, f"rm -rf {DIR} && mkdir -p {DIR}")
        guest.push(state, binary.read_bytes(), f"{DIR}/mllb-schedlat")
        guest.check(state, f"chmod +x {DIR}/mllb-schedlat")
        untraced = hackbench_seconds(state)
        print(f"accel {args.accel}: boot {boot:.0f} s, untraced '{THROUGHPUT}' {untraced:.1f} s")
        hangs, detaches, took = series(state, args.cap)
        mean = sum(took) / len(took) if took else 0.0
        print(
            f"accel {args.accel}: hangs {hangs}/{detaches} detaches under load; "
            f"boot {boot:.0f} s; untraced hackbench {untraced:.1f} s; "
            f"mean attach+3s+detach round {mean:.1f} s"
        )
    finally:
        subprocess.run([MLLB_LAB, "down", args.name, "--timeout", "20"], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
