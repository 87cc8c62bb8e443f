// SPDX-License-Identifier: GPL-2.0-only
/*
 * Feature extraction in float. Compiled with the FPU flags; in the kernel only called between
 * kernel_fpu_begin() and kernel_fpu_end(). Every value is formed in double and rounded once to
 * float, which is what features.py does (float64 columns, then float32), so both agree bit for
 * bit; double division rounded to float is also the correctly rounded float quotient.
 */
#include "mllb_features.h"

static float f_share(s64 num, u64 total)
{
	return total ? (float)((double)num / (double)total) : (float)(double)num;
}

void mllb_features_f(int set, const struct mllb_lb_in *in, float *out)
{
	out[0] = in->src_len > in->src_preferred_len ? 1.0f : 0.0f;
	out[1] = in->delta < MLLB_MIGRATION_COST_NS ? 1.0f : 0.0f;
	out[2] = in->cpu_idle;
	out[3] = in->cpu_not_idle;
	out[4] = in->cpu_newly_idle;
	out[5] = in->same_node;
	out[6] = in->prefer_src;
	out[7] = in->prefer_dst;
	out[8] = (float)((s64)in->src_len - 2);
	out[9] = (float)((double)in->src_load / MLLB_LOAD_SCALE);
	out[10] = (float)((double)in->dst_load / MLLB_LOAD_SCALE);
	out[11] = (float)in->dst_len;
	out[12] = f_share(in->delta_faults, in->total_faults);
	out[13] = in->nr_fails > in->cache_nice_tries ? 1.0f : 0.0f;
	out[14] = in->buddy_hot;
	if (set != MLLB_FS_EXTENDED)
		return;
	out[15] = in->sd_smt;
	out[16] = in->lbf_active;
	out[17] = in->per_cpu_kthread;
	out[18] = f_share(in->group_delta_faults, in->group_total_faults);
}
