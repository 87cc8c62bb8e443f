"""Ansible wrapper figures: run time and SSH round trips per playbook, pipelining on and off.

    flock /tmp/mllb-heavy.lock .venv/bin/python benchmarks/bench_ansible.py [--lab NAME] [--runs N]

Without --lab it adopts a fake bare-metal host (sshd from the guest image rootfs in a network
namespace, as tests/vm do; needs root); with --lab it uses an existing lab's inventory, e.g. a
TCG guest where each round trip costs seconds. Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "vm"))

from mllb_lab.ansible import run_playbook  # noqa: E402
from mllb_lab.inventory import write_lab_inventory  # noqa: E402
from mllb_lab.lab import state as lab_state  # noqa: E402
from mllb_lab.lab.state import LabState  # noqa: E402


def timed_runs(state: LabState, playbook: str, runs: int, pipelining: bool) -> tuple[float, int]:
    """Median seconds per run, and SSH executions (round trips) of the last run."""
    env = {"ANSIBLE_PIPELINING": str(pipelining), "ANSIBLE_VERBOSITY": "3"}
    times, execs = [], 0
    for _ in range(runs):
        start = time.monotonic()
        result = run_playbook(playbook, write_lab_inventory(state), lab=state.name, env=env)
        times.append(time.monotonic() - start)
        execs = result.stdout.read_text().count("SSH: EXEC")
    return statistics.median(times), execs


def local_overhead(runs: int) -> tuple[float, float]:
    """A one-task local playbook: through the wrapper vs plain ansible-playbook."""
    inventory = {"all": {"hosts": {"local": {"ansible_connection": "local"}}}}
    book = REPO / "playbooks" / "ping.yml"
    with tempfile.TemporaryDirectory() as tmp:
        wrapper, plain = [], []
        for _ in range(runs):
            start = time.monotonic()
            run_playbook(str(book), inventory, base_dir=Path(tmp) / "a")
            wrapper.append(time.monotonic() - start)
            inv = Path(tmp) / "inv.ini"
            inv.write_text("local ansible_connection=local\n")
            start = time.monotonic()
            subprocess.run(
                [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inv), str(book)],
                check=True,
                capture_output=True,
            )
            plain.append(time.monotonic() - start)
    return statistics.median(wrapper), statistics.median(plain)


def fake_lab(tmp: Path) -> tuple[LabState, object]:
    from fakehost import FakeHost

    from mllb_lab.lab import baremetal
    from mllb_lab.lab.image import ensure_image

    override = os.environ.get("MLLB_FAKEHOST_ROOTFS")
    rootfs = Path(override) if override else ensure_image().rootfs
    key = tmp / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    host = FakeHost(rootfs, tmp / "fakehost", key.with_suffix(".pub").read_text()).start()
    inv = tmp / "bench.yml"
    inv.write_text(
        "all:\n  hosts:\n    bench1:\n"
        f"      ansible_host: {host.address}\n      ansible_user: root\n"
        f"      ansible_ssh_private_key_file: {key}\n"
    )
    return baremetal.adopt("bench", inv, None), host


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", help="an existing lab (default: a fake bare-metal host)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        host = None
        if args.lab:
            state = lab_state.load(args.lab)
            if state is None:
                sys.exit(f"no lab named {args.lab}")
        else:
            os.environ["MLLB_LAB_HOME"] = str(Path(tmp) / "home")
            state, host = fake_lab(Path(tmp))
        try:
            print(f"target: lab '{state.name}' ({state.backend}), {args.runs} runs each, median")
            for book in ("ping.yml", "facts.yml"):
                for pipelining in (True, False):
                    secs, execs = timed_runs(state, book, args.runs, pipelining)
                    mode = "on " if pipelining else "off"
                    print(
                        f"{book:10s} pipelining {mode}: {secs:6.2f} s, {execs:3d} ssh round trips"
                    )
        finally:
            if host is not None:
                host.stop()
    wrapper, plain = local_overhead(args.runs)
    print(f"local ping.yml: wrapper {wrapper:.2f} s, plain ansible-playbook {plain:.2f} s")


if __name__ == "__main__":
    main()
