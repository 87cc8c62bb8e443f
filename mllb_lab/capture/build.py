"""Build the tracer (bpf/) on the controller, cached by the content of its inputs.

The cache key is the sha256 of the bpf/ sources and the versions of clang, gcc, bpftool and
libbpf, so any change rebuilds and an unchanged tree reuses the binary. A build runs in a
hidden temporary folder renamed into place when complete, under a lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from mllb_lab.errors import LabError, UserError
from mllb_lab.paths import cache_home, repo_root

SOURCES = ("Makefile", "mllb_decisions.bpf.c", "mllb_kernel.h", "mllb_record.h", "mllb_tracer.c")
TOOLS = {
    "clang": ["clang", "--version"],
    "gcc": ["gcc", "--version"],
    "bpftool": ["bpftool", "--version"],
}
BINARY = "mllb-tracer"
APT_HINT = "install clang bpftool libbpf-dev libelf-dev zlib1g-dev libzstd-dev (scripts/setup)"


def bpf_dir() -> Path:
    return repo_root() / "bpf"


def tool_versions() -> dict[str, str]:
    versions = {}
    for name, cmd in TOOLS.items():
        if shutil.which(cmd[0]) is None:
            raise UserError("tracer build", f"{cmd[0]} is not installed", APT_HINT)
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        versions[name] = (out.stdout or out.stderr).splitlines()[0] if out.returncode == 0 else ""
    libbpf = Path("/usr/include/bpf/libbpf_version.h")
    if not libbpf.exists():
        raise UserError("tracer build", "libbpf headers are missing", APT_HINT)
    versions["libbpf"] = hashlib.sha256(libbpf.read_bytes()).hexdigest()[:16]
    return versions


def build_key(source_dir: Path | None = None) -> str:
    src = source_dir or bpf_dir()
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update(name.encode() + b"\0" + (src / name).read_bytes() + b"\0")
    for name, version in sorted(tool_versions().items()):
        digest.update(f"{name}={version}\0".encode())
    return digest.hexdigest()[:16]


def build_tracer(force: bool = False) -> Path:
    """Path of the statically linked mllb-tracer for the current sources (built if needed)."""
    key = build_key()
    root = cache_home() / "tracer"
    final = root / key
    binary = final / BINARY
    if binary.exists() and not force:
        return binary
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.exists() and not force:
            return binary
        work = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
        log = root / f"build-{key}.log"
        with open(log, "w") as fh:
            proc = subprocess.run(
                ["make", "-C", str(bpf_dir()), f"OUT={work}"],
                stdout=fh,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if proc.returncode != 0:
            shutil.rmtree(work, ignore_errors=True)
            raise LabError(f"tracer build failed (make rc {proc.returncode})", log=log)
        shutil.copy(log, work / "build.log")
        if final.exists():
            shutil.rmtree(final)
        work.rename(final)
    return binary
