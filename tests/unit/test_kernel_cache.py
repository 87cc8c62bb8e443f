"""Cache keys and build records: a changed input means a different build."""

from __future__ import annotations

import json
from pathlib import Path

from mllb_lab.kernel import cache, source

PATCHES = [("0001-a.patch", b"--- a\n+++ b\n"), ("0002-b.patch", b"x")]
FRAGS = [("base.config", b"CONFIG_A=y\n"), ("mode-test.config", b"CONFIG_JC_SCHED_TEST=y\n")]


def test_series_key_follows_source_and_every_patch_byte() -> None:
    key = cache.series_key("abc", PATCHES)
    assert key == cache.series_key("abc", list(PATCHES))
    assert len(key) == cache.KEY_LEN
    assert key != cache.series_key("abd", PATCHES)
    assert key != cache.series_key("abc", [PATCHES[0], ("0002-b.patch", b"y")])
    assert key != cache.series_key("abc", PATCHES[:1])
    # renaming a patch (reordering the series) is a change too
    assert key != cache.series_key("abc", [PATCHES[0], ("0003-b.patch", b"x")])


def test_build_key_follows_config_variant_and_toolchain() -> None:
    key = cache.build_key("s1", FRAGS, "test-fixed", "gcc 12")
    assert key == cache.build_key("s1", list(FRAGS), "test-fixed", "gcc 12")
    others = [
        cache.build_key("s2", FRAGS, "test-fixed", "gcc 12"),
        cache.build_key("s1", [FRAGS[0], ("mode-test.config", b"")], "test-fixed", "gcc 12"),
        cache.build_key("s1", FRAGS, "test-float", "gcc 12"),
        cache.build_key("s1", FRAGS, "test-fixed", "gcc 13"),
    ]
    assert key not in others and len(set(others)) == len(others)


def test_toolchain_id_names_gcc_and_pahole() -> None:
    text = cache.toolchain_id()
    assert text.startswith("gcc: ") and "; pahole: " in text


def test_records_round_trip_and_unfinished_builds_are_ignored(tmp_path: Path) -> None:
    done = tmp_path / "k1"
    done.mkdir()
    record = cache.BuildRecord(
        key="k1",
        variant="test-fixed",
        series="6.1",
        source_version="6.1.192",
        release="6.1.192-mllb-test-fixed",
        dir=str(done),
        patches=["0001-a.patch"],
        fragments=["base.config"],
        seconds={"total": 1.0},
        created="2026-01-01T00:00:00+0000",
    )
    record.save(done)
    (tmp_path / "k2").mkdir()  # interrupted: no build.json
    old = tmp_path / "k3"
    old.mkdir()
    (old / cache.RECORD).write_text(json.dumps({"version": 0, "key": "k3"}))
    assert cache.read_record(done) == record
    assert cache.list_builds(tmp_path) == [record]
    assert cache.list_builds(tmp_path / "none") == []


def test_tarball_digest_is_remembered_until_the_file_changes(tmp_path: Path) -> None:
    tarball = tmp_path / "linux-source-6.1.tar.xz"
    tarball.write_bytes(b"one")
    memo = tmp_path / "memo.json"
    first = source.tarball_digest(tarball, memo)
    assert json.loads(memo.read_text())["sha256"] == first
    assert source.tarball_digest(tarball, memo) == first
    tarball.write_bytes(b"two!")
    assert source.tarball_digest(tarball, memo) != first
