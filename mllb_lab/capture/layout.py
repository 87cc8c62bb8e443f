"""The tracer's binary format as numpy dtypes: the mirror of bpf/mllb_record.h.

A capture file is one 256-byte header followed by fixed-size records. Both dtypes spell out
every byte (explicit padding), so `itemsize` must equal the C sizeof; the unit tests check
that against the header compiled by gcc.
"""

from __future__ import annotations

import numpy as np

MAGIC = b"MLLBDEC1"
FORMAT_VERSION = 1
HEADER_SIZE = 256

# Canonical codes written by the BPF program (decoded there by enum name).
UNKNOWN = -1
IDLE, NOT_IDLE, NEWLY_IDLE = 0, 1, 2

RECORD_DTYPE = np.dtype(
    [
        ("ts", "<u8"),
        ("imbalance", "<i8"),
        ("delta", "<i8"),
        ("src_load", "<i8"),
        ("dst_load", "<i8"),
        ("src_faults", "<i8"),
        ("dst_faults", "<i8"),
        ("total_faults", "<i8"),
        ("group_src_faults", "<i8"),
        ("group_dst_faults", "<i8"),
        ("group_total_faults", "<i8"),
        ("curr_pid", "<i4"),
        ("pid", "<i4"),
        ("src_cpu", "<i4"),
        ("dst_cpu", "<i4"),
        ("src_len", "<i4"),
        ("src_numa_len", "<i4"),
        ("src_preferred_len", "<i4"),
        ("dst_len", "<i4"),
        ("nr_fails", "<i4"),
        ("cache_nice_tries", "<i4"),
        ("lb_flags", "<u4"),
        ("sd_flags", "<i4"),
        ("src_node", "<i2"),
        ("dst_node", "<i2"),
        ("preferred_nid", "<i2"),
        ("idle", "i1"),
        ("migration_type", "i1"),
        ("sd_numa", "i1"),
        ("sd_smt", "i1"),
        ("lbf_active", "i1"),
        ("per_cpu_kthread", "i1"),
        ("buddy_hot", "i1"),
        ("throttled", "i1"),
        ("p_running", "i1"),
        ("allowed", "i1"),
        ("test_flag", "i1"),
        ("hard_pass", "i1"),
        ("can_migrate", "i1"),
        ("buddy_feat", "i1"),
        ("pad", "i1", (4,)),
    ]
)
RECORD_SIZE = RECORD_DTYPE.itemsize  # 160

HEADER_DTYPE = np.dtype(
    [
        ("magic", "S8"),
        ("version", "<u4"),
        ("header_size", "<u4"),
        ("record_size", "<u4"),
        ("capabilities", "<u4"),
        ("nr_cpus", "<u4"),
        ("nr_nodes", "<u4"),
        ("start_realtime_ns", "<u8"),
        ("start_mono_ns", "<u8"),
        ("records", "<u8"),
        ("lost", "<u8"),
        ("complete", "<u4"),
        ("lbf_active_lb", "<u4"),
        ("release", "S65"),
        ("attach", "S15"),
        ("reserved", "V104"),
    ]
)

# Bits of header.capabilities (MLLB_CAP_* in mllb_record.h).
CAPABILITIES: dict[str, int] = {
    "test_flag": 1 << 0,
    "numa_faults": 1 << 1,
    "numa_group": 1 << 2,
    "migration_type": 1 << 3,
    "sd_numa": 1 << 4,
    "sd_smt": 1 << 5,
    "kthread_per_cpu": 1 << 6,
    "throttle": 1 << 7,
    "buddy_last": 1 << 8,
    "sched_feat": 1 << 9,
}


def capability_names(bits: int) -> list[str]:
    return [name for name, bit in CAPABILITIES.items() if bits & bit]
