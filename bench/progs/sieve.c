/* SPDX-License-Identifier: MIT */
/*
 * sieve.c - sieve of Eratosthenes up to 4096 in the scratch half of the
 * buffer: strided 16-bit stores, data-dependent branches.  Each cell starts
 * as its own index (not a constant, so no compiler turns the set-up into a
 * memset call) and is cleared when found composite.
 */
#include "bench.h"

#define SIEVE_N 4096u

BENCH_PROG(sieve)
{
	u16 *a = (u16 *)((u8 *)mem + BENCH_SCRATCH_OFF);
	const u8 *in = (const u8 *)mem + BENCH_IN_OFF;
	u64 count = 0, sum = 0;

	if (len < BENCH_BUF_SIZE)
		return 0;
	for (u32 i = 0; i < SIEVE_N; i++)
		a[i] = (u16)i;
	a[0] = 0;
	a[1] = 0;
	for (u32 i = 2; i < 64; i++) {
		if (!a[i])
			continue;
		for (u32 j = i * i; j < SIEVE_N; j += i)
			a[j] = 0;
	}
	for (u32 i = 0; i < SIEVE_N; i++) {
		if (a[i]) {
			count++;
			sum += (u64)a[i] * in[i & 255];
		}
	}
	return count << 40 ^ sum;
}
