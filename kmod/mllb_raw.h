/* SPDX-License-Identifier: GPL-2.0-only */
/* /sys/kernel/mllb/decide (mllb_raw.c). */
#ifndef MLLB_RAW_H
#define MLLB_RAW_H

#include "mllb_kmod.h"

/* One row's answers; little endian, 12 bytes, read by mllb_lab/kmod/guest.py. */
struct mllb_raw_out {
	s32 fixed_out; /* Q21.11 MLP output */
	u32 float_bits; /* float32 MLP output */
	u8 fixed_decision, float_decision;
	u8 pad[2];
};

ssize_t mllb_raw_write(const char *buf, loff_t pos, size_t count);
ssize_t mllb_raw_read(char *buf, loff_t pos, size_t count);

#endif /* MLLB_RAW_H */
