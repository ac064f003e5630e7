/* trace_helpers.h - read_trace_pipe(), as the kernel's samples have it:
 * copies the bpf_trace_printk stream to stdout.  On Linux that stream is
 * /sys/kernel/tracing/trace_pipe; with userbpf it is the store's
 * trace_pipe, which programs in traced processes write to. */
#ifndef HELLO_TRACE_HELPERS_H
#define HELLO_TRACE_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <userbpf/userbpf.h>

/* Copies lines until *stop is set (a signal handler sets it). */
static inline int read_trace_pipe(volatile int *stop)
{
	char root[4096], path[4200], buf[4096];
	int fd;

	if (userbpf_store__root(root, sizeof(root)))
		return -1;
	snprintf(path, sizeof(path), "%s/trace_pipe", root);
	/* read+write: the FIFO stays open while no writer is there */
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while (!*stop) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0) {
			fwrite(buf, 1, (size_t)n, stdout);
			fflush(stdout);
		} else if (n < 0 && errno != EINTR) {
			break;
		}
	}
	close(fd);
	return 0;
}
#endif
