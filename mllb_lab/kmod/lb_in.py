"""struct mllb_lb_in (docs/kernel-interface.md) as a numpy record type, and captured decision
records converted to it, so the C feature code can be fed the same rows features.py sees.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Declaration order and C types of struct mllb_lb_in; align=True gives the C layout, which
# cmlp.check_lb_in_layout() compares with the compiler's offsets.
LB_IN_FIELDS: tuple[tuple[str, str], ...] = (
    ("delta", "<i8"),
    ("src_load", "<u8"),
    ("dst_load", "<u8"),
    ("delta_faults", "<i8"),
    ("total_faults", "<u8"),
    ("group_delta_faults", "<i8"),
    ("group_total_faults", "<u8"),
    ("src_cpu", "<u4"),
    ("dst_cpu", "<u4"),
    ("src_len", "<u4"),
    ("src_numa_len", "<u4"),
    ("src_preferred_len", "<u4"),
    ("dst_len", "<u4"),
    ("nr_fails", "<u4"),
    ("cache_nice_tries", "<u4"),
    ("cpu_idle", "u1"),
    ("cpu_not_idle", "u1"),
    ("cpu_newly_idle", "u1"),
    ("same_node", "u1"),
    ("prefer_src", "u1"),
    ("prefer_dst", "u1"),
    ("buddy_hot", "u1"),
    ("sd_smt", "u1"),
    ("sd_numa", "u1"),
    ("lbf_active", "u1"),
    ("per_cpu_kthread", "u1"),
    ("p_running", "u1"),
)
LB_IN_DTYPE = np.dtype([(n, t) for n, t in LB_IN_FIELDS], align=True)


def records_to_lb_in(df: pd.DataFrame) -> np.ndarray:
    """One struct per record row; columns the records lack stay 0 (e.g. group faults on
    captures made before the extended set existed)."""
    out = np.zeros(len(df), dtype=LB_IN_DTYPE)
    for name, ctype in LB_IN_FIELDS:
        if name in df.columns:
            out[name] = df[name].to_numpy().astype(ctype)
    return out
