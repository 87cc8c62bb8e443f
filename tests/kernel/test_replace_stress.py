"""REPLACE mode under stress with lockdep (issue 5 acceptance): the replace-fixed kernel in its
debug flavour (lockdep, PROVE_RCU, atomic-sleep and FPU checks) boots in a 2x2x2 guest, mllb.ko
takes our trained model (conftest.trained_model), and with the model deciding every soft
migration stress-ng and hackbench run to the end, in fixed point and in float
(kernel_fpu_begin/end inside the balancer); then the module is removed and dmesg must hold no
lockdep splat, warning, RCU complaint, sleep-in-atomic, FPU trouble or oops."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mllb_lab.kmod import guest
from mllb_lab.kmod.build import build_module
from mllb_lab.lab import state as lab_state

DEBUGFS = "/sys/kernel/debug/sched/mllb"
CELLS = ("cfs0_ml0", "cfs0_ml1", "cfs1_ml0", "cfs1_ml1")
# bursty sleep/wake and fork load makes the balancer ask (steady hogs hardly do)
STRESS = (
    "stress-ng --fork 2 --switch 2 --cpu 4 --cpu-load 60 --timeout 30s --metrics-brief"
    " 2>&1 | tail -5"
)
HACKBENCH = "hackbench -g 4 -l 300 >/dev/null"
# what lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP, X86_DEBUG_FPU and the rest print when unhappy
BAD_DMESG = re.compile(
    r"WARNING:|BUG:|Oops|Call Trace|general protection|"
    r"possible circular locking|inconsistent lock state|possible recursive locking|"
    r"possible irq lock inversion|lock held when returning|DEBUG_LOCKS_WARN_ON|"
    r"turning off the locking correctness validator|"
    r"suspicious RCU usage|RCU stall|detected stalls|self-detected stall|"
    r"sleeping function called from invalid context|scheduling while atomic|"
    r"kernel_fpu|FPU|soft lockup|hung_task|blocked for more than"
)
# lines that name those words without being a problem (boot banners)
BENIGN = re.compile(r"x86/fpu: |Lock dependency validator|lockdep: |\.\.\. MAX_LOCK")


@pytest.fixture(scope="module")
def replace_lab(
    trained_model: tuple[Path, dict], replace_mode_lab: dict, lab_env: dict
) -> Iterator[lab_state.LabState]:
    """The tier's shared REPLACE guest (conftest.replace_mode_lab; the bench campaign reuses
    it afterwards), with mllb.ko and our trained model loaded."""
    record = replace_mode_lab["record"]
    assert record["variant"].startswith("replace-fixed")
    module = build_module(Path(record["dir"]) / "build")
    with pytest.MonkeyPatch.context() as env:  # this process talks to the lab directly too
        env.setenv("MLLB_LAB_HOME", lab_env["MLLB_LAB_HOME"])
        state = lab_state.load(replace_mode_lab["name"])
        assert state is not None
        assert "CONFIG_PROVE_LOCKING=y" in guest.check(state, "zcat /proc/config.gz")
        guest.insmod(state, module)
        blob = trained_model[0].read_bytes()
        assert guest.write_attr(state, "model", blob).returncode == 0
        yield state
        guest.run(state, "rmmod mllb 2>/dev/null || true")  # shared: the bench campaign is next


def counters(state: lab_state.LabState) -> dict[str, int]:
    text = guest.check(state, f"cat {DEBUGFS}/agreement")
    return {k: int(v) for k, v in (line.split() for line in text.splitlines())}


@pytest.mark.parametrize("impl", ["fixed", "float"])
def test_stress_runs_to_the_end_with_the_model_deciding(
    replace_lab: lab_state.LabState, impl: str
) -> None:
    assert guest.write_attr(replace_lab, "impl", impl.encode()).returncode == 0
    info = guest.read_attr(replace_lab, "info")
    assert (info["registered"], info["impl"]) == ("1", impl)
    guest.check(replace_lab, f"echo 0 > {DEBUGFS}/agreement")
    # REPLACE needs no switch: the registered model decides every soft migration
    assert guest.check(replace_lab, "sysctl -n kernel.sched_mllb").strip() == "0"
    out = guest.check(replace_lab, f"set -o pipefail; {STRESS} && {HACKBENCH} && echo done")
    assert out.strip().endswith("done"), out
    c = counters(replace_lab)
    asked = sum(c[k] for k in CELLS)
    print(f"\nREPLACE ({impl}), stress-ng + hackbench: {c}")
    assert asked > 0 and c["no_model"] == 0, c


def test_rmmod_and_dmesg_is_clean_under_lockdep(replace_lab: lab_state.LabState) -> None:
    # unregistering waits for the balancer's RCU readers: under load, where it matters
    guest.check(replace_lab, f"{HACKBENCH} & sleep 1; rmmod mllb; wait")
    dmesg = guest.check(replace_lab, "dmesg")
    assert "mllb: model" in dmesg and "unregistered" in dmesg
    bad = [
        line for line in dmesg.splitlines() if BAD_DMESG.search(line) and not BENIGN.search(line)
    ]
    assert not bad, "\n".join(bad[:40])
