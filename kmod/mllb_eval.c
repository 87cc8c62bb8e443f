// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/kernel/mllb/eval: one model input vector in, both implementations' answers out, so a
 * test can check the golden vector inside the kernel. Numbers are plain decimals ("0.008"),
 * parsed without the FPU as num / 10^k and converted exactly: Q21.11 by the kernel's
 * (a << 11) / b rule, float as one correctly rounded division.
 */
#include <linux/ctype.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sysfs.h>
#include <asm/fpu/api.h>

#include "mllb_eval.h"

#define MAX_DIGITS 15 /* so num fits a double exactly (< 2^53) */

static DEFINE_MUTEX(eval_mutex);
static struct {
	bool valid;
	struct mllb_eval_f f;
	s32 fx_raw;
	int fx_decision;
} last;

/* One decimal at *p: [-|+]digits[.digits], at most MAX_DIGITS significant. Advances *p. */
static int parse_decimal(const char **p, s64 *num, u64 *den)
{
	const char *s = *p;
	bool neg = false, point = false, seen = false;
	unsigned int digits = 0;
	u64 mant = 0, scale = 1;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (;; s++) {
		if (*s == '.' && !point) {
			point = true;
			continue;
		}
		if (!isdigit(*s))
			break;
		seen = true;
		if ((mant || *s != '0') && ++digits > MAX_DIGITS)
			return -EINVAL;
		mant = mant * 10 + (*s - '0');
		if (point) {
			if (scale >= 1000000000000000000ULL)
				return -EINVAL;
			scale *= 10;
		}
	}
	if (!seen)
		return -EINVAL;
	*num = neg ? -(s64)mant : (s64)mant;
	*den = scale;
	*p = s;
	return 0;
}

int mllb_eval_write(const char *buf, size_t count)
{
	s64 num[MLLB_MAX_IN];
	u64 den[MLLB_MAX_IN];
	s32 fx[MLLB_MAX_IN];
	const struct mllb_loaded *m;
	const char *p = buf, *end = buf + count;
	unsigned int n = 0, i;
	int err;

	while (p < end && *p && n < MLLB_MAX_IN) {
		while (p < end && isspace(*p))
			p++;
		if (p >= end || !*p)
			break;
		err = parse_decimal(&p, &num[n], &den[n]);
		if (err)
			return err;
		n++;
		while (p < end && isspace(*p))
			p++;
		if (p < end && *p == ',')
			p++;
		else
			break;
	}
	while (p < end && isspace(*p))
		p++;
	if (p < end && *p)
		return -EINVAL; /* junk or more than MLLB_MAX_IN values */

	mllb_model_lock();
	m = mllb_model_locked();
	if (!m) {
		mllb_model_unlock();
		return -ENODATA;
	}
	if (n != m->fx.n_in) {
		mllb_model_unlock();
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		fx[i] = mllb_fx_ratio(num[i], den[i]);
	mutex_lock(&eval_mutex);
	last.fx_raw = mllb_mlp_forward_fx(&m->fx, fx);
	last.fx_decision = mllb_mlp_decide_fx(&m->fx, fx);
	kernel_fpu_begin();
	mllb_eval_float(m, num, den, &last.f);
	kernel_fpu_end();
	last.valid = true;
	mutex_unlock(&eval_mutex);
	mllb_model_unlock();
	return 0;
}

/* A signed value scaled by `one` as a decimal with six places, without the FPU. */
static int emit_scaled(char *buf, int at, const char *name, s64 v, u64 one)
{
	u64 mag = v < 0 ? 0 - (u64)v : (u64)v;
	u64 frac = div64_u64((mag % one) * 1000000, one); /* truncated; one <= 10^6 */

	return sysfs_emit_at(buf, at, "%s %s%llu.%06llu\n", name, v < 0 ? "-" : "",
			     div64_u64(mag, one), frac);
}

ssize_t mllb_eval_show(char *buf)
{
	ssize_t len = 0;

	mutex_lock(&eval_mutex);
	if (!last.valid) {
		mutex_unlock(&eval_mutex);
		return sysfs_emit(buf, "none\n");
	}
	len += emit_scaled(buf, len, "float", last.f.micro, 1000000);
	len += sysfs_emit_at(buf, len, "float_bits 0x%08x\nfloat_decision %d\n", last.f.bits,
			     last.f.decision);
	len += sysfs_emit_at(buf, len, "fixed_raw %d\n", last.fx_raw);
	len += emit_scaled(buf, len, "fixed", last.fx_raw, MLLB_FX_ONE);
	len += sysfs_emit_at(buf, len, "fixed_decision %d\n", last.fx_decision);
	mutex_unlock(&eval_mutex);
	return len;
}
