"""`mllb-lab kernel build`: plan (no side effects), then source -> patches -> config ->
compile (ccache, one persistent tree per source + patches) -> the cached build folder."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from mllb_lab.errors import LabError
from mllb_lab.kernel import cache, config, patches, source
from mllb_lab.kernel.variant import Variant
from mllb_lab.progress import Progress

ARCH = "x86_64"
PATCHED_MARK = ".mllb-patched"
# what external modules need from the build tree; objects and their command files are not
TREE_EXCLUDES = ("*.o", "*.a", ".*.cmd", "*.ko", "*.mod", "*.mod.c", ".tmp_*", "*.tmp")


@dataclass(frozen=True)
class BuildPlan:
    source: source.Source
    source_digest: str
    patches: list[Path]
    fragments: list[Path]
    variant: Variant
    series_key: str
    key: str
    # the fragment texts the key was computed from: configure() merges these, not the files as
    # they are by then, so a fragment edited during a build cannot slip in under the old key
    fragment_texts: tuple[str, ...]

    @property
    def tree_dir(self) -> Path:
        return cache.trees_root() / self.series_key

    @property
    def src(self) -> Path:
        return self.tree_dir / "src"

    @property
    def obj(self) -> Path:
        """One persistent object tree per config family (the patched src/ is shared)."""
        family = self.variant.family
        return self.tree_dir / ("obj" if family == "default" else f"obj-{family}")

    @property
    def out_dir(self) -> Path:
        return cache.kernels_root() / self.key

    @property
    def log(self) -> Path:
        return self.tree_dir / f"build-{self.variant.name}.log"

    @property
    def build_command(self) -> str:
        return build_command(self.source.series, self.variant)


def build_command(series: str, variant: Variant) -> str:
    arith = "--fixed-point" if variant.arith == "fixed" else "--float"
    perf = " --perf" if variant.perf else ""
    debug = " --debug" if variant.debug else ""
    return f"mllb-lab kernel build --source {series} --mode {variant.mode} {arith}{perf}{debug}"


def plan_build(series: str, variant: Variant, extra_configs: Sequence[Path] = ()) -> BuildPlan:
    """Every check and the cache key, without touching the cache. `extra_configs` are merged
    last and named in the variant (`test-fixed+broken-init`), so they are part of the key."""
    src = source.find_source(series)
    digest = source.tarball_digest(src.tarball, cache.memo_path(src.tarball))
    patch_files = patches.list_patches(patches.series_dir(series))
    fragments = config.fragments_for(variant) + config.extra_fragments(extra_configs)
    variant = replace(variant, extra=tuple(p.stem for p in extra_configs))
    texts = [(p, p.read_text()) for p in fragments]
    config.requested(texts)  # a malformed fragment is refused before any build
    skey = cache.series_key(digest, [(p.name, p.read_bytes()) for p in patch_files])
    key = cache.build_key(
        skey, [(p.name, t.encode()) for p, t in texts], variant.name, cache.toolchain_id()
    )
    return BuildPlan(
        src, digest, patch_files, fragments, variant, skey, key, tuple(t for _, t in texts)
    )


def cached(plan: BuildPlan) -> cache.BuildRecord | None:
    return cache.read_record(plan.out_dir)


@contextmanager
def _tree_lock(plan: BuildPlan) -> Iterator[None]:
    """One build at a time per persistent tree (a second one waits)."""
    plan.tree_dir.mkdir(parents=True, exist_ok=True)
    with (plan.tree_dir / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _env() -> dict[str, str]:
    env = dict(os.environ)
    cache.ccache_dir().mkdir(parents=True, exist_ok=True)
    env.update(
        CCACHE_DIR=str(cache.ccache_dir()),
        # every tree has the same src/ + obj/ layout: relative paths let a new patch series
        # reuse the objects its patches do not touch
        CCACHE_BASEDIR=str(cache.trees_root()),
        CCACHE_NOHASHDIR="1",
        KBUILD_BUILD_USER="mllb-lab",
        KBUILD_BUILD_HOST="mllb-lab",
        LC_ALL="C",
    )
    return env


def _run(argv: list[str], log: Path, what: str, cwd: Path | None = None) -> None:
    with log.open("a") as fh:
        fh.write(f"$ {' '.join(argv)}\n")
        fh.flush()
        try:
            proc = subprocess.run(
                argv, cwd=cwd, env=_env(), stdout=fh, stderr=subprocess.STDOUT, check=False
            )
        except FileNotFoundError as exc:
            raise LabError(f"{what}: {exc.filename} is missing", log=log) from None
    if proc.returncode != 0:
        raise LabError(f"{what} failed (exit {proc.returncode})", log=log)


def _make(plan: BuildPlan, *targets: str, jobs: int = 1) -> list[str]:
    compiler = "ccache gcc" if shutil.which("ccache") else "gcc"
    return [
        "make",
        "-C",
        str(plan.src),
        f"O={plan.obj}",
        f"ARCH={ARCH}",
        f"CC={compiler}",
        f"-j{jobs}",
        *targets,
    ]


def ensure_source(plan: BuildPlan, progress: Progress) -> None:
    """The patched source of this series key, unpacked and patched once."""
    if (plan.src / PATCHED_MARK).is_file():
        return
    staging = plan.tree_dir / "src.new"
    with progress.step(f"unpacking {plan.source.package}"):
        source.unpack(plan.source, staging, plan.log)
    with progress.step(f"applying {len(plan.patches)} patches"):
        patches.apply_series(staging, plan.patches, plan.log)
    (staging / PATCHED_MARK).write_text("\n".join(p.name for p in plan.patches) + "\n")
    if plan.src.exists():
        shutil.rmtree(plan.src)
    staging.rename(plan.src)


def _frozen_fragments(plan: BuildPlan) -> list[Path]:
    """The fragments as hashed into the key, written into the object tree (NN/ keeps two
    fragments of the same name apart)."""
    folder = plan.obj / "mllb-fragments"
    if folder.exists():
        shutil.rmtree(folder)
    written = []
    for i, (path, text) in enumerate(zip(plan.fragments, plan.fragment_texts, strict=True)):
        (folder / f"{i:02d}").mkdir(parents=True)
        copy = folder / f"{i:02d}" / path.name
        copy.write_text(text)
        written.append(copy)
    return written


def configure(plan: BuildPlan) -> None:
    """tinyconfig + the variant's fragments, and every request must survive olddefconfig."""
    plan.obj.mkdir(parents=True, exist_ok=True)
    release = plan.obj / "mllb-localversion.config"
    release_text = config.localversion_fragment(plan.variant)
    release.write_text(release_text)
    fragments = _frozen_fragments(plan)
    _run(_make(plan, config.BASE), plan.log, f"make {config.BASE}")
    merge = plan.src / "scripts" / "kconfig" / "merge_config.sh"
    frags = [str(p) for p in fragments] + [str(release)]
    _run(
        ["sh", str(merge), "-m", "-O", str(plan.obj), str(plan.obj / ".config"), *frags],
        plan.log,
        "merging the config fragments",
        cwd=plan.src,
    )
    _run(_make(plan, "olddefconfig"), plan.log, "make olddefconfig")
    texts = [*zip(fragments, plan.fragment_texts, strict=True), (release, release_text)]
    config.check_survived(config.requested(texts), (plan.obj / ".config").read_text())


def _release(plan: BuildPlan) -> str:
    return (plan.obj / "include" / "config" / "kernel.release").read_text().strip()


def collect(plan: BuildPlan) -> Path:
    """Copy the build's products into a fresh folder and swap it in as the cached build."""
    staging = plan.out_dir.with_name(plan.out_dir.name + ".new")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    for name, src in (
        ("bzImage", plan.obj / "arch" / "x86" / "boot" / "bzImage"),
        ("System.map", plan.obj / "System.map"),
        ("config", plan.obj / ".config"),
        ("vmlinux", plan.obj / "vmlinux"),
    ):
        shutil.copy2(src, staging / name)
    _run(
        _make(plan, f"INSTALL_MOD_PATH={staging / 'modules'}", "modules_install"),
        plan.log,
        "make modules_install",
    )
    excludes = [f"--exclude={pattern}" for pattern in TREE_EXCLUDES]
    _run(
        ["rsync", "-a", *excludes, f"{plan.obj}/", f"{staging / 'build'}/"],
        plan.log,
        "copying the build tree for external modules",
    )
    if plan.out_dir.exists():
        shutil.rmtree(plan.out_dir)
    staging.rename(plan.out_dir)
    return plan.out_dir


@contextmanager
def _timed(seconds: dict[str, float], step: str) -> Iterator[None]:
    start = time.monotonic()
    yield
    seconds[step] = round(time.monotonic() - start, 1)


def package_debs(plan: BuildPlan, out: Path) -> list[str]:
    """`make bindeb-pkg` in the tree (which holds this variant): .debs for bare metal."""
    for old in plan.tree_dir.glob("*.deb"):
        old.unlink()
    _run(_make(plan, "bindeb-pkg", jobs=os.cpu_count() or 1), plan.log, "make bindeb-pkg")
    folder = out / "debs"
    folder.mkdir(exist_ok=True)
    names = []
    for deb in sorted(plan.tree_dir.glob("*.deb")):
        shutil.move(str(deb), folder / deb.name)
        names.append(deb.name)
    return names


def _same_config_as_cached(plan: BuildPlan) -> None:
    """Packages must hold the cached kernel: the reconfigured tree has to match its config
    (a changed compiler or Kconfig default would otherwise be packaged under the old key)."""
    if (plan.obj / ".config").read_bytes() != (plan.out_dir / "config").read_bytes():
        raise LabError(
            f"the tree's .config for {plan.variant.name} differs from the cached build's "
            f"{plan.out_dir / 'config'}: packaging it would not give that build; remove "
            f"{plan.out_dir} and build again",
            log=plan.log,
        )


def run_build(
    plan: BuildPlan, progress: Progress, jobs: int, deb: bool = False
) -> cache.BuildRecord:
    """Build the variant (incrementally in the series' tree) unless it is cached."""
    with _tree_lock(plan):
        record = cached(plan)
        if record and (record.debs or not deb):
            progress.say(f"{plan.variant.name}: cached in {plan.out_dir}")
            return record
        if record:  # cached without packages: bring the tree back to this variant, package
            with progress.step("configuring (tinyconfig + fragments)"):
                configure(plan)
            _same_config_as_cached(plan)
            with progress.step(f"compiling {plan.variant.name} (incremental)"):
                _run(_make(plan, "bzImage", "modules", jobs=jobs), plan.log, "the kernel build")
            with _timed(record.seconds, "debs"), progress.step("packaging .debs"):
                record.debs = package_debs(plan, plan.out_dir)
            record.save(plan.out_dir)
            return record
        seconds: dict[str, float] = {}
        t0 = time.monotonic()
        plan.log.parent.mkdir(parents=True, exist_ok=True)
        plan.log.write_text("")
        with _timed(seconds, "source"):
            ensure_source(plan, progress)
        with _timed(seconds, "configure"), progress.step("configuring (tinyconfig + fragments)"):
            configure(plan)
        compile_text = f"compiling {plan.variant.name} with {jobs} jobs (log: {plan.log})"
        with _timed(seconds, "compile"), progress.step(compile_text):
            _run(_make(plan, "bzImage", "modules", jobs=jobs), plan.log, "the kernel build")
        with _timed(seconds, "collect"), progress.step("collecting bzImage, modules, tree"):
            out = collect(plan)
        debs = []
        if deb:
            with _timed(seconds, "debs"), progress.step("packaging .debs (bindeb-pkg)"):
                debs = package_debs(plan, out)
        seconds["total"] = round(time.monotonic() - t0, 1)
        record = cache.BuildRecord(
            key=plan.key,
            variant=plan.variant.name,
            series=plan.source.series,
            source_version=source.makefile_version(plan.src),
            release=_release(plan),
            dir=str(out),
            patches=[p.name for p in plan.patches],
            fragments=[p.name for p in plan.fragments],
            seconds=seconds,
            debs=debs,
            created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )
        record.save(out)
        return record
