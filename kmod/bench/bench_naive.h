/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The baseline for the benchmark: the same model computed the straightforward way, one
 * generic dense layer at a time (layers x outputs x inputs), every product through a helper,
 * no skipping of zero inputs. Same Q21.11 semantics, so its results must equal the real ones.
 */
#ifndef MLLB_BENCH_NAIVE_H
#define MLLB_BENCH_NAIVE_H

#include "../mllb_mlp.h"

s32 mllb_naive_forward_fx(const struct mllb_model_fx *m, const s32 *in);

#endif
