/* bad_timer_percpu.bpf.c - for tests/helpers/timers.c: a timer in a
 * PERCPU_HASH value, which Linux refuses (at the map's creation already)
 * and userbpf's verifier too; run anyway (checked), bpf_timer_init says
 * -EOPNOTSUPP. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CLOCK_MONOTONIC 1

struct elem {
	struct bpf_timer t;
	__u64 fired;
	__u64 key_seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct elem);
} pt SEC(".maps");

SEC("syscall")
int parm(__u32 *ctx)
{
	__u32 key = ctx[0];
	struct elem zero = {}, *e;

	bpf_map_update_elem(&pt, &key, &zero, BPF_NOEXIST);
	e = bpf_map_lookup_elem(&pt, &key);
	if (!e)
		return -1000;
	return bpf_timer_init(&e->t, &pt, CLOCK_MONOTONIC);
}

char LICENSE[] SEC("license") = "GPL";
