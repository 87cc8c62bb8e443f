"""sha256 manifests (`sha256sum` format) and their verification on the controller."""

from __future__ import annotations

import hashlib
from pathlib import Path

from mllb_lab.errors import LabError

MANIFEST = "MANIFEST.sha256"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read(path: Path) -> dict[str, str]:
    """'<hex>  ./name' lines -> {name: hex}."""
    entries = {}
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        entries[name.strip().removeprefix("./").lstrip("*")] = digest.strip()
    return entries


def write(folder: Path) -> Path:
    lines = [f"{sha256_file(p)}  ./{p.relative_to(folder)}" for p in files_of(folder)]
    out = folder / MANIFEST
    out.write_text("\n".join(lines) + "\n")
    return out


def files_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def verify(folder: Path) -> dict[str, str]:
    """Every file listed, present and matching; no unlisted file. Raises LabError otherwise."""
    path = folder / MANIFEST
    if not path.is_file():
        raise LabError(f"no {MANIFEST} in {folder}", log=folder)
    listed = read(path)
    present = {str(p.relative_to(folder)) for p in files_of(folder)}
    missing = sorted(set(listed) - present)
    extra = sorted(present - set(listed))
    if missing or extra:
        what = f"missing {missing[0]}" if missing else f"unlisted {extra[0]}"
        raise LabError(f"manifest mismatch in {folder.name}: {what}", log=path)
    for name, digest in listed.items():
        if sha256_file(folder / name) != digest:
            raise LabError(f"manifest mismatch in {folder.name}: {name} checksum differs", log=path)
    return listed
