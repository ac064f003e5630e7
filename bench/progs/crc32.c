/* SPDX-License-Identifier: MIT */
/*
 * crc32.c - bitwise (table-less) CRC-32, the IEEE 802.3 polynomial in its
 * reflected form, over 1 KiB of input: 32-bit shifts, masks and xors, the
 * ALU32 path of the interpreter.
 */
#include "bench.h"

BENCH_PROG(crc32)
{
	const u8 *p = (const u8 *)mem + BENCH_IN_OFF;
	u32 crc = 0xffffffffu;

	if (len < BENCH_BUF_SIZE)
		return 0;
	for (u32 i = 0; i < 1024; i++) {
		crc ^= p[i];
		for (u32 k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}
