/* SPDX-License-Identifier: MIT */
/*
 * linux.c - platform.h for Linux (and other POSIX systems where noted).
 */
#if !defined(_WIN32)
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <string.h>
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

unsigned ub_os_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n < 1 ? 1 : n > 4096 ? 4096 : (unsigned)n;
}

/* An unnamed file: memfd where the kernel has it, else an unlinked file
 * in /dev/shm or /tmp. */
static int anon_fd(void)
{
#if defined(__linux__) && defined(SYS_memfd_create)
	int fd = (int)syscall(SYS_memfd_create, "userbpf-map", 1u /* MFD_CLOEXEC */);

	if (fd >= 0)
		return fd;
#endif
	{
		char tmpl[] = "/dev/shm/userbpf-XXXXXX";
		char tmpl2[] = "/tmp/userbpf-XXXXXX";
		int fd2 = mkostemp(tmpl, O_CLOEXEC);

		if (fd2 < 0) {
			fd2 = mkostemp(tmpl2, O_CLOEXEC);
			if (fd2 < 0)
				return -errno;
			unlink(tmpl2);
		} else {
			unlink(tmpl);
		}
		return fd2;
	}
}

int ub_os_shm_create(size_t size, struct ub_os_shm *out)
{
	int fd = anon_fd();
	void *p;

	if (fd < 0)
		return fd;
	if (ftruncate(fd, (off_t)size)) {
		int err = -errno;
		close(fd);
		return err;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		int err = -errno;
		close(fd);
		return err;
	}
	out->base = p;
	out->size = size;
	out->handle = fd;
	out->writable = 1;
	return 0;
}

/* A new file at path holding the same bytes, mapped over the old
 * addresses so that pointers into the memory stay valid. */
int ub_os_shm_link(struct ub_os_shm *shm, const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t done = 0;
	void *p;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)shm->size))
		goto fail;
	while (done < shm->size) {
		ssize_t n = pwrite(fd, (const char *)shm->base + done, shm->size - done,
				   (off_t)done);
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
		done += (size_t)n;
	}
	p = mmap(shm->base, shm->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	close((int)shm->handle);
	shm->handle = fd;
	return 0;
fail:
	{
		int err = -errno;
		close(fd);
		unlink(path);
		return err;
	}
}

int ub_os_shm_open(const char *path, struct ub_os_shm *out)
{
	struct stat st;
	int writable = 1;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	void *p;

	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) {
		writable = 0;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		int err = S_ISREG(st.st_mode) ? -EINVAL : -ENOTSUP;
		close(fd);
		return err;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED,
		 fd, 0);
	if (p == MAP_FAILED) {
		int err = -errno;
		close(fd);
		return err;
	}
	out->base = p;
	out->size = (size_t)st.st_size;
	out->handle = fd;
	out->writable = writable;
	return 0;
}

void ub_os_shm_close(struct ub_os_shm *shm)
{
	if (shm->base)
		munmap(shm->base, shm->size);
	if (shm->handle >= 0)
		close((int)shm->handle);
	shm->base = NULL;
	shm->handle = -1;
}

size_t ub_os_read_safe(void *dst, const void *src, size_t len)
{
#if defined(__linux__)
	size_t done = 0;

	/* process_vm_readv on ourselves reports a bad address as an error
	 * instead of a signal; it stops at the first page it cannot read. */
	while (done < len) {
		struct iovec l = { (char *)dst + done, len - done };
		struct iovec r = { (void *)((uintptr_t)src + done), len - done };
		ssize_t n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);

		if (n <= 0) {
			/* A read across into an unmapped page: retry up to
			 * the page end. */
			uintptr_t a = (uintptr_t)src + done;
			size_t to_page = 4096 - (a & 4095);

			if (to_page >= len - done)
				break;
			r.iov_len = l.iov_len = to_page;
			n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
			if (n <= 0)
				break;
		}
		done += (size_t)n;
	}
	return done;
#else
	(void)dst;
	(void)src;
	(void)len;
	return 0;
#endif
}

void *ub_os_low_alloc(size_t size)
{
	void *p;

#if defined(MAP_32BIT)
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (p != MAP_FAILED)
		return p;
#endif
	/* Elsewhere: ask for addresses from 64 KiB up until one is given. */
	for (uintptr_t hint = 0x10000000; hint < 0xf0000000u; hint += 0x10000000) {
		p = mmap((void *)hint, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			continue;
		if ((uintptr_t)p + size <= 0x100000000ull)
			return p;
		munmap(p, size);
	}
	return NULL;
}

void ub_os_low_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

uint64_t ub_os_pid_tgid(void)
{
#if defined(__linux__)
	return ((uint64_t)(uint32_t)getpid() << 32) | (uint32_t)syscall(SYS_gettid);
#else
	return ((uint64_t)(uint32_t)getpid() << 32) | (uint32_t)getpid();
#endif
}

uint64_t ub_os_uid_gid(void)
{
	return ((uint64_t)(uint32_t)getgid() << 32) | (uint32_t)getuid();
}

void ub_os_comm(char name[16])
{
	memset(name, 0, 16);
#if defined(__linux__)
	if (prctl(PR_GET_NAME, name) == 0)
		return;
#endif
	memcpy(name, "?", 2);
}
#endif
