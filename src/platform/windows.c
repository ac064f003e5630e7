/* SPDX-License-Identifier: MIT */
/*
 * windows.c - platform.h for Windows (built with mingw-w64).
 */
#if defined(_WIN32)
#include <windows.h>
#include <stdint.h>
#include "platform/platform.h"

uint64_t ub_os_monotonic_ns(void)
{
	LARGE_INTEGER f, c;

	QueryPerformanceFrequency(&f);
	QueryPerformanceCounter(&c);
	return (uint64_t)((double)c.QuadPart * 1e9 / (double)f.QuadPart);
}

uint64_t ub_os_boottime_ns(void)
{
	ULONGLONG t;

	QueryUnbiasedInterruptTime(&t);
	return (uint64_t)t * 100;
}

uint64_t ub_os_coarse_ns(void)
{
	return (uint64_t)GetTickCount64() * 1000000ull;
}

uint32_t ub_os_cpu(void)
{
	return (uint32_t)GetCurrentProcessorNumber();
}

uint64_t ub_os_random_seed(void)
{
	return ub_os_monotonic_ns() ^ ((uint64_t)GetCurrentProcessId() << 32);
}
#endif
