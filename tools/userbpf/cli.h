/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what the command files of the userbpf CLI share.
 */
#ifndef USERBPF_CLI_H
#define USERBPF_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "userbpf/userbpf.h"
#include "json.h"

/* Exit codes: 0 success, 1 the operation failed or the program was
 * refused, 2 the command line is wrong. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Until program types arrive with the hook providers, the CLI runs every
 * program as the bpf_conformance suite does: r1 = data, r2 = its length. */
#define CLI_ENTRY_REGS ((1u << 1) | (1u << 2))

struct cli {
	enum userbpf_engine engine;
	bool json, pretty, debug;
};

#if defined(__MINGW32__)
__attribute__((format(gnu_printf, 1, 2)))
#elif defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
void cli_err(const char *fmt, ...);
/* A runtime whose log goes to stderr; NULL (reported) on failure. */
struct userbpf_rt *cli_rt(const struct cli *c);

/*
 * The programs of FILE: an ELF object (every program, loaded), or a raw
 * file of 8-byte instructions (one program named after the file).
 * Returns 0 or a negative errno after printing why.
 */
struct cli_progs {
	struct userbpf_obj *obj;	/* ELF input */
	struct userbpf_prog *raw;	/* raw input */
	size_t cnt;
};
int cli_open_progs(struct userbpf_rt *rt, const char *path, bool load, struct cli_progs *p);
/* The same, giving every program the type (NULL: as its SEC name says). */
int cli_open_progs_typed(struct userbpf_rt *rt, const char *path, bool load, const char *type,
			 struct cli_progs *p);
struct userbpf_prog *cli_prog_at(const struct cli_progs *p, size_t i);
const char *cli_prog_name(const struct cli_progs *p, size_t i);
const char *cli_prog_section(const struct cli_progs *p, size_t i);
void cli_close_progs(struct cli_progs *p);

int cmd_verify(const struct cli *c, int argc, char **argv);
int cmd_disasm(const struct cli *c, int argc, char **argv);
int cmd_test_run(const struct cli *c, int argc, char **argv);
int cmd_version(const struct cli *c, int argc, char **argv);

/* ---- bpftool's verbs: prog and map (cli_common.c) ----------------------- */

/* bpftool's exit status: 255 for a bad argument or a failed step, or the
 * (negative) errno of the operation, as bpftool returns it, mod 256. */
enum { CLI_BPFTOOL_ERR = 255 };
static inline int cli_errno_rc(int err)
{
	return err < 0 ? (256 + err % 256) % 256 : CLI_BPFTOOL_ERR;
}

/* One bpftool-style command: a runtime whose warnings are kept (the last
 * becomes part of the one error line) unless -d prints them all, and the
 * JSON writer on stdout. */
struct cli_ctx {
	const struct cli *c;
	struct userbpf_rt *rt;
	char last_log[512];
	struct jw jw;
};
int cli_ctx_init(struct cli_ctx *x, const struct cli *c);
void cli_ctx_fini(struct cli_ctx *x);
/* Prints one line, "Error: ..." on stderr (with -j, {"error":"..."} on
 * stdout, as bpftool) and returns rc. */
#if defined(__MINGW32__)
__attribute__((format(gnu_printf, 3, 4)))
#elif defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int cli_fail(struct cli_ctx *x, int rc, const char *fmt, ...);
/* The library's last warning as " (...)", or "" (for error lines). */
const char *cli_why(struct cli_ctx *x);
/* bpftool accepts any prefix of a keyword. */
bool cli_is_prefix(const char *word, const char *keyword);
bool cli_parse_u32(const char *s, uint32_t *v);
/* Resolves a pin path through the store: 0 or -errno. */
int cli_real_path(const char *pin, char *buf, size_t size, bool mkdir);
/* ROOT/... printed as /sys/fs/bpf/... */
void cli_display_path(const char *real, char *buf, size_t size);
/* Finds a pinned object by id: its first real path (and 0), or -ENOENT. */
int cli_find_by_id(enum userbpf_pin_kind kind, uint64_t id, char *buf, size_t size);
#define PATH_SZ 4096	/* room for a path */

/* bpftool's handles at argv[0..1]: `pinned FILE`, `id ID` or `name NAME`
 * of a map or program (want); real (size bytes) receives the pin's path.
 * Returns 0, or bpftool's exit status after one line. */
int cli_resolve_handle(struct cli_ctx *x, int argc, char **argv, enum userbpf_pin_kind want,
		       char *real, size_t size);
/* The same, moving past the handle; real has PATH_SZ bytes, *what is the
 * handle's value as given (for messages). */
int cli_take_handle(struct cli_ctx *x, int *argc, char ***argv, enum userbpf_pin_kind want,
		    char *real, const char **what);
/* bpftool's fprint_hex: bytes in hex, a double space every 8, a newline
 * every 16. */
void cli_print_hex(FILE *f, const uint8_t *p, size_t n);
/* ["0x01","0x02",...] */
void cli_json_hex(struct jw *w, const uint8_t *p, size_t n);
/* The hex + ASCII dump bpftool prints for data_out - . */
void cli_hexdump(FILE *f, const uint8_t *p, size_t n);

/* Reads a whole file with malloc; NULL (reported) on failure. */
uint8_t *cli_read_all(const char *path, size_t *len);

/* bpftool's xlated text of the instruction at in[0] (1 or 2 slots used),
 * map references named by the ids in map_ids (index = lddw imm). */
int cli_xlated_insn(const struct userbpf_insn *in, size_t cnt, const uint64_t *map_ids,
		    size_t map_cnt, char *buf, size_t size);

/* Every pinned object of one kind under the store root, by id (sorted),
 * each with all its paths (sorted). */
struct cli_listing {
	struct cli_pin_entry {
		uint64_t id;
		char **paths;
		size_t npaths;
	} *e;
	size_t n;
	enum userbpf_pin_kind kind;
	bool oom;
};
int cli_list_pins(enum userbpf_pin_kind kind, struct cli_listing *l);
void cli_list_free(struct cli_listing *l);
/*
 * `show` of bpftool's prog and map verbs: with a handle, that object with
 * all its names; without, every pinned object of that kind (a JSON array
 * with -j).  show() prints one object: path is the handle's pin (NULL when
 * listing: skip an object that cannot be opened), paths its names.
 */
typedef int (*cli_show_fn)(struct cli_ctx *x, const char *path, uint64_t id, char **paths,
			   size_t npaths);
int cli_show_pins(struct cli_ctx *x, int argc, char **argv, enum userbpf_pin_kind kind,
		  cli_show_fn show);
/* Pins in the store's hidden .maps directory are not shown. */
bool cli_hidden_pin(const char *real);

int cmd_prog(const struct cli *c, int argc, char **argv);
int cmd_map(const struct cli *c, int argc, char **argv);

#endif
