"""Config fragments (kernel/config/*.config): which ones make a variant, what they request,
and whether every request survived `make olddefconfig`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mllb_lab.errors import UserError
from mllb_lab.kernel.variant import Variant
from mllb_lab.paths import repo_root

BASE = "tinyconfig"  # the make target the fragments are merged onto (see docs/kernel.md)
SET = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")
EXTRA_STEM = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
UNSET = re.compile(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$")


@dataclass(frozen=True)
class Request:
    symbol: str
    value: str  # "y", "m", "128", '"text"', or "n" for "is not set"
    fragment: Path


def config_dir(root: Path | None = None) -> Path:
    return (root or repo_root()) / "kernel" / "config"


def fragments_for(variant: Variant, folder: Path | None = None) -> list[Path]:
    """base, the mode, the arithmetic, perf, debug: later fragments win on a shared symbol."""
    folder = folder or config_dir()
    names = ["base", f"mode-{variant.mode}", variant.arith]
    if variant.perf:
        names.append("perf")
    if variant.debug:
        names.append("debug")
    paths = [folder / f"{n}.config" for n in names]
    for path in paths:
        if not path.is_file():
            raise UserError(str(path), "is missing", "check out kernel/config/")
    return paths


def extra_fragments(paths: Sequence[Path]) -> list[Path]:
    """`kernel build --extra-config FILE` fragments: they must exist and have a name that can
    be part of a kernel release (their stem ends up in the variant's name)."""
    for path in paths:
        if not path.is_file():
            raise UserError("--extra-config", f"{path} does not exist", "give a config fragment")
        if not EXTRA_STEM.match(path.stem):
            raise UserError(
                "--extra-config",
                f"'{path.stem}' cannot be part of a variant name",
                "name the fragment with lowercase letters, digits and '-', e.g. broken-init.config",
            )
    return [path.resolve() for path in paths]


def localversion_fragment(variant: Variant) -> str:
    return f'CONFIG_LOCALVERSION="{variant.localversion}"\n'


def parse_fragment(text: str, path: Path) -> list[Request]:
    requests = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if m := SET.match(line):
            requests.append(Request(m.group(1), m.group(2), path))
        elif m := UNSET.match(line):
            requests.append(Request(m.group(1), "n", path))
        elif not line.startswith("#"):
            raise UserError(
                f"{path}:{number}", f"not a config line: {line!r}", "use CONFIG_X=y or a comment"
            )
    return requests


def requested(fragments: list[tuple[Path, str]]) -> dict[str, Request]:
    """Symbol -> the last fragment's request for it."""
    out: dict[str, Request] = {}
    for path, text in fragments:
        for req in parse_fragment(text, path):
            out[req.symbol] = req
    return out


def final_values(config_text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in config_text.splitlines():
        if m := SET.match(line):
            values[m.group(1)] = m.group(2)
        elif m := UNSET.match(line):
            values[m.group(1)] = "n"
    return values


def lost_requests(requests: dict[str, Request], config_text: str) -> list[str]:
    """One line per request the final .config does not honour (a missing dependency)."""
    final = final_values(config_text)
    lost = []
    for sym, req in sorted(requests.items()):
        got = final.get(sym, "n")
        if got != req.value:
            lost.append(f"{req.fragment.name}: {sym}={req.value} became {sym}={got}")
    return lost


def check_survived(requests: dict[str, Request], config_text: str) -> None:
    lost = lost_requests(requests, config_text)
    if lost:
        more = f" and {len(lost) - 1} more" if len(lost) > 1 else ""
        raise UserError(
            "kernel/config",
            f"olddefconfig dropped a requested option: {lost[0]}{more}",
            "add the missing dependency to the fragment, or drop the line",
        )
