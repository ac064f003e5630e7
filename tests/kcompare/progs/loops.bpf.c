/* loops.bpf.c - bounded loops (a counted for, a while with a
 * data-dependent bound, a do-while, nested) kept as loops, and the
 * bpf_loop helper: full runs, a callback that stops early, zero
 * iterations, and a refused flag. */
#include "kc.h"

KC_ARRAY(out, 16, __s64);

struct acc {
	__u64 sum;
	__u32 stop_at;
	__u32 seen;
	unsigned char *d;
};

static __always_inline void put(__u32 i, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&out, &i);

	if (p)
		*p = v;
}

static long step(__u32 i, void *c)
{
	struct acc *a = c;

	a->seen++;
	a->sum = a->sum * 31 + i;
	return i + 1 >= a->stop_at;	/* 1: stop */
}

SEC("xdp")
int kc_loops(struct xdp_md *ctx)
{
	unsigned char *d = kc_pkt(ctx, KC_MIN);
	struct acc a = {};
	__u64 s = 0, t = 1;
	__u32 i, j, n;

	if (!d)
		return 0;
#pragma clang loop unroll(disable)
	for (i = 0; i < 100; i++)
		s += i * d[KC_PAYLOAD + (i & 15)];
	put(0, s);
	n = d[KC_PAYLOAD + 3] & 63;
	i = 0;
#pragma clang loop unroll(disable)
	while (i < n && i < 64) {
		t = t * 3 + i;
		i++;
	}
	put(1, t);
	put(2, i);
	j = 0;
#pragma clang loop unroll(disable)
	do {
		s ^= s << 7 | j;
		j++;
	} while (j < (d[KC_PAYLOAD + 4] & 7) && j < 8);
	put(3, s);
	s = 0;
#pragma clang loop unroll(disable)
	for (i = 0; i < 10; i++)
#pragma clang loop unroll(disable)
		for (j = 0; j < i; j++)
			s += i * j;
	put(4, s);
	/* bpf_loop */
	a.stop_at = 1000;
	put(5, bpf_loop(50, step, &a, 0));
	put(6, a.sum);
	a.stop_at = d[KC_IP_DST + 3] % 20 + 1;
	a.seen = 0;
	put(7, bpf_loop(100, step, &a, 0));
	put(8, a.seen);
	put(9, bpf_loop(0, step, &a, 0));
	put(10, bpf_loop(5, step, &a, 1));	/* flags must be 0: -EINVAL */
	return a.seen;
}

char LICENSE[] SEC("license") = "GPL";
