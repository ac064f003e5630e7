/* SPDX-License-Identifier: MIT */
/*
 * spawn.h - runs the conformance plugin as a child process, as the
 * upstream bpf_conformance runner does, for the tests of this folder.
 *
 * The child gets its stdin from a buffer and both outputs are captured
 * through pipes, polled together so that neither side can block the other
 * whatever the sizes.  A deadline kills a child that runs too long, so a
 * program that loops forever fails one test instead of hanging the suite.
 * Included (static functions) by each test program of this folder, since
 * the build links one .c file per test program.
 */
#ifndef USERBPF_TESTS_SPAWN_H
#define USERBPF_TESTS_SPAWN_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct sp_result {
	int status;		/* as from waitpid */
	bool timed_out;
	char *out, *err;	/* NUL-terminated, malloc'd */
	size_t out_len, err_len;
};

static inline void sp_result_free(struct sp_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

static inline int64_t sp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int sp_append(char **buf, size_t *len, const char *data, size_t n)
{
	char *nb = realloc(*buf, *len + n + 1);

	if (!nb)
		return -ENOMEM;
	memcpy(nb + *len, data, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
	return 0;
}

/*
 * Runs argv[0] with argv, feeding `in` on stdin.  Returns 0 when the child
 * was started and reaped (see r->status, r->timed_out), or a negative errno.
 */
static inline int sp_run(char *const argv[], const char *in, size_t in_len, int timeout_ms,
		  struct sp_result *r)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	size_t written = 0;
	int64_t deadline = sp_now_ms() + timeout_ms;
	pid_t pid;
	int err;

	memset(r, 0, sizeof(*r));
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	if (!r->out || !r->err)
		return -ENOMEM;
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC)) {
		err = -errno;
		goto close_all;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	err = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		err = -err;
		goto close_all;
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	pin[0] = pout[1] = perr[1] = -1;
	fcntl(pin[1], F_SETFL, O_NONBLOCK);
	if (in_len == 0) {
		close(pin[1]);
		pin[1] = -1;
	}
	while (pout[0] >= 0 || perr[0] >= 0) {
		struct pollfd pf[3];
		int n = 0, left = (int)(deadline - sp_now_ms());

		if (left <= 0) {
			r->timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		if (pin[1] >= 0)
			pf[n++] = (struct pollfd){ .fd = pin[1], .events = POLLOUT };
		if (pout[0] >= 0)
			pf[n++] = (struct pollfd){ .fd = pout[0], .events = POLLIN };
		if (perr[0] >= 0)
			pf[n++] = (struct pollfd){ .fd = perr[0], .events = POLLIN };
		if (poll(pf, (nfds_t)n, left) < 0) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			break;
		}
		for (int k = 0; k < n; k++) {
			char buf[4096];
			ssize_t got;

			if (!pf[k].revents)
				continue;
			if (pf[k].fd == pin[1]) {
				got = write(pin[1], in + written, in_len - written);
				if (got > 0)
					written += (size_t)got;
				/* A child that stops reading (EPIPE) just gets EOF. */
				if ((got < 0 && errno != EAGAIN) || written == in_len) {
					close(pin[1]);
					pin[1] = -1;
				}
				continue;
			}
			got = read(pf[k].fd, buf, sizeof(buf));
			if (got > 0) {
				if (pf[k].fd == pout[0])
					sp_append(&r->out, &r->out_len, buf, (size_t)got);
				else
					sp_append(&r->err, &r->err_len, buf, (size_t)got);
			} else if (got == 0 || errno != EAGAIN) {
				if (pf[k].fd == pout[0]) {
					close(pout[0]);
					pout[0] = -1;
				} else {
					close(perr[0]);
					perr[0] = -1;
				}
			}
		}
	}
	while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
		;
	err = 0;
close_all:
	for (int k = 0; k < 2; k++) {
		if (pin[k] >= 0)
			close(pin[k]);
		if (pout[k] >= 0)
			close(pout[k]);
		if (perr[k] >= 0)
			close(perr[k]);
	}
	return err;
}

/* Hex-encodes bytes as the upstream runner does: "b7 00 00 ...". */
static inline char *sp_hex(const uint8_t *p, size_t n)
{
	char *s = malloc(n * 3 + 2);
	static const char digits[] = "0123456789abcdef";

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[i * 3] = digits[p[i] >> 4];
		s[i * 3 + 1] = digits[p[i] & 15];
		s[i * 3 + 2] = ' ';
	}
	s[n ? n * 3 - 1 : 0] = '\n';
	s[n ? n * 3 : 1] = '\0';
	return s;
}

/* The plugin's path: $UB_BUILD/bpf_conformance_plugin. */
static inline void sp_plugin_path(char *buf, size_t sz)
{
	const char *b = getenv("UB_BUILD");

	snprintf(buf, sz, "%s/bpf_conformance_plugin", b && *b ? b : "build");
}

#endif
