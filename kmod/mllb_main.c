// SPDX-License-Identifier: GPL-2.0-only
/*
 * mllb.ko: the MLLB model for the JC_SCHED kernel (docs/kernel-interface.md, docs/kmod.md).
 *
 * decide(): raw inputs -> features -> MLP -> migrate (1) / keep (0) / no opinion (-1). The
 * float path runs only inside kernel_fpu_begin()/end() and only where irq_fpu_usable() says so;
 * elsewhere the Q21.11 path answers. Weights never live in this source: models arrive as blobs
 * through /sys/kernel/mllb/model.
 *
 * The scheduler hook is taken with symbol_get(), so the same module loads on a stock kernel
 * (self-test, eval and benchmark only) and on the patched one (registered with the scheduler).
 */
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <asm/fpu/api.h>

#include "mllb_kmod.h"

/* The paper's FXDPT option picks fixed point; a patched kernel otherwise gets float. On a
 * stock kernel nothing decides for the scheduler, and fixed point is the safe default. */
#if defined(CONFIG_JC_SCHED_FXDPT) || !MLLB_HAVE_SCHED_HOOK
int mllb_impl = MLLB_IMPL_FIXED;
#else
int mllb_impl = MLLB_IMPL_FLOAT;
#endif
bool mllb_registered;

int mllb_decide_fixed(const struct mllb_loaded *m, const struct mllb_lb_in *in)
{
	s32 x[MLLB_MAX_IN];

	mllb_features_fx(m->set, in, x);
	return mllb_mlp_decide_fx(&m->fx, x);
}

/* One decision with `impl`; float falls back to fixed where the FPU may not be used. */
int mllb_decide_impl(const struct mllb_loaded *m, const struct mllb_lb_in *in, int impl)
{
	int ret;

	if (impl != MLLB_IMPL_FLOAT || !irq_fpu_usable())
		return mllb_decide_fixed(m, in);
	kernel_fpu_begin();
	ret = mllb_decide_float(m, in);
	kernel_fpu_end();
	return ret;
}

#if MLLB_HAVE_SCHED_HOOK
/* Called by the scheduler with the source rq lock held and interrupts off. */
static int mllb_decide(const struct mllb_lb_in *in)
{
	const struct mllb_loaded *m;
	int ret = -1;

	if (in->p_running) /* a hard condition; the kernel should not ask, but never move it */
		return -1;
	rcu_read_lock();
	m = mllb_model_rcu();
	if (m)
		ret = mllb_decide_impl(m, in, READ_ONCE(mllb_impl));
	rcu_read_unlock();
	return ret;
}

static struct mllb_sched_model mllb_sched_ops = {
	.name = "mllb",
	.owner = THIS_MODULE,
	.decide = mllb_decide,
};

static void mllb_hook_register(void)
{
	int (*reg)(struct mllb_sched_model *m) = symbol_get(mllb_sched_register);

	if (!reg) {
		pr_info("mllb: the kernel has no mllb_sched_register: self-test and benchmark only\n");
		return;
	}
	mllb_registered = reg(&mllb_sched_ops) == 0;
	symbol_put(mllb_sched_register);
	pr_info("mllb: %s with the scheduler\n", mllb_registered ? "registered" : "NOT registered");
}

static void mllb_hook_unregister(void)
{
	void (*unreg)(struct mllb_sched_model *m);

	if (!mllb_registered)
		return;
	unreg = symbol_get(mllb_sched_unregister);
	if (unreg) {
		unreg(&mllb_sched_ops); /* returns after every decide() in flight has finished */
		symbol_put(mllb_sched_unregister);
	}
	mllb_registered = false;
}
#else
static void mllb_hook_register(void)
{
	pr_info("mllb: built without <linux/mllb_sched.h>: self-test and benchmark only\n");
}

static void mllb_hook_unregister(void)
{
}
#endif

static int __init mllb_init(void)
{
	int err;

	mllb_bench_init();
	err = mllb_selftest_run();
	if (err)
		pr_warn("mllb: self-test failed (%d); see /sys/kernel/mllb/selftest\n", err);
	err = mllb_sysfs_init();
	if (err)
		return err;
	mllb_hook_register();
	return 0;
}

static void __exit mllb_exit(void)
{
	mllb_hook_unregister();
	mllb_sysfs_exit();
	mllb_model_exit();
}

module_init(mllb_init);
module_exit(mllb_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("MLLB: an MLP for can_migrate_task(), models loaded at run time");
