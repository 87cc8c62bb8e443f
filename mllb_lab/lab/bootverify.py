"""After a boot: is the host running the kernel we meant, with its JC_SCHED mode?"""

from __future__ import annotations

from mllb_lab.kernel.config import final_values
from mllb_lab.lab import ssh
from mllb_lab.lab.boottarget import JC_PREFIX, BootTarget
from mllb_lab.lab.state import LabState

MARK = "==MLLB-CONFIG=="
# /proc/config.gz exists with CONFIG_IKCONFIG_PROC (every JC build has it; Debian's has not)
PROBE = f"uname -r; echo {MARK}; (zcat /proc/config.gz 2>/dev/null || true) | grep {JC_PREFIX}"


def mismatches(target: BootTarget, release: str, config_text: str) -> list[str]:
    """What differs between the target and what the host reports (empty: verified)."""
    problems = []
    if target.release is not None and release != target.release:
        problems.append(f"uname -r is {release}, expected {target.release}")
    running = final_values(config_text)
    for symbol, wanted in sorted(target.jc_config.items()):
        got = running.get(symbol, "n")
        if got != wanted:
            problems.append(f"{symbol}={got} in /proc/config.gz, the build has {wanted}")
    return problems


def probe(state: LabState) -> tuple[str, str]:
    """(uname -r, the JC_SCHED lines of /proc/config.gz) from the lab's first host."""
    out = ssh.check_output(state, f"{PROBE} || true", timeout=120)
    release, _, config_text = out.partition(MARK)
    return release.strip(), config_text


def verify(state: LabState, target: BootTarget) -> tuple[str, list[str]]:
    release, config_text = probe(state)
    return release, mismatches(target, release, config_text)
