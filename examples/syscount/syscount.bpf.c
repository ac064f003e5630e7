/* syscount.bpf.c - the BPF side of syscount: raw_syscalls/sys_enter counts
 * each syscall by number in a hash and notes the time in a hash keyed by
 * thread id; raw_syscalls/sys_exit adds the call's latency to that
 * number's total and to a log2 histogram (an array of MAX_SLOTS counters).
 * Builds for Linux unchanged. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "syscount.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);	/* tid */
	__type(value, __u64);	/* ktime at entry */
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);	/* syscall number */
	__type(value, struct data_t);
} data SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

const volatile struct syscount_cfg cfg = {};

/* raw_syscalls contexts, as tracefs's format files give them */
struct raw_enter_args {
	__u64 common;
	long id;
	unsigned long args[6];
};

struct raw_exit_args {
	__u64 common;
	long id;
	long ret;
};

/* floor(log2(v)), 0 for v <= 1, by halving the search range */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, s;

	s = (v > 0xffffffffULL) << 5; v >>= s; r |= s;
	s = (v > 0xffff) << 4; v >>= s; r |= s;
	s = (v > 0xff) << 3; v >>= s; r |= s;
	s = (v > 0xf) << 2; v >>= s; r |= s;
	s = (v > 0x3) << 1; v >>= s; r |= s;
	return r | (__u32)(v >> 1);
}

SEC("tracepoint/raw_syscalls/sys_enter")
int sys_enter(struct raw_enter_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), ts;
	__u32 tid = (__u32)id, nr = (__u32)ctx->id;
	struct data_t *d, zero = {};

	if (cfg.target_pid && cfg.target_pid != id >> 32)
		return 0;
	d = bpf_map_lookup_elem(&data, &nr);
	if (!d) {
		bpf_map_update_elem(&data, &nr, &zero, BPF_NOEXIST);
		d = bpf_map_lookup_elem(&data, &nr);
		if (!d)
			return 0;
	}
	__sync_fetch_and_add(&d->count, 1);
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int sys_exit(struct raw_exit_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), *tsp, delta, *slotp;
	__u32 tid = (__u32)id, nr = (__u32)ctx->id, slot;
	struct data_t *d;

	tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	delta = bpf_ktime_get_ns() - *tsp;
	bpf_map_delete_elem(&start, &tid);
	d = bpf_map_lookup_elem(&data, &nr);
	if (d) {
		__sync_fetch_and_add(&d->timed, 1);
		__sync_fetch_and_add(&d->total_ns, delta);
		if (delta > d->max_ns)	/* racy, as in libbpf-tools: a hint */
			d->max_ns = delta;
	}
	slot = log2_u64(cfg.hist_ns ? delta : delta / 1000);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	slotp = bpf_map_lookup_elem(&hist, &slot);
	if (slotp)
		__sync_fetch_and_add(slotp, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
