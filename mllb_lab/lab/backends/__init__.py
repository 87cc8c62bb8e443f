"""Provisioning backends: `qemu` (embedded, default) and `libvirt`."""

from __future__ import annotations

import importlib

from mllb_lab.errors import UserError
from mllb_lab.lab.backends.base import Backend

NAMES = ("qemu", "libvirt")


def get_backend(name: str) -> Backend:
    if name not in NAMES:
        raise UserError("--backend", f"unknown backend '{name}'", f"use one of {', '.join(NAMES)}")
    try:
        module = importlib.import_module(f"mllb_lab.lab.backends.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"mllb_lab.lab.backends.{name}":
            raise
        raise UserError(
            "--backend", f"the {name} backend is not installed", "use --backend qemu"
        ) from None
    return module.BACKEND
