/* SPDX-License-Identifier: MIT */
/*
 * yaml.h - a reader for the small part of YAML that PREVAIL's verifier
 * tests use, so the harness (prevail.c) needs no library.  It is a header
 * because the build makes one program per C file of tests/<suite>/.
 *
 * Understood: a stream of documents separated by `---` lines; in each, a
 * top-level mapping whose values are a scalar (plain, "double" or 'single'
 * quoted), a flow list `["a", b]` (which may span lines), a block list of
 * scalars (`- a`), a literal block (`|`), or a mapping of keys to scalars
 * or literal blocks (PREVAIL's `code:`).  Anything deeper (`observe:`
 * entries) is kept as Y_COMPLEX with its text unparsed.  Comments (`#` at
 * the start of a token) are dropped except inside literal blocks.
 *
 * The input is untrusted: every read is bounds-checked, and a malformed
 * document gets an error string instead of a crash.
 */
#ifndef USERBPF_TESTS_YAML_H
#define USERBPF_TESTS_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum y_kind { Y_NONE, Y_STR, Y_LIST, Y_MAP, Y_COMPLEX };

struct y_val {
	int kind;
	char *str;		/* Y_STR */
	char **items;		/* Y_LIST: items; Y_MAP: values */
	char **keys;		/* Y_MAP */
	size_t n;
};

struct y_entry {
	char *key;
	struct y_val v;
};

struct y_doc {
	struct y_entry *e;
	size_t n;
	int line;		/* first line of the document, 1-based */
	char err[160];		/* non-empty: the document is malformed */
};

struct y_line {
	const char *p;
	size_t n;
	int indent;		/* leading spaces */
	bool blank;		/* empty, or only a comment */
};

static inline char *y_strndup(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static inline bool y_push(char ***arr, size_t *n, char *s)
{
	char **a;

	if (!s)
		return false;
	a = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (!a) {
		free(s);
		return false;
	}
	a[(*n)++] = s;
	*arr = a;
	return true;
}

static inline void y_val_free(struct y_val *v)
{
	for (size_t i = 0; i < v->n; i++) {
		if (v->items)
			free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

static inline void y_docs_free(struct y_doc *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++) {
		for (size_t k = 0; k < d[i].n; k++) {
			free(d[i].e[k].key);
			y_val_free(&d[i].e[k].v);
		}
		free(d[i].e);
	}
	free(d);
}

static inline const struct y_val *y_get(const struct y_doc *d, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->e[i].key, key))
			return &d->e[i].v;
	return NULL;
}

static inline void y_trim(const char **p, size_t *n)
{
	while (*n && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
	while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r'))
		(*n)--;
}

/* Cuts a trailing comment: '#' at the start or after a blank, outside
 * quotes. */
static inline size_t y_uncomment(const char *p, size_t n)
{
	char q = 0;

	for (size_t i = 0; i < n; i++) {
		if (q) {
			if (p[i] == '\\' && q == '"' && i + 1 < n)
				i++;
			else if (p[i] == q)
				q = 0;
		} else if (p[i] == '"' || p[i] == '\'') {
			q = p[i];
		} else if (p[i] == '#' && (i == 0 || p[i - 1] == ' ' || p[i - 1] == '\t')) {
			return i;
		}
	}
	return n;
}

/* One scalar at p[0..n) (already trimmed, comment-free): a quoted string
 * that must fill it, or plain text.  NULL on a bad quote or no memory. */
static inline char *y_scalar(const char *p, size_t n, char *err, size_t err_sz)
{
	char *s, q;
	size_t o = 0, i;

	if (!n || (p[0] != '"' && p[0] != '\''))
		return y_strndup(p, n);
	q = p[0];
	s = malloc(n);
	if (!s)
		return NULL;
	for (i = 1; i < n; i++) {
		if (p[i] == q) {
			if (q == '\'' && i + 1 < n && p[i + 1] == '\'') {
				s[o++] = '\'';
				i++;
				continue;
			}
			break;
		}
		if (q == '"' && p[i] == '\\' && i + 1 < n) {
			i++;
			s[o++] = p[i] == 'n' ? '\n' : p[i] == 't' ? '\t' : p[i];
			continue;
		}
		s[o++] = p[i];
	}
	if (i >= n || i + 1 != n) {
		snprintf(err, err_sz, "unterminated or trailing text after a quoted scalar");
		free(s);
		return NULL;
	}
	s[o] = '\0';
	return s;
}

/* A flow list whose text (from '[' to its ']') is p[0..n). */
static inline bool y_flow(const char *p, size_t n, struct y_val *v, char *err, size_t err_sz)
{
	size_t i = 1;

	v->kind = Y_LIST;
	if (n < 2 || p[0] != '[' || p[n - 1] != ']') {
		snprintf(err, err_sz, "flow list not closed by ']'");
		return false;
	}
	n--;	/* drop ']' */
	for (;;) {
		size_t s, e;
		char q = 0;
		const char *ip;
		size_t in;
		char *item;

		while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
			i++;
		if (i >= n)
			return true;
		s = i;
		for (; i < n; i++) {
			if (q) {
				if (p[i] == '\\' && q == '"' && i + 1 < n)
					i++;
				else if (p[i] == q)
					q = 0;
			} else if (p[i] == '"' || p[i] == '\'') {
				q = p[i];
			} else if (p[i] == ',' || p[i] == '[' || p[i] == '{') {
				break;
			}
		}
		if (q || (i < n && p[i] != ',')) {
			snprintf(err, err_sz, "bad flow list item (unclosed quote or nesting)");
			return false;
		}
		e = i;
		ip = p + s;
		in = e - s;
		y_trim(&ip, &in);
		item = y_scalar(ip, in, err, err_sz);
		if (!y_push(&v->items, &v->n, item)) {
			if (!err[0])
				snprintf(err, err_sz, "out of memory");
			return false;
		}
		if (i < n)
			i++;	/* ',' */
	}
}

/* The literal block after a `key: |` line at index *li whose key sits at
 * indent `base`: lines indented deeper, with the first one's indent cut. */
static inline char *y_literal(const struct y_line *L, size_t nl, size_t *li, int base)
{
	size_t start = *li + 1, end = start, len = 0, o = 0;
	int ind = -1;
	char *s;

	while (end < nl && (L[end].n == 0 || L[end].indent > base ||
			    (L[end].indent == (int)L[end].n))) {
		if (ind < 0 && L[end].indent < (int)L[end].n)
			ind = L[end].indent;
		len += L[end].n + 1;
		end++;
	}
	s = malloc(len + 1);
	if (!s)
		return NULL;
	for (size_t k = start; k < end; k++) {
		size_t cut = ind > 0 && (int)L[k].n >= ind ? (size_t)ind : (size_t)L[k].indent;

		if (cut > L[k].n)
			cut = L[k].n;
		memcpy(s + o, L[k].p + cut, L[k].n - cut);
		o += L[k].n - cut;
		s[o++] = '\n';
	}
	s[o] = '\0';
	*li = end - 1;
	return s;
}

/* Parses the lines of one document. */
static inline void y_doc_parse(const struct y_line *L, size_t nl, struct y_doc *d)
{
	for (size_t li = 0; li < nl && !d->err[0]; li++) {
		const struct y_line *l = &L[li];
		const char *p = l->p, *colon;
		size_t n = l->n, kn;
		struct y_entry *e;
		struct y_val *v;

		if (l->blank)
			continue;
		if (l->indent != 0) {
			snprintf(d->err, sizeof(d->err), "line %zu: unexpected indentation", li + 1);
			return;
		}
		colon = NULL;
		for (size_t i = 0; i + 1 <= n; i++)
			if (p[i] == ':' && (i + 1 == n || p[i + 1] == ' ' || p[i + 1] == '\t')) {
				colon = p + i;
				break;
			}
		if (!colon) {
			snprintf(d->err, sizeof(d->err), "line %zu: expected 'key: value'", li + 1);
			return;
		}
		e = realloc(d->e, (d->n + 1) * sizeof(*d->e));
		if (!e) {
			snprintf(d->err, sizeof(d->err), "out of memory");
			return;
		}
		d->e = e;
		e = &d->e[d->n];
		memset(e, 0, sizeof(*e));
		kn = (size_t)(colon - p);
		e->key = y_strndup(p, kn);
		if (!e->key) {
			snprintf(d->err, sizeof(d->err), "out of memory");
			return;
		}
		d->n++;
		v = &e->v;
		p = colon + 1;
		n = n - kn - 1;
		n = y_uncomment(p, n);
		y_trim(&p, &n);
		if (n && p[0] == '[') {
			/* a flow list, maybe over several lines: gather to ']' */
			size_t cap = 0, len = 0, k = li, scanned = 0;
			char *buf = NULL, q = 0;
			bool closed = false;
			int depth = 0;

			/* the scan state carries over lines, so a list that
			 * never closes costs one pass, not one per line */
			for (;;) {
				const char *lp = k == li ? p : L[k].p;
				size_t ln = k == li ? n : y_uncomment(L[k].p, L[k].n);
				char *nb;

				if (len + ln + 2 > cap) {
					cap = (len + ln + 2) * 2;
					nb = realloc(buf, cap);
					if (!nb) {
						free(buf);
						snprintf(d->err, sizeof(d->err), "out of memory");
						return;
					}
					buf = nb;
				}
				memcpy(buf + len, lp, ln);
				len += ln;
				buf[len++] = '\n';
				for (size_t i = scanned; i < len; i++, scanned = i) {
					if (q) {
						if (buf[i] == '\\' && q == '"' && i + 1 < len)
							i++;
						else if (buf[i] == q)
							q = 0;
					} else if (buf[i] == '"' || buf[i] == '\'') {
						q = buf[i];
					} else if (buf[i] == '[') {
						depth++;
					} else if (buf[i] == ']' && --depth == 0) {
						len = i + 1;
						closed = true;
						break;
					}
				}
				if (closed || ++k >= nl)
					break;
			}
			li = k < nl ? k : nl - 1;
			if (!closed)
				snprintf(d->err, sizeof(d->err), "flow list of '%s' never closed", e->key);
			else if (!y_flow(buf, len, v, d->err, sizeof(d->err)) && !d->err[0])
				snprintf(d->err, sizeof(d->err), "bad flow list");
			free(buf);
			continue;
		}
		if (n && p[0] == '|') {
			v->kind = Y_STR;
			v->str = y_literal(L, nl, &li, 0);
			if (!v->str)
				snprintf(d->err, sizeof(d->err), "out of memory");
			continue;
		}
		if (n) {
			v->kind = Y_STR;
			v->str = y_scalar(p, n, d->err, sizeof(d->err));
			if (!v->str && !d->err[0])
				snprintf(d->err, sizeof(d->err), "out of memory");
			continue;
		}
		/* nested: a block list (which may sit at indent 0) or a map */
		{
			size_t k = li + 1;
			int ind = -1;
			bool list = false;

			while (k < nl && L[k].blank)
				k++;
			if (k < nl && L[k].n >= (size_t)L[k].indent + 1 && L[k].p[L[k].indent] == '-' &&
			    (L[k].n == (size_t)L[k].indent + 1 || L[k].p[L[k].indent + 1] == ' '))
				list = true;
			if (k >= nl || (!list && L[k].indent == 0)) {
				v->kind = Y_NONE;	/* `key:` with nothing */
				continue;
			}
			ind = L[k].indent;
			v->kind = list ? Y_LIST : Y_MAP;
			for (k = li + 1; k < nl && !d->err[0]; k++) {
				const char *ip;
				size_t in;

				if (L[k].blank)
					continue;
				if (L[k].indent < ind || (L[k].indent == 0 && !list))
					break;
				if (L[k].indent > ind) {
					v->kind = Y_COMPLEX;	/* nested deeper: not ours */
					continue;
				}
				ip = L[k].p + ind;
				in = y_uncomment(ip, L[k].n - (size_t)ind);
				if (list) {
					if (in < 1 || ip[0] != '-') {
						if (L[k].indent == 0)
							break;
						snprintf(d->err, sizeof(d->err), "line %zu: expected '- item'", k + 1);
						break;
					}
					ip++;
					in--;
					y_trim(&ip, &in);
					if (v->kind == Y_LIST) {
						char *it;
						bool kv = false;

						for (size_t i = 0; i < in && !kv; i++)
							kv = ip[i] == ':' && (i + 1 == in || ip[i + 1] == ' ') &&
							     ip[0] != '"' && ip[0] != '\'';
						if (kv) {
							v->kind = Y_COMPLEX;
							continue;
						}
						it = y_scalar(ip, in, d->err, sizeof(d->err));
						if (!y_push(&v->items, &v->n, it) && !d->err[0])
							snprintf(d->err, sizeof(d->err), "out of memory");
					}
				} else if (v->kind == Y_MAP) {
					const char *c2 = NULL, *vp;
					size_t vn;
					char *key, *val;

					for (size_t i = 0; i < in; i++)
						if (ip[i] == ':' && (i + 1 == in || ip[i + 1] == ' ')) {
							c2 = ip + i;
							break;
						}
					if (!c2) {
						snprintf(d->err, sizeof(d->err), "line %zu: expected 'key: value'", k + 1);
						break;
					}
					key = y_strndup(ip, (size_t)(c2 - ip));
					vp = c2 + 1;
					vn = in - (size_t)(c2 - ip) - 1;
					y_trim(&vp, &vn);
					if (vn && vp[0] == '|')
						val = y_literal(L, nl, &k, ind);
					else
						val = y_scalar(vp, vn, d->err, sizeof(d->err));
					if (!key || !val) {
						free(key);
						free(val);
						if (!d->err[0])
							snprintf(d->err, sizeof(d->err), "out of memory");
						break;
					}
					{
						size_t nk = v->n, ni = v->n;

						if (!y_push(&v->keys, &nk, key)) {
							free(val);
							snprintf(d->err, sizeof(d->err), "out of memory");
							break;
						}
						/* keys[v->n] is not counted yet: free it here */
						if (!y_push(&v->items, &ni, val)) {
							free(key);
							snprintf(d->err, sizeof(d->err), "out of memory");
							break;
						}
						v->n++;
					}
				}
			}
			li = k - 1;
		}
	}
}

/* Splits text[0..len) into documents.  Returns 0, or -1 when out of
 * memory; malformed documents carry their own err. */
static inline int y_parse_stream(const char *text, size_t len, struct y_doc **docs, size_t *ndocs)
{
	struct y_line *L = NULL;
	size_t nl = 0, cap = 0, start = 0;
	struct y_doc *D = NULL;
	size_t nd = 0;
	const char *p = text, *end = text + len;
	bool any = false;

	*docs = NULL;
	*ndocs = 0;
	while (p < end) {
		const char *nlp = memchr(p, '\n', (size_t)(end - p));
		const char *le = nlp ? nlp : end;
		struct y_line *l;

		if (nl == cap) {
			struct y_line *nlines;

			cap = cap ? cap * 2 : 256;
			nlines = realloc(L, cap * sizeof(*L));
			if (!nlines) {
				free(L);
				return -1;
			}
			L = nlines;
		}
		l = &L[nl++];
		l->p = p;
		l->n = (size_t)(le - p);
		while (l->n && l->p[l->n - 1] == '\r')
			l->n--;
		l->indent = 0;
		while ((size_t)l->indent < l->n && l->p[l->indent] == ' ')
			l->indent++;
		l->blank = (size_t)l->indent == l->n || l->p[l->indent] == '#';
		p = nlp ? nlp + 1 : end;
	}
	for (size_t i = 0; i <= nl; i++) {
		bool sep = i < nl && L[i].n >= 3 && !memcmp(L[i].p, "---", 3) &&
			   (L[i].n == 3 || L[i].p[3] == ' ');

		if (i < nl && !sep) {
			if (!L[i].blank)
				any = true;
			continue;
		}
		if (any) {
			struct y_doc *nd2 = realloc(D, (nd + 1) * sizeof(*D));

			if (!nd2) {
				y_docs_free(D, nd);
				free(L);
				return -1;
			}
			D = nd2;
			memset(&D[nd], 0, sizeof(D[nd]));
			D[nd].line = (int)start + 1;
			y_doc_parse(L + start, i - start, &D[nd]);
			nd++;
		}
		any = false;
		start = i + 1;
	}
	free(L);
	*docs = D;
	*ndocs = nd;
	return 0;
}

#endif
