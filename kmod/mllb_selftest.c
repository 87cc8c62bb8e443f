// SPDX-License-Identifier: GPL-2.0-only
/*
 * Load-time self-test, model-free (no weights live in the module): the checksum, both feature
 * paths on a hand-computed input, and the blob parser's refusal of garbage. With a model
 * loaded, a rerun (write to /sys/kernel/mllb/selftest) also counts fixed/float agreement on
 * the benchmark inputs. Each check's outcome is kept for `cat selftest`.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <asm/fpu/api.h>

#include "mllb_kmod.h"

static DEFINE_MUTEX(selftest_mutex);
static char report[512];

/* src_len 5 > preferred 2, delta 100 us, newly idle, same node, loads 1500 / 999, dst_len 3,
 * faults -3 of 8, nr_fails 3 > cache_nice_tries 1. */
static const struct mllb_lb_in probe = {
	.delta = 100000,
	.src_load = 1500,
	.dst_load = 999,
	.delta_faults = -3,
	.total_faults = 8,
	.src_len = 5,
	.src_preferred_len = 2,
	.dst_len = 3,
	.nr_fails = 3,
	.cache_nice_tries = 1,
	.cpu_newly_idle = 1,
	.same_node = 1,
};

/* features.py on `probe`, in Q21.11 (999 * 2048 / 1000 = 2045.95 truncates to 2045) ... */
static const s32 probe_fx[MLLB_FS_PAPER15_N] = {
	2048, 2048, 0, 0, 2048, 2048, 0, 0, 3 * 2048, 3072, 2045, 3 * 2048, -768, 2048, 0,
};

/* ... and as float32 bit patterns: 1.0, 3.0, 1.5, 0.999, -0.375. */
static const u32 probe_f[MLLB_FS_PAPER15_N] = {
	0x3f800000, 0x3f800000, 0, 0, 0x3f800000, 0x3f800000, 0, 0,
	0x40400000, 0x3fc00000, 0x3f7fbe77, 0x40400000, 0xbec00000, 0x3f800000, 0,
};

static int check(int *len, const char *name, bool ok)
{
	*len += scnprintf(report + *len, sizeof(report) - *len, "%s %s\n", name,
			  ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
}

int mllb_selftest_run(void)
{
	static const u8 digits[] = "123456789";
	s32 fx[MLLB_MAX_IN];
	u32 fbits[MLLB_MAX_IN];
	struct mllb_model_fx *mfx;
	struct mllb_model_f *mf;
	const struct mllb_loaded *m;
	u8 junk[64] = { 'M', 'L', 'L', 'B' };
	int len = 0, failed = 0;
	bool fpu;

	mutex_lock(&selftest_mutex);
	failed += check(&len, "crc32", mllb_crc32(digits, 9) == 0xcbf43926);

	mllb_features_fx(MLLB_FS_PAPER15, &probe, fx);
	failed += check(&len, "features_fixed", !memcmp(fx, probe_fx, sizeof(probe_fx)));

	fpu = irq_fpu_usable();
	if (fpu) {
		kernel_fpu_begin();
		mllb_features_float_bits(MLLB_FS_PAPER15, &probe, fbits);
		kernel_fpu_end();
	}
	failed += check(&len, "features_float", fpu && !memcmp(fbits, probe_f, sizeof(probe_f)));

	/* The fixed-point model is ~21 KiB with its fast-path tables: an order-3 kmalloc can fail
	 * on a fragmented machine, so allocate it (and its float twin) like the running model. */
	mfx = kvzalloc(sizeof(*mfx), GFP_KERNEL);
	mf = kvzalloc(sizeof(*mf), GFP_KERNEL);
	failed += check(&len, "blob_refuses_garbage",
			mfx && mf && mllb_blob_parse(junk, sizeof(junk), mfx, mf, NULL) < 0);
	kvfree(mfx);
	kvfree(mf);

	mllb_model_lock();
	m = mllb_model_locked();
	if (m) {
		unsigned int i, agree = 0;

		for (i = 0; i < 64; i++) {
			struct mllb_lb_in in = probe;

			in.src_load = 37 * i;
			in.dst_load = 1000 + 53 * i;
			in.src_len = i % 9;
			in.delta = 20000 * i;
			agree += mllb_decide_impl(m, &in, MLLB_IMPL_FIXED) ==
				 mllb_decide_impl(m, &in, MLLB_IMPL_FLOAT);
		}
		len += scnprintf(report + len, sizeof(report) - len,
				 "model_fixed_float_agree %u/64\n", agree);
	}
	mllb_model_unlock();
	len += scnprintf(report + len, sizeof(report) - len, "result %s\n",
			 failed ? "FAIL" : "pass");
	mutex_unlock(&selftest_mutex);
	return failed ? -EIO : 0;
}

ssize_t mllb_selftest_show(char *buf)
{
	ssize_t len;

	mutex_lock(&selftest_mutex);
	len = sysfs_emit(buf, "%s", report);
	mutex_unlock(&selftest_mutex);
	return len;
}
