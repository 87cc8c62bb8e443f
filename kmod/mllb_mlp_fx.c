// SPDX-License-Identifier: GPL-2.0-only
/*
 * Q21.11 forward pass. Each product is shifted back on its own ((x * w) >> 11, summed), as
 * the paper's kernel did; the golden vector (raw 2894) depends on that order.
 *
 * Speed without SIMD: most inputs are 0/1 flags, so inputs equal to 0 are skipped (they add
 * nothing) and inputs equal to 1.0 add the weight row directly ((2048 * w) >> 11 == w exactly).
 * Both shortcuts give bit-identical results to the full loop.
 */
#include "mllb_fixed.h"
#include "mllb_mlp.h"

s32 mllb_mlp_forward_fx(const struct mllb_model_fx *m, const s32 *in)
{
	s64 acc[MLLB_MAX_HIDDEN];
	s64 out = m->b2;
	unsigned int i, j, nh = m->n_hidden;

	for (j = 0; j < nh; j++)
		acc[j] = m->b1[j];

	for (i = 0; i < m->n_in; i++) {
		const s32 *row = m->w1[i];
		s32 x = in[i];

		if (x == 0)
			continue;
		if (x == MLLB_FX_ONE) {
			for (j = 0; j < nh; j++)
				acc[j] += row[j];
			continue;
		}
		for (j = 0; j < nh; j++)
			acc[j] += ((s64)x * row[j]) >> MLLB_FX_SHIFT;
	}

	for (j = 0; j < nh; j++) {
		s32 h = mllb_fx_sat(acc[j]);

		if (h > 0)
			out += ((s64)h * m->w2[j]) >> MLLB_FX_SHIFT;
	}
	return mllb_fx_sat(out);
}

int mllb_mlp_decide_fx(const struct mllb_model_fx *m, const s32 *in)
{
	return mllb_mlp_forward_fx(m, in) > m->threshold;
}
