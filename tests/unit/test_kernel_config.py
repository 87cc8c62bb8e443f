"""Config fragments: parsing, which fragments make a variant, requests lost by olddefconfig."""

from __future__ import annotations

from pathlib import Path

import pytest

from mllb_lab.errors import UserError
from mllb_lab.kernel import config
from mllb_lab.kernel.variant import Variant, all_variants


def test_every_variant_has_its_fragments_in_the_repo() -> None:
    for v in [*all_variants(), Variant("test", "fixed", perf=True)]:
        paths = config.fragments_for(v)
        assert [p.name for p in paths[:3]] == [
            "base.config",
            f"mode-{v.mode}.config",
            f"{v.arith}.config",
        ]
        assert (paths[-1].name == "perf.config") == v.perf
        # each fragment parses, and the mode fragment asks for exactly its mode
        reqs = config.requested([(p, p.read_text()) for p in paths])
        assert reqs[f"CONFIG_JC_SCHED_{v.mode.upper()}"].value == "y"
        assert reqs["CONFIG_JC_SCHED_FXDPT"].value == ("y" if v.arith == "fixed" else "n")


def test_base_asks_for_what_capture_and_the_guest_need() -> None:
    base = config.config_dir() / "base.config"
    reqs = config.requested([(base, base.read_text())])
    for sym in (
        "CONFIG_DEBUG_INFO_BTF",
        "CONFIG_DEBUG_INFO_BTF_MODULES",
        "CONFIG_MODULES",
        "CONFIG_IKCONFIG_PROC",
        "CONFIG_NUMA",
        "CONFIG_SCHED_SMT",
        "CONFIG_VIRTIO_BLK",
        "CONFIG_VIRTIO_NET",
        "CONFIG_EXT4_FS",
        "CONFIG_DEVTMPFS_MOUNT",
        "CONFIG_IP_PNP",
        "CONFIG_JC_SCHED",
    ):
        assert reqs[sym].value == "y", sym


def test_later_fragment_wins(tmp_path: Path) -> None:
    a, b = tmp_path / "a.config", tmp_path / "b.config"
    reqs = config.requested(
        [(a, "CONFIG_X=y\nCONFIG_N=64\n"), (b, "# a comment\n# CONFIG_X is not set\n")]
    )
    assert reqs["CONFIG_X"].value == "n" and reqs["CONFIG_X"].fragment == b
    assert reqs["CONFIG_N"].value == "64"


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    frag = tmp_path / "bad.config"
    with pytest.raises(UserError) as err:
        config.requested([(frag, "CONFIG_A=y\nJC_SCHED=y\n")])
    assert err.value.field == f"{frag}:2"


def test_lost_requests_are_reported_with_their_fragment(tmp_path: Path) -> None:
    frag = tmp_path / "base.config"
    reqs = config.requested(
        [(frag, 'CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=y\nCONFIG_S="-x"\n')]
    )
    final = 'CONFIG_A=y\n# CONFIG_C is not set\nCONFIG_S="-x"\n'  # B absent counts as unset
    assert config.lost_requests(reqs, final) == ["base.config: CONFIG_C=y became CONFIG_C=n"]
    with pytest.raises(UserError, match=r"olddefconfig dropped a requested option: base\.config"):
        config.check_survived(reqs, final)
    config.check_survived(reqs, final.replace("# CONFIG_C is not set", "CONFIG_C=y"))


def test_localversion_fragment_names_the_variant() -> None:
    text = config.localversion_fragment(Variant("replace", "float"))
    assert text == 'CONFIG_LOCALVERSION="-mllb-replace-float"\n'


def test_missing_fragment_is_named(tmp_path: Path) -> None:
    (tmp_path / "base.config").write_text("CONFIG_A=y\n")
    with pytest.raises(UserError) as err:
        config.fragments_for(Variant("test"), tmp_path)
    assert err.value.field.endswith("mode-test.config")


def test_debug_fragment_comes_last_and_asks_for_lockdep() -> None:
    paths = config.fragments_for(Variant("replace", "fixed", perf=True, debug=True))
    assert [p.name for p in paths[-2:]] == ["perf.config", "debug.config"]
    reqs = config.requested([(p, p.read_text()) for p in paths])
    for sym in ("CONFIG_PROVE_LOCKING", "CONFIG_PROVE_RCU", "CONFIG_DEBUG_ATOMIC_SLEEP"):
        assert reqs[sym].value == "y", sym
    assert "debug.config" not in [p.name for p in config.fragments_for(Variant("replace"))]
