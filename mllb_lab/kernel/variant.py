"""Kernel variants: which JC_SCHED mode, arithmetic and timing a build has, and their names.

A variant's name is what `mllb-lab up --kernel NAME` accepts: `MODE-ARITH[-perf][-debug]`,
e.g. `test-fixed`, `replace-float`, `toggle-fixed-perf`, `replace-fixed-debug`; a `jc-` prefix
is accepted as well. `-debug` adds kernel/config/debug.config (lockdep, RCU and FPU checks).
"""

from __future__ import annotations

from dataclasses import dataclass

MODES = ("test", "replace", "toggle")
ARITHMETICS = ("fixed", "float")
PREFIX = "jc-"
PERF_SUFFIX = "perf"
DEBUG_SUFFIX = "debug"


@dataclass(frozen=True)
class Variant:
    mode: str  # one of MODES
    arith: str = "fixed"  # one of ARITHMETICS
    perf: bool = False
    debug: bool = False  # lockdep, PROVE_RCU, atomic-sleep and FPU checks (debug.config)
    # stems of `kernel build --extra-config FILE` fragments, e.g. ("broken-init",)
    extra: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        suffixes = [s for s, on in ((PERF_SUFFIX, self.perf), (DEBUG_SUFFIX, self.debug)) if on]
        return "-".join([self.mode, self.arith, *suffixes]) + "".join(f"+{s}" for s in self.extra)

    @property
    def family(self) -> str:
        """Variants of one family share a build tree: switching among them is incremental,
        while a debug and a non-debug build would recompile nearly everything."""
        return DEBUG_SUFFIX if self.debug else "default"

    @property
    def localversion(self) -> str:
        """The kernel release suffix, so `uname -r` says which variant booted."""
        return f"-mllb-{self.name}"


def parse_variant(text: str) -> Variant | None:
    """A variant from its name, or None when the text is not a variant name."""
    parts = text.removeprefix(PREFIX).split("-")
    if len(parts) < 2:
        return None
    mode, arith, suffixes = parts[0], parts[1], parts[2:]
    # suffixes in the order `name` writes them, each at most once
    if suffixes not in ([], [PERF_SUFFIX], [DEBUG_SUFFIX], [PERF_SUFFIX, DEBUG_SUFFIX]):
        return None
    if mode not in MODES or arith not in ARITHMETICS:
        return None
    return Variant(mode, arith, PERF_SUFFIX in suffixes, DEBUG_SUFFIX in suffixes)


def all_variants(debug: bool = False) -> list[Variant]:
    """Every mode x arithmetic without timing: the set the kernel tests build."""
    return [Variant(m, a, debug=debug) for m in MODES for a in ARITHMETICS]
