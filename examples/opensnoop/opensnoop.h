/* opensnoop.h - the record opensnoop.bpf.c sends through its perf event
 * array to opensnoop.c, one per open/openat that returned, and its filters. */
#ifndef OPENSNOOP_H
#define OPENSNOOP_H

#define TASK_COMM_LEN 16
#define NAME_MAX 255

struct open_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() at the return */
	__u64 latency_ns;	/* entry to return */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 uid;
	__s32 ret;		/* the fd, or -errno */
	__s32 flags;		/* O_* as passed */
	__u32 pad;
	char comm[TASK_COMM_LEN];
	char fname[NAME_MAX];
};

/* The filters, a const volatile in .rodata (its only variable, so at
 * offset 0) that the user side sets before load; zero means off. */
struct opensnoop_cfg {
	__u32 target_pid;	/* only this process */
	__u32 failed_only;	/* only calls that failed */
};

#endif
