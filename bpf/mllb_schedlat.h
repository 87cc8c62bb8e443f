/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared between mllb_schedlat.bpf.c / mllb_runqlen.bpf.c and the loader mllb_schedlat.c:
 * the per-CPU values the BPF side accumulates and the loader sums at the end.
 */
#ifndef MLLB_SCHEDLAT_H
#define MLLB_SCHEDLAT_H

#define SCHEDLAT_LOG2_SLOTS 64   /* [2^i, 2^(i+1)) ns for i < 64 covers every __u64 */
#define SCHEDLAT_RQLEN_SLOTS 256 /* lengths >= 255 are counted in the last slot */

/* One function's latency histogram on one CPU (a per-CPU array value: no atomics). */
struct schedlat_hist {
	__u64 count;
	__u64 sum_ns;
	__u64 nested; /* entries while a call was already open on this CPU (not timed) */
	__u64 log2_ns[SCHEDLAT_LOG2_SLOTS];
};

/* The open call on one CPU: its fentry time and how deep calls are nested. */
struct schedlat_slot {
	__u64 start_ns;
	__u32 depth;
	__u32 pad;
};

#endif
