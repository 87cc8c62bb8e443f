// SPDX-License-Identifier: GPL-2.0-only
/*
 * Q21.11 forward pass. Each product is shifted back on its own ((x * w) >> 11, summed), as
 * the paper's kernel did; the golden vector (raw 2894) depends on that order. Sums are kept in
 * s64 and saturated to s32 when a layer's value is taken.
 *
 * Speed without SIMD, bit-identical to the plain loops:
 *  - inputs equal to 0 add nothing and are skipped;
 *  - inputs equal to 1.0 add exactly their weight row ((2048 * w) >> 11 == w), so the flags are
 *    added four at a time from a table of row sums (see struct mllb_model_fx.ones);
 *  - hidden units are computed MLLB_CHUNK at a time so the accumulators stay in registers.
 */
#include "mllb_fixed.h"
#include "mllb_mlp.h"

int mllb_mlp_prepare_fx(struct mllb_model_fx *m)
{
	unsigned int g, p, j, b;

	m->ones_ready = 0;
	for (g = 0; g < MLLB_ONES_GROUPS; g++)
		for (p = 0; p < (1u << MLLB_ONES_GROUP); p++)
			for (j = 0; j < MLLB_MAX_HIDDEN; j++) {
				s64 sum = 0;

				for (b = 0; b < MLLB_ONES_GROUP; b++)
					if (p & (1u << b))
						sum += m->w1[g * MLLB_ONES_GROUP + b][j];
				/* A sum outside s32 would change results: keep the long way. */
				if (sum != mllb_fx_sat(sum))
					return -EINVAL;
				m->ones[g][p][j] = (s32)sum;
			}
	m->ones_ready = 1;
	return 0;
}

/* The plain loops: the definition of the result, used when the table is not prepared. */
static s32 forward_plain(const struct mllb_model_fx *m, const s32 *in)
{
	s64 out = m->b2;
	unsigned int i, j;

	for (j = 0; j < m->n_hidden; j++) {
		s64 acc = m->b1[j];
		s32 h;

		for (i = 0; i < m->n_in; i++)
			acc += ((s64)in[i] * m->w1[i][j]) >> MLLB_FX_SHIFT;
		h = mllb_fx_sat(acc);
		if (h > 0)
			out += ((s64)h * m->w2[j]) >> MLLB_FX_SHIFT;
	}
	return mllb_fx_sat(out);
}

/* One chunk of hidden units: ten accumulators, named so the compiler keeps them in registers. */
#define INIT(k) s64 a##k = m->b1[c + (k)]
#define TABLE(k) (a##k += t[k])
#define MAC(k) (a##k += ((s64)x * row[k]) >> MLLB_FX_SHIFT)
#define OUT(k)                                                               \
	do {                                                                 \
		s64 h = mllb_fx_sat(a##k);                                   \
		h = h > 0 ? h : 0; /* ReLU without a branch */               \
		out += (h * m->w2[c + (k)]) >> MLLB_FX_SHIFT;                \
	} while (0)

s32 mllb_mlp_forward_fx(const struct mllb_model_fx *m, const s32 *in)
{
	unsigned int i, g, c, n = m->n_in, groups = (n + MLLB_ONES_GROUP - 1) / MLLB_ONES_GROUP;
	u32 ones = 0, nonzero = 0;
	s64 out = m->b2;

	if (!m->ones_ready)
		return forward_plain(m, in);

	for (i = 0; i < n; i++) {
		ones |= (u32)(in[i] == MLLB_FX_ONE) << i;
		nonzero |= (u32)(in[i] != 0) << i;
	}

	/* Rows are MLLB_MAX_HIDDEN wide and zero padded, so a chunk may run past n_hidden. */
	for (c = 0; c < m->n_hidden; c += MLLB_CHUNK) {
		u32 rest = nonzero & ~ones;
		MLLB_CHUNK_EACH(INIT);

		for (g = 0; g < groups; g++) {
			const s32 *t = &m->ones[g][(ones >> (g * MLLB_ONES_GROUP)) & 0xf][c];

			MLLB_CHUNK_DO(TABLE);
		}
		while (rest) {
			const s32 *row;
			s32 x;

			i = mllb_ctz32(rest);
			rest &= rest - 1;
			row = &m->w1[i][c];
			x = in[i];
			MLLB_CHUNK_DO(MAC);
		}
		MLLB_CHUNK_DO(OUT);
	}
	return mllb_fx_sat(out);
}

int mllb_mlp_decide_fx(const struct mllb_model_fx *m, const s32 *in)
{
	return mllb_mlp_forward_fx(m, in) > m->threshold;
}
