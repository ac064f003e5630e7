/* SPDX-License-Identifier: MIT */
/*
 * alu.c - ALU32 and ALU64 operations with immediate and register operands,
 * shifts, negation, division, 64-bit immediates and negative constants,
 * for the llvm-objdump comparison of the disassembler.
 */
#include "common.h"

SEC("xdp")
int alu64(volatile u64 *ctx)
{
	u64 a = ctx[0], b = ctx[1];
	s64 s = (s64)ctx[2];

	a += 5; ctx[3] = a;
	a -= b; ctx[3] = a;
	a *= 7; ctx[3] = a;
	a *= b; ctx[3] = a;
	a /= (b | 1); ctx[3] = a;
	a /= 13; ctx[3] = a;
	a %= 1000; ctx[3] = a;
	a %= (b | 3); ctx[3] = a;
	a |= 0x100; ctx[3] = a;
	a |= b; ctx[3] = a;
	a &= 0xff00ff; ctx[3] = a;
	a &= b; ctx[3] = a;
	a <<= 3; ctx[3] = a;
	a <<= (b & 63); ctx[3] = a;
	a >>= 9; ctx[3] = a;
	a >>= (b & 31); ctx[3] = a;
	a ^= -1; ctx[3] = a;
	a ^= b; ctx[3] = a;
	s >>= 4; ctx[4] = (u64)s;
	s >>= (b & 7); ctx[4] = (u64)s;
	s = -s; ctx[4] = (u64)s;
	a -= -2147483647 - 1; ctx[3] = a;
	a += 0x123456789abcdef0ULL; ctx[3] = a;
	a = a * 0xfffffffffffffff0ULL; ctx[3] = a;
	ctx[5] = 0x8000000000000000ULL;
	ctx[5] = 0xffffffffULL;
	ctx[5] = -2;
	ctx[5] = 2147483647;
	return (int)a;
}

SEC("xdp")
int alu32(volatile u32 *ctx)
{
	u32 a = ctx[0], b = ctx[1];
	s32 s = (s32)ctx[2];

	a += 5; ctx[3] = a;
	a -= b; ctx[3] = a;
	a *= 7; ctx[3] = a;
	a *= b; ctx[3] = a;
	a /= (b | 1); ctx[3] = a;
	a /= 13; ctx[3] = a;
	a %= 1000; ctx[3] = a;
	a %= (b | 3); ctx[3] = a;
	a |= 0x100; ctx[3] = a;
	a |= b; ctx[3] = a;
	a &= 0xff00ff; ctx[3] = a;
	a &= b; ctx[3] = a;
	a <<= 3; ctx[3] = a;
	a <<= (b & 31); ctx[3] = a;
	a >>= 9; ctx[3] = a;
	a >>= (b & 31); ctx[3] = a;
	a ^= -1; ctx[3] = a;
	a ^= b; ctx[3] = a;
	s >>= 4; ctx[4] = (u32)s;
	s >>= (b & 7); ctx[4] = (u32)s;
	s = -s; ctx[4] = (u32)s;
	a = 0x80000000u; ctx[5] = a;
	a = b; ctx[5] = a;
	return (int)(a + (u32)s);
}
