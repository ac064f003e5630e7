/* SPDX-License-Identifier: MIT */
/*
 * bench.h - the one header every benchmark program includes.
 *
 * Each program in bench/progs/ is one C source built twice: with
 * `clang -target bpf` into an eBPF program in section "xdp", and with the
 * host compiler into a plain function that the harness links in as the
 * native baseline.  The macros here hide that difference, so that both
 * builds come from the same text and must compute the same checksum.
 *
 * Calling convention (as bpf_conformance): r1 points to a buffer of
 * BENCH_BUF_SIZE bytes, r2 holds its length, r0 is a u64 checksum.  The
 * harness fills the input half; programs may scribble on the scratch half
 * but must set up whatever they read there, so every run is identical.
 * No maps, no helpers, loops with constant bounds (as Linux's verifier
 * would accept).
 */
#ifndef BENCH_PROGS_BENCH_H
#define BENCH_PROGS_BENCH_H

/* <stdint.h> is not usable with -target bpf on every distribution. */
typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT32_TYPE__ s32;
typedef __INT64_TYPE__ s64;

#define BENCH_BUF_SIZE 16384u
#define BENCH_IN_OFF 0u
#define BENCH_IN_SIZE 8192u
#define BENCH_SCRATCH_OFF 8192u
#define BENCH_SCRATCH_SIZE 8192u

#ifdef __bpf__
/* The entry must be the first function of its section: the harness loads
 * the section's raw bytes and starts at instruction 0 (run.sh checks). */
#define BENCH_PROG(name)                                                       \
	__attribute__((section("xdp"), used)) u64 bench_##name(void *mem, u64 len)
/* Subprograms share the entry's section, so that clang resolves the calls
 * to them itself (pc-relative imm) and the raw bytes need no relocation. */
#define BENCH_SUB static __attribute__((noinline, section("xdp")))
#else
#define BENCH_PROG(name) u64 bench_##name(void *mem, u64 len)
#define BENCH_SUB static __attribute__((noinline))
#endif

#define BENCH_INLINE static inline __attribute__((always_inline))

#endif /* BENCH_PROGS_BENCH_H */
