"""Shared fixtures for the kernel tier: real JC_SCHED builds and guests that boot them.

Builds go to the normal cache (MLLB_CACHE_HOME or ~/.cache/mllb-lab), keyed by their inputs,
so the first test pays the cold build and every later variant is an incremental build in the
same tree (or a cache hit on a rerun). `kernel_build("test-fixed")` is the entry point; the
kmod tests use its "dir" (build/ inside it is the tree for `make -C ... M=`).

Every variant is built in its debug flavour (`--debug`: lockdep, PROVE_RCU, atomic-sleep and
FPU checks, kernel/config/debug.config), so CI pays one cold build and every kernel-tier test
runs under lockdep. Boot what a test got by its record's "variant" (e.g. test-fixed-debug).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from mllb_lab.kernel.variant import Variant, parse_variant
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.accel import tracing_accel

BUILD_TIMEOUT = 3600
DOWN_GRACE = "30"  # ACPI seconds before `down` kills QEMU: a hung guest never answers ACPI
TIER_DEBUG = True  # the kernel tier builds and boots the -debug flavour of every variant
# Modules that reboot a shared guest into other kernels run after every other user of that
# guest, in this order, whatever order the files were given in: the bench campaign switches
# replace_mode_lab's kernel, safe boot reboots test_mode_lab.
REBOOTS_SHARED_GUEST = ("test_bench_campaign.py", "test_safe_boot.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move this tier's guest-rebooting modules to the end of the tier (only within the
    positions this tier's tests hold, so other tiers keep their places)."""
    here = Path(__file__).parent
    slots = [i for i, item in enumerate(items) if item.path.parent == here]
    ours = [items[i] for i in slots]
    last = {name: i + 1 for i, name in enumerate(REBOOTS_SHARED_GUEST)}
    ordered = sorted(ours, key=lambda item: last.get(item.path.name, 0))  # stable
    for i, item in zip(slots, ordered, strict=True):
        items[i] = item


def tier_variant(name: str) -> Variant:
    """The variant the kernel tier really builds for a name: its debug flavour."""
    variant = parse_variant(name)
    assert variant is not None, name
    return replace(variant, debug=variant.debug or TIER_DEBUG)


def run_cli(
    *args: str, env: dict | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mllb_lab", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def kernel_build() -> Callable[..., dict]:
    """kernel_build("replace-float") -> the build record (build.json) of that variant's tier
    flavour (replace-float-debug); its "variant" is the name `up --kernel` takes.
    kernel_build("test-fixed", extra_config=FILE) adds `--extra-config FILE` (same tree:
    an incremental build on top of the plain one); deb=True adds `--deb` (the same cached
    build, packaged)."""
    done: dict[tuple[str, Path | None, bool], dict] = {}

    def get(name: str, extra_config: Path | None = None, deb: bool = False) -> dict:
        key = (name, extra_config, deb)
        if key not in done:
            variant = tier_variant(name)
            args = ["kernel", "build", "--source", "6.1", "--mode", variant.mode, "--json"]
            args.append("--fixed-point" if variant.arith == "fixed" else "--float")
            if variant.perf:
                args.append("--perf")
            if variant.debug:
                args.append("--debug")
            if extra_config is not None:
                args += ["--extra-config", str(extra_config)]
            if deb:
                args.append("--deb")
            proc = run_cli(*args, timeout=BUILD_TIMEOUT)
            assert proc.returncode == 0, proc.stderr[-3000:]
            done[key] = json.loads(proc.stdout)
            # the figures go to the test log; speed is benchmarks/bench_kernel_build.py's job
            sys.stderr.write(f"kernel build {done[key]['variant']}: {done[key]['seconds']}\n")
        return done[key]

    return get


@pytest.fixture(scope="session")
def lab_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Environment for `mllb-lab` subprocesses: a private MLLB_LAB_HOME, `down --all` after."""
    env = dict(os.environ, MLLB_LAB_HOME=str(tmp_path_factory.mktemp("kernel-labs")))
    yield env
    run_cli("down", "--all", "--timeout", DOWN_GRACE, env=env, timeout=600)


@pytest.fixture(scope="session")
def cli(lab_env: dict) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real CLI with this session's lab home: cli("ssh", "lab", "--", "uname -r")."""

    def run(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, env=lab_env, timeout=timeout)

    return run


@pytest.fixture(scope="session")
def labs_dir(lab_env: dict) -> Path:
    return Path(lab_env["MLLB_LAB_HOME"])


TEST_LAB = "jctest"
REPLACE_LAB = "jcreplace"
# The model is asked only at the soft decision, and CFS keeps a task there only when it is
# cache hot (ran < 0.5 ms ago, or a buddy) outside an SMT domain, or NUMA locality says so:
# a few such keeps per second in a 2x2x2 TCG guest, at best (docs/kernel.md, "Which loads show
# the kernel's question"). Two phases, for both kinds of keep: short duty cycles plus context
# switches (delta-hot and NUMA keeps; ~300 in 40 s), then hackbench (buddy keeps; ~50).
CAPTURE_SECONDS = "80"
TRAIN_LOAD = (
    "stress-ng --cpu 16 --cpu-load 30 --cpu-load-slice 1 --switch 4 --timeout 40 >/dev/null; "
    "while :; do hackbench -g 4 -l 300 || exit 1; done"
)


@contextmanager
def booted_variant(
    cli: Callable[..., subprocess.CompletedProcess[str]], labs_dir: Path, name: str, record: dict
) -> Iterator[dict]:
    """A 2x2x2 lab booted on a built variant (its serial log in the failure), down after.
    Without KVM it runs single-threaded TCG: these labs attach and detach BPF programs, which
    can hang a multi-threaded TCG guest (docs/schedlat.md, "Known hazard")."""
    proc = cli(
        "up",
        "--topology",
        "2x2x2",
        "--name",
        name,
        "--kernel",
        record["variant"],
        "--accel",
        tracing_accel(),
    )
    serial = labs_dir / name / "serial.log"
    tail = serial.read_text(errors="replace")[-3000:] if serial.is_file() else "(no serial log)"
    assert proc.returncode == 0, f"{proc.stderr}\n--- serial ---\n{tail}"
    yield {"name": name, "record": record}
    cli("down", name, "--timeout", DOWN_GRACE, timeout=600)


@pytest.fixture(scope="session")
def test_mode_lab(
    kernel_build: Callable[[str], dict],
    cli: Callable[..., subprocess.CompletedProcess[str]],
    labs_dir: Path,
) -> Iterator[dict]:
    """One 2x2x2 guest on the tier's test-fixed kernel, shared by the TEST-mode tests (each
    boot costs minutes under TCG): {"name", "record"}. Tests leave mllb.ko unloaded; safe boot
    (last) reboots it and leaves it on the same kernel."""
    with booted_variant(cli, labs_dir, TEST_LAB, kernel_build("test-fixed")) as lab:
        yield lab


@pytest.fixture(scope="session")
def replace_mode_lab(
    kernel_build: Callable[[str], dict],
    cli: Callable[..., subprocess.CompletedProcess[str]],
    labs_dir: Path,
) -> Iterator[dict]:
    """One 2x2x2 guest on the tier's replace-fixed kernel: REPLACE under stress first (it
    loads and removes mllb.ko), then the bench campaign, whose first kernel entry is this one
    (it boots only to switch kernels, and leaves the lab on another): {"name", "record"}."""
    with booted_variant(cli, labs_dir, REPLACE_LAB, kernel_build("replace-fixed")) as lab:
        yield lab


@pytest.fixture(scope="session")
def test_mode_state(test_mode_lab: dict, lab_env: dict) -> Iterator[lab_state.LabState]:
    """The shared TEST-mode guest's state for in-process ssh (mllb_lab.kmod.guest); the
    session's lab home is this process's too, so its pinned host key is found."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MLLB_LAB_HOME", lab_env["MLLB_LAB_HOME"])
        state = lab_state.load(test_mode_lab["name"])
        assert state is not None
        yield state


@pytest.fixture(scope="session")
def trained_model(
    test_mode_lab: dict,
    cli: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict]:
    """Our own model for this kernel, made by the real pipeline: `mllb-lab capture` of the
    shared TEST-mode guest's decisions under TRAIN_LOAD (BPF tracer -> Parquet), `mllb-lab
    train --rows asked --class-weights` (logit-ext on the rows where the kernel asks the
    model, keeps weighted up: they are ~1% of them), `mllb-lab export --format blob`.
    -> (blob path, {"capture": summary, "asked": label counts, "train": metrics})."""
    import pandas as pd

    from mllb_lab.ml.asked import asked_mask, label_counts

    work = tmp_path_factory.mktemp("agreement")
    records = work / "decisions.parquet"
    proc = cli(
        "capture",
        test_mode_lab["name"],
        "--duration",
        CAPTURE_SECONDS,
        "--workload-cmd",
        TRAIN_LOAD,
        "--regime",
        "load100",
        "--workload",
        "stress-ng+hackbench",
        "--out",
        str(records),
        "--json",
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    capture = json.loads(proc.stdout)
    assert capture["test_aggressive_source"] == "kernel"  # the JC kernel's lb_env flag
    frame = pd.read_parquet(records)
    keeps, migrates = label_counts(frame.loc[asked_mask(frame), "can_migrate"])
    print(
        f"capture on {test_mode_lab['record']['variant']}: {capture['rows']} rows, "
        f"labels {capture['labels']}, lost {capture['lost']}; where the kernel asks the "
        f"model: {keeps} keep, {migrates} migrate\n"
        + pd.crosstab(
            [frame["test_aggressive"], frame["p_running"], frame["lbf_active"]],
            frame["can_migrate"],
        ).to_string()
    )
    model = work / "model"
    # a fixed small budget: one candidate, no cross-validation (speed; the gate is in-kernel)
    proc = cli(
        "train",
        str(records),
        "--out",
        str(model),
        "--model",
        "logit-ext",
        "--rows",
        "asked",
        "--class-weights",
        "--folds",
        "0",
        "--json",
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    trained = json.loads(proc.stdout)
    held = trained["heldout"]["all"]
    print(
        f"trained {trained['chosen']['name']} on the asked rows: held-out {held['accuracy']:.4%} "
        f"(keep: {held['tn']} right, {held['fp']} missed; migrate: {held['tp']} right, "
        f"{held['fn']} missed; majority baseline {trained['heldout_majority_baseline']:.4%})"
    )
    proc = cli("export", str(model), "--format", "blob", "--json")
    assert proc.returncode == 0, proc.stderr
    asked = {"keep": keeps, "migrate": migrates}
    return Path(json.loads(proc.stdout)["path"]), {
        "capture": capture,
        "asked": asked,
        "train": trained,
    }
