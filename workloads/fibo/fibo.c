// SPDX-License-Identifier: GPL-2.0-only
/*
 * fibo: threads that each compute fib(n) by naive recursion, in rounds.
 *
 * Like the paper's "fibo 20/21" runtime benchmark: pure CPU work whose tasks are created and
 * joined every round, so the scheduler places and balances new tasks again and again.
 * Output (parsed by mllb_lab/workloads/fibo.py), one line per round and a summary:
 *   fibo: round=R threads=T n=N seconds=S
 *   fibo: rounds=R threads=T n=N total_s=S mean_s=M result=F
 * Usage: fibo [-t threads] [-n N] [-r rounds] [-d seconds]
 *   -d keeps starting rounds until that many seconds have passed (at least one round).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct job {
	unsigned int n;
	unsigned long long result;
};

static unsigned long long fib(unsigned int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static void *worker(void *arg)
{
	struct job *job = arg;

	job->result = fib(job->n);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long number(const char *text, const char *flag, long lo, long hi)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno || *end || value < lo || value > hi) {
		fprintf(stderr, "fibo: %s must be an integer in [%ld, %ld], got '%s'\n",
			flag, lo, hi, text);
		exit(2);
	}
	return value;
}

int main(int argc, char **argv)
{
	long threads = sysconf(_SC_NPROCESSORS_ONLN), n = 30, rounds = 1, seconds = 0;
	double start, total = 0;
	unsigned long long result = 0;
	pthread_t *ids;
	struct job *jobs;
	long round, i;
	int opt;

	while ((opt = getopt(argc, argv, "t:n:r:d:")) != -1) {
		switch (opt) {
		case 't': threads = number(optarg, "-t", 1, 65536); break;
		case 'n': n = number(optarg, "-n", 1, 60); break;
		case 'r': rounds = number(optarg, "-r", 1, 1000000); break;
		case 'd': seconds = number(optarg, "-d", 0, 86400); break;
		default:
			fprintf(stderr, "usage: fibo [-t threads] [-n N] [-r rounds] [-d seconds]\n");
			return 2;
		}
	}
	ids = calloc(threads, sizeof(*ids));
	jobs = calloc(threads, sizeof(*jobs));
	if (!ids || !jobs) {
		perror("fibo: calloc");
		return 1;
	}
	start = now();
	for (round = 1;; round++) {
		double t0 = now(), took;

		for (i = 0; i < threads; i++) {
			jobs[i].n = (unsigned int)n;
			if (pthread_create(&ids[i], NULL, worker, &jobs[i])) {
				perror("fibo: pthread_create");
				return 1;
			}
		}
		for (i = 0; i < threads; i++)
			pthread_join(ids[i], NULL);
		result = jobs[0].result;
		took = now() - t0;
		total += took;
		printf("fibo: round=%ld threads=%ld n=%ld seconds=%.6f\n", round, threads, n, took);
		fflush(stdout);
		if (seconds ? now() - start >= seconds : round >= rounds)
			break;
	}
	printf("fibo: rounds=%ld threads=%ld n=%ld total_s=%.6f mean_s=%.6f result=%llu\n",
	       round, threads, n, total, total / round, result);
	free(ids);
	free(jobs);
	return 0;
}
