"""A free TCP port on 127.0.0.1 for a guest's forwarded SSH."""

from __future__ import annotations

import socket


def free_port() -> int:
    """Ask the kernel for an unused port. Another process may take it before QEMU binds it,
    so callers retry with a new port when QEMU reports the forward could not be set up."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0
