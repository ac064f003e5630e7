/* SPDX-License-Identifier: MIT */
/*
 * fnv1a.c - 64-bit FNV-1a over 4 KiB of the input: one byte load, a xor
 * and a 64-bit multiply per byte, with a 64-bit constant (lddw) in play.
 */
#include "bench.h"

BENCH_PROG(fnv1a)
{
	const u8 *p = (const u8 *)mem + BENCH_IN_OFF;
	u64 h = 0xcbf29ce484222325ull;

	if (len < BENCH_BUF_SIZE)
		return 0;
	for (u32 i = 0; i < 4096; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}
