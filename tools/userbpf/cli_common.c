/* SPDX-License-Identifier: MIT */
/*
 * cli_common.c - what the bpftool-style verbs (prog, map) share: the
 * command context and its one-line errors, bpftool's word matching, the
 * store's paths and ids, and bpftool's ways of printing bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static void ctx_log(enum userbpf_log_level level, const char *msg, void *user)
{
	struct cli_ctx *x = user;

	if (x->c->debug) {
		fprintf(stderr, "%s\n", msg);
		return;
	}
	if (level == USERBPF_LOG_WARN)
		snprintf(x->last_log, sizeof(x->last_log), "%s", msg);
}

int cli_ctx_init(struct cli_ctx *x, const struct cli *c)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o) };

	memset(x, 0, sizeof(*x));
	x->c = c;
	jw_init(&x->jw, stdout, c->pretty);
	o.log = ctx_log;
	o.log_user = x;
	o.log_level = c->debug ? USERBPF_LOG_DEBUG : USERBPF_LOG_WARN;
	x->rt = userbpf_rt__new(&o);
	if (!x->rt)
		return cli_fail(x, CLI_BPFTOOL_ERR, "cannot create the runtime: %s", strerror(errno));
	return 0;
}

void cli_ctx_fini(struct cli_ctx *x)
{
	userbpf_rt__free(x->rt);
	x->rt = NULL;
}

const char *cli_why(struct cli_ctx *x)
{
	static const char none[] = "";
	size_t n;

	if (!x->last_log[0])
		return none;
	/* " (msg)" in place, once */
	n = strlen(x->last_log);
	if (x->last_log[0] != ' ' && n + 3 < sizeof(x->last_log)) {
		memmove(x->last_log + 2, x->last_log, n + 1);
		x->last_log[0] = ' ';
		x->last_log[1] = '(';
		strcat(x->last_log, ")");
	}
	return x->last_log;
}

int cli_fail(struct cli_ctx *x, int rc, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->c->json) {
		struct jw w;

		jw_init(&w, stdout, x->c->pretty);
		jw_start_object(&w);
		jw_string_field(&w, "error", msg);
		jw_end_object(&w);
		jw_finish(&w);
	} else {
		fprintf(stderr, "Error: %s\n", msg);
	}
	return rc;
}

bool cli_is_prefix(const char *word, const char *keyword)
{
	size_t n = strlen(word);

	return n && n <= strlen(keyword) && !strncmp(word, keyword, n);
}

bool cli_parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long u;

	if (!s[0] || s[0] == '-')
		return false;
	errno = 0;
	u = strtoull(s, &end, 0);
	if (*end || errno || u > 0xffffffffull)
		return false;
	*v = (uint32_t)u;
	return true;
}

int cli_real_path(const char *pin, char *buf, size_t size, bool mkdir)
{
	return userbpf_store__path(pin, buf, size, mkdir ? USERBPF_STORE_MKDIR : 0) ? -errno : 0;
}

void cli_display_path(const char *real, char *buf, size_t size)
{
	if (userbpf_store__display_path(real, buf, size))
		snprintf(buf, size, "%s", real);
}

struct find_id {
	enum userbpf_pin_kind kind;
	uint64_t id;
	char *buf;
	size_t size;
};

static int find_id_cb(const char *path, enum userbpf_pin_kind kind, uint64_t id, void *user)
{
	struct find_id *f = user;

	if (kind != f->kind || id != f->id)
		return 0;
	snprintf(f->buf, f->size, "%s", path);
	return 1;
}

int cli_find_by_id(enum userbpf_pin_kind kind, uint64_t id, char *buf, size_t size)
{
	struct find_id f = { kind, id, buf, size };
	int r = userbpf_store__walk(NULL, find_id_cb, &f);

	return r == 1 ? 0 : r < 0 ? r : -ENOENT;
}

void cli_print_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *pfx = " ";

		if (!i)
			pfx = "";
		else if (!(i % 16))
			pfx = "\n";
		else if (!(i % 8))
			pfx = "  ";
		fprintf(f, "%s%02x", pfx, p[i]);
	}
}

void cli_json_hex(struct jw *w, const uint8_t *p, size_t n)
{
	jw_start_array(w);
	for (size_t i = 0; i < n; i++)
		jw_printf(w, "\"0x%02x\"", p[i]);
	jw_end_array(w);
}

/* As bpftool's hex_print(): "%07x\t" offset, 16 bytes in groups of two,
 * then "| " and the printable bytes, with a space after the eighth. */
void cli_hexdump(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 16) {
		size_t j;

		fprintf(f, "%07zx\t", i);
		for (j = i; j < i + 16 && j < n; j++)
			fprintf(f, "%02x%s", p[j], j % 2 ? " " : "");
		for (; j < i + 16; j++)
			fprintf(f, "  %s", j % 2 ? " " : "");
		fprintf(f, "| ");
		for (j = i; j < i + 16 && j < n; j++)
			fprintf(f, "%c%s", p[j] >= ' ' && p[j] <= '~' ? p[j] : '.', j == i + 7 ? " " : "");
		fprintf(f, "\n");
	}
}

static int listing_cb(const char *path, enum userbpf_pin_kind kind, uint64_t id, void *user)
{
	struct cli_listing *l = user;
	struct cli_pin_entry *e = NULL;
	char **np;

	if (kind != l->kind)
		return 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->e[i].id == id)
			e = &l->e[i];
	if (!e) {
		struct cli_pin_entry *ne = realloc(l->e, (l->n + 1) * sizeof(*ne));

		if (!ne) {
			l->oom = true;
			return 1;
		}
		l->e = ne;
		e = &l->e[l->n++];
		memset(e, 0, sizeof(*e));
		e->id = id;
	}
	np = realloc(e->paths, (e->npaths + 1) * sizeof(*np));
	if (!np || !(np[e->npaths] = strdup(path))) {
		if (np)
			e->paths = np;
		l->oom = true;
		return 1;
	}
	e->paths = np;
	e->npaths++;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct cli_pin_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cli_list_pins(enum userbpf_pin_kind kind, struct cli_listing *l)
{
	int r;

	memset(l, 0, sizeof(*l));
	l->kind = kind;
	r = userbpf_store__walk(NULL, listing_cb, l);
	if (l->oom)
		return -ENOMEM;
	if (r < 0 && errno != ENOENT)
		return -errno;
	qsort(l->e, l->n, sizeof(*l->e), cmp_entry);
	for (size_t i = 0; i < l->n; i++)
		qsort(l->e[i].paths, l->e[i].npaths, sizeof(char *), cmp_str);
	return 0;
}

void cli_list_free(struct cli_listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		for (size_t k = 0; k < l->e[i].npaths; k++)
			free(l->e[i].paths[k]);
		free(l->e[i].paths);
	}
	free(l->e);
	memset(l, 0, sizeof(*l));
}


bool cli_hidden_pin(const char *real)
{
	return strstr(real, "/.maps/") != NULL;
}

/* ---- handles: pinned FILE, id ID, name NAME ------------------------------ */

struct by_name {
	const char *name;
	struct userbpf_rt *rt;
	enum userbpf_pin_kind kind;
	char path[PATH_SZ];
	uint64_t id;
	int found;
};

/* Does the pinned object at path carry this name? */
static bool pin_named(struct userbpf_rt *rt, enum userbpf_pin_kind kind, const char *path,
		      const char *name)
{
	bool same = false;

	if (kind == USERBPF_PIN_MAP) {
		struct userbpf_map *m = userbpf_map__open_pinned(rt, path);

		same = m && !strcmp(userbpf_map__name(m), name);
		userbpf_map__free(m);
	} else {
		struct userbpf_prog_pin *pin = userbpf_prog_pin__open(rt, path);

		same = pin && !strcmp(userbpf_prog_pin__info(pin)->name, name);
		userbpf_prog_pin__close(pin);
	}
	return same;
}

static int by_name_cb(const char *path, enum userbpf_pin_kind kind, uint64_t id, void *user)
{
	struct by_name *b = user;

	if (kind != b->kind || (b->found && id == b->id))
		return 0;
	if (pin_named(b->rt, kind, path, b->name)) {
		if (!b->found)
			snprintf(b->path, sizeof(b->path), "%s", path);
		b->id = id;
		b->found++;
	}
	return 0;
}

int cli_resolve_handle(struct cli_ctx *x, int argc, char **argv, enum userbpf_pin_kind want,
		       char *real, size_t size)
{
	const bool map = want == USERBPF_PIN_MAP;
	const char *how, *what;
	int kind;

	if (argc < 2) {
		if (argc == 1 && (cli_is_prefix(argv[0], "pinned") || cli_is_prefix(argv[0], "id") ||
				  cli_is_prefix(argv[0], "name")))
			return cli_fail(x, CLI_BPFTOOL_ERR, "'%s' needs a value", argv[0]);
		return cli_fail(x, CLI_BPFTOOL_ERR, map ?
				"expected a map: id MAP_ID, pinned FILE or name MAP_NAME" :
				"expected a program: id PROG_ID, pinned FILE or name PROG_NAME");
	}
	how = argv[0];
	what = argv[1];
	if (cli_is_prefix(how, "id")) {
		uint32_t id;
		int err;

		if (!cli_parse_u32(what, &id))
			return cli_fail(x, CLI_BPFTOOL_ERR, "can't parse %s as ID", what);
		err = cli_find_by_id(want, id, real, size);
		if (err)
			return cli_fail(x, CLI_BPFTOOL_ERR, map ? "get map by id (%u): %s" :
				       "get by id (%u): %s", id, strerror(-err));
	} else if (cli_is_prefix(how, "pinned")) {
		int err = cli_real_path(what, real, size, false);

		if (err)
			return cli_fail(x, CLI_BPFTOOL_ERR, "bpf obj get (%s): %s", what, strerror(-err));
	} else if (cli_is_prefix(how, "name")) {
		struct by_name b = { .name = what, .rt = x->rt, .kind = want };

		userbpf_store__walk(NULL, by_name_cb, &b);
		if (!b.found)
			return cli_fail(x, CLI_BPFTOOL_ERR, "no %s with name %s found",
					map ? "map" : "program", what);
		if (b.found > 1)
			return cli_fail(x, CLI_BPFTOOL_ERR, "several %s match this handle",
					map ? "maps" : "programs");
		snprintf(real, size, "%s", b.path);
	} else {
		return cli_fail(x, CLI_BPFTOOL_ERR, "expected 'id', 'name' or 'pinned', got: '%s'?", how);
	}
	kind = userbpf_store__kind(real);
	if (kind < 0)
		return cli_fail(x, CLI_BPFTOOL_ERR, "bpf obj get (%s): %s", what, strerror(errno));
	if (kind != (int)want && (kind == USERBPF_PIN_MAP || kind == USERBPF_PIN_PROG))
		return cli_fail(x, CLI_BPFTOOL_ERR, "incorrect object type: %s",
				kind == USERBPF_PIN_MAP ? "map" : "prog");
	if (kind != (int)want)
		return cli_fail(x, CLI_BPFTOOL_ERR, "bpf obj get (%s): not a pinned userbpf %s", what,
				map ? "map" : "program");
	return 0;
}

int cli_show_pins(struct cli_ctx *x, int argc, char **argv, enum userbpf_pin_kind kind,
		  cli_show_fn show)
{
	struct cli_listing l;
	int err, rc = 0;

	if (argc > 0) {
		char real[PATH_SZ];
		uint64_t id = 0;
		size_t k;

		rc = cli_resolve_handle(x, argc, argv, kind, real, sizeof(real));
		if (rc)
			return rc;
		if (argc > 2)
			return cli_fail(x, CLI_BPFTOOL_ERR, "extra argument '%s'", argv[2]);
		userbpf_store__id(real, &id);
		/* every name of this object */
		err = cli_list_pins(kind, &l);
		for (k = 0; !err && k < l.n && l.e[k].id != id; k++)
			;
		if (!err && k < l.n) {
			rc = show(x, real, id, l.e[k].paths, l.e[k].npaths);
		} else {
			char *one = real;
			rc = show(x, real, id, &one, 1);
		}
		if (!err)
			cli_list_free(&l);
		if (!rc && x->c->json)
			jw_finish(&x->jw);
		return rc;
	}
	err = cli_list_pins(kind, &l);
	if (err)
		return cli_fail(x, CLI_BPFTOOL_ERR, "cannot list the store: %s", strerror(-err));
	if (x->c->json)
		jw_start_array(&x->jw);
	for (size_t i = 0; i < l.n; i++)
		show(x, NULL, l.e[i].id, l.e[i].paths, l.e[i].npaths);
	if (x->c->json) {
		jw_end_array(&x->jw);
		jw_finish(&x->jw);
	}
	cli_list_free(&l);
	return 0;
}

int cli_take_handle(struct cli_ctx *x, int *argc, char ***argv, enum userbpf_pin_kind want,
		    char *real, const char **what)
{
	int rc = cli_resolve_handle(x, *argc, *argv, want, real, PATH_SZ);

	if (rc)
		return rc;
	*what = (*argv)[1];
	*argc -= 2;
	*argv += 2;
	return 0;
}
