"""configure() merges the fragment texts the cache key was computed from, not the files as they
are later: a fragment edited during a build (another developer's commit) cannot end up in a
build filed under the old key (it happened once with `--deb`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mllb_lab.kernel import build, cache, source
from mllb_lab.kernel.variant import Variant


def _plan(tmp_path: Path, fragments: list[Path]) -> build.BuildPlan:
    texts = tuple(p.read_text() for p in fragments)
    src = source.Source("6.1", "linux-source-6.1", tmp_path / "linux.tar.xz")
    return build.BuildPlan(src, "d", [], fragments, Variant("test"), "s", "k", texts)


def test_the_hashed_texts_are_merged_not_the_edited_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "trees_root", lambda: tmp_path / "trees")
    base = tmp_path / "a" / "base.config"
    extra = tmp_path / "b" / "base.config"  # same name from another folder: kept apart
    for path, text in ((base, "CONFIG_SMP=y\n"), (extra, "CONFIG_NUMA=y\n")):
        path.parent.mkdir()
        path.write_text(text)
    plan = _plan(tmp_path, [base, extra])
    base.write_text("CONFIG_SMP=y\nCONFIG_IKHEADERS=y\n")  # edited after the key was made

    written = build._frozen_fragments(plan)

    assert [p.read_text() for p in written] == ["CONFIG_SMP=y\n", "CONFIG_NUMA=y\n"]
    assert [p.name for p in written] == ["base.config", "base.config"]
    assert written[0].parent != written[1].parent
    assert all(p.is_relative_to(plan.obj) for p in written)
