/* SPDX-License-Identifier: MIT */
/*
 * platform.h - the small interface to the operating system.
 *
 * Exactly one of linux.c (any POSIX system) and windows.c implements it;
 * the Makefile picks the file.  Nothing else in the library calls the OS
 * for these services.
 */
#ifndef USERBPF_PLATFORM_H
#define USERBPF_PLATFORM_H

#include <stdint.h>

uint64_t ub_os_monotonic_ns(void);
uint64_t ub_os_boottime_ns(void);	/* includes suspend where the OS knows */
uint64_t ub_os_coarse_ns(void);
uint32_t ub_os_cpu(void);		/* the CPU this thread runs on now */
uint64_t ub_os_random_seed(void);

#endif
