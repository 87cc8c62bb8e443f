// SPDX-License-Identifier: GPL-2.0-only
/*
 * Single-precision forward pass. In the kernel this file alone is compiled with SSE and is
 * only called between kernel_fpu_begin() and kernel_fpu_end().
 *
 * Zero inputs are skipped (adding x * w == 0 changes nothing) and hidden units are computed
 * MLLB_CHUNK at a time; each accumulator still sums its products in input order, so the result
 * is the same as the plain loops, bit for bit.
 */
#include "mllb_mlp.h"

#define FMAC(a, k) ((a) += x * row[k].f)
#define FOUT(a, k)                                    \
	do {                                          \
		if ((a) > 0.0f)                       \
			o += (a) * m->w2[c + (k)].f;  \
	} while (0)

void mllb_mlp_forward_f(const struct mllb_model_f *m, const float *in, float *out)
{
	unsigned int i, c;
	u32 nonzero = 0;
	float o = m->b2.f;

	for (i = 0; i < m->n_in; i++)
		nonzero |= (u32)(in[i] != 0.0f) << i;

	for (c = 0; c < m->n_hidden; c += MLLB_CHUNK) {
		float a0 = m->b1[c].f, a1 = m->b1[c + 1].f, a2 = m->b1[c + 2].f;
		float a3 = m->b1[c + 3].f, a4 = m->b1[c + 4].f;
		u32 rest = nonzero;

		while (rest) {
			const union mllb_f32 *row;
			float x;

			i = __builtin_ctz(rest);
			rest &= rest - 1;
			row = &m->w1[i][c];
			x = in[i];
			FMAC(a0, 0);
			FMAC(a1, 1);
			FMAC(a2, 2);
			FMAC(a3, 3);
			FMAC(a4, 4);
		}
		FOUT(a0, 0);
		FOUT(a1, 1);
		FOUT(a2, 2);
		FOUT(a3, 3);
		FOUT(a4, 4);
	}
	*out = o;
}

int mllb_mlp_decide_f(const struct mllb_model_f *m, const float *in)
{
	float o;

	mllb_mlp_forward_f(m, in, &o);
	return o > m->threshold.f;
}
