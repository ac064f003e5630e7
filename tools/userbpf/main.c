/* SPDX-License-Identifier: MIT */
/*
 * main.c - the userbpf command line: global options and dispatch.
 *
 * Commands follow bpftool's words where bpftool has them, and print the
 * same shapes of output.  Each command lives in cmd_*.c and receives the
 * parsed global options.  Errors print one line, "Error: ...", as bpftool
 * does; messages from the library come through the log callback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* syscall tracepoints (cmd_exec.c, cmd_trace.c) */
int cmd_exec(const struct cli *c, int argc, char **argv);
int cmd_run(const struct cli *c, int argc, char **argv);
int cmd_trace(const struct cli *c, int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: userbpf [OPTIONS] COMMAND ...\n"
		"\n"
		"Commands:\n"
		"  verify [--type TYPE] [--data-size N] [-v|-vv] FILE\n"
		"                                prove an ELF object's programs (or a raw file of\n"
		"                                8-byte instructions) safe with r1 = N bytes of data\n"
		"                                and r2 = N; exit 0 when accepted, 1 when refused\n"
		"  disasm FILE                   print each program's instructions (llvm-objdump syntax)\n"
		"  test-run FILE [name PROG] [data_in F] [data_out F] [repeat N]\n"
		"                                run a program once or N times on data_in\n"
		"                                (r1 = data, r2 = its length), print its result\n"
		"                                as bpftool prog run does; verified programs run\n"
		"                                in the JIT, others in the checked interpreter\n"
		"  prog { load | loadall | show | list | dump | pin | run | help } ...\n"
		"                                bpftool's program verbs on pinned programs\n"
		"  map { create | show | list | dump | lookup | update | delete | getnext |\n"
		"        pin | freeze | help } ...  bpftool's map verbs on pinned maps\n"
		"  exec [--] CMD ARGS...         run CMD (and its descendants) with the syscall\n"
		"                                tracepoint programs of every link attached\n"
		"                                (static or setuid CMD, or --ptrace: under ptrace)\n"
		"  exec --pid PID                the same for a running process, until it exits\n"
		"                                or Ctrl-C detaches it\n"
		"  run OBJ [-- CMD ARGS...]      attach OBJ's syscall tracepoint programs, run CMD\n"
		"                                under exec, print the trace pipe, exit with\n"
		"                                CMD's status (no CMD: until Ctrl-C)\n"
		"  trace pipe                    print bpf_trace_printk lines of traced processes\n"
		"  version                       print the version\n"
		"\n"
		"Options:\n"
		"  --engine interpreter|jit      executor (default: the best available)\n"
		"  -j, --json                    JSON output; -p, --pretty: indented JSON\n"
		"  -d, --debug                   print the library's debug messages\n"
		"  -f, -n, -l, -m                bpftool's options, accepted (pins are always shown)\n");
}

static void cli_log(enum userbpf_log_level level, const char *msg, void *user)
{
	(void)level;
	(void)user;
	fprintf(stderr, "%s\n", msg);
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "Error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

struct userbpf_rt *cli_rt(const struct cli *c)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o) };
	struct userbpf_rt *rt;

	o.log = cli_log;
	o.log_level = c->debug ? USERBPF_LOG_DEBUG : USERBPF_LOG_WARN;
	rt = userbpf_rt__new(&o);
	if (!rt)
		cli_err("cannot create the runtime: %s", strerror(errno));
	return rt;
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	int i = 1;

	c.engine = USERBPF_ENGINE_DEFAULT;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			c.json = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
			c.json = c.pretty = true;
		} else if (!strcmp(a, "-d") || !strcmp(a, "--debug")) {
			c.debug = true;
		} else if (!strcmp(a, "-f") || !strcmp(a, "--bpffs") || !strcmp(a, "-n") ||
			   !strcmp(a, "--nomount") || !strcmp(a, "-l") || !strcmp(a, "--legacy") ||
			   !strcmp(a, "-m") || !strcmp(a, "--mapcompat")) {
			/* bpftool's: pins are always shown; nothing to mount */
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			return cmd_version(&c, 0, NULL);
		} else if (!strcmp(a, "--engine")) {
			if (++i >= argc) {
				cli_err("--engine needs a value: interpreter or jit");
				return CLI_USAGE;
			}
			if (!strcmp(argv[i], "interpreter")) {
				c.engine = USERBPF_ENGINE_INTERPRETER;
			} else if (!strcmp(argv[i], "jit")) {
				c.engine = USERBPF_ENGINE_JIT;
			} else {
				cli_err("unknown engine '%s': use interpreter or jit", argv[i]);
				return CLI_USAGE;
			}
		} else {
			cli_err("unknown option '%s'", a);
			return CLI_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	{
		static const struct {
			const char *name;
			int (*fn)(const struct cli *, int, char **);
		} cmds[] = {
			{ "verify", cmd_verify },
			{ "disasm", cmd_disasm },
			{ "test-run", cmd_test_run },
			{ "version", cmd_version },
			{ "prog", cmd_prog },
			{ "map", cmd_map },
			{ "exec", cmd_exec },
			{ "run", cmd_run },
			{ "trace", cmd_trace },
			{ "help", NULL },
		};
		for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
			if (strcmp(argv[i], cmds[k].name))
				continue;
			if (!cmds[k].fn) {
				usage(stdout);
				return 0;
			}
			return cmds[k].fn(&c, argc - i - 1, argv + i + 1);
		}
	}
	cli_err("unknown command '%s' (try 'userbpf help')", argv[i]);
	return CLI_USAGE;
}
