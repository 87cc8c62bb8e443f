"""Kernel variants: which JC_SCHED mode, arithmetic and timing a build has, and their names.

A variant's name is what `mllb-lab up --kernel NAME` accepts: `MODE-ARITH[-perf]`, e.g.
`test-fixed`, `replace-float`, `toggle-fixed-perf`; a `jc-` prefix is accepted as well.
"""

from __future__ import annotations

from dataclasses import dataclass

MODES = ("test", "replace", "toggle")
ARITHMETICS = ("fixed", "float")
PREFIX = "jc-"
PERF_SUFFIX = "perf"


@dataclass(frozen=True)
class Variant:
    mode: str  # one of MODES
    arith: str = "fixed"  # one of ARITHMETICS
    perf: bool = False

    @property
    def name(self) -> str:
        return f"{self.mode}-{self.arith}" + (f"-{PERF_SUFFIX}" if self.perf else "")

    @property
    def localversion(self) -> str:
        """The kernel release suffix, so `uname -r` says which variant booted."""
        return f"-mllb-{self.name}"


def parse_variant(text: str) -> Variant | None:
    """A variant from its name, or None when the text is not a variant name."""
    name = text.removeprefix(PREFIX)
    parts = name.split("-")
    perf = len(parts) == 3 and parts[2] == PERF_SUFFIX
    if len(parts) not in (2, 3) or (len(parts) == 3 and not perf):
        return None
    mode, arith = parts[0], parts[1]
    if mode not in MODES or arith not in ARITHMETICS:
        return None
    return Variant(mode, arith, perf)


def all_variants() -> list[Variant]:
    """Every mode x arithmetic without timing: the set the kernel tests build."""
    return [Variant(m, a) for m in MODES for a in ARITHMETICS]
