/* SPDX-License-Identifier: MIT */
/*
 * bad_input.c - the conformance plugin given broken input.
 *
 * The plugin is the front door for untrusted bytecode from another
 * program, so every kind of bad input must end the same way: exit status
 * 1 (not a signal, not a sanitizer report), nothing on stdout, and exactly
 * one line on stderr saying what is wrong.  One valid program checks that
 * the harness itself can see success, so these checks cannot pass by
 * accident.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "testlib.h"
#include "spawn.h"

#define BI_TIMEOUT_MS 30000

static char bi_plugin[1024];

/* Runs the plugin with extra args (NULL-terminated) and stdin text. */
static int bi_run(const char *const *args, const char *in, size_t in_len,
		  struct sp_result *r)
{
	char *argv[8];
	int n = 0;

	argv[n++] = bi_plugin;
	for (; args && *args && n < 7; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	return sp_run(argv, in, in_len, BI_TIMEOUT_MS, r);
}

/* Must be refused with exit status 1, empty stdout, one stderr line holding
 * `says`. */
static void bi_refused_n(const char *name, const char *const *args, const char *in,
			 size_t in_len, const char *says)
{
	struct sp_result r;
	char full[160];
	const char *nl;

	snprintf(full, sizeof(full), "plugin bad input: %s", name);
	if (bi_run(args, in, in_len, &r)) {
		tl_fail(full, "cannot start %s", bi_plugin);
		return;
	}
	nl = strchr(r.err, '\n');
	if (r.timed_out)
		tl_fail(full, "timed out");
	else if (WIFSIGNALED(r.status))
		tl_fail(full, "killed by signal %d; stderr: %s", WTERMSIG(r.status), r.err);
	else if (WEXITSTATUS(r.status) == 0)
		tl_fail(full, "accepted; stdout '%s'", r.out);
	else if (WEXITSTATUS(r.status) != 1)
		tl_fail(full, "exit status %d, expected 1 (a sanitizer report?); stderr: %s",
			WEXITSTATUS(r.status), r.err);
	else if (r.out_len)
		tl_fail(full, "printed '%s' on stdout", r.out);
	else if (!nl || nl == r.err || nl[1] != '\0')
		tl_fail(full, "stderr is not exactly one line: '%s'", r.err);
	else if (!strstr(r.err, says))
		tl_fail(full, "message '%.*s' lacks '%s'", (int)(nl - r.err), r.err, says);
	else
		tl_ok(full);
	if (r.err_len)
		printf("# %s: %s", name, r.err);
	sp_result_free(&r);
}

static void bi_refused(const char *name, const char *const *args, const char *in,
		       const char *says)
{
	bi_refused_n(name, args, in, strlen(in), says);
}

static void bi_accepted(const char *name, const char *const *args, const char *in,
			const char *want_out)
{
	struct sp_result r;
	char full[160];

	snprintf(full, sizeof(full), "plugin good input: %s", name);
	if (bi_run(args, in, strlen(in), &r)) {
		tl_fail(full, "cannot start %s", bi_plugin);
		return;
	}
	if (r.timed_out || !WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
		tl_fail(full, "failed (status 0x%x): %s", r.status, r.err);
	else if (strcmp(r.out, want_out) != 0)
		tl_fail(full, "stdout '%s', expected '%s'", r.out, want_out);
	else
		tl_ok(full);
	sp_result_free(&r);
}

#define EXIT_HEX "95 00 00 00 00 00 00 00"
#define MOV_R0_42 "b7 00 00 00 2a 00 00 00"

int main(void)
{
	static const char *const none[] = { NULL };
	static const char *const interp[] = { "--engine", "interpreter", NULL };
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	sp_plugin_path(bi_plugin, sizeof(bi_plugin));
	if (access(bi_plugin, X_OK) != 0) {
		tl_fail("plugin bad input", "%s is missing: build it first", bi_plugin);
		return tl_exit();
	}

	/* The harness sees success, so the refusals below mean something. */
	bi_accepted("mov r0, 42; exit", interp, MOV_R0_42 " " EXIT_HEX "\n", "2a\n");
	bi_accepted("bytes run together", none, "b7000000070000009500000000000000", "7\n");
	{
		static const char *const mem[] = { "01 02 03 04", NULL };
		/* r0 = r2 (the memory length) */
		bi_accepted("memory length in r2", mem, "bf 20 00 00 00 00 00 00 " EXIT_HEX, "4\n");
	}

	/* Text that is not a program. */
	bi_refused("empty input", none, "", "empty program");
	bi_refused("only whitespace", none, "  \n\t\n", "empty program");
	bi_refused("length not a multiple of 8 (7 bytes)", none, "b7 00 00 00 00 00 00\n",
		   "not a multiple of the 8-byte instruction size");
	bi_refused("length not a multiple of 8 (12 bytes)", none, EXIT_HEX " 00 00 00 00",
		   "not a multiple");
	bi_refused("odd number of hex digits", none, "b7 0 00 00 00 00 00 00 00", "odd number of hex digits");
	bi_refused("garbage characters", none, "zz 00 00 00 00 00 00 00", "not a hex digit");
	bi_refused("0x prefix", none, "0xb7 00 00 00 00 00 00 00", "not a hex digit");
	bi_refused_n("binary bytes", none, "\x95\x00\x00\x00\x00\x00\x00\x00", 8, "not a hex digit");

	/* Programs the loader must refuse before running anything. */
	bi_refused("unknown opcode", none, "ff 00 00 00 00 00 00 00 " EXIT_HEX, "unknown opcode 0xff");
	bi_refused("unknown variant (div with off 2)", none,
		   "b7 00 00 00 01 00 00 00 37 00 02 00 01 00 00 00 " EXIT_HEX, "unknown opcode 0x37");
	bi_refused("jump out of range", none, "05 00 05 00 00 00 00 00 " EXIT_HEX, "out of range");
	bi_refused("jump backwards out of range", none, "05 00 fd ff 00 00 00 00 " EXIT_HEX, "out of range");
	bi_refused("jump into the middle of lddw", none,
		   "05 00 01 00 00 00 00 00 18 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 " EXIT_HEX,
		   "middle of lddw");
	bi_refused("lddw missing its second half", none, "18 00 00 00 01 00 00 00", "missing its second half");
	bi_refused("lddw second half with an opcode", none,
		   "18 00 00 00 01 00 00 00 b7 00 00 00 00 00 00 00 " EXIT_HEX, "second half of lddw");
	bi_refused("nonzero reserved dst of exit", none, "b7 00 00 00 00 00 00 00 95 01 00 00 00 00 00 00",
		   "reserved dst field");
	bi_refused("nonzero reserved imm of ldxdw", none, "79 a0 f8 ff 01 00 00 00 " EXIT_HEX,
		   "reserved imm field");
	bi_refused("register r11", none, "b7 0b 00 00 00 00 00 00 " EXIT_HEX, "invalid register r11");
	bi_refused("write to r10", none, "b7 0a 00 00 00 00 00 00 " EXIT_HEX, "r10");
	bi_refused("unknown helper id", none, "85 00 00 00 ff ff 00 00 " EXIT_HEX, "helper");
	bi_refused("falls off the end", none, MOV_R0_42, "falls off the end");
	bi_refused("reads uninitialised r0", none, EXIT_HEX, "r0 is read before it is written");

	/* Programs that load but break a run-time check. */
	{
		static const char *const mem[] = { "00 11 22 33", NULL };
		bi_refused("load past the memory", mem, "79 10 64 00 00 00 00 00 " EXIT_HEX, "insn 0");
	}
	{
		static const char *const budget[] = { "--budget", "1000", NULL };
		bi_refused("endless loop stops at the budget", budget,
			   MOV_R0_42 " 05 00 ff ff 00 00 00 00 " EXIT_HEX, "insn");
	}

	/* Bad arguments. */
	{
		static const char *const a1[] = { "zz", NULL };
		static const char *const a2[] = { "0 1", NULL };
		static const char *const a3[] = { "--bogus", NULL };
		static const char *const a4[] = { "--engine", NULL };
		static const char *const a5[] = { "--engine", "quantum", NULL };
		static const char *const a6[] = { "--elf", NULL };
		static const char *const a7[] = { "--budget", "-5", NULL };
		const char *prog = MOV_R0_42 " " EXIT_HEX;

		bi_refused("memory argument not hex", a1, prog, "memory argument");
		bi_refused("memory argument odd digits", a2, prog, "odd number of hex digits");
		bi_refused_n("unknown option", a3, prog, strlen(prog), "unknown argument '--bogus'");
		bi_refused("--engine without a value", a4, prog, "--engine needs a value");
		bi_refused("unknown engine", a5, prog, "unknown engine 'quantum'");
		bi_refused("--elf", a6, prog, "--elf is not supported");
		bi_refused("negative budget", a7, prog, "not a number");
	}

	/* Input larger than any program: refused without reading it all. */
	{
		size_t len = (32u << 20) + 8;
		char *big = malloc(len + 1);

		if (!big) {
			tl_fail("plugin bad input: 32 MiB of text", "out of memory");
		} else {
			memset(big, ' ', len);
			big[len] = '\0';
			bi_refused_n("more than 32 MiB of text", none, big, len, "larger than");
			free(big);
		}
	}
	return tl_exit();
}
