"""Writing files in the tracer's format from Python: for tests and the ingest benchmark.

The real files come from bpf/mllb_tracer.c; this writes the same header and record layout
(layout.py) so conversion can be exercised on the controller, where nothing can be traced.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mllb_lab.capture.layout import (
    CAPABILITIES,
    FORMAT_VERSION,
    HEADER_DTYPE,
    HEADER_SIZE,
    MAGIC,
    RECORD_DTYPE,
    RECORD_SIZE,
)

STOCK_61 = [name for name in CAPABILITIES if name != "test_flag"]


def header_bytes(
    records: int,
    *,
    lost: int = 0,
    complete: bool = True,
    capabilities: list[str] | None = None,
    nr_cpus: int = 8,
    nr_nodes: int = 2,
    release: str = "6.1.0-test-amd64",
    version: int = FORMAT_VERSION,
    record_size: int = RECORD_SIZE,
) -> bytes:
    h = np.zeros(1, dtype=HEADER_DTYPE)
    h["magic"] = MAGIC
    h["version"] = version
    h["header_size"] = HEADER_SIZE
    h["record_size"] = record_size
    caps = STOCK_61 if capabilities is None else capabilities
    h["capabilities"] = sum(CAPABILITIES[c] for c in caps)
    h["nr_cpus"], h["nr_nodes"] = nr_cpus, nr_nodes
    h["records"], h["lost"], h["complete"] = records, lost, int(complete)
    h["lbf_active_lb"] = 0x10
    h["release"], h["attach"] = release.encode(), b"fexit"
    return h.tobytes()


def write_capture(path: Path, records: np.ndarray, **header: object) -> Path:
    path.write_bytes(header_bytes(len(records), **header) + records.tobytes())  # type: ignore[arg-type]
    return path


def synthetic_records(n: int, nr_cpus: int = 8, nr_nodes: int = 2, seed: int = 0) -> np.ndarray:
    """Plausible random records for a machine whose nodes hold equal CPU ranges."""
    rng = np.random.default_rng(seed)
    rec = np.zeros(n, dtype=RECORD_DTYPE)
    per_node = max(1, nr_cpus // nr_nodes)
    rec["ts"] = np.cumsum(rng.integers(1_000, 50_000, n, dtype=np.uint64))
    rec["src_cpu"] = rng.integers(0, nr_cpus, n)
    rec["dst_cpu"] = rng.integers(0, nr_cpus, n)
    rec["src_node"] = rec["src_cpu"] // per_node
    rec["dst_node"] = rec["dst_cpu"] // per_node
    rec["preferred_nid"] = rng.integers(-1, nr_nodes, n)
    rec["pid"] = rng.integers(1, 40_000, n)
    rec["curr_pid"] = rng.integers(0, 40_000, n)
    rec["imbalance"] = rng.integers(0, 4096, n)
    rec["delta"] = rng.integers(-1_000, 10_000_000, n)
    rec["src_len"] = rng.integers(1, 8, n)
    rec["dst_len"] = rng.integers(0, 8, n)
    rec["src_load"] = rng.integers(0, 3000, n)
    rec["dst_load"] = rng.integers(0, 3000, n)
    rec["src_faults"] = rng.integers(0, 100, n)
    rec["dst_faults"] = rng.integers(0, 100, n)
    rec["total_faults"] = rec["src_faults"] + rec["dst_faults"]
    rec["idle"] = rng.integers(0, 3, n)
    rec["migration_type"] = rng.integers(0, 4, n)
    rec["sd_numa"] = rec["src_node"] != rec["dst_node"]
    rec["p_running"] = rng.random(n) < 0.05
    rec["allowed"] = rng.random(n) < 0.97
    rec["hard_pass"] = rec["allowed"] & ~rec["p_running"].astype(bool)
    rec["test_flag"] = -1
    rec["can_migrate"] = rec["hard_pass"] & (rng.random(n) < 0.7)
    return rec
