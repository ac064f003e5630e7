/* maps.bpf.c - HASH, ARRAY, PERCPU_HASH, PERCPU_ARRAY and LRU_HASH
 * written from XDP and socket-filter programs: inserts, updates in place,
 * deletes, BPF_NOEXIST/BPF_EXIST refusals (their errors kept in `errs`). */
#include "kc.h"

struct rec {
	__u64 cnt;
	__u32 last;
	__u32 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct rec);
} h SEC(".maps");

KC_ARRAY(arr, 8, __u64);
KC_ARRAY(errs, 8, __s64);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 32);
	__type(key, __u16);
	__type(value, __u64);
} pch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} pca SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__type(key, __u64);
	__type(value, __u32);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} lrupc SEC(".maps");

/* small hashes that fill up: -E2BIG past max_entries, preallocated or not */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} hfull SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u32);
} hfullnp SEC(".maps");

KC_ARRAY(full, 1, __u64);

static __always_inline void err_at(__u32 i, long e)
{
	__s64 *v = bpf_map_lookup_elem(&errs, &i);

	if (v)
		*v = e;
}

SEC("xdp")
int kc_maps(struct xdp_md *ctx)
{
	unsigned char *d = kc_pkt(ctx, KC_MIN);
	struct rec r = {}, *rp;
	__u32 k, i;
	__u64 *a, one = 1, lk;
	__u16 pk;
	__u32 *pv;

	if (!d)
		return 1;
	/* HASH: one record per destination's last byte, a second per
	 * payload byte; the record of key 7 is deleted when met */
	k = d[KC_IP_DST + 3];
	rp = bpf_map_lookup_elem(&h, &k);
	if (rp) {
		rp->cnt++;
		rp->last = d[KC_PAYLOAD];
		rp->bytes += ctx->data_end - ctx->data;
	} else {
		r.cnt = 1;
		r.last = d[KC_PAYLOAD];
		r.bytes = ctx->data_end - ctx->data;
		err_at(0, bpf_map_update_elem(&h, &k, &r, BPF_NOEXIST));
	}
	err_at(1, bpf_map_update_elem(&h, &k, &r, BPF_NOEXIST));	/* -EEXIST */
	k = 1000 + d[KC_PAYLOAD + 1];
	err_at(2, bpf_map_update_elem(&h, &k, &r, BPF_EXIST));	/* -ENOENT the first time */
	r.cnt = 77;
	bpf_map_update_elem(&h, &k, &r, BPF_ANY);
	k = 7;
	err_at(3, bpf_map_delete_elem(&h, &k));
	/* ARRAY */
	k = d[KC_IP_SRC + 3] & 7;
	a = bpf_map_lookup_elem(&arr, &k);
	if (a)
		*a += d[KC_PAYLOAD + 2];
	k = 8;
	err_at(4, bpf_map_update_elem(&arr, &k, &one, BPF_ANY));	/* -E2BIG */
	/* PERCPU_HASH and PERCPU_ARRAY: this CPU's slot */
	pk = d[KC_PAYLOAD + 3] | (d[KC_PAYLOAD + 4] << 8);
	a = bpf_map_lookup_elem(&pch, &pk);
	if (a)
		*a += 3;
	else
		bpf_map_update_elem(&pch, &pk, &one, BPF_ANY);
	for (i = 0; i < 4; i++) {
		k = i;
		pv = bpf_map_lookup_elem(&pca, &k);
		if (pv)
			*pv += i + d[KC_PAYLOAD + 5];
	}
	/* LRU_HASH and LRU_PERCPU_HASH, below their capacity (which entry
	 * an LRU evicts when full depends on per-CPU free lists: not compared) */
	k = d[KC_PAYLOAD + 7] & 7;
	a = bpf_map_lookup_elem(&lrupc, &k);
	if (a)
		*a += d[KC_PAYLOAD + 8];
	else
		bpf_map_update_elem(&lrupc, &k, &one, BPF_NOEXIST);
	lk = ((__u64)d[KC_IP_DST + 2] << 32) | d[KC_PAYLOAD + 6];
	pv = bpf_map_lookup_elem(&lru, &lk);
	if (pv)
		*pv += 1;
	else
		err_at(5, bpf_map_update_elem(&lru, &lk, &k, BPF_ANY));
	/* fill the small hashes: three new keys per run */
	{
		__u32 big = 0, other = 0, fine = 0, differ = 0, kk, vv = d[KC_IP_DST + 3];
		long e1, e2;
		__s64 *c;

#pragma unroll
		for (i = 0; i < 3; i++) {
			kk = d[KC_PAYLOAD + 9] + i;
			e1 = bpf_map_update_elem(&hfull, &kk, &vv, BPF_NOEXIST);
			e2 = bpf_map_update_elem(&hfullnp, &kk, &vv, BPF_NOEXIST);
			big += e1 == -7;	/* -E2BIG */
			other += e1 && e1 != -7;
			fine += !e1;
			differ += e1 != e2;
		}
		k = 0;
		c = bpf_map_lookup_elem(&full, &k);
		if (c)
			*c += big | other << 8 | fine << 16 | (__u64)differ << 24;
	}
	/* the context's other fields (ctx_in may set them) */
	err_at(6, ctx->ingress_ifindex);
	err_at(7, ctx->rx_queue_index);
	return 2 + (d[KC_PAYLOAD] & 1);
}

/* the socket-filter side: skb fields and legacy loads, into the same maps */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

SEC("socket")
int kc_sock(struct __sk_buff *skb)
{
	__u32 k = 2000 + skb->len;
	struct rec r = { .cnt = load_word(skb, KC_IP_DST), .last = load_half(skb, 12),
			 .bytes = load_byte(skb, KC_PAYLOAD) };
	__u64 *a;

	bpf_map_update_elem(&h, &k, &r, BPF_ANY);
	k = 6;
	a = bpf_map_lookup_elem(&arr, &k);
	if (a)
		*a += skb->protocol;
	return skb->len + load_byte(skb, KC_IP_DST + 3);
}

char LICENSE[] SEC("license") = "GPL";
