// SPDX-License-Identifier: GPL-2.0-only
/*
 * Latency of one kernel function: fentry stores bpf_ktime_get_ns() in a per-CPU slot, fexit
 * adds (now - start) to a per-CPU log2 histogram. The loader opens this object once per
 * function and sets the attach target before load, so a function the kernel cannot trace
 * fails alone. Per-CPU state is enough: can_migrate_task() runs with IRQs off under the rq
 * locks and load_balance() with preemption disabled (softirq or newly-idle balance), so a
 * call starts and ends on the same CPU and does not sleep. A depth counter keeps a nested
 * call (not expected; counted in `nested`) from overwriting the outer call's start.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "mllb_schedlat.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct schedlat_slot);
} open_call SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct schedlat_hist);
} hist SEC(".maps");

/* floor(log2(v)) for v >= 1, 0 for v == 0: branch-free halving, no loop for the verifier. */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffffULL) << 4;     v >>= shift; r |= shift;
	shift = (v > 0xffULL) << 3;       v >>= shift; r |= shift;
	shift = (v > 0xfULL) << 2;        v >>= shift; r |= shift;
	shift = (v > 0x3ULL) << 1;        v >>= shift; r |= shift;
	r |= (__u32)(v >> 1);
	return r;
}

SEC("fentry")
int on_entry(void *ctx)
{
	__u32 zero = 0;
	struct schedlat_slot *slot = bpf_map_lookup_elem(&open_call, &zero);
	struct schedlat_hist *h;

	if (!slot)
		return 0;
	if (slot->depth++ == 0) {
		slot->start_ns = bpf_ktime_get_ns();
		return 0;
	}
	h = bpf_map_lookup_elem(&hist, &zero);
	if (h)
		h->nested++;
	return 0;
}

SEC("fexit")
int on_exit(void *ctx)
{
	__u64 now = bpf_ktime_get_ns(), delta;
	__u32 zero = 0, slot_i;
	struct schedlat_slot *slot = bpf_map_lookup_elem(&open_call, &zero);
	struct schedlat_hist *h;

	if (!slot || slot->depth == 0) /* attached while this call was already running */
		return 0;
	if (--slot->depth != 0)
		return 0;
	h = bpf_map_lookup_elem(&hist, &zero);
	if (!h)
		return 0;
	delta = now - slot->start_ns;
	slot_i = log2_u64(delta);
	h->count++;
	h->sum_ns += delta;
	if (slot_i < SCHEDLAT_LOG2_SLOTS)
		h->log2_ns[slot_i]++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
