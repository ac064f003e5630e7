/* SPDX-License-Identifier: MIT */
/*
 * calls.c - bpf-to-bpf calls: six noinline functions calling each other
 * six frames deep, the whole chain called 1000 times.  Each function does
 * work after its call returns, so no compiler may turn the call into a
 * jump.  Measures the cost of a call and return (frame set-up, saving
 * r6-r9, moving the frame pointer) against a native call.
 */
#include "bench.h"

BENCH_SUB u64 c6(u64 a, u64 b)
{
	return (a ^ b) * 0x9e3779b1u + 7;
}

BENCH_SUB u64 c5(u64 a, u64 b)
{
	return c6(a + 1, b) ^ (a >> 3);
}

BENCH_SUB u64 c4(u64 a, u64 b)
{
	return c5(a, b + 2) + (b << 1);
}

BENCH_SUB u64 c3(u64 a, u64 b)
{
	return c4(b, a) - a;
}

BENCH_SUB u64 c2(u64 a, u64 b)
{
	return c3(a ^ 0x55, b) * 3;
}

BENCH_SUB u64 c1(u64 a, u64 b)
{
	return c2(a, b + a) ^ b;
}

BENCH_PROG(calls)
{
	const u32 *in = (const u32 *)((const u8 *)mem + BENCH_IN_OFF);
	u64 acc = 0;

	if (len < BENCH_BUF_SIZE)
		return 0;
	for (u32 i = 0; i < 1000; i++)
		acc = c1(acc, i + in[i & 63]);
	return acc;
}
