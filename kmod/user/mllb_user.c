// SPDX-License-Identifier: GPL-2.0-only
/*
 * User-space shim over the kernel MLP sources: a model handle loaded from a blob (so the blob
 * parser is exercised on every load) and batch entry points for ctypes. The only file that
 * uses libc.
 */
#include <stddef.h>
#include <stdlib.h>

#include "../mllb_blob.h"
#include "../mllb_features.h"
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

/* Which rows the fast Q21.11 path takes (1) or sends to the plain loops (0); for tests. */
void mllb_user_fast_rows_fx(const struct mllb_user_model *h, const s32 *x, size_t rows,
			    u8 *taken)
{
	size_t r;

	for (r = 0; r < rows; r++)
		taken[r] = (u8)mllb_mlp_fast_takes_fx(&h->fx, x + r * h->fx.n_in);
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

/* Feature extraction (mllb_features*.c) over rows of struct mllb_lb_in. */

/* Byte offset of every field of struct mllb_lb_in in declaration order, so the Python side
 * can check its record layout against the compiler's. Returns the number of fields. */
size_t mllb_user_lb_in_layout(size_t *offsets, size_t *size)
{
	static const size_t off[] = {
		offsetof(struct mllb_lb_in, delta),
		offsetof(struct mllb_lb_in, src_load),
		offsetof(struct mllb_lb_in, dst_load),
		offsetof(struct mllb_lb_in, delta_faults),
		offsetof(struct mllb_lb_in, total_faults),
		offsetof(struct mllb_lb_in, group_delta_faults),
		offsetof(struct mllb_lb_in, group_total_faults),
		offsetof(struct mllb_lb_in, src_cpu),
		offsetof(struct mllb_lb_in, dst_cpu),
		offsetof(struct mllb_lb_in, src_len),
		offsetof(struct mllb_lb_in, src_numa_len),
		offsetof(struct mllb_lb_in, src_preferred_len),
		offsetof(struct mllb_lb_in, dst_len),
		offsetof(struct mllb_lb_in, nr_fails),
		offsetof(struct mllb_lb_in, cache_nice_tries),
		offsetof(struct mllb_lb_in, cpu_idle),
		offsetof(struct mllb_lb_in, cpu_not_idle),
		offsetof(struct mllb_lb_in, cpu_newly_idle),
		offsetof(struct mllb_lb_in, same_node),
		offsetof(struct mllb_lb_in, prefer_src),
		offsetof(struct mllb_lb_in, prefer_dst),
		offsetof(struct mllb_lb_in, buddy_hot),
		offsetof(struct mllb_lb_in, sd_smt),
		offsetof(struct mllb_lb_in, sd_numa),
		offsetof(struct mllb_lb_in, lbf_active),
		offsetof(struct mllb_lb_in, per_cpu_kthread),
		offsetof(struct mllb_lb_in, p_running),
	};
	size_t i, n = sizeof(off) / sizeof(off[0]);

	for (i = 0; i < n; i++)
		offsets[i] = off[i];
	*size = sizeof(struct mllb_lb_in);
	return n;
}

/* Inputs per row of the set called `name`, or -EINVAL. */
int mllb_user_feature_count(const char *name)
{
	int set = mllb_feature_set_lookup(name);

	return set < 0 ? set : (int)mllb_feature_count(set);
}

/* `out` holds rows * mllb_user_feature_count(name) values. Returns 0 or -EINVAL. */
int mllb_user_features_fx(const char *name, const struct mllb_lb_in *in, size_t rows, s32 *out)
{
	int set = mllb_feature_set_lookup(name);
	size_t r, n = mllb_feature_count(set);

	if (set < 0)
		return set;
	for (r = 0; r < rows; r++)
		mllb_features_fx(set, &in[r], out + r * n);
	return 0;
}

int mllb_user_features_f(const char *name, const struct mllb_lb_in *in, size_t rows, float *out)
{
	int set = mllb_feature_set_lookup(name);
	size_t r, n = mllb_feature_count(set);

	if (set < 0)
		return set;
	for (r = 0; r < rows; r++)
		mllb_features_f(set, &in[r], out + r * n);
	return 0;
}
