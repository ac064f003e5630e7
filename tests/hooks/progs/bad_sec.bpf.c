/* bad_sec.bpf.c - a tracepoint on a syscall Linux does not have. */
#include "tp_helpers.h"

SEC("tracepoint/syscalls/sys_enter_nosuchcall")
int bad(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
