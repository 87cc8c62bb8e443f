"""In-kernel decision latency of mllb.ko: features + MLP per decision, fixed vs float, measured
by the module itself (/sys/kernel/mllb/bench, ktime around N decisions on 256 fixed pseudo-random
raw inputs) in a TCG guest on the stock kernel, with the paper's published weights.

Prints figures, asserts nothing. It boots a guest, so run it alone:
    flock /tmp/mllb-heavy.lock .venv/bin/python benchmarks/bench_kmod.py \
        [--topology 2x2x2] [--decisions 200000] [--repeat 3] [--lab NAME]
With --lab it uses a running lab instead of booting one (and leaves it running). TCG emulates
every instruction, so absolute figures are far above bare metal; the fixed/float ratio and the
FPU-section overhead are the point.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mllb_lab.kmod import guest  # noqa: E402
from mllb_lab.kmod.build import build_module  # noqa: E402
from mllb_lab.kmod.headers import guest_kernel_release, stock_tree  # noqa: E402
from mllb_lab.lab import state as lab_state  # noqa: E402
from mllb_lab.ml.blob import build_blob  # noqa: E402
from mllb_lab.ml.weights import load_weights  # noqa: E402

WEIGHTS = REPO / "tests" / "unit" / "data" / "mllb-original-weights.json"
FIGURES = ("fixed", "float", "float_batch")


def cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "mllb_lab", *args], check=True, env=os.environ)


def measure(name: str, decisions: int, repeat: int) -> None:
    state = lab_state.load(name)
    assert state is not None, f"no lab {name}"
    release = guest.check(state, "uname -r").strip()
    module = build_module(stock_tree(release, install=True))
    guest.insmod(state, module)
    guest.write_attr(state, "model", build_blob(load_weights(WEIGHTS))).check_returncode()
    runs = [guest.bench(state, decisions) for _ in range(repeat)]
    guest.check(state, "rmmod mllb")
    print(f"guest kernel {release}, lab {name}, {decisions} decisions x {repeat} runs")
    for fig in FIGURES:
        values = sorted(float(r[f"{fig}_ns_per_decision"]) for r in runs)
        median = values[len(values) // 2]
        print(f"  {fig:12s} ns/decision: best {values[0]:9.1f}  median {median:9.1f}")
    best = {f: min(float(r[f"{f}_ns_per_decision"]) for r in runs) for f in FIGURES}
    print(f"  float / fixed: {best['float'] / best['fixed']:.2f}x")
    print(f"  FPU section per decision: {best['float'] - best['float_batch']:.1f} ns")
    print(f"  fixed/float decisions agree: {runs[-1]['fixed_float_agree']}")
    print(json.dumps({"release": release, "best_ns": best}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", help="a running lab (default: boot a temporary one)")
    parser.add_argument("--topology", default="2x2x2")
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.lab:
        measure(args.lab, args.decisions, args.repeat)
        return 0
    guest_kernel_release()  # fails early, with a fix, when no image is built
    with tempfile.TemporaryDirectory(prefix="bench-kmod-") as home:
        os.environ["MLLB_LAB_HOME"] = home
        cli("up", "--topology", args.topology, "--name", "benchkmod")
        try:
            measure("benchkmod", args.decisions, args.repeat)
        finally:
            cli("down", "benchkmod")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
