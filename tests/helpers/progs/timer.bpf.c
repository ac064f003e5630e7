/* timer.bpf.c - for tests/helpers/timers.c: arm a timer whose callback
 * counts in the same map value; cancel it; errors. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CLOCK_MONOTONIC 1

struct elem {
	struct bpf_timer t;
	__u64 fired;
	__u64 key_seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct elem);
} timers SEC(".maps");

static int on_timer(void *map, __u32 *key, struct elem *e)
{
	e->fired++;
	e->key_seen = *key;
	return 0;
}

/* ctx: u32 key, u32 op (0: init+start 1 ms, 1: cancel, 2: init twice) */
SEC("syscall")
int arm(__u32 *ctx)
{
	__u32 key = ctx[0];
	struct elem *e = bpf_map_lookup_elem(&timers, &key);
	long r;

	if (!e)
		return -1;
	if (ctx[1] == 1)
		return bpf_timer_cancel(&e->t);
	r = bpf_timer_init(&e->t, &timers, CLOCK_MONOTONIC);
	if (ctx[1] == 2)
		return r;
	if (r)
		return r;
	r = bpf_timer_set_callback(&e->t, on_timer);
	if (r)
		return r;
	return bpf_timer_start(&e->t, ctx[1] == 3 ? 10000000000ull : 1000000, 0);
}

char LICENSE[] SEC("license") = "GPL";
