/* SPDX-License-Identifier: MIT */
/*
 * cmd_map.c - `userbpf map ...`: bpftool's map verbs on pinned maps
 * (create, show|list, dump, lookup, update, delete, getnext, pin, freeze),
 * with bpftool's words, output shapes, JSON and exit codes.
 *
 * MAP is `pinned FILE`, `id ID` or `name NAME`; pins under /sys/fs/bpf
 * live in the store (userbpf_store__path).  An id is the store's
 * (userbpf_store__id): the same for every pin of a map.  A PROG_ARRAY's or
 * map-in-map's value (`value pinned FILE` / `value id ID`) is the
 * program's or map's store id, which the slot keeps in shared memory, so
 * that a program run by another process tail-calls the program or reads
 * the inner map (store/store.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"


/* Linux's numbers the CLI needs by name. */
enum {
	T_HASH = 1, T_ARRAY = 2, T_PROG_ARRAY = 3, T_PERCPU_HASH = 5, T_PERCPU_ARRAY = 6,
	T_LRU_PERCPU_HASH = 10, T_ARRAY_OF_MAPS = 12, T_HASH_OF_MAPS = 13,
};

/* bpftool's type words, in Linux's numbering. */
static const char *const type_words[] = {
	[1] = "hash", [2] = "array", [3] = "prog_array", [4] = "perf_event_array",
	[5] = "percpu_hash", [6] = "percpu_array", [7] = "stack_trace", [8] = "cgroup_array",
	[9] = "lru_hash", [10] = "lru_percpu_hash", [11] = "lpm_trie", [12] = "array_of_maps",
	[13] = "hash_of_maps", [14] = "devmap", [15] = "sockmap", [16] = "cpumap",
	[17] = "xskmap", [18] = "sockhash", [19] = "cgroup_storage",
	[20] = "reuseport_sockarray", [21] = "percpu_cgroup_storage", [22] = "queue",
	[23] = "stack", [24] = "sk_storage", [25] = "devmap_hash", [26] = "struct_ops",
	[27] = "ringbuf", [28] = "inode_storage", [29] = "task_storage", [30] = "bloom_filter",
	[31] = "user_ringbuf", [32] = "cgrp_storage",
};
#define NTYPES (sizeof(type_words) / sizeof(type_words[0]))

static const char *type_word(uint32_t t)
{
	return t < NTYPES && type_words[t] ? type_words[t] : NULL;
}

static bool is_percpu(uint32_t t)
{
	return t == T_PERCPU_HASH || t == T_PERCPU_ARRAY || t == T_LRU_PERCPU_HASH;
}

static bool holds_refs(uint32_t t)
{
	return t == T_PROG_ARRAY || t == T_ARRAY_OF_MAPS || t == T_HASH_OF_MAPS;
}

static void map_usage(void)
{
	printf("Usage: userbpf map { show | list }   [MAP]\n"
	       "       userbpf map create     FILE type TYPE key KEY_SIZE value VALUE_SIZE \\\n"
	       "                              entries MAX_ENTRIES name NAME [flags FLAGS] \\\n"
	       "                              [inner_map MAP]\n"
	       "       userbpf map dump       MAP\n"
	       "       userbpf map update     MAP [key DATA] [value VALUE] [UPDATE_FLAGS]\n"
	       "       userbpf map lookup     MAP [key DATA]\n"
	       "       userbpf map getnext    MAP [key DATA]\n"
	       "       userbpf map delete     MAP  key DATA\n"
	       "       userbpf map pin        MAP  FILE\n"
	       "       userbpf map freeze     MAP\n"
	       "       userbpf map help\n"
	       "\n"
	       "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n"
	       "       DATA := { [hex] BYTES }\n"
	       "       PROG := { id PROG_ID | pinned FILE | name PROG_NAME }\n"
	       "       VALUE := { DATA | MAP | PROG }\n"
	       "       UPDATE_FLAGS := { any | exist | noexist }\n"
	       "       Pins under /sys/fs/bpf live in the store: $USERBPF_ROOT, else\n"
	       "       $XDG_RUNTIME_DIR/userbpf, else /tmp/userbpf-UID.\n");
}

/* ---- finding maps --------------------------------------------------------- */

/* Opens the map `pinned FILE`, `id ID` or `name NAME` at (*argv)[0..1] and
 * moves past it.  Returns 0, or bpftool's exit status after one line. */
static int open_map(struct cli_ctx *x, int *argc, char ***argv, struct userbpf_map **out,
		    char *real_out)
{
	char real[PATH_SZ];
	const char *what = "";
	int rc;

	*out = NULL;
	rc = cli_take_handle(x, argc, argv, USERBPF_PIN_MAP, real, &what);
	if (rc)
		return rc;
	*out = userbpf_map__open_pinned(x->rt, real);
	if (!*out)
		return cli_fail(x, CLI_BPFTOOL_ERR, "bpf obj get (%s): %s%s", what, strerror(errno),
				cli_why(x));
	if (real_out)
		snprintf(real_out, PATH_SZ, "%s", real);
	return 0;
}

/* ---- keys and values ------------------------------------------------------- */

/* bpftool's parse_bytes: n bytes, each one word ("hex": base 16, else as C
 * reads numbers).  Returns the words used, or -1 after one line. */
static int parse_bytes(struct cli_ctx *x, int argc, char **argv, const char *what,
		       uint8_t *val, size_t n)
{
	int base = 0, i = 0;
	size_t got = 0;

	if (argc > 0 && !strcmp(argv[0], "hex")) {
		base = 16;
		i = 1;
	}
	for (; got < n && i < argc; i++, got++) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(argv[i], &end, base);
		if (!argv[i][0] || *end || errno || v > 0xff || argv[i][0] == '-') {
			cli_fail(x, CLI_BPFTOOL_ERR, "error parsing byte: %s", argv[i]);
			return -1;
		}
		val[got] = (uint8_t)v;
	}
	if (got != n) {
		cli_fail(x, CLI_BPFTOOL_ERR, "%s expected %zu bytes got %zu", what, n, got);
		return -1;
	}
	return i;
}

/* What a `value pinned FILE` / `value id ID` opened for the update: the
 * object must live (in this runtime) until the update is done. */
struct ref_hold {
	struct userbpf_map *map;
	struct userbpf_prog_pin *pin;
};

static void ref_release(struct ref_hold *h)
{
	userbpf_map__free(h->map);
	userbpf_prog_pin__close(h->pin);
	h->map = NULL;
	h->pin = NULL;
}

/*
 * A PROG_ARRAY's or map-in-map's value: `id ID` / `pinned FILE` of a
 * program or map (its store id, as `prog show` / `map show` print it), or
 * plain bytes.  The object is opened (a map) or loaded (a program) in this
 * command's runtime and its id written; the slot then names it by its
 * store id, which every process resolves (store/store.h).
 */
static int parse_ref_value(struct cli_ctx *x, struct userbpf_map *m, int argc, char **argv,
			   uint8_t *val, size_t n, struct ref_hold *hold)
{
	uint32_t type = userbpf_map__type(m);
	bool is_prog = type == T_PROG_ARRAY;

	if (argc >= 1 && (!strcmp(argv[0], "id") || !strcmp(argv[0], "pinned") ||
			  !strcmp(argv[0], "name") || !strcmp(argv[0], "tag"))) {
		char real[PATH_SZ];
		uint32_t id = 0;
		int err = 0;

		if (argc < 2) {
			cli_fail(x, CLI_BPFTOOL_ERR, "'%s' needs a value", argv[0]);
			return -1;
		}
		if (!strcmp(argv[0], "pinned")) {
			err = cli_real_path(argv[1], real, sizeof(real), false);
			if (!err) {
				int kind = userbpf_store__kind(real);

				err = kind < 0 ? -errno : 0;
				if (!err && kind != (is_prog ? USERBPF_PIN_PROG : USERBPF_PIN_MAP)) {
					cli_fail(x, CLI_BPFTOOL_ERR, "incorrect object type: %s",
						 kind == USERBPF_PIN_PROG ? "prog" : kind == USERBPF_PIN_MAP ? "map" : "unknown");
					return -1;
				}
			}
			if (err) {
				cli_fail(x, CLI_BPFTOOL_ERR, "bpf obj get (%s): %s", argv[1], strerror(-err));
				return -1;
			}
		} else if (!strcmp(argv[0], "id")) {
			if (!cli_parse_u32(argv[1], &id)) {
				cli_fail(x, CLI_BPFTOOL_ERR, "can't parse %s as ID", argv[1]);
				return -1;
			}
			err = cli_find_by_id(is_prog ? USERBPF_PIN_PROG : USERBPF_PIN_MAP, id, real,
					     sizeof(real));
			if (err) {
				cli_fail(x, CLI_BPFTOOL_ERR, "get %sby id (%u): %s", is_prog ? "" : "map ",
					 id, strerror(-err));
				return -1;
			}
		} else {
			cli_fail(x, CLI_BPFTOOL_ERR, "'%s' is not supported here: use id or pinned",
				 argv[0]);
			return -1;
		}
		if (is_prog) {
			struct userbpf_prog *p = NULL;

			hold->pin = userbpf_prog_pin__open(x->rt, real);
			if (hold->pin)
				p = userbpf_prog_pin__load(hold->pin);
			if (!p) {
				cli_fail(x, CLI_BPFTOOL_ERR, "failed to load the pinned program %s: %s%s",
					 argv[1], strerror(errno), cli_why(x));
				return -1;
			}
			id = userbpf_prog__id(p);
		} else {
			hold->map = userbpf_map__open_pinned(x->rt, real);
			if (!hold->map) {
				cli_fail(x, CLI_BPFTOOL_ERR, "bpf obj get (%s): %s%s", argv[1],
					 strerror(errno), cli_why(x));
				return -1;
			}
			id = userbpf_map__id(hold->map);
		}
		if (n < 4) {
			cli_fail(x, CLI_BPFTOOL_ERR, "value expected %zu bytes got 4", n);
			return -1;
		}
		memcpy(val, &id, 4);
		return 2;
	}
	return parse_bytes(x, argc, argv, "value", val, n);
}

/* bpftool's parse_elem: key, value and one update flag in any order. */
static int parse_elem(struct cli_ctx *x, struct userbpf_map *m, int argc, char **argv,
		      uint8_t *key, uint8_t *value, uint64_t *flags, bool *has_key,
		      bool *has_value, struct ref_hold *hold)
{
	size_t ks = userbpf_map__key_size(m), vs = userbpf_map__user_value_size(m);
	bool has_flags = false;

	*has_key = *has_value = false;
	while (argc > 0) {
		const char *w = argv[0];
		int used;

		if (!strcmp(w, "key")) {
			if (*has_key || !key)
				return cli_fail(x, CLI_BPFTOOL_ERR, "unnecessary key");
			used = parse_bytes(x, argc - 1, argv + 1, "key", key, ks);
			if (used < 0)
				return CLI_BPFTOOL_ERR;
			*has_key = true;
		} else if (!strcmp(w, "value")) {
			if (*has_value || !value)
				return cli_fail(x, CLI_BPFTOOL_ERR, "unnecessary value");
			if (holds_refs(userbpf_map__type(m)))
				used = parse_ref_value(x, m, argc - 1, argv + 1, value, vs, hold);
			else
				used = parse_bytes(x, argc - 1, argv + 1, "value", value,
						   userbpf_map__value_size(m));
			if (used < 0)
				return CLI_BPFTOOL_ERR;
			/* per-CPU maps: every CPU gets the value, as bpftool does */
			if (is_percpu(userbpf_map__type(m))) {
				size_t one = userbpf_map__value_size(m), step = (one + 7) & ~(size_t)7;

				for (size_t off = step; off + one <= vs; off += step)
					memcpy(value + off, value, one);
			}
			*has_value = true;
		} else if (flags && (!strcmp(w, "any") || !strcmp(w, "noexist") ||
				     !strcmp(w, "exist"))) {
			if (has_flags)
				return cli_fail(x, CLI_BPFTOOL_ERR, "flags specified multiple times: %s", w);
			*flags = !strcmp(w, "any") ? 0 : !strcmp(w, "noexist") ? 1 : 2;
			has_flags = true;
			used = 0;
		} else {
			return cli_fail(x, CLI_BPFTOOL_ERR, "expected key or value, got: %s", w);
		}
		argc -= used + 1;
		argv += used + 1;
	}
	return 0;
}

/* ---- printing -------------------------------------------------------------- */

/* bpftool's print_entry_plain. */
static void print_entry_plain(struct userbpf_map *m, const uint8_t *key, const uint8_t *value)
{
	uint32_t ks = userbpf_map__key_size(m), vs = userbpf_map__value_size(m);

	if (!is_percpu(userbpf_map__type(m))) {
		bool break_names = ks > 16 || vs > 16;
		bool single_line = ks + vs <= 24 && !break_names;

		if (ks) {
			printf("key:%c", break_names ? '\n' : ' ');
			cli_print_hex(stdout, key, ks);
			printf(single_line ? "  " : "\n");
		}
		if (vs) {
			printf("value:%c", break_names ? '\n' : ' ');
			cli_print_hex(stdout, value, vs);
		}
		printf("\n");
	} else {
		unsigned n = userbpf_num_possible_cpus();
		size_t step = ((size_t)vs + 7) & ~(size_t)7;

		if (ks) {
			printf("key:\n");
			cli_print_hex(stdout, key, ks);
			printf("\n");
		}
		for (unsigned i = 0; vs && i < n; i++) {
			printf("value (CPU %02u):%c", i, vs > 16 ? '\n' : ' ');
			cli_print_hex(stdout, value + i * step, vs);
			printf("\n");
		}
	}
}

static void print_entry_json(struct cli_ctx *x, struct userbpf_map *m, const uint8_t *key,
			     const uint8_t *value)
{
	uint32_t ks = userbpf_map__key_size(m), vs = userbpf_map__value_size(m);
	struct jw *w = &x->jw;

	jw_start_object(w);
	jw_name(w, "key");
	cli_json_hex(w, key, ks);
	if (!is_percpu(userbpf_map__type(m))) {
		jw_name(w, "value");
		cli_json_hex(w, value, vs);
	} else {
		unsigned n = userbpf_num_possible_cpus();
		size_t step = ((size_t)vs + 7) & ~(size_t)7;

		jw_name(w, "values");
		jw_start_array(w);
		for (unsigned i = 0; i < n; i++) {
			jw_start_object(w);
			jw_uint_field(w, "cpu", i);
			jw_name(w, "value");
			cli_json_hex(w, value + i * step, vs);
			jw_end_object(w);
		}
		jw_end_array(w);
	}
	jw_end_object(w);
}

/* ---- verbs ----------------------------------------------------------------- */

static int do_create(struct cli_ctx *x, int argc, char **argv)
{
	const char *file, *name = NULL;
	uint32_t type = 0, ks = 0, vs = 0, entries = 0, flags = 0;
	struct userbpf_map_create_opts o = { .sz = sizeof(o) };
	struct userbpf_map *m, *inner = NULL;
	char real[PATH_SZ];
	int err, rc = 0;

	if (argc < 7)
		return cli_fail(x, CLI_BPFTOOL_ERR, "'create' needs at least 7 arguments, %d found",
				argc);
	file = argv[0];
	argc--;
	argv++;
	while (argc > 0) {
		const char *w = argv[0];

		if (argc < 2)
			return cli_fail(x, CLI_BPFTOOL_ERR, "'%s' needs at least 2 arguments, 1 found", w);
		if (cli_is_prefix(w, "type")) {
			const char *t = argv[1];

			type = 0;
			for (uint32_t i = 1; i < NTYPES; i++)
				if (type_words[i] && !strcmp(type_words[i], t))
					type = i;
			if (!type)
				return cli_fail(x, CLI_BPFTOOL_ERR, "unrecognized map type: %s", t);
		} else if (cli_is_prefix(w, "key")) {
			if (!cli_parse_u32(argv[1], &ks))
				return cli_fail(x, CLI_BPFTOOL_ERR, "can't parse %s as key size", argv[1]);
		} else if (cli_is_prefix(w, "value")) {
			if (!cli_parse_u32(argv[1], &vs))
				return cli_fail(x, CLI_BPFTOOL_ERR, "can't parse %s as value size", argv[1]);
		} else if (cli_is_prefix(w, "entries")) {
			if (!cli_parse_u32(argv[1], &entries))
				return cli_fail(x, CLI_BPFTOOL_ERR, "can't parse %s as max entries", argv[1]);
		} else if (cli_is_prefix(w, "flags")) {
			if (!cli_parse_u32(argv[1], &flags))
				return cli_fail(x, CLI_BPFTOOL_ERR, "can't parse %s as flags", argv[1]);
		} else if (cli_is_prefix(w, "name")) {
			name = argv[1];
		} else if (cli_is_prefix(w, "inner_map")) {
			int a = argc - 1;
			char **v = argv + 1;

			if (inner) {
				userbpf_map__free(inner);
				return cli_fail(x, CLI_BPFTOOL_ERR, "inner_map specified twice");
			}
			rc = open_map(x, &a, &v, &inner, NULL);
			if (rc)
				return rc;
			argc = a;
			argv = v;
			continue;
		} else if (cli_is_prefix(w, "dev")) {
			userbpf_map__free(inner);
			return cli_fail(x, CLI_BPFTOOL_ERR, "'dev' (offload to a device) has no meaning here");
		} else {
			userbpf_map__free(inner);
			return cli_fail(x, CLI_BPFTOOL_ERR, "unknown arg %s", w);
		}
		argc -= 2;
		argv += 2;
	}
	if (!name) {
		userbpf_map__free(inner);
		return cli_fail(x, CLI_BPFTOOL_ERR, "map name not specified");
	}
	err = cli_real_path(file, real, sizeof(real), true);
	if (err) {
		userbpf_map__free(inner);
		return cli_fail(x, CLI_BPFTOOL_ERR, "can't pin the object (%s): %s", file, strerror(-err));
	}
	o.map_flags = flags;
	o.inner_map = inner;
	m = userbpf_map__create(x->rt, type, name, ks, vs, entries, &o);
	userbpf_map__free(inner);
	if (!m)
		return cli_fail(x, CLI_BPFTOOL_ERR, "map create failed: %s%s", strerror(errno),
				cli_why(x));
	if (userbpf_map__pin(m, real)) {
		err = -errno;
		rc = cli_fail(x, cli_errno_rc(err), "can't pin the object (%s): %s", file,
			      strerror(-err));
	} else if (x->c->json) {
		jw_null(&x->jw);
		jw_finish(&x->jw);
	}
	userbpf_map__free(m);
	return rc;
}

static void show_map(struct cli_ctx *x, struct userbpf_map *m, uint64_t id, char **paths,
		     size_t npaths)
{
	const char *tw = type_word(userbpf_map__type(m));
	uint64_t memlock = 0;
	char shown[PATH_SZ], tbuf[32];
	FILE *f;

	if (!tw) {
		snprintf(tbuf, sizeof(tbuf), "type %u", userbpf_map__type(m));
		tw = tbuf;
	}
	/* memlock: the bytes of its shared memory, which is the file */
	f = npaths ? fopen(paths[0], "rb") : NULL;
	if (f) {
		if (!fseek(f, 0, SEEK_END)) {
			long sz = ftell(f);
			memlock = sz > 0 ? (uint64_t)sz : 0;
		}
		fclose(f);
	}
	if (x->c->json) {
		struct jw *w = &x->jw;
		size_t shown_n = 0;

		jw_start_object(w);
		jw_uint_field(w, "id", id);
		jw_string_field(w, "type", tw);
		jw_string_field(w, "name", userbpf_map__name(m));
		jw_uint_field(w, "flags", userbpf_map__flags(m));
		jw_uint_field(w, "bytes_key", userbpf_map__key_size(m));
		jw_uint_field(w, "bytes_value", userbpf_map__value_size(m));
		jw_uint_field(w, "max_entries", userbpf_map__max_entries(m));
		jw_uint_field(w, "bytes_memlock", memlock);
		jw_uint_field(w, "frozen", userbpf_map__is_frozen(m) ? 1 : 0);
		for (size_t i = 0; i < npaths; i++)
			shown_n += !cli_hidden_pin(paths[i]);
		if (shown_n) {
			jw_name(w, "pinned");
			jw_start_array(w);
			for (size_t i = 0; i < npaths; i++) {
				if (cli_hidden_pin(paths[i]))
					continue;
				cli_display_path(paths[i], shown, sizeof(shown));
				jw_string(w, shown);
			}
			jw_end_array(w);
		}
		jw_end_object(w);
		return;
	}
	printf("%llu: %s  name %s  flags 0x%x\n", (unsigned long long)id, tw, userbpf_map__name(m),
	       userbpf_map__flags(m));
	printf("\tkey %uB  value %uB  max_entries %u  memlock %lluB\n", userbpf_map__key_size(m),
	       userbpf_map__value_size(m), userbpf_map__max_entries(m),
	       (unsigned long long)memlock);
	for (size_t i = 0; i < npaths; i++) {
		if (cli_hidden_pin(paths[i]))
			continue;
		cli_display_path(paths[i], shown, sizeof(shown));
		printf("\tpinned %s\n", shown);
	}
	if (userbpf_map__is_frozen(m))
		printf("\tfrozen\n");
}

/* One object for cli_show_pins(). */
static int show_one(struct cli_ctx *x, const char *path, uint64_t id, char **paths, size_t npaths)
{
	struct userbpf_map *o = userbpf_map__open_pinned(x->rt, path ? path : paths[0]);

	if (!o)
		return path ? cli_fail(x, CLI_BPFTOOL_ERR, "bpf obj get (%s): %s%s", path,
				       strerror(errno), cli_why(x)) : 0;
	show_map(x, o, id, paths, npaths);
	userbpf_map__free(o);
	return 0;
}

static int do_show(struct cli_ctx *x, int argc, char **argv)
{
	return cli_show_pins(x, argc, argv, USERBPF_PIN_MAP, show_one);
}

/*
 * An element's value as bpftool prints it.  A PROG_ARRAY's or
 * map-in-map's value is the store id of the program or map in the
 * slot (the id `prog show` / `map show` print), read without loading it;
 * a slot that names an object of another process only reads as empty.
 * Returns 0 or -1 with errno, as userbpf_map__lookup_elem().
 */
static int lookup_value(struct userbpf_map *m, const uint8_t *key, uint8_t *value)
{
	uint32_t t = userbpf_map__type(m);
	uint64_t id;

	if (!holds_refs(t))
		return userbpf_map__lookup_elem(m, key, value, 0);
	if (userbpf_map__lookup_ref(m, key, &id)) {
		if (errno == EXDEV)
			errno = ENOENT;
		return -1;
	}
	{
		uint32_t v = (uint32_t)id;

		memcpy(value, &v, 4);
	}
	return 0;
}

static int alloc_kv(struct cli_ctx *x, struct userbpf_map *m, uint8_t **key, uint8_t **next,
		    uint8_t **value)
{
	size_t ks = userbpf_map__key_size(m), vs = userbpf_map__user_value_size(m);

	*key = calloc(1, ks + 1);
	*next = calloc(1, ks + 1);
	*value = calloc(1, vs + 1);
	if (!*key || !*next || !*value)
		return cli_fail(x, CLI_BPFTOOL_ERR, "out of memory");
	return 0;
}

static int do_dump(struct cli_ctx *x, int argc, char **argv)
{
	struct userbpf_map *m;
	uint8_t *key = NULL, *next = NULL, *value = NULL;
	unsigned found = 0;
	bool first = true;
	int rc = open_map(x, &argc, &argv, &m, NULL);

	if (rc)
		return rc;
	if (argc > 0) {
		rc = cli_fail(x, CLI_BPFTOOL_ERR, "extra argument '%s'", argv[0]);
		goto out;
	}
	rc = alloc_kv(x, m, &key, &next, &value);
	if (rc)
		goto out;
	if (x->c->json)
		jw_start_array(&x->jw);
	for (;;) {
		int err = userbpf_map__get_next_key(m, first ? NULL : key, next);
		uint8_t *t;

		if (err) {
			/* bpftool ends the dump quietly on any error (a queue,
			 * stack, bloom filter or ring buffer has no keys) and
			 * exits with it */
			if (errno != ENOENT)
				rc = cli_errno_rc(-errno);
			break;
		}
		first = false;
		t = key;
		key = next;
		next = t;
		if (lookup_value(m, key, value)) {
			int lerr = errno;

			if (holds_refs(userbpf_map__type(m)))
				continue;
			if (x->c->json) {
				jw_start_object(&x->jw);
				jw_name(&x->jw, "key");
				cli_json_hex(&x->jw, key, userbpf_map__key_size(m));
				jw_name(&x->jw, "value");
				jw_start_object(&x->jw);
				jw_string_field(&x->jw, "error", strerror(lerr));
				jw_end_object(&x->jw);
				jw_end_object(&x->jw);
			} else {
				const char *msg = lerr == ENOENT ? "<no entry>" : strerror(lerr);
				uint32_t ks = userbpf_map__key_size(m);
				size_t ml = strlen(msg);
				bool brk = ks > 16 || ml > 16, single = ks + ml <= 24 && !brk;

				printf("key:%c", brk ? '\n' : ' ');
				cli_print_hex(stdout, key, ks);
				printf(single ? "  " : "\n");
				printf("value:%c%s\n", brk ? '\n' : ' ', msg);
			}
			continue;
		}
		found++;
		if (x->c->json)
			print_entry_json(x, m, key, value);
		else
			print_entry_plain(m, key, value);
	}
	if (x->c->json) {
		jw_end_array(&x->jw);
		jw_finish(&x->jw);
	} else {
		printf("Found %u element%s\n", found, found == 1 ? "" : "s");
	}
out:
	free(key);
	free(next);
	free(value);
	userbpf_map__free(m);
	return rc;
}

/* What lookup, update, delete and getnext share: the map and the
 * element the command line names. */
struct elem_cmd {
	struct userbpf_map *m;
	uint8_t *key, *next, *value;	/* malloc'ed, the map's sizes */
	uint64_t flags;			/* any|noexist|exist (update) */
	bool hk, hv;			/* a key, a value was given */
	struct ref_hold hold;		/* the object a reference value names */
};

/* Opens MAP and parses `key ... [value ...] [flags]` (value and flags
 * only when with_value).  Returns 0, or bpftool's status after one line
 * (everything freed). */
static int elem_begin(struct cli_ctx *x, int argc, char **argv, bool with_value,
		      struct elem_cmd *e)
{
	int rc;

	memset(e, 0, sizeof(*e));
	rc = open_map(x, &argc, &argv, &e->m, NULL);
	if (rc)
		return rc;
	rc = alloc_kv(x, e->m, &e->key, &e->next, &e->value);
	if (!rc)
		rc = parse_elem(x, e->m, argc, argv, e->key, with_value ? e->value : NULL,
				with_value ? &e->flags : NULL, &e->hk, &e->hv, &e->hold);
	return rc;
}

static int elem_end(struct elem_cmd *e, int rc)
{
	free(e->key);
	free(e->next);
	free(e->value);
	ref_release(&e->hold);
	userbpf_map__free(e->m);
	return rc;
}

/* bpftool's JSON answer to a command with nothing to say. */
static void json_null(struct cli_ctx *x)
{
	if (x->c->json) {
		jw_null(&x->jw);
		jw_finish(&x->jw);
	}
}

static int do_lookup(struct cli_ctx *x, int argc, char **argv)
{
	struct elem_cmd e;
	int rc = elem_begin(x, argc, argv, false, &e);

	if (rc)
		return elem_end(&e, rc);
	if (!e.hk && userbpf_map__key_size(e.m))
		return elem_end(&e, cli_fail(x, CLI_BPFTOOL_ERR, "did not find key"));
	if (lookup_value(e.m, e.key, e.value)) {
		int err = errno;

		if (err != ENOENT)
			return elem_end(&e, cli_fail(x, cli_errno_rc(-err), "lookup failed: %s%s",
						     strerror(err), cli_why(x)));
		if (x->c->json) {
			jw_null(&x->jw);
			jw_finish(&x->jw);
		} else {
			printf("key:\n");
			cli_print_hex(stdout, e.key, userbpf_map__key_size(e.m));
			printf("\n\nNot found\n");
		}
		return elem_end(&e, cli_errno_rc(-ENOENT));
	}
	if (x->c->json) {
		print_entry_json(x, e.m, e.key, e.value);
		jw_finish(&x->jw);
	} else {
		print_entry_plain(e.m, e.key, e.value);
	}
	return elem_end(&e, 0);
}

static int do_update(struct cli_ctx *x, int argc, char **argv)
{
	struct elem_cmd e;
	int rc = elem_begin(x, argc, argv, true, &e);

	if (rc)
		return elem_end(&e, rc);
	if (!e.hk && userbpf_map__key_size(e.m))
		return elem_end(&e, cli_fail(x, CLI_BPFTOOL_ERR, "did not find key"));
	if (!e.hv)
		return elem_end(&e, cli_fail(x, CLI_BPFTOOL_ERR, "did not find value"));
	if (userbpf_map__update_elem(e.m, e.key, e.value, e.flags)) {
		int err = errno;

		return elem_end(&e, cli_fail(x, cli_errno_rc(-err), "update failed: %s%s",
					     strerror(err), cli_why(x)));
	}
	if (e.hold.map || e.hold.pin) {
		/* The slot must name the object by its store id, or it would
		 * be lost when this command ends. */
		uint64_t id;

		if (userbpf_map__lookup_ref(e.m, e.key, &id)) {
			char root[PATH_SZ];
			int err = errno;

			userbpf_map__delete_elem(e.m, e.key);
			if (userbpf_store__root(root, sizeof(root)))
				snprintf(root, sizeof(root), "the store");
			return elem_end(&e, cli_fail(x, CLI_BPFTOOL_ERR,
						     "update failed: the %s is not in the store (%s): other processes could not find it (%s); pin it under /sys/fs/bpf",
						     e.hold.pin ? "program" : "map", root, strerror(err)));
		}
	}
	json_null(x);
	return elem_end(&e, 0);
}

static int do_delete(struct cli_ctx *x, int argc, char **argv)
{
	struct elem_cmd e;
	int rc = elem_begin(x, argc, argv, false, &e);

	if (rc)
		return elem_end(&e, rc);
	if (!e.hk)
		return elem_end(&e, cli_fail(x, CLI_BPFTOOL_ERR, "did not find key"));
	if (userbpf_map__delete_elem(e.m, e.key)) {
		int err = errno;

		return elem_end(&e, cli_fail(x, cli_errno_rc(-err), "delete failed: %s%s",
					     strerror(err), cli_why(x)));
	}
	json_null(x);
	return elem_end(&e, 0);
}

static int do_getnext(struct cli_ctx *x, int argc, char **argv)
{
	struct elem_cmd e;
	uint32_t ks;
	int rc = elem_begin(x, argc, argv, false, &e);

	if (rc)
		return elem_end(&e, rc);
	ks = userbpf_map__key_size(e.m);
	if (userbpf_map__get_next_key(e.m, e.hk ? e.key : NULL, e.next)) {
		int err = errno;

		return elem_end(&e, cli_fail(x, cli_errno_rc(-err), "can't get next key: %s",
					     strerror(err)));
	}
	if (x->c->json) {
		jw_start_object(&x->jw);
		jw_name(&x->jw, "key");
		if (e.hk)
			cli_json_hex(&x->jw, e.key, ks);
		else
			jw_null(&x->jw);
		jw_name(&x->jw, "next_key");
		cli_json_hex(&x->jw, e.next, ks);
		jw_end_object(&x->jw);
		jw_finish(&x->jw);
	} else {
		if (e.hk) {
			printf("key:\n");
			cli_print_hex(stdout, e.key, ks);
			printf("\n");
		} else {
			printf("key: None\n");
		}
		printf("next key:\n");
		cli_print_hex(stdout, e.next, ks);
		printf("\n");
	}
	return elem_end(&e, 0);
}

static int do_pin(struct cli_ctx *x, int argc, char **argv)
{
	struct userbpf_map *m;
	char real[PATH_SZ];
	int rc = open_map(x, &argc, &argv, &m, real);

	if (rc)
		return rc;
	userbpf_map__free(m);
	if (argc != 1)
		return cli_fail(x, CLI_BPFTOOL_ERR, argc ? "extra argument '%s'" : "pin needs a FILE%s",
				argc ? argv[1] : "");
	if (userbpf_store__link(real, argv[0])) {
		int err = errno;

		return cli_fail(x, cli_errno_rc(-err), "can't pin the object (%s): %s", argv[0],
				strerror(err));
	}
	if (x->c->json) {
		jw_null(&x->jw);
		jw_finish(&x->jw);
	}
	return 0;
}

static int do_freeze(struct cli_ctx *x, int argc, char **argv)
{
	struct userbpf_map *m;
	int rc = open_map(x, &argc, &argv, &m, NULL);

	if (rc)
		return rc;
	if (argc > 0) {
		rc = cli_fail(x, CLI_BPFTOOL_ERR, "extra argument '%s'", argv[0]);
	} else if (userbpf_map__freeze(m)) {
		int err = errno;

		rc = cli_fail(x, cli_errno_rc(-err), "failed to freeze map: %s", strerror(err));
	} else if (x->c->json) {
		jw_null(&x->jw);
		jw_finish(&x->jw);
	}
	userbpf_map__free(m);
	return rc;
}

int cmd_map(const struct cli *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli_ctx *, int, char **);
	} verbs[] = {
		{ "show", do_show }, { "list", do_show }, { "create", do_create },
		{ "dump", do_dump }, { "lookup", do_lookup }, { "update", do_update },
		{ "delete", do_delete }, { "getnext", do_getnext }, { "pin", do_pin },
		{ "freeze", do_freeze },
	};
	struct cli_ctx x;
	int rc;

	if (argc == 0) {
		rc = cli_ctx_init(&x, c);
		if (!rc)
			rc = do_show(&x, 0, NULL);
		cli_ctx_fini(&x);
		return rc;
	}
	if (cli_is_prefix(argv[0], "help")) {
		map_usage();
		return 0;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (!cli_is_prefix(argv[0], verbs[i].name))
			continue;
		rc = cli_ctx_init(&x, c);
		if (!rc)
			rc = verbs[i].fn(&x, argc - 1, argv + 1);
		cli_ctx_fini(&x);
		return rc;
	}
	{
		struct cli_ctx e = { .c = c };

		return cli_fail(&e, CLI_BPFTOOL_ERR, "unknown map command '%s' (try 'userbpf map help')",
				argv[0]);
	}
}
