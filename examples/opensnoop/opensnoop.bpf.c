/* opensnoop.bpf.c - the BPF side of opensnoop: sys_enter_open and
 * sys_enter_openat keep the path pointer and flags in a hash keyed by
 * thread id; the matching sys_exit reads the path from the caller's
 * memory (still there: the call has not returned to it yet) and sends
 * one record with the result through a perf event array, as
 * libbpf-tools' opensnoop does.  Builds for Linux unchanged. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "opensnoop.h"

struct args_t {
	const char *fname;
	__u64 start_ns;
	__s32 flags;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);	/* tid */
	__type(value, struct args_t);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

const volatile struct opensnoop_cfg cfg = {};

/* The contexts, as tracefs's format files give them. */
struct sys_enter_open_args {
	__u64 common;
	__s32 nr;
	__u32 pad;
	const char *filename;
	__s64 flags;
	__u64 mode;
};

struct sys_enter_openat_args {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 dfd;
	const char *filename;
	__s64 flags;
	__u64 mode;
};

struct sys_exit_args {
	__u64 common;
	__s32 nr;
	__u32 pad;
	long ret;
};

static __always_inline int enter(const char *fname, int flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct args_t a = {};

	if (cfg.target_pid && cfg.target_pid != id >> 32)
		return 0;
	a.fname = fname;
	a.flags = flags;
	a.start_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &a, BPF_ANY);
	return 0;
}

static __always_inline int leave(struct sys_exit_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct open_event e = {};
	struct args_t *a;

	a = bpf_map_lookup_elem(&start, &tid);
	if (!a)
		return 0;
	if (cfg.failed_only && ctx->ret >= 0)
		goto cleanup;
	e.ts_ns = bpf_ktime_get_ns();
	e.latency_ns = e.ts_ns - a->start_ns;
	e.pid = id >> 32;
	e.tid = tid;
	e.uid = (__u32)bpf_get_current_uid_gid();
	e.ret = ctx->ret;
	e.flags = a->flags;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_probe_read_user_str(e.fname, sizeof(e.fname), a->fname);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
cleanup:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int on_open(struct sys_enter_open_args *ctx)
{
	return enter(ctx->filename, (int)ctx->flags);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct sys_enter_openat_args *ctx)
{
	return enter(ctx->filename, (int)ctx->flags);
}

SEC("tracepoint/syscalls/sys_exit_open")
int on_open_ret(struct sys_exit_args *ctx)
{
	return leave(ctx);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int on_openat_ret(struct sys_exit_args *ctx)
{
	return leave(ctx);
}

char LICENSE[] SEC("license") = "GPL";
