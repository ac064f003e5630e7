/* SPDX-License-Identifier: MIT */
/*
 * printk.c - bpf_trace_printk's formatting and the kernel's trace_pipe line.
 *
 * Pure functions (no I/O, no allocation): the agent calls them from its
 * SIGSYS handler, so they must stay async-signal-safe.  %s reads the
 * traced process's memory through the caller's fault-safe reader.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "hooks/hooks.h"

struct outbuf {
	char *p;
	size_t sz, len;
};

static void put(struct outbuf *o, char c)
{
	if (o->len + 1 < o->sz)
		o->p[o->len] = c;
	o->len++;
}

static void put_padded(struct outbuf *o, const char *s, size_t n, int width, bool left,
		       char pad)
{
	size_t w = width > 0 ? (size_t)width : 0;

	if (!left)
		for (size_t i = n; i < w; i++)
			put(o, pad);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	if (left)
		for (size_t i = n; i < w; i++)
			put(o, ' ');
}

/* Digits of v in base (10, 16, 8), with a sign when neg. */
static size_t fmt_num(char *buf, uint64_t v, unsigned base, bool upper, bool neg)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = 0, k = 0;

	do {
		tmp[n++] = dig[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[k++] = '-';
	while (n)
		buf[k++] = tmp[--n];
	return k;
}

int ub_printk_format(char *out, size_t sz, const char *fmt, size_t fmt_size,
		     const uint64_t args[3], ub_read_str_fn rd, void *user)
{
	struct outbuf o = { out, sz, 0 };
	size_t end, i;
	int argi = 0;

	if (!fmt || !fmt_size || !sz)
		return -EINVAL;
	for (end = 0; end < fmt_size && fmt[end]; end++)
		;
	if (end == fmt_size)
		return -EINVAL;	/* the kernel wants the NUL inside fmt_size */
	for (i = 0; i < end; i++) {
		char num[32], sbuf[256];
		bool left = false, zero = false, upper = false;
		int width = 0, lng = 0;
		uint64_t v;
		char c = fmt[i];

		if (c != '%') {
			put(&o, c);
			continue;
		}
		if (++i >= end)
			return -EINVAL;
		if (fmt[i] == '%') {
			put(&o, '%');
			continue;
		}
		for (; i < end && (fmt[i] == '-' || fmt[i] == '0' || fmt[i] == '+' || fmt[i] == ' '); i++) {
			if (fmt[i] == '-')
				left = true;
			else if (fmt[i] == '0')
				zero = true;
		}
		for (; i < end && fmt[i] >= '0' && fmt[i] <= '9'; i++)
			width = width * 10 + (fmt[i] - '0');
		if (width > 64)
			return -EINVAL;
		for (; i < end && (fmt[i] == 'l' || fmt[i] == 'h'); i++)
			lng += fmt[i] == 'l' ? 1 : -1;
		if (i >= end || lng > 2)
			return -EINVAL;
		if (argi >= 3)
			return -EINVAL;
		v = args[argi++];
		c = fmt[i];
		switch (c) {
		case 'd':
		case 'i': {
			int64_t s = lng >= 1 ? (int64_t)v : lng == -1 ? (int16_t)v
				  : lng <= -2 ? (int8_t)v : (int32_t)v;
			size_t n = fmt_num(num, s < 0 ? 0 - (uint64_t)s : (uint64_t)s, 10, false, s < 0);
			put_padded(&o, num, n, width, left, zero && !left ? '0' : ' ');
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			size_t n;

			if (lng < 1)
				v = lng == -1 ? (uint16_t)v : lng <= -2 ? (uint8_t)v : (uint32_t)v;
			upper = c == 'X';
			n = fmt_num(num, v, c == 'u' ? 10 : c == 'o' ? 8 : 16, upper, false);
			put_padded(&o, num, n, width, left, zero && !left ? '0' : ' ');
			break;
		}
		case 'p': {
			size_t n;

			/* %pK, %px, %ps... are pointers too; print the hex value */
			if (i + 1 < end && (fmt[i + 1] == 'K' || fmt[i + 1] == 'x'))
				i++;
			num[0] = '0';
			num[1] = 'x';
			n = 2 + fmt_num(num + 2, v, 16, false, false);
			put_padded(&o, num, n, width, left, ' ');
			break;
		}
		case 'c':
			num[0] = (char)v;
			put_padded(&o, num, 1, width, left, ' ');
			break;
		case 's': {
			int n = rd ? rd(user, v, sbuf, sizeof(sbuf)) : -EFAULT;

			if (n < 0) {
				memcpy(sbuf, "(efault)", 9);
				n = 8;
			}
			put_padded(&o, sbuf, (size_t)n, width, left, ' ');
			break;
		}
		default:
			return -EINVAL;
		}
	}
	if (o.len < sz)
		out[o.len] = 0;
	else
		out[sz - 1] = 0;
	return (int)(o.len < sz ? o.len : sz - 1);
}

int ub_trace_line(char *out, size_t sz, const char *comm, int pid, unsigned cpu,
		  uint64_t ts_ns, const char *msg)
{
	size_t mlen = strlen(msg);
	int n;

	/* The kernel's default trace_pipe line: comm right-aligned in 16,
	 * pid left-aligned in 7, the CPU, the irqs-off/need-resched/
	 * hardirq-softirq/preempt-depth/migrate-disable flags, the
	 * timestamp in seconds with microseconds, the event name. */
	while (mlen && msg[mlen - 1] == '\n')
		mlen--;
	n = snprintf(out, sz, "%16s-%-7d [%03u] ...21 %5llu.%06llu: bpf_trace_printk: %.*s\n",
		     comm, pid, cpu, (unsigned long long)(ts_ns / 1000000000ull),
		     (unsigned long long)(ts_ns % 1000000000ull / 1000ull), (int)mlen, msg);
	if (n < 0)
		return 0;
	if ((size_t)n >= sz) {
		n = (int)sz - 1;
		if (n > 0)
			out[n - 1] = '\n';
	}
	return n;
}
