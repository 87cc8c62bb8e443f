"""`--deb` on a cached build packages the tree after reconfiguring it: the tree's .config must be
the cached build's, byte for byte, or nothing is packaged (docs/kernel.md, "`--deb`")."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from mllb_lab.errors import LabError
from mllb_lab.kernel.build import _same_config_as_cached


def plan(tmp_path: Path, tree_config: str, cached_config: str) -> SimpleNamespace:
    obj, out = tmp_path / "obj", tmp_path / "kernels" / "k1"
    obj.mkdir()
    out.mkdir(parents=True)
    (obj / ".config").write_text(tree_config)
    (out / "config").write_text(cached_config)
    return SimpleNamespace(
        obj=obj, out_dir=out, variant=SimpleNamespace(name="test-fixed"), log=tmp_path / "b.log"
    )


def test_same_config_passes(tmp_path: Path) -> None:
    _same_config_as_cached(plan(tmp_path, "CONFIG_JC_SCHED=y\n", "CONFIG_JC_SCHED=y\n"))


def test_a_changed_config_is_refused_with_the_fix(tmp_path: Path) -> None:
    p = plan(tmp_path, "CONFIG_JC_SCHED=y\nCONFIG_IKHEADERS=y\n", "CONFIG_JC_SCHED=y\n")
    with pytest.raises(LabError, match="differs from the cached build's") as err:
        _same_config_as_cached(p)
    assert f"remove {p.out_dir}" in str(err.value)
