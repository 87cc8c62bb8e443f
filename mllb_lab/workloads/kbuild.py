"""kbuild: a bounded kernel compile on the target (the `kbuild` regime).

A full kernel build in a TCG guest takes hours, and a guest image with an unpacked tree costs
more than a gigabyte. So the controller builds Linux 6.1's `kernel/` directory once with
tinyconfig (from apt's linux-source-6.1, cached by the tarball's hash) and packs what those
compiles read: every source and header named in Kbuild's dependency files, and the exact gcc
command of every object (objtool and make left out). The target unpacks that bundle once and
compiles its objects, one job per CPU, round after round, until the duration is used up; the
compiles still running then are stopped. The target needs only gcc (and bash, timeout).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

from pydantic import Field

from mllb_lab.errors import LabError
from mllb_lab.paths import cache_home, repo_root
from mllb_lab.workloads.base import Params, Target, Workload, scaled
from mllb_lab.workloads.loops import NUMBER, all_numbers

TARBALL = Path("/usr/src/linux-source-6.1.tar.xz")  # apt-get install linux-source-6.1
DIRS = ("kernel/",)  # what the bundle compiles
RUNNER = Path("workloads/kbuild/run.sh")
BUNDLE_FORMAT = 2  # bump when the bundle's layout or content rules change
REMOTE = "../kbuild"  # the bundle (a tar.gz), copied beside the run folders
# Sources kernel/ never compiles (their Kconfig and headers stay: Kconfig reads the whole tree).
EXCLUDES = ("Documentation/*.rst", "drivers/*.c", "sound/*.c", "net/*.c", "fs/*.c", "LICENSES")


class KbuildParams(Params):
    jobs: int | None = Field(default=None, ge=1, le=4096, description="default: one per CPU")


def command(p: KbuildParams, t: Target, duration: int) -> str:
    jobs = scaled(p.jobs, 1.0, t)
    # The tree lives outside the run folder (not archived with every run), keyed by the bundle.
    return (
        f"k=$(sha256sum {REMOTE} | cut -c1-16) && tree=/var/tmp/mllb-kbuild-$k && "
        f'{{ [ -e "$tree/.ready" ] || {{ rm -rf "$tree" && mkdir -p "$tree" && '
        f'tar -xzf {REMOTE} -C "$tree" && touch "$tree/.ready"; }}; }} && '
        f'bash "$tree/run.sh" "$tree" {jobs} {duration}'
    )


def parse(text: str) -> dict[str, float]:
    seconds = all_numbers(rf"kbuild_obj rc=0 seconds={NUMBER}", text)
    metrics: dict[str, float] = {
        "kbuild_objects": float(len(seconds)),
        "kbuild_failed": float(len(re.findall(r"kbuild_obj rc=(?!0 |124 )\d+", text))),
        "kbuild_cut": float(len(re.findall(r"kbuild_obj rc=124 ", text))),
    }
    if seconds:
        metrics["kbuild_obj_mean_s"] = sum(seconds) / len(seconds)
    done = re.search(rf"kbuild_done rounds=(\d+) elapsed={NUMBER}", text)
    if done:
        metrics["kbuild_rounds"] = float(done[1])
        metrics["kbuild_objects_per_s"] = len(seconds) / max(float(done[2]), 1e-9)
    return metrics


def regime(p: KbuildParams, t: Target) -> str:
    return "kbuild"


def bundle_key(tarball: Path) -> str:
    digest = hashlib.sha256(f"format {BUNDLE_FORMAT}\ndirs {DIRS}\n".encode())
    digest.update((repo_root() / RUNNER).read_bytes())
    with tarball.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def build(cache: Path | None = None, tarball: Path = TARBALL) -> Path:
    """The bundle for the target (built once per tarball and format); returns its path."""
    if not tarball.is_file():
        raise LabError(f"kbuild needs {tarball} here (apt-get install linux-source-6.1)")
    out = (cache or cache_home()) / "workloads" / f"kbuild-{bundle_key(tarball)}.tar.gz"
    if out.exists():
        return out
    work = out.with_name(f".{out.name}.{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        tree = _compile_once(tarball, work)
        _pack(tree, _objects(tree), work / "bundle.tar.gz")
        os.replace(work / "bundle.tar.gz", out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def _compile_once(tarball: Path, work: Path) -> Path:
    """Unpack, tinyconfig, build DIRS: Kbuild then records each object's command and inputs."""
    log = work.with_suffix(".log")
    excludes = [f"--exclude=*/{e}" for e in EXCLUDES]
    steps = [
        ["tar", "-xJf", str(tarball), "-C", str(work), "--wildcards", *excludes],
        ["make", "-C", "{tree}", "tinyconfig"],
        ["make", "-C", "{tree}", f"-j{os.cpu_count() or 1}", *DIRS],
    ]
    tree = work
    with log.open("w") as f:
        for step in steps:
            argv = [a.replace("{tree}", str(tree)) for a in step]
            if subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT).returncode != 0:
                raise LabError(f"building the kbuild bundle: '{' '.join(argv)}' failed", log=log)
            if step[0] == "tar":
                tree = next(p for p in work.iterdir() if p.is_dir())
    log.unlink()
    return tree


# One object's record in its .<name>.o.cmd file (Linux 6.1 names them cmd_; later savedcmd_).
CMD_LINE = re.compile(r"^(?:saved)?cmd_(\S+\.o) := (gcc .*)$", re.M)
DEPS = re.compile(r"^deps_\S+ := \\\n((?:.*\\\n)*.*)$", re.M)
SOURCE = re.compile(r"^source_\S+ := (\S+)$", re.M)


def _objects(tree: Path) -> list[tuple[str, str, list[str]]]:
    """(object, gcc command without objtool, relative input files) for each compiled object."""
    found = []
    for d in DIRS:
        for cmd_file in sorted((tree / d).rglob(".*.o.cmd")):
            text = cmd_file.read_text()
            cmd, source, deps = CMD_LINE.search(text), SOURCE.search(text), DEPS.search(text)
            if not (cmd and source and deps):
                continue  # a linked or generated object, not a compile
            # Saved for make to read back: `$` doubled and `#` spelled $(pound) (make-cmd).
            gcc = cmd[2].split(" ; ")[0].strip().replace("$(pound)", "#").replace("$$", "$")
            # Normalised: headers named as kernel/sched/../foo.h would carry '..' into the
            # bundle, and tar refuses to extract such members.
            inputs = [os.path.normpath(source[1])] + [
                os.path.normpath(w)
                for w in deps[1].replace("\\\n", " ").split()
                if not w.startswith(("$(", "/")) and not w.endswith(")")
            ]
            found.append((cmd[1], gcc, inputs))
    if not found:
        raise LabError(f"building the kbuild bundle: no compiled objects under {tree}")
    return found


# Every compile force-includes it, but fixdep leaves it out of the dependency lists.
ALWAYS = ("include/generated/autoconf.h",)


def _pack(tree: Path, objects: list[tuple[str, str, list[str]]], dest: Path) -> None:
    named = {f for _, _, inputs in objects for f in inputs} | set(ALWAYS)
    files = sorted(f for f in named if (tree / f).is_file())
    commands = "".join(gcc + "\n" for _, gcc, _ in objects)
    (tree / "commands.txt").write_text(commands)
    shutil.copy(repo_root() / RUNNER, tree / "run.sh")
    with tarfile.open(dest, "w:gz", compresslevel=6) as tar:
        for name in [*files, "commands.txt", "run.sh"]:
            tar.add(tree / name, arcname=name)


WORKLOADS = (
    Workload("kbuild", "Linux 6.1 kernel/ (tinyconfig) objects compiled round after round",
             KbuildParams, command, parse, regime, ("gcc", "timeout", "sha256sum"), ("kbuild",)),
)  # fmt: skip
