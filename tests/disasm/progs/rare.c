/* SPDX-License-Identifier: MIT */
/*
 * rare.c - instructions that clang 14 never emits from C but its
 * assembler knows (>=, <=, the signed forms and != with a register, sub
 * with an immediate, the legacy packet loads, le byte swaps), written as
 * inline assembly so that llvm-objdump still checks their text.
 */
#include "common.h"

SEC("socket")
int rare(void *skb)
{
	asm volatile(
		"r6 = r1\n"
		"r1 = 1\n"
		"r2 = 2\n"
		"r3 = 3\n"
		"r1 -= 5\n"
		"w1 -= -7\n"
		"if r1 >= 5 goto +0\n"
		"if r1 >= r2 goto +0\n"
		"if r1 != r2 goto +0\n"
		"if r1 s>= -5 goto +0\n"
		"if r1 s>= r2 goto +0\n"
		"if r1 <= 5 goto +0\n"
		"if r1 <= r2 goto +0\n"
		"if r1 s<= -5 goto +0\n"
		"if r1 s<= r2 goto +0\n"
		"if r1 s> r2 goto +0\n"
		"if r1 s< -2147483648 goto +0\n"
		"if r1 == 2147483647 goto -1\n"
		"if w1 >= 5 goto +0\n"
		"if w1 >= w2 goto +0\n"
		"if w1 != w2 goto +0\n"
		"if w1 != -1 goto +0\n"
		"if w1 s>= -5 goto +0\n"
		"if w1 s>= w2 goto +0\n"
		"if w1 <= 5 goto +0\n"
		"if w1 <= w2 goto +0\n"
		"if w1 s<= -5 goto +0\n"
		"if w1 s<= w2 goto +0\n"
		"r0 = *(u8 *)skb[5]\n"
		"r0 = *(u16 *)skb[-1]\n"
		"r0 = *(u32 *)skb[4096]\n"
		"r0 = *(u8 *)skb[r3]\n"
		"r0 = *(u16 *)skb[r2]\n"
		"r0 = *(u32 *)skb[r1]\n"
		"r1 = le16 r1\n"
		"r1 = le32 r1\n"
		"r1 = le64 r1\n"
		"r2 = be64 r2\n"
		"r9 = -9223372036854775808 ll\n"
		"r9 = 4294967296 ll\n"
		"w9 = -1\n"
		"r9 = *(u64 *)(r10 - 32768)\n"
		"*(u64 *)(r10 + 32767) = r9\n"
		::: "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r9", "memory");
	return 0;
}
