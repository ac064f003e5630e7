/* SPDX-License-Identifier: MIT */
/*
 * jumps.c - every conditional jump, with immediate and register operands,
 * 64-bit and (with -mcpu=v3) 32-bit compares, signed and unsigned, and
 * backward jumps from a loop.
 */
#include "common.h"

SEC("tc")
int jmp64(volatile u64 *ctx)
{
	u64 a = ctx[0], b = ctx[1];
	s64 x = (s64)ctx[2], y = (s64)ctx[3];
	int r = 0;

	if (a == 3) r += 1; ctx[9] = r;
	if (a != 4) r += 2; ctx[9] = r;
	if (a > 5) r += 3; ctx[9] = r;
	if (a >= 6) r += 4; ctx[9] = r;
	if (a < 7) r += 5; ctx[9] = r;
	if (a <= 8) r += 6; ctx[9] = r;
	if (x > -5) r += 7; ctx[9] = r;
	if (x >= -6) r += 8; ctx[9] = r;
	if (x < -7) r += 9; ctx[9] = r;
	if (x <= -8) r += 10; ctx[9] = r;
	if (a & 0x40) r += 11; ctx[9] = r;
	if (a == b) r += 12; ctx[9] = r;
	if (a != b) r += 13; ctx[9] = r;
	if (a > b) r += 14; ctx[9] = r;
	if (a >= b) r += 15; ctx[9] = r;
	if (a < b) r += 16; ctx[9] = r;
	if (a <= b) r += 17; ctx[9] = r;
	if (x > y) r += 18; ctx[9] = r;
	if (x >= y) r += 19; ctx[9] = r;
	if (x < y) r += 20; ctx[9] = r;
	if (x <= y) r += 21; ctx[9] = r;
	if (a & b) r += 22; ctx[9] = r;
	return r;
}

SEC("tc")
int jmp32(volatile u32 *ctx)
{
	u32 a = ctx[0], b = ctx[1];
	s32 x = (s32)ctx[2], y = (s32)ctx[3];
	int r = 0;

	if (a == 3) r += 1; ctx[9] = r;
	if (a != 4) r += 2; ctx[9] = r;
	if (a > 5) r += 3; ctx[9] = r;
	if (a >= 6) r += 4; ctx[9] = r;
	if (a < 7) r += 5; ctx[9] = r;
	if (a <= 8) r += 6; ctx[9] = r;
	if (x > -5) r += 7; ctx[9] = r;
	if (x >= -6) r += 8; ctx[9] = r;
	if (x < -7) r += 9; ctx[9] = r;
	if (x <= -8) r += 10; ctx[9] = r;
	if (a & 0x40) r += 11; ctx[9] = r;
	if (a == b) r += 12; ctx[9] = r;
	if (a != b) r += 13; ctx[9] = r;
	if (a > b) r += 14; ctx[9] = r;
	if (a >= b) r += 15; ctx[9] = r;
	if (a < b) r += 16; ctx[9] = r;
	if (a <= b) r += 17; ctx[9] = r;
	if (x > y) r += 18; ctx[9] = r;
	if (x >= y) r += 19; ctx[9] = r;
	if (x < y) r += 20; ctx[9] = r;
	if (x <= y) r += 21; ctx[9] = r;
	if (a & b) r += 22; ctx[9] = r;
	return r;
}

SEC("tc")
int loop(volatile u64 *ctx)
{
	u64 sum = 0;

	for (u32 i = 0; i < ctx[0] && i < 100; i++) {
		if (ctx[i & 7] == 0)
			continue;
		sum += ctx[i & 7] * i;
	}
	return (int)sum;
}
