/* SPDX-License-Identifier: MIT */
/*
 * checksum.bpf.c - the program `make demo` builds with clang and runs.
 *
 * A socket-filter-style program that hashes its input (FNV-1a, through a
 * real bpf2bpf call) and counts the bytes above 0x7f with a global (.text)
 * function.  The same file builds natively (-DNATIVE) so the demo can show
 * that userbpf's result equals the C compiler's.
 */
#ifdef NATIVE
#define SEC(name)
#define NOINLINE __attribute__((noinline))
#else
#define SEC(name) __attribute__((section(name), used))
#define NOINLINE __attribute__((noinline))
#endif

typedef unsigned long long u64;
typedef unsigned char u8;

static NOINLINE u64 fnv1a_step(u64 h, u8 byte)
{
	h ^= byte;
	return h * 0x100000001b3ULL;
}

NOINLINE int count_high(const u8 *data, u64 len)
{
	int n = 0;

	for (int i = 0; i < 256; i++) {
		if ((u64)i >= len)
			break;
		n += data[i] > 0x7f;
	}
	return n;
}

SEC("socket")
u64 checksum(const u8 *data, u64 len)
{
	u64 h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < 256; i++) {
		if ((u64)i >= len)
			break;
		h = fnv1a_step(h, data[i]);
	}
	return h ^ ((u64)count_high(data, len) << 56);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
