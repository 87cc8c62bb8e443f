/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Versioned binary model blob: what user space writes to load a model into a running kernel.
 * Layout (little endian), documented in docs/blob-format.md:
 *
 *   0  char magic[4] = "MLLB"        24  u32  payload length in bytes
 *   4  u16  version (1 or 2)         28  char feature_set[20], NUL padded
 *   6  u16  header length = 48       48  payload: float32 w1[n_in][n_hidden], b1[n_hidden],
 *   8  u16  n_in                         w2[n_hidden], b2; then the same in Q21.11 s32;
 *  10  u16  n_hidden                     version 2 only: the input domain, float32 lo[n_in],
 *  12  u8   output kind                  hi[n_in], then the same in Q21.11 s32
 *           (0 linear, 1 logit)    end-4 u32  CRC-32 (IEEE, as zlib) of every byte before it
 *  13  u8   flags (0)    14 u16 reserved (0)
 *  16  u32  threshold, float32 bits  20  s32  threshold, Q21.11
 */
#ifndef MLLB_BLOB_H
#define MLLB_BLOB_H

#include "mllb_compat.h"
#include "mllb_mlp.h"

#define MLLB_BLOB_VERSION_PLAIN 1 /* weights only: inputs are not clamped */
#define MLLB_BLOB_VERSION_RANGES 2 /* weights and the training input domain */
#define MLLB_BLOB_HEADER_LEN 48
#define MLLB_BLOB_FEATURE_SET_LEN 20
#define MLLB_OUTPUT_LINEAR 0
#define MLLB_OUTPUT_LOGIT 1

struct mllb_blob_info {
	u16 version;
	u8 output_kind;
	char feature_set[MLLB_BLOB_FEATURE_SET_LEN + 1];
};

u32 mllb_crc32(const u8 *buf, size_t len);

/*
 * Validate a blob and fill both model forms. Returns 0, or -EINVAL (bad magic, shape or
 * length, an input range with lo > hi), -EPROTO (unknown version), -EBADMSG (checksum
 * mismatch), -ERANGE (an input range bound not exactly the same Q21.11 number in both forms). Nothing is written to the
 * models unless the whole blob is valid. Uses no FPU: floats are copied by bit pattern.
 */
int mllb_blob_parse(const u8 *buf, size_t len, struct mllb_model_fx *fx,
		    struct mllb_model_f *f, struct mllb_blob_info *info);

#endif /* MLLB_BLOB_H */
