/* SPDX-License-Identifier: MIT */
/*
 * workload.c - the syscall benchmark's workload: N getpid calls, or N
 * open/close pairs, timed; prints "NAME N ns_per_op".
 *
 *   workload getpid N
 *   workload openclose N FILE
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 1000000;
	double t0, t1;

	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "getpid")) {
		t0 = now_ns();
		for (long i = 0; i < n; i++)
			getpid();	/* glibc 2.25+ does not cache it */
		t1 = now_ns();
	} else if (!strcmp(argv[1], "openclose") && argc > 3) {
		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			int fd = open(argv[3], O_RDONLY);

			if (fd < 0)
				return 1;
			close(fd);
		}
		t1 = now_ns();
	} else {
		return 2;
	}
	printf("%s %ld %.1f\n", argv[1], n, (t1 - t0) / (double)n);
	return 0;
}
