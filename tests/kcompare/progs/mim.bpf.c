/* mim.bpf.c - ARRAY_OF_MAPS and HASH_OF_MAPS filled by libbpf's static
 * initialisation: the program finds an inner map by the frame, updates
 * it, and notes which slots hold no map. */
#include "kc.h"

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner in_a SEC(".maps"), in_b SEC(".maps"), in_c SEC(".maps");

struct inner_h {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner_h hin_x SEC(".maps"), hin_y SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer_a SEC(".maps") = {
	.values = { [0] = &in_a, [1] = &in_b, [3] = &in_c },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct inner_h);
} outer_h SEC(".maps") = {
	.values = { [2] = &hin_x, [5] = &hin_y },
};

KC_ARRAY(misses, 8, __u64);

static __always_inline void miss(__u32 i)
{
	__u64 *m = bpf_map_lookup_elem(&misses, &i);

	if (m)
		*m += 1;
}

SEC("xdp")
int kc_mim(struct xdp_md *ctx)
{
	unsigned char *d = kc_pkt(ctx, KC_MIN);
	__u32 k, ik;
	__u64 *v, one = 1;
	void *in;
	int ret = 0;

	if (!d)
		return 0;
	k = d[KC_IP_DST + 3] % 5;	/* 2: an empty slot, 4: past the end */
	in = bpf_map_lookup_elem(&outer_a, &k);
	if (in) {
		ik = d[KC_PAYLOAD] & 3;
		v = bpf_map_lookup_elem(in, &ik);
		if (v) {
			*v += d[KC_PAYLOAD + 1];
			ret += 1;
		}
	} else {
		miss(k & 3);
	}
	k = d[KC_IP_SRC + 3] % 7;
	in = bpf_map_lookup_elem(&outer_h, &k);
	if (in) {
		ik = d[KC_PAYLOAD + 2];
		v = bpf_map_lookup_elem(in, &ik);
		if (v)
			*v += 1;
		else
			bpf_map_update_elem(in, &ik, &one, BPF_NOEXIST);
		ret += 2;
	} else {
		miss(4 + (k & 3));
	}
	return ret;
}

char LICENSE[] SEC("license") = "GPL";
