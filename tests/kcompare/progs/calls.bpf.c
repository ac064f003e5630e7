/* calls.bpf.c - bpf2bpf calls four levels deep, each frame with its own
 * stack array (so every frame's stack is used, and the callers' survive
 * the calls), a call with five arguments, and global (non-static)
 * functions, which the kernel verifies on their own (one with scalar
 * arguments, one taking the context). */
#include "kc.h"

KC_ARRAY(out, 8, __u64);

static __noinline __u64 level4(__u64 a, __u64 b)
{
	volatile __u64 buf[6];
	__u64 s = 0;
	int i;

	for (i = 0; i < 6; i++)
		buf[i] = a * (i + 1) + b;
	for (i = 0; i < 6; i++)
		s += buf[i] ^ (s >> 3);
	return s;
}

static __noinline __u64 level3(__u64 a, __u64 b, __u64 c)
{
	volatile __u32 buf[8];
	__u64 r;
	int i;

	for (i = 0; i < 8; i++)
		buf[i] = (__u32)(a + i * c);
	r = level4(buf[1] + buf[7], b);
	for (i = 0; i < 8; i++)
		r += buf[i];		/* the frame's stack after the call */
	return r;
}

static __noinline __u64 level2(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e)
{
	volatile __u64 buf[4] = { a, b, c, d };
	__u64 r = level3(a ^ e, b + c, d);

	return r + buf[0] * 3 + buf[1] + buf[2] * 5 + buf[3] + e;
}

static __noinline __u64 level1(unsigned char *p)
{
	volatile __u8 buf[16];
	__u64 r;
	int i;

	for (i = 0; i < 16; i++)
		buf[i] = p[i] + 1;
	r = level2(buf[0], buf[3], buf[7], buf[11], buf[15]);
	return r + buf[2];
}

/* global: verified alone, with scalar arguments */
__noinline int kc_global_mix(__u32 x, __u32 y)
{
	volatile __u32 buf[4] = { x, y, x ^ y, x + y };

	if (x > 1000)
		return -1;
	return (buf[0] * 7 + buf[1] * 13 + buf[2] + buf[3]) & 0xffff;
}

/* global, taking the context: verified alone with r1 a context */
__noinline int kc_global_ctx(struct xdp_md *ctx)
{
	unsigned char *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;

	if (!ctx || d + 40 > e)
		return -2;
	return d[KC_IP_DST] + d[39];
}

SEC("xdp")
int kc_calls(struct xdp_md *ctx)
{
	unsigned char *d = kc_pkt(ctx, KC_MIN);
	__u64 r, *o;
	__u32 k = 0;
	unsigned char copy[16];

	if (!d)
		return 0;
	__builtin_memcpy(copy, d + KC_PAYLOAD, 16);
	r = level1(copy);
	o = bpf_map_lookup_elem(&out, &k);
	if (o)
		*o = r;
	k = 1;
	o = bpf_map_lookup_elem(&out, &k);
	if (o)
		*o = kc_global_mix(d[KC_IP_DST + 3], d[KC_PAYLOAD + 5]);
	k = 2;
	o = bpf_map_lookup_elem(&out, &k);
	if (o)
		*o = kc_global_mix(2000, 1);
	k = 3;
	o = bpf_map_lookup_elem(&out, &k);
	if (o)
		*o = kc_global_ctx(ctx);
	return (r & 0xff) + kc_global_mix(d[KC_IP_SRC + 3], 3);
}

char LICENSE[] SEC("license") = "GPL";
