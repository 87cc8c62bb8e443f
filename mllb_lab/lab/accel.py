"""Which accelerator a guest gets: KVM only where hardware virtualisation really works.

A /dev/kvm node is not proof: a paravirtual layer (kvm_pvm) exposes one without VT-x/AMD-V, and
a stock kernel then hangs or dies with "KVM internal error". So KVM needs the vmx/svm CPU flag,
no kvm_pvm module, and a /dev/kvm we can open; otherwise TCG with an Intel CPU model (QEMU's
default `max` model is AMD under TCG and loses SMT threads).

`tcg-single` is TCG with every vCPU on one host thread: slower, but a code write and every later
translation are ordered, so detaching a BPF trampoline cannot leave a vCPU looping on a stale
int3 translation (the MTTCG hang in docs/schedlat.md, "Known hazard").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mllb_lab.errors import UserError

CHOICES = ("auto", "kvm", "tcg", "tcg-single")


@dataclass(frozen=True)
class Accel:
    name: str  # kvm | tcg | tcg-single
    reason: str  # why this one, shown by `up`

    def qemu_args(self) -> list[str]:
        if self.name == "kvm":
            return ["-accel", "kvm", "-cpu", "host"]
        if self.name == "tcg-single":
            return ["-accel", "tcg,thread=single", "-cpu", "max,vendor=GenuineIntel"]
        return ["-accel", "tcg,thread=multi", "-cpu", "max,vendor=GenuineIntel"]


def kvm_problem(root: Path = Path("/")) -> str | None:
    """Why KVM cannot be used on this host, or None when it can. `root` is for tests."""
    dev = root / "dev" / "kvm"
    if not dev.exists():
        return "/dev/kvm does not exist"
    if (root / "sys" / "module" / "kvm_pvm").exists():
        return "/dev/kvm is the paravirtual kvm_pvm layer, not hardware virtualisation"
    cpuinfo = (root / "proc" / "cpuinfo").read_text()
    flags = {
        word for line in cpuinfo.splitlines() if line.startswith("flags") for word in line.split()
    }
    if not flags & {"vmx", "svm"}:
        return "the CPU has no vmx/svm flag (no hardware virtualisation)"
    if not os.access(dev, os.R_OK | os.W_OK):
        return "/dev/kvm is not readable and writable by this user"
    return None


def choose(requested: str, root: Path = Path("/")) -> Accel:
    if requested not in CHOICES:
        raise UserError("--accel", f"'{requested}' is not one of {', '.join(CHOICES)}")
    if requested in ("tcg", "tcg-single"):
        return Accel(requested, "requested")
    problem = kvm_problem(root)
    if requested == "kvm":
        if problem:
            raise UserError(
                "--accel", f"KVM is not usable here: {problem}", "use --accel tcg or auto"
            )
        return Accel("kvm", "requested")
    if problem:
        return Accel("tcg", f"KVM unusable: {problem}")
    return Accel("kvm", "hardware virtualisation available")


def tracing_accel(root: Path = Path("/")) -> str:
    """The `--accel` for a lab whose BPF programs get attached and detached: KVM where it works
    (real CPUs serialise after the kernel's code patching), else single-threaded TCG."""
    return "auto" if kvm_problem(root) is None else "tcg-single"
