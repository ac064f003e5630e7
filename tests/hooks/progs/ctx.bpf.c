/* ctx.bpf.c - the context of sys_enter_openat / sys_exit_openat as Linux
 * lays it out: the filename pointer read with probe_read_user_str, and the
 * return value.  Only paths under /tmp/ubhook are printed. */
#include "tp_helpers.h"

struct enter_openat {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	int __syscall_nr;
	long dfd;
	const char *filename;
	long flags;
	long mode;
};

struct exit_ctx {
	unsigned long long common;
	int __syscall_nr;
	long ret;
};

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct enter_openat *ctx)
{
	char path[64];
	char fmt[] = "openat nr=%d pid_ok=%d path=%s\n";
	long n = bpf_probe_read_user_str(path, sizeof(path), ctx->filename);
	unsigned long long pt = bpf_get_current_pid_tgid();

	if (n < 12 || path[0] != '/' || path[1] != 't' || path[4] != '/' || path[5] != 'u' ||
	    path[6] != 'b' || path[7] != 'h')
		return 0;
	bpf_trace_printk(fmt, sizeof(fmt), ctx->__syscall_nr,
			 (unsigned)pt == (unsigned)ctx->common_pid, path);
	return 0;
}

SEC("tp/syscalls/sys_exit_getppid")
int on_getppid_exit(struct exit_ctx *ctx)
{
	char fmt[] = "getppid nr=%d ret=%ld\n";

	bpf_trace_printk(fmt, sizeof(fmt), ctx->__syscall_nr, ctx->ret);
	return 0;
}

/* each thread: its tid as the context and the helper see it */
SEC("tracepoint/syscalls/sys_enter_gettid")
int on_gettid(struct enter_openat *ctx)
{
	char fmt[] = "gettid tid=%d same=%d\n";
	unsigned long long pt = bpf_get_current_pid_tgid();

	bpf_trace_printk(fmt, sizeof(fmt), ctx->common_pid, (unsigned)pt == (unsigned)ctx->common_pid);
	return 0;
}

/* every sched_yield of the thread test: enter and exit through raw_syscalls */
SEC("raw_tracepoint/sys_exit")
int on_raw_exit(unsigned long long *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
