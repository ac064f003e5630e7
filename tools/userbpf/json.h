/* SPDX-License-Identifier: MIT */
/*
 * json.h - a JSON writer that prints what bpftool's json_writer prints,
 * byte for byte: compact with -j, and with -p four-space indents, names
 * on their own lines and closing brackets of non-empty containers on
 * their own lines.
 */
#ifndef USERBPF_CLI_JSON_H
#define USERBPF_CLI_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct jw {
	FILE *out;
	unsigned depth;
	bool pretty;
	char sep;	/* 0 or ',' */
};

void jw_init(struct jw *w, FILE *out, bool pretty);
/* Ends the document (a newline), as jsonw_destroy. */
void jw_finish(struct jw *w);
void jw_start_object(struct jw *w);
void jw_end_object(struct jw *w);
void jw_start_array(struct jw *w);
void jw_end_array(struct jw *w);
void jw_name(struct jw *w, const char *name);
/* Values. */
void jw_string(struct jw *w, const char *s);
void jw_uint(struct jw *w, uint64_t v);
void jw_int(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* A value printed as given (numbers, already quoted text). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void jw_printf(struct jw *w, const char *fmt, ...);
/* Name and value in one. */
void jw_string_field(struct jw *w, const char *name, const char *s);
void jw_uint_field(struct jw *w, const char *name, uint64_t v);
void jw_int_field(struct jw *w, const char *name, int64_t v);
void jw_bool_field(struct jw *w, const char *name, bool v);

#endif
