/* SPDX-License-Identifier: MIT */
/*
 * xorshift.c - the anchor benchmark: 1000 steps of xorshift64, each
 * followed by a modulo by a large prime.  Almost pure ALU work in a tight
 * loop, so it measures dispatch cost per instruction and the cost of the
 * division instruction, which native code strength-reduces but BPF keeps.
 */
#include "bench.h"

BENCH_PROG(xorshift)
{
	const u64 *in = (const u64 *)mem;
	u64 x, acc = 0;

	if (len < BENCH_BUF_SIZE)
		return 0;
	x = in[0] | 1; /* xorshift never leaves a nonzero state */
	for (u32 i = 0; i < 1000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		acc += x % 1000003;
	}
	return acc ^ x;
}
