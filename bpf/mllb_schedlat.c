// SPDX-License-Identifier: GPL-2.0-only
/*
 * mllb-schedlat: latency histograms of kernel functions (fentry/fexit, default
 * can_migrate_task and load_balance) and a run-queue length histogram (a per-CPU cpu-clock
 * sampler), written as one JSON file when --duration elapses or on SIGINT/SIGTERM. A
 * precompiled, statically linked replacement for BCC's funclatency + runqlen, which compile
 * their BPF with clang inside the target (minutes in a TCG guest). Interface: docs/schedlat.md.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "mllb_json.h"
#include "mllb_sysfs.h"
#include "mllb_schedlat.h"
#include "mllb_schedlat.skel.h"
#include "mllb_runqlen.skel.h"

#define MAX_FUNCS 8
#define MAX_CPUS 4096
#define MAX_HZ 10000
#define REASON_LEN 160

struct options {
	const char *out;
	double duration; /* seconds; 0 = until a signal */
	unsigned int hz; /* 0 = no run-queue sampling */
	int nfuncs;
	char funcs[MAX_FUNCS][64];
	int verbose;
};

struct func_probe {
	const char *name;
	struct mllb_schedlat *skel; /* NULL when missing */
	char missing[REASON_LEN];
	struct schedlat_hist total;
};

struct runqlen_probe {
	struct mllb_runqlen *skel;
	struct bpf_link *links[MAX_CPUS];
	int fds[MAX_CPUS];
	int ncpus; /* CPUs with a sampler attached */
	char missing[REASON_LEN];
	__u64 hist[SCHEDLAT_RQLEN_SLOTS];
	__u64 samples;
};

static volatile sig_atomic_t stopping;
static int verbose;
static char last_libbpf_warning[REASON_LEN]; /* the first since the last reset */

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* libbpf's own messages: kept quiet (one-line errors are the contract) unless --verbose, but
 * the first warning since the last reset is kept so a probe recorded as missing says why. */
static int on_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	va_list copy;

	va_copy(copy, args);
	if (level == LIBBPF_WARN && !last_libbpf_warning[0]) {
		vsnprintf(last_libbpf_warning, sizeof(last_libbpf_warning), fmt, copy);
		last_libbpf_warning[strcspn(last_libbpf_warning, "\n")] = 0;
	}
	va_end(copy);
	return verbose ? vfprintf(stderr, fmt, args) : 0;
}

static void usage(FILE *to)
{
	fprintf(to, "usage: mllb-schedlat --out FILE.json [--duration SECONDS] "
		    "[--funcs can_migrate_task,load_balance] [--runqlen-hz 99] [--verbose]\n");
}

static int bad_argument(const char *fmt, ...)
{
	va_list args;

	fputs("mllb-schedlat: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputs(" (see --help)\n", stderr);
	return -1;
}

static int parse_funcs(const char *list, struct options *o)
{
	const char *s = list;

	o->nfuncs = 0;
	while (*s) {
		size_t n = strcspn(s, ",");

		if (n == 0 || n >= sizeof(o->funcs[0]))
			return bad_argument("--funcs: empty or too long name in '%s'", list);
		if (o->nfuncs == MAX_FUNCS)
			return bad_argument("--funcs: at most %d functions", MAX_FUNCS);
		for (size_t i = 0; i < n; i++)
			if (!(s[i] == '_' || s[i] == '.' || (s[i] >= '0' && s[i] <= '9') ||
			      (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
				return bad_argument("--funcs: '%.*s' is not a function name", (int)n, s);
		memcpy(o->funcs[o->nfuncs], s, n);
		o->funcs[o->nfuncs][n] = 0;
		for (int j = 0; j < o->nfuncs; j++)
			if (!strcmp(o->funcs[j], o->funcs[o->nfuncs]))
				return bad_argument("--funcs: '%s' given twice", o->funcs[j]);
		o->nfuncs++;
		s += n;
		if (*s == ',' && !*++s)
			return bad_argument("--funcs: trailing comma in '%s'", list);
	}
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"out", required_argument, 0, 'o'},	   {"duration", required_argument, 0, 'd'},
		{"funcs", required_argument, 0, 'f'},	   {"runqlen-hz", required_argument, 0, 'z'},
		{"verbose", no_argument, 0, 'v'},	   {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	char *end;
	int c;

	*o = (struct options){.hz = 99};
	parse_funcs("can_migrate_task,load_balance", o);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:d:f:z:vh", longopts, NULL)) != -1) {
		errno = 0;
		switch (c) {
		case 'o':
			o->out = optarg;
			break;
		case 'd':
			o->duration = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(o->duration >= 0) || o->duration > 1e9)
				return bad_argument("--duration: '%s' is not a number of seconds >= 0",
						    optarg);
			break;
		case 'f':
			if (parse_funcs(optarg, o))
				return -1;
			break;
		case 'z': {
			unsigned long hz = strtoul(optarg, &end, 10);

			if (errno || *end || end == optarg || optarg[0] == '-' || hz > MAX_HZ)
				return bad_argument("--runqlen-hz: '%s' is not an integer in 0..%d",
						    optarg, MAX_HZ);
			o->hz = hz;
			break;
		}
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			return bad_argument("%s needs a value", argv[optind - 1]);
		default:
			return bad_argument("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_argument("unexpected argument '%s'", argv[optind]);
	if (!o->out || !*o->out)
		return bad_argument("--out FILE.json is required");
	if (o->nfuncs == 0 && o->hz == 0)
		return bad_argument("nothing to measure: no --funcs and --runqlen-hz 0");
	return 0;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void set_reason(char *reason, const char *what)
{
	if (last_libbpf_warning[0])
		snprintf(reason, REASON_LEN, "%s: %s", what, last_libbpf_warning);
	else
		snprintf(reason, REASON_LEN, "%s", what);
}

/* Open, load and attach one function's fentry/fexit pair; on failure say why and go on. */
static void attach_function(struct func_probe *f, const struct btf *vmlinux)
{
	struct mllb_schedlat *skel;

	if (btf__find_by_name_kind(vmlinux, f->name, BTF_KIND_FUNC) < 0) {
		snprintf(f->missing, REASON_LEN, "not a function in the kernel's BTF (inlined or absent)");
		return;
	}
	last_libbpf_warning[0] = 0;
	skel = mllb_schedlat__open();
	if (!skel) {
		set_reason(f->missing, "cannot open the BPF object");
		return;
	}
	if (bpf_program__set_attach_target(skel->progs.on_entry, 0, f->name) ||
	    bpf_program__set_attach_target(skel->progs.on_exit, 0, f->name) ||
	    mllb_schedlat__load(skel)) {
		set_reason(f->missing, "cannot load fentry/fexit");
		mllb_schedlat__destroy(skel);
		return;
	}
	/* fexit first: a call already running when fentry attaches is then simply not timed,
	 * never left open (its fexit sees depth 0). */
	skel->links.on_exit = bpf_program__attach(skel->progs.on_exit);
	if (skel->links.on_exit)
		skel->links.on_entry = bpf_program__attach(skel->progs.on_entry);
	if (!skel->links.on_exit || !skel->links.on_entry) {
		set_reason(f->missing, "cannot attach fentry/fexit (no BPF trampoline?)");
		mllb_schedlat__destroy(skel);
		return;
	}
	f->skel = skel;
}

static void detach_function(struct func_probe *f)
{
	if (!f->skel)
		return;
	bpf_link__destroy(f->skel->links.on_entry);
	f->skel->links.on_entry = NULL;
	bpf_link__destroy(f->skel->links.on_exit);
	f->skel->links.on_exit = NULL;
}

static void read_function(struct func_probe *f, int ncpu_possible)
{
	struct schedlat_hist *per_cpu;
	__u32 zero = 0;

	if (!f->skel)
		return;
	per_cpu = calloc(ncpu_possible, sizeof(*per_cpu));
	if (per_cpu && !bpf_map_lookup_elem(bpf_map__fd(f->skel->maps.hist), &zero, per_cpu)) {
		for (int c = 0; c < ncpu_possible; c++) {
			f->total.count += per_cpu[c].count;
			f->total.sum_ns += per_cpu[c].sum_ns;
			f->total.nested += per_cpu[c].nested;
			for (int i = 0; i < SCHEDLAT_LOG2_SLOTS; i++)
				f->total.log2_ns[i] += per_cpu[c].log2_ns[i];
		}
	}
	free(per_cpu);
}

struct cpu_array {
	int *cpus;
	int n;
	int max;
};

static void add_cpus(int lo, int hi, void *arg)
{
	struct cpu_array *a = arg;

	for (int c = lo; c <= hi && a->n < a->max; c++)
		a->cpus[a->n++] = c;
}

/* The online CPUs from sysfs ("0-7,9"): one sampler each; -1 if unreadable. */
static int online_cpus(int *cpus, int max)
{
	char buf[4096];
	struct cpu_array a = { cpus, 0, max };

	if (read_text("/sys/devices/system/cpu/online", buf, sizeof(buf)) ||
	    parse_list(buf, add_cpus, &a))
		return -1;
	return a.n;
}

static void attach_runqlen(struct runqlen_probe *r, unsigned int hz, const struct btf *vmlinux,
			   const int *cpus, int n)
{
	if (btf__find_by_name_kind(vmlinux, "runqueues", BTF_KIND_VAR) < 0) {
		snprintf(r->missing, REASON_LEN,
			 "no 'runqueues' variable in the kernel's BTF (per-CPU variables not encoded)");
		return;
	}
	last_libbpf_warning[0] = 0;
	r->skel = mllb_runqlen__open_and_load();
	if (!r->skel) {
		set_reason(r->missing, "cannot load the run-queue sampler");
		return;
	}
	for (int i = 0; i < n; i++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.size = sizeof(attr),
			.freq = 1,
			.sample_freq = hz,
		};
		int fd = syscall(__NR_perf_event_open, &attr, -1, cpus[i], -1, PERF_FLAG_FD_CLOEXEC);
		struct bpf_link *link;

		if (fd < 0)
			continue;
		link = bpf_program__attach_perf_event(r->skel->progs.on_tick, fd);
		if (!link) {
			close(fd);
			continue;
		}
		r->fds[r->ncpus] = fd;
		r->links[r->ncpus++] = link;
	}
	if (r->ncpus == 0) {
		snprintf(r->missing, REASON_LEN, "cannot open a cpu-clock perf event on any CPU (%s)",
			 n < 0 ? "no /sys/devices/system/cpu/online" : strerror(errno));
		mllb_runqlen__destroy(r->skel);
		r->skel = NULL;
	}
}

static void detach_runqlen(struct runqlen_probe *r)
{
	for (int i = 0; i < r->ncpus; i++) {
		bpf_link__destroy(r->links[i]);
		close(r->fds[i]);
	}
}

static void read_runqlen(struct runqlen_probe *r, int ncpu_possible)
{
	__u64 *per_cpu = calloc(ncpu_possible, sizeof(__u64));

	if (!r->skel || !per_cpu) {
		free(per_cpu);
		return;
	}
	for (__u32 len = 0; len < SCHEDLAT_RQLEN_SLOTS; len++) {
		if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.rqlen), &len, per_cpu))
			continue;
		for (int c = 0; c < ncpu_possible; c++)
			r->hist[len] += per_cpu[c];
		r->samples += r->hist[len];
	}
	free(per_cpu);
}

/* A JSON array of the counts, trailing zeros trimmed. */
static void json_counts(FILE *to, const __u64 *v, int n)
{
	while (n > 0 && v[n - 1] == 0)
		n--;
	fputc('[', to);
	for (int i = 0; i < n; i++)
		fprintf(to, "%s%llu", i ? ", " : "", (unsigned long long)v[i]);
	fputc(']', to);
}

static void write_json(FILE *to, const char *release, int nr_cpus, double seconds,
		       const struct func_probe *funcs, int nfuncs, const struct runqlen_probe *r,
		       unsigned int hz)
{
	int first = 1;

	fprintf(to, "{\"format\": \"mllb-schedlat/1\", \"kernel_release\": ");
	json_string(to, release);
	fprintf(to, ", \"nr_cpus\": %d, \"duration_s\": %.3f,\n \"functions\": {", nr_cpus, seconds);
	for (int i = 0; i < nfuncs; i++) {
		const struct func_probe *f = &funcs[i];

		if (!f->skel)
			continue;
		fprintf(to, "%s\n  ", first ? "" : ",");
		json_string(to, f->name);
		fprintf(to, ": {\"count\": %llu, \"sum_ns\": %llu, \"log2_ns\": ",
			(unsigned long long)f->total.count, (unsigned long long)f->total.sum_ns);
		json_counts(to, f->total.log2_ns, SCHEDLAT_LOG2_SLOTS);
		fputc('}', to);
		first = 0;
	}
	fputs("},\n \"missing\": {", to);
	first = 1;
	for (int i = 0; i < nfuncs; i++) {
		if (funcs[i].skel)
			continue;
		fputs(first ? "" : ", ", to);
		json_string(to, funcs[i].name);
		fputs(": ", to);
		json_string(to, funcs[i].missing);
		first = 0;
	}
	if (hz && !r->skel) {
		fputs(first ? "\"runqlen\": " : ", \"runqlen\": ", to);
		json_string(to, r->missing);
	}
	fputs("},\n \"runqlen\": ", to);
	if (r->skel) {
		fprintf(to, "{\"hz\": %u, \"samples\": %llu, \"cpus_sampled\": %d, \"hist\": ", hz,
			(unsigned long long)r->samples, r->ncpus);
		json_counts(to, r->hist, SCHEDLAT_RQLEN_SLOTS);
		fputc('}', to);
	} else {
		fputs("null", to);
	}
	fputs("}\n", to);
}

/* tmp + fsync + rename: a reader never sees a half-written file. */
static int write_json_atomically(const char *path, const char *release, int nr_cpus,
				 double seconds, const struct func_probe *funcs, int nfuncs,
				 const struct runqlen_probe *r, unsigned int hz)
{
	char tmp[4096];
	FILE *f;
	int bad;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	write_json(f, release, nr_cpus, seconds, funcs, nfuncs, r, hz);
	bad = fflush(f) || fsync(fileno(f));
	bad |= fclose(f);
	if (bad || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void fail(const char *fmt, ...)
{
	va_list args;

	fputs("mllb-schedlat: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	static struct options o;
	static struct func_probe funcs[MAX_FUNCS];
	static struct runqlen_probe rq;
	static int cpu_list[MAX_CPUS];
	struct btf *vmlinux;
	struct utsname uts;
	int attached = 0, ncpu_possible, nr_cpus, rc = 0;
	__u64 start, deadline;
	double seconds;

	if (parse_options(argc, argv, &o))
		return 2;
	verbose = o.verbose;
	libbpf_set_print(on_libbpf_print);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setrlimit(RLIMIT_MEMLOCK, &(struct rlimit){RLIM_INFINITY, RLIM_INFINITY});
	uname(&uts);
	ncpu_possible = libbpf_num_possible_cpus();
	nr_cpus = online_cpus(cpu_list, MAX_CPUS);

	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		fail("nothing attachable: the kernel has no BTF (/sys/kernel/btf/vmlinux)");
		return 3;
	}
	for (int i = 0; i < o.nfuncs; i++) {
		funcs[i].name = o.funcs[i];
		attach_function(&funcs[i], vmlinux);
		attached += funcs[i].skel != NULL;
		if (!funcs[i].skel && verbose)
			fail("%s: %s", funcs[i].name, funcs[i].missing);
	}
	if (o.hz) {
		attach_runqlen(&rq, o.hz, vmlinux, cpu_list, nr_cpus);
		attached += rq.skel != NULL;
		if (!rq.skel && verbose)
			fail("runqlen: %s", rq.missing);
	}
	btf__free(vmlinux);
	if (!attached) {
		if (o.nfuncs)
			fail("nothing attachable: %s: %s", funcs[0].name, funcs[0].missing);
		else
			fail("nothing attachable: runqlen: %s", rq.missing);
		return 3;
	}

	start = mono_ns();
	deadline = o.duration > 0 ? start + (__u64)(o.duration * 1e9) : 0;
	puts("attached");
	fflush(stdout);
	while (!stopping && (!deadline || mono_ns() < deadline)) {
		__u64 left = deadline ? deadline - mono_ns() : 100000000ull;
		struct timespec nap = {0, (long)(left < 100000000ull ? left : 100000000ull)};

		nanosleep(&nap, NULL); /* a signal cuts the nap short */
	}
	for (int i = 0; i < o.nfuncs; i++)
		detach_function(&funcs[i]);
	detach_runqlen(&rq);
	seconds = (mono_ns() - start) / 1e9;

	for (int i = 0; i < o.nfuncs; i++) {
		read_function(&funcs[i], ncpu_possible);
		if (funcs[i].total.nested)
			fail("%s: %llu nested calls were not timed", funcs[i].name,
			     (unsigned long long)funcs[i].total.nested);
	}
	read_runqlen(&rq, ncpu_possible);
	if (write_json_atomically(o.out, uts.release, nr_cpus, seconds, funcs, o.nfuncs, &rq,
				  o.hz)) {
		fail("cannot write %s: %s", o.out, strerror(errno));
		rc = 3;
	}
	for (int i = 0; i < o.nfuncs; i++)
		mllb_schedlat__destroy(funcs[i].skel);
	mllb_runqlen__destroy(rq.skel);
	return rc;
}
