/* SPDX-License-Identifier: MIT */
/*
 * testlib.c - shared test support: result lines, a capturing log callback,
 * and a failing allocator for allocation-failure sweeps.
 */
#include <stdlib.h>
#include <string.h>
#include "testlib.h"

int tl_failed;
char tl_last_log[1024];
long tl_alloc_count;
static long fail_at_n;

void tl_ok(const char *name, ...)
{
	printf("ok %s\n", name);
}

void tl_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("not ok %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	tl_failed++;
}

void tl_skip(const char *name, const char *why)
{
	printf("skip %s: %s\n", name, why);
}

int tl_exit(void)
{
	fflush(stdout);
	return tl_failed ? 1 : 0;
}

void tl_log(enum userbpf_log_level level, const char *msg, void *user)
{
	(void)level;
	(void)user;
	snprintf(tl_last_log, sizeof(tl_last_log), "%s", msg);
}

static void *failing_alloc(void *user, void *ptr, size_t osize, size_t nsize)
{
	(void)user;
	(void)osize;
	if (nsize == 0) {
		free(ptr);
		return NULL;
	}
	if (fail_at_n && ++tl_alloc_count == fail_at_n)
		return NULL;
	return realloc(ptr, nsize);
}

struct userbpf_rt *tl_rt_new(long fail_at)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o) };

	fail_at_n = fail_at;
	tl_alloc_count = 0;
	o.alloc = failing_alloc;
	o.log = tl_log;
	return userbpf_rt__new(&o);
}
