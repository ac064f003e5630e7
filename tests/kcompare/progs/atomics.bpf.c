/* atomics.bpf.c (built with -mcpu=v3) - every atomic instruction on map
 * values, 64- and 32-bit: add, or, and, xor with and without fetch, xchg,
 * cmpxchg that succeeds and one that fails; the fetched old values are
 * kept in `olds`.  On an ARRAY value and on a HASH value. */
#include "kc.h"

struct av {
	__u64 add, or, and, xor, xchg, cmp;
	__u64 nadd, nor, nand, nxor;
	__u32 add32, or32, and32, xor32, xchg32, cmp32;
	__u32 nadd32, nor32, nand32, nxor32;
};

KC_ARRAY(vals, 2, struct av);
KC_ARRAY(olds, 32, __u64);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct av);
} hv SEC(".maps");

static __always_inline void put(__u32 i, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&olds, &i);

	if (p)
		*p = v;
}

static __always_inline void hammer(struct av *v, __u64 x, __u32 base)
{
	__u32 y = (__u32)x * 2654435761u;

	put(base + 0, __sync_fetch_and_add(&v->add, x));
	put(base + 1, __sync_fetch_and_or(&v->or, x << 3));
	put(base + 2, __sync_fetch_and_and(&v->and, ~(x << 1)));
	put(base + 3, __sync_fetch_and_xor(&v->xor, x * 0x0101010101010101ull));
	put(base + 4, __sync_lock_test_and_set(&v->xchg, x + 1));
	put(base + 5, __sync_val_compare_and_swap(&v->cmp, v->cmp, v->cmp + x));
	put(base + 6, __sync_val_compare_and_swap(&v->cmp, 12345, 0));	/* fails */
	__sync_fetch_and_add(&v->nadd, x);
	__sync_fetch_and_or(&v->nor, x << 5);
	__sync_fetch_and_and(&v->nand, ~x);
	__sync_fetch_and_xor(&v->nxor, x << 9);
	put(base + 7, __sync_fetch_and_add(&v->add32, y));
	put(base + 8, __sync_fetch_and_or(&v->or32, y >> 7));
	put(base + 9, __sync_fetch_and_and(&v->and32, ~y | 0x80000001u));
	put(base + 10, __sync_fetch_and_xor(&v->xor32, y));
	put(base + 11, __sync_lock_test_and_set(&v->xchg32, y));
	put(base + 12, __sync_val_compare_and_swap(&v->cmp32, v->cmp32, v->cmp32 + y));
	put(base + 13, __sync_val_compare_and_swap(&v->cmp32, 7, 8));
	__sync_fetch_and_add(&v->nadd32, y);
	__sync_fetch_and_or(&v->nor32, y & 0xf0f0);
	__sync_fetch_and_and(&v->nand32, ~(y & 0xff));
	__sync_fetch_and_xor(&v->nxor32, y);
}

SEC("xdp")
int kc_atomics(struct xdp_md *ctx)
{
	unsigned char *d = kc_pkt(ctx, KC_MIN);
	struct av *v, init = { .and = ~0ull, .nand = ~0ull, .and32 = ~0u, .nand32 = ~0u,
			       .cmp = 5, .cmp32 = 9 };
	__u32 k = 0;
	__u64 x;

	if (!d)
		return 0;
	x = ((__u64)d[KC_PAYLOAD] << 32) | (d[KC_PAYLOAD + 1] << 8) | d[KC_IP_DST + 3];
	v = bpf_map_lookup_elem(&vals, &k);
	if (!v)
		return 0;
	if (!v->and) {
		v->and = ~0ull;
		v->nand = ~0ull;
		v->and32 = ~0u;
		v->nand32 = ~0u;
	}
	hammer(v, x, 0);
	k = d[KC_IP_DST] & 3;
	v = bpf_map_lookup_elem(&hv, &k);
	if (!v) {
		bpf_map_update_elem(&hv, &k, &init, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&hv, &k);
		if (!v)
			return 1;
	}
	hammer(v, x + 77, 16);
	return 2;
}

char LICENSE[] SEC("license") = "GPL";
