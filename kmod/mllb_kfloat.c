// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module's float glue, compiled with SSE like mllb_mlp_float.c and mllb_features_float.c:
 * every function here runs only between kernel_fpu_begin() and kernel_fpu_end(). Results leave
 * as integers or bit patterns so the rest of the module stays free of floats.
 */
#include "mllb_kmod.h"

int mllb_decide_float(const struct mllb_loaded *m, const struct mllb_lb_in *in)
{
	float x[MLLB_MAX_IN];

	mllb_features_f(m->set, in, x);
	return mllb_mlp_decide_f(&m->f, x);
}

/* The float MLP output on raw inputs, as bits. */
void mllb_forward_raw_float(const struct mllb_loaded *m, const struct mllb_lb_in *in, u32 *bits)
{
	float x[MLLB_MAX_IN];
	union mllb_f32 u;

	mllb_features_f(m->set, in, x);
	mllb_mlp_forward_f(&m->f, x, &u.f);
	*bits = u.bits;
}

/* Inputs arrive as exact decimals num / den (den a power of ten): one correctly rounded
 * double, then float, which is float32(float(text)) in Python. */
void mllb_eval_float(const struct mllb_loaded *m, const s64 *num, const u64 *den,
		     struct mllb_eval_f *out)
{
	float x[MLLB_MAX_IN], o;
	union mllb_f32 u;
	unsigned int i;
	double scaled;

	for (i = 0; i < m->f.n_in; i++)
		x[i] = (float)((double)num[i] / (double)den[i]);
	mllb_mlp_forward_f(&m->f, x, &o);
	u.f = o;
	out->bits = u.bits;
	scaled = (double)o * 1e6;
	if (!(scaled > -9e18)) /* also NaN */
		scaled = -9e18;
	else if (scaled > 9e18)
		scaled = 9e18;
	out->micro = (s64)(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
	out->decision = o > m->f.threshold.f;
}

void mllb_features_float_bits(int set, const struct mllb_lb_in *in, u32 *bits)
{
	union mllb_f32 x[MLLB_MAX_IN];
	float f[MLLB_MAX_IN];
	unsigned int i;

	mllb_features_f(set, in, f);
	for (i = 0; i < mllb_feature_count(set); i++) {
		x[i].f = f[i];
		bits[i] = x[i].bits;
	}
}
