"""Source tarballs and the patch series, on a tiny fake kernel tree with the real tar/patch."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mllb_lab.errors import UserError
from mllb_lab.kernel import patches, source

MAKEFILE = "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION =\n"


def fake_tree(root: Path) -> Path:
    tree = root / "linux-source-6.1"
    (tree / "kernel" / "sched").mkdir(parents=True)
    (tree / "Makefile").write_text(MAKEFILE)
    (tree / "kernel" / "sched" / "fair.c").write_text("int a;\nint b;\nint c;\n")
    return tree


def make_patch(folder: Path, name: str, old: str, new: str) -> Path:
    """A git-style patch of kernel/sched/fair.c from `old` to `new` content."""
    a, b = folder / "a.c", folder / "b.c"
    a.write_text(old)
    b.write_text(new)
    labels = ["--label", "a/kernel/sched/fair.c", "--label", "b/kernel/sched/fair.c"]
    diff = subprocess.run(
        ["diff", "-u", *labels, str(a), str(b)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    path = folder / name
    path.write_text(f"From 0 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] {name}\n---\n{diff}")
    return path


def test_find_source_names_the_flag_and_the_package(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        source.find_source("4.15", tmp_path)
    assert err.value.field == "--source" and "6.1" in str(err.value)
    with pytest.raises(UserError) as err:
        source.find_source("6.1", tmp_path)
    assert "apt-get install linux-source-6.1" in str(err.value)
    (tmp_path / "linux-source-6.1.tar.xz").write_bytes(b"")
    assert source.find_source("6.1", tmp_path).package == "linux-source-6.1"


def test_unpack_and_version(tmp_path: Path) -> None:
    fake_tree(tmp_path / "pack")
    tarball = tmp_path / "linux-source-6.1.tar.xz"
    subprocess.run(
        ["tar", "-cJf", tarball, "-C", tmp_path / "pack", "linux-source-6.1"], check=True
    )
    src = source.Source("6.1", "linux-source-6.1", tarball)
    tree = source.unpack(src, tmp_path / "cache" / "src", tmp_path / "log")
    assert tree == tmp_path / "cache" / "src"
    assert source.makefile_version(tree) == "6.1.192"


def test_series_applies_in_order(tmp_path: Path) -> None:
    tree = fake_tree(tmp_path)
    folder = tmp_path / "series"
    folder.mkdir()
    p1 = make_patch(
        folder, "0001-one.patch", "int a;\nint b;\nint c;\n", "int a;\nint B;\nint c;\n"
    )
    p2 = make_patch(
        folder, "0002-two.patch", "int a;\nint B;\nint c;\n", "int a;\nint B;\nint C;\n"
    )
    (folder / "README").write_text("not a patch")
    assert patches.list_patches(folder) == [p1, p2]
    patches.apply_series(tree, [p1, p2], tmp_path / "log")
    assert (tree / "kernel/sched/fair.c").read_text() == "int a;\nint B;\nint C;\n"


def test_non_applying_patch_is_refused_by_name_before_it_changes_anything(
    tmp_path: Path,
) -> None:
    tree = fake_tree(tmp_path)
    folder = tmp_path / "series"
    folder.mkdir()
    good = make_patch(
        folder, "0001-good.patch", "int a;\nint b;\nint c;\n", "int a;\nint B;\nint c;\n"
    )
    bad = make_patch(
        folder, "0002-bad.patch", "int x;\nint y;\nint z;\n", "int x;\nint Y;\nint z;\n"
    )
    with pytest.raises(UserError) as err:
        patches.apply_series(tree, [good, bad], tmp_path / "log")
    assert err.value.field == str(bad)
    assert "does not apply" in str(err.value)
    # the failing patch left no .rej/.orig and no half-applied hunk behind
    assert (tree / "kernel/sched/fair.c").read_text() == "int a;\nint B;\nint c;\n"
    assert not list(tree.rglob("*.rej"))


def test_empty_or_missing_series_folder(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        patches.list_patches(tmp_path / "none")
    with pytest.raises(UserError, match="holds no 000N"):
        patches.list_patches(tmp_path)


def test_repo_series_is_complete() -> None:
    names = [p.name for p in patches.list_patches(patches.series_dir("6.1"))]
    assert [n[:4] for n in names] == ["0001", "0002", "0003", "0004"]
