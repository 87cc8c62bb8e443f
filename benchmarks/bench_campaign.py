"""The smoke campaign end to end on a fresh 2x2x2 lab: wall time, per-run time, decisions.

Boots a lab (in a private MLLB_LAB_HOME), runs campaigns/smoke.yml once, prints the figures,
takes the lab down. Heavy: run it alone,
  flock /tmp/mllb-heavy.lock .venv/bin/python benchmarks/bench_campaign.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mllb_lab", *args], capture_output=True,
                          text=True, env=env, cwd=REPO)  # fmt: skip


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-campaign-"))
    env = dict(os.environ, MLLB_LAB_HOME=str(tmp / "labs"))
    t0 = time.monotonic()
    up = cli(env, "up", "--topology", "2x2x2", "--name", "smoke")
    if up.returncode != 0:
        sys.exit(f"up failed: {up.stderr[-2000:]}")
    booted = time.monotonic() - t0
    try:
        t1 = time.monotonic()
        run = cli(env, "campaign", "campaigns/smoke.yml", "--lab", "smoke",
                  "--results", str(tmp / "results"), "--json")  # fmt: skip
        took = time.monotonic() - t1
        if run.returncode != 0:
            sys.exit(f"campaign failed: {run.stderr[-3000:]}")
        rows = json.loads(cli(env, "results", "list", "--results", str(tmp / "results"),
                              "--json").stdout)  # fmt: skip
    finally:
        cli(env, "down", "smoke")
    print(f"lab up (2x2x2, TCG): {booted:.0f} s")
    print(f"smoke campaign: {len(rows)} runs in {took:.0f} s ({took / len(rows):.0f} s per run)")
    for r in rows:
        rate = r["decisions"] / r["duration"]
        print(f"  {r['workload']:<11} {json.dumps(r['params']):<16} {r['regime']:<8}"
              f" {r['decisions']:>7} decisions ({rate:,.0f}/s of workload)")  # fmt: skip


if __name__ == "__main__":
    main()
