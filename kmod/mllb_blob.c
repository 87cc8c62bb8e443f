// SPDX-License-Identifier: GPL-2.0-only
/*
 * Blob parser and validator, kernel style: no allocation, no libc, explicit little-endian
 * reads (the buffer may be unaligned), every length checked before it is used.
 */
#include "mllb_blob.h"
#include "mllb_fixed.h"

static u16 get_le16(const u8 *p)
{
	return (u16)(p[0] | (p[1] << 8));
}

static u32 get_le32(const u8 *p)
{
	return (u32)p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24);
}

/* Bitwise CRC-32 (reflected polynomial 0xEDB88320): slow but tiny; blobs are a few KB. */
u32 mllb_crc32(const u8 *buf, size_t len)
{
	u32 crc = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= buf[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static size_t payload_words(unsigned int n_in, unsigned int n_hidden)
{
	return (size_t)n_in * n_hidden + 2 * (size_t)n_hidden + 1;
}

static void clear_models(struct mllb_model_fx *fx, struct mllb_model_f *f)
{
	unsigned int i, j;

	fx->fast.ready = 0;
	fx->clamp = f->clamp = 0;
	for (i = 0; i < MLLB_MAX_IN; i++) {
		fx->lo[i] = fx->hi[i] = 0;
		f->lo[i].bits = f->hi[i].bits = 0;
		for (j = 0; j < MLLB_MAX_HIDDEN; j++) {
			fx->w1[i][j] = 0;
			f->w1[i][j].bits = 0;
		}
	}
	for (j = 0; j < MLLB_MAX_HIDDEN; j++) {
		fx->b1[j] = 0;
		fx->w2[j] = 0;
		f->b1[j].bits = 0;
		f->w2[j].bits = 0;
	}
}

/* Both halves of the payload have the same order; `word(k)` reads the k-th u32 of a half. */
static void fill_models(const u8 *p, size_t words, unsigned int n_in, unsigned int n_hidden,
			struct mllb_model_fx *fx, struct mllb_model_f *f)
{
	const u8 *q = p + words * 4;
	size_t k = 0;
	unsigned int i, j;

	for (i = 0; i < n_in; i++)
		for (j = 0; j < n_hidden; j++, k++) {
			f->w1[i][j].bits = get_le32(p + 4 * k);
			fx->w1[i][j] = (s32)get_le32(q + 4 * k);
		}
	for (j = 0; j < n_hidden; j++, k++) {
		f->b1[j].bits = get_le32(p + 4 * k);
		fx->b1[j] = (s32)get_le32(q + 4 * k);
	}
	for (j = 0; j < n_hidden; j++, k++) {
		f->w2[j].bits = get_le32(p + 4 * k);
		fx->w2[j] = (s32)get_le32(q + 4 * k);
	}
	f->b2.bits = get_le32(p + 4 * k);
	fx->b2 = (s32)get_le32(q + 4 * k);
}

/*
 * The Q21.11 value k of a float32 (by its bits) that is exactly k / 2048 with k in s32, or
 * -ERANGE (NaN, infinity, not on the Q21.11 grid, or beyond s32). Integer arithmetic only.
 */
static int f32_bits_to_fx(u32 bits, s32 *out)
{
	u32 exp = (bits >> 23) & 0xff, man = bits & 0x7fffff;
	int shift;
	s64 k;

	if (exp == 0xff || (exp == 0 && man))
		return -ERANGE; /* NaN, infinity, subnormal (far below 1 / 2048) */
	if (exp == 0) {
		*out = 0;
		return 0;
	}
	man |= 0x800000;
	shift = (int)exp - 150 + MLLB_FX_SHIFT; /* value * 2048 = man * 2^shift */
	if (shift < 0) {
		if (shift <= -24 || (man & ((1u << -shift) - 1)))
			return -ERANGE;
		k = man >> -shift;
	} else {
		if (shift > 8)
			return -ERANGE;
		k = (s64)man << shift;
	}
	if (bits >> 31)
		k = -k;
	if (k > S32_MAX || k < S32_MIN)
		return -ERANGE;
	*out = (s32)k;
	return 0;
}

/*
 * Version 2's input ranges, after the weights: float32 lo[n_in], hi[n_in], then Q21.11
 * lo[n_in], hi[n_in]. Both forms must be the same numbers exactly, so the float and the
 * fixed-point path clamp to the same domain: -ERANGE if not, -EINVAL if lo > hi.
 */
static int check_ranges(const u8 *p, unsigned int n_in)
{
	const u8 *q = p + 8 * (size_t)n_in;
	unsigned int i, h;
	s32 v;

	for (i = 0; i < n_in; i++) {
		for (h = 0; h < 2; h++) {
			size_t at = 4 * (h * (size_t)n_in + i);

			if (f32_bits_to_fx(get_le32(p + at), &v) || v != (s32)get_le32(q + at))
				return -ERANGE;
		}
		if ((s32)get_le32(q + 4 * i) > (s32)get_le32(q + 4 * (n_in + i)))
			return -EINVAL;
	}
	return 0;
}

static void fill_ranges(const u8 *p, unsigned int n_in, struct mllb_model_fx *fx,
			struct mllb_model_f *f)
{
	const u8 *q = p + 8 * (size_t)n_in;
	unsigned int i;

	for (i = 0; i < n_in; i++) {
		f->lo[i].bits = get_le32(p + 4 * i);
		f->hi[i].bits = get_le32(p + 4 * (n_in + i));
		fx->lo[i] = (s32)get_le32(q + 4 * i);
		fx->hi[i] = (s32)get_le32(q + 4 * (n_in + i));
	}
	fx->clamp = f->clamp = 1;
}

int mllb_blob_parse(const u8 *buf, size_t len, struct mllb_model_fx *fx,
		    struct mllb_model_f *f, struct mllb_blob_info *info)
{
	unsigned int n_in, n_hidden, i, version;
	size_t words, payload_len, ranges_len;
	int err;

	if (!buf || len < MLLB_BLOB_HEADER_LEN + 4)
		return -EINVAL;
	if (buf[0] != 'M' || buf[1] != 'L' || buf[2] != 'L' || buf[3] != 'B')
		return -EINVAL;
	version = get_le16(buf + 4);
	if (version != MLLB_BLOB_VERSION_PLAIN && version != MLLB_BLOB_VERSION_RANGES)
		return -EPROTO;
	if (get_le16(buf + 6) != MLLB_BLOB_HEADER_LEN)
		return -EINVAL;
	if (mllb_crc32(buf, len - 4) != get_le32(buf + len - 4))
		return -EBADMSG;

	n_in = get_le16(buf + 8);
	n_hidden = get_le16(buf + 10);
	if (n_in == 0 || n_in > MLLB_MAX_IN || n_hidden == 0 || n_hidden > MLLB_MAX_HIDDEN)
		return -EINVAL;
	if (buf[12] > MLLB_OUTPUT_LOGIT || buf[13] != 0 || get_le16(buf + 14) != 0)
		return -EINVAL;
	words = payload_words(n_in, n_hidden);
	ranges_len = version == MLLB_BLOB_VERSION_RANGES ? 4 * 4 * (size_t)n_in : 0;
	payload_len = get_le32(buf + 24);
	if (payload_len != 2 * 4 * words + ranges_len ||
	    len != MLLB_BLOB_HEADER_LEN + payload_len + 4)
		return -EINVAL;
	if (ranges_len) {
		err = check_ranges(buf + MLLB_BLOB_HEADER_LEN + 2 * 4 * words, n_in);
		if (err)
			return err;
	}

	clear_models(fx, f);
	fx->n_in = f->n_in = (u16)n_in;
	fx->n_hidden = f->n_hidden = (u16)n_hidden;
	f->threshold.bits = get_le32(buf + 16);
	fx->threshold = (s32)get_le32(buf + 20);
	fill_models(buf + MLLB_BLOB_HEADER_LEN, words, n_in, n_hidden, fx, f);
	if (ranges_len)
		fill_ranges(buf + MLLB_BLOB_HEADER_LEN + 2 * 4 * words, n_in, fx, f);
	/* Only a speed-up: a model the fast path cannot take runs the plain loops. */
	mllb_mlp_prepare_named_fx(fx, (const char *)buf + 28, MLLB_BLOB_FEATURE_SET_LEN);

	if (info) {
		info->version = (u16)version;
		info->output_kind = buf[12];
		for (i = 0; i < MLLB_BLOB_FEATURE_SET_LEN; i++)
			info->feature_set[i] = (char)buf[28 + i];
		info->feature_set[MLLB_BLOB_FEATURE_SET_LEN] = '\0';
	}
	return 0;
}
