"""Which Debian mirror debootstrap uses: the host's own apt configuration, never a constant.

$MLLB_DEBIAN_MIRROR overrides; otherwise the first deb822 `URIs:` (sources.list.d/*.sources) or
one-line `deb` entry (sources.list) that serves the release, or else any plain Debian suite.
"""

from __future__ import annotations

import os
from pathlib import Path

from mllb_lab.errors import UserError

APT_DIR = Path("/etc/apt")


def _deb822_entries(text: str) -> list[tuple[list[str], list[str]]]:
    """(uris, suites) of each deb822 stanza of type `deb`."""
    entries = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" in fields.get("types", "").split() and fields.get("enabled", "yes") != "no":
            entries.append((fields.get("uris", "").split(), fields.get("suites", "").split()))
    return entries


def _one_line_entries(text: str) -> list[tuple[list[str], list[str]]]:
    entries = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = [w for w in words[1:] if not w.startswith("[")]  # drop [arch=...] options
        if len(words) >= 2:
            entries.append(([words[0]], [words[1]]))
    return entries


def apt_entries(apt_dir: Path = APT_DIR) -> list[tuple[list[str], list[str]]]:
    entries = []
    for path in sorted((apt_dir / "sources.list.d").glob("*.sources")):
        entries += _deb822_entries(path.read_text())
    for path in [apt_dir / "sources.list", *sorted((apt_dir / "sources.list.d").glob("*.list"))]:
        if path.is_file():
            entries += _one_line_entries(path.read_text())
    return entries


def debian_mirror(release: str, apt_dir: Path = APT_DIR) -> str:
    override = os.environ.get("MLLB_DEBIAN_MIRROR")
    if override:
        return override
    entries = apt_entries(apt_dir)
    for uris, suites in entries:
        if uris and release in suites:
            return uris[0]
    # A release the host does not use (e.g. trixie on bookworm): same archive, other suite.
    for uris, suites in entries:
        if uris and any("-" not in s and "/" not in s for s in suites):
            return uris[0]
    raise UserError(
        "MLLB_DEBIAN_MIRROR",
        f"no Debian mirror for '{release}' found in {apt_dir}/sources.list(.d)",
        "set MLLB_DEBIAN_MIRROR to a Debian archive URL",
    )
