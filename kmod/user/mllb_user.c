// SPDX-License-Identifier: GPL-2.0-only
/*
 * User-space shim over the kernel MLP sources: a model handle loaded from a blob (so the blob
 * parser is exercised on every load) and batch entry points for ctypes. The only file that
 * uses libc.
 */
#include <stdlib.h>

#include "../mllb_blob.h"
#include "../mllb_fixed.h"
#include "../mllb_mlp.h"

struct mllb_user_model {
	struct mllb_model_fx fx;
	struct mllb_model_f f;
	struct mllb_blob_info info;
};

struct mllb_user_model *mllb_user_load(const u8 *buf, size_t len, int *err)
{
	struct mllb_user_model *h = calloc(1, sizeof(*h));

	if (!h) {
		*err = -12; /* ENOMEM */
		return NULL;
	}
	*err = mllb_blob_parse(buf, len, &h->fx, &h->f, &h->info);
	if (*err) {
		free(h);
		return NULL;
	}
	return h;
}

void mllb_user_free(struct mllb_user_model *h)
{
	free(h);
}

int mllb_user_n_in(const struct mllb_user_model *h)
{
	return h->fx.n_in;
}

const char *mllb_user_feature_set(const struct mllb_user_model *h)
{
	return h->info.feature_set;
}

/* Rows are n_in values each, row-major; `decision` may be NULL. */
void mllb_user_forward_f(const struct mllb_user_model *h, const float *x, size_t rows,
			 float *out, u8 *decision)
{
	size_t r;

	for (r = 0; r < rows; r++) {
		const float *in = x + r * h->f.n_in;

		mllb_mlp_forward_f(&h->f, in, &out[r]);
		if (decision)
			decision[r] = (u8)mllb_mlp_decide_f(&h->f, in);
	}
}

void mllb_user_forward_fx(const struct mllb_user_model *h, const s32 *x, size_t rows, s32 *out,
			  u8 *decision)
{
	size_t r;

	for (r = 0; r < rows; r++) {
		const s32 *in = x + r * h->fx.n_in;

		out[r] = mllb_mlp_forward_fx(&h->fx, in);
		if (decision)
			decision[r] = (u8)mllb_mlp_decide_fx(&h->fx, in);
	}
}

s32 mllb_user_fx_from_int(s64 x)
{
	return mllb_fx_from_int(x);
}

s32 mllb_user_fx_div(s32 a, s32 b)
{
	return mllb_fx_div(a, b);
}

s32 mllb_user_fx_mul(s32 a, s32 b)
{
	return mllb_fx_mul(a, b);
}

u32 mllb_user_crc32(const u8 *buf, size_t len)
{
	return mllb_crc32(buf, len);
}
