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
 *  - the per-product floor is kept exactly: 2048 * floor(p / 2048) == p - p mod 2048 is one
 *    mask for both lanes when neither is negative (inputs and weights are offset to make
 *    them so; the offsets are multiples of 2048 and are taken back exactly);
 *  - no data-dependent branch: every input is processed, zero or not.
 * It applies while the row keeps the promises checked on the way (flags are 0 or 1.0, whole
 * inputs are whole, other inputs are small enough that no packed lane can overflow); any other
 * row takes the plain loops, which define the result.
 */
#include "mllb_fixed.h"
#include "mllb_mlp.h"

#define LANE_BIAS 0x80000000ull /* a packed lane's sign bit */
#define LANE_LOW11 0x000007ff000007ffull /* p mod 2048 of both lanes */
#define FLAG_BAD ((u32) ~(u32)MLLB_FX_ONE) /* a flag is 0 or 1.0: no other bit */
#define COUNT_BIAS ((u32)MLLB_COUNT_LOW * MLLB_FX_ONE)
/* A looked-up count: x + bias in [0, 64 * 2048) and whole. */
#define COUNT_BAD ((u32) ~(MLLB_COUNT_ENTRIES * MLLB_FX_ONE - 1) | (MLLB_FX_ONE - 1))

/* lo + hi * 2^32 modulo 2^64: sums of packed values are the packed sums. */
static u64 pack2(s64 lo, s64 hi)
{
	return ((u64)hi << 32) + (u64)lo;
}

static s64 mllb_abs64(s64 v)
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
static u32 place_slots(struct mllb_fast_fx *f, unsigned int n, u32 flags,
		       s32 tab_in[2][MLLB_FLAG_SLOTS])
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
 * The ranges of the fast path, largest first. Whole inputs that are multiplied (beyond the
 * count tables) must lie in [-L, L). A fractional input enters as y = x + L >= 0, with weights
 * w + C >= 0 (C: a power of two above every |w| of those inputs), so both lanes of
 * y * (w + C) are non-negative and no borrow crosses from one to the other; a row needs
 * sum(y) < 2^sum_bits, which bounds every y, and |x| <= y + L. Before the final shift a lane
 * holds 2048 * (b1 + flag rows + counts * w) + sum(2048 * floor(x * w / 2048)), kept within
 * s32 so that the packed u64 is exactly its s64 value. Returns 0 if even L = 1.0 does not fit.
 */
static u32 fast_ranges(const struct mllb_model_fx *m, u32 table, u32 counts,
		       struct mllb_fast_fx *f)
{
	unsigned int i, j, k, bits, sum_bits, c_bits = MLLB_FX_SHIFT;

	for (k = 0; k < f->n_frac; k++)
		for (j = 0; j < m->n_hidden; j++)
			while (c_bits < 31 && (1ll << c_bits) <= mllb_abs64(m->w1[f->other_pos[k]][j]))
				c_bits++;
	for (bits = 30; bits >= MLLB_FX_SHIFT; bits--) {
		for (sum_bits = bits; (1ll << sum_bits) < (f->n_frac + 1) * (1ll << bits); sum_bits++)
			;
		/* y < 2^sum_bits and w + C < 2^(c_bits + 1): each lane's product below 2^32 */
		if (f->n_frac && sum_bits + c_bits + 1 > 32)
			continue;
		for (j = 0; j < m->n_hidden; j++) {
			s64 worst = 0, room = S32_MAX - 2048 * (mllb_abs64(m->b1[j]) + f->n_other);

			for (i = 0; i < m->n_in; i++)
				if (table & (1u << i))
					room -= 2048 * mllb_abs64(m->w1[i][j]);
				else if (counts & (1u << i))
					room -= 2048 * (MLLB_COUNT_ENTRIES - MLLB_COUNT_LOW) *
						mllb_abs64(m->w1[i][j]);
			/* room -= L * |w| per input and 2^sum_bits * the largest fractional |w|,
			 * each checked first so that nothing can overflow */
			for (k = 0; k < f->n_other && room >= 0; k++) {
				s64 w = mllb_abs64(m->w1[f->other_pos[k]][j]);

				if (w > (room >> bits))
					room = -1;
				else
					room -= w << bits;
				if (k < f->n_frac)
					worst = w > worst ? w : worst;
			}
			if (room < 0 || worst > (room >> sum_bits))
				break;
		}
		if (j == m->n_hidden) {
			f->other_bias = 1u << bits;
			f->range_bad = ~((2u << bits) - 1);
			f->sum_bits = (u8)sum_bits;
			f->frac_shift = (1ull << c_bits) + (1ull << (c_bits + 32));
			return 1;
		}
	}
	return 0;
}

int mllb_mlp_prepare_fx(struct mllb_model_fx *m, u32 flags, u32 whole)
{
	struct mllb_fast_fx *f = &m->fast;
	unsigned int n = m->n_in, i, k, h, p, s;
	s32 tab_in[2][MLLB_FLAG_SLOTS];
	s64 bound;
	u32 table, counts = 0, all = n >= 32 ? ~0u : (1u << n) - 1;

	f->ready = 0;
	if (n < 2) /* a slot reads two inputs */
		return -EINVAL;
	table = place_slots(f, n, flags & all, tab_in);
	whole = (whole | flags) & all & ~table;
	f->n_counts = 0;
	for (i = 0; i < n && f->n_counts < MLLB_COUNT_TABLES; i++)
		if ((whole & (1u << i)) && !(flags & (1u << i))) {
			f->count_pos[f->n_counts++] = (u8)i;
			counts |= 1u << i;
		}
	whole &= ~counts;
	f->n_other = 0;
	for (i = 0; i < n; i++) /* fractional inputs first: constant offsets in the fast path */
		if (!((table | counts | whole) & (1u << i)))
			f->other_pos[f->n_other++] = (u8)i;
	f->n_frac = f->n_other;
	for (i = 0; i < n; i++)
		if (whole & (1u << i))
			f->other_pos[f->n_other++] = (u8)i;

	if (!fast_ranges(m, table, counts, f))
		return -EINVAL;
	for (k = 0; k < f->n_other; k++) /* fractional rows shifted to non-negative */
		for (p = 0; p < MLLB_PAIRS; p++)
			f->w_other[k][p] = pack2(m->w1[f->other_pos[k]][2 * p],
						 m->w1[f->other_pos[k]][2 * p + 1]) +
					   (k < f->n_frac ? f->frac_shift : 0);
	for (k = 0; k < f->n_counts; k++)
		for (i = 0; i < MLLB_COUNT_ENTRIES; i++) {
			s64 x = ((s64)i - MLLB_COUNT_LOW) * MLLB_FX_ONE;

			for (p = 0; p < MLLB_PAIRS; p++)
				f->count_sums[k][i][p] = pack2(x * m->w1[f->count_pos[k]][2 * p],
							       x * m->w1[f->count_pos[k]][2 * p + 1]);
		}
	for (h = 0; h < 2; h++)
		for (i = 0; i < MLLB_FLAG_ENTRIES; i++)
			for (p = 0; p < MLLB_PAIRS; p++) {
				s64 lo = h ? 0 : m->b1[2 * p], hi = h ? 0 : m->b1[2 * p + 1];
				s64 lo_off = 0, hi_off = 0; /* L * w of the fractional inputs */

				for (s = 0; s < MLLB_FLAG_SLOTS; s++)
					if ((i & (1u << s)) && tab_in[h][s] >= 0) {
						lo += m->w1[tab_in[h][s]][2 * p];
						hi += m->w1[tab_in[h][s]][2 * p + 1];
					}
				for (k = 0; k < f->n_frac && !h; k++) {
					lo_off += (s64)f->other_bias * m->w1[f->other_pos[k]][2 * p];
					hi_off += (s64)f->other_bias *
						  m->w1[f->other_pos[k]][2 * p + 1];
				}
				/* Pre-shifted; table 0 also takes back the L * w of y = x + L. */
				f->flag_sums[h][i][p] = pack2(lo * MLLB_FX_ONE - lo_off,
							      hi * MLLB_FX_ONE - hi_off);
			}
	for (p = 0; p < MLLB_MAX_HIDDEN; p++)
		f->w2[p] = m->w2[p];
	/* Hidden values on the fast path are below 2^20 (2^31 before the shift). */
	bound = mllb_abs64(m->b2) + m->n_hidden;
	for (p = 0; p < m->n_hidden; p++)
		bound += mllb_abs64(m->w2[p]) << (20 - MLLB_FX_SHIFT);
	f->out_exact = bound < S32_MAX;
	f->decide_cut = (s64)m->threshold - m->b2;
	f->full_slots = 1;
	for (s = 0; s < MLLB_FLAG_SLOTS; s++)
		f->full_slots &= f->slot_bad[s] == ((u64)FLAG_BAD << 32 | FLAG_BAD);
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

/* Flags of slot s -> bit 4 + s of each half of t; wrong values -> bits in bad. */
#define SLOT(s)                                                          \
	do {                                                             \
		u64 w = load_pair(in, f->slot_pos[s]);                   \
		bad |= w & f->slot_bad[s];                               \
		t += (w & f->slot_keep[s]) >> (MLLB_FX_SHIFT - 4 - (s)); \
	} while (0)

/*
 * The flag-table indexes, times 16: bit 4 + s of the low / high half is the low / high input
 * of slot s. When all slots hold two flags (paper15, extended) nothing needs masking: a valid
 * row has no other bit, and an invalid one only picks a wrong entry (indexes are masked to the
 * table) before the row is sent to the plain loops.
 */
static inline __attribute__((__always_inline__)) u64
flag_index(const struct mllb_fast_fx *f, const s32 *in, u64 *bad_out)
{
	u64 t = 0, bad = 0;

	if (f->full_slots) {
		u64 w0 = load_pair(in, f->slot_pos[0]), w1 = load_pair(in, f->slot_pos[1]),
		    w2 = load_pair(in, f->slot_pos[2]), w3 = load_pair(in, f->slot_pos[3]),
		    w4 = load_pair(in, f->slot_pos[4]);

		*bad_out = (w0 | w1 | w2 | w3 | w4) & f->slot_bad[0];
		return (w0 + 2 * w1 + 4 * w2 + 8 * w3 + 16 * w4) >> (MLLB_FX_SHIFT - 4);
	}
	SLOT(0);
	SLOT(1);
	SLOT(2);
	SLOT(3);
	SLOT(4);
	*bad_out = bad;
	return t;
}

/*
 * Entry i of a table of MLLB_PAIRS-u64 rows, from x16 = 16 * i (+ bits above the table, which
 * are masked off: a row with wrong values only picks a wrong entry before it is sent to the
 * plain loops). 16 * i * (MLLB_PAIRS / 2) is one lea from x16.
 */
#define ENTRY_AT(table, x16)                                                              \
	((const u64 *)((const char *)(table) +                                            \
		       ((x16) & ((sizeof(table) / sizeof((table)[0]) - 1) << 4)) * (MLLB_PAIRS / 2)))
#define PAIR_EACH(op) op(0), op(1), op(2), op(3), op(4)
#define FROM_TABLES(k) v##k = t0[k] + t1[k]
#define WHOLE(k) v##k += (u64)x * w[k]
/*
 * 2048 * floor(y * w' / 2048) for both lanes at once (no lane is negative, so none borrows).
 * With y = x + L, w' = w + C: x * w = y * w' - C * y - L * w, all multiples of 2048 but the
 * first; table 0 holds -L * w, and C * sum(y) is taken off at the end.
 */
#define FRACTION(k) v##k += (y * w[k]) & keep
#define WHOLE_INPUT(pos, row)                    \
	do {                                     \
		s64 x = in[pos];                 \
		const u64 *w = (row) + c;        \
                                                 \
		whole |= (u32)x + f->other_bias; \
		PAIR_EACH(WHOLE);                \
	} while (0)
#define ADD_ENTRY(k) v##k += e[k]
#define COUNT_INPUT(i)                                                                  \
	do {                                                                            \
		u32 y = (u32)in[f->count_pos[i]] + COUNT_BIAS;                          \
		const u64 *e = ENTRY_AT(f->count_sums[i], y >> (MLLB_FX_SHIFT - 4)) + c; \
                                                                                        \
		counts |= y;                                                            \
		PAIR_EACH(ADD_ENTRY);                                                   \
	} while (0)
#define FRACTION_INPUT(pos, row)                      \
	do {                                          \
		u64 y = (u32)in[pos] + f->other_bias; \
		const u64 *w = (row) + c;             \
                                                      \
		sum += y;                             \
		PAIR_EACH(FRACTION);                  \
	} while (0)
#define UNSHIFT(k) v##k -= shift
/*
 * Unpack both lanes of v = 2^43 * hi + 2^11 * lo still scaled by 2048 (its low 32 bits are
 * 2^11 * lo as an s32; adding 2^31 stops lo borrowing from hi), ReLU, and (h * w2) >> 11 as
 * the plain loops, which is (2048 * h * w2) >> 22.
 */
#define OUTPUT_PAIR(k)                                                                 \
	s64 lo##k = (s32)v##k, hi##k = (s64)(v##k + LANE_BIAS) >> 32;                  \
	lo##k = ((lo##k > 0 ? lo##k : zero) * w2[2 * (k)]) >> (2 * MLLB_FX_SHIFT);     \
	hi##k = ((hi##k > 0 ? hi##k : zero) * w2[2 * (k) + 1]) >> (2 * MLLB_FX_SHIFT)

/*
 * Output-layer sum of the hidden pairs c .. c + MLLB_PAIR_CHUNK - 1 (rows are zero padded).
 * With `bad`, the other inputs are also checked on the way (the result is then only valid if
 * *bad stays 0).
 */
static inline __attribute__((__always_inline__)) s64
pair_chunk(const struct mllb_model_fx *m, const s32 *in, unsigned int c, u64 t, u64 *bad)
{
	const struct mllb_fast_fx *f = &m->fast;
	const u64 *t0 = ENTRY_AT(f->flag_sums[0], t) + c, *t1 = ENTRY_AT(f->flag_sums[1], t >> 32) + c;
	const s64 *w2 = f->w2 + 2 * c;
	u64 PAIR_EACH(FROM_TABLES);
	u32 whole = 0; /* OR of x + L: below 2L iff every x is in [-L, L) */
	u32 counts = 0;
	u64 sum = 0, shift; /* of y = x + L over the fractional inputs: every y <= sum */
	u64 keep = ~LANE_LOW11;
	unsigned int k;

	/* Straight-line code for the usual shapes (two counts, three or more fractions). */
	if (f->n_counts == MLLB_COUNT_TABLES) {
		COUNT_INPUT(0);
		COUNT_INPUT(1);
	} else if (f->n_counts) {
		COUNT_INPUT(0);
	}
	/* none in paper15 and extended: their counts are looked up */
	for (k = f->n_frac; k < f->n_other; k++)
		WHOLE_INPUT(f->other_pos[k], f->w_other[k]);
	k = 0;
	if (f->n_frac >= 3) {
		FRACTION_INPUT(f->other_pos[0], f->w_other[0]);
		FRACTION_INPUT(f->other_pos[1], f->w_other[1]);
		FRACTION_INPUT(f->other_pos[2], f->w_other[2]);
		k = 3;
	}
	for (; k < f->n_frac; k++)
		FRACTION_INPUT(f->other_pos[k], f->w_other[k]);
	shift = sum * f->frac_shift;
	PAIR_EACH(UNSHIFT);
	if (bad) /* L is a multiple of 2048: x + L keeps the low bits of x */
		*bad |= (whole & f->range_bad) | (whole & (MLLB_FX_ONE - 1)) |
			(counts & COUNT_BAD) | (sum >> f->sum_bits);
	s64 zero;

	/* A zero the compiler keeps in a register for the ReLU moves (it would rebuild it). */
	__asm__("" : "=r"(zero) : "0"(0ll));
	OUTPUT_PAIR(0);
	OUTPUT_PAIR(1);
	OUTPUT_PAIR(2);
	OUTPUT_PAIR(3);
	OUTPUT_PAIR(4);
	/* A tree, not a chain: the sum is exact in any order. */
	return ((lo0 + hi0) + (lo1 + hi1)) + ((lo2 + hi2) + (lo3 + hi3)) + (lo4 + hi4);
}

/* Hidden units 10 .. 19, out of line: the paper's model and most others have at most 10. */
static __attribute__((__noinline__)) s64 second_chunk(const struct mllb_model_fx *m,
						      const s32 *in, u64 t)
{
	return pair_chunk(m, in, MLLB_PAIR_CHUNK, t, NULL);
}

/* The output products summed (b2 not included); *bad != 0: the row is not the fast path's. */
static inline __attribute__((__always_inline__)) s64 fast_sum(const struct mllb_model_fx *m,
							       const s32 *in, u64 *bad)
{
	u64 t = flag_index(&m->fast, in, bad);
	s64 sum = pair_chunk(m, in, 0, t, bad);

	if (m->n_hidden > 2 * MLLB_PAIR_CHUNK && !*bad)
		sum += second_chunk(m, in, t);
	return sum;
}

/* The row clamped into the model's input domain (into buf), or the row itself without one. */
static const s32 *clamp_fx(const struct mllb_model_fx *m, const s32 *in, s32 *buf)
{
	unsigned int i;

	if (!m->clamp)
		return in;
	for (i = 0; i < m->n_in; i++)
		buf[i] = in[i] < m->lo[i] ? m->lo[i] : (in[i] > m->hi[i] ? m->hi[i] : in[i]);
	return buf;
}

s32 mllb_mlp_forward_fx(const struct mllb_model_fx *m, const s32 *row)
{
	s32 buf[MLLB_MAX_IN];
	const s32 *in = clamp_fx(m, row, buf);
	s64 sum;
	u64 bad;

	if (!m->fast.ready)
		return forward_plain(m, in);
	sum = fast_sum(m, in, &bad);
	if (bad)
		return forward_plain(m, in);
	return mllb_fx_sat(m->b2 + sum);
}

int mllb_mlp_fast_takes_fx(const struct mllb_model_fx *m, const s32 *row)
{
	s32 buf[MLLB_MAX_IN];
	const s32 *in = clamp_fx(m, row, buf);
	const struct mllb_fast_fx *f = &m->fast;
	unsigned int k;
	u64 bad, sum = 0;

	if (!f->ready)
		return 0;
	flag_index(f, in, &bad);
	for (k = 0; k < f->n_counts; k++)
		bad |= ((u32)in[f->count_pos[k]] + COUNT_BIAS) & COUNT_BAD;
	for (k = 0; k < f->n_frac; k++)
		sum += (u32)in[f->other_pos[k]] + f->other_bias;
	for (; k < f->n_other; k++) {
		u32 y = (u32)in[f->other_pos[k]] + f->other_bias;

		bad |= (y & f->range_bad) | (y & (MLLB_FX_ONE - 1));
	}
	return !bad && !(sum >> f->sum_bits);
}

int mllb_mlp_decide_fx(const struct mllb_model_fx *m, const s32 *row)
{
	s32 buf[MLLB_MAX_IN];
	const s32 *in = clamp_fx(m, row, buf);
	s64 sum;
	u64 bad;

	if (!m->fast.ready)
		return forward_plain(m, in) > m->threshold;
	sum = fast_sum(m, in, &bad);
	if (bad)
		return forward_plain(m, in) > m->threshold;
	if (m->fast.out_exact) /* b2 + sum cannot leave s32: no saturation to apply */
		return sum > m->fast.decide_cut;
	return mllb_fx_sat(m->b2 + sum) > m->threshold;
}
