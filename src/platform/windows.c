/* SPDX-License-Identifier: MIT */
/*
 * windows.c - platform.h for Windows (built with mingw-w64).
 */
#if defined(_WIN32)
#define _CRT_RAND_S
#include <errno.h>
#include <stdlib.h>
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

void *ub_os_code_alloc(size_t size)
{
	return VirtualAlloc(NULL, size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
}

int ub_os_code_seal(void *p, size_t size)
{
	DWORD old;

	if (!VirtualProtect(p, size, PAGE_EXECUTE_READ, &old))
		return -EACCES;
	FlushInstructionCache(GetCurrentProcess(), p, size);
	return 0;
}

void ub_os_code_free(void *p, size_t size)
{
	(void)size;
	if (p)
		VirtualFree(p, 0, MEM_RELEASE);
}

int ub_os_random(void *buf, size_t len)
{
	/* rand_s draws from the system's cryptographic generator. */
	unsigned int v;
	for (size_t i = 0; i < len; i++) {
		if (rand_s(&v))
			return -EIO;
		((unsigned char *)buf)[i] = (unsigned char)v;
	}
	return 0;
}
#endif
