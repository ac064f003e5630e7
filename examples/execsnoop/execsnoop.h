/* execsnoop.h - the records execsnoop.bpf.c sends through its ring buffer
 * to execsnoop.c: one exec_event per execve entry (who, and the file and
 * arguments as the caller passed them), one ret_event per execve that
 * returns (under userbpf only a failed one does: see execsnoop.c). */
#ifndef EXECSNOOP_H
#define EXECSNOOP_H

#define TASK_COMM_LEN 16
#define ARGSIZE 128		/* bytes of one argument, NUL included */
#define MAX_ARGS 8		/* the filename and the first 7 of argv[1..] */
#define FULL_MAX_ARGS_ARR (MAX_ARGS * ARGSIZE)

enum { EV_EXEC = 1, EV_RET = 2 };

struct exec_event {
	__u32 kind;		/* EV_EXEC */
	__u32 pid;		/* tgid */
	__u32 ppid;		/* 0: not known yet (see execsnoop.bpf.c) */
	__u32 uid;
	__u64 ts_ns;		/* bpf_ktime_get_ns() at entry */
	__s32 args_count;	/* strings in args; MAX_ARGS + 1: more were left out */
	__u32 args_size;	/* bytes of args used */
	char comm[TASK_COMM_LEN];
	char args[FULL_MAX_ARGS_ARR]; /* filename\0arg1\0arg2\0... */
};

struct ret_event {
	__u32 kind;		/* EV_RET */
	__u32 pid;
	__s32 retval;		/* 0 or -errno */
	__u32 pad;
};

#endif
