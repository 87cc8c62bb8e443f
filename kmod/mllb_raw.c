// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/kernel/mllb/decide (binary): the whole decide() path on raw inputs supplied by user
 * space, both implementations, so a test can send captured records and compare the kernel's
 * features + MLP with the user-space build bit for bit.
 *
 * write: up to one page of struct mllb_lb_in, in one write() at offset 0;
 * read:  one struct mllb_raw_out per row of the last write.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <asm/fpu/api.h>

#include "mllb_raw.h"

#define RAW_MAX (PAGE_SIZE / sizeof(struct mllb_lb_in))

static DEFINE_MUTEX(raw_mutex);
static struct mllb_raw_out raw_out[RAW_MAX];
static size_t raw_rows;

ssize_t mllb_raw_write(const char *buf, loff_t pos, size_t count)
{
	const struct mllb_loaded *m;
	struct mllb_lb_in in;
	size_t i, rows = count / sizeof(in);
	s32 x[MLLB_MAX_IN];

	if (pos != 0 || count % sizeof(in) || rows == 0 || rows > RAW_MAX)
		return -EINVAL;
	mllb_model_lock();
	m = mllb_model_locked();
	if (!m) {
		mllb_model_unlock();
		return -ENODATA;
	}
	mutex_lock(&raw_mutex);
	for (i = 0; i < rows; i++) {
		struct mllb_raw_out *o = &raw_out[i];

		memcpy(&in, buf + i * sizeof(in), sizeof(in)); /* buf may be unaligned */
		memset(o, 0, sizeof(*o));
		mllb_features_fx(m->set, &in, x);
		o->fixed_out = mllb_mlp_forward_fx(&m->fx, x);
		o->fixed_decision = mllb_decide_fixed(m, &in);
		kernel_fpu_begin();
		mllb_forward_raw_float(m, &in, &o->float_bits);
		o->float_decision = mllb_decide_float(m, &in);
		kernel_fpu_end();
	}
	raw_rows = rows;
	mutex_unlock(&raw_mutex);
	mllb_model_unlock();
	return count;
}

ssize_t mllb_raw_read(char *buf, loff_t pos, size_t count)
{
	size_t size, n = 0;

	mutex_lock(&raw_mutex);
	size = raw_rows * sizeof(raw_out[0]);
	if (pos < size) {
		n = min_t(size_t, count, size - pos);
		memcpy(buf, (const u8 *)raw_out + pos, n);
	}
	mutex_unlock(&raw_mutex);
	return n;
}
