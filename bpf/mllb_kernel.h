/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel types the tracer reads: only the fields it reads, by name. These are not
 * layouts: preserve_access_index makes clang emit CO-RE relocations, and libbpf patches
 * every offset against the running kernel's own BTF at load time. A field missing on a
 * kernel is tested with bpf_core_field_exists() before it is read. Enum values here are
 * placeholders: the program asks bpf_core_enum_value() for the kernel's value by name.
 */
#ifndef MLLB_KERNEL_H
#define MLLB_KERNEL_H

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct cpumask {
	unsigned long bits[1];
};

struct sched_avg {
	unsigned long load_avg;
};

struct sched_entity;

struct cfs_rq {
	struct sched_avg avg;
	struct sched_entity *next;
	struct sched_entity *last; /* gone in 6.6 */
	int throttle_count;        /* CONFIG_CFS_BANDWIDTH */
};

struct sched_entity {
	struct cfs_rq *cfs_rq; /* CONFIG_FAIR_GROUP_SCHED */
	unsigned long long exec_start;
};

struct rq {
	unsigned int nr_running;
	unsigned int nr_numa_running;      /* CONFIG_NUMA_BALANCING */
	unsigned int nr_preferred_running; /* CONFIG_NUMA_BALANCING */
	struct cfs_rq cfs;
	unsigned long long clock_task;
	int cpu;
};

struct sched_domain {
	int flags;
	unsigned int cache_nice_tries;
	unsigned int nr_balance_failed;
};

struct task_group {
	struct cfs_rq **cfs_rq;
};

struct numa_group {
	unsigned long total_faults;
	unsigned long faults[];
};

struct kthread {
	unsigned long flags;
};

struct task_struct {
	unsigned int flags;
	int on_cpu;
	int pid;
	struct sched_entity se;
	struct task_group *sched_task_group;
	const struct cpumask *cpus_ptr; /* 5.3+; cpus_allowed before */
	void *worker_private;           /* where to_kthread() looks, 5.17+ */
	int numa_preferred_nid;
	struct numa_group *numa_group;
	unsigned long *numa_faults;
	unsigned long total_numa_faults;
};

/* Older names of the same things, matched by CO-RE through the ___flavour suffix. */
struct task_struct___cpus_allowed {
	struct cpumask cpus_allowed;
};

struct task_struct___set_child_tid {
	int *set_child_tid;
};

/* The patched MLLB kernel's test flag (mllb-facts §5); absent on stock kernels. */
struct lb_env___mllb {
	int test_aggressive;
};

enum cpu_idle_type { CPU_IDLE, CPU_NOT_IDLE, CPU_NEWLY_IDLE };
enum migration_type { migrate_load, migrate_util, migrate_task, migrate_misfit };
enum numa_faults_stats { NUMA_MEM };
enum KTHREAD_BITS { KTHREAD_IS_PER_CPU };

struct lb_env {
	struct sched_domain *sd;
	struct rq *src_rq;
	int src_cpu;
	int dst_cpu;
	struct rq *dst_rq;
	enum cpu_idle_type idle;
	long imbalance;
	unsigned int flags;
	enum migration_type migration_type; /* 5.5+ */
};

#pragma clang attribute pop

#endif
