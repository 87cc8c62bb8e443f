"""The mllb.ko build helper's inputs and refusals. The real build runs in
tests/vm/test_kmod_stock.py, which needs the guest kernel's headers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mllb_lab.errors import UserError
from mllb_lab.kmod.build import build_key, build_module, kmod_sources, tree_release
from mllb_lab.kmod.headers import stock_tree
from mllb_lab.paths import repo_root


def fake_tree(root: Path, release: str, symvers: str) -> Path:
    """The files that identify a build tree; enough for keys, not for a build."""
    (root / "include" / "generated").mkdir(parents=True)
    (root / "include" / "generated" / "utsrelease.h").write_text(
        f'#define UTS_RELEASE "{release}"\n'
    )
    (root / "Makefile").write_text("all:\n")
    (root / "Module.symvers").write_text(symvers)
    (root / ".config").write_text("CONFIG_MODULES=y\n")
    return root


def test_every_module_source_is_in_kbuild() -> None:
    kbuild = (repo_root() / "kmod" / "Kbuild").read_text().replace("\\\n", " ")
    objs = set(re.findall(r"(\w+)\.o\b", kbuild)) - {"mllb"}
    sources = {p.stem for p in kmod_sources() if p.suffix == ".c"}
    assert sources == objs


def test_sources_leave_out_user_space_and_bench() -> None:
    names = {p.name for p in kmod_sources()}
    assert {"Kbuild", "mllb_main.c", "mllb_features.c", "mllb_mlp_float.c"} <= names
    assert "Makefile" not in names and "mllb_user.c" not in names


def test_key_follows_the_tree(tmp_path: Path) -> None:
    a = fake_tree(tmp_path / "a", "6.1.0-50-amd64", "sym a\n")
    b = fake_tree(tmp_path / "b", "6.1.0-50-amd64", "sym b\n")
    assert tree_release(a) == "6.1.0-50-amd64"
    assert build_key(a).startswith("6.1.0-50-amd64-")
    assert build_key(a) != build_key(b)
    assert build_key(a) == build_key(fake_tree(tmp_path / "c", "6.1.0-50-amd64", "sym a\n"))


def test_not_a_tree_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--tree"):
        build_module(tmp_path)


def test_headers_apt_does_not_have_are_refused_with_the_fix() -> None:
    with pytest.raises(UserError, match="rebuild the image"):
        stock_tree("0.0.0-none-amd64", install=True)


def test_cli_bad_tree_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mllb_lab", "kmod", "build", "--tree", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--tree" in proc.stderr
