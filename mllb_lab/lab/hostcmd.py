"""Run a host command for provisioning; a failure becomes a LabError that points at its log."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from mllb_lab.errors import LabError


def require(binary: str, package: str) -> str:
    """Absolute path of a host tool, or a LabError naming the Debian package that has it."""
    path = shutil.which(binary)
    if path is None:
        raise LabError(f"'{binary}' is not installed on this host (apt-get install {package})")
    return path


def run(
    argv: Sequence[str | Path],
    what: str,
    log: Path | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run argv; stdout+stderr are appended to `log` when given, else returned on success."""
    args = [str(a) for a in argv]
    if log is None:
        proc = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise LabError(f"{what} failed: {detail[-1] if detail else f'exit {proc.returncode}'}")
        return proc.stdout
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as fh:
        fh.write(f"$ {shlex.join(args)}\n")
        fh.flush()
        proc = subprocess.run(args, stdout=fh, stderr=subprocess.STDOUT, env=env, check=False)
    if proc.returncode != 0:
        raise LabError(f"{what} failed (exit {proc.returncode})", log=log)
    return ""
