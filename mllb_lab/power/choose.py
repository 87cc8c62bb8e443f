"""Which power driver a host has: QMP for a QEMU lab's guest; for a declared (bare-metal)
inventory, the host's `mllb_power` variables (see inventory/xeon-pair.example.yml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mllb_lab.errors import UserError
from mllb_lab.inventory import load_declared
from mllb_lab.lab import state as lab_state
from mllb_lab.paths import lab_home
from mllb_lab.power import credentials
from mllb_lab.power.base import PowerDriver
from mllb_lab.power.ipmi import IpmiPower
from mllb_lab.power.qmp import QmpPower

DRIVERS = ("ipmi",)


def for_lab(name: str) -> PowerDriver:
    lab_state.check_name(name, "--lab")
    state = lab_state.load(name)
    if state is None:
        raise UserError("--lab", f"no lab named '{name}'", "see mllb-lab status")
    log = lab_state.lab_dir(name) / "power.log"
    if state.backend == "qemu":
        return QmpPower(state.hosts[0].name if state.hosts else name, log,
                        Path(state.files.get("qmp", "")), name)  # fmt: skip
    raise UserError(
        "--lab", f"lab '{name}' uses the {state.backend} backend",
        "power control covers qemu labs and declared inventories (--inventory)",
    )  # fmt: skip


def for_inventory(inventory: Path, host: str) -> PowerDriver:
    hosts = {h.name: h for h in load_declared(inventory)}
    if host not in hosts:
        raise UserError("HOST", f"no host '{host}' in {inventory}", f"one of: {', '.join(hosts)}")
    field = f"{inventory.name}: {host}.mllb_power"
    spec: Any = hosts[host].extra.get("mllb_power")
    if not isinstance(spec, dict):
        raise UserError(field, "not set", "declare the host's power controller (see the example)")
    driver = spec.get("driver")
    if driver not in DRIVERS:
        raise UserError(f"{field}.driver", f"unknown driver '{driver}'", f"use one of {DRIVERS}")
    for key in ("address", "user"):
        if not isinstance(spec.get(key), str) or not spec[key]:
            raise UserError(f"{field}.{key}", "missing", f"set the BMC's {key}")
    password = credentials.password(spec, field, inventory.parent)
    log = lab_home() / "power" / f"{inventory.stem}.log"
    return IpmiPower(host, log, spec["address"], spec["user"], password,
                     str(spec.get("interface", "lanplus")))  # fmt: skip
