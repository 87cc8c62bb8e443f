"""The 4.15 patch series (kernel/patches/4.15/, the paper's kernel), checked without a 4.15 tree.

What these tests prove: every patch of both series parses as a unified diff whose hunk headers
agree with their line counts; each series applies in order, with `git apply` and no fuzz, to a
synthetic tree made only of the patches' own old sides (context and removed lines) placed at
the stated line numbers; the 4.15 series touches the files it is meant to; it declares the same
Kconfig symbols, system call 345, interface header and tracepoint header as the 6.1 series; and
`kernel build --source 4.15` is refused with exit 2.

What they do NOT prove: that the context lines are those of real Linux 4.15 (they were read
from stored public copies, see docs/kernel.md), that the series applies to a real 4.15 tree,
that it compiles there, that 4.15's APIs are used correctly, or that such a kernel boots.
No 4.15 source can be installed on this machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mllb_lab.kernel import patches

SERIES = ("6.1", "4.15")
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
FILLER = "/* synthetic line {} */"


@dataclass
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    lines: list[str] = field(default_factory=list)

    @property
    def old_side(self) -> list[str]:
        return [ln[1:] for ln in self.lines if ln[:1] in (" ", "-")]

    @property
    def new_side(self) -> list[str]:
        return [ln[1:] for ln in self.lines if ln[:1] in (" ", "+")]


@dataclass
class FileDiff:
    old: str  # "/dev/null" for a new file
    new: str
    hunks: list[Hunk] = field(default_factory=list)


def parse(patch: Path) -> list[FileDiff]:
    """A strict reading of one git-format patch: every hunk must hold exactly the line counts
    its header announces (a hand-edited hunk usually does not)."""
    text = patch.read_text()
    body = text.split("\n---\n", 1)[1]  # after the commit message
    body = body.rsplit("\n-- \n", 1)[0]  # before the signature
    files: list[FileDiff] = []
    lines = body.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- "):
            old = line[4:]
            assert lines[i + 1].startswith("+++ "), f"{patch.name}: '---' without '+++'"
            files.append(FileDiff(old, lines[i + 1][4:]))
            i += 2
            continue
        m = HUNK.match(line)
        if m:
            assert files, f"{patch.name}: hunk before a file header"
            hunk = Hunk(
                int(m.group(1)),
                int(m.group(2) if m.group(2) is not None else 1),
                int(m.group(3)),
                int(m.group(4) if m.group(4) is not None else 1),
            )
            i += 1
            old_seen = new_seen = 0
            while old_seen < hunk.old_len or new_seen < hunk.new_len:
                assert i < len(lines), f"{patch.name}: hunk {line} ends early"
                body_line = lines[i]
                kind = body_line[:1]
                assert kind in (" ", "-", "+"), f"{patch.name}: bad hunk line {body_line!r}"
                old_seen += kind in (" ", "-")
                new_seen += kind in (" ", "+")
                hunk.lines.append(body_line)
                i += 1
            assert (old_seen, new_seen) == (hunk.old_len, hunk.new_len), f"{patch.name}: {line}"
            files[-1].hunks.append(hunk)
            continue
        i += 1
    return files


def series(name: str) -> list[Path]:
    return patches.list_patches(patches.series_dir(name))


def diffs(name: str) -> list[FileDiff]:
    return [d for p in series(name) for d in parse(p)]


def added_text(name: str, path: str) -> str:
    """The content a series gives a file it creates."""
    for d in diffs(name):
        if d.old == "/dev/null" and d.new == f"b/{path}":
            return "\n".join(d.hunks[0].new_side) + "\n"
    raise AssertionError(f"{name} does not create {path}")


def added_lines(name: str) -> list[str]:
    return [ln[1:] for d in diffs(name) for h in d.hunks for ln in h.lines if ln[:1] == "+"]


def ends_the_file(hunk: Hunk) -> bool:
    """diff gives a hunk less trailing than leading context only at the end of a file."""
    kinds = [ln[:1] for ln in hunk.lines]
    leading = len(kinds) - len("".join(kinds).lstrip(" "))
    trailing = len(kinds) - len("".join(kinds).rstrip(" "))
    return trailing < leading


def synthetic_tree(name: str, root: Path) -> None:
    """Every file the series modifies, made of the hunks' old sides at their line numbers and
    filler lines elsewhere: the only text a patch may rely on is its own context."""
    for d in diffs(name):
        if d.old == "/dev/null":
            continue
        assert d.old == d.new.replace("b/", "a/", 1), f"{d.old}: renames are not expected"
        target = root / d.old[2:]
        assert not target.exists(), f"{d.old} is modified by two patches of the {name} series"
        lines: list[str] = []
        for hunk in d.hunks:
            assert hunk.old_start - 1 >= len(lines), f"{d.old}: hunks overlap or are unordered"
            while len(lines) < hunk.old_start - 1:
                lines.append(FILLER.format(len(lines) + 1))
            lines.extend(hunk.old_side)
        if not ends_the_file(d.hunks[-1]):
            lines.extend(FILLER.format(len(lines) + n) for n in range(1, 4))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("name", SERIES)
def test_every_patch_parses_with_consistent_hunks(name: str) -> None:
    found = series(name)
    assert [p.name[:4] for p in found] == ["0001", "0002", "0003", "0004"]
    for patch in found:
        files = parse(patch)
        assert files, f"{patch.name} changes no file"
        text = patch.read_text()
        assert text.startswith("From ") and "\nSubject: [PATCH " in text
        for d in files:
            assert d.hunks, f"{patch.name}: {d.new} without hunks"
            for hunk in d.hunks:
                assert any(ln[:1] in "+-" for ln in hunk.lines), f"{patch.name}: empty hunk"


@pytest.mark.parametrize("name", SERIES)
def test_series_applies_to_a_tree_made_of_its_own_context(name: str, tmp_path: Path) -> None:
    synthetic_tree(name, tmp_path)
    for patch in series(name):
        proc = subprocess.run(
            ["git", "apply", "--verbose", str(patch)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, f"{patch.name}: {proc.stderr}"
    fair = (tmp_path / "kernel/sched/fair.c").read_text()
    assert '#include "mllb.h"' in fair
    assert "migrate = mllb_sched_soft(p, &in, migrate);" in fair
    assert "env->test_aggressive = 1;" in fair
    assert (tmp_path / "kernel/sched/mllb.c").is_file()


def test_415_touches_the_expected_files() -> None:
    created = {d.new[2:] for d in diffs("4.15") if d.old == "/dev/null"}
    modified = {d.new[2:] for d in diffs("4.15") if d.old != "/dev/null"}
    assert created == {
        "kernel/sched/Kconfig.jc_sched",
        "include/linux/mllb_sched.h",
        "include/trace/events/mllb.h",
        "kernel/sched/mllb.c",
        "kernel/sched/mllb.h",
    }
    # the top-level Kconfig instead of init/Kconfig, and no kernel/sys_ni.c (docs/kernel.md)
    assert modified == {
        "Kconfig",
        "arch/x86/entry/syscalls/syscall_64.tbl",
        "include/linux/syscalls.h",
        "kernel/sched/Makefile",
        "kernel/sched/fair.c",
    }


def kconfig_symbols(name: str) -> set[str]:
    text = added_text(name, "kernel/sched/Kconfig.jc_sched")
    return set(re.findall(r"^(?:menu)?config (\w+)$", text, re.M))


def test_same_kconfig_symbols_syscall_and_interface_as_61() -> None:
    assert (
        kconfig_symbols("4.15")
        == kconfig_symbols("6.1")
        == {
            "JC_SCHED",
            "JC_SCHED_TEST",
            "JC_SCHED_REPLACE",
            "JC_SCHED_TOGGLE",
            "JC_SCHED_FXDPT",
            "JC_SCHED_PERF",
        }
    )
    for name in SERIES:
        table = [ln for ln in added_lines(name) if re.match(r"^\d+\s", ln)]
        assert [ln.split() for ln in table] == [["345", "64", "jc_sched", "sys_jc_sched"]]
        assert "obj-$(CONFIG_JC_SCHED) += mllb.o" in added_lines(name)
        assert "SYSCALL_DEFINE1(jc_sched, int, start)" in added_text(name, "kernel/sched/mllb.c")
    # one contract for the module on both kernels
    for path in ("include/linux/mllb_sched.h", "include/trace/events/mllb.h"):
        assert added_text("4.15", path) == added_text("6.1", path)
    mllb_c = added_text("4.15", "kernel/sched/mllb.c")
    assert '.procname\t= "sched_mllb"' in mllb_c
    for newer in (
        "= SYSCTL_ZERO",
        "debugfs_lookup(",
        "<linux/kstrtox.h>",
        'register_sysctl("kernel"',
    ):
        assert newer not in mllb_c, f"{newer} does not exist in Linux 4.15"
    fair = "\n".join(
        ln[1:]
        for d in diffs("4.15")
        if d.new == "b/kernel/sched/fair.c"
        for h in d.hunks
        for ln in h.lines
        if ln[:1] == "+"
    )
    for newer in (
        "lockdep_assert_rq_held(",
        "& LBF_ACTIVE_LB",
        "kthread_is_per_cpu(p)",
        "->cpus_ptr",
    ):
        assert newer not in fair, f"{newer} does not exist in Linux 4.15"


def test_building_415_is_refused_with_exit_2(tmp_path: Path) -> None:
    env = dict(os.environ, MLLB_CACHE_HOME=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "mllb_lab", "kernel", "build", "--source", "4.15", "--mode", "test"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2
    assert "--source" in proc.stderr and "untested" in proc.stderr
    assert "no source" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "kernel-trees").exists()
