"""The guest image recipe (qemu/image-recipe.yml): what goes into an image, and its cache key."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mllb_lab.errors import UserError
from mllb_lab.paths import repo_root

# Bump when the build procedure in image.py changes what an image contains.
BUILD_FORMAT = 1
RELEASE_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}$")


def default_recipe_path() -> Path:
    return repo_root() / "qemu" / "image-recipe.yml"


@dataclass(frozen=True)
class GuestFile:
    src: Path
    dest: str
    mode: int


@dataclass(frozen=True)
class Recipe:
    path: Path
    release: str
    variant: str
    packages: tuple[str, ...]
    initramfs_modules: tuple[str, ...]
    masked_units: tuple[str, ...]
    enabled_units: tuple[str, ...]
    files: tuple[GuestFile, ...]
    root_label: str
    disk_size_mib: int
    kernel_cmdline: str

    def key(self, release: str) -> str:
        """Content hash of the recipe, its guest files and the release: the image cache key."""
        digest = hashlib.sha256(f"format {BUILD_FORMAT}\nrelease {release}\n".encode())
        digest.update(self.path.read_bytes())
        for guest_file in sorted(self.files, key=lambda f: f.dest):
            digest.update(guest_file.dest.encode() + b"\0" + guest_file.src.read_bytes())
        return f"{release}-{digest.hexdigest()[:16]}"


def check_release(release: str, field: str = "--release") -> str:
    if not RELEASE_RE.match(release):
        raise UserError(field, f"'{release}' is not a Debian release name", "e.g. bookworm")
    return release


def _field(data: dict[str, Any], name: str, kind: type, where: str) -> Any:
    value = data.get(name)
    if not isinstance(value, kind):
        raise UserError(f"{where}: {name}", f"missing or not a {kind.__name__}", "see the example")
    return value


def _names(data: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    items = _field(data, name, list, where)
    for i, item in enumerate(items):
        if not isinstance(item, str) or not re.match(r"^[A-Za-z0-9@._+-]+$", item):
            raise UserError(f"{where}: {name}[{i}]", f"'{item}' is not a valid name")
    return tuple(items)


def load_recipe(path: Path | None = None) -> Recipe:
    path = path or default_recipe_path()
    where = str(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(where, f"cannot read the image recipe: {exc}") from exc
    if not isinstance(data, dict):
        raise UserError(where, "the recipe must be a mapping")
    files = []
    for i, entry in enumerate(_field(data, "files", list, where)):
        if not isinstance(entry, dict) or not {"src", "dest", "mode"} <= entry.keys():
            raise UserError(f"{where}: files[{i}]", "needs src, dest and mode")
        src = path.parent / str(entry["src"])
        if not src.is_file():
            raise UserError(f"{where}: files[{i}].src", f"{src} does not exist")
        if not str(entry["dest"]).startswith("/"):
            raise UserError(f"{where}: files[{i}].dest", "must be an absolute path in the guest")
        files.append(GuestFile(src, str(entry["dest"]), int(str(entry["mode"]), 8)))
    return Recipe(
        path=path,
        release=check_release(_field(data, "release", str, where), f"{where}: release"),
        variant=_field(data, "variant", str, where),
        packages=_names(data, "packages", where),
        initramfs_modules=_names(data, "initramfs_modules", where),
        masked_units=_names(data, "masked_units", where),
        enabled_units=_names(data, "enabled_units", where),
        files=tuple(files),
        root_label=_field(data, "root_label", str, where),
        disk_size_mib=_field(data, "disk_size_mib", int, where),
        kernel_cmdline=_field(data, "kernel_cmdline", str, where),
    )
