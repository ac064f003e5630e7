/* SPDX-License-Identifier: MIT */
/*
 * windows.c - platform.h for Windows (built with mingw-w64).
 *
 * Built and run under wine by tests/cross/cross.sh (make cross-win64).
 * Only kernel32 and msvcrt functions are linked, so the programs start on
 * any 64-bit Windows from 7 on and under wine; newer calls are looked up
 * at run time.
 */
#if defined(_WIN32)
#define _CRT_RAND_S
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <stdint.h>
#include "platform/platform.h"

/* ticks * 1e9 / freq without the overflow of the product (after ~30 min
 * at 10 MHz) or the rounding of a double (after ~104 days of uptime). */
static uint64_t win_ticks_to_ns(uint64_t ticks, uint64_t freq)
{
	return ticks / freq * 1000000000ull + ticks % freq * 1000000000ull / freq;
}

uint64_t ub_os_monotonic_ns(void)
{
	LARGE_INTEGER f, c;

	QueryPerformanceFrequency(&f);
	QueryPerformanceCounter(&c);
	return win_ticks_to_ns((uint64_t)c.QuadPart, (uint64_t)f.QuadPart);
}

/*
 * Boot time must count time spent asleep, as CLOCK_BOOTTIME does.
 * QueryUnbiasedInterruptTime leaves sleep out; the biased interrupt time
 * counts it with 100 ns units, but QueryInterruptTimePrecise exists only
 * from Windows 10 on (and not in wine 8), so it is looked up here, and
 * GetTickCount64, which counts sleep too but in milliseconds, stands in.
 */
uint64_t ub_os_boottime_ns(void)
{
	typedef VOID(WINAPI * win_qit_fn)(PULONGLONG);
	HMODULE kb = GetModuleHandleW(L"kernelbase.dll");
	win_qit_fn qit = NULL;
	ULONGLONG t;

	if (kb)
		qit = (win_qit_fn)(void (*)(void))GetProcAddress(kb, "QueryInterruptTimePrecise");
	if (qit) {
		qit(&t);
		return (uint64_t)t * 100;
	}
	return (uint64_t)GetTickCount64() * 1000000ull;
}

uint64_t ub_os_coarse_ns(void)
{
	return (uint64_t)GetTickCount64() * 1000000ull;
}

/* A number across processor groups (64 CPUs each), like sched_getcpu's. */
uint32_t ub_os_cpu(void)
{
	PROCESSOR_NUMBER pn;

	GetCurrentProcessorNumberEx(&pn);
	return (uint32_t)pn.Group * 64 + pn.Number;
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
	unsigned char *p = buf;
	unsigned int v = 0;

	for (size_t i = 0; i < len; i++) {
		if (i % sizeof(v) == 0 && rand_s(&v))
			return -EIO;
		p[i] = (unsigned char)(v >> 8 * (i % sizeof(v)));
	}
	return 0;
}

unsigned ub_os_ncpus(void)
{
	DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);

	return n < 1 ? 1 : n > 4096 ? 4096 : (unsigned)n;
}

/* Pagefile-backed sections: shared with child processes that inherit the
 * handle; naming them in the file system (pinning) is not done yet. */
int ub_os_shm_create(size_t size, struct ub_os_shm *out)
{
	HANDLE h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE,
				      (DWORD)((uint64_t)size >> 32), (DWORD)size, NULL);
	void *p;

	if (!h)
		return -ENOMEM;
	p = MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, size);
	if (!p) {
		CloseHandle(h);
		return -ENOMEM;
	}
	out->base = p;
	out->size = size;
	out->handle = (intptr_t)h;
	out->writable = 1;
	return 0;
}

int ub_os_shm_link(struct ub_os_shm *shm, const char *path)
{
	(void)shm;
	(void)path;
	return -EOPNOTSUPP;
}

int ub_os_shm_open(const char *path, struct ub_os_shm *out)
{
	(void)path;
	(void)out;
	return -EOPNOTSUPP;
}

void ub_os_shm_close(struct ub_os_shm *shm)
{
	if (shm->base)
		UnmapViewOfFile(shm->base);
	if (shm->handle != -1 && shm->handle != 0)
		CloseHandle((HANDLE)shm->handle);
	shm->base = NULL;
	shm->handle = -1;
}

size_t ub_os_read_safe(void *dst, const void *src, size_t len)
{
	SIZE_T n = 0;

	if (!ReadProcessMemory(GetCurrentProcess(), src, dst, len, &n))
		return (size_t)n;
	return (size_t)n;
}

void *ub_os_low_alloc(size_t size)
{
	for (uintptr_t hint = 0x10000000; hint < 0xf0000000u; hint += 0x10000000) {
		void *p = VirtualAlloc((void *)hint, size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);

		if (p)
			return p;
	}
	return NULL;
}

void ub_os_low_free(void *p, size_t size)
{
	(void)size;
	if (p)
		VirtualFree(p, 0, MEM_RELEASE);
}

uint64_t ub_os_pid_tgid(void)
{
	return ((uint64_t)GetCurrentProcessId() << 32) | GetCurrentThreadId();
}

uint64_t ub_os_uid_gid(void)
{
	return 0;
}

void ub_os_comm(char name[16])
{
	char path[MAX_PATH];
	DWORD n = GetModuleFileNameA(NULL, path, sizeof(path));
	const char *base = path;

	memset(name, 0, 16);
	if (n == 0 || n >= sizeof(path)) {
		name[0] = '?';
		return;
	}
	for (DWORD i = 0; i < n; i++)
		if (path[i] == '\\' || path[i] == '/')
			base = path + i + 1;
	for (int i = 0; i < 15 && base[i] && base[i] != '.'; i++)
		name[i] = base[i];
}
#endif
