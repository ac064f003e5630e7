/* SPDX-License-Identifier: MIT */
/*
 * globals.bpf.c - global variables in every section libbpf turns into a
 * map: .data (initialised), .bss (zero), .rodata (const volatile, which
 * user space sets before load), a string literal (.rodata.str1.1), a
 * custom .data.counters section, and static variables (relocated against
 * the section symbol with the offset in the instruction).  The program
 * reads and writes them; the test checks the result and the maps.
 */
#include "bpf_defs.h"

struct cfg {
	__u32 mul;
	__u32 add;
	__u64 magic;
};

const volatile struct cfg cfg = { .mul = 3, .add = 5, .magic = 0x1122334455667788ull };

__u64 seen = 40;		/* .data */
__u64 runs;			/* .bss */
static __u32 hist[4];		/* .bss, static: section-symbol relocations */
static __u64 last_in = 9;	/* .data, static */
__u64 custom SEC(".data.counters") = 1000;

static const char greeting[] = "hello, globals";

__attribute__((noinline)) static __u64 char_at(const char *s, __u32 i)
{
	return (__u8)s[i];
}

__attribute__((noinline)) static __u64 scale(__u64 x)
{
	return x * cfg.mul + cfg.add;
}

SEC("xdp")
int use_globals(__u32 *ctx)
{
	__u32 in = *ctx;
	__u64 r;

	runs++;
	seen += in;
	hist[in & 3]++;
	custom += 10;
	r = scale(in) + greeting[in % sizeof(greeting)] + char_at("xyz", in % 3) + last_in;
	last_in = in;
	if (cfg.magic != 0x1122334455667788ull)
		r += 1000;
	return (int)r;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
