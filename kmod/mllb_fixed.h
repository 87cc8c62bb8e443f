/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Q21.11 fixed point in s32 (scale 2048), the arithmetic of the MLLB paper's kernel:
 * products and quotients are widened to s64, products are shifted back with an arithmetic
 * >> 11 (floor), quotients are (a << 11) / b (truncation toward zero).
 * Where the paper's code overflowed (int_to_fx for |x| >= 2^20, sums leaving s32) we saturate.
 */
#ifndef MLLB_FIXED_H
#define MLLB_FIXED_H

#include "mllb_compat.h"

#define MLLB_FX_SHIFT 11
#define MLLB_FX_ONE (1 << MLLB_FX_SHIFT)

static inline s32 mllb_fx_sat(s64 v)
{
	if (v > S32_MAX)
		return S32_MAX;
	if (v < S32_MIN)
		return S32_MIN;
	return (s32)v;
}

/* Integer to Q21.11; saturates instead of wrapping for |x| >= 2^20. */
static inline s32 mllb_fx_from_int(s64 x)
{
	if (x > (S32_MAX >> MLLB_FX_SHIFT))
		return S32_MAX;
	if (x < (S32_MIN >> MLLB_FX_SHIFT))
		return S32_MIN;
	return (s32)(x * MLLB_FX_ONE);
}

/* Product; the arithmetic shift floors, as the paper's (a * b) >> 11 on s64. */
static inline s32 mllb_fx_mul(s32 a, s32 b)
{
	return mllb_fx_sat(((s64)a * (s64)b) >> MLLB_FX_SHIFT);
}

/* Quotient (a << 11) / b, truncated toward zero; b == 0 saturates by the sign of a. */
static inline s32 mllb_fx_div(s32 a, s32 b)
{
	if (b == 0)
		return a >= 0 ? S32_MAX : S32_MIN;
	return mllb_fx_sat(((s64)a * MLLB_FX_ONE) / b);
}

#endif /* MLLB_FIXED_H */
