/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The decision record and the file header, shared by the BPF program, the loader and
 * (as a numpy structured dtype) mllb_lab/capture/layout.py. Change both together and bump
 * MLLB_FORMAT_VERSION: the converter refuses versions it does not know.
 *
 * All fields are fixed-width and naturally aligned, so the struct has no hidden padding
 * and the same bytes mean the same thing on the guest and on the controller (both x86-64).
 */
#ifndef MLLB_RECORD_H
#define MLLB_RECORD_H

#define MLLB_MAGIC "MLLBDEC1"
#define MLLB_FORMAT_VERSION 1
#define MLLB_HEADER_SIZE 256
#define MLLB_MAX_CPUS 8192 /* CONFIG_NR_CPUS of Debian's amd64 kernel */

/* Values of mllb_record.idle and .migration_type: canonical codes, decoded by enum NAME
 * in the BPF program, so they do not change when a kernel renumbers its enums. */
#define MLLB_UNKNOWN (-1)
#define MLLB_IDLE 0
#define MLLB_NOT_IDLE 1
#define MLLB_NEWLY_IDLE 2

/* mllb_header.capabilities: what the running kernel offered (see docs/capture.md). */
#define MLLB_CAP_TEST_FLAG (1u << 0)   /* lb_env.test_aggressive exists (patched kernel) */
#define MLLB_CAP_NUMA_FAULTS (1u << 1) /* task_struct.numa_faults exists */
#define MLLB_CAP_NUMA_GROUP (1u << 2)  /* task_struct.numa_group exists */
#define MLLB_CAP_MIGRATION_TYPE (1u << 3)
#define MLLB_CAP_SD_NUMA (1u << 4)     /* SD_NUMA found by name in the kernel's BTF */
#define MLLB_CAP_SD_SMT (1u << 5)      /* SD_SHARE_CPUCAPACITY found by name */
#define MLLB_CAP_KTHREAD_PER_CPU (1u << 6)
#define MLLB_CAP_THROTTLE (1u << 7)    /* cfs_rq.throttle_count exists (CFS bandwidth) */
#define MLLB_CAP_BUDDY_LAST (1u << 8)  /* cfs_rq.last exists (removed in 6.6) */
#define MLLB_CAP_SCHED_FEAT (1u << 9)  /* sysctl_sched_features (kallsyms) + the CACHE_HOT_BUDDY
					* bit (BTF enum __SCHED_FEAT_*) found: buddy_feat is read */

struct mllb_record {
	__u64 ts;             /* bpf_ktime_get_ns() at return */
	__s64 imbalance;      /* env->imbalance */
	__s64 delta;          /* rq_clock_task(src_rq) - p->se.exec_start */
	__s64 src_load;       /* src_rq->cfs.avg.load_avg */
	__s64 dst_load;
	__s64 src_faults;     /* task NUMA_MEM faults on the src node (private + shared) */
	__s64 dst_faults;
	__s64 total_faults;   /* p->total_numa_faults */
	__s64 group_src_faults;
	__s64 group_dst_faults;
	__s64 group_total_faults; /* p->numa_group->total_faults, 0 without a group */
	__s32 curr_pid;
	__s32 pid;
	__s32 src_cpu;
	__s32 dst_cpu;
	__s32 src_len;        /* src_rq->nr_running */
	__s32 src_numa_len;   /* src_rq->nr_numa_running */
	__s32 src_preferred_len;
	__s32 dst_len;
	__s32 nr_fails;       /* env->sd->nr_balance_failed */
	__s32 cache_nice_tries;
	__u32 lb_flags;       /* env->flags at return (raw LBF_* bits) */
	__s32 sd_flags;       /* env->sd->flags (raw SD_* bits) */
	__s16 src_node;       /* node of src_cpu, from the map the loader fills from sysfs */
	__s16 dst_node;
	__s16 preferred_nid;  /* p->numa_preferred_nid, -1 when none */
	__s8 idle;            /* MLLB_IDLE / MLLB_NOT_IDLE / MLLB_NEWLY_IDLE / MLLB_UNKNOWN */
	__s8 migration_type;  /* 0 load, 1 util, 2 task, 3 misfit, -1 unknown */
	__s8 sd_numa;         /* env->sd->flags & SD_NUMA; -1 when SD_NUMA is not in BTF */
	__s8 sd_smt;          /* & SD_SHARE_CPUCAPACITY */
	__s8 lbf_active;      /* env->flags & LBF_ACTIVE_LB */
	__s8 per_cpu_kthread; /* kthread_is_per_cpu(p) */
	__s8 buddy_hot;       /* sched_feat(CACHE_HOT_BUDDY) (when known) && dst_rq->nr_running &&
			       * p is its cfs_rq's next/last buddy: task_hot()'s buddy clause */
	__s8 throttled;       /* throttled_lb_pair(task_group(p), src, dst) */
	__s8 p_running;       /* p->on_cpu */
	__s8 allowed;         /* dst_cpu in p->cpus_ptr */
	__s8 test_flag;       /* lb_env.test_aggressive on a patched kernel, -1 elsewhere */
	__s8 hard_pass;       /* all hard conditions passed (derived, any kernel) */
	__s8 can_migrate;     /* the return value: the label */
	__s8 buddy_feat;      /* the CACHE_HOT_BUDDY feature bit; -1 unknown (no MLLB_CAP_SCHED_FEAT) */
	__s8 pad[4];          /* explicit: no hidden padding */
};

_Static_assert(sizeof(struct mllb_record) == 160, "record layout changed: bump the version");

struct mllb_header {
	char magic[8];          /* MLLB_MAGIC */
	__u32 version;          /* MLLB_FORMAT_VERSION */
	__u32 header_size;      /* MLLB_HEADER_SIZE: records start here */
	__u32 record_size;      /* sizeof(struct mllb_record) */
	__u32 capabilities;     /* MLLB_CAP_* */
	__u32 nr_cpus;          /* possible CPUs */
	__u32 nr_nodes;         /* nr_node_ids (highest possible node + 1) */
	__u64 start_realtime_ns;
	__u64 start_mono_ns;    /* CLOCK_MONOTONIC at start (the clock of ts) */
	__u64 records;          /* written at stop; 0 while running */
	__u64 lost;             /* ring buffer reserve failures, written at stop */
	__u32 complete;         /* 1 once the loader stopped cleanly */
	__u32 lbf_active_lb;    /* the LBF_ACTIVE_LB mask used */
	char release[65];       /* uname -r of the traced kernel */
	char attach[15];        /* "fexit" */
	char reserved[MLLB_HEADER_SIZE - 152];
};

_Static_assert(sizeof(struct mllb_header) == MLLB_HEADER_SIZE, "header size");

#endif
