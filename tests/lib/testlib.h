/* SPDX-License-Identifier: MIT */
/*
 * testlib.h - the few macros our C tests share.
 *
 * Each test program prints one line per check: "ok NAME", "not ok NAME:
 * why" or "skip NAME: why"; tests/run.sh counts them.  A program exits
 * non-zero when any check failed.
 */
#ifndef USERBPF_TESTLIB_H
#define USERBPF_TESTLIB_H

#include <stdio.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include "userbpf/userbpf.h"

extern int tl_failed;

void tl_ok(const char *name, ...);
void tl_fail(const char *name, const char *fmt, ...);
void tl_skip(const char *name, const char *why);
/* Checks cond; prints ok/not ok with the expression text. */
#define TL_CHECK(name, cond)                                                   \
	do {                                                                   \
		if (cond)                                                      \
			tl_ok(name);                                           \
		else                                                           \
			tl_fail(name, "%s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)
#define TL_EQ_U64(name, got, want)                                             \
	do {                                                                   \
		uint64_t _g = (got), _w = (want);                              \
		if (_g == _w)                                                  \
			tl_ok(name);                                           \
		else                                                           \
			tl_fail(name, "%s:%d: got 0x%llx, want 0x%llx",        \
				__FILE__, __LINE__, (unsigned long long)_g,    \
				(unsigned long long)_w);                       \
	} while (0)
int tl_exit(void);

/* A log callback that keeps the last message (for checking refusals). */
extern char tl_last_log[1024];
void tl_log(enum userbpf_log_level level, const char *msg, void *user);

/* A runtime whose allocator fails the Nth allocation (0: never). */
struct userbpf_rt *tl_rt_new(long fail_at);
extern long tl_alloc_count;

#endif
