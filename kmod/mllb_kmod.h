/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-only pieces of mllb.ko shared between its files. The files listed in Kbuild's
 * MLLB_FPU_OBJS are compiled with SSE; everything else never touches a float, so functions
 * crossing that line pass floats by bit pattern (u32) or as scaled integers.
 */
#ifndef MLLB_KMOD_H
#define MLLB_KMOD_H

#include "mllb_blob.h"
#include "mllb_features.h"
#include "mllb_mlp.h"

/* Largest valid blob: 32 x 20 weights, float and Q21.11, the input ranges (version 2), header
 * and CRC. */
#define MLLB_BLOB_MAX                                                                        \
	(MLLB_BLOB_HEADER_LEN + 8 * (MLLB_MAX_IN * MLLB_MAX_HIDDEN + 2 * MLLB_MAX_HIDDEN + 1) + \
	 16 * MLLB_MAX_IN + 4)

enum mllb_impl { MLLB_IMPL_FIXED = 0, MLLB_IMPL_FLOAT = 1 };

/* One loaded model: both weight forms, what the blob said, and the blob itself (readable back
 * from /sys/kernel/mllb/model). Replaced as a whole under RCU, never changed in place. */
struct mllb_loaded {
	struct mllb_model_fx fx;
	struct mllb_model_f f;
	struct mllb_blob_info info;
	int set; /* enum mllb_feature_set */
	u32 crc;
	size_t blob_len;
	u8 blob[MLLB_BLOB_MAX];
};

/* mllb_model.c: the current model and its replacement. */
int mllb_model_load(const u8 *buf, size_t len);
void mllb_model_lock(void);
void mllb_model_unlock(void);
const struct mllb_loaded *mllb_model_locked(void); /* with mllb_model_lock() held */
const struct mllb_loaded *mllb_model_rcu(void); /* inside rcu_read_lock() */
unsigned long mllb_model_loads(void);
void mllb_model_exit(void);

/* mllb_main.c: the decision itself and the implementation in use. */
extern int mllb_impl;
extern bool mllb_registered;
int mllb_decide_fixed(const struct mllb_loaded *m, const struct mllb_lb_in *in);
int mllb_decide_impl(const struct mllb_loaded *m, const struct mllb_lb_in *in, int impl);

/* mllb_kfloat.c (FPU): call only between kernel_fpu_begin() and kernel_fpu_end(). */
int mllb_decide_float(const struct mllb_loaded *m, const struct mllb_lb_in *in);
void mllb_forward_raw_float(const struct mllb_loaded *m, const struct mllb_lb_in *in, u32 *bits);
struct mllb_eval_f {
	u32 bits; /* float32 output */
	s64 micro; /* output * 10^6, rounded half away from zero */
	int decision;
};
void mllb_eval_float(const struct mllb_loaded *m, const s64 *num, const u64 *den,
		     struct mllb_eval_f *out);
void mllb_features_float_bits(int set, const struct mllb_lb_in *in, u32 *bits);

/* mllb_bench.c and mllb_selftest.c */
void mllb_bench_init(void);
int mllb_bench_run(unsigned long n);
ssize_t mllb_bench_show(char *buf);
int mllb_selftest_run(void);
ssize_t mllb_selftest_show(char *buf);

/* mllb_sysfs.c */
int mllb_sysfs_init(void);
void mllb_sysfs_exit(void);

#endif /* MLLB_KMOD_H */
