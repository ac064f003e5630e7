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
struct userbpf_prog *cli_prog_at(const struct cli_progs *p, size_t i);
const char *cli_prog_name(const struct cli_progs *p, size_t i);
const char *cli_prog_section(const struct cli_progs *p, size_t i);
void cli_close_progs(struct cli_progs *p);

int cmd_verify(const struct cli *c, int argc, char **argv);
int cmd_disasm(const struct cli *c, int argc, char **argv);
int cmd_test_run(const struct cli *c, int argc, char **argv);
int cmd_version(const struct cli *c, int argc, char **argv);

#endif
