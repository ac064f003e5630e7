/* SPDX-License-Identifier: MIT */
/*
 * tl_kbpf.h - the kernel's bpf() for tests that use it as an oracle: a
 * map created there, and its element operations, with -errno results.
 * Linux only; tests skip, saying so, when bpf() does not answer.
 */
#ifndef USERBPF_TL_KBPF_H
#define USERBPF_TL_KBPF_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline long kbpf(int cmd, union bpf_attr *a)
{
	long r = syscall(__NR_bpf, cmd, a, sizeof(*a));

	return r < 0 ? -errno : r;
}

/* BPF_MAP_CREATE: an fd, or -errno. */
static inline int kcreate(uint32_t type, uint32_t ks, uint32_t vs, uint32_t me, uint32_t flags,
			  uint64_t extra)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = ks;
	a.value_size = vs;
	a.max_entries = me;
	a.map_flags = flags;
	a.map_extra = extra;
	return (int)kbpf(BPF_MAP_CREATE, &a);
}

/* An element command (BPF_MAP_LOOKUP_ELEM, _UPDATE_, _DELETE_,
 * _GET_NEXT_KEY, _LOOKUP_AND_DELETE_): 0 or -errno. */
static inline long kop(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.value = (uint64_t)(uintptr_t)value;
	a.flags = flags;
	return kbpf(cmd, &a);
}

#endif
