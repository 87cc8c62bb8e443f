/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The MLLB multilayer perceptron: n_in inputs -> n_hidden ReLU units -> 1 output unit.
 * One source for the kernel and for user space (see mllb_compat.h).
 *
 * Two representations of the same weights:
 *  - struct mllb_model_fx: Q21.11 integers, usable anywhere in the kernel (no FPU);
 *  - struct mllb_model_f:  IEEE single precision, only inside kernel_fpu_begin()/end(), from
 *    code compiled with SSE (mllb_mlp_float.c). Its floats are stored in unions so that code
 *    built without an FPU (the blob parser) can fill them by bit pattern.
 *
 * w1 is row-major [input][hidden], as the paper's arrays; rows are MLLB_MAX_HIDDEN wide so
 * one input's weights are contiguous. The decision is `output > threshold`: 0.5 for the paper's
 * linear-output model, 0 for a model trained on logits. The threshold lives in the model so no
 * caller hard-codes it.
 */
#ifndef MLLB_MLP_H
#define MLLB_MLP_H

#include "mllb_compat.h"

#define MLLB_MAX_IN 32
#define MLLB_CHUNK 10 /* hidden units computed together, accumulators kept in registers */
#define MLLB_MAX_HIDDEN (2 * MLLB_CHUNK)
/* op(0); ... op(9); for the MLLB_CHUNK accumulators of a chunk (unrolled: k must be a literal
 * so the accumulators a0..a9 stay in registers). Bare, so it can also declare them; keep it in
 * step with MLLB_CHUNK. */
#define MLLB_CHUNK_EACH(op) \
	op(0);              \
	op(1);              \
	op(2);              \
	op(3);              \
	op(4);              \
	op(5);              \
	op(6);              \
	op(7);              \
	op(8);              \
	op(9)
/* The same as one statement. */
#define MLLB_CHUNK_DO(op)            \
	do {                         \
		MLLB_CHUNK_EACH(op); \
	} while (0)
/*
 * The fast Q21.11 path packs two hidden units into one u64 (SWAR: value = hi * 2^32 + lo, exact
 * modulo 2^64 while each unit's sum fits in s32) and works on MLLB_PAIR_CHUNK pairs at a time.
 * Flag inputs (0 or 1.0) are read two adjacent inputs per u64 load, MLLB_FLAG_SLOTS loads, and
 * index two tables of weight-row sums, MLLB_FLAG_SLOTS bits each.
 */
#define MLLB_PAIRS (MLLB_MAX_HIDDEN / 2) /* even: a table row is 16 * (MLLB_PAIRS / 2) bytes */
#define MLLB_PAIR_CHUNK 5
#define MLLB_FLAG_SLOTS 5
#define MLLB_FLAG_ENTRIES (1 << MLLB_FLAG_SLOTS)
/* Up to MLLB_COUNT_TABLES whole inputs (queue lengths) are looked up, for values in [-8, 56). */
#define MLLB_COUNT_TABLES 2
#define MLLB_COUNT_ENTRIES 64
#define MLLB_COUNT_LOW 8
#define MLLB_PAPER_IN 15
#define MLLB_PAPER_HIDDEN 10

union mllb_f32 {
	u32 bits;
	float f;
};

/*
 * What the fast path needs, derived from the weights and from which inputs are flags (0 or
 * 1.0) or whole numbers. Only a speed-up: a row whose inputs break these promises, or that
 * could overflow a packed lane, is computed by the plain loops, so results never depend on it.
 */
struct mllb_fast_fx {
	u32 ready;
	u8 n_frac; /* other[0 .. n_frac): fractional inputs, then multiplied whole ones */
	u8 n_other;
	u8 full_slots; /* every slot holds two flags */
	u8 out_exact; /* b2 + the fast path's output sum always fits in s32 */
	u8 n_counts;
	u8 count_pos[MLLB_COUNT_TABLES];
	u8 slot_pos[MLLB_FLAG_SLOTS]; /* a slot reads in[pos] (low half) and in[pos + 1] */
	u8 other_pos[MLLB_MAX_IN];
	u64 slot_keep[MLLB_FLAG_SLOTS]; /* 1.0 in each half that is a table flag */
	u64 slot_bad[MLLB_FLAG_SLOTS]; /* bits that must be 0 in those halves */
	u32 other_bias; /* L: multiplied whole inputs lie in [-L, L); fractional ones enter + L */
	u32 range_bad; /* bits of x + L that must be 0 */
	u8 sum_bits; /* the fractional inputs' sum of x + L must be below 2^sum_bits */
	u64 frac_shift; /* C in both lanes: w + C >= 0 for the fractional inputs' weights */
	/*
	 * flag_sums[h][p][k]: packed pair k of 2048 * (the w1 rows of the flags of half h set in
	 * p), plus, in table 0, 2048 * b1 - L * (the fractional inputs' w1 rows)
	 */
	u64 flag_sums[2][MLLB_FLAG_ENTRIES][MLLB_PAIRS];
	u64 w_other[MLLB_MAX_IN][MLLB_PAIRS]; /* packed w1 rows of other_pos[] (+ C: fractional) */
	/* count_sums[i][e][k]: x * w1 row of count_pos[i], x = (e - MLLB_COUNT_LOW) * 2048 */
	u64 count_sums[MLLB_COUNT_TABLES][MLLB_COUNT_ENTRIES][MLLB_PAIRS];
	s64 w2[MLLB_MAX_HIDDEN]; /* w2 widened once: the products take it from memory */
	s64 decide_cut; /* threshold - b2: with out_exact, decide is sum > decide_cut */
};

struct mllb_model_fx {
	u16 n_in;
	u16 n_hidden;
	s32 w1[MLLB_MAX_IN][MLLB_MAX_HIDDEN];
	s32 b1[MLLB_MAX_HIDDEN];
	s32 w2[MLLB_MAX_HIDDEN];
	s32 b2;
	s32 threshold;
	/*
	 * The training input domain (blob version 2): with `clamp` set, every input is first
	 * clamped to [lo[i], hi[i]], so inputs beyond what training saw (a heavier load's queue
	 * lengths and loads) are not extrapolated by the ReLU units. Version 1 blobs: clamp 0.
	 */
	u32 clamp;
	s32 lo[MLLB_MAX_IN];
	s32 hi[MLLB_MAX_IN];
	/* Filled by mllb_mlp_prepare_fx(); without it (fast.ready == 0) the plain loops run. */
	struct mllb_fast_fx fast;
};

struct mllb_model_f {
	u16 n_in;
	u16 n_hidden;
	union mllb_f32 w1[MLLB_MAX_IN][MLLB_MAX_HIDDEN];
	union mllb_f32 b1[MLLB_MAX_HIDDEN];
	union mllb_f32 w2[MLLB_MAX_HIDDEN];
	union mllb_f32 b2;
	union mllb_f32 threshold;
	u32 clamp; /* as in mllb_model_fx; lo and hi are the same values, exactly */
	union mllb_f32 lo[MLLB_MAX_IN];
	union mllb_f32 hi[MLLB_MAX_IN];
};

/* Fixed point (mllb_mlp_fx.c): inputs and output in Q21.11; inputs are clamped first when
 * the model carries its input domain (m->clamp), in every entry point. */
/* Bit i of `flags` / `whole`: input i is always 0 or 1.0 / always a whole number. */
int mllb_mlp_prepare_fx(struct mllb_model_fx *m, u32 flags, u32 whole);
/* The same with the input kinds of a feature set named in a blob (`len` bytes, NUL padded). */
int mllb_mlp_prepare_named_fx(struct mllb_model_fx *m, const char *feature_set, size_t len);
/* Whether the fast path takes this row (for tests and the benchmark). */
int mllb_mlp_fast_takes_fx(const struct mllb_model_fx *m, const s32 *in);
s32 mllb_mlp_forward_fx(const struct mllb_model_fx *m, const s32 *in);
int mllb_mlp_decide_fx(const struct mllb_model_fx *m, const s32 *in);

/*
 * Float (mllb_mlp_float.c): call between kernel_fpu_begin() and kernel_fpu_end(), from code
 * compiled with SSE. The output goes through a pointer so that no float crosses into code
 * compiled without an FPU.
 */
void mllb_mlp_forward_f(const struct mllb_model_f *m, const float *in, float *out);
int mllb_mlp_decide_f(const struct mllb_model_f *m, const float *in);

#endif /* MLLB_MLP_H */
