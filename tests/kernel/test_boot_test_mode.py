"""The TEST-mode build boots in a 2-node TCG guest (direct kernel boot, no initrd) and its
JC_SCHED interface works before any model is loaded: the sysctl, system call 345, the
agreement counters counting `no_model`, the tracepoints, and a clean dmesg."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Cli = Callable[..., subprocess.CompletedProcess[str]]
LAB = "jctest"  # the shared TEST-mode guest (conftest.test_mode_lab), no module loaded
# python3 is in the image; ctypes reaches the raw system call and returns the old value
SYSCALL = "python3 -c 'import ctypes,sys; print(ctypes.CDLL(None).syscall(345, int(sys.argv[1])))'"
DEBUGFS = "/sys/kernel/debug/sched/mllb"
BAD_DMESG = ("Oops", "WARNING:", "BUG:", "Call Trace", "RCU stall", "rcu_sched detected")


@pytest.fixture(scope="module")
def guest(test_mode_lab: dict) -> dict:
    assert test_mode_lab["name"] == LAB
    return {"record": test_mode_lab["record"]}


def sh(cli: Cli, command: str) -> str:
    proc = cli("ssh", LAB, "--", command, timeout=600)
    assert proc.returncode == 0, f"{command}: {proc.stdout}{proc.stderr}"
    return proc.stdout


def agreement(cli: Cli) -> dict[str, int]:
    text = sh(cli, f"cat {DEBUGFS}/agreement")
    return {k: int(v) for k, v in (line.split() for line in text.splitlines())}


def test_boots_the_variant_without_initrd(guest: dict, cli: Cli, labs_dir: Path) -> None:
    assert sh(cli, "uname -r").strip() == guest["record"]["release"]
    state = json.loads((labs_dir / LAB / "state.json").read_text())
    assert state["files"]["initrd"] == ""
    assert state["files"]["kernel"] == str(Path(guest["record"]["dir"]) / "bzImage")
    config = sh(cli, "zcat /proc/config.gz")
    assert "CONFIG_JC_SCHED_TEST=y" in config and "CONFIG_JC_SCHED_FXDPT=y" in config
    nodes = sh(cli, "ls -d /sys/devices/system/node/node*").split()
    assert len(nodes) == 2


def test_switch_by_sysctl_and_syscall_345(guest: dict, cli: Cli) -> None:
    assert sh(cli, "sysctl -n kernel.sched_mllb").strip() == "0"
    assert sh(cli, f"{SYSCALL} 1").strip() == "0"  # returns the previous value
    assert sh(cli, "sysctl -n kernel.sched_mllb").strip() == "1"
    assert sh(cli, f"{SYSCALL} 0").strip() == "1"
    assert sh(cli, "sysctl -n kernel.sched_mllb").strip() == "0"
    assert sh(cli, f"{SYSCALL} 7").strip() == "-1"  # EINVAL
    sh(cli, "sysctl -qw kernel.sched_mllb=1")
    assert sh(cli, "cat /proc/sys/kernel/sched_mllb").strip() == "1"
    sh(cli, "sysctl -qw kernel.sched_mllb=0")


def test_counters_count_no_model_while_the_switch_is_on(guest: dict, cli: Cli) -> None:
    sh(cli, f"echo 0 > {DEBUGFS}/agreement")
    assert agreement(cli) == dict.fromkeys(
        ("cfs0_ml0", "cfs0_ml1", "cfs1_ml0", "cfs1_ml1", "no_model"), 0
    )
    # bursty sleep/wake load makes the balancer ask (steady hogs hardly do)
    load = "hackbench -g 4 -l 200 >/dev/null"
    sh(cli, f"sysctl -qw kernel.sched_mllb=1; {load}; {load}; sysctl -qw kernel.sched_mllb=0")
    counts = agreement(cli)
    assert counts["no_model"] > 0, counts
    assert counts["cfs0_ml0"] + counts["cfs0_ml1"] + counts["cfs1_ml0"] + counts["cfs1_ml1"] == 0
    percpu = sh(cli, f"cat {DEBUGFS}/agreement_percpu").splitlines()
    assert [line.split()[0] for line in percpu] == [str(c) for c in range(8)]
    # off again: no more counting
    sh(cli, load)
    assert agreement(cli)["no_model"] == counts["no_model"]


def test_tracepoints_exist(guest: dict, cli: Cli) -> None:
    events = sh(cli, "ls /sys/kernel/tracing/events/sched/").split()
    assert {"mllb_decision", "mllb_inputs"} <= set(events)
    fmt = sh(cli, "cat /sys/kernel/tracing/events/sched/mllb_inputs/format")
    for field in ("delta", "src_load", "buddy_hot", "sd_numa", "can_migrate"):
        assert f" {field};" in fmt


def test_dmesg_is_clean(guest: dict, cli: Cli) -> None:
    dmesg = sh(cli, "dmesg")
    bad = [line for line in dmesg.splitlines() if any(word in line for word in BAD_DMESG)]
    assert not bad, "\n".join(bad[:20])
