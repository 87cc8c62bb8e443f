"""Put a lab on a campaign's kernel entry before its runs: boot, module + model, switch.

A QEMU/libvirt lab is booted again (down, then up with `--kernel`) only when the entry's boot
kernel differs from the one it runs; after each boot of a JC_SCHED kernel, mllb.ko (built
against that kernel's cached tree) is loaded and the campaign's model blob written to it; an
entry with `:on`/`:off` sets sysctl kernel.sched_mllb before every run. What was done is
returned as a record that goes into each run's run.json (`kernel_setup`).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mllb_lab.campaign.kernels import KernelEntry
from mllb_lab.errors import LabError, UserError
from mllb_lab.lab import baremetal, lifecycle, replan
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.image import plan_image
from mllb_lab.lab.kernels import VARIANT_SOURCE, resolve_kernel
from mllb_lab.progress import Progress

# The guest's disk is a throwaway overlay: no need to wait long for ACPI (a healthy 2x2x2 guest
# is off in ~3 s; a hung one never answers, and 60 s here were pure waiting).
DOWN_TIMEOUT = 20.0
BOOT_TIMEOUT = 300.0


def check_lab(lab: str | None, field_name: str) -> None:
    """Booting kernels needs a lab mllb-lab itself starts (not adopted bare-metal hosts)."""
    state = lab_state.load(lab) if lab else None
    if state is None or state.backend == baremetal.BACKEND:
        raise UserError(
            field_name,
            "booting kernels in turn needs a QEMU or libvirt lab (--lab NAME)",
            "for declared hosts, boot the kernel first and use kernel: RELEASE",
        )


def module_for(entry: KernelEntry, index: int) -> Path:
    """mllb.ko for a JC_SCHED variant, built (cached) against that variant's build tree."""
    from mllb_lab.kernel import build
    from mllb_lab.kernel.variant import parse_variant
    from mllb_lab.kmod.build import build_module

    variant = parse_variant(entry.boot)
    assert variant is not None  # the schema only lets stock and variant names through
    record = build.cached(build.plan_build(VARIANT_SOURCE, variant))
    if record is None:
        raise UserError(
            f"kernels[{index}]",
            f"kernel variant {variant.name} is not built for the current patches and config",
            f"run: {build.build_command(VARIANT_SOURCE, variant)}",
        )
    return build_module(Path(record.dir) / "build")


@dataclass
class KernelSwitch:
    lab: str
    model: bytes | None
    modules: dict[str, Path]  # boot kernel -> mllb.ko
    boots: int = 0  # boots done by this invocation
    loaded: set[str] = field(default_factory=set)  # boot kernels given module + model since boot

    @classmethod
    def prepare(
        cls, lab: str, entries: list[KernelEntry], model: Path | None, progress: Progress
    ) -> KernelSwitch:
        """Everything that can fail on the controller, before any run: builds, module, model."""
        modules: dict[str, Path] = {}
        for i, entry in enumerate(entries):
            try:  # not built, unknown: say so now, not in the middle of the campaign
                resolve_kernel(entry.boot, plan_image())
            except UserError as exc:
                raise UserError(f"kernels[{i}]", exc.problem, exc.fix) from None
            if entry.jc and model is not None and entry.boot not in modules:
                with progress.step(f"building mllb.ko for {entry.boot} (cached)"):
                    modules[entry.boot] = module_for(entry, i)
        blob = model.read_bytes() if model is not None else None
        return cls(lab, blob, modules)

    def booted(self) -> str:
        state = self.state()
        return state.files.get("kernel", "")

    def state(self) -> lab_state.LabState:
        state = lab_state.load(self.lab)
        if state is None:
            raise LabError(f"lab '{self.lab}' vanished during the campaign")
        return state

    def ensure(self, entry: KernelEntry, progress: Progress) -> dict[str, Any]:
        """Boot, load and switch as `entry` needs; returns the record of what is in place."""
        state = self.state()
        kernel, _ = resolve_kernel(entry.boot, replan.lab_image(state))
        booted_now = False
        if state.files.get("kernel") != str(kernel) or state.status != "running":
            state = self.boot(state, entry.boot, progress)
            booted_now = True
        if entry.jc and self.model is not None and entry.boot not in self.loaded:
            self.load_model(state, entry.boot, progress)
        out: dict[str, Any] = {
            "entry": entry.text,
            "boot": entry.boot,
            "kernel_file": state.files.get("kernel", ""),
            "booted_for_this_run": booted_now,
            "boots_so_far": self.boots,
            "lab_started": state.created,
            "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        if entry.jc:
            out.update(self.switch_and_probe(state, entry))
        return out

    def boot(self, state: lab_state.LabState, boot: str, progress: Progress) -> lab_state.LabState:
        with progress.step(f"booting lab '{self.lab}' into {boot}"):
            plan = replan.plan_for_kernel(state, boot)  # before `down`: bad input changes nothing
            lifecycle.down(self.lab, DOWN_TIMEOUT, progress)
            state, _ = lifecycle.up(plan, BOOT_TIMEOUT, progress)
        self.boots += 1
        self.loaded.clear()
        return state

    def load_model(self, state: lab_state.LabState, boot: str, progress: Progress) -> None:
        from mllb_lab.kmod import guest

        assert self.model is not None
        with progress.step(f"loading mllb.ko and the model on {boot}"):
            guest.insmod(state, self.modules[boot])
            proc = guest.write_attr(state, "model", self.model)
            if proc.returncode != 0:
                raise LabError(f"the kernel refused the campaign's model: {proc.stderr.strip()}")
        self.loaded.add(boot)

    def switch_and_probe(self, state: lab_state.LabState, entry: KernelEntry) -> dict[str, Any]:
        """Set the switch (if the entry has one) and read back what the kernel has, in one
        round trip (each costs seconds in a TCG guest)."""
        command = (
            'echo "sched_mllb $(sysctl -n kernel.sched_mllb 2>/dev/null || echo none)"; '
            "cat /sys/kernel/mllb/info 2>/dev/null || true"
        )
        if entry.sched_mllb is not None:
            command = f"sysctl -qw kernel.sched_mllb={entry.sched_mllb} && {command}"
        lines = ssh_check(state, command).splitlines()
        info = dict(line.split(" ", 1) for line in lines if " " in line)
        switch = info.get("sched_mllb", "none")
        out: dict[str, Any] = {
            "sched_mllb": int(switch) if switch.isdigit() else None,
            "module": {k: info[k] for k in ("registered", "impl") if k in info},
        }
        if self.model is not None and entry.boot in self.loaded:
            out["model_sha256"] = hashlib.sha256(self.model).hexdigest()
        return out


def ssh_check(state: lab_state.LabState, command: str) -> str:
    from mllb_lab.kmod import guest

    return guest.check(state, command)
