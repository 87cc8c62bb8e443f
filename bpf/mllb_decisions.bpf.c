// SPDX-License-Identifier: GPL-2.0-only
/*
 * One record per can_migrate_task() call: its raw inputs and its return value (the label).
 * fexit sees the arguments and the return value in one program, so no entry/exit pairing
 * map is needed. Every kernel offset is a CO-RE relocation (mllb_kernel.h); enums are
 * decoded by name; optional fields are probed with bpf_core_field_exists().
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "mllb_kernel.h"
#include "mllb_record.h"

#define PF_KTHREAD 0x00200000 /* stable since 2.6 */
#define NR_NUMA_HINT_FAULT_TYPES 2 /* private, shared */

/* Set by the loader before load (read-only data, so the verifier prunes dead branches). */
const volatile __u32 lbf_active_lb = 0x10; /* LBF_ACTIVE_LB: a #define, not in BTF */
const volatile __s64 sd_numa_flag = -1;    /* SD_NUMA, looked up by name in BTF; -1 unknown */
const volatile __s64 sd_smt_flag = -1;     /* SD_SHARE_CPUCAPACITY */
const volatile __u32 nr_node_ids = 1;      /* from /sys/devices/system/node/possible */
/* &sysctl_sched_features from /proc/kallsyms (0: unknown) and CACHE_HOT_BUDDY's bit in it
 * (enum __SCHED_FEAT_CACHE_HOT_BUDDY from BTF). debugfs writes to sched/features update this
 * word together with the static keys that sched_feat() tests. */
const volatile __u64 sched_features_addr = 0;
const volatile __u32 buddy_feat_bit = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the loader (--ring-mb) */
} events SEC(".maps");

/* Reserve failures per CPU: the loader sums them and reports them as lost events. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* cpu -> NUMA node, filled by the loader from /sys/devices/system/node/nodeN/cpulist. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MLLB_MAX_CPUS);
	__type(key, __u32);
	__type(value, __s32);
} cpu_node SEC(".maps");

static __always_inline __s16 node_of(int cpu)
{
	__u32 key = cpu;
	__s32 *node = bpf_map_lookup_elem(&cpu_node, &key);

	return node ? *node : -1;
}

static __always_inline __s8 decode_idle(enum cpu_idle_type idle)
{
	if (!bpf_core_enum_value_exists(enum cpu_idle_type, CPU_NEWLY_IDLE))
		return MLLB_UNKNOWN;
	if (idle == bpf_core_enum_value(enum cpu_idle_type, CPU_IDLE))
		return MLLB_IDLE;
	if (idle == bpf_core_enum_value(enum cpu_idle_type, CPU_NOT_IDLE))
		return MLLB_NOT_IDLE;
	if (idle == bpf_core_enum_value(enum cpu_idle_type, CPU_NEWLY_IDLE))
		return MLLB_NEWLY_IDLE;
	return MLLB_UNKNOWN;
}

static __always_inline __s8 decode_migration_type(struct lb_env *env)
{
	enum migration_type t;

	if (!bpf_core_field_exists(env->migration_type) ||
	    !bpf_core_enum_value_exists(enum migration_type, migrate_misfit))
		return MLLB_UNKNOWN;
	t = BPF_CORE_READ(env, migration_type);
	if (t == bpf_core_enum_value(enum migration_type, migrate_load))
		return 0;
	if (t == bpf_core_enum_value(enum migration_type, migrate_util))
		return 1;
	if (t == bpf_core_enum_value(enum migration_type, migrate_task))
		return 2;
	if (t == bpf_core_enum_value(enum migration_type, migrate_misfit))
		return 3;
	return MLLB_UNKNOWN;
}

/* task_faults(p, nid) / group_faults(p, nid): NUMA_MEM faults, private + shared. */
static __always_inline __s64 faults_on(const unsigned long *faults, int nid)
{
	unsigned long pair[2] = {};
	__u32 stat = bpf_core_enum_value(enum numa_faults_stats, NUMA_MEM);
	__u64 idx;

	if (!faults || nid < 0 || nid >= nr_node_ids)
		return 0;
	idx = NR_NUMA_HINT_FAULT_TYPES * ((__u64)stat * nr_node_ids + nid);
	if (bpf_probe_read_kernel(pair, sizeof(pair), faults + idx))
		return 0;
	return pair[0] + pair[1];
}

static __always_inline int cpumask_has(const struct cpumask *mask, int cpu)
{
	unsigned long word = 0;
	const unsigned long *bits = __builtin_preserve_access_index(&mask->bits[0]);

	if (!mask || cpu < 0 || cpu >= MLLB_MAX_CPUS)
		return 0;
	if (bpf_probe_read_kernel(&word, sizeof(word), bits + cpu / 64))
		return 0;
	return (word >> (cpu % 64)) & 1;
}

static __always_inline int dst_allowed(struct task_struct *p, int cpu)
{
	if (bpf_core_field_exists(p->cpus_ptr))
		return cpumask_has(BPF_CORE_READ(p, cpus_ptr), cpu);
	{
		struct task_struct___cpus_allowed *old = (void *)p;

		return cpumask_has(__builtin_preserve_access_index(&old->cpus_allowed), cpu);
	}
}

/* kthread_is_per_cpu(p): PF_KTHREAD and KTHREAD_IS_PER_CPU in to_kthread(p)->flags. */
static __always_inline __s8 is_per_cpu_kthread(struct task_struct *p)
{
	struct kthread *kt = NULL;
	unsigned long flags;

	if (!bpf_core_enum_value_exists(enum KTHREAD_BITS, KTHREAD_IS_PER_CPU))
		return 0; /* the kernel has no per-CPU kthread rule */
	if (!(BPF_CORE_READ(p, flags) & PF_KTHREAD))
		return 0;
	if (bpf_core_field_exists(p->worker_private)) {
		kt = BPF_CORE_READ(p, worker_private);
	} else {
		struct task_struct___set_child_tid *old = (void *)p;

		kt = (void *)BPF_CORE_READ(old, set_child_tid);
	}
	if (!kt)
		return 0;
	flags = BPF_CORE_READ(kt, flags);
	return (flags >> bpf_core_enum_value(enum KTHREAD_BITS, KTHREAD_IS_PER_CPU)) & 1;
}

/* throttled_lb_pair(): the task's group is throttled on the source or destination CPU. */
static __always_inline __s8 throttled_pair(struct task_struct *p, int src, int dst)
{
	struct cfs_rq **rqs;
	struct cfs_rq *cfs = NULL;
	int count = 0;

	if (!bpf_core_field_exists(((struct cfs_rq *)0)->throttle_count))
		return 0;
	rqs = BPF_CORE_READ(p, sched_task_group, cfs_rq);
	if (!rqs || src < 0 || dst < 0 || src >= MLLB_MAX_CPUS || dst >= MLLB_MAX_CPUS)
		return 0;
	bpf_probe_read_kernel(&cfs, sizeof(cfs), rqs + src);
	if (cfs && BPF_CORE_READ(cfs, throttle_count))
		return 1;
	cfs = NULL;
	bpf_probe_read_kernel(&cfs, sizeof(cfs), rqs + dst);
	if (cfs && BPF_CORE_READ(cfs, throttle_count))
		count = 1;
	return count;
}

/* The CACHE_HOT_BUDDY feature bit, read at each call; -1 when the loader could not find it. */
static __always_inline __s8 buddy_feature(void)
{
	__u32 features = 0;

	if (!sched_features_addr)
		return -1;
	if (bpf_probe_read_kernel(&features, sizeof(features), (const void *)sched_features_addr))
		return -1;
	return (features >> buddy_feat_bit) & 1;
}

/* task_hot()'s buddy test: dst busy and p is its cfs_rq's next (or last) buddy. */
static __always_inline __s8 buddy(struct task_struct *p, struct rq *src_rq, struct rq *dst_rq)
{
	struct sched_entity *se = __builtin_preserve_access_index(&p->se);
	struct cfs_rq *cfs;

	/* Without CONFIG_FAIR_GROUP_SCHED (the lab's tinyconfig JC kernels) an entity has no
	 * cfs_rq pointer: cfs_rq_of() is then the cfs of the task's own run queue, env->src_rq. */
	if (bpf_core_field_exists(p->se.cfs_rq))
		cfs = BPF_CORE_READ(p, se.cfs_rq);
	else
		cfs = __builtin_preserve_access_index(&src_rq->cfs);

	if (!cfs || !BPF_CORE_READ(dst_rq, nr_running))
		return 0;
	if (BPF_CORE_READ(cfs, next) == se)
		return 1;
	if (bpf_core_field_exists(cfs->last) && BPF_CORE_READ(cfs, last) == se)
		return 1;
	return 0;
}

SEC("fexit/can_migrate_task")
int BPF_PROG(on_can_migrate_task, struct task_struct *p, struct lb_env *env, int ret)
{
	struct mllb_record *r;
	struct rq *src_rq, *dst_rq;
	struct sched_domain *sd;
	unsigned long *faults;
	struct numa_group *ng;
	__u32 zero = 0;
	__u64 *drops;

	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		drops = bpf_map_lookup_elem(&lost, &zero);
		if (drops)
			*drops += 1; /* per-CPU slot: no atomics needed */
		return 0;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->ts = bpf_ktime_get_ns();
	r->curr_pid = (__u32)bpf_get_current_pid_tgid();
	r->pid = BPF_CORE_READ(p, pid);
	r->can_migrate = ret != 0;

	src_rq = BPF_CORE_READ(env, src_rq);
	dst_rq = BPF_CORE_READ(env, dst_rq);
	sd = BPF_CORE_READ(env, sd);
	r->src_cpu = BPF_CORE_READ(env, src_cpu);
	r->dst_cpu = BPF_CORE_READ(env, dst_cpu);
	r->imbalance = BPF_CORE_READ(env, imbalance);
	r->lb_flags = BPF_CORE_READ(env, flags);
	r->idle = decode_idle(BPF_CORE_READ(env, idle));
	r->migration_type = decode_migration_type(env);

	r->src_len = BPF_CORE_READ(src_rq, nr_running);
	r->dst_len = BPF_CORE_READ(dst_rq, nr_running);
	if (bpf_core_field_exists(src_rq->nr_numa_running)) {
		r->src_numa_len = BPF_CORE_READ(src_rq, nr_numa_running);
		r->src_preferred_len = BPF_CORE_READ(src_rq, nr_preferred_running);
	}
	r->src_load = BPF_CORE_READ(src_rq, cfs.avg.load_avg);
	r->dst_load = BPF_CORE_READ(dst_rq, cfs.avg.load_avg);
	r->delta = (__s64)(BPF_CORE_READ(src_rq, clock_task) - BPF_CORE_READ(p, se.exec_start));

	r->nr_fails = BPF_CORE_READ(sd, nr_balance_failed);
	r->cache_nice_tries = BPF_CORE_READ(sd, cache_nice_tries);
	r->sd_flags = BPF_CORE_READ(sd, flags);
	r->sd_numa = sd_numa_flag < 0 ? -1 : (r->sd_flags & sd_numa_flag) != 0;
	r->sd_smt = sd_smt_flag < 0 ? -1 : (r->sd_flags & sd_smt_flag) != 0;
	r->lbf_active = (r->lb_flags & lbf_active_lb) != 0;

	r->src_node = node_of(r->src_cpu);
	r->dst_node = node_of(r->dst_cpu);
	r->preferred_nid = -1;
	if (bpf_core_field_exists(p->numa_faults)) {
		r->preferred_nid = BPF_CORE_READ(p, numa_preferred_nid);
		r->total_faults = BPF_CORE_READ(p, total_numa_faults);
		faults = BPF_CORE_READ(p, numa_faults);
		r->src_faults = faults_on(faults, r->src_node);
		r->dst_faults = faults_on(faults, r->dst_node);
	}
	if (bpf_core_field_exists(p->numa_group)) {
		ng = BPF_CORE_READ(p, numa_group);
		if (ng) {
			faults = __builtin_preserve_access_index(&ng->faults[0]);
			r->group_total_faults = BPF_CORE_READ(ng, total_faults);
			r->group_src_faults = faults_on(faults, r->src_node);
			r->group_dst_faults = faults_on(faults, r->dst_node);
		}
	}

	r->p_running = BPF_CORE_READ(p, on_cpu) != 0;
	r->per_cpu_kthread = is_per_cpu_kthread(p);
	r->throttled = throttled_pair(p, r->src_cpu, r->dst_cpu);
	r->allowed = dst_allowed(p, r->dst_cpu);
	r->buddy_feat = buddy_feature();
	r->buddy_hot = r->buddy_feat != 0 && buddy(p, src_rq, dst_rq); /* unknown: the raw test */
	/* The order of 6.1's hard conditions; any failure returns 0 before the soft part. */
	r->hard_pass = !r->throttled && !r->per_cpu_kthread && r->allowed && !r->p_running;
	r->test_flag = -1;
	if (bpf_core_field_exists(((struct lb_env___mllb *)env)->test_aggressive))
		r->test_flag = BPF_CORE_READ((struct lb_env___mllb *)env, test_aggressive) != 0;

	/* No wakeup per event: the loader polls on a short timer, which keeps the per-event
	 * cost low at high decision rates. */
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
