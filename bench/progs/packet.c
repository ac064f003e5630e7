/* SPDX-License-Identifier: MIT */
/*
 * packet.c - what an XDP program does with every packet: parse Ethernet,
 * IPv4 (with options) and TCP, verify the IPv4 header checksum and the TCP
 * checksum over the pseudo header and the segment (RFC 791, RFC 9293).
 *
 * The input holds BENCH_PKT_SLOTS slots of BENCH_PKT_SLOT bytes; a slot is
 * a 16-bit little-endian frame length followed by the frame.  The harness
 * builds valid frames of several sizes, so the checksums fold to 0xffff and
 * the full path runs; a bad frame returns a small code instead.
 */
#include "bench.h"

#define BENCH_PKT_SLOTS 4u
#define BENCH_PKT_SLOT 2048u
#define ETH_HLEN 14u

BENCH_INLINE u32 be16(const u8 *p)
{
	return (u32)p[0] << 8 | p[1];
}

BENCH_INLINE u32 fold(u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

BENCH_INLINE u64 parse_one(const u8 *slot)
{
	u32 flen = slot[0] | (u32)slot[1] << 8;
	const u8 *eth = slot + 2, *ip, *tcp;
	u32 ihl, tot, tlen, sum;

	if (flen < ETH_HLEN + 40 || flen > BENCH_PKT_SLOT - 2)
		return 1;
	if (eth[12] != 0x08 || eth[13] != 0x00)
		return 2;
	ip = eth + ETH_HLEN;
	ihl = (u32)(ip[0] & 15) * 4;
	if ((ip[0] >> 4) != 4 || ihl < 20)
		return 3;
	tot = be16(ip + 2);
	if (tot < ihl + 20 || tot > flen - ETH_HLEN)
		return 4;
	if (ip[9] != 6)
		return 5;
	sum = 0;
	for (u32 i = 0; i < 60; i += 2) {
		if (i >= ihl)
			break;
		sum += be16(ip + i);
	}
	if (fold(sum) != 0xffff)
		return 6;

	tcp = ip + ihl;
	tlen = tot - ihl;
	sum = be16(ip + 12) + be16(ip + 14) + be16(ip + 16) + be16(ip + 18) + 6 + tlen;
	for (u32 i = 0; i < 1600; i += 2) {
		if (i + 1 >= tlen)
			break;
		sum += be16(tcp + i);
	}
	if (tlen & 1)
		sum += (u32)tcp[tlen - 1] << 8;
	if (fold(sum) != 0xffff)
		return 7;
	return (u64)be16(tcp) << 48 ^ (u64)be16(tcp + 2) << 32 ^
	       ((u32)be16(tcp + 4) << 16 | be16(tcp + 6)) ^ (u64)tcp[13] << 24 ^
	       (u64)(tcp[12] >> 4) << 56 ^ tlen;
}

BENCH_PROG(packet)
{
	const u8 *in = (const u8 *)mem + BENCH_IN_OFF;
	u64 acc = 0;

	if (len < BENCH_BUF_SIZE)
		return 0;
	for (u32 s = 0; s < BENCH_PKT_SLOTS; s++)
		acc = acc * 1000003 ^ parse_one(in + s * BENCH_PKT_SLOT);
	return acc;
}
