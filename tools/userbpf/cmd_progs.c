/* SPDX-License-Identifier: MIT */
/*
 * cmd_progs.c - `userbpf prog ...`: bpftool's program verbs on pinned
 * programs (load, loadall, show|list, dump xlated|jited, pin, run), with
 * bpftool's words, output shapes, JSON and exit codes.
 *
 * A pinned program is a file of the store (userbpf_prog__pin): what
 * another process needs to load and run it again, and its run
 * statistics, which `prog run` bumps and `prog show` prints.
 *
 * Until program types arrive with the hook providers, programs run with
 * the CLI's data convention (r1 = data_in, r2 = its length; see cli.h);
 * with ctx_in, r1 = the context and r2 = its length, and data_in is the
 * packet of the legacy LD_ABS/LD_IND loads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"


static void prog_usage(void)
{
	printf("Usage: userbpf prog { show | list } [PROG]\n"
	       "       userbpf prog dump xlated PROG [{ file FILE | opcodes }]\n"
	       "       userbpf prog dump jited  PROG [{ file FILE }]\n"
	       "       userbpf prog pin   PROG FILE\n"
	       "       userbpf prog { load | loadall } OBJ  PATH \\\n"
	       "                         [type TYPE] [pinmaps MAP_DIR]\n"
	       "       userbpf prog run PROG \\\n"
	       "                         data_in FILE \\\n"
	       "                         [data_out FILE [data_size_out L]] \\\n"
	       "                         [ctx_in FILE [ctx_out FILE [ctx_size_out M]]] \\\n"
	       "                         [repeat N]\n"
	       "       userbpf prog help\n"
	       "\n"
	       "       PROG := { id PROG_ID | pinned FILE | name PROG_NAME }\n"
	       "       TYPE := a libbpf SEC name: socket | xdp | tc | kprobe | tracepoint | ...\n"
	       "       Pins under /sys/fs/bpf live in the store: $USERBPF_ROOT, else\n"
	       "       $XDG_RUNTIME_DIR/userbpf, else /tmp/userbpf-UID.\n");
}

/* ---- finding programs ---------------------------------------------------- */

/* Opens PROG (`pinned FILE`, `id ID`, `name NAME`) and moves past it. */
static int open_prog(struct cli_ctx *x, int *argc, char ***argv, struct userbpf_prog_pin **out,
		     char *real_out)
{
	char real[PATH_SZ];
	const char *what = "";
	int rc;

	*out = NULL;
	rc = cli_take_handle(x, argc, argv, USERBPF_PIN_PROG, real, &what);
	if (rc)
		return rc;
	*out = userbpf_prog_pin__open(x->rt, real);
	if (!*out)
		return cli_fail(x, CLI_BPFTOOL_ERR, "bpf obj get (%s): %s%s", what, strerror(errno),
				cli_why(x));
	if (real_out)
		snprintf(real_out, PATH_SZ, "%s", real);
	return 0;
}

/* The store ids of the maps a pinned program refers to (0 when gone). */
static uint64_t *map_ids_of(const struct userbpf_prog_info *in)
{
	uint64_t *ids = calloc(in->map_cnt ? in->map_cnt : 1, sizeof(*ids));

	for (size_t i = 0; ids && i < in->map_cnt; i++)
		if (userbpf_store__id(in->map_paths[i], &ids[i]))
			ids[i] = 0;
	return ids;
}

/* ---- load, loadall ----------------------------------------------------- */

/* Every map of the object (used by a program or not), as bpftool's
 * pinmaps pins them; a raw program's are the ones it was given. */
static size_t obj_maps(const struct cli_progs *p, struct userbpf_map **out, size_t max)
{
	size_t n = 0;

	if (p->obj) {
		for (size_t i = 0; i < userbpf_obj__map_cnt(p->obj) && n < max; i++)
			if (userbpf_obj__map(p->obj, i))
				out[n++] = userbpf_obj__map(p->obj, i);
		return n;
	}
	for (size_t i = 0; i < p->cnt; i++) {
		struct userbpf_prog *prog = cli_prog_at(p, i);

		for (size_t k = 0; prog && k < userbpf_prog__map_cnt(prog); k++) {
			struct userbpf_map *m = userbpf_prog__map(prog, k);
			size_t j;

			for (j = 0; j < n && out[j] != m; j++)
				;
			if (j == n && n < max)
				out[n++] = m;
		}
	}
	return n;
}

/* bpftool's pinmaps: every map of the object at DIR/NAME ('.' as '_'). */
static int pin_maps(struct cli_ctx *x, const struct cli_progs *p, const char *dir)
{
	struct userbpf_map *maps[256];
	size_t n = obj_maps(p, maps, 256);
	char pin[PATH_SZ], real[PATH_SZ];

	for (size_t i = 0; i < n; i++) {
		const char *name = userbpf_map__name(maps[i]);
		size_t dl = strlen(dir), nl = strlen(name), k;

		if (dl + 1 + nl + 1 > sizeof(pin))
			return cli_fail(x, CLI_BPFTOOL_ERR, "%s: path too long", dir);
		memcpy(pin, dir, dl);
		pin[dl] = '/';
		for (k = 0; k < nl; k++)
			pin[dl + 1 + k] = name[k] == '.' ? '_' : name[k];
		pin[dl + 1 + nl] = 0;
		if (userbpf_map__pin_path(maps[i]))
			continue;	/* pinned by the object already */
		if (cli_real_path(pin, real, sizeof(real), true) || userbpf_map__pin(maps[i], real)) {
			int err = errno;

			return cli_fail(x, cli_errno_rc(-err), "failed to pin all maps: %s: %s", pin,
					strerror(err));
		}
	}
	return 0;
}

/* A raw file's program is named after the file, as the kernel would take
 * a name: its base name up to the first '.', letters, digits and '_',
 * 15 characters at most. */
static void raw_name(const char *path, char *buf, size_t size)
{
	const char *b = strrchr(path, '/');
	size_t n = 0;

	for (b = b ? b + 1 : path; *b && *b != '.' && n + 1 < size && n < 15; b++)
		buf[n++] = (*b >= 'a' && *b <= 'z') || (*b >= 'A' && *b <= 'Z') ||
				   (*b >= '0' && *b <= '9') ? *b : '_';
	buf[n] = 0;
}

static int pin_one(struct cli_ctx *x, struct userbpf_prog *prog, const char *path,
		   const char *type, const char *license, const char *name)
{
	struct userbpf_prog_pin_opts o = { .sz = sizeof(o), .type = type, .license = license,
					   .name = name };

	if (userbpf_prog__pin(prog, path, &o)) {
		int err = errno;

		return cli_fail(x, CLI_BPFTOOL_ERR, "failed to pin program %s: %s%s",
				type && type[0] ? type : userbpf_prog__name(prog), strerror(err),
				cli_why(x));
	}
	return 0;
}

static int do_load_common(struct cli_ctx *x, int argc, char **argv, bool all)
{
	const char *obj, *path, *type_arg = NULL, *pinmaps = NULL;
	struct cli_progs p;
	int rc = 0;

	if (argc < 2)
		return cli_fail(x, CLI_BPFTOOL_ERR, "'%s' needs at least 2 arguments, %d found",
				all ? "loadall" : "load", argc);
	obj = argv[0];
	path = argv[1];
	argc -= 2;
	argv += 2;
	while (argc > 0) {
		const char *w = argv[0];

		if (argc < 2)
			return cli_fail(x, CLI_BPFTOOL_ERR, "'%s' needs a value", w);
		if (cli_is_prefix(w, "type")) {
			type_arg = argv[1];
			if (!userbpf_sec_prog_type(type_arg))
				return cli_fail(x, CLI_BPFTOOL_ERR,
						"unknown program type '%s' (use a libbpf SEC name: socket, xdp, tc, kprobe, tracepoint, ...)",
						type_arg);
		} else if (cli_is_prefix(w, "pinmaps")) {
			pinmaps = argv[1];
		} else if (cli_is_prefix(w, "map")) {
			return cli_fail(x, CLI_BPFTOOL_ERR,
					"'map { idx | name } MAP' (reusing a pinned map) is not supported yet");
		} else if (cli_is_prefix(w, "dev") || cli_is_prefix(w, "offload_dev") ||
			   cli_is_prefix(w, "xdpmeta_dev")) {
			return cli_fail(x, CLI_BPFTOOL_ERR, "'%s' (offload to a device) has no meaning here",
					w);
		} else if (cli_is_prefix(w, "autoattach")) {
			return cli_fail(x, CLI_BPFTOOL_ERR, "'autoattach' needs the hooks, not there yet");
		} else {
			return cli_fail(x, CLI_BPFTOOL_ERR, "expected no more arguments, 'type', 'map' or 'dev', got: '%s'?",
					w);
		}
		argc -= 2;
		argv += 2;
	}
	{
		FILE *f = fopen(obj, "rb");

		if (!f)
			return cli_fail(x, CLI_BPFTOOL_ERR, "failed to open object file %s: %s", obj,
					strerror(errno));
		fclose(f);
	}
	if (cli_open_progs(x->rt, obj, true, &p)) {
		/* cli_open_progs said why, or the library did (kept in last_log) */
		if (x->last_log[0])
			return cli_fail(x, CLI_BPFTOOL_ERR, "failed to load object file%s", cli_why(x));
		return CLI_BPFTOOL_ERR;
	}
	if (pinmaps) {
		rc = pin_maps(x, &p, pinmaps);
		if (rc)
			goto out;
	}
	{
		const char *license = p.obj ? userbpf_obj__license(p.obj) : NULL;
		size_t n = all ? p.cnt : 1;
		char dirbuf[PATH_SZ], rawname[16];

		raw_name(obj, rawname, sizeof(rawname));

		if (all && cli_real_path(path, dirbuf, sizeof(dirbuf), true) == 0) {
			/* bpftool makes DIR; our store path may need it too */
			char probe[PATH_SZ];

			if (strlen(path) + 3 < sizeof(probe)) {
				snprintf(probe, sizeof(probe), "%s/x", path);
				cli_real_path(probe, dirbuf, sizeof(dirbuf), true);
			}
		}
		for (size_t i = 0; i < n && !rc; i++) {
			struct userbpf_prog *prog = cli_prog_at(&p, i);
			const char *type = type_arg ? userbpf_sec_prog_type(type_arg)
				: p.obj ? userbpf_sec_prog_type(cli_prog_section(&p, i)) : NULL;
			char pp[PATH_SZ];

			if (all) {
				if (strlen(path) + 1 + strlen(cli_prog_name(&p, i)) + 1 > sizeof(pp)) {
					rc = cli_fail(x, CLI_BPFTOOL_ERR, "%s: path too long", path);
					break;
				}
				snprintf(pp, sizeof(pp), "%s/%s", path, cli_prog_name(&p, i));
			} else {
				snprintf(pp, sizeof(pp), "%s", path);
			}
			rc = pin_one(x, prog, pp, type, license, p.obj ? NULL : rawname);
		}
	}
	if (!rc && x->c->json) {
		jw_null(&x->jw);
		jw_finish(&x->jw);
	}
out:
	cli_close_progs(&p);
	return rc;
}

static int do_load(struct cli_ctx *x, int argc, char **argv)
{
	return do_load_common(x, argc, argv, false);
}

static int do_loadall(struct cli_ctx *x, int argc, char **argv)
{
	return do_load_common(x, argc, argv, true);
}

/* ---- show -------------------------------------------------------------- */

static void show_prog(struct cli_ctx *x, struct userbpf_prog_pin *pin, uint64_t id, char **paths,
		      size_t npaths)
{
	const struct userbpf_prog_info *in = userbpf_prog_pin__info(pin);
	const char *type = in->type[0] ? in->type : "unspec";
	uint64_t *ids = map_ids_of(in);
	char tag[17], shown[PATH_SZ];

	for (int i = 0; i < 8; i++)
		snprintf(tag + 2 * i, 3, "%02x", in->tag[i]);
	if (x->c->json) {
		struct jw *w = &x->jw;
		size_t vis = 0;

		jw_start_object(w);
		jw_uint_field(w, "id", id);
		jw_string_field(w, "type", type);
		jw_string_field(w, "name", in->name);
		jw_string_field(w, "tag", tag);
		jw_bool_field(w, "gpl_compatible", in->gpl_compatible);
		if (in->run_time_ns) {
			jw_uint_field(w, "run_time_ns", in->run_time_ns);
			jw_uint_field(w, "run_cnt", in->run_cnt);
		}
		jw_uint_field(w, "loaded_at", in->load_time);
		jw_uint_field(w, "uid", in->uid);
		jw_uint_field(w, "bytes_xlated", (uint64_t)in->insn_cnt * 8);
		jw_bool_field(w, "jited", in->jited_len != 0);
		if (in->jited_len)
			jw_uint_field(w, "bytes_jited", in->jited_len);
		jw_uint_field(w, "bytes_memlock", in->memlock);
		if (in->map_cnt && ids) {
			jw_name(w, "map_ids");
			jw_start_array(w);
			for (size_t i = 0; i < in->map_cnt; i++)
				jw_uint(w, ids[i]);
			jw_end_array(w);
		}
		for (size_t i = 0; i < npaths; i++)
			vis += !cli_hidden_pin(paths[i]);
		if (vis) {
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
	} else {
		char when[64] = "";
		time_t t = (time_t)in->load_time;
		struct tm tmv;

		printf("%llu: %s  name %s  tag %s", (unsigned long long)id, type, in->name, tag);
		if (in->gpl_compatible)
			printf("  gpl");
		if (in->run_time_ns)
			printf(" run_time_ns %llu run_cnt %llu", (unsigned long long)in->run_time_ns,
			       (unsigned long long)in->run_cnt);
		printf("\n");
#if defined(_WIN32)
		if (localtime_s(&tmv, &t) == 0)
#else
		if (localtime_r(&t, &tmv))
#endif
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", &tmv);
		printf("\tloaded_at %s  uid %u\n", when, in->uid);
		printf("\txlated %uB  ", in->insn_cnt * 8);
		if (in->jited_len)
			printf("jited %uB", in->jited_len);
		else
			printf("not jited");
		printf("  memlock %lluB", (unsigned long long)in->memlock);
		if (in->map_cnt && ids) {
			printf("  map_ids ");
			for (size_t i = 0; i < in->map_cnt; i++)
				printf("%s%llu", i ? "," : "", (unsigned long long)ids[i]);
		}
		printf("\n");
		for (size_t i = 0; i < npaths; i++) {
			if (cli_hidden_pin(paths[i]))
				continue;
			cli_display_path(paths[i], shown, sizeof(shown));
			printf("\tpinned %s\n", shown);
		}
	}
	free(ids);
}

/* One object for cli_show_pins(). */
static int show_one(struct cli_ctx *x, const char *path, uint64_t id, char **paths, size_t npaths)
{
	struct userbpf_prog_pin *o = userbpf_prog_pin__open(x->rt, path ? path : paths[0]);

	if (!o)
		return path ? cli_fail(x, CLI_BPFTOOL_ERR, "bpf obj get (%s): %s%s", path,
				       strerror(errno), cli_why(x)) : 0;
	show_prog(x, o, id, paths, npaths);
	userbpf_prog_pin__close(o);
	return 0;
}

static int do_show(struct cli_ctx *x, int argc, char **argv)
{
	return cli_show_pins(x, argc, argv, USERBPF_PIN_PROG, show_one);
}

/* ---- dump ---------------------------------------------------------------- */

static int write_file(struct cli_ctx *x, const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || (n && fwrite(p, 1, n, f) != n)) {
		int err = errno;

		if (f)
			fclose(f);
		return cli_fail(x, CLI_BPFTOOL_ERR, "can't open file %s: %s", path, strerror(err));
	}
	if (fclose(f))
		return cli_fail(x, CLI_BPFTOOL_ERR, "error writing %s: %s", path, strerror(errno));
	return 0;
}

static int dump_xlated(struct cli_ctx *x, struct userbpf_prog_pin *pin, const char *file,
		       bool opcodes)
{
	const struct userbpf_prog_info *in = userbpf_prog_pin__info(pin);
	uint64_t *ids;
	char buf[256];

	if (file)
		return write_file(x, file, in->insns, (size_t)in->insn_cnt * 8);
	ids = map_ids_of(in);
	if (!ids)
		return cli_fail(x, CLI_BPFTOOL_ERR, "out of memory");
	if (x->c->json)
		jw_start_array(&x->jw);
	for (size_t i = 0; i < in->insn_cnt;) {
		int used = cli_xlated_insn(in->insns + i, in->insn_cnt - i, ids, in->map_cnt, buf,
					   sizeof(buf));

		if (x->c->json) {
			jw_start_object(&x->jw);
			jw_string_field(&x->jw, "disasm", buf);
			jw_end_object(&x->jw);
		} else {
			printf("%4zu: %s\n", i, buf);
			if (opcodes) {
				printf("       ");
				cli_print_hex(stdout, (const uint8_t *)(in->insns + i), (size_t)used * 8);
				printf("\n");
			}
		}
		i += (size_t)used;
	}
	if (x->c->json) {
		jw_end_array(&x->jw);
		jw_finish(&x->jw);
	}
	free(ids);
	return 0;
}

static int dump_jited(struct cli_ctx *x, struct userbpf_prog_pin *pin, const char *file)
{
	struct userbpf_prog *prog = userbpf_prog_pin__load(pin);
	const uint8_t *code;
	size_t len = 0;

	if (!prog)
		return cli_fail(x, CLI_BPFTOOL_ERR, "cannot load the program: %s%s", strerror(errno),
				cli_why(x));
	code = userbpf_prog__jited(prog, &len);
	if (!code)
		return cli_fail(x, CLI_BPFTOOL_ERR, "no JIT code for this program: %s%s",
				strerror(errno), cli_why(x));
	if (file)
		return write_file(x, file, code, len);
	/* No disassembler for x86-64/arm64 here: the bytes, 16 per line, as
	 * bpftool's `opcodes` prints them, each line at its offset. */
	if (x->c->json) {
		struct jw *w = &x->jw;

		jw_start_array(w);
		jw_start_object(w);
		jw_string_field(w, "name", userbpf_prog__name(prog));
		jw_name(w, "insns");
		jw_start_array(w);
		for (size_t off = 0; off < len; off += 16) {
			size_t n = len - off < 16 ? len - off : 16;
			char pc[32];

			snprintf(pc, sizeof(pc), "0x%zx", off);
			jw_start_object(w);
			jw_string_field(w, "pc", pc);
			jw_name(w, "opcodes");
			jw_start_array(w);
			for (size_t i = 0; i < n; i++)
				jw_printf(w, "\"0x%02x\"", code[off + i]);
			jw_end_array(w);
			jw_end_object(w);
		}
		jw_end_array(w);
		jw_end_object(w);
		jw_end_array(w);
		jw_finish(w);
		return 0;
	}
	printf("%s:\n", userbpf_prog__name(prog));
	for (size_t off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16;

		printf("%4zx:\t", off);
		for (size_t i = 0; i < n; i++)
			printf("%s%02x", i ? " " : "", code[off + i]);
		printf("\n");
	}
	return 0;
}

static int do_dump(struct cli_ctx *x, int argc, char **argv)
{
	struct userbpf_prog_pin *pin;
	const char *file = NULL;
	bool jited, opcodes = false;
	int rc;

	if (argc < 1)
		return cli_fail(x, CLI_BPFTOOL_ERR, "expected 'xlated' or 'jited'");
	if (cli_is_prefix(argv[0], "xlated"))
		jited = false;
	else if (cli_is_prefix(argv[0], "jited"))
		jited = true;
	else
		return cli_fail(x, CLI_BPFTOOL_ERR, "expected 'xlated' or 'jited', got: %s", argv[0]);
	argc--;
	argv++;
	rc = open_prog(x, &argc, &argv, &pin, NULL);
	if (rc)
		return rc;
	while (argc > 0 && !rc) {
		if (cli_is_prefix(argv[0], "file")) {
			if (argc < 2) {
				rc = cli_fail(x, CLI_BPFTOOL_ERR, "'file' needs a FILE");
				break;
			}
			file = argv[1];
			argc -= 2;
			argv += 2;
		} else if (cli_is_prefix(argv[0], "opcodes")) {
			opcodes = true;
			argc--;
			argv++;
		} else if (cli_is_prefix(argv[0], "linum") || cli_is_prefix(argv[0], "visual")) {
			rc = cli_fail(x, CLI_BPFTOOL_ERR, "'%s' needs BTF line info, not kept yet", argv[0]);
		} else {
			rc = cli_fail(x, CLI_BPFTOOL_ERR, "expected no more arguments, 'file', 'opcodes', 'visual', 'linum', got: '%s'?",
				      argv[0]);
		}
	}
	if (!rc)
		rc = jited ? dump_jited(x, pin, file) : dump_xlated(x, pin, file, opcodes);
	userbpf_prog_pin__close(pin);
	return rc;
}

/* ---- pin ----------------------------------------------------------------- */

static int do_pin(struct cli_ctx *x, int argc, char **argv)
{
	struct userbpf_prog_pin *pin;
	char real[PATH_SZ];
	int rc = open_prog(x, &argc, &argv, &pin, real);

	if (rc)
		return rc;
	userbpf_prog_pin__close(pin);
	if (argc != 1)
		return cli_fail(x, CLI_BPFTOOL_ERR, "%s", argc ? "extra argument after FILE" : "pin needs a FILE");
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

/* ---- run ----------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* data_out/ctx_out: "-" prints (bpftool's hex dump, or a JSON array of
 * numbers), anything else is a file. */
static int emit_out(struct cli_ctx *x, const char *name, const char *file, const uint8_t *p,
		    size_t n)
{
	if (!file)
		return 0;
	if (strcmp(file, "-"))
		return write_file(x, file, p, n);
	if (x->c->json) {
		jw_name(&x->jw, name);
		jw_start_array(&x->jw);
		for (size_t i = 0; i < n; i++)
			jw_uint(&x->jw, p[i]);
		jw_end_array(&x->jw);
	} else {
		cli_hexdump(stdout, p, n);
	}
	return 0;
}

static int do_run(struct cli_ctx *x, int argc, char **argv)
{
	const char *data_in = NULL, *data_out = NULL, *ctx_in = NULL, *ctx_out = NULL;
	uint32_t repeat = 1, data_size_out = 0, ctx_size_out = 0;
	struct userbpf_run_opts ro = { .sz = sizeof(ro) };
	struct userbpf_region regions[2];
	struct userbpf_prog_pin *pin = NULL;
	struct userbpf_prog *prog;
	uint8_t *data = NULL, *ctx = NULL;
	size_t dlen = 0, clen = 0, nreg = 0;
	uint64_t ret = 0, t0, t1;
	int rc;

	if (argc < 4)
		return cli_fail(x, CLI_BPFTOOL_ERR, "'run' needs at least 4 arguments, %d found", argc);
	rc = open_prog(x, &argc, &argv, &pin, NULL);
	if (rc)
		return rc;
	while (argc > 0) {
		const char *w = argv[0], *v = argc > 1 ? argv[1] : NULL;

		if (!v) {
			rc = cli_fail(x, CLI_BPFTOOL_ERR, "'%s' needs a value", w);
			goto out;
		}
		if (!strcmp(w, "data_in")) {
			data_in = v;
		} else if (!strcmp(w, "data_out")) {
			data_out = v;
		} else if (!strcmp(w, "ctx_in")) {
			ctx_in = v;
		} else if (!strcmp(w, "ctx_out")) {
			ctx_out = v;
		} else if (!strcmp(w, "data_size_out") || !strcmp(w, "ctx_size_out") ||
			   !strcmp(w, "repeat")) {
			uint32_t *dst = w[0] == 'd' ? &data_size_out : w[0] == 'c' ? &ctx_size_out : &repeat;

			if (!cli_parse_u32(v, dst) || (dst == &repeat && !repeat)) {
				rc = cli_fail(x, CLI_BPFTOOL_ERR, "can't parse %s as %s", v,
					      dst == &repeat ? "repeat number" : "output size");
				goto out;
			}
		} else {
			rc = cli_fail(x, CLI_BPFTOOL_ERR,
				      "expected no more arguments, 'data_in', 'data_out', 'data_size_out', 'ctx_in', 'ctx_out', 'ctx_size_out' or 'repeat', got: '%s'?",
				      w);
			goto out;
		}
		argc -= 2;
		argv += 2;
	}
	if (!data_in && !ctx_in) {
		rc = cli_fail(x, CLI_BPFTOOL_ERR, "run needs data_in (or ctx_in)");
		goto out;
	}
	if (ctx_out && !ctx_in) {
		rc = cli_fail(x, CLI_BPFTOOL_ERR, "ctx_out needs ctx_in");
		goto out;
	}
	{
		const char *files[2] = { data_in, ctx_in };

		for (int i = 0; i < 2; i++) {
			FILE *f = files[i] ? fopen(files[i], "rb") : NULL;

			if (files[i] && !f) {
				rc = cli_fail(x, CLI_BPFTOOL_ERR, "failed to open %s: %s", files[i],
					      strerror(errno));
				goto out;
			}
			if (f)
				fclose(f);
		}
	}
	if (data_in) {
		data = cli_read_all(data_in, &dlen);	/* reports "Error: FILE: why" */
		if (!data) {
			rc = CLI_BPFTOOL_ERR;
			goto out;
		}
	}
	if (ctx_in) {
		ctx = cli_read_all(ctx_in, &clen);
		if (!ctx) {
			rc = CLI_BPFTOOL_ERR;
			goto out;
		}
	}
	prog = userbpf_prog_pin__load(pin);
	if (!prog) {
		rc = cli_fail(x, CLI_BPFTOOL_ERR, "failed to load the pinned program: %s%s",
			      strerror(errno), cli_why(x));
		goto out;
	}
	if (userbpf_prog__type(prog)) {
		/* A program with a type runs as BPF_PROG_TEST_RUN runs it:
		 * the type builds its context (xdp_md, __sk_buff, ...), or
		 * takes ctx_in as it is (syscall). */
		struct userbpf_test_run_opts to = { .sz = sizeof(to) };

		if (userbpf_prog__verify(prog, NULL))
			x->last_log[0] = 0;
		to.data_in = data;
		to.data_size_in = dlen;
		to.data_out = data;
		to.data_size_out = dlen;
		to.ctx_in = ctx;
		to.ctx_size_in = clen;
		to.ctx_out = ctx;
		to.ctx_size_out = clen;
		to.repeat = repeat;
		to.engine = x->c->engine;
		if (userbpf_prog__test_run(prog, &to)) {
			int err = errno;

			rc = cli_fail(x, cli_errno_rc(-err), "failed to run program: %s%s",
				      strerror(err), cli_why(x));
			goto out;
		}
		ret = to.retval;
		t0 = 0;
		t1 = to.duration_ns * repeat;
		dlen = to.data_size_out;
		clen = to.ctx_size_out;
		goto report;
	}
	if (!ctx_in && dlen <= (1u << 30)) {
		/* Proved safe for this size, it runs in the JIT; otherwise the
		 * checked interpreter bounds every access. */
		struct userbpf_verify_opts vo = { .sz = sizeof(vo), .mem_size = (uint32_t)dlen };

		if (userbpf_prog__verify(prog, &vo))
			x->last_log[0] = 0;
	}
	if (data) {
		regions[nreg++] = (struct userbpf_region){ data, dlen, true };
		ro.pkt = data;
		ro.pkt_len = dlen;
	}
	if (ctx)
		regions[nreg++] = (struct userbpf_region){ ctx, clen, true };
	ro.regions = regions;
	ro.region_cnt = nreg;
	ro.args[0] = (uint64_t)(uintptr_t)(ctx ? ctx : data);
	ro.args[1] = ctx ? clen : dlen;
	ro.engine = x->c->engine;
	t0 = now_ns();
	for (uint32_t r = 0; r < repeat; r++) {
		if (userbpf_prog__run(prog, &ro, &ret)) {
			int err = errno;

			rc = cli_fail(x, cli_errno_rc(-err), "failed to run program: %s%s",
				      strerror(err), cli_why(x));
			goto out;
		}
	}
	t1 = now_ns();
report:
	if (x->c->json)
		jw_start_object(&x->jw);
	if (data_size_out && data_size_out < dlen)
		dlen = data_size_out;
	if (ctx_size_out && ctx_size_out < clen)
		clen = ctx_size_out;
	rc = emit_out(x, "data_out", data_out, data, dlen);
	if (!rc)
		rc = emit_out(x, "ctx_out", ctx_out, ctx, clen);
	if (rc)
		goto out;
	if (x->c->json) {
		jw_uint_field(&x->jw, "retval", (uint32_t)ret);
		jw_uint_field(&x->jw, "duration", (t1 - t0) / repeat);
		jw_end_object(&x->jw);
		jw_finish(&x->jw);
	} else {
		printf("Return value: %u, duration%s: %lluns\n", (uint32_t)ret,
		       repeat > 1 ? " (average)" : "", (unsigned long long)((t1 - t0) / repeat));
	}
out:
	free(data);
	free(ctx);
	userbpf_prog_pin__close(pin);
	return rc;
}

int cmd_prog(const struct cli *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli_ctx *, int, char **);
	} verbs[] = {
		{ "show", do_show }, { "list", do_show }, { "dump", do_dump }, { "pin", do_pin },
		{ "load", do_load }, { "loadall", do_loadall }, { "run", do_run },
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
		prog_usage();
		return 0;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		/* "load" is a prefix of "loadall": whole words first */
		if (strcmp(argv[0], verbs[i].name) && (!cli_is_prefix(argv[0], verbs[i].name) ||
						       !strcmp(verbs[i].name, "loadall")))
			continue;
		rc = cli_ctx_init(&x, c);
		if (!rc)
			rc = verbs[i].fn(&x, argc - 1, argv + 1);
		cli_ctx_fini(&x);
		return rc;
	}
	{
		struct cli_ctx e = { .c = c };

		return cli_fail(&e, CLI_BPFTOOL_ERR, "unknown prog command '%s' (try 'userbpf prog help')",
				argv[0]);
	}
}
