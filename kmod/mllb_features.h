/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Raw inputs of one can_migrate_task() soft decision -> the model's input vector, for the
 * feature set named in the blob ("paper15" or "extended"), exactly as mllb_lab/ml/features.py
 * computes it from captured records.
 *
 * struct mllb_lb_in is the kernel's (include/linux/mllb_sched.h, docs/kernel-interface.md)
 * when the patched kernel provides it; elsewhere (stock kernels, user space) the same
 * definition lives here, so one source serves all three builds.
 */
#ifndef MLLB_FEATURES_H
#define MLLB_FEATURES_H

#include "mllb_compat.h"

#if defined(__KERNEL__) && __has_include(<linux/mllb_sched.h>)
#include <linux/mllb_sched.h>
#define MLLB_HAVE_SCHED_HOOK 1
#else
#define MLLB_HAVE_SCHED_HOOK 0
struct mllb_lb_in {
	s64 delta; /* rq_clock_task(src_rq) - p->se.exec_start, ns */
	u64 src_load, dst_load; /* rq->cfs.avg.load_avg of src and dst */
	s64 delta_faults; /* task faults on dst node - on src node */
	u64 total_faults; /* p->total_numa_faults */
	s64 group_delta_faults; /* the same for p->numa_group, 0 when none */
	u64 group_total_faults;
	u32 src_cpu, dst_cpu;
	u32 src_len, src_numa_len, src_preferred_len, dst_len;
	u32 nr_fails, cache_nice_tries;
	u8 cpu_idle, cpu_not_idle, cpu_newly_idle;
	u8 same_node, prefer_src, prefer_dst;
	u8 buddy_hot;
	u8 sd_smt;
	u8 sd_numa;
	u8 lbf_active;
	u8 per_cpu_kthread;
	u8 p_running;
};
#endif

enum mllb_feature_set {
	MLLB_FS_PAPER15 = 0, /* mllb-facts §3, in the paper's order */
	MLLB_FS_EXTENDED = 1, /* paper15 + sd_smt, lbf_active, per_cpu_kthread, group_faults */
};

#define MLLB_FS_PAPER15_N 15
#define MLLB_FS_EXTENDED_N 19
#define MLLB_MIGRATION_COST_NS 500000 /* sysctl_sched_migration_cost: the delta_hot cut */
#define MLLB_LOAD_SCALE 1000 /* loads enter the model divided by 1000 */

/* The set called `name` (NUL terminated): its id, or -EINVAL. */
int mllb_feature_set_lookup(const char *name);
/* Number of model inputs of a set (0 for an unknown id). */
unsigned int mllb_feature_count(int set);

/* trunc(num * 2048 / den) saturated to s32, exact for every input; den != 0. */
s32 mllb_fx_ratio(s64 num, u64 den);

/*
 * Q21.11 inputs: flags are 0 or 1.0; counts are int_to_fx; ratios (loads / 1000, fault
 * shares) are the exact quotient num * 2048 / den truncated toward zero, as the paper's
 * (a << 11) / b, but computed so that it saturates instead of overflowing for any input.
 * Equal to fixedpoint.input_to_fx() of features.py's float64 values.
 */
void mllb_features_fx(int set, const struct mllb_lb_in *in, s32 *out);

/*
 * Float inputs (mllb_features_float.c, compiled with the FPU flags; in the kernel only between
 * kernel_fpu_begin() and kernel_fpu_end()): each value is computed in double and rounded once
 * to float, so it equals float32() of features.py's float64 value bit for bit.
 */
void mllb_features_f(int set, const struct mllb_lb_in *in, float *out);

#endif /* MLLB_FEATURES_H */
