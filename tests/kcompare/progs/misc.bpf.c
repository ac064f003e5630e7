/* misc.bpf.c - helpers both sides must answer alike: for_each_map_elem
 * (a full walk and one stopped early), a bpf_spin_lock in a map value,
 * snprintf, strncmp, csum_diff. */
#include "kc.h"

struct locked {
	struct bpf_spin_lock lock;
	__u32 n;
	__u64 sum;
};

KC_ARRAY(lk, 1, struct locked);
KC_ARRAY(vals, 8, __u64);
KC_ARRAY(res, 16, __s64);

struct blob {
	__u8 b[528];
};

KC_ARRAY(big, 1, struct blob);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} hv SEC(".maps");

char fmtbuf[32];

static __always_inline void put(__u32 i, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&res, &i);

	if (p)
		*p = v;
}

struct walk {
	__u64 sum;
	__u32 visits;
	__u32 stop_after;
};

static long visit(void *map, __u32 *key, __u64 *val, void *ctx)
{
	struct walk *w = ctx;

	w->visits++;
	w->sum += *val * (*key + 1);
	*val += 1;
	return w->visits >= w->stop_after;
}

static long visit_h(void *map, __u32 *key, __u64 *val, void *ctx)
{
	struct walk *w = ctx;

	w->visits++;
	w->sum += *val ^ *key;
	return 0;
}

SEC("xdp")
int kc_misc(struct xdp_md *ctx)
{
	unsigned char *d = kc_pkt(ctx, KC_MIN);
	struct walk w = { .stop_after = 100 };
	struct locked *l;
	__u32 k = 0, hk;
	__u64 one, args[3];
	__u8 ip[20];
	char name[8] = "kcmp";
	long r;

	if (!d)
		return 0;
	/* for_each over an array (every slot), then stopped after 3 */
	put(0, bpf_for_each_map_elem(&vals, visit, &w, 0));
	put(1, w.sum);
	w.visits = 0;
	w.stop_after = 3;
	put(2, bpf_for_each_map_elem(&vals, visit, &w, 0));
	put(3, w.sum);
	/* ... over a hash: how many elements, whatever their order */
	hk = d[KC_IP_DST + 3];
	one = d[KC_PAYLOAD];
	bpf_map_update_elem(&hv, &hk, &one, BPF_ANY);
	w.visits = 0;
	w.sum = 0;
	w.stop_after = 100;
	put(4, bpf_for_each_map_elem(&hv, visit_h, &w, 0));
	put(5, w.sum);
	/* spin lock */
	l = bpf_map_lookup_elem(&lk, &k);
	if (l) {
		bpf_spin_lock(&l->lock);
		l->n++;
		l->sum += d[KC_PAYLOAD + 1];
		bpf_spin_unlock(&l->lock);
	}
	/* snprintf into a global, its length */
	args[0] = d[KC_IP_DST];
	args[1] = d[KC_IP_DST + 3];
	args[2] = ctx->data_end - ctx->data;
	put(6, bpf_snprintf(fmtbuf, sizeof(fmtbuf), "%u..%u len=%llu", args, sizeof(args)));
	/* strncmp against a constant string */
	put(7, bpf_strncmp(name, 4, "kcmp"));
	put(8, bpf_strncmp(name, 4, "kcmz") < 0);
	/* csum_diff over the IPv4 header */
	__builtin_memcpy(ip, d + 14, 20);
	r = bpf_csum_diff(0, 0, (__be32 *)ip, 20, 0);
	put(9, r);
	put(10, bpf_csum_diff((__be32 *)ip, 4, (__be32 *)(ip + 4), 4, 0x1234));
	/* no data: the seed; sizes that are not multiples of 4; carries */
	put(11, bpf_csum_diff(0, 0, 0, 0, 0x12345678));
	put(12, bpf_csum_diff(0, 0, (__be32 *)ip, 6, 0));
	put(13, bpf_csum_diff((__be32 *)ip, 3, (__be32 *)(ip + 8), 5, 0xffff0000));
	{
		struct blob *bb = bpf_map_lookup_elem(&big, &k);

		if (bb) {
			bb->b[d[KC_PAYLOAD] % 512] = 0xff;
			bb->b[519] = d[KC_IP_DST + 3];
			put(14, bpf_csum_diff(0, 0, (__be32 *)bb->b, 520, 1));
			__builtin_memset(ip, 0xff, 20);
			put(15, bpf_csum_diff((__be32 *)bb->b, 8, (__be32 *)ip, 20, 0xffffffff));
		}
	}
	return w.visits;
}

char LICENSE[] SEC("license") = "GPL";
