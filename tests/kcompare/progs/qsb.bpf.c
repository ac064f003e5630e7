/* qsb.bpf.c - QUEUE, STACK and BLOOM_FILTER: pushes (with BPF_EXIST
 * overwriting the oldest when full), pops, peeks, the errors of empty and
 * full maps, bloom pushes and membership tests. */
#include "kc.h"

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 6);
	__type(value, __u32);
} q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 5);
	__type(value, __u64);
} st SEC(".maps");

/* zero seeds: both sides then set the same bits (Linux's jhash2 for
 * 4-byte values, jhash for 6-byte ones), false positives included */
struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 256);
	__uint(map_extra, 3);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(value, __u32);
} bl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(value, __u8[6]);
} bl6 SEC(".maps");

KC_ARRAY(res, 16, __s64);

static __always_inline void put(__u32 i, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&res, &i);

	if (p)
		*p = v;
}

SEC("xdp")
int kc_qsb(struct xdp_md *ctx)
{
	unsigned char *d = kc_pkt(ctx, KC_MIN);
	__u32 v32, i, found = 0;
	__u64 v64;
	long e;

	if (!d)
		return 0;
	/* queue: three pushes per run; past 6, BPF_ANY fails, BPF_EXIST
	 * drops the oldest */
	v32 = d[KC_PAYLOAD];
	put(0, bpf_map_push_elem(&q, &v32, BPF_ANY));
	v32 = d[KC_PAYLOAD + 1] << 8;
	put(1, bpf_map_push_elem(&q, &v32, BPF_EXIST));
	v32 = d[KC_IP_DST + 3];
	put(2, bpf_map_push_elem(&q, &v32, BPF_ANY));
	e = bpf_map_peek_elem(&q, &v32);
	put(3, e ? e : v32);
	/* stack: two pushes, one pop per run */
	v64 = ((__u64)d[KC_PAYLOAD + 2] << 40) | d[KC_IP_SRC + 3];
	put(4, bpf_map_push_elem(&st, &v64, BPF_ANY));
	v64++;
	put(5, bpf_map_push_elem(&st, &v64, BPF_EXIST));
	e = bpf_map_pop_elem(&st, &v64);
	put(6, e ? e : (__s64)v64);
	e = bpf_map_peek_elem(&st, &v64);
	put(7, e ? e : (__s64)v64);
	/* bloom: the frame's payload bytes go in; count those of another
	 * range that may be present */
	for (i = 0; i < 8; i++) {
		v32 = d[KC_PAYLOAD + i];
		put(8, bpf_map_push_elem(&bl, &v32, BPF_ANY));
	}
	for (i = 0; i < 16; i++) {
		v32 = d[KC_PAYLOAD + 8 + i];
		if (bpf_map_peek_elem(&bl, &v32) == 0)
			found++;
	}
	/* a small filter: many false positives, the same on both sides */
	for (i = 0; i < 4; i++) {
		__u8 v6[6] = { d[KC_PAYLOAD + i], d[KC_IP_DST + 3], i, 0, 0, 1 };

		bpf_map_push_elem(&bl6, v6, BPF_ANY);
	}
	for (i = 0; i < 32; i++) {
		__u8 v6[6] = { i * 7, i, 3, 0, 0, 1 };

		if (bpf_map_peek_elem(&bl6, v6) == 0)
			found += 0x100;
	}
	v32 = 1000;
	put(9, bpf_map_peek_elem(&bl, &v32));		/* -ENOENT */
	put(10, bpf_map_push_elem(&bl, &v32, BPF_EXIST)); /* -EINVAL */
	put(11, found);
	return found;
}

/* empties the queue and the stack through the helpers */
SEC("xdp")
int kc_drain(struct xdp_md *ctx)
{
	__u32 v32, n = 0, i;
	__u64 v64;

	for (i = 0; i < 8; i++)
		if (bpf_map_pop_elem(&q, &v32) == 0)
			n += v32;
	put(12, bpf_map_pop_elem(&q, &v32));		/* -ENOENT */
	for (i = 0; i < 8; i++)
		if (bpf_map_pop_elem(&st, &v64) == 0)
			n += v64;
	put(13, bpf_map_peek_elem(&st, &v64));		/* -ENOENT */
	return n;
}

char LICENSE[] SEC("license") = "GPL";
