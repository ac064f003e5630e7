/* syscount.h - what syscount.bpf.c keeps for syscount.c: counts and time
 * per syscall number, and a log2 histogram of syscall latency. */
#ifndef SYSCOUNT_H
#define SYSCOUNT_H

#define MAX_SLOTS 32		/* log2 buckets: slot i holds [2^i, 2^(i+1)) */

struct data_t {
	__u64 count;		/* calls entered */
	__u64 timed;		/* calls that returned (exit_group does not) */
	__u64 total_ns;		/* their time from entry to return */
	__u64 max_ns;
};

/* The filters, a const volatile in .rodata (its only variable). */
struct syscount_cfg {
	__u32 target_pid;	/* 0: every traced process */
	__u32 hist_ns;		/* histogram in nanoseconds instead of microseconds */
};

#endif
