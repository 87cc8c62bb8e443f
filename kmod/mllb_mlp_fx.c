// SPDX-License-Identifier: GPL-2.0-only
/*
 * Q21.11 forward pass. Each product is shifted back on its own ((x * w) >> 11, summed), as
 * the paper's kernel did; the golden vector (raw 2894) depends on that order. Sums are kept in
 * s64 and saturated to s32 when a layer's value is taken.
 *
 * The fast path gives the same bits without SIMD (docs/ml.md, "Performance"):
 *  - flags (inputs that are 0 or 1.0) add exactly their weight row ((2048 * w) >> 11 == w), so
 *    all of them are added by two lookups in tables of row sums, b1 included;
 *  - two hidden units share one u64 (lo + hi * 2^32); one multiply serves both;
 *  - the per-product floor is kept exactly: sum(floor(p / 2048)) ==
 *    (sum(p) - sum(p mod 2048)) / 2048, and p mod 2048 of both lanes is one mask of p;
 *  - no data-dependent branch: every input is processed, zero or not.
 * It applies while the row keeps the promises checked on the way (flags are 0 or 1.0, whole
 * inputs are whole, other inputs are small enough that no packed lane can overflow); any other
 * row takes the plain loops, which define the result.
 */
#include "mllb_fixed.h"
#include "mllb_mlp.h"

#define LANE_BIAS 0x80000000ull /* makes the low lane non-negative: no borrow into the high one */
#define LANE_LOW11 0x000007ff000007ffull /* p mod 2048 of both lanes */
#define FLAG_BAD ((u32) ~(u32)MLLB_FX_ONE) /* a flag is 0 or 1.0: no other bit */

/* lo + hi * 2^32 modulo 2^64: sums of packed values are the packed sums. */
static u64 pack2(s64 lo, s64 hi)
{
	return ((u64)hi << 32) + (u64)lo;
}

static s64 abs64(s64 v)
{
	return v < 0 ? -v : v;
}

/* Input kinds of the feature sets (mllb_lab/ml/features.py order). */
#define PAPER15_FLAGS (0xffu | 1u << 13 | 1u << 14) /* src_non_pref_nr .. prefer_dst, extra_fails,
							   buddy_hot */
#define PAPER15_WHOLE (1u << 8 | 1u << 11) /* src_len - 2, dst_len */
#define EXTENDED_FLAGS (PAPER15_FLAGS | 7u << 15) /* + sd_smt, lbf_active, per_cpu_kthread */

static const struct {
	const char *name;
	u32 flags, whole;
} input_kinds[] = {
	{ "paper15", PAPER15_FLAGS, PAPER15_WHOLE },
	{ "extended", EXTENDED_FLAGS, PAPER15_WHOLE },
};

static int same_name(const char *a, const char *padded, size_t len)
{
	size_t i;

	for (i = 0; i < len && padded[i]; i++)
		if (a[i] != padded[i])
			return 0;
	return a[i] == '\0';
}

/* Spread the flags over the slots: adjacent flags share a slot; returns the table flags. */
static u32 place_slots(struct mllb_fast_fx *f, unsigned int n, u32 flags, s32 tab_in[2][MLLB_FLAG_SLOTS])
{
	unsigned int i = 0, s = 0, pos, lo, hi;
	u32 placed = 0;

	for (s = 0; s < MLLB_FLAG_SLOTS; s++) {
		while (i < n && !(flags & (1u << i)))
			i++;
		f->slot_pos[s] = 0;
		f->slot_keep[s] = f->slot_bad[s] = 0;
		tab_in[0][s] = tab_in[1][s] = -1;
		if (i >= n)
			continue;
		if (i + 1 < n) {
			pos = i;
			lo = 1;
			hi = (flags >> (i + 1)) & 1;
		} else {
			pos = i - 1; /* the last input alone: read it as the high half */
			lo = 0;
			hi = 1;
		}
		f->slot_pos[s] = (u8)pos;
		if (lo) {
			f->slot_keep[s] |= MLLB_FX_ONE;
			f->slot_bad[s] |= FLAG_BAD;
			tab_in[0][s] = (s32)pos;
			placed |= 1u << pos;
		}
		if (hi) {
			f->slot_keep[s] |= (u64)MLLB_FX_ONE << 32;
			f->slot_bad[s] |= (u64)FLAG_BAD << 32;
			tab_in[1][s] = (s32)pos + 1;
			placed |= 1u << (pos + 1);
		}
		i = pos + 2;
	}
	return placed;
}

/*
 * Largest power of two L such that rows whose other inputs lie in [-L, L) keep every packed
 * value in range: per hidden unit, sum(L * |w|) + 2048 per input <= 2^30 before the shift (so
 * each lane's sum of floors is within 2^19), and b1 + the flag rows + 2^19 inside s32.
 * 0 if even L = 1.0 does not fit.
 */
static u32 other_limit(const struct mllb_model_fx *m, u32 table, const struct mllb_fast_fx *f)
{
	s64 worst_w = 0, worst_fixed = 0, room = (1ll << 30) - 2048 * (s64)f->n_other;
	unsigned int i, j, k;
	int bits;

	for (j = 0; j < m->n_hidden; j++) {
		s64 sum_w = 0, fixed = abs64(m->b1[j]);

		for (k = 0; k < f->n_other; k++)
			sum_w += abs64(m->w1[f->other_pos[k]][j]);
		for (i = 0; i < m->n_in; i++)
			if (table & (1u << i))
				fixed += abs64(m->w1[i][j]);
		worst_w = sum_w > worst_w ? sum_w : worst_w;
		worst_fixed = fixed > worst_fixed ? fixed : worst_fixed;
	}
	if (worst_fixed + (1ll << 19) >= S32_MAX)
		return 0;
	for (bits = 30; bits >= MLLB_FX_SHIFT; bits--)
		if (worst_w <= (room >> bits))
			return 1u << bits;
	return 0;
}

int mllb_mlp_prepare_fx(struct mllb_model_fx *m, u32 flags, u32 whole)
{
	struct mllb_fast_fx *f = &m->fast;
	unsigned int n = m->n_in, i, k, h, p, s;
	s32 tab_in[2][MLLB_FLAG_SLOTS];
	u32 table, limit, all = n >= 32 ? ~0u : (1u << n) - 1;

	f->ready = 0;
	if (n < 2) /* a slot reads two inputs */
		return -EINVAL;
	table = place_slots(f, n, flags & all, tab_in);
	whole = (whole | flags) & all & ~table;
	f->n_other = 0;
	for (i = 0; i < n; i++) /* whole inputs first: they need no remainder */
		if (whole & (1u << i))
			f->other_pos[f->n_other++] = (u8)i;
	f->n_whole = f->n_other;
	for (i = 0; i < n; i++)
		if (!(all & table & (1u << i)) && !(whole & (1u << i)))
			f->other_pos[f->n_other++] = (u8)i;

	limit = other_limit(m, table, f);
	if (!limit)
		return -EINVAL;
	f->other_bias = limit;
	for (k = 0; k < f->n_other; k++) {
		f->other_bad[k] = ~(2 * limit - 1) | (k < f->n_whole ? MLLB_FX_ONE - 1 : 0);
		for (p = 0; p < MLLB_PAIRS; p++)
			f->w_other[k][p] = pack2(m->w1[f->other_pos[k]][2 * p],
						 m->w1[f->other_pos[k]][2 * p + 1]);
	}
	for (h = 0; h < 2; h++)
		for (i = 0; i < MLLB_FLAG_ENTRIES; i++)
			for (p = 0; p < MLLB_PAIRS; p++) {
				s64 lo = h ? 0 : m->b1[2 * p], hi = h ? 0 : m->b1[2 * p + 1];

				for (s = 0; s < MLLB_FLAG_SLOTS; s++)
					if ((i & (1u << s)) && tab_in[h][s] >= 0) {
						lo += m->w1[tab_in[h][s]][2 * p];
						hi += m->w1[tab_in[h][s]][2 * p + 1];
					}
				f->flag_sums[h][i][p] = pack2(lo, hi);
			}
	f->ready = 1;
	return 0;
}

int mllb_mlp_prepare_named_fx(struct mllb_model_fx *m, const char *feature_set, size_t len)
{
	unsigned int i;

	for (i = 0; i < sizeof(input_kinds) / sizeof(input_kinds[0]); i++)
		if (same_name(input_kinds[i].name, feature_set, len))
			return mllb_mlp_prepare_fx(m, input_kinds[i].flags, input_kinds[i].whole);
	return mllb_mlp_prepare_fx(m, 0, 0); /* unknown set: no flags, still packed */
}

/* The plain loops: the definition of the result, used when the fast path does not apply. */
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

/* Two adjacent inputs as one u64, in[pos] in the low half: one load on little endian. */
static u64 load_pair(const s32 *in, unsigned int pos)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	u64 w;

	__builtin_memcpy(&w, in + pos, sizeof(w));
	return w;
#else
	return (u64)(u32)in[pos] | (u64)(u32)in[pos + 1] << 32;
#endif
}

/* Flags of slot s -> bit s of each half of *t; wrong values -> bits in *bad. */
#define SLOT(s)                                                               \
	do {                                                                  \
		u64 w = load_pair(in, f->slot_pos[s]);                        \
		bad |= w & f->slot_bad[s];                                    \
		t += (w & f->slot_keep[s]) >> (MLLB_FX_SHIFT - (s));          \
	} while (0)

#define PAIR_EACH(op) op(0), op(1), op(2), op(3), op(4)
#define ZERO(k) v##k = 0
#define WHOLE(k) v##k += (u64)x * w[k]
/* p - (p mod 2048 per lane) == ((p + bias) & ~LOW11) - bias; the biases are removed once. */
#define FRACTION(k) v##k += ((u64)x * w[k] + LANE_BIAS) & ~LANE_LOW11
#define LANES(k) v##k = t0[k] + t1[k] + (u64)((s64)(v##k - biases) >> MLLB_FX_SHIFT)
/* Unpack both lanes; ReLU; out += (h * w2) >> 11 as the plain loops. */
#define OUT(k)                                                                 \
	do {                                                                   \
		s64 lo = (s32)v##k, hi = (s32)((v##k + LANE_BIAS) >> 32);      \
		lo = lo > 0 ? lo : 0;                                          \
		hi = hi > 0 ? hi : 0;                                          \
		out += (lo * m->w2[2 * (c + (k))]) >> MLLB_FX_SHIFT;           \
		out += (hi * m->w2[2 * (c + (k)) + 1]) >> MLLB_FX_SHIFT;       \
	} while (0)

s32 mllb_mlp_forward_fx(const struct mllb_model_fx *m, const s32 *in)
{
	const struct mllb_fast_fx *f = &m->fast;
	unsigned int c, k, pairs = (m->n_hidden + 1) / 2;
	u64 t = 0, bad = 0;
	s64 out = m->b2;

	if (!f->ready)
		return forward_plain(m, in);
	SLOT(0);
	SLOT(1);
	SLOT(2);
	SLOT(3);
	SLOT(4);

	for (c = 0; c < pairs; c += MLLB_PAIR_CHUNK) {
		const u64 *t0 = f->flag_sums[0][t & 31] + c, *t1 = f->flag_sums[1][(t >> 32) & 31] + c;
		u64 PAIR_EACH(ZERO), biases = (u64)(f->n_other - f->n_whole) * LANE_BIAS;

		for (k = 0; k < f->n_whole; k++) {
			s64 x = in[f->other_pos[k]];
			const u64 *w = f->w_other[k] + c;

			bad |= ((u32)x + f->other_bias) & f->other_bad[k];
			PAIR_EACH(WHOLE);
		}
		for (; k < f->n_other; k++) {
			s64 x = in[f->other_pos[k]];
			const u64 *w = f->w_other[k] + c;

			bad |= ((u32)x + f->other_bias) & f->other_bad[k];
			PAIR_EACH(FRACTION);
		}
		if (bad)
			return forward_plain(m, in);
		PAIR_EACH(LANES);
		OUT(0);
		OUT(1);
		OUT(2);
		OUT(3);
		OUT(4);
	}
	return mllb_fx_sat(out);
}

int mllb_mlp_fast_takes_fx(const struct mllb_model_fx *m, const s32 *in)
{
	const struct mllb_fast_fx *f = &m->fast;
	u64 t = 0, bad = 0;
	unsigned int k;

	if (!f->ready)
		return 0;
	SLOT(0);
	SLOT(1);
	SLOT(2);
	SLOT(3);
	SLOT(4);
	for (k = 0; k < f->n_other; k++)
		bad |= ((u32)in[f->other_pos[k]] + f->other_bias) & f->other_bad[k];
	(void)t;
	return !bad;
}

int mllb_mlp_decide_fx(const struct mllb_model_fx *m, const s32 *in)
{
	return mllb_mlp_forward_fx(m, in) > m->threshold;
}
