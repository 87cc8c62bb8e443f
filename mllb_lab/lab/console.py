"""Reading a kernel's serial console log: why a boot failed, in one line."""

from __future__ import annotations

import re
from pathlib import Path

# The first line that says why a boot ended, most telling first.
FAILURE_PATTERNS = (
    re.compile(r"Kernel panic - not syncing:.*"),
    re.compile(r"BUG: .*"),
    re.compile(r"Oops: .*"),
)
# Escape sequences and carriage returns that consoles write between the words.
NOISE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


def read(path: Path) -> str:
    try:
        return NOISE.sub("", path.read_text(errors="replace"))
    except OSError:
        return ""


def failure_line(text: str) -> str | None:
    """The panic (or BUG/Oops) line of a console log, without its timestamp; None if none."""
    for pattern in FAILURE_PATTERNS:
        found = pattern.search(text)
        if found:
            return found.group(0).strip()
    return None


def tail(text: str, lines: int = 5) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
