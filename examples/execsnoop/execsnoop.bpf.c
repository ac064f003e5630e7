/* execsnoop.bpf.c - the BPF side of execsnoop: every execve of a traced
 * process becomes a ring buffer record with the caller's pid, parent pid,
 * uid and comm, the filename and the first arguments (read from the
 * caller's memory with bpf_probe_read_user); the execve's return value
 * follows in a second record when it returns.
 *
 * The parent pid: Linux's libbpf-tools read it from the task struct;
 * without one, the sys_exit of clone/fork/vfork in the parent records
 * child -> parent in an LRU hash.  The child may reach execve before its
 * parent leaves clone, so ppid can be 0 here; the user side looks again.
 *
 * Builds for Linux too (libbpf-dev's headers) and runs there unchanged. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "execsnoop.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);	/* child pid */
	__type(value, __u32);	/* parent tgid */
} ppids SEC(".maps");

/* Set by the user side before load (-u UID); (__u32)-1: every uid. */
const volatile __u32 target_uid = (__u32)-1;

/* The contexts, as tracefs's format files give them. */
struct sys_enter_execve_args {
	__u64 common;
	__s32 nr;
	__u32 pad;
	const char *filename;
	const char *const *argv;
	const char *const *envp;
};

struct sys_exit_args {
	__u64 common;
	__s32 nr;
	__u32 pad;
	long ret;
};

SEC("tracepoint/syscalls/sys_enter_execve")
int on_execve(struct sys_enter_execve_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, uid = (__u32)bpf_get_current_uid_gid();
	const char *argp;
	struct exec_event *e;
	__u32 *ppid;
	long ret;
	int i;

	if (target_uid != (__u32)-1 && uid != target_uid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->kind = EV_EXEC;
	e->pid = pid;
	ppid = bpf_map_lookup_elem(&ppids, &pid);
	e->ppid = ppid ? *ppid : 0;
	e->uid = uid;
	e->ts_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(e->comm, sizeof(e->comm));

	e->args_count = 0;
	e->args_size = 0;
	ret = bpf_probe_read_user_str(e->args, ARGSIZE, ctx->filename);
	if (ret > 0 && ret <= ARGSIZE) {
		e->args_size = ret;
	} else {
		e->args[0] = '\0';
		e->args_size = 1;
	}
	e->args_count = 1;

#pragma unroll
	for (i = 1; i < MAX_ARGS; i++) {
		argp = 0;
		if (bpf_probe_read_user(&argp, sizeof(argp), &ctx->argv[i]) || !argp)
			goto out;
		if (e->args_size > FULL_MAX_ARGS_ARR - ARGSIZE)
			goto out;
		ret = bpf_probe_read_user_str(&e->args[e->args_size], ARGSIZE, argp);
		if (ret <= 0 || ret > ARGSIZE)
			goto out;
		e->args_count++;
		e->args_size += ret;
	}
	/* one more argument there? then say that some were left out */
	argp = 0;
	bpf_probe_read_user(&argp, sizeof(argp), &ctx->argv[MAX_ARGS]);
	if (argp)
		e->args_count++;
out:
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int on_execve_ret(struct sys_exit_args *ctx)
{
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	struct ret_event *r;

	if (target_uid != (__u32)-1 && uid != target_uid)
		return 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r)
		return 0;
	r->kind = EV_RET;
	r->pid = bpf_get_current_pid_tgid() >> 32;
	r->retval = ctx->ret;
	r->pad = 0;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* In the parent, a fork-like call returns the child's pid. */
static __always_inline int note_child(struct sys_exit_args *ctx)
{
	__u32 child = ctx->ret, parent = bpf_get_current_pid_tgid() >> 32;

	if (ctx->ret > 0)
		bpf_map_update_elem(&ppids, &child, &parent, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_clone")
int on_clone_ret(struct sys_exit_args *ctx)
{
	return note_child(ctx);
}

SEC("tracepoint/syscalls/sys_exit_clone3")
int on_clone3_ret(struct sys_exit_args *ctx)
{
	return note_child(ctx);
}

SEC("tracepoint/syscalls/sys_exit_fork")
int on_fork_ret(struct sys_exit_args *ctx)
{
	return note_child(ctx);
}

SEC("tracepoint/syscalls/sys_exit_vfork")
int on_vfork_ret(struct sys_exit_args *ctx)
{
	return note_child(ctx);
}

char LICENSE[] SEC("license") = "GPL";
