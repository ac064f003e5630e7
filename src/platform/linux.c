/* SPDX-License-Identifier: MIT */
/*
 * linux.c - platform.h for Linux (and other POSIX systems where noted).
 */
#if !defined(_WIN32)
#include <sched.h>
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
#endif
