// SPDX-License-Identifier: GPL-2.0-only
/*
 * ns per decision for the kernel MLP (c-fixed, c-float) and the naive baseline, in one run.
 * usage: mllb_bench MODEL.blob ROWS.bin REPEATS
 * ROWS.bin: u32 rows, u32 n_in, float32[rows][n_in], s32[rows][n_in] (Q21.11), little endian.
 * Prints one "name ns_per_decision checksum" line per implementation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../mllb_blob.h"
#include "bench_naive.h"

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(*len);
	if (buf && fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static struct mllb_model_fx fx, plain;
	static struct mllb_model_f fm;
	size_t blen, rlen, rows, r, rep, reps;
	const u32 *hdr;
	const float *xf;
	const s32 *xq;
	u8 *blob, *rowbuf;
	long long sum_fx = 0, sum_naive = 0, sum_f = 0, sum_plain = 0, mismatch = 0;
	double t0, t_fx, t_naive, t_f, t_plain;
	int err;

	if (argc != 4)
		return 2;
	blob = slurp(argv[1], &blen);
	rowbuf = slurp(argv[2], &rlen);
	reps = (size_t)atol(argv[3]);
	if (!blob || !rowbuf)
		return 2;
	err = mllb_blob_parse(blob, blen, &fx, &fm, NULL);
	if (err) {
		fprintf(stderr, "blob rejected: %d\n", err);
		return 3;
	}
	hdr = (const u32 *)rowbuf;
	rows = hdr[0];
	if (hdr[1] != fx.n_in || rlen != 8 + rows * fx.n_in * 8)
		return 2;
	xf = (const float *)(rowbuf + 8);
	xq = (const s32 *)(rowbuf + 8 + rows * fx.n_in * 4);

	plain = fx;
	plain.ones_ready = 0; /* the same code without the table of flag sums */
	for (r = 0; r < rows; r++)
		mismatch += mllb_mlp_forward_fx(&fx, xq + r * fx.n_in) !=
			    mllb_mlp_forward_fx(&plain, xq + r * fx.n_in);
	for (r = 0; r < rows; r++)
		mismatch += mllb_mlp_forward_fx(&fx, xq + r * fx.n_in) !=
			    mllb_naive_forward_fx(&fx, xq + r * fx.n_in);

	t0 = now_ns();
	for (rep = 0; rep < reps; rep++)
		for (r = 0; r < rows; r++)
			sum_fx += mllb_mlp_decide_fx(&fx, xq + r * fx.n_in);
	t_fx = now_ns() - t0;

	t0 = now_ns();
	for (rep = 0; rep < reps; rep++)
		for (r = 0; r < rows; r++)
			sum_plain += mllb_mlp_decide_fx(&plain, xq + r * fx.n_in);
	t_plain = now_ns() - t0;

	t0 = now_ns();
	for (rep = 0; rep < reps; rep++)
		for (r = 0; r < rows; r++)
			sum_naive += mllb_naive_forward_fx(&fx, xq + r * fx.n_in) > fx.threshold;
	t_naive = now_ns() - t0;

	t0 = now_ns();
	for (rep = 0; rep < reps; rep++)
		for (r = 0; r < rows; r++)
			sum_f += mllb_mlp_decide_f(&fm, xf + r * fm.n_in);
	t_f = now_ns() - t0;

	printf("c-fixed %.2f %lld\n", t_fx / (rows * reps), sum_fx);
	printf("c-fixed-plain %.2f %lld\n", t_plain / (rows * reps), sum_plain);
	printf("naive-fixed %.2f %lld\n", t_naive / (rows * reps), sum_naive);
	printf("c-float %.2f %lld\n", t_f / (rows * reps), sum_f);
	printf("mismatches %lld 0\n", mismatch);
	return 0;
}
