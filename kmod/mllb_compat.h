/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel types for the MLLB core files, so the same source builds in the kernel and in user
 * space. In the kernel this is only <linux/types.h>; user space gets the same names from
 * <stdint.h>. Nothing else of libc is used by the core files.
 */
#ifndef MLLB_COMPAT_H
#define MLLB_COMPAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/bitops.h>

#define mllb_ctz32(x) __ffs(x) /* index of the lowest set bit; x != 0 */
#else
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define S32_MAX INT32_MAX
#define S32_MIN INT32_MIN
#define S64_MAX INT64_MAX

/* Same values as the kernel's errno.h on x86_64. */
#define EINVAL 22
#define E2BIG 7
#define EBADMSG 74
#define EPROTO 71
#define ERANGE 34

#define mllb_ctz32(x) ((unsigned int)__builtin_ctz(x)) /* index of the lowest set bit; x != 0 */
#endif

#endif /* MLLB_COMPAT_H */
