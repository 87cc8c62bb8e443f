"""mllb.ko against the JC_SCHED kernel (TEST mode, fixed point): built against the cached build
tree of kernel_build("test-fixed") with the scheduler hook compiled in, loaded in the shared
2x2x2 TCG guest booted on that kernel (conftest.test_mode_lab), registered with the scheduler,
asked by it (the agreement counters move from `no_model` to the confusion cells), a version 2
blob (clamped inputs) asked in both implementations, unregistered cleanly by rmmod."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from mllb_lab.kmod import guest
from mllb_lab.kmod.build import build_module, tree_release
from mllb_lab.lab import state as lab_state
from mllb_lab.ml.blob import build_blob
from mllb_lab.ml.cmlp import CModel
from mllb_lab.ml.domain import InputRange
from mllb_lab.ml.weights import load_weights

Cli = Callable[..., subprocess.CompletedProcess[str]]
WEIGHTS = Path(__file__).parent.parent / "unit" / "data" / "mllb-original-weights.json"
GOLDEN = b"1,0,0,0,1,0,0,0,0,0.008,0.009,0,0,0,0"
DEBUGFS = "/sys/kernel/debug/sched/mllb"
CELLS = ("cfs0_ml0", "cfs0_ml1", "cfs1_ml0", "cfs1_ml1")
LOAD = "hackbench -g 4 -l 200 >/dev/null"
BAD_DMESG = ("Oops", "WARNING:", "BUG:", "Call Trace", "RCU stall", "rcu_sched detected")


@pytest.fixture(scope="module")
def record(kernel_build: Callable[[str], dict]) -> dict:
    return kernel_build("test-fixed")


@pytest.fixture(scope="module")
def module(record: dict) -> Path:
    tree = Path(record["dir"]) / "build"
    assert tree_release(tree) == record["release"]
    return build_module(tree)


@pytest.fixture(scope="module")
def lab(test_mode_state: lab_state.LabState, module: Path) -> Iterator[lab_state.LabState]:
    guest.insmod(test_mode_state, module)
    yield test_mode_state
    guest.run(test_mode_state, f"if [ -d {guest.SYSFS} ]; then rmmod mllb; fi")


def agreement(state: lab_state.LabState) -> dict[str, int]:
    text = guest.check(state, f"cat {DEBUGFS}/agreement")
    return {k: int(v) for k, v in (line.split() for line in text.splitlines())}


def test_built_with_the_hook_for_this_kernel(module: Path, record: dict) -> None:
    assert b"built with linux/mllb_sched.h" in module.read_bytes()
    vermagic = subprocess.run(
        ["modinfo", "-F", "vermagic", str(module)], capture_output=True, text=True, check=True
    ).stdout
    assert vermagic.split()[0] == record["release"]


def test_registers_with_fixed_point_default(lab) -> None:
    info = guest.read_attr(lab, "info")
    assert (info["registered"], info["impl"]) == ("1", "fixed")  # CONFIG_JC_SCHED_FXDPT=y
    assert "result pass" in guest.check(lab, f"cat {guest.SYSFS}/selftest")


def test_scheduler_asks_the_loaded_model(lab) -> None:
    assert guest.write_attr(lab, "model", build_blob(load_weights(WEIGHTS))).returncode == 0
    assert guest.write_attr(lab, "eval", GOLDEN).returncode == 0
    assert guest.read_attr(lab, "eval")["fixed_raw"] == "2894"
    guest.check(lab, f"echo 0 > {DEBUGFS}/agreement")
    guest.check(
        lab, f"sysctl -qw kernel.sched_mllb=1; {LOAD}; {LOAD}; sysctl -qw kernel.sched_mllb=0"
    )
    counts = agreement(lab)
    asked = sum(counts[c] for c in CELLS)
    print(
        f"TEST mode, paper weights, hackbench: {counts}; "
        f"agreement {(counts['cfs0_ml0'] + counts['cfs1_ml1']) / max(asked, 1):.4f}"
    )
    assert asked > 0 and counts["no_model"] == 0, counts


def test_float_impl_decides_inside_the_scheduler(lab) -> None:
    """kernel_fpu_begin()/end() in the balancer (rq lock held, irqs off); dmesg checked last."""
    assert guest.write_attr(lab, "impl", b"float").returncode == 0
    guest.check(lab, f"echo 0 > {DEBUGFS}/agreement")
    guest.check(lab, f"sysctl -qw kernel.sched_mllb=1; {LOAD}; sysctl -qw kernel.sched_mllb=0")
    counts = agreement(lab)
    assert sum(counts[c] for c in CELLS) > 0 and counts["no_model"] == 0, counts
    assert guest.write_attr(lab, "impl", b"fixed").returncode == 0


def test_scheduler_asks_a_clamped_v2_model(lab) -> None:
    """A blob version 2 (the paper's weights with a narrow input domain): loaded, clamp on,
    asked by the scheduler in both implementations; eval equals the user-space build."""
    w = load_weights(WEIGHTS)
    lo = np.array([0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, -1, 0, 0], dtype=np.float64)
    hi = np.array([1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1], dtype=np.float64)
    w.input_range = InputRange(lo, hi)
    blob = build_blob(w)
    assert guest.write_attr(lab, "model", blob).returncode == 0
    info = guest.read_attr(lab, "info")
    assert (info["blob_version"], info["clamp"]) == ("2", "1")
    assert guest.write_attr(lab, "eval", b"1,0,0,0,1,0,0,0,40,9.5,0.009,30,0,0,0").returncode == 0
    x = np.array([[1, 0, 0, 0, 1, 0, 0, 0, 40, 9.5, 0.009, 30, 0, 0, 0]])
    want = int(CModel(blob).forward_fixed_from_float(x)[0][0])
    assert guest.read_attr(lab, "eval")["fixed_raw"] == str(want)
    for impl in (b"fixed", b"float"):
        assert guest.write_attr(lab, "impl", impl).returncode == 0
        guest.check(lab, f"echo 0 > {DEBUGFS}/agreement")
        guest.check(lab, f"sysctl -qw kernel.sched_mllb=1; {LOAD}; sysctl -qw kernel.sched_mllb=0")
        counts = agreement(lab)
        print(f"TEST mode, clamped v2 model, impl {impl.decode()}: {counts}")
        assert sum(counts[c] for c in CELLS) > 0 and counts["no_model"] == 0, counts
    assert guest.write_attr(lab, "impl", b"fixed").returncode == 0


def test_rmmod_unregisters_and_dmesg_is_clean(lab) -> None:
    guest.check(lab, "rmmod mllb")
    guest.check(lab, f"echo 0 > {DEBUGFS}/agreement")
    guest.check(lab, f"sysctl -qw kernel.sched_mllb=1; {LOAD}; sysctl -qw kernel.sched_mllb=0")
    counts = agreement(lab)
    assert counts["no_model"] > 0 and sum(counts[c] for c in CELLS) == 0, counts
    dmesg = guest.check(lab, "dmesg")
    bad = [line for line in dmesg.splitlines() if any(word in line for word in BAD_DMESG)]
    assert not bad, "\n".join(bad[:20])
    assert "mllb: registered with the scheduler" in dmesg
