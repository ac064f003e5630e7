/* SPDX-License-Identifier: MIT */
/*
 * cmd_trace.c - `userbpf trace pipe`: prints the bpf_trace_printk lines of
 * traced processes as they come (ROOT/trace_pipe), as `bpftool prog
 * tracelog` prints the kernel's trace_pipe.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

int cmd_trace(const struct cli *c, int argc, char **argv);

#if defined(__linux__)
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include "hooks/hooks.h"

int cmd_trace(const struct cli *c, int argc, char **argv)
{
	char root[PATH_MAX], pp[PATH_MAX + 16], buf[65536];
	int fd, err;

	(void)c;
	if (argc != 1 || strcmp(argv[0], "pipe")) {
		cli_err("usage: userbpf trace pipe");
		return CLI_USAGE;
	}
	err = ub_store_root(root, sizeof(root));
	if (err) {
		cli_err("store root '%s': %s", root, strerror(-err));
		return CLI_FAIL;
	}
	snprintf(pp, sizeof(pp), "%s/trace_pipe", root);
	/* read and write: the pipe never reports end-of-file between writers */
	fd = open(pp, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		cli_err("%s: %s", pp, strerror(errno));
		return CLI_FAIL;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n || fflush(stdout))
			break;
	}
	close(fd);
	return CLI_OK;
}
#else
int cmd_trace(const struct cli *c, int argc, char **argv)
{
	(void)c; (void)argc; (void)argv;
	cli_err("trace: syscall tracing needs Linux");
	return CLI_FAIL;
}
#endif
