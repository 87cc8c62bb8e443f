// SPDX-License-Identifier: GPL-2.0-only
/*
 * In-kernel latency of one decision (features + MLP) in fixed and float point, on a fixed
 * pseudo-random set of raw inputs in the ranges captures show. Three figures:
 *  fixed        Q21.11 features + MLP;
 *  float        what decide() pays: kernel_fpu_begin()/end() around every decision;
 *  float_batch  the float arithmetic alone (one FPU section per BENCH_CHUNK decisions).
 */
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/string.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sysfs.h>
#include <asm/fpu/api.h>

#include "mllb_kmod.h"

#define BENCH_SET 256 /* a power of two */
#define BENCH_CHUNK 1024 /* decisions between reschedule points */

static struct mllb_lb_in bench_in[BENCH_SET];
static DEFINE_MUTEX(bench_mutex);
static struct {
	unsigned long n;
	u64 fixed_ns, float_ns, float_batch_ns;
	unsigned int agree, set_size;
	char model[MLLB_BLOB_FEATURE_SET_LEN + 1];
} result;

/* xorshift64: the same inputs on every boot, so runs are comparable. */
static u64 next(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

void mllb_bench_init(void)
{
	u64 s = 0x6d6c6c62u; /* "mllb" */
	unsigned int i;

	for (i = 0; i < BENCH_SET; i++) {
		struct mllb_lb_in *in = &bench_in[i];
		u32 idle = next(&s) % 3;

		memset(in, 0, sizeof(*in));
		in->delta = next(&s) % 2000000;
		in->src_load = next(&s) % 3000;
		in->dst_load = next(&s) % 3000;
		in->total_faults = next(&s) % 4 ? 0 : next(&s) % 1000;
		in->delta_faults = in->total_faults ? (s64)(next(&s) % 200) - 100 : 0;
		in->src_len = next(&s) % 20;
		in->src_preferred_len = next(&s) % 3;
		in->dst_len = next(&s) % 20;
		in->nr_fails = next(&s) % 4;
		in->cache_nice_tries = next(&s) % 3;
		in->cpu_idle = idle == 0;
		in->cpu_not_idle = idle == 1;
		in->cpu_newly_idle = idle == 2;
		in->same_node = next(&s) % 8 != 0;
		in->prefer_src = next(&s) % 16 == 0;
		in->prefer_dst = next(&s) % 16 == 0;
		in->buddy_hot = next(&s) % 16 == 0;
		in->sd_smt = next(&s) % 2;
	}
}

/* ns for n decisions; `impl` as mllb_decide_impl(), or -1 for one FPU section per chunk. */
static u64 time_decisions(const struct mllb_loaded *m, unsigned long n, int impl,
			  unsigned long *sink)
{
	unsigned long i = 0, acc = 0;
	u64 total = 0;

	while (i < n) {
		unsigned long end = min(n, i + BENCH_CHUNK);
		u64 t0;

		if (impl < 0) {
			kernel_fpu_begin();
			t0 = ktime_get_ns();
			for (; i < end; i++)
				acc += mllb_decide_float(m, &bench_in[i & (BENCH_SET - 1)]);
			total += ktime_get_ns() - t0;
			kernel_fpu_end();
		} else {
			t0 = ktime_get_ns();
			for (; i < end; i++)
				acc += mllb_decide_impl(m, &bench_in[i & (BENCH_SET - 1)], impl);
			total += ktime_get_ns() - t0;
		}
		cond_resched();
	}
	*sink += acc;
	return total;
}

int mllb_bench_run(unsigned long n)
{
	const struct mllb_loaded *m;
	unsigned long sink = 0;
	unsigned int i, agree = 0;

	if (n == 0 || n > 100000000)
		return -EINVAL;
	if (!irq_fpu_usable())
		return -EBUSY;
	mutex_lock(&bench_mutex);
	mllb_model_lock(); /* no swap while we time it; the scheduler's readers are unaffected */
	m = mllb_model_locked();
	if (!m) {
		mllb_model_unlock();
		mutex_unlock(&bench_mutex);
		return -ENODATA;
	}
	for (i = 0; i < BENCH_SET; i++)
		agree += mllb_decide_impl(m, &bench_in[i], MLLB_IMPL_FIXED) ==
			 mllb_decide_impl(m, &bench_in[i], MLLB_IMPL_FLOAT);
	result.fixed_ns = time_decisions(m, n, MLLB_IMPL_FIXED, &sink);
	result.float_ns = time_decisions(m, n, MLLB_IMPL_FLOAT, &sink);
	result.float_batch_ns = time_decisions(m, n, -1, &sink);
	result.n = n;
	result.agree = agree;
	result.set_size = BENCH_SET;
	strscpy(result.model, m->info.feature_set, sizeof(result.model));
	mllb_model_unlock();
	mutex_unlock(&bench_mutex);
	pr_debug("mllb: bench sink %lu\n", sink);
	return 0;
}

/* ns per decision with two decimals, from integer arithmetic. */
static int per_decision(char *buf, int at, const char *name, u64 ns, unsigned long n)
{
	u64 centi = div64_u64(ns * 100, n);

	return sysfs_emit_at(buf, at, "%s_ns_per_decision %llu.%02llu\n", name, centi / 100,
			     centi % 100);
}

ssize_t mllb_bench_show(char *buf)
{
	ssize_t len = 0;

	mutex_lock(&bench_mutex);
	if (!result.n) {
		mutex_unlock(&bench_mutex);
		return sysfs_emit(buf, "runs 0\n");
	}
	len += sysfs_emit_at(buf, len, "decisions %lu\nfeature_set %s\n", result.n, result.model);
	len += per_decision(buf, len, "fixed", result.fixed_ns, result.n);
	len += per_decision(buf, len, "float", result.float_ns, result.n);
	len += per_decision(buf, len, "float_batch", result.float_batch_ns, result.n);
	len += sysfs_emit_at(buf, len, "fixed_float_agree %u/%u\n", result.agree,
			     result.set_size);
	mutex_unlock(&bench_mutex);
	return len;
}
