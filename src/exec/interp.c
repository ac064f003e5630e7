/* SPDX-License-Identifier: MIT */
/*
 * interp.c - the interpreter.
 *
 * The loop itself is in interp_loop.h and is instantiated four times:
 * checked or fast mode, times computed-goto or switch dispatch.  Both
 * dispatch styles are built and tested everywhere; computed goto is the
 * default where the compiler has it.  This file holds the arithmetic with
 * Linux's edge cases, written once for all four.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "exec/exec_internal.h"

#if defined(__GNUC__)
#define UB_ALIGNED16 __attribute__((aligned(16)))
#else
#define UB_ALIGNED16
#endif

/* Arithmetic right shift without relying on implementation-defined >>
 * of negative values. */
static inline int64_t ub_asr64(int64_t v, unsigned n)
{
	return v < 0 ? (int64_t)~(~(uint64_t)v >> n) : (int64_t)((uint64_t)v >> n);
}

static inline int32_t ub_asr32(int32_t v, unsigned n)
{
	return v < 0 ? (int32_t)~(~(uint32_t)v >> n) : (int32_t)((uint32_t)v >> n);
}

static inline uint64_t ub_udiv64(uint64_t a, uint64_t b) { return b ? a / b : 0; }
static inline uint32_t ub_udiv32(uint32_t a, uint32_t b) { return b ? a / b : 0; }
static inline uint64_t ub_umod64(uint64_t a, uint64_t b) { return b ? a % b : a; }
static inline uint32_t ub_umod32(uint32_t a, uint32_t b) { return b ? a % b : a; }

static inline int64_t ub_sdiv64(int64_t a, int64_t b)
{
	if (b == 0)
		return 0;
	if (b == -1)
		return (int64_t)(0 - (uint64_t)a); /* INT64_MIN / -1 wraps */
	return a / b;
}

static inline int32_t ub_sdiv32(int32_t a, int32_t b)
{
	if (b == 0)
		return 0;
	if (b == -1)
		return (int32_t)(0 - (uint32_t)a);
	return a / b;
}

static inline int64_t ub_smod64(int64_t a, int64_t b)
{
	if (b == 0)
		return a;
	if (b == -1)
		return 0;
	return a % b;
}

static inline int32_t ub_smod32(int32_t a, int32_t b)
{
	if (b == 0)
		return a;
	if (b == -1)
		return 0;
	return a % b;
}

#if defined(__GNUC__)
#define UB_FN ub_interp_checked_goto
#define UB_CHECKED 1
#define UB_GOTO 1
#include "exec/interp_loop.h"
#undef UB_FN
#undef UB_CHECKED
#undef UB_GOTO

#define UB_FN ub_interp_fast_goto
#define UB_CHECKED 0
#define UB_GOTO 1
#include "exec/interp_loop.h"
#undef UB_FN
#undef UB_CHECKED
#undef UB_GOTO
#endif

#define UB_FN ub_interp_checked_switch
#define UB_CHECKED 1
#define UB_GOTO 0
#include "exec/interp_loop.h"
#undef UB_FN
#undef UB_CHECKED
#undef UB_GOTO

#define UB_FN ub_interp_fast_switch
#define UB_CHECKED 0
#define UB_GOTO 0
#include "exec/interp_loop.h"
#undef UB_FN
#undef UB_CHECKED
#undef UB_GOTO

#if !defined(__GNUC__)
int ub_interp_checked_goto(struct userbpf_call *c, const uint64_t args[5], uint64_t *ret)
{
	return ub_interp_checked_switch(c, args, ret);
}

int ub_interp_fast_goto(struct userbpf_call *c, const uint64_t args[5], uint64_t *ret)
{
	return ub_interp_fast_switch(c, args, ret);
}
#endif
