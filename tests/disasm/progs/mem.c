/* SPDX-License-Identifier: MIT */
/*
 * mem.c - loads and stores of every size with positive and negative
 * offsets, stack traffic, atomics (32-bit fetch forms need -mcpu=v3;
 * the test passes the version as UB_CPU, clang 14 defines no macro) and
 * byte swaps.
 */
#include "common.h"

SEC("socket")
int ldst(volatile u8 *p)
{
	volatile u16 *h = (volatile u16 *)p;
	volatile u32 *w = (volatile u32 *)p;
	volatile u64 *d = (volatile u64 *)p;
	u64 sum;

	sum = p[3] + h[5] + w[7] + d[9];
	sum += p[-1] + h[-2] + w[-3] + d[-4];
	p[1] = (u8)sum; h[2] = (u16)sum; w[3] = (u32)sum; d[4] = sum;
	p[-5] = 7; h[-6] = 0x1234; w[-7] = 0x12345678; d[-8] = -1;
	d[4000] = sum;
	p[32767] = 1;
	p[-32768] = 2;
	return (int)sum;
}

SEC("socket")
int stack(volatile u64 *ctx)
{
	volatile u64 buf[8];
	volatile u32 half[4];

	for (int i = 0; i < 8; i++)
		buf[i] = ctx[i] + 1;
	for (int i = 0; i < 4; i++)
		half[i] = (u32)ctx[i];
	return (int)(buf[ctx[0] & 7] + half[ctx[1] & 3]);
}

SEC("socket")
int atomics(u64 *ctx)
{
	u64 v = ctx[0], old;
	u32 *w = (u32 *)&ctx[10];

	__sync_fetch_and_add(&ctx[1], v);
	__sync_fetch_and_add(w, (u32)v);
#if UB_CPU >= 3
	old = __sync_fetch_and_add(&ctx[2], 3);
	old += __sync_fetch_and_or(&ctx[2], 5);
	old += __sync_fetch_and_and(&ctx[2], 6);
	old += __sync_fetch_and_xor(&ctx[2], 7);
	old += __sync_lock_test_and_set(&ctx[3], 9);
	old += __sync_val_compare_and_swap(&ctx[4], old, 5);
	old += __sync_fetch_and_add(&w[1], 3);
	old += __sync_fetch_and_or(&w[1], 5);
	old += __sync_fetch_and_and(&w[1], 6);
	old += __sync_fetch_and_xor(&w[1], 7);
	old += __sync_lock_test_and_set(&w[2], 9);
	old += __sync_val_compare_and_swap(&w[3], (u32)old, 5);
	__sync_fetch_and_or(&ctx[5], v);
	__sync_fetch_and_and(&ctx[5], v);
	__sync_fetch_and_xor(&ctx[5], v);
	__sync_fetch_and_or(&w[4], (u32)v);
	__sync_fetch_and_and(&w[4], (u32)v);
	__sync_fetch_and_xor(&w[4], (u32)v);
	__sync_fetch_and_sub(&ctx[6], v);
	__sync_fetch_and_add((u64 *)((u8 *)ctx - 24), 1);
#else
	old = 0;
#endif
	return (int)old;
}

SEC("socket")
int swaps(volatile u64 *ctx)
{
	u64 a = __builtin_bswap64(ctx[0]);
	u32 b = __builtin_bswap32((u32)ctx[1]);
	u16 c = __builtin_bswap16((u16)ctx[2]);
	u16 port = __builtin_bswap16((u16)ctx[3]) + 1;

	ctx[4] = a;
	ctx[5] = b;
	ctx[6] = c;
	ctx[7] = port;
	return (int)(a + b + c);
}
