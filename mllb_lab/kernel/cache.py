"""Content-keyed kernel builds under cache_home():

  kernel-trees/<series key>/   one patched source (src/) and ONE persistent build tree (obj/)
                               per source + patch series, so switching variant is incremental
  kernels/<build key>/         one finished build: bzImage, System.map, config, vmlinux,
                               modules/, build/ (for external modules), build.json
  ccache/                      the compiler cache shared by every build

The build key hashes the source tarball, the patch contents, the config fragments (with the
variant's release suffix) and the toolchain versions: everything the merged .config and the
objects follow from. Change any of them and the variant builds again.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mllb_lab.paths import cache_home

KEY_LEN = 16
RECORD = "build.json"
RECORD_VERSION = 1


def _digest(parts: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, data in parts:
        h.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()[:KEY_LEN]


def series_key(source_digest: str, patches: list[tuple[str, bytes]]) -> str:
    """Identity of a patched source tree: the tarball and the patch contents."""
    return _digest([("source", source_digest.encode()), *patches])


def build_key(
    series: str, fragments: list[tuple[str, bytes]], variant_name: str, toolchain: str
) -> str:
    """Identity of one build: its tree, its config inputs, its variant, its toolchain."""
    return _digest(
        [
            ("tree", series.encode()),
            *fragments,
            ("variant", variant_name.encode()),
            ("toolchain", toolchain.encode()),
        ]
    )


def toolchain_id() -> str:
    """gcc and pahole versions: both change the objects or the BTF of a build."""
    lines = []
    for argv in (["gcc", "--version"], ["pahole", "--version"]):
        try:
            out = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
        except FileNotFoundError:
            out = ""
        lines.append(f"{argv[0]}: {(out.splitlines() or ['missing'])[0].strip()}")
    return "; ".join(lines)


def kernels_root() -> Path:
    return cache_home() / "kernels"


def trees_root() -> Path:
    return cache_home() / "kernel-trees"


def ccache_dir() -> Path:
    return cache_home() / "ccache"


def memo_path(tarball: Path) -> Path:
    """Where the sha256 of a source tarball is remembered (one small file per tarball)."""
    return trees_root() / f"{tarball.name}.sha256.json"


@dataclass
class BuildRecord:
    key: str
    variant: str
    series: str
    source_version: str
    release: str  # `uname -r` of the built kernel
    dir: str
    patches: list[str]
    fragments: list[str]
    seconds: dict[str, float] = field(default_factory=dict)
    debs: list[str] = field(default_factory=list)  # in debs/, with --deb
    created: str = ""
    version: int = RECORD_VERSION

    def save(self, folder: Path) -> None:
        (folder / RECORD).write_text(json.dumps(asdict(self), indent=2) + "\n")


def read_record(folder: Path) -> BuildRecord | None:
    """The finished build in a folder, or None (unfinished, foreign or older format)."""
    try:
        data = json.loads((folder / RECORD).read_text())
        if data.get("version") != RECORD_VERSION:
            return None
        return BuildRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def list_builds(root: Path | None = None) -> list[BuildRecord]:
    root = root or kernels_root()
    if not root.is_dir():
        return []
    records = (read_record(d) for d in sorted(root.iterdir()) if d.is_dir())
    return sorted((r for r in records if r), key=lambda r: (r.created, r.variant))
