"""Kernel variant names: what `up --kernel` and `kernel build` agree on."""

from __future__ import annotations

import pytest

from mllb_lab.kernel.build import build_command
from mllb_lab.kernel.variant import Variant, all_variants, parse_variant


@pytest.mark.parametrize(
    ("text", "variant"),
    [
        ("test-fixed", Variant("test", "fixed")),
        ("replace-float", Variant("replace", "float")),
        ("jc-toggle-fixed", Variant("toggle", "fixed")),
        ("toggle-float-perf", Variant("toggle", "float", perf=True)),
    ],
)
def test_names_parse(text: str, variant: Variant) -> None:
    assert parse_variant(text) == variant


@pytest.mark.parametrize(
    "text", ["stock", "test", "test-fixed-fast", "mllb-replace", "TEST-fixed", "test-double", ""]
)
def test_other_names_are_not_variants(text: str) -> None:
    assert parse_variant(text) is None


def test_name_round_trip_and_release_suffix() -> None:
    names = {v.name for v in all_variants()}
    assert names == {f"{m}-{a}" for m in ("test", "replace", "toggle") for a in ("fixed", "float")}
    for v in [*all_variants(), Variant("test", "float", perf=True)]:
        assert parse_variant(v.name) == v
        assert v.localversion == f"-mllb-{v.name}"


def test_build_command_names_every_choice() -> None:
    assert build_command("6.1", Variant("replace", "float", perf=True)) == (
        "mllb-lab kernel build --source 6.1 --mode replace --float --perf"
    )
    assert build_command("6.1", Variant("test")).endswith("--mode test --fixed-point")
