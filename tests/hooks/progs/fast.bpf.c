/* fast.bpf.c - syscalls traced through rewritten sites alone: gettid,
 * which the test issues with syscall(2) (the agent stands in for it), and
 * getppid through glibc's wrapper. */
#include "tp_helpers.h"

struct exit_ctx {
	unsigned long long common;
	int __syscall_nr;
	long ret;
};

SEC("tracepoint/syscalls/sys_enter_gettid")
int on_gettid(void *ctx)
{
	char fmt[] = "fast gettid\n";

	bpf_trace_printk(fmt, sizeof(fmt));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_getppid")
int on_getppid(struct exit_ctx *ctx)
{
	char fmt[] = "fast getppid ret=%ld\n";

	bpf_trace_printk(fmt, sizeof(fmt), ctx->ret);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
