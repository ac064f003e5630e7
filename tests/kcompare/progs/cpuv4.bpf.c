/* cpuv4.bpf.c (built with -mcpu=v4, so clang >= 18) - every instruction
 * cpu v4 added, on values taken from the frame: signed division and
 * modulo (64 and 32 bits, with the edge cases division by zero and
 * INT_MIN / -1), sign-extending moves (casts of signed narrow types),
 * sign-extending loads (signed char, short and int from a map value and
 * the stack), unconditional byte swaps (__builtin_bswap16/32/64), 32-bit
 * jumps, and in kc_v4big a conditional jump over more than 32767
 * instructions, which clang can only reach with gotol.  kcompare.sh checks
 * with llvm-objdump that the object holds them. */
#include "kc.h"

/* the inputs: 40 bytes of the frame from the IP header on, seen signed */
struct sbuf {
	__s8 c[8];
	__s16 s[4];
	__s32 i[4];
	__s64 q[2];
};

KC_ARRAY(res, 64, __s64);
KC_ARRAY(buf, 1, struct sbuf);

/* res[i] mixes result i of every run in: the map after all the runs
 * tells each run's result apart */
static __always_inline void put(__u32 i, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&res, &i);

	if (p)
		*p = *p * 1000003 + v;
}

/* no inlining of the divisions: the compiler must not fold them */
static __attribute__((noinline)) __s64 sdiv64(__s64 a, __s64 b)
{
	return a / b;
}

static __attribute__((noinline)) __s64 smod64(__s64 a, __s64 b)
{
	return a % b;
}

static __attribute__((noinline)) __s32 sdiv32(__s32 a, __s32 b)
{
	return a / b;
}

static __attribute__((noinline)) __s32 smod32(__s32 a, __s32 b)
{
	return a % b;
}

SEC("xdp")
int kc_v4(struct xdp_md *ctx)
{
	unsigned char *d = kc_pkt(ctx, KC_MIN);
	struct sbuf *b;
	volatile __s8 sc;
	volatile __s16 ss;
	volatile __s32 si;
	__u32 z = 0, n = 0, i;
	__u64 x, y;
	__s64 acc = 0;

	if (!d)
		return 0;
	b = bpf_map_lookup_elem(&buf, &z);
	if (!b)
		return 0;
	for (i = 0; i < sizeof(*b); i++)
		((__u8 *)b)[i] = d[14 + i] ^ (i & 1 ? 0x80 : 0);

	/* sign-extending loads from the map value */
	put(n++, b->c[0]);
	put(n++, b->c[3]);
	put(n++, b->s[1]);
	put(n++, b->s[2]);
	put(n++, b->i[0]);
	put(n++, b->i[3]);
	/* ... and from the stack */
	sc = (__s8)d[KC_IP_SRC + 3];
	ss = (__s16)(d[KC_IP_DST] << 8 | d[KC_IP_SRC + 1]);
	si = (__s32)(b->q[1] >> 7);
	put(n++, sc);
	put(n++, ss);
	put(n++, si);

	/* sign-extending moves: casts of computed values */
	x = b->q[0] + d[KC_IP_SRC + 2] * 0x01010101ull;
	y = b->q[1] ^ ((__u64)d[KC_IP_DST + 3] << 40);
	put(n++, (__s8)x);
	put(n++, (__s16)x);
	put(n++, (__s32)x);
	put(n++, (__u32)(__s32)(__s8)y);
	put(n++, (__u32)(__s32)(__s16)y);

	/* signed division and modulo, 64 and 32 bits */
	put(n++, sdiv64((__s64)x, b->s[1] | 1));
	put(n++, smod64((__s64)x, b->c[5] | 1));
	put(n++, sdiv64(b->q[1], -(__s64)(d[KC_IP_DST + 3] | 1)));
	put(n++, smod64(-(__s64)y, 7));
	put(n++, sdiv32((__s32)x, b->c[1] | 1));
	put(n++, smod32((__s32)y, b->s[3] | 1));
	put(n++, sdiv32(-(__s32)x, 3));
	/* edge cases, as BPF defines them: x / 0 = 0, x % 0 = x,
	 * INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0 */
	put(n++, sdiv64((__s64)x, b->c[7] & 0));
	put(n++, smod64((__s64)x, b->c[7] & 0));
	put(n++, sdiv64((__s64)(1ull << 63), b->c[7] | -1));
	put(n++, smod64((__s64)(1ull << 63), b->c[7] | -1));
	put(n++, sdiv32((__s32)y, b->c[6] & 0));
	put(n++, smod32((__s32)y, b->c[6] & 0));
	put(n++, sdiv32((__s32)0x80000000u, b->c[6] | -1));
	put(n++, smod32((__s32)0x80000000u, b->c[6] | -1));

	/* byte swaps */
	put(n++, __builtin_bswap16((__u16)x));
	put(n++, __builtin_bswap32((__u32)y));
	put(n++, (__s64)__builtin_bswap64(x ^ y));

	/* 32-bit jumps, signed and unsigned */
	for (i = 0; i < 4; i++) {
		__s32 a = b->i[i], c = b->s[i];

		if (a < c)
			acc += 1;
		if ((__u32)a > (__u32)c)
			acc += 16;
		if (a <= -5)
			acc += 256;
		if ((__u32)a >= 0x80000000u)
			acc += 4096;
	}
	put(n++, acc);
	put(n, n);
	return 2 + (int)(acc & 1);
}

/* a 64-bit value stirred 10000 times (about 40000 instructions) when the
 * frame's last source byte is odd: the jump over it is gotol */
#define S1 v = v * 31 + k;
#define S10 S1 S1 S1 S1 S1 S1 S1 S1 S1 S1
#define S100 S10 S10 S10 S10 S10 S10 S10 S10 S10 S10
#define S1000 S100 S100 S100 S100 S100 S100 S100 S100 S100 S100
#define S10000 S1000 S1000 S1000 S1000 S1000 S1000 S1000 S1000 S1000 S1000

SEC("xdp")
int kc_v4big(struct xdp_md *ctx)
{
	unsigned char *d = kc_pkt(ctx, KC_MIN);
	volatile __u64 v;
	__u64 k;

	if (!d)
		return 0;
	k = d[KC_IP_SRC + 3];
	v = d[KC_IP_DST + 3];
	if (k & 1) {
		S10000
	}
	put(40, v);
	return 2;
}

char LICENSE[] SEC("license") = "GPL";
