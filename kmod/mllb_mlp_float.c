// SPDX-License-Identifier: GPL-2.0-only
/*
 * Single-precision forward pass. In the kernel this file alone is compiled with SSE and is
 * only called between kernel_fpu_begin() and kernel_fpu_end().
 */
#include "mllb_mlp.h"

void mllb_mlp_forward_f(const struct mllb_model_f *m, const float *in, float *out)
{
	float acc[MLLB_MAX_HIDDEN];
	float o = m->b2.f;
	unsigned int i, j, nh = m->n_hidden;

	for (j = 0; j < nh; j++)
		acc[j] = m->b1[j].f;

	for (i = 0; i < m->n_in; i++) {
		float x = in[i];

		if (x == 0.0f)
			continue;
		for (j = 0; j < nh; j++)
			acc[j] += x * m->w1[i][j].f;
	}

	for (j = 0; j < nh; j++)
		if (acc[j] > 0.0f)
			o += acc[j] * m->w2[j].f;
	*out = o;
}

int mllb_mlp_decide_f(const struct mllb_model_f *m, const float *in)
{
	float o;

	mllb_mlp_forward_f(m, in, &o);
	return o > m->threshold.f;
}
