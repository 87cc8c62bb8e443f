"""The `mllb-schedlat` binary (bpf/mllb_schedlat*.c), built on the controller on demand.

It is built by the same `make` and into the same content-keyed cache folder as the capture
tracer (mllb_lab.capture.build), so both tools share one key and one build step.
"""

from __future__ import annotations

from pathlib import Path

from mllb_lab.capture.build import SCHEDLAT_BINARY, build_tools


def ensure_schedlat(force: bool = False) -> Path:
    """Path of the statically linked mllb-schedlat for the current sources (built if needed)."""
    return build_tools(force) / SCHEDLAT_BINARY
