/* SPDX-License-Identifier: GPL-2.0-only */
/* /sys/kernel/mllb/eval (mllb_eval.c). */
#ifndef MLLB_EVAL_H
#define MLLB_EVAL_H

#include "mllb_fixed.h"
#include "mllb_kmod.h"

/* Parse "v1,v2,...,vn" and evaluate it: 0, -EINVAL (syntax, count), -ENODATA (no model). */
int mllb_eval_write(const char *buf, size_t count);
ssize_t mllb_eval_show(char *buf);

#endif /* MLLB_EVAL_H */
