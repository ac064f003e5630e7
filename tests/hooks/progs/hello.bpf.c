/* hello.bpf.c - the classic hello world: one line per execve. The format
 * string is built on the stack (the loader has no .rodata yet). */
#include "tp_helpers.h"

SEC("tracepoint/syscalls/sys_enter_execve")
int hello(void *ctx)
{
	char fmt[] = "Hello BPF from %s\n";
	char comm[16];

	bpf_get_current_comm(comm, sizeof(comm));
	bpf_trace_printk(fmt, sizeof(fmt), comm);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
