"""Build the BPF tools (bpf/) on the controller, cached by the content of their inputs.

One `make` builds every tool of bpf/ (the capture tracer `mllb-tracer` and the latency +
run-queue tool `mllb-schedlat`) into one folder. The cache key is the sha256 of the bpf/
sources and the versions of clang, gcc, bpftool and libbpf, so any change rebuilds and an
unchanged tree reuses the binaries. A build runs in a hidden temporary folder renamed into
place when complete, under a lock.
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

SOURCES = (
    "Makefile",
    "mllb_decisions.bpf.c",
    "mllb_kernel.h",
    "mllb_record.h",
    "mllb_json.h",
    "mllb_sysfs.h",
    "mllb_tracer.c",
    "mllb_schedlat.bpf.c",
    "mllb_runqlen.bpf.c",
    "mllb_schedlat.h",
    "mllb_schedlat.c",
)
TOOLS = {
    "clang": ["clang", "--version"],
    "gcc": ["gcc", "--version"],
    "bpftool": ["bpftool", "--version"],
}
BINARY = "mllb-tracer"
SCHEDLAT_BINARY = "mllb-schedlat"
BINARIES = (BINARY, SCHEDLAT_BINARY)  # all built by one make; a cache folder holds all
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
    return build_tools(force) / BINARY


def build_tools(force: bool = False) -> Path:
    """The cache folder holding every bpf/ tool (BINARIES) for the current sources."""
    key = build_key()
    root = cache_home() / "tracer"
    final = root / key

    def complete() -> bool:
        return not force and all((final / name).exists() for name in BINARIES)

    if complete():
        return final
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if complete():
            return final
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
            raise LabError(f"BPF tools build failed (make rc {proc.returncode})", log=log)
        shutil.copy(log, work / "build.log")
        if final.exists():
            shutil.rmtree(final)
        work.rename(final)
    return final
