"""Lab figures: image build (cold and cached), `up` to verified-ready, one SSH round trip.

Prints figures, asserts nothing. Run it alone (it boots guests with many vCPUs):
    flock /tmp/mllb-heavy.lock .venv/bin/python benchmarks/bench_lab.py [--cold] [--topology ...]
--cold also builds the image from scratch in a temporary cache (about 2 minutes, needs the
Debian mirror). Labs go to a temporary MLLB_LAB_HOME that is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from mllb_lab.lab import lifecycle, ssh
from mllb_lab.lab.image import ensure_image
from mllb_lab.progress import Progress


class TimedProgress(Progress):
    """Progress that also records how long each step took."""

    def __init__(self) -> None:
        super().__init__(quiet=True)
        self.steps: dict[str, float] = {}

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        start = time.monotonic()
        yield
        self.steps[text.split(" on ")[0].split(" (")[0]] = time.monotonic() - start


def timed(fn, *args):
    start = time.monotonic()
    result = fn(*args)
    return result, time.monotonic() - start


def bench_image(cold: bool) -> None:
    if cold:
        with tempfile.TemporaryDirectory(prefix="mllb-bench-cache-") as cache:
            os.environ["MLLB_CACHE_HOME"] = cache
            _, seconds = timed(ensure_image, "bookworm", Progress(quiet=True))
            print(f"image build, cold:          {seconds:7.1f} s")
            del os.environ["MLLB_CACHE_HOME"]
    ensure_image("bookworm", Progress(quiet=True))  # make sure the normal cache has it
    _, seconds = timed(ensure_image, "bookworm", Progress(quiet=True))
    print(f"image build, cached:        {seconds * 1000:7.1f} ms")


def bench_up(spec: str, round_trips: int) -> None:
    plan = lifecycle.plan_up(lifecycle.UpRequest(topology=spec, name=f"bench-{spec}"))
    progress = TimedProgress()
    start = time.monotonic()
    state, _ = lifecycle.up(plan, 600, progress)
    total = time.monotonic() - start
    try:
        ssh_wait = progress.steps.get("waiting for SSH", 0.0)
        verify = progress.steps.get("verifying the guest's topology", 0.0)
        facts = progress.steps.get("gathering facts from 1 host(s)", 0.0)
        print(f"up {spec:<8} ({plan.accel.name}, {plan.topology.vcpus} vCPUs):")
        print(f"  start to SSH login:       {ssh_wait:7.1f} s")
        print(f"  topology verified at:     {total - facts:7.1f} s  (verify step {verify:.1f} s)")
        print(f"  facts gathered (Ansible): {facts:7.1f} s")
        print(f"  up total:                 {total:7.1f} s")
        samples = [timed(ssh.check_output, state, "true")[1] for _ in range(round_trips)]
        print(
            f"  SSH round trip (shared connection), median of {round_trips}: "
            f"{statistics.median(samples) * 1000:.0f} ms (max {max(samples) * 1000:.0f} ms)"
        )
    finally:
        _, seconds = timed(lifecycle.down, state.name, 120, Progress(quiet=True))
        print(f"  down (ACPI power-off):    {seconds:7.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also time a cold image build")
    parser.add_argument("--topology", nargs="+", default=["2x2x2", "2x14x2"])
    parser.add_argument("--round-trips", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mllb-bench-labs-") as labs:
        os.environ["MLLB_LAB_HOME"] = labs
        bench_image(args.cold)
        for spec in args.topology:
            bench_up(spec, args.round_trips)
    return 0


if __name__ == "__main__":
    sys.exit(main())
