/* SPDX-License-Identifier: MIT */
/*
 * maps_btf.bpf.c - BTF-defined maps of the array families, which this
 * build creates: an array whose value holds a bpf_spin_lock, a per-CPU
 * array, a prog_array whose slots are filled from .rel.maps, and a pinned
 * array.  The programs count through the arrays and tail-call.
 */
#include "bpf_defs.h"

struct val {
	__u64 hits;
	struct bpf_spin_lock lock;
	__u32 last;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct val);
	__uint(max_entries, 4);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 8);
	__uint(max_entries, 2);
} per_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, int);
	__type(value, __u64);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pinned_total SEC(".maps");

int tail_a(void *ctx);
int tail_b(void *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, int (void *));
} jump SEC(".maps") = {
	.values = {
		[0] = (void *)&tail_a,
		[2] = (void *)&tail_b,
	},
};

SEC("xdp")
int tail_a(void *ctx)
{
	return 100;
}

SEC("xdp")
int tail_b(void *ctx)
{
	return 200;
}

SEC("xdp")
int count(struct xdp_md *ctx)
{
	__u32 k = 1;
	struct val *v = bpf_map_lookup_elem(&counts, &k);
	__u64 *t;
	int zero = 0;

	if (!v)
		return 1;
	v->hits += 1;
	v->last = 7;
	t = bpf_map_lookup_elem(&pinned_total, &zero);
	if (t)
		*t += 3;
	return v->hits;
}

SEC("xdp")
int jumper(struct xdp_md *ctx)
{
	__u32 *sel = (void *)ctx;	/* the test's context: an index */

	bpf_tail_call(ctx, &jump, *sel);
	return 7;
}

char LICENSE[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0x050a00;
