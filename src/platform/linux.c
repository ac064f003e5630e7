/* SPDX-License-Identifier: MIT */
/*
 * linux.c - platform.h for Linux (and other POSIX systems where noted).
 */
#if !defined(_WIN32)
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include "platform/platform.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t ub_os_monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t ub_os_boottime_ns(void)
{
#ifdef CLOCK_BOOTTIME
	return clock_ns(CLOCK_BOOTTIME);
#else
	return clock_ns(CLOCK_MONOTONIC);
#endif
}

uint64_t ub_os_coarse_ns(void)
{
#ifdef CLOCK_MONOTONIC_COARSE
	return clock_ns(CLOCK_MONOTONIC_COARSE);
#else
	return clock_ns(CLOCK_MONOTONIC);
#endif
}

uint32_t ub_os_cpu(void)
{
#ifdef __linux__
	int cpu = sched_getcpu();
	return cpu < 0 ? 0 : (uint32_t)cpu;
#else
	return 0;
#endif
}

uint64_t ub_os_random_seed(void)
{
	return clock_ns(CLOCK_MONOTONIC) ^ ((uint64_t)getpid() << 32) ^
	       (uint64_t)(uintptr_t)&clock_ns;
}
void *ub_os_code_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int ub_os_code_seal(void *p, size_t size)
{
	if (mprotect(p, size, PROT_READ | PROT_EXEC))
		return -errno;
	__builtin___clear_cache((char *)p, (char *)p + size);
	return 0;
}

void ub_os_code_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

int ub_os_random(void *buf, size_t len)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -errno;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n <= 0) {
			close(fd);
			return n < 0 ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	close(fd);
	return 0;
}
#endif
