"""Tier markers follow the folder: tests/unit -> unit, tests/vm -> vm, tests/kernel -> kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

TIERS = ("unit", "vm", "kernel")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        for tier in TIERS:
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))
