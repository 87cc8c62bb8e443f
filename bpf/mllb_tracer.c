// SPDX-License-Identifier: GPL-2.0-only
/*
 * mllb-tracer: load mllb_decisions.bpf.c, attach it to can_migrate_task() (fexit), write
 * every record to a binary file (mllb_record.h) until SIGINT/SIGTERM or --duration, then
 * print a JSON summary. Built statically on the controller so targets need no toolchain.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "mllb_json.h"
#include "mllb_sysfs.h"
#include "mllb_record.h"
#include "mllb_decisions.skel.h"

struct options {
	const char *out;
	const char *pidfile;
	double duration;     /* seconds; 0 = until a signal */
	unsigned int ring_mb;
	unsigned int poll_ms;
	unsigned int lbf_active_lb;
};

struct writer {
	FILE *fh;
	__u64 records;
	int failed;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void usage(FILE *to)
{
	fprintf(to, "usage: mllb-tracer --out FILE [--duration SEC] [--ring-mb N] [--poll-ms N]\n"
		    "                   [--lbf-active-lb MASK] [--pidfile FILE]\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"out", required_argument, 0, 'o'},	 {"duration", required_argument, 0, 'd'},
		{"ring-mb", required_argument, 0, 'r'},	 {"poll-ms", required_argument, 0, 'p'},
		{"lbf-active-lb", required_argument, 0, 'l'}, {"pidfile", required_argument, 0, 'P'},
		{"help", no_argument, 0, 'h'},		 {0, 0, 0, 0},
	};
	char *end;
	int c;

	*o = (struct options){.ring_mb = 64, .poll_ms = 50, .lbf_active_lb = 0x10};
	while ((c = getopt_long(argc, argv, "o:d:h", longopts, NULL)) != -1) {
		errno = 0;
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'P': o->pidfile = optarg; break;
		case 'd': o->duration = strtod(optarg, &end); break;
		case 'r': o->ring_mb = strtoul(optarg, &end, 0); break;
		case 'p': o->poll_ms = strtoul(optarg, &end, 0); break;
		case 'l': o->lbf_active_lb = strtoul(optarg, &end, 0); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
		if (c != 'o' && c != 'P' && (errno || *end)) {
			fprintf(stderr, "mllb-tracer: bad number '%s'\n", optarg);
			return -1;
		}
	}
	if (!o->out || o->duration < 0 || !o->ring_mb || !o->poll_ms) {
		usage(stderr);
		return -1;
	}
	/* The ring buffer size must be a power of two number of pages. */
	if (o->ring_mb & (o->ring_mb - 1)) {
		fprintf(stderr, "mllb-tracer: --ring-mb must be a power of two\n");
		return -1;
	}
	return 0;
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Find an enumerator by name in any enum of the kernel's BTF (SD_* flags are anonymous). */
static int find_enumerator(const struct btf *btf, const char *name, __s64 *value)
{
	__u32 n = btf__type_cnt(btf);

	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!btf_is_enum(t))
			continue;
		const struct btf_enum *e = btf_enum(t);
		for (__u16 i = 0; i < btf_vlen(t); i++, e++) {
			if (!strcmp(btf__name_by_offset(btf, e->name_off), name)) {
				*value = e->val;
				return 1;
			}
		}
	}
	return 0;
}

static int has_member(const struct btf *btf, const char *type, const char *member)
{
	__s32 id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);

	if (id < 0)
		return 0;
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m = btf_members(t);
	for (__u16 i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return 1;
	return 0;
}

static __u32 probe_capabilities(const struct btf *btf, __s64 *sd_numa, __s64 *sd_smt)
{
	__u32 caps = 0;
	__s64 unused;

	if (has_member(btf, "lb_env", "test_aggressive"))
		caps |= MLLB_CAP_TEST_FLAG;
	if (has_member(btf, "task_struct", "numa_faults"))
		caps |= MLLB_CAP_NUMA_FAULTS;
	if (has_member(btf, "task_struct", "numa_group"))
		caps |= MLLB_CAP_NUMA_GROUP;
	if (has_member(btf, "lb_env", "migration_type"))
		caps |= MLLB_CAP_MIGRATION_TYPE;
	if (find_enumerator(btf, "SD_NUMA", sd_numa))
		caps |= MLLB_CAP_SD_NUMA;
	if (find_enumerator(btf, "SD_SHARE_CPUCAPACITY", sd_smt))
		caps |= MLLB_CAP_SD_SMT;
	if (find_enumerator(btf, "KTHREAD_IS_PER_CPU", &unused))
		caps |= MLLB_CAP_KTHREAD_PER_CPU;
	if (has_member(btf, "cfs_rq", "throttle_count"))
		caps |= MLLB_CAP_THROTTLE;
	if (has_member(btf, "cfs_rq", "last"))
		caps |= MLLB_CAP_BUDDY_LAST;
	return caps;
}

/* The address of a kernel data symbol from /proc/kallsyms (root, CONFIG_KALLSYMS_ALL); 0 if
 * absent or hidden (kptr_restrict shows zeros). */
static __u64 kallsyms_address(const char *symbol)
{
	char line[512], name[256], type;
	unsigned long long addr;
	__u64 found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 && !strcmp(name, symbol)) {
			found = addr;
			break;
		}
	}
	fclose(f);
	return found;
}

static void note_max(int lo, int hi, void *arg)
{
	(void)lo;
	if (hi + 1 > *(int *)arg)
		*(int *)arg = hi + 1;
}

struct node_fill {
	int fd;
	int node;
	int count;
};

static void fill_node(int lo, int hi, void *arg)
{
	struct node_fill *f = arg;

	for (int cpu = lo; cpu <= hi && cpu < MLLB_MAX_CPUS; cpu++) {
		__u32 key = cpu;
		__s32 node = f->node;

		if (!bpf_map_update_elem(f->fd, &key, &node, BPF_ANY))
			f->count++;
	}
}

/* The cpu -> node map from sysfs; every CPU of a kernel without NUMA is on node 0. */
static int fill_cpu_nodes(int map_fd, int nr_nodes, int nr_cpus)
{
	char path[96], buf[4096];
	struct node_fill f = {.fd = map_fd};

	for (int node = 0; node < nr_nodes; node++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
		if (read_text(path, buf, sizeof(buf)))
			continue; /* a possible but offline node */
		f.node = node;
		if (parse_list(buf, fill_node, &f))
			return -1;
	}
	if (f.count == 0) {
		f.node = 0;
		fill_node(0, nr_cpus - 1, &f);
	}
	/* CPUs listed in no node stay at 0 (array maps start zeroed): only on odd setups. */
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct writer *w = ctx;

	if (size != sizeof(struct mllb_record) || fwrite(data, size, 1, w->fh) != 1) {
		w->failed = 1;
		return -EIO;
	}
	w->records++;
	return 0;
}

static __u64 sum_lost(int map_fd)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *values = calloc(ncpu > 0 ? ncpu : 1, sizeof(__u64));
	__u64 total = 0;
	__u32 key = 0;

	if (values && !bpf_map_lookup_elem(map_fd, &key, values))
		for (int i = 0; i < ncpu; i++)
			total += values[i];
	free(values);
	return total;
}

/* "error" first, so a one-line report of a failure shows the reason before it is cut. */
static void print_summary(FILE *to, const struct options *o, const struct mllb_header *h,
			  double seconds, const char *error)
{
	fputs("{\"error\": ", to);
	if (error)
		json_string(to, error);
	else
		fputs("null", to);
	fprintf(to, ", \"records\": %llu, \"lost\": %llu, \"duration_s\": %.3f, ",
		(unsigned long long)h->records, (unsigned long long)h->lost, seconds);
	fprintf(to, "\"kernel_release\": ");
	json_string(to, h->release);
	fprintf(to, ", \"attach\": ");
	json_string(to, h->attach);
	fprintf(to, ", \"capabilities\": %u, \"nr_cpus\": %u, \"nr_nodes\": %u, ",
		h->capabilities, h->nr_cpus, h->nr_nodes);
	fprintf(to, "\"record_size\": %u, \"format_version\": %u, \"ring_mb\": %u, \"out\": ",
		h->record_size, h->version, o->ring_mb);
	json_string(to, o->out);
	fprintf(to, ", \"complete\": %s}\n", h->complete ? "true" : "false");
}

int main(int argc, char **argv)
{
	struct options o;
	struct mllb_header h = {0};
	struct mllb_decisions *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct writer w = {0};
	struct btf *vmlinux = NULL;
	struct utsname uts;
	const char *error = NULL;
	__s64 sd_numa = -1, sd_smt = -1, buddy_bit = -1;
	__u64 features_addr = 0;
	char buf[256];
	int nr_nodes = 0, nr_cpus, err;
	__u64 start, deadline;

	if (parse_options(argc, argv, &o))
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setrlimit(RLIMIT_MEMLOCK, &(struct rlimit){RLIM_INFINITY, RLIM_INFINITY});

	uname(&uts);
	memcpy(h.magic, MLLB_MAGIC, 8);
	h.version = MLLB_FORMAT_VERSION;
	h.header_size = MLLB_HEADER_SIZE;
	h.record_size = sizeof(struct mllb_record);
	h.lbf_active_lb = o.lbf_active_lb;
	snprintf(h.release, sizeof(h.release), "%s", uts.release);
	snprintf(h.attach, sizeof(h.attach), "fexit");

	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		error = "the kernel has no BTF (/sys/kernel/btf/vmlinux): CO-RE cannot relocate";
		goto out;
	}
	h.capabilities = probe_capabilities(vmlinux, &sd_numa, &sd_smt);
	if (find_enumerator(vmlinux, "__SCHED_FEAT_CACHE_HOT_BUDDY", &buddy_bit) &&
	    buddy_bit >= 0 && buddy_bit < 32)
		features_addr = kallsyms_address("sysctl_sched_features");
	if (features_addr)
		h.capabilities |= MLLB_CAP_SCHED_FEAT;
	nr_cpus = libbpf_num_possible_cpus();
	h.nr_cpus = nr_cpus > 0 ? nr_cpus : 0;
	if (read_text("/sys/devices/system/node/possible", buf, sizeof(buf)) ||
	    parse_list(buf, note_max, &nr_nodes) || nr_nodes < 1)
		nr_nodes = 1; /* a kernel without CONFIG_NUMA */
	h.nr_nodes = nr_nodes;

	skel = mllb_decisions__open();
	if (!skel) {
		error = "cannot open the BPF object";
		goto out;
	}
	skel->rodata->lbf_active_lb = o.lbf_active_lb;
	skel->rodata->sd_numa_flag = sd_numa;
	skel->rodata->sd_smt_flag = sd_smt;
	skel->rodata->nr_node_ids = nr_nodes;
	skel->rodata->sched_features_addr = features_addr;
	skel->rodata->buddy_feat_bit = features_addr ? (__u32)buddy_bit : 0;
	bpf_map__set_max_entries(skel->maps.events, o.ring_mb << 20);
	err = mllb_decisions__load(skel);
	if (err) {
		error = "cannot load the BPF program (see libbpf messages on stderr)";
		goto out;
	}
	if (fill_cpu_nodes(bpf_map__fd(skel->maps.cpu_node), nr_nodes, nr_cpus)) {
		error = "cannot parse /sys/devices/system/node/nodeN/cpulist";
		goto out;
	}

	w.fh = fopen(o.out, "wb");
	if (!w.fh) {
		error = "cannot open --out for writing";
		goto out;
	}
	setvbuf(w.fh, NULL, _IOFBF, 1 << 20);
	if (fwrite(&h, sizeof(h), 1, w.fh) != 1) {
		error = "cannot write the header";
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, &w, NULL);
	if (!rb) {
		error = "cannot create the ring buffer reader";
		goto out;
	}
	err = mllb_decisions__attach(skel);
	if (err) {
		error = "cannot attach fexit to can_migrate_task (inlined, or no BPF trampoline)";
		goto out;
	}
	if (o.pidfile) {
		FILE *pf = fopen(o.pidfile, "w");

		if (pf) {
			fprintf(pf, "%d\n", getpid());
			fclose(pf);
		}
	}
	h.start_realtime_ns = clock_ns(CLOCK_REALTIME);
	h.start_mono_ns = clock_ns(CLOCK_MONOTONIC);
	start = h.start_mono_ns;
	deadline = o.duration > 0 ? start + (__u64)(o.duration * 1e9) : 0;
	fprintf(stderr, "mllb-tracer: attached (fexit can_migrate_task), writing %s\n", o.out);

	while (!stopping && !w.failed) {
		err = ring_buffer__poll(rb, o.poll_ms);
		if (err < 0 && err != -EINTR) {
			error = "ring buffer poll failed";
			break;
		}
		if (deadline && clock_ns(CLOCK_MONOTONIC) >= deadline)
			break;
	}
	/* Detach first so the final drain sees every record that will ever be written. */
	mllb_decisions__detach(skel);
	ring_buffer__consume(rb);
	if (w.failed)
		error = "cannot write records to --out (disk full?)";
	h.records = w.records;
	h.lost = sum_lost(bpf_map__fd(skel->maps.lost));
	h.complete = error == NULL;
	if (fflush(w.fh) || fseek(w.fh, 0, SEEK_SET) || fwrite(&h, sizeof(h), 1, w.fh) != 1 ||
	    fflush(w.fh) || fsync(fileno(w.fh)))
		error = error ? error : "cannot finish the header";
out:
	if (w.fh)
		fclose(w.fh);
	print_summary(stdout, &o, &h,
		      h.start_mono_ns ? (clock_ns(CLOCK_MONOTONIC) - h.start_mono_ns) / 1e9 : 0.0,
		      error);
	ring_buffer__free(rb);
	mllb_decisions__destroy(skel);
	btf__free(vmlinux);
	if (o.pidfile)
		unlink(o.pidfile);
	return error ? 1 : 0;
}
