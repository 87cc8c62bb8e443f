// SPDX-License-Identifier: GPL-2.0-only
/*
 * Feature extraction in Q21.11 (no FPU): the part of the model's input the kernel computes.
 * Order and definitions follow mllb_lab/ml/features.py (PAPER15, then EXTRA).
 */
#include "mllb_features.h"
#include "mllb_fixed.h"

int mllb_feature_set_lookup(const char *name)
{
	static const char paper[] = "paper15", ext[] = "extended";
	unsigned int i;

	for (i = 0; name[i] == paper[i]; i++)
		if (!name[i])
			return MLLB_FS_PAPER15;
	for (i = 0; name[i] == ext[i]; i++)
		if (!name[i])
			return MLLB_FS_EXTENDED;
	return -EINVAL;
}

unsigned int mllb_feature_count(int set)
{
	switch (set) {
	case MLLB_FS_PAPER15:
		return MLLB_FS_PAPER15_N;
	case MLLB_FS_EXTENDED:
		return MLLB_FS_EXTENDED_N;
	default:
		return 0;
	}
}

/*
 * num * 2048 / den truncated toward zero, saturated to s32; den != 0. One division while
 * |num| < 2^52 (num << 11 then fits); beyond that the quotient alone decides saturation
 * (|num / den| >= 2^20 is outside Q21.11) and the remainder gives the 11 fraction bits.
 */
s32 mllb_fx_ratio(s64 num, u64 den)
{
	u64 mag = num < 0 ? 0 - (u64)num : (u64)num;
	u64 q, r, frac = 0;
	int k;

	if (mag < (1ULL << (63 - MLLB_FX_SHIFT))) {
		q = (mag << MLLB_FX_SHIFT) / den;
	} else {
		q = mag / den;
		r = mag % den;
		if (q >= (1ULL << (31 - MLLB_FX_SHIFT)))
			return num < 0 ? S32_MIN : S32_MAX;
		if (den < (1ULL << (63 - MLLB_FX_SHIFT))) {
			frac = (r << MLLB_FX_SHIFT) / den;
		} else {
			/* Huge denominators: long division, a bit at a time, never forming 2 * r. */
			for (k = 0; k < MLLB_FX_SHIFT; k++) {
				frac <<= 1;
				if (r >= den - r) {
					r -= den - r;
					frac |= 1;
				} else {
					r <<= 1;
				}
			}
		}
		q = (q << MLLB_FX_SHIFT) | frac;
	}
	if (q > (u64)S32_MAX)
		return num < 0 ? S32_MIN : S32_MAX;
	return num < 0 ? -(s32)q : (s32)q;
}

/* A load / 1000 in Q21.11: a division by a constant, which compiles to a multiplication. */
static s32 fx_load(u64 load)
{
	if (load >= (u64)MLLB_LOAD_SCALE << (31 - MLLB_FX_SHIFT))
		return S32_MAX;
	return (s32)((load << MLLB_FX_SHIFT) / MLLB_LOAD_SCALE);
}

/* The paper's share of faults: unchanged where the total is 0. */
static s32 fx_share(s64 num, u64 total)
{
	return total ? mllb_fx_ratio(num, total) : mllb_fx_from_int(num);
}

static s32 fx_flag(int cond)
{
	return cond ? MLLB_FX_ONE : 0;
}

void mllb_features_fx(int set, const struct mllb_lb_in *in, s32 *out)
{
	out[0] = fx_flag(in->src_len > in->src_preferred_len); /* src_non_pref_nr */
	out[1] = fx_flag(in->delta < MLLB_MIGRATION_COST_NS); /* delta_hot */
	out[2] = mllb_fx_from_int(in->cpu_idle);
	out[3] = mllb_fx_from_int(in->cpu_not_idle);
	out[4] = mllb_fx_from_int(in->cpu_newly_idle);
	out[5] = mllb_fx_from_int(in->same_node);
	out[6] = mllb_fx_from_int(in->prefer_src);
	out[7] = mllb_fx_from_int(in->prefer_dst);
	out[8] = mllb_fx_from_int((s64)in->src_len - 2);
	out[9] = fx_load(in->src_load);
	out[10] = fx_load(in->dst_load);
	out[11] = mllb_fx_from_int(in->dst_len);
	out[12] = fx_share(in->delta_faults, in->total_faults);
	out[13] = fx_flag(in->nr_fails > in->cache_nice_tries); /* extra_fails */
	out[14] = mllb_fx_from_int(in->buddy_hot);
	if (set != MLLB_FS_EXTENDED)
		return;
	out[15] = mllb_fx_from_int(in->sd_smt);
	out[16] = mllb_fx_from_int(in->lbf_active);
	out[17] = mllb_fx_from_int(in->per_cpu_kthread);
	out[18] = fx_share(in->group_delta_faults, in->group_total_faults);
}
