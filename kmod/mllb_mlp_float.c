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

#define INIT(k) float a##k = m->b1[c + (k)].f
#define FMAC(k) (a##k += x * row[k].f)
#define FOUT(k)                                       \
	do {                                          \
		if (a##k > 0.0f)                      \
			o += a##k * m->w2[c + (k)].f; \
	} while (0)

/* The row clamped into the model's input domain (into buf), or the row itself without one. */
static const float *clamp_f(const struct mllb_model_f *m, const float *in, float *buf)
{
	unsigned int i;

	if (!m->clamp)
		return in;
	for (i = 0; i < m->n_in; i++)
		buf[i] = in[i] < m->lo[i].f ? m->lo[i].f : (in[i] > m->hi[i].f ? m->hi[i].f : in[i]);
	return buf;
}

void mllb_mlp_forward_f(const struct mllb_model_f *m, const float *row, float *out)
{
	float buf[MLLB_MAX_IN];
	const float *in = clamp_f(m, row, buf);
	unsigned int i, c;
	u32 nonzero = 0;
	float o = m->b2.f;

	for (i = 0; i < m->n_in; i++)
		nonzero |= (u32)(in[i] != 0.0f) << i;

	for (c = 0; c < m->n_hidden; c += MLLB_CHUNK) {
		u32 rest = nonzero;
		MLLB_CHUNK_EACH(INIT);

		while (rest) {
			const union mllb_f32 *row;
			float x;

			i = mllb_ctz32(rest);
			rest &= rest - 1;
			row = &m->w1[i][c];
			x = in[i];
			MLLB_CHUNK_DO(FMAC);
		}
		MLLB_CHUNK_DO(FOUT);
	}
	*out = o;
}

int mllb_mlp_decide_f(const struct mllb_model_f *m, const float *in)
{
	float o;

	mllb_mlp_forward_f(m, in, &o);
	return o > m->threshold.f;
}
