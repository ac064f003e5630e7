/* exec.bpf.c - sys_exit_execve and sys_exit_execveat: after a failed
 * exec in the image that called it, after a successful one in the new
 * image. */
#include "tp_helpers.h"

struct exit_ctx {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	int __syscall_nr;
	long ret;
};

SEC("tracepoint/syscalls/sys_exit_execve")
int on_execve(struct exit_ctx *ctx)
{
	char fmt[] = "exit_execve ret=%ld pid=%d\n";

	bpf_trace_printk(fmt, sizeof(fmt), ctx->ret, ctx->common_pid);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int on_execveat(struct exit_ctx *ctx)
{
	char fmt[] = "exit_execveat ret=%ld pid=%d\n";

	bpf_trace_printk(fmt, sizeof(fmt), ctx->ret, ctx->common_pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
