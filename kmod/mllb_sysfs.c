// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/kernel/mllb/: model (binary, the blob), decide (binary, raw inputs), info, impl, eval,
 * bench, selftest (docs/kmod.md).
 *
 * `model` is a binary attribute because blobs may exceed a page (32 x 20 models). sysfs hands
 * a long write() over in page-sized pieces, so pieces are staged until the length the header
 * announces is reached; the header is checked as soon as it is complete and the whole blob at
 * the last piece, whose write() then fails on a bad blob. A write at offset 0 starts afresh.
 */
#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "mllb_eval.h"
#include "mllb_kmod.h"
#include "mllb_raw.h"

static struct kobject *mllb_kobj;
static DEFINE_MUTEX(stage_mutex);
static u8 stage[MLLB_BLOB_MAX];
static size_t staged, expected;

static u16 le16(const u8 *p)
{
	return (u16)(p[0] | (p[1] << 8));
}

/* Header checks that need no payload; the full parse repeats them. Returns the blob length. */
static long blob_length(const u8 *h)
{
	u32 payload = (u32)h[24] | ((u32)h[25] << 8) | ((u32)h[26] << 16) | ((u32)h[27] << 24);

	if (memcmp(h, "MLLB", 4))
		return -EINVAL;
	if (le16(h + 4) != MLLB_BLOB_VERSION_PLAIN && le16(h + 4) != MLLB_BLOB_VERSION_RANGES)
		return -EPROTO;
	if (le16(h + 6) != MLLB_BLOB_HEADER_LEN)
		return -EINVAL;
	if (payload > MLLB_BLOB_MAX - MLLB_BLOB_HEADER_LEN - 4)
		return -EINVAL;
	return MLLB_BLOB_HEADER_LEN + payload + 4;
}

static ssize_t model_write(struct file *file, struct kobject *kobj, struct bin_attribute *attr,
			   char *buf, loff_t pos, size_t count)
{
	ssize_t ret = count;
	long want;

	mutex_lock(&stage_mutex);
	if (pos == 0)
		staged = expected = 0;
	if (pos != staged || count > MLLB_BLOB_MAX - staged) {
		ret = -EINVAL;
		goto reset;
	}
	memcpy(stage + staged, buf, count);
	staged += count;
	if (!expected && staged >= 28) {
		want = blob_length(stage);
		if (want < 0) {
			ret = want;
			goto reset;
		}
		expected = want;
	}
	if (!expected || staged < expected)
		goto out; /* more pieces to come */
	if (staged > expected) {
		ret = -EINVAL;
		goto reset;
	}
	ret = mllb_model_load(stage, staged);
	if (ret == 0)
		ret = count;
reset:
	if (ret < 0)
		pr_info("mllb: blob refused (%zd); the running model is unchanged\n", ret);
	staged = expected = 0;
out:
	mutex_unlock(&stage_mutex);
	return ret;
}

/* Reading `model` gives back the loaded blob (e.g. for cmp with the exported file). */
static ssize_t model_read(struct file *file, struct kobject *kobj, struct bin_attribute *attr,
			  char *buf, loff_t pos, size_t count)
{
	const struct mllb_loaded *m;
	ssize_t n = 0;

	mllb_model_lock();
	m = mllb_model_locked();
	if (m && pos < m->blob_len) {
		n = min_t(size_t, count, m->blob_len - pos);
		memcpy(buf, m->blob + pos, n);
	}
	mllb_model_unlock();
	return n;
}

static BIN_ATTR(model, 0600, model_read, model_write, 0);

static ssize_t decide_write(struct file *file, struct kobject *kobj, struct bin_attribute *attr,
			    char *buf, loff_t pos, size_t count)
{
	return mllb_raw_write(buf, pos, count);
}

static ssize_t decide_read(struct file *file, struct kobject *kobj, struct bin_attribute *attr,
			   char *buf, loff_t pos, size_t count)
{
	return mllb_raw_read(buf, pos, count);
}

static BIN_ATTR(decide, 0600, decide_read, decide_write, 0);

static const char *const impl_names[] = { "fixed", "float" };
static const char *const output_names[] = { "linear", "logit" };

static ssize_t info_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	const struct mllb_loaded *m;
	ssize_t len = 0;

	mllb_model_lock();
	m = mllb_model_locked();
	len += sysfs_emit_at(buf, len, "loaded %d\n", m ? 1 : 0);
	if (m) {
		len += sysfs_emit_at(buf, len, "feature_set %s\nn_in %u\nn_hidden %u\n",
				     m->info.feature_set, m->fx.n_in, m->fx.n_hidden);
		len += sysfs_emit_at(buf, len, "output %s\ncrc 0x%08x\nblob_bytes %zu\n",
				     output_names[m->info.output_kind], m->crc, m->blob_len);
		len += sysfs_emit_at(buf, len, "blob_version %u\nclamp %u\n", m->info.version,
				     m->fx.clamp);
	}
	mllb_model_unlock();
	len += sysfs_emit_at(buf, len, "loads %lu\nimpl %s\nregistered %d\n", mllb_model_loads(),
			     impl_names[READ_ONCE(mllb_impl)], mllb_registered);
	len += sysfs_emit_at(buf, len, "hook %s\n",
			     MLLB_HAVE_SCHED_HOOK ? "built with linux/mllb_sched.h" : "none");
	return len;
}

static ssize_t impl_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", impl_names[READ_ONCE(mllb_impl)]);
}

static ssize_t impl_store(struct kobject *kobj, struct kobj_attribute *attr, const char *buf,
			  size_t count)
{
	int i = sysfs_match_string(impl_names, buf);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(mllb_impl, i);
	return count;
}

static ssize_t eval_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return mllb_eval_show(buf);
}

static ssize_t eval_store(struct kobject *kobj, struct kobj_attribute *attr, const char *buf,
			  size_t count)
{
	int err = mllb_eval_write(buf, count);

	return err ? err : count;
}

static ssize_t bench_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return mllb_bench_show(buf);
}

static ssize_t bench_store(struct kobject *kobj, struct kobj_attribute *attr, const char *buf,
			   size_t count)
{
	unsigned long n;
	int err = kstrtoul(buf, 0, &n);

	if (!err)
		err = mllb_bench_run(n);
	return err ? err : count;
}

static ssize_t selftest_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return mllb_selftest_show(buf);
}

/* Any write reruns the self-test; the write fails if a check does. */
static ssize_t selftest_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	int err = mllb_selftest_run();

	return err ? err : count;
}

static struct kobj_attribute info_attr = __ATTR_RO(info);
static struct kobj_attribute impl_attr = __ATTR(impl, 0644, impl_show, impl_store);
static struct kobj_attribute eval_attr = __ATTR(eval, 0600, eval_show, eval_store);
static struct kobj_attribute bench_attr = __ATTR(bench, 0600, bench_show, bench_store);
static struct kobj_attribute selftest_attr = __ATTR(selftest, 0644, selftest_show,
						    selftest_store);

static struct attribute *mllb_attrs[] = {
	&info_attr.attr, &impl_attr.attr, &eval_attr.attr, &bench_attr.attr, &selftest_attr.attr,
	NULL,
};

static struct bin_attribute *mllb_bin_attrs[] = { &bin_attr_model, &bin_attr_decide, NULL };

static const struct attribute_group mllb_group = {
	.attrs = mllb_attrs,
	.bin_attrs = mllb_bin_attrs,
};

int mllb_sysfs_init(void)
{
	int err;

	mllb_kobj = kobject_create_and_add("mllb", kernel_kobj);
	if (!mllb_kobj)
		return -ENOMEM;
	err = sysfs_create_group(mllb_kobj, &mllb_group);
	if (err)
		kobject_put(mllb_kobj);
	return err;
}

void mllb_sysfs_exit(void)
{
	sysfs_remove_group(mllb_kobj, &mllb_group);
	kobject_put(mllb_kobj);
}
