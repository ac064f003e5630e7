/* SPDX-License-Identifier: MIT */
/*
 * workload.c - the syscall benchmark's workload: N getpid calls, or N
 * open/close pairs, timed; prints "NAME N ns_per_op".
 *
 *   workload getpid N
 *   workload openclose N FILE
 *   workload stub N     glibc's getpid against the same syscall issued
 *                       from a page mapped after start-up (which the
 *                       agent never rewrites), in alternating rounds, each
 *                       keeping its lowest round: prints "stub N
 *                       wrapper_ns raw_ns" - under the agent, the
 *                       difference is what a rewritten site costs an
 *                       untraced syscall, free of the machine's drift.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

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
	} else if (!strcmp(argv[1], "stub")) {
		/* mov $SYS_getpid,%eax; syscall; ret */
		static const unsigned char code[] = { 0xb8, SYS_getpid, 0, 0, 0, 0x0f, 0x05, 0xc3 };
		void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		long (*raw)(void) = (long (*)(void))page;
		double best_w = 1e18, best_r = 1e18;
		long m = n / 40 > 0 ? n / 40 : 1;

		if (page == MAP_FAILED)
			return 1;
		memcpy(page, code, sizeof(code));
		if (mprotect(page, 4096, PROT_READ | PROT_EXEC))
			return 1;
		for (int round = 0; round < 20; round++) {
			t0 = now_ns();
			for (long i = 0; i < m; i++)
				getpid();
			t1 = now_ns();
			if ((t1 - t0) / m < best_w)
				best_w = (t1 - t0) / m;
			t0 = now_ns();
			for (long i = 0; i < m; i++)
				raw();
			t1 = now_ns();
			if ((t1 - t0) / m < best_r)
				best_r = (t1 - t0) / m;
		}
		printf("stub %ld %.1f %.1f\n", n, best_w, best_r);
		return 0;
	} else {
		return 2;
	}
	printf("%s %ld %.1f\n", argv[1], n, (t1 - t0) / (double)n);
	return 0;
}
