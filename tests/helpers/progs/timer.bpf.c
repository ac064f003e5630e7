/* timer.bpf.c - for tests/helpers/timers.c: arm a timer whose callback
 * counts in the same map value (and in fires[key]); cancel it; errors;
 * update the element from the program (its timer goes, as on Linux), and
 * from the timer's own callback. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CLOCK_MONOTONIC 1
#define NKEYS 12

struct elem {
	struct bpf_timer t;
	__u64 fired;
	__u64 key_seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NKEYS);
	__type(key, __u32);
	__type(value, struct elem);
} timers SEC(".maps");

/* callbacks run per key, kept apart from the value an update resets */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NKEYS);
	__type(key, __u32);
	__type(value, __u64);
} fires SEC(".maps");

/* what on_self saw: start before its update, the update, start after it,
 * init after it, set_callback, start of the new timer */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __s64);
} seen SEC(".maps");

static void count(__u32 key)
{
	__u64 *n = bpf_map_lookup_elem(&fires, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static void note(__u32 i, __s64 r)
{
	__s64 *s = bpf_map_lookup_elem(&seen, &i);

	if (s)
		*s = r;
}

static int on_timer(void *map, __u32 *key, struct elem *e)
{
	e->fired++;
	e->key_seen = *key;
	count(*key);
	return 0;
}

/* Re-arms itself, then replaces its own element: the timer goes (the
 * re-arm with it), and the element inits a new one at once. */
static int on_self(void *map, __u32 *key, struct elem *e)
{
	struct elem nv = { .fired = 50 };
	__u32 k = *key;

	count(k);
	note(0, bpf_timer_start(&e->t, 1000000, 0));
	note(1, bpf_map_update_elem(&timers, &k, &nv, BPF_ANY));
	note(2, bpf_timer_start(&e->t, 1000000, 0));
	note(3, bpf_timer_init(&e->t, &timers, CLOCK_MONOTONIC));
	note(4, bpf_timer_set_callback(&e->t, on_timer));
	note(5, bpf_timer_start(&e->t, 1000000, 0));
	return 0;
}

static long spin(__u64 i, void *ctx)
{
	(*(__u64 *)ctx)++;
	return 0;
}

/* A slow callback: says it started (seen[6]), loops, then counts. */
static int on_slow(void *map, __u32 *key, struct elem *e)
{
	__u64 n = 0;

	note(6, 1);
	bpf_loop(1 << 20, spin, &n, 0);
	e->key_seen = n;
	count(*key);
	return 0;
}

/* ctx: u32 key, u32 op, u32 delay in microseconds (0: 1 ms), u32 pad.
 * op 0: init+start, 1: cancel, 2: init twice, 3: init+start 10 s,
 * 4: update the element (BPF_EXIST, fired 100), 5: start alone,
 * 6: init+start with on_self, 7: init+start with on_slow */
SEC("syscall")
int arm(__u32 *ctx)
{
	__u32 key = ctx[0], op = ctx[1];
	__u64 ns = ctx[2] ? (__u64)ctx[2] * 1000 : 1000000;
	struct elem *e = bpf_map_lookup_elem(&timers, &key);
	long r;

	if (!e)
		return -1;
	if (op == 1)
		return bpf_timer_cancel(&e->t);
	if (op == 4) {
		struct elem nv = { .fired = 100 };

		return bpf_map_update_elem(&timers, &key, &nv, BPF_EXIST);
	}
	if (op == 5)
		return bpf_timer_start(&e->t, ns, 0);
	r = bpf_timer_init(&e->t, &timers, CLOCK_MONOTONIC);
	if (op == 2)
		return r;
	if (r)
		return r;
	r = bpf_timer_set_callback(&e->t, op == 6 ? on_self : op == 7 ? on_slow : on_timer);
	if (r)
		return r;
	return bpf_timer_start(&e->t, op == 3 ? 10000000000ull : ns, 0);
}

char LICENSE[] SEC("license") = "GPL";
