"""The few QMP (QEMU Machine Protocol) commands we need, over the guest's unix socket."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any


def qmp_execute(sock_path: Path, command: str, timeout: float = 10) -> dict[str, Any]:
    """Negotiate capabilities, run one command, return its reply (events are skipped)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(sock_path))
        stream = sock.makefile("rwb")
        json.loads(stream.readline())  # greeting
        for name in ("qmp_capabilities", command):
            stream.write(json.dumps({"execute": name}).encode() + b"\n")
            stream.flush()
            while True:
                reply = json.loads(stream.readline())
                if "return" in reply or "error" in reply:
                    break
        return reply
