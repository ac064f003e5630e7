/* hello_kern.c - the classic eBPF hello world: one line in the trace pipe
 * for every execve.  The same source builds for Linux (with libbpf-dev's
 * headers) and for userbpf (with ours). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_execve")
int hello(void *ctx)
{
	char comm[16];

	bpf_get_current_comm(comm, sizeof(comm));
	bpf_printk("Hello BPF from %s", comm);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
