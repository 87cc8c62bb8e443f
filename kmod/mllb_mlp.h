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
#define MLLB_ONES_GROUP 4 /* inputs per lookup in the table of weight-row sums */
#define MLLB_ONES_GROUPS (MLLB_MAX_IN / MLLB_ONES_GROUP)
#define MLLB_PAPER_IN 15
#define MLLB_PAPER_HIDDEN 10

union mllb_f32 {
	u32 bits;
	float f;
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
	 * Speed-up filled by mllb_mlp_prepare_fx(): ones[g][p][j] is the sum of w1[i][j] over the
	 * inputs i of group g whose bit is set in p. An input equal to 1.0 contributes exactly its
	 * weight, so flags are added a group at a time. Optional: without it (ones_ready == 0)
	 * the forward pass computes the same result the long way.
	 */
	u32 ones_ready;
	s32 ones[MLLB_ONES_GROUPS][1 << MLLB_ONES_GROUP][MLLB_MAX_HIDDEN];
};

struct mllb_model_f {
	u16 n_in;
	u16 n_hidden;
	union mllb_f32 w1[MLLB_MAX_IN][MLLB_MAX_HIDDEN];
	union mllb_f32 b1[MLLB_MAX_HIDDEN];
	union mllb_f32 w2[MLLB_MAX_HIDDEN];
	union mllb_f32 b2;
	union mllb_f32 threshold;
};

/* Fixed point (mllb_mlp_fx.c): inputs and output in Q21.11. */
int mllb_mlp_prepare_fx(struct mllb_model_fx *m);
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
