// SPDX-License-Identifier: GPL-2.0-only
/*
 * Run-queue length sampler: a perf_event program on a per-CPU software cpu-clock timer reads
 * the interrupted CPU's own run queue (the per-CPU variable `runqueues`, a typed ksym) and
 * counts how many CFS tasks wait on it, excluding the one running. Kept apart from the
 * latency object because a kernel without the `runqueues` ksym fails the whole object's load:
 * here that only costs the run-queue histogram.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "mllb_schedlat.h"

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
struct sched_entity;
struct cfs_rq {
	unsigned int nr_running;   /* entities on this level (tasks or group entities) */
	unsigned int h_nr_running; /* tasks in the whole hierarchy below (since 2.6.38) */
	struct sched_entity *curr; /* the running fair entity; NULL while idle or RT runs */
};
struct rq {
	struct cfs_rq cfs;
};
#pragma clang attribute pop

extern const struct rq runqueues __ksym;

/* Per-CPU counters: samples taken, and samples per length (last slot: that length or more). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCHEDLAT_RQLEN_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} rqlen SEC(".maps");

SEC("perf_event")
int on_tick(void *ctx)
{
	const struct rq *rq = bpf_this_cpu_ptr(&runqueues);
	__u32 len, running;
	__u64 *n;

	/* h_nr_running counts tasks, not the group entities nr_running counts at the root. */
	if (bpf_core_field_exists(rq->cfs.h_nr_running))
		len = BPF_CORE_READ(rq, cfs.h_nr_running);
	else
		len = BPF_CORE_READ(rq, cfs.nr_running);
	running = BPF_CORE_READ(rq, cfs.curr) != NULL;
	len = len > running ? len - running : 0;
	if (len >= SCHEDLAT_RQLEN_SLOTS)
		len = SCHEDLAT_RQLEN_SLOTS - 1;
	n = bpf_map_lookup_elem(&rqlen, &len);
	if (n)
		*n += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
