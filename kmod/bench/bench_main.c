// SPDX-License-Identifier: GPL-2.0-only
/*
 * ns per decision for the kernel MLP (c-fixed, c-float) and the naive baseline, in one run.
 * usage: mllb_bench MODEL.blob ROWS.bin PASSES
 * ROWS.bin: u32 rows, u32 n_in, float32[rows][n_in], s32[rows][n_in] (Q21.11), little endian.
 * Each pass decides every row once with each implementation, block by block. Prints one
 * "name median_ns min_ns decisions" line per implementation (ns per decision over all timed
 * blocks; decisions: migrate answers in one pass),
 * then "mismatches N" (results differing from the plain loops or the naive version: must be 0)
 * and "fast-rows N ROWS" (rows the fast path takes).
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

/*
 * Timed blocks of BLOCK consecutive rows (the rows are a varied stream, in recorded order):
 * short enough that most blocks run without being preempted on a shared machine, so the
 * median over blocks and passes shows the undisturbed cost.
 */
#define BLOCK 1000
enum impl { C_FIXED, C_FIXED_FRESH, C_FIXED_PLAIN, NAIVE_FIXED, C_FLOAT, N_IMPL };
static const char *const impl_name[N_IMPL] = { "c-fixed", "c-fixed-fresh", "c-fixed-plain",
					       "naive-fixed", "c-float" };

/*
 * As the kernel calls it: the inputs were just written one s32 at a time (the features step),
 * so the forward pass reads values that may still sit in the store buffer.
 */
static __attribute__((noinline)) int decide_fresh(const struct mllb_model_fx *m, const s32 *row)
{
	s32 in[MLLB_MAX_IN];
	unsigned int i;

	for (i = 0; i < m->n_in; i++)
		in[i] = row[i];
	__asm__ volatile("" : : "r"(in) : "memory"); /* the stores really happen */
	return mllb_mlp_decide_fx(m, in);
}

struct bench {
	struct mllb_model_fx fx, plain;
	struct mllb_model_f fm;
	const float *xf;
	const s32 *xq;
	size_t rows;
};

static double time_block(const struct bench *b, enum impl which, size_t first, size_t end,
			 long long *decisions)
{
	size_t r, n = b->fx.n_in;
	long long sum = 0;
	double t0 = now_ns();

	switch (which) {
	case C_FIXED:
		for (r = first; r < end; r++)
			sum += mllb_mlp_decide_fx(&b->fx, b->xq + r * n);
		break;
	case C_FIXED_FRESH:
		for (r = first; r < end; r++)
			sum += decide_fresh(&b->fx, b->xq + r * n);
		break;
	case C_FIXED_PLAIN:
		for (r = first; r < end; r++)
			sum += mllb_mlp_decide_fx(&b->plain, b->xq + r * n);
		break;
	case NAIVE_FIXED:
		for (r = first; r < end; r++)
			sum += mllb_naive_forward_fx(&b->fx, b->xq + r * n) > b->fx.threshold;
		break;
	default:
		for (r = first; r < end; r++)
			sum += mllb_mlp_decide_f(&b->fm, b->xf + r * n);
		break;
	}
	*decisions += sum;
	return (now_ns() - t0) / (end - first);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static struct bench b;
	double *ns[N_IMPL];
	long long decisions[N_IMPL] = { 0 }, mismatch = 0, fast = 0;
	size_t blen, rlen, r, rep, reps, blocks, k, first;
	const u32 *hdr;
	u8 *blob, *rowbuf;
	int err, i;

	if (argc != 4)
		return 2;
	blob = slurp(argv[1], &blen);
	rowbuf = slurp(argv[2], &rlen);
	reps = (size_t)atol(argv[3]);
	if (!blob || !rowbuf || reps < 1 || reps > 1000)
		return 2;
	err = mllb_blob_parse(blob, blen, &b.fx, &b.fm, NULL);
	if (err) {
		fprintf(stderr, "blob rejected: %d\n", err);
		return 3;
	}
	hdr = (const u32 *)rowbuf;
	b.rows = hdr[0];
	if (hdr[1] != b.fx.n_in || rlen != 8 + b.rows * b.fx.n_in * 8)
		return 2;
	b.xf = (const float *)(rowbuf + 8);
	b.xq = (const s32 *)(rowbuf + 8 + b.rows * b.fx.n_in * 4);

	b.plain = b.fx;
	b.plain.fast.ready = 0; /* the same code without the fast path */
	for (r = 0; r < b.rows; r++) {
		const s32 *in = b.xq + r * b.fx.n_in;
		s32 out = mllb_mlp_forward_fx(&b.fx, in);

		mismatch += out != mllb_mlp_forward_fx(&b.plain, in);
		mismatch += out != mllb_naive_forward_fx(&b.fx, in);
		fast += mllb_mlp_fast_takes_fx(&b.fx, in);
	}

	/* Interleaved per block, so a burst of load elsewhere hits every implementation alike. */
	blocks = (b.rows + BLOCK - 1) / BLOCK;
	for (i = 0; i < N_IMPL; i++)
		if (!(ns[i] = malloc(reps * blocks * sizeof(double))))
			return 2;
	for (rep = 0; rep < reps; rep++)
		for (k = 0, first = 0; k < blocks; k++, first += BLOCK)
			for (i = 0; i < N_IMPL; i++)
				ns[i][rep * blocks + k] =
					time_block(&b, (enum impl)i, first,
						   first + BLOCK < b.rows ? first + BLOCK : b.rows,
						   &decisions[i]);
	for (i = 0; i < N_IMPL; i++) {
		qsort(ns[i], reps * blocks, sizeof(double), by_value);
		printf("%s %.2f %.2f %lld\n", impl_name[i], ns[i][reps * blocks / 2], ns[i][0],
		       decisions[i] / (long long)reps);
	}
	printf("mismatches %lld\n", mismatch);
	printf("fast-rows %lld %zu\n", fast, b.rows);
	return 0;
}
