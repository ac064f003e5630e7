/* pt_count.bpf.c - counts getpid for tests/hooks/ptrace.c:
 *   counts[0] sys_enter_getpid runs
 *   counts[1] sys_exit_getpid runs
 *   counts[2] exits whose ret is the caller's tgid (bpf_get_current_pid_tgid)
 *   counts[3] entries whose common_pid is the caller's tid
 *   counts[4] entries whose comm starts with "pt_work"
 *   counts[5] sys_exit_clone/clone3 in the new thread or process (ret 0)
 *   counts[6] sys_exit_clone/clone3 in the caller (ret > 0)
 *   tids      tid -> entries
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} tids SEC(".maps");

struct enter_ctx {
	unsigned long long common;
	int nr;
};

struct exit_ctx {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	int nr;
	long ret;
};

static void bump(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_enter(struct exit_ctx *ctx)
{
	__u64 pt = bpf_get_current_pid_tgid(), one = 1, *v;
	__u32 tid = (__u32)pt;
	char comm[16];

	bump(0);
	if ((int)tid == ctx->common_pid)
		bump(3);
	bpf_get_current_comm(comm, sizeof(comm));
	if (comm[0] == 'p' && comm[1] == 't' && comm[2] == '_' && comm[3] == 'w' &&
	    comm[4] == 'o' && comm[5] == 'r' && comm[6] == 'k')
		bump(4);
	v = bpf_map_lookup_elem(&tids, &tid);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&tids, &tid, &one, BPF_NOEXIST);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_getpid")
int on_exit(struct exit_ctx *ctx)
{
	bump(1);
	if (ctx->ret == (long)(bpf_get_current_pid_tgid() >> 32))
		bump(2);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_clone")
int on_clone_exit(struct exit_ctx *ctx)
{
	bump(ctx->ret == 0 ? 5 : ctx->ret > 0 ? 6 : 7);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_clone3")
int on_clone3_exit(struct exit_ctx *ctx)
{
	bump(ctx->ret == 0 ? 5 : ctx->ret > 0 ? 6 : 7);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
