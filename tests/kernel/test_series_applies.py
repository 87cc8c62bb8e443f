"""The 6.1 patch series applies, without fuzz, to the source apt installed.

Only the files the series touches are unpacked (cheap); the full tree is the builds' job.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from mllb_lab.kernel import patches, source


def touched_files(series: list[Path]) -> set[str]:
    names = set()
    for patch in series:
        for m in re.finditer(r"^--- a/(\S+)$", patch.read_text(), re.M):
            names.add(m.group(1))
    return names


def test_series_applies_to_the_apt_source(tmp_path: Path) -> None:
    src = source.find_source("6.1")
    series = patches.list_patches(patches.series_dir("6.1"))
    top = "linux-source-6.1"
    members = sorted(f"{top}/{name}" for name in touched_files(series))
    assert f"{top}/kernel/sched/fair.c" in members
    subprocess.run(["tar", "-xJf", src.tarball, "-C", tmp_path, *members], check=True)
    tree = tmp_path / top
    patches.apply_series(tree, series, tmp_path / "patch.log")
    fair = (tree / "kernel/sched/fair.c").read_text()
    assert "env->test_aggressive = 1;" in fair
    assert "mllb_sched_soft(p, &in, migrate)" in fair
    # CFS's own soft decision is still there as the fallback
    assert "tsk_cache_hot = migrate_degrades_locality(p, env);" in fair
    assert (tree / "kernel/sched/mllb.c").is_file()
    assert (tree / "include/linux/mllb_sched.h").is_file()
    table = (tree / "arch/x86/entry/syscalls/syscall_64.tbl").read_text()
    assert re.search(r"^345\s+64\s+jc_sched\s+sys_jc_sched$", table, re.M)


def test_header_is_the_documented_contract(tmp_path: Path) -> None:
    """include/linux/mllb_sched.h carries docs/kernel-interface.md's declarations verbatim."""
    doc = (patches.series_dir("6.1").parents[2] / "docs" / "kernel-interface.md").read_text()
    block = doc.split("```c\n", 1)[1].split("```", 1)[0]
    series = patches.list_patches(patches.series_dir("6.1"))
    header_patch = next(p for p in series if "mllb_sched.h" in p.read_text().split("---", 1)[0])
    added = "\n".join(
        line[1:] for line in header_patch.read_text().splitlines() if line.startswith("+")
    )
    assert block.strip() in added
