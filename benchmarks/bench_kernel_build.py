"""Kernel build figures: the cold build, each further mode x arithmetic as an incremental build
in the same tree, a rebuild from a warm ccache, and what each build folder weighs.

    flock /tmp/mllb-heavy.lock .venv/bin/python benchmarks/bench_kernel_build.py [--fresh]
        [--variants test-fixed,test-float,...] [--jobs N] [--warm-ccache]

--fresh builds in a new, empty cache (MLLB_CACHE_HOME in a temporary folder; cold tree and
cold ccache); without it the normal cache is used and cached variants report their recorded
times. --warm-ccache then rebuilds the first variant in another empty tree that shares the
first run's ccache (what a patch change costs). Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mllb_lab.kernel.variant import all_variants
from mllb_lab.paths import cache_home


def build(name: str, env: dict[str, str], jobs: int) -> tuple[dict, float]:
    mode, arith, *perf = name.split("-")
    args = ["kernel", "build", "--mode", mode, "--json", f"--jobs={jobs}"]
    args += ["--fixed-point" if arith == "fixed" else "--float"] + (["--perf"] if perf else [])
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "mllb_lab", *args], capture_output=True, text=True, env=env
    )
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"{name}: build failed\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout), wall


def du_mib(path: Path) -> float:
    out = subprocess.run(["du", "-sm", str(path)], capture_output=True, text=True).stdout
    return float(out.split()[0]) if out else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="start from an empty cache")
    parser.add_argument("--warm-ccache", action="store_true", help="also time a warm-ccache build")
    parser.add_argument("--variants", default=",".join(v.name for v in all_variants()))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    env = dict(os.environ)
    tmp = None
    if args.fresh:
        tmp = tempfile.mkdtemp(prefix="mllb-bench-kernel-")
        env["MLLB_CACHE_HOME"] = tmp
    cache_root = Path(tmp) if tmp else cache_home()
    print(f"cpus {os.cpu_count()}, jobs {args.jobs}, cache {cache_root}")
    print(f"{'variant':16} {'wall s':>8} {'configure':>9} {'compile':>8} {'collect':>8} {'MiB':>6}")
    try:
        for name in args.variants.split(","):
            record, wall = build(name, env, args.jobs)
            s = record["seconds"]
            print(
                f"{name:16} {wall:8.1f} {s.get('configure', 0):9.1f} {s.get('compile', 0):8.1f}"
                f" {s.get('collect', 0):8.1f} {du_mib(Path(record['dir'])):6.0f}"
            )
        if args.warm_ccache:
            cache = cache_root
            # a new tree (as after a patch change) that only has the ccache to help it
            saved = cache / "kernel-trees.bench-saved"
            (cache / "kernel-trees").rename(saved)
            kernels_saved = cache / "kernels.bench-saved"
            (cache / "kernels").rename(kernels_saved)
            try:
                first = args.variants.split(",")[0]
                record, wall = build(first, env, args.jobs)
                print(f"{first + ' (new tree, warm ccache)':40} {wall:8.1f} s")
            finally:
                shutil.rmtree(cache / "kernel-trees", ignore_errors=True)
                shutil.rmtree(cache / "kernels", ignore_errors=True)
                saved.rename(cache / "kernel-trees")
                kernels_saved.rename(cache / "kernels")
        ccache_env = {**env, "CCACHE_DIR": str(cache_root / "ccache")}
        stats = subprocess.run(
            ["ccache", "--show-stats"], capture_output=True, text=True, env=ccache_env
        ).stdout
        print("ccache:", " | ".join(line.strip() for line in stats.splitlines()[:6]))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
