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
        ("replace-fixed-debug", Variant("replace", "fixed", debug=True)),
        ("jc-test-float-perf-debug", Variant("test", "float", perf=True, debug=True)),
    ],
)
def test_names_parse(text: str, variant: Variant) -> None:
    assert parse_variant(text) == variant


@pytest.mark.parametrize(
    "text",
    [
        "stock",
        "test",
        "test-fixed-fast",
        "mllb-replace",
        "TEST-fixed",
        "test-double",
        "",
        "test-fixed-debug-perf",  # one spelling per variant: perf before debug
        "test-fixed-debug-debug",
    ],
)
def test_other_names_are_not_variants(text: str) -> None:
    assert parse_variant(text) is None


def test_name_round_trip_and_release_suffix() -> None:
    names = {v.name for v in all_variants()}
    assert names == {f"{m}-{a}" for m in ("test", "replace", "toggle") for a in ("fixed", "float")}
    extra = [Variant("test", "float", perf=True), Variant("test", "fixed", True, True)]
    for v in [*all_variants(), *all_variants(debug=True), *extra]:
        assert parse_variant(v.name) == v
        assert v.localversion == f"-mllb-{v.name}"


def test_build_command_names_every_choice() -> None:
    assert build_command("6.1", Variant("replace", "float", perf=True)) == (
        "mllb-lab kernel build --source 6.1 --mode replace --float --perf"
    )
    assert build_command("6.1", Variant("test")).endswith("--mode test --fixed-point")


def test_debug_is_in_the_name_the_command_and_its_own_tree_family() -> None:
    debug = Variant("replace", "fixed", debug=True)
    assert debug.name == "replace-fixed-debug"
    assert build_command("6.1", debug).endswith("--mode replace --fixed-point --debug")
    assert debug.family != Variant("replace", "fixed").family
    assert Variant("test", "float", perf=True).family == Variant("replace", "fixed").family
