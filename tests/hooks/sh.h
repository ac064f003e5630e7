/* SPDX-License-Identifier: MIT */
/*
 * sh.h - what the hooks tests share: run a shell command and keep its
 * output, count the occurrences of a string.
 */
#ifndef HOOKS_SH_H
#define HOOKS_SH_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

/* Runs the command (printf-style) with popen; out gets the first sz-1
 * bytes of its output.  Returns its exit status, 128 if it was killed. */
static inline int sh(char *out, size_t sz, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	FILE *p;
	size_t n = 0;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < sz && fgets(out + n, (int)(sz - n), p))
		n += strlen(out + n);
	out[n] = 0;
	while (fgets(cmd, sizeof(cmd), p))
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static inline int count_lines(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}
#endif
