"""`kernel build --deb`: the packages of a real build are listed, named for the release, and
hold that build (its .config byte for byte, a bzImage).

The kernel tier packages the build it already has for test-fixed (its debug flavour): the
cached build is brought back into the tree and `make bindeb-pkg` runs (~2-4 min on 2 cores;
figures in docs/kernel.md, "`--deb`"). A rerun with the packages cached is a cache hit.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mllb_lab.kernel import cache

DEB_NAME = re.compile(r"^(?P<package>[a-z0-9.+-]+)_(?P<version>[^_]+)_(?P<arch>amd64)\.deb$")


def field(deb: Path, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "--field", str(deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def member(deb: Path, path: str) -> bytes:
    """One file of a package's data, without unpacking the rest to disk."""
    tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    data = subprocess.run(["tar", "-xOf", "-", path], stdin=tar.stdout, capture_output=True)
    tar.wait()
    assert data.returncode == 0, f"{deb.name} has no {path}: {data.stderr.decode()}"
    return data.stdout


@pytest.fixture(scope="module")
def records(kernel_build: Callable[..., dict]) -> list[cache.BuildRecord]:
    """The packaged build, as the cache lists it (the record `kernel build --deb` saved)."""
    built = kernel_build("test-fixed", deb=True)
    found = [r for r in cache.list_builds() if r.key == built["key"]]
    assert len(found) == 1 and found[0].debs, built
    return found


def test_listed_packages_exist_and_are_named_for_the_release(
    records: list[cache.BuildRecord],
) -> None:
    for record in records:
        folder = Path(record.dir) / "debs"
        assert sorted(p.name for p in folder.glob("*.deb")) == sorted(record.debs)
        packages = {}
        for name in record.debs:
            m = DEB_NAME.match(name)
            assert m, f"{name} is not <package>_<version>_amd64.deb"
            assert m["version"].startswith(record.release + "-")
            deb = folder / name
            assert field(deb, "Package") == m["package"]
            assert field(deb, "Version") == m["version"]
            assert field(deb, "Architecture") == "amd64"
            packages[m["package"]] = deb
        assert f"linux-image-{record.release}" in packages
        assert f"linux-headers-{record.release}" in packages
        assert record.seconds.get("debs", 0) > 0  # packaging time is recorded


def test_image_package_holds_the_cached_builds_config(records: list[cache.BuildRecord]) -> None:
    """The packaged kernel must be the cached variant: same .config (JC_SCHED mode included)."""
    for record in records:
        image = (
            Path(record.dir)
            / "debs"
            / next(n for n in record.debs if n.startswith(f"linux-image-{record.release}_"))
        )
        packaged = member(image, f"./boot/config-{record.release}")
        assert packaged == (Path(record.dir) / "config").read_bytes()
        mode = record.variant.split("-")[0].upper()
        assert f"CONFIG_JC_SCHED_{mode}=y".encode() in packaged
        kernel = member(image, f"./boot/vmlinuz-{record.release}")
        assert kernel[0x202:0x206] == b"HdrS"  # the x86 boot protocol header of a bzImage
