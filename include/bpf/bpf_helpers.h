/* SPDX-License-Identifier: MIT */
/*
 * bpf/bpf_helpers.h - for BPF C program authors: the section and map
 * definition macros libbpf's objects use, and the helpers userbpf
 * provides (bpf_helper_defs.h), with Linux's ids.  A program written
 * against Debian's libbpf-dev headers builds against these unchanged, and
 * the other way round.
 */
#ifndef USERBPF_BPF_HELPERS_H
#define USERBPF_BPF_HELPERS_H

#include "bpf_helper_defs.h"

#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#define __ulong(name, val) enum { ___bpf_concat(__unique_value, __COUNTER__) = val } name

#define ___bpf_concat(a, b) a##b

#define SEC(name)                                                              \
	_Pragma("GCC diagnostic push")                                         \
	_Pragma("GCC diagnostic ignored \"-Wignored-attributes\"")             \
	__attribute__((section(name), used))                                   \
	_Pragma("GCC diagnostic pop")

#undef __always_inline
#define __always_inline inline __attribute__((always_inline))
#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif
#ifndef __weak
#define __weak __attribute__((weak))
#endif
#define __hidden __attribute__((visibility("hidden")))
#ifndef NULL
#define NULL ((void *)0)
#endif

#ifndef offsetof
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif

/* Map pinning, as libbpf reads it from a BTF map definition. */
enum libbpf_pin_type {
	LIBBPF_PIN_NONE,
	LIBBPF_PIN_BY_NAME,
};

/* bpf_printk("fmt", args...): the format lives on the stack (as libbpf's
 * older form did), so it needs no .rodata. */
#define bpf_printk(fmt, ...)                                                   \
	({                                                                     \
		char ____fmt[] = fmt;                                          \
		bpf_trace_printk(____fmt, sizeof(____fmt), ##__VA_ARGS__);     \
	})

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif
