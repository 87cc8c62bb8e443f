// SPDX-License-Identifier: GPL-2.0-only
/*
 * The current model: one RCU-protected pointer. A new blob is parsed into a fresh copy; only a
 * complete, valid model replaces the old one, so a refused blob leaves the running model as it
 * was. Writers are serialised by a mutex; readers (the scheduler hook) only take RCU.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mllb_kmod.h"

static struct mllb_loaded __rcu *current_model;
static DEFINE_MUTEX(model_mutex);
static unsigned long loads;

static u32 get_le32(const u8 *p)
{
	return (u32)p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24);
}

/* 0, or -EINVAL (shape, length, unknown feature set or an input count that does not match
 * it), -EPROTO (version), -EBADMSG (checksum), -ENOMEM. */
int mllb_model_load(const u8 *buf, size_t len)
{
	struct mllb_loaded *m, *old;
	int err;

	if (len > MLLB_BLOB_MAX)
		return -EINVAL;
	m = kvzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	err = mllb_blob_parse(buf, len, &m->fx, &m->f, &m->info);
	if (!err) {
		m->set = mllb_feature_set_lookup(m->info.feature_set);
		if (m->set < 0 || mllb_feature_count(m->set) != m->fx.n_in)
			err = -EINVAL;
	}
	if (err) {
		kvfree(m);
		return err;
	}
	m->crc = get_le32(buf + len - 4);
	m->blob_len = len;
	memcpy(m->blob, buf, len);

	mutex_lock(&model_mutex);
	old = rcu_dereference_protected(current_model, lockdep_is_held(&model_mutex));
	rcu_assign_pointer(current_model, m);
	loads++;
	mutex_unlock(&model_mutex);
	/* The scheduler may still be inside the old model: free it after every reader left. */
	synchronize_rcu();
	kvfree(old);
	return 0;
}

void mllb_model_lock(void)
{
	mutex_lock(&model_mutex);
}

void mllb_model_unlock(void)
{
	mutex_unlock(&model_mutex);
}

const struct mllb_loaded *mllb_model_locked(void)
{
	return rcu_dereference_protected(current_model, lockdep_is_held(&model_mutex));
}

const struct mllb_loaded *mllb_model_rcu(void)
{
	return rcu_dereference(current_model);
}

unsigned long mllb_model_loads(void)
{
	return READ_ONCE(loads);
}

/* Module exit: the scheduler hook is already unregistered, so no reader can appear. */
void mllb_model_exit(void)
{
	struct mllb_loaded *old;

	mutex_lock(&model_mutex);
	old = rcu_dereference_protected(current_model, lockdep_is_held(&model_mutex));
	RCU_INIT_POINTER(current_model, NULL);
	mutex_unlock(&model_mutex);
	synchronize_rcu();
	kvfree(old);
}
