/* SPDX-License-Identifier: MIT */
/*
 * json.c - the JSON writer of the CLI (see json.h): bpftool's layout.
 */
#include <stdarg.h>
#include "json.h"

void jw_init(struct jw *w, FILE *out, bool pretty)
{
	w->out = out;
	w->depth = 0;
	w->pretty = pretty;
	w->sep = 0;
}

static void indent_eol(struct jw *w)
{
	if (!w->pretty)
		return;
	putc('\n', w->out);
	for (unsigned i = 0; i < w->depth; i++)
		fputs("    ", w->out);
}

/* A separator before every element but the first of its container. */
static void eor(struct jw *w)
{
	if (w->sep)
		putc(w->sep, w->out);
	w->sep = ',';
}

static void begin(struct jw *w, int c)
{
	eor(w);
	putc(c, w->out);
	w->depth++;
	w->sep = 0;
}

static void end(struct jw *w, int c)
{
	if (w->depth)
		w->depth--;
	if (w->sep)
		indent_eol(w);
	putc(c, w->out);
	w->sep = ',';
}

void jw_finish(struct jw *w)
{
	putc('\n', w->out);
	fflush(w->out);
}

void jw_start_object(struct jw *w) { begin(w, '{'); }
void jw_end_object(struct jw *w) { end(w, '}'); }
void jw_start_array(struct jw *w) { begin(w, '['); }
void jw_end_array(struct jw *w) { end(w, ']'); }

static void puts_quoted(struct jw *w, const char *s)
{
	putc('"', w->out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"': fputs("\\\"", w->out); break;
		case '\\': fputs("\\\\", w->out); break;
		case '\n': fputs("\\n", w->out); break;
		case '\t': fputs("\\t", w->out); break;
		case '\r': fputs("\\r", w->out); break;
		case '\b': fputs("\\b", w->out); break;
		case '\f': fputs("\\f", w->out); break;
		default:
			if (c < 0x20)
				fprintf(w->out, "\\u%04x", c);
			else
				putc(c, w->out);
		}
	}
	putc('"', w->out);
}

void jw_name(struct jw *w, const char *name)
{
	eor(w);
	indent_eol(w);
	w->sep = 0;
	puts_quoted(w, name);
	putc(':', w->out);
	if (w->pretty)
		putc(' ', w->out);
}

void jw_printf(struct jw *w, const char *fmt, ...)
{
	va_list ap;

	eor(w);
	va_start(ap, fmt);
	vfprintf(w->out, fmt, ap);
	va_end(ap);
}

void jw_string(struct jw *w, const char *s)
{
	eor(w);
	puts_quoted(w, s);
}

void jw_uint(struct jw *w, uint64_t v) { jw_printf(w, "%llu", (unsigned long long)v); }
void jw_int(struct jw *w, int64_t v) { jw_printf(w, "%lld", (long long)v); }
void jw_bool(struct jw *w, bool v) { jw_printf(w, "%s", v ? "true" : "false"); }
void jw_null(struct jw *w) { jw_printf(w, "null"); }

void jw_string_field(struct jw *w, const char *name, const char *s)
{
	jw_name(w, name);
	jw_string(w, s);
}

void jw_uint_field(struct jw *w, const char *name, uint64_t v)
{
	jw_name(w, name);
	jw_uint(w, v);
}

void jw_int_field(struct jw *w, const char *name, int64_t v)
{
	jw_name(w, name);
	jw_int(w, v);
}

void jw_bool_field(struct jw *w, const char *name, bool v)
{
	jw_name(w, name);
	jw_bool(w, v);
}
