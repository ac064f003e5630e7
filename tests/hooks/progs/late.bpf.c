/* late.bpf.c - attached while the traced workload runs: read, whose glibc
 * sites (`xor %eax,%eax; syscall`) are not rewritten, so the workload's
 * agent must install the seccomp filter then.  Reads of 7 bytes only. */
#include "tp_helpers.h"

struct enter_read {
	unsigned long long common;
	int __syscall_nr;
	long fd;
	const char *buf;
	long count;
};

SEC("tracepoint/syscalls/sys_enter_read")
int on_read(struct enter_read *ctx)
{
	char fmt[] = "late read fd=%ld\n";

	if (ctx->count == 7)
		bpf_trace_printk(fmt, sizeof(fmt), ctx->fd);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
