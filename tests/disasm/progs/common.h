/* SPDX-License-Identifier: MIT */
/*
 * common.h - the few definitions the disassembler's test programs share,
 * so they build with nothing but clang (no libbpf headers needed).
 */
#ifndef DISASM_PROGS_COMMON_H
#define DISASM_PROGS_COMMON_H

typedef unsigned long long u64;
typedef long long s64;
typedef unsigned int u32;
typedef int s32;
typedef unsigned short u16;
typedef short s16;
typedef unsigned char u8;
typedef signed char s8;

#define SEC(name) __attribute__((section(name), used))
#define NOINLINE __attribute__((noinline))

/* Helpers by Linux id, as libbpf's bpf_helper_defs.h declares them. */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value,
				   u64 flags) = (void *)2;
static u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static long (*bpf_trace_printk)(const char *fmt, u32 fmt_size, ...) = (void *)6;
static u32 (*bpf_get_prandom_u32)(void) = (void *)7;
static long (*bpf_tail_call)(void *ctx, void *prog_array, u32 index) = (void *)12;

#endif
