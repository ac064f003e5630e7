/* lpm.bpf.c - LPM_TRIE: a program fills the trie (inserts, a replace, a
 * delete, the refusals), another looks up each frame's destination and
 * counts what matched; lookups of shorter and impossible prefixes too. */
#include "kc.h"

struct lpm_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u32);
} trie SEC(".maps");

KC_ARRAY(hits, 16, __u64);
KC_ARRAY(res, 16, __s64);

static __always_inline long add(__u32 len, __u8 a, __u8 b, __u8 c, __u8 d, __u32 v, __u64 fl)
{
	struct lpm_key k = { len, { a, b, c, d } };

	return bpf_map_update_elem(&trie, &k, &v, fl);
}

static __always_inline void put(__u32 i, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&res, &i);

	if (p)
		*p = v;
}

SEC("xdp")
int kc_lpm_fill(struct xdp_md *ctx)
{
	struct lpm_key k = { 16, { 192, 168, 0, 0 } };

	put(0, add(8, 10, 0, 0, 0, 1, BPF_ANY));
	put(1, add(16, 10, 1, 0, 0, 2, BPF_ANY));
	put(2, add(24, 10, 1, 2, 0, 3, BPF_NOEXIST));
	put(3, add(16, 192, 168, 0, 0, 4, BPF_ANY));
	put(4, add(0, 0, 0, 0, 0, 5, BPF_ANY));
	put(5, add(32, 10, 1, 2, 3, 6, BPF_ANY));
	put(6, add(24, 10, 1, 2, 99, 7, BPF_NOEXIST));	/* host bits ignored: -EEXIST */
	put(7, add(33, 10, 1, 2, 3, 8, BPF_ANY));	/* -EINVAL */
	put(8, add(12, 10, 192, 0, 0, 9, BPF_EXIST));	/* -ENOENT */
	put(9, add(16, 10, 1, 0, 0, 12, BPF_EXIST));	/* replaces 2 */
	put(10, add(20, 10, 200, 0, 0, 10, BPF_ANY));
	put(11, add(28, 10, 200, 0, 0, 11, BPF_ANY));
	put(12, bpf_map_delete_elem(&trie, &k));
	put(13, bpf_map_delete_elem(&trie, &k));	/* -ENOENT */
	put(14, add(17, 192, 168, 128, 0, 13, BPF_ANY));
	return 0;
}

SEC("xdp")
int kc_lpm(struct xdp_md *ctx)
{
	unsigned char *d = kc_pkt(ctx, KC_MIN);
	struct lpm_key k = { 32 };
	__u32 *v, i, ret = 0;
	__u64 *h;

	if (!d)
		return 0;
	__builtin_memcpy(k.addr, d + KC_IP_DST, 4);
	v = bpf_map_lookup_elem(&trie, &k);
	if (v) {
		ret = *v;
		i = *v & 15;
		h = bpf_map_lookup_elem(&hits, &i);
		if (h)
			*h += 1;
	}
	/* the same address with shorter prefixes: /20 and /9 */
	k.prefixlen = 20;
	v = bpf_map_lookup_elem(&trie, &k);
	ret = ret * 16 + (v ? *v : 0);
	k.prefixlen = 9;
	v = bpf_map_lookup_elem(&trie, &k);
	ret = ret * 16 + (v ? *v : 0);
	/* the source address: no prefix but the default covers it */
	__builtin_memcpy(k.addr, d + KC_IP_SRC, 4);
	k.prefixlen = 32;
	v = bpf_map_lookup_elem(&trie, &k);
	ret = ret * 16 + (v ? *v : 15);
	return ret;
}

char LICENSE[] SEC("license") = "GPL";
