// SPDX-License-Identifier: GPL-2.0-only
#include "bench_naive.h"
#include "../mllb_fixed.h"

struct naive_layer {
	const s32 *w; /* [n_in][stride] */
	const s32 *b;
	unsigned int n_in, n_out, stride;
	int relu;
};

static void naive_dense(const struct naive_layer *l, const s32 *in, s32 *out)
{
	unsigned int i, j;

	for (j = 0; j < l->n_out; j++) {
		s32 acc = l->b[j];

		for (i = 0; i < l->n_in; i++)
			acc = mllb_fx_sat((s64)acc + mllb_fx_mul(in[i], l->w[i * l->stride + j]));
		out[j] = (l->relu && acc < 0) ? 0 : acc;
	}
}

s32 mllb_naive_forward_fx(const struct mllb_model_fx *m, const s32 *in)
{
	s32 bufs[2][MLLB_MAX_IN > MLLB_MAX_HIDDEN ? MLLB_MAX_IN : MLLB_MAX_HIDDEN];
	const struct naive_layer layers[2] = {
		{ &m->w1[0][0], m->b1, m->n_in, m->n_hidden, MLLB_MAX_HIDDEN, 1 },
		{ m->w2, &m->b2, m->n_hidden, 1, 1, 0 },
	};
	unsigned int l, i;

	for (i = 0; i < m->n_in; i++)
		bufs[0][i] = in[i];
	for (l = 0; l < 2; l++)
		naive_dense(&layers[l], bufs[l & 1], bufs[(l + 1) & 1]);
	return bufs[0][0];
}
