/* SPDX-License-Identifier: MIT */
/*
 * str_helpers.c - text and number helpers: trace_printk, snprintf,
 * strncmp, strtol, strtoul, csum_diff.
 *
 * The format language is Linux's for these helpers (kernel/bpf/helpers.c,
 * bpf_bprintf_prepare): %d %i %u %x %X %o %c %s %p %%, with flags
 * "-+ #0", a width, a precision and the l/ll/h/hh length modifiers; at
 * most 3 arguments for trace_printk and 12 for snprintf.  A %s argument is
 * a pointer the program did not have to prove, so it is read without
 * faulting (ub_os_read_safe) and an unreadable one prints "(efault)"; NULL
 * prints "(null)", as Linux does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "exec/exec_internal.h"
#include "helpers/helpers_internal.h"
#include "platform/platform.h"

#define FMT_MAX_ARGS 12

struct outbuf {
	char *p;
	size_t cap, len;	/* len counts what would have been written */
};

static void out_put(struct outbuf *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->len++)
		if (o->len + 1 < o->cap)
			o->p[o->len] = s[i];
}

/* Reads the NUL-terminated string at addr into buf (at most cap - 1
 * bytes), without faulting.  Returns false when nothing was readable. */
static bool read_str(uint64_t addr, char *buf, size_t cap)
{
	size_t got = 0;

	while (got + 1 < cap) {
		size_t chunk = 64 - ((addr + got) & 63);
		size_t n;

		if (chunk > cap - 1 - got)
			chunk = cap - 1 - got;
		n = ub_os_read_safe(buf + got, (const void *)(uintptr_t)(addr + got), chunk);
		if (n == 0) {
			if (got == 0)
				return false;
			break;
		}
		for (size_t i = 0; i < n; i++)
			if (buf[got + i] == 0)
				return true;
		got += n;
		if (n < chunk)
			break;
	}
	buf[got] = 0;
	return true;
}

/*
 * Formats fmt (fmt_len bytes, which must hold a NUL) with args into out.
 * Returns the length of the full text (without the NUL), or -EINVAL for a
 * format Linux refuses; msg then names what is wrong.
 */
static int bpf_format(char *out, size_t cap, const char *fmt, size_t fmt_len,
		      const uint64_t *args, unsigned nargs, const char **msg)
{
	struct outbuf o = { out, cap, 0 };
	unsigned used = 0;
	size_t end = strnlen(fmt, fmt_len);

	if (end == fmt_len) {
		*msg = "the format is not NUL-terminated";
		return -EINVAL;
	}
	for (size_t i = 0; i < end; i++) {
		char spec[32], piece[160], conv;
		size_t sl = 0;
		int lmod = 0, hmod = 0;
		uint64_t a;

		if (fmt[i] != '%') {
			out_put(&o, &fmt[i], 1);
			continue;
		}
		if (fmt[i + 1] == '%') {
			out_put(&o, "%", 1);
			i++;
			continue;
		}
		spec[sl++] = '%';
		i++;
		while (i < end && strchr("-+ #0", fmt[i]) && sl < 8)
			spec[sl++] = fmt[i++];
		while (i < end && fmt[i] >= '0' && fmt[i] <= '9' && sl < 12)
			spec[sl++] = fmt[i++];
		if (i < end && fmt[i] == '.') {
			spec[sl++] = fmt[i++];
			while (i < end && fmt[i] >= '0' && fmt[i] <= '9' && sl < 16)
				spec[sl++] = fmt[i++];
		}
		while (i < end && fmt[i] == 'l' && lmod < 2) {
			lmod++;
			i++;
		}
		while (!lmod && i < end && fmt[i] == 'h' && hmod < 2) {
			hmod++;
			i++;
		}
		if (i >= end) {
			*msg = "the format ends inside a conversion";
			return -EINVAL;
		}
		conv = fmt[i];
		if (!strchr("diuxXocsp", conv)) {
			*msg = "unsupported conversion in the format";
			return -EINVAL;
		}
		if (used >= nargs) {
			*msg = "the format has more conversions than arguments";
			return -EINVAL;
		}
		a = args[used++];
		switch (conv) {
		case 'd': case 'i': {
			int64_t v = lmod ? (int64_t)a : hmod == 2 ? (int8_t)a : hmod ? (int16_t)a
									   : (int32_t)a;
			memcpy(spec + sl, "lld", 4);
			snprintf(piece, sizeof(piece), spec, (long long)v);
			break;
		}
		case 'u': case 'x': case 'X': case 'o': {
			uint64_t v = lmod ? a : hmod == 2 ? (uint8_t)a : hmod ? (uint16_t)a
								   : (uint32_t)a;
			spec[sl] = 'l';
			spec[sl + 1] = 'l';
			spec[sl + 2] = conv;
			spec[sl + 3] = 0;
			snprintf(piece, sizeof(piece), spec, (unsigned long long)v);
			break;
		}
		case 'c':
			memcpy(spec + sl, "c", 2);
			snprintf(piece, sizeof(piece), spec, (int)(unsigned char)a);
			break;
		case 'p':
			/* %pK, %px, %ps...: Linux prints the value as hex. */
			if (i + 1 < end && strchr("Kxs", fmt[i + 1]))
				i++;
			snprintf(piece, sizeof(piece), "0x%llx", (unsigned long long)a);
			break;
		case 's': {
			char str[128];
			const char *s = str;

			if (!a)
				s = "(null)";
			else if (!read_str(a, str, sizeof(str)))
				s = "(efault)";
			memcpy(spec + sl, "s", 2);
			snprintf(piece, sizeof(piece), spec, s);
			break;
		}
		}
		out_put(&o, piece, strlen(piece));
	}
	if (cap)
		o.p[o.len < cap ? o.len : cap - 1] = 0;
	return (int)o.len;
}

/* bpf_trace_printk(fmt, fmt_size, a1, a2, a3): the text goes to the
 * runtime's trace sink (userbpf_rt__set_trace), else to its log. */
static uint64_t h_trace_printk(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			       uint64_t r5, struct userbpf_call *c)
{
	uint64_t args[3] = { r3, r4, r5 };
	char fmt[512], text[512];
	const char *msg = NULL;
	int n;

	if (r2 == 0 || r2 > sizeof(fmt))
		return (uint64_t)-EINVAL;
	if (!ub_helper_mem_ok(c, r1, r2, false)) {
		userbpf_call__abort(c, -EFAULT, "the format lies outside the program's memory");
		return (uint64_t)-EFAULT;
	}
	memcpy(fmt, (const void *)(uintptr_t)r1, r2);
	n = bpf_format(text, sizeof(text), fmt, r2, args, 3, &msg);
	if (n < 0)
		return (uint64_t)(int64_t)n;
	if (c->rt->trace_fn)
		c->rt->trace_fn(text, strlen(text), c, c->rt->trace_user);
	else
		ub_log(c->rt, USERBPF_LOG_INFO, "bpf_trace_printk: %s", text);
	return (uint64_t)strlen(text);
}

/* bpf_snprintf(str, str_size, fmt, data, data_len): data holds u64
 * arguments; returns the bytes the whole text needs, NUL included. */
static uint64_t h_snprintf(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   struct userbpf_call *c)
{
	uint64_t args[FMT_MAX_ARGS];
	char fmt[512];
	size_t flen;
	const char *msg = NULL;
	int n;

	if (r5 % 8 || r5 / 8 > FMT_MAX_ARGS || (r5 && !r4))
		return (uint64_t)-EINVAL;
	if (!ub_helper_mem_ok(c, r1, r2, true) || !ub_helper_mem_ok(c, r4, r5, false)) {
		userbpf_call__abort(c, -EFAULT, "a buffer lies outside the program's memory");
		return (uint64_t)-EFAULT;
	}
	/* The format is constant (.rodata); bound it as Linux bounds it. */
	flen = ub_os_read_safe(fmt, (const void *)(uintptr_t)r3, sizeof(fmt));
	if (flen == 0 || !ub_helper_mem_ok(c, r3, strnlen(fmt, flen) + 1, false))
		return (uint64_t)-EINVAL;
	if (r5)
		memcpy(args, (const void *)(uintptr_t)r4, r5);
	n = bpf_format((char *)(uintptr_t)r1, r2, fmt, flen, args, (unsigned)(r5 / 8), &msg);
	if (n < 0)
		return (uint64_t)(int64_t)n;
	return (uint64_t)n + 1;
}

/* bpf_strncmp(s1, s1_sz, s2): s2 is a constant string. */
static uint64_t h_strncmp(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			  struct userbpf_call *c)
{
	char s2[512];
	size_t n;
	int d;

	(void)r4; (void)r5;
	if (!ub_helper_mem_ok(c, r1, r2, false)) {
		userbpf_call__abort(c, -EFAULT, "s1 lies outside the program's memory");
		return (uint64_t)-EFAULT;
	}
	n = ub_os_read_safe(s2, (const void *)(uintptr_t)r3, sizeof(s2) - 1);
	s2[n] = 0;
	if (!ub_helper_mem_ok(c, r3, strlen(s2) + 1, false)) {
		userbpf_call__abort(c, -EFAULT, "s2 lies outside the program's memory");
		return (uint64_t)-EFAULT;
	}
	d = strncmp((const char *)(uintptr_t)r1, s2, r2);
	return (uint64_t)(int64_t)(d < 0 ? -1 : d > 0);
}

/*
 * bpf_strtol / bpf_strtoul(buf, buf_len, flags, res): flags is the base
 * (0, 8, 10 or 16); leading spaces and a sign are taken; returns the
 * characters consumed, -EINVAL when none, -ERANGE on overflow.
 */
static int64_t parse_num(const char *buf, size_t len, uint64_t base, bool is_signed,
			 int64_t *res)
{
	size_t i = 0;
	bool neg = false;
	uint64_t v = 0, lim;
	size_t digits = 0;

	if (base != 0 && base != 8 && base != 10 && base != 16)
		return -EINVAL;
	while (i < len && buf[i] && (buf[i] == ' ' || (buf[i] >= '\t' && buf[i] <= '\r')))
		i++;
	if (i < len && (buf[i] == '-' || buf[i] == '+')) {
		neg = buf[i] == '-';
		i++;
	}
	if (base == 0) {
		if (i + 1 < len && buf[i] == '0' && (buf[i + 1] == 'x' || buf[i + 1] == 'X'))
			base = 16, i += 2;
		else if (i < len && buf[i] == '0')
			base = 8;
		else
			base = 10;
	} else if (base == 16 && i + 1 < len && buf[i] == '0' &&
		   (buf[i + 1] == 'x' || buf[i + 1] == 'X')) {
		i += 2;
	}
	lim = is_signed ? (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX) : UINT64_MAX;
	for (; i < len && buf[i]; i++, digits++) {
		char ch = buf[i];
		unsigned dv = ch >= '0' && ch <= '9' ? (unsigned)(ch - '0')
			    : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
			    : ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10) : 99;
		if (dv >= base)
			break;
		if (v > (lim - dv) / base)
			return -ERANGE;
		v = v * base + dv;
	}
	if (!digits)
		return -EINVAL;
	if (!is_signed && neg)
		return -EINVAL;
	*res = neg ? (int64_t)(0 - v) : (int64_t)v;
	return (int64_t)i;
}

static uint64_t strto(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
		      struct userbpf_call *c, bool is_signed)
{
	int64_t res = 0, n;

	if (r2 == 0)
		return (uint64_t)-EINVAL;
	if (!ub_helper_mem_ok(c, r1, r2, false) || !ub_helper_mem_ok(c, r4, 8, true)) {
		userbpf_call__abort(c, -EFAULT, "a buffer lies outside the program's memory");
		return (uint64_t)-EFAULT;
	}
	n = parse_num((const char *)(uintptr_t)r1, r2, r3 & 0x1f, is_signed, &res);
	if (r3 & ~(uint64_t)0x1f)
		return (uint64_t)-EINVAL;
	if (n >= 0)
		memcpy((void *)(uintptr_t)r4, &res, 8);
	return (uint64_t)n;
}

static uint64_t h_strtol(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			 struct userbpf_call *c)
{
	(void)r5;
	return strto(r1, r2, r3, r4, c, true);
}

static uint64_t h_strtoul(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			  struct userbpf_call *c)
{
	(void)r5;
	return strto(r1, r2, r3, r4, c, false);
}

/* csum_partial's words of p[0, n): 4-byte little-endian words, then a
 * 2-byte and a 1-byte tail, each complemented (32-bit) when neg. */
static uint64_t csum_words(const uint8_t *p, uint64_t n, bool neg)
{
	uint64_t s = 0, i = 0;
	uint32_t w;

	for (; i + 4 <= n; i += 4) {
		memcpy(&w, p + i, 4);
		s += neg ? (uint32_t)~w : w;
	}
	if (n - i >= 2) {
		uint16_t h;

		memcpy(&h, p + i, 2);
		s += neg ? (uint32_t)~(uint32_t)h : h;
		i += 2;
	}
	if (n - i)
		s += neg ? (uint32_t)~(uint32_t)p[i] : p[i];
	return s;
}

/* bpf_csum_diff(from, from_size, to, to_size, seed), as Linux (6.13 on):
 * seed plus the one's complement sum of to minus that of from, any sizes,
 * folded to 16 bits (csum_from32to16), so the answer is the same on every
 * architecture. */
static uint64_t h_csum_diff(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    struct userbpf_call *c)
{
	uint64_t sum = (uint32_t)r5;
	uint32_t x;

	if ((r2 && !ub_helper_mem_ok(c, r1, r2, false)) ||
	    (r4 && !ub_helper_mem_ok(c, r3, r4, false))) {
		userbpf_call__abort(c, -EFAULT, "a buffer lies outside the program's memory");
		return (uint64_t)-EFAULT;
	}
	sum += csum_words((const uint8_t *)(uintptr_t)r1, r2, true);
	sum += csum_words((const uint8_t *)(uintptr_t)r3, r4, false);
	while (sum >> 32)
		sum = (sum & 0xffffffffu) + (sum >> 32);
	x = (uint32_t)sum;
	x += (x >> 16) | (x << 16);
	return x >> 16;
}

const struct ub_helper_def ub_str_helper_defs[] = {
	{ 6, h_trace_printk },
	{ 28, h_csum_diff },
	{ 105, h_strtol },
	{ 106, h_strtoul },
	{ 165, h_snprintf },
	{ 182, h_strncmp },
	{ 0, NULL },
};
