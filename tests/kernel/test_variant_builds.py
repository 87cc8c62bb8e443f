"""Every mode x arithmetic builds, as incremental builds in one tree after the first.

Each build is checked for what makes it that variant and for what the lab needs from it:
its release string, its config, the exported interface, and a tree external modules build in.
"""

from __future__ import annotations

import gzip
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mllb_lab.kernel.build import plan_build
from mllb_lab.kernel.variant import all_variants, parse_variant

VARIANTS = [v.name for v in all_variants()]  # test-fixed first: the cold build


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_builds(kernel_build: Callable[[str], dict], name: str) -> None:
    record = kernel_build(name)
    out = Path(record["dir"])
    mode, arith = name.split("-")
    built = parse_variant(record["variant"])  # the tier builds the -debug flavour
    assert built is not None and (built.mode, built.arith) == (mode, arith)
    assert record["release"] == f"6.1.192-mllb-{record['variant']}"
    assert (out / "bzImage").stat().st_size > 1_000_000
    config = (out / "config").read_text()
    assert f"CONFIG_JC_SCHED_{mode.upper()}=y" in config
    for other in {"test", "replace", "toggle"} - {mode}:
        assert f"# CONFIG_JC_SCHED_{other.upper()} is not set" in config
    fxdpt = "CONFIG_JC_SCHED_FXDPT=y" if arith == "fixed" else "# CONFIG_JC_SCHED_FXDPT is not set"
    assert fxdpt in config
    assert "CONFIG_DEBUG_INFO_BTF=y" in config
    assert ("CONFIG_PROVE_LOCKING=y" in config) == built.debug
    symbols = (out / "System.map").read_text()
    # can_migrate_task stays a real function (fentry/fexit capture attaches to it)
    assert re.search(r" t can_migrate_task$", symbols, re.M)
    assert re.search(r" T sys_jc_sched$|__x64_sys_jc_sched$", symbols, re.M)
    symvers = (out / "build" / "Module.symvers").read_text()
    assert re.search(r"\tmllb_sched_register\tvmlinux\tEXPORT_SYMBOL_GPL", symvers)
    assert (out / "modules" / "lib" / "modules" / record["release"] / "modules.builtin").is_file()


def test_incremental_builds_share_one_tree(kernel_build: Callable[[str], dict]) -> None:
    """After the cold build, a variant recompiles only what reads the changed symbols."""
    records = [kernel_build(name) for name in VARIANTS]
    assert len({r["key"] for r in records}) == len(VARIANTS)
    plans = [plan_build("6.1", parse_variant(r["variant"])) for r in records]
    assert len({p.tree_dir for p in plans}) == 1
    compiled = {}
    for name, plan in zip(VARIANTS, plans, strict=True):  # the tier builds NAME-debug
        log = plan.log.read_text()
        compiled[name] = re.findall(r"^  CC(?: \[M\])?\s+(\S+)$", log, re.M)
    for name in VARIANTS[1:]:
        objects = compiled[name]
        assert len(objects) < 50, (name, len(objects))
        assert "kernel/configs.o" in objects  # the embedded config changed
    # a mode change recompiles the scheduler files that read CONFIG_JC_SCHED_<MODE>: mllb.c
    # reads every mode, fair.c only some of them, so whether a build recompiles fair.o depends
    # on the variant the tree held before (cached builds may have been made in another order);
    # entering REPLACE always does
    for name in ("replace-fixed", "toggle-fixed"):
        assert "kernel/sched/mllb.o" in compiled[name], (name, compiled[name])
    assert "kernel/sched/fair.o" in compiled["replace-fixed"], compiled["replace-fixed"]


MODULE_C = r"""
#include <linux/module.h>
#include <linux/mllb_sched.h>
static int probe_decide(const struct mllb_lb_in *in) { return in->src_len > 2; }
static struct mllb_sched_model probe = {
    .name = "probe", .owner = THIS_MODULE, .decide = probe_decide,
};
static int __init probe_init(void) { return mllb_sched_register(&probe); }
static void __exit probe_exit(void) { mllb_sched_unregister(&probe); }
module_init(probe_init);
module_exit(probe_exit);
MODULE_LICENSE("GPL");
"""


def test_external_module_builds_against_the_cached_tree(
    kernel_build: Callable[[str], dict], tmp_path: Path
) -> None:
    record = kernel_build("test-fixed")
    (tmp_path / "probe.c").write_text(MODULE_C)
    (tmp_path / "Makefile").write_text("obj-m := probe.o\n")
    tree = Path(record["dir"]) / "build"
    proc = subprocess.run(
        ["make", "-C", str(tree), f"M={tmp_path}", "modules"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    ko = tmp_path / "probe.ko"
    info = subprocess.run(["modinfo", "-F", "vermagic", ko], capture_output=True, text=True)
    assert info.stdout.startswith(record["release"] + " ")
    sections = subprocess.run(["readelf", "-S", ko], capture_output=True, text=True).stdout
    assert ".BTF" in sections  # CONFIG_DEBUG_INFO_BTF_MODULES: BPF sees the module too


def test_config_in_the_image_matches(kernel_build: Callable[[str], dict]) -> None:
    """IKCONFIG: the config the guest will show in /proc/config.gz is the recorded one."""
    record = kernel_build("test-fixed")
    assert "CONFIG_IKCONFIG_PROC=y" in (Path(record["dir"]) / "config").read_text()
    # the bzImage embeds it gzip-compressed between the IKCFG_ST/IKCFG_ED markers of vmlinux
    vmlinux = (Path(record["dir"]) / "vmlinux").read_bytes()
    start = vmlinux.index(b"IKCFG_ST") + len(b"IKCFG_ST")
    end = vmlinux.index(b"IKCFG_ED", start)
    embedded = gzip.decompress(vmlinux[start:end]).decode()
    assert "CONFIG_JC_SCHED_TEST=y" in embedded
