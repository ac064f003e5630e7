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

#include <stddef.h>
#include <stdint.h>

uint64_t ub_os_monotonic_ns(void);
uint64_t ub_os_boottime_ns(void);	/* includes suspend where the OS knows */
uint64_t ub_os_coarse_ns(void);
uint32_t ub_os_cpu(void);		/* the CPU this thread runs on now */
uint64_t ub_os_random_seed(void);

/*
 * Memory for generated code, never writable and executable at once:
 * ub_os_code_alloc gives read+write pages, ub_os_code_seal turns them
 * read+execute (and flushes the instruction cache where needed), and
 * ub_os_code_free releases them.  size is rounded up to whole pages.
 */
void *ub_os_code_alloc(size_t size);
int ub_os_code_seal(void *p, size_t size);
void ub_os_code_free(void *p, size_t size);
/* Fills buf with random bytes (constant blinding).  Returns 0 or -errno. */
int ub_os_random(void *buf, size_t len);


/*
 * Copies up to len bytes from src, stopping at the first byte that cannot
 * be read, without faulting (bpf_probe_read, %s of trace_printk).
 * Returns the number of bytes copied.
 */
size_t ub_os_read_safe(void *dst, const void *src, size_t len);

/* Memory below 4 GiB (packets behind 32-bit context fields), or NULL. */
void *ub_os_low_alloc(size_t size);
void ub_os_low_free(void *p, size_t size);

/* The calling thread as Linux's helpers see it: tgid << 32 | tid, and
 * gid << 32 | uid; its command name (at most 15 bytes and a NUL). */
uint64_t ub_os_pid_tgid(void);
uint64_t ub_os_uid_gid(void);
void ub_os_comm(char name[16]);

/* Possible CPUs (per-CPU maps keep one value slot for each). */
unsigned ub_os_ncpus(void);

/*
 * Shared memory for maps: memory that several processes can map, named in
 * the file system when pinned.  create gives size zeroed bytes with no
 * name; link names them at path (a new file, mode 0600: -EEXIST when it
 * exists), keeping the same addresses; open maps all of an existing file
 * (read-only when the file does not allow writing).
 */
struct ub_os_shm {
	void *base;
	size_t size;
	intptr_t handle;	/* fd, or a Windows HANDLE; -1 when none */
	int writable;
};
int ub_os_shm_create(size_t size, struct ub_os_shm *out);
int ub_os_shm_link(struct ub_os_shm *shm, const char *path);
int ub_os_shm_open(const char *path, struct ub_os_shm *out);
void ub_os_shm_close(struct ub_os_shm *shm);

#endif
