"""Debian's kernel source packages (linux-source-X.Y): where the tarball is, its identity,
and unpacking it (into a cache folder, never into the repository)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mllb_lab.errors import LabError, UserError

SERIES = ("6.1", "4.15")  # source series with a patch series in kernel/patches/
# written but never built or booted here: no 4.15 source can be installed on this machine
UNTESTED = {"4.15": "vanilla Linux 4.15 (the paper's kernel)"}
USR_SRC = Path("/usr/src")


@dataclass(frozen=True)
class Source:
    series: str  # "6.1"
    package: str  # "linux-source-6.1"
    tarball: Path


def find_source(series: str, usr_src: Path = USR_SRC) -> Source:
    """The installed source tarball of a series; bad or missing input is the user's to fix."""
    if series not in SERIES:
        raise UserError(
            "--source", f"no patch series for '{series}'", f"choose one of {', '.join(SERIES)}"
        )
    if series in UNTESTED:
        raise UserError(
            "--source",
            f"the {series} series (kernel/patches/{series}/) is untested and no source of"
            f" {UNTESTED[series]} is available here (apt has none)",
            f"build with --source {SERIES[0]}, or apply kernel/patches/{series}/ to your own"
            f" {series} tree by hand (docs/kernel.md)",
        )
    package = f"linux-source-{series}"
    tarball = usr_src / f"{package}.tar.xz"
    if not tarball.is_file():
        raise UserError("--source", f"{tarball} is missing", f"apt-get install {package}")
    return Source(series, package, tarball)


def tarball_digest(tarball: Path, memo: Path) -> str:
    """sha256 of the tarball, remembered by (size, mtime) so that lookups stay cheap."""
    st = tarball.stat()
    stamp = f"{st.st_size}:{st.st_mtime_ns}"
    try:
        saved = json.loads(memo.read_text())
        if saved.get("stamp") == stamp and saved.get("path") == str(tarball):
            return str(saved["sha256"])
    except (OSError, ValueError, KeyError):
        pass
    h = hashlib.sha256()
    with tarball.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    memo.parent.mkdir(parents=True, exist_ok=True)
    memo.write_text(json.dumps({"path": str(tarball), "stamp": stamp, "sha256": h.hexdigest()}))
    return h.hexdigest()


def makefile_version(tree: Path) -> str:
    """'6.1.192' from the top-level Makefile of a source tree."""
    text = (tree / "Makefile").read_text(errors="replace")
    fields = {}
    for key in ("VERSION", "PATCHLEVEL", "SUBLEVEL", "EXTRAVERSION"):
        m = re.search(rf"^{key}\s*=\s*(\S*)\s*$", text, re.M)
        fields[key] = m.group(1) if m else ""
    version = f"{fields['VERSION']}.{fields['PATCHLEVEL']}"
    if fields["SUBLEVEL"]:
        version += f".{fields['SUBLEVEL']}"
    return version + fields["EXTRAVERSION"]


def unpack(source: Source, dest: Path, log: Path) -> Path:
    """Unpack the tarball so that its single top folder becomes `dest`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".unpack-") as tmp:
        with log.open("a") as fh:
            proc = subprocess.run(
                ["tar", "-xJf", str(source.tarball), "-C", tmp],
                stdout=fh,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if proc.returncode != 0:
            raise LabError(f"unpacking {source.tarball} failed", log=log)
        tops = list(Path(tmp).iterdir())
        if len(tops) != 1 or not (tops[0] / "Makefile").is_file():
            raise LabError(f"{source.tarball} does not hold one kernel source folder", log=log)
        if dest.exists():
            shutil.rmtree(dest)
        tops[0].rename(dest)
    return dest
