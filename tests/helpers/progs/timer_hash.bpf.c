/* timer_hash.bpf.c - for tests/helpers/timers.c: timers in HASH and
 * LRU_HASH values; a callback that deletes its own element; deletes and
 * updates from the program (the PERCPU_HASH that Linux refuses timers in
 * is bad_timer_percpu.bpf.c).  Every callback also counts in `fires` (an ARRAY), which
 * outlives the elements. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CLOCK_MONOTONIC 1

struct elem {
	struct bpf_timer t;
	__u64 fired;
	__u64 key_seen;
};

#define HMAP(name, kind, n)                     \
	struct {                                \
		__uint(type, kind);             \
		__uint(max_entries, n);         \
		__type(key, __u32);             \
		__type(value, struct elem);     \
	} name SEC(".maps")

HMAP(ht, BPF_MAP_TYPE_HASH, 64);
HMAP(lt, BPF_MAP_TYPE_LRU_HASH, 4);

/* fires[0]: hash callbacks, [1]: LRU callbacks, [2]: self-deleting
 * callbacks, [3]: the sum of the keys the hash callbacks saw */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} fires SEC(".maps");

static void count(__u32 i, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&fires, &i);

	if (c)
		__sync_fetch_and_add(c, n);
}

static int on_hash(void *map, __u32 *key, struct elem *e)
{
	e->fired++;
	e->key_seen = *key;
	count(0, 1);
	count(3, *key);
	return 0;
}

static int on_lru(void *map, __u32 *key, struct elem *e)
{
	e->fired++;
	e->key_seen = *key;
	count(1, 1);
	return 0;
}

/* deletes the element it runs for, then writes to it (the value stays
 * readable until the callback returns, as under Linux's RCU) */
static int on_self_delete(void *map, __u32 *key, struct elem *e)
{
	__u32 k = *key;

	bpf_map_delete_elem(map, &k);
	e->fired++;
	count(2, 1);
	return 0;
}

/* ctx: key, op, which map (0 ht, 1 lt), delay in microseconds
 * op 0: insert (if missing), init, set the callback, start
 *    1: cancel            2: init alone (EBUSY when initialised)
 *    3: delete            4: update with the element's own fields
 *    5: start again       6: as 0, with the self-deleting callback */
struct args {
	__u32 key, op, which, us;
};

static long arm(void *map, struct elem *e, int which, int op, __u64 ns)
{
	long r = bpf_timer_init(&e->t, map, CLOCK_MONOTONIC);

	if (r)
		return r;
	if (op == 6)
		r = bpf_timer_set_callback(&e->t, on_self_delete);
	else if (which == 1)
		r = bpf_timer_set_callback(&e->t, on_lru);
	else
		r = bpf_timer_set_callback(&e->t, on_hash);
	if (r)
		return r;
	return bpf_timer_start(&e->t, ns, 0);
}

SEC("syscall")
int harm(struct args *a)
{
	__u32 key = a->key, op = a->op, which = a->which;
	__u64 ns = (__u64)a->us * 1000;
	struct elem zero = {}, copy, *e;
	void *map = which == 0 ? (void *)&ht : (void *)&lt;

	if (op == 3)
		return bpf_map_delete_elem(map, &key);
	if (op == 0 || op == 6)
		bpf_map_update_elem(map, &key, &zero, BPF_NOEXIST);
	e = bpf_map_lookup_elem(map, &key);
	if (!e)
		return -1000;
	switch (op) {
	case 0:
	case 6:
		return arm(map, e, which, op, ns);
	case 1:
		return bpf_timer_cancel(&e->t);
	case 2:
		return bpf_timer_init(&e->t, map, CLOCK_MONOTONIC);
	case 4:
		/* (a struct bpf_timer is not read or written directly) */
		copy = zero;
		copy.fired = e->fired + 100;
		copy.key_seen = e->key_seen;
		return bpf_map_update_elem(map, &key, &copy, BPF_EXIST);
	case 5:
		return bpf_timer_start(&e->t, ns, 0);
	}
	return -2000;
}

char LICENSE[] SEC("license") = "GPL";
