"""The kernel axis of a campaign: `kernels: [stock, replace-fixed, toggle-fixed:on, ...]`.

An entry names the kernel a QEMU/libvirt lab boots (`stock`, or a JC_SCHED variant such as
`replace-fixed`) and, for JC_SCHED kernels, optionally the runtime switch: `:on` / `:off` set
sysctl kernel.sched_mllb before each run, so `toggle-fixed:off` and `toggle-fixed:on` share one
boot. Repetitions are interleaved (every repetition visits every entry) and alternate in
direction (A B, B A, A B, ...), with entries that share a boot kept together, so a campaign
with K boot kernels and R repetitions boots R * (K - 1) + 1 times instead of R * K.
"""

from __future__ import annotations

from dataclasses import dataclass

from mllb_lab.kernel.variant import parse_variant

STOCK = "stock"
SWITCHES = {"on": 1, "off": 0}
# Entries under which the model decides (at least sometimes) and so must be loaded.
ML_MODES = ("replace", "toggle", "test")


@dataclass(frozen=True)
class KernelEntry:
    text: str  # as written in the campaign: recorded per run (kernel_requested)
    boot: str  # what `up --kernel` gets: stock or a variant name
    sched_mllb: int | None  # the sysctl value to set before each run; None: leave it alone

    @property
    def jc(self) -> bool:
        return self.boot != STOCK

    @property
    def model_decides(self) -> bool:
        """Whether the kernel's decisions depend on a loaded model (so one is required)."""
        variant = parse_variant(self.boot)
        if variant is None:
            return False
        if variant.mode == "replace":
            return True
        return variant.mode in ML_MODES and self.sched_mllb == 1


def parse(text: str) -> KernelEntry:
    """'toggle-fixed:on' -> KernelEntry; ValueError with the reason for anything else."""
    boot, sep, switch = text.partition(":")
    if boot != STOCK and parse_variant(boot) is None:
        raise ValueError(
            f"'{boot}' is neither stock nor a kernel variant (MODE-fixed|float[-perf][-debug], "
            "MODE test|replace|toggle)"
        )
    if not sep:
        return KernelEntry(text, boot, None)
    if switch not in SWITCHES:
        raise ValueError(f"'{text}': the switch after ':' must be on or off")
    if boot == STOCK:
        raise ValueError(f"'{text}': the stock kernel has no kernel.sched_mllb switch")
    return KernelEntry(text, boot, SWITCHES[switch])


def repetition_order(entries: list[KernelEntry], repetition: int) -> list[KernelEntry]:
    """The entries in the order repetition `repetition` (1-based) visits them: grouped by boot
    kernel (first appearance), forwards in odd repetitions and backwards in even ones, so the
    last kernel of one repetition is the first of the next and needs no boot."""
    groups: dict[str, list[KernelEntry]] = {}
    for e in entries:
        groups.setdefault(e.boot, []).append(e)
    flat = [e for group in groups.values() for e in group]
    return flat if repetition % 2 == 1 else flat[::-1]


def boots(sequence: list[str]) -> int:
    """How many boots a run order (the boot kernel of each run) needs, the first included."""
    return sum(1 for i, b in enumerate(sequence) if i == 0 or b != sequence[i - 1])
