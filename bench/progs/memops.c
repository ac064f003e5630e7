/* SPDX-License-Identifier: MIT */
/*
 * memops.c - memcpy- and memcmp-style loops, the bread and butter of
 * programs that move headers and compare keys: a byte copy and a word copy
 * of 4 KiB each into scratch, then four rounds that flip one byte (and one
 * word) at an input-chosen place, find it with a byte compare loop and a
 * word compare loop, and flip it back.  Built with -fno-builtin so that the
 * loops stay loops in both builds.
 */
#include "bench.h"

#define MEM_BYTES 4096u
#define MEM_WORDS 512u

BENCH_PROG(memops)
{
	const u8 *src = (const u8 *)mem + BENCH_IN_OFF;
	u8 *dst = (u8 *)mem + BENCH_SCRATCH_OFF;
	const u64 *wsrc = (const u64 *)(src + MEM_BYTES);
	u64 *wdst = (u64 *)(dst + MEM_BYTES);
	u64 acc = 0;

	if (len < BENCH_BUF_SIZE)
		return 0;
	for (u32 i = 0; i < MEM_BYTES; i++)
		dst[i] = src[i];
	for (u32 i = 0; i < MEM_WORDS; i++)
		wdst[i] = wsrc[i];

	for (u32 r = 0; r < 4; r++) {
		u32 pos = (src[2 * r] | (u32)src[2 * r + 1] << 8) % MEM_BYTES;
		u32 wpos = pos / 8, first = MEM_BYTES, wfirst = MEM_WORDS;
		s32 diff = 0;
		u64 wx = 0;

		dst[pos] ^= 0x5a;
		wdst[wpos] ^= 1ull << r;
		for (u32 i = 0; i < MEM_BYTES; i++) {
			if (dst[i] != src[i]) {
				diff = (s32)dst[i] - (s32)src[i];
				first = i;
				break;
			}
		}
		for (u32 i = 0; i < MEM_WORDS; i++) {
			if (wdst[i] != wsrc[i]) {
				wx = wdst[i] ^ wsrc[i];
				wfirst = i;
				break;
			}
		}
		dst[pos] ^= 0x5a;
		wdst[wpos] ^= 1ull << r;
		acc = acc * 31 + ((u64)first << 32 ^ (u64)(u32)diff ^ (u64)wfirst << 16 ^ wx);
	}
	return acc;
}
