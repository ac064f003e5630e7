/* SPDX-License-Identifier: MIT */
/*
 * sort.c - insertion sort of 64 u32 keys, done for four blocks of the
 * input: unpredictable compare-and-branch, loads and stores at computed
 * addresses.  The keys are copied to scratch first so that every run sorts
 * the same unsorted data.
 */
#include "bench.h"

#define SORT_N 64u

BENCH_SUB u64 sort_block(u32 *a, const u32 *src)
{
	u64 sum = 0;

	for (u32 i = 0; i < SORT_N; i++)
		a[i] = src[i];
	for (u32 i = 1; i < SORT_N; i++) {
		u32 v = a[i], j = i;

		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
	for (u32 i = 0; i < SORT_N; i++)
		sum = sum * 31 + a[i];
	return sum;
}

BENCH_PROG(sort)
{
	const u32 *in = (const u32 *)((const u8 *)mem + BENCH_IN_OFF);
	u32 *a = (u32 *)((u8 *)mem + BENCH_SCRATCH_OFF);
	u64 acc = 0;

	if (len < BENCH_BUF_SIZE)
		return 0;
	for (u32 b = 0; b < 4; b++)
		acc = acc * 7 ^ sort_block(a, in + b * SORT_N);
	return acc;
}
