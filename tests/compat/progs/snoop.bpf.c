/* snoop.bpf.c - for tests/compat: counts execve calls in an array, sends
 * each filename through a ring buffer and a perf event array, and has an
 * xdp program for test runs and a program left out by set_autoload. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 65536);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pevents SEC(".maps");

const volatile __u64 tag = 0;

struct event {
	__u64 tag;
	char comm[16];
	char file[64];
};

struct sys_enter_execve_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	const char *filename;
	const char *const *argv;
	const char *const *envp;
};

SEC("tracepoint/syscalls/sys_enter_execve")
int on_execve(struct sys_enter_execve_ctx *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);
	struct event *e;

	if (v)
		__sync_fetch_and_add(v, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->tag = tag;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->file, sizeof(e->file), ctx->filename);
	bpf_perf_event_output(ctx, &pevents, BPF_F_CURRENT_CPU, e, sizeof(*e));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("xdp")
int pass_ipv4(struct xdp_md *ctx)
{
	unsigned char *d = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (d + 14 > end)
		return XDP_ABORTED;
	return d[12] == 0x08 && d[13] == 0 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int never_loaded(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
