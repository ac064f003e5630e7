/* SPDX-License-Identifier: MIT */
/*
 * task_helpers.c - the helpers that describe or read the calling task:
 * get_current_pid_tgid, get_current_uid_gid, get_current_comm,
 * probe_read, probe_read_user(_str), probe_read_kernel(_str).
 *
 * In user space the task is the thread running the program, and its
 * memory the process's own, read without faulting (ub_os_read_safe): a
 * bad address gives -EFAULT with the destination zeroed, as Linux's
 * probe helpers do.  There is no kernel memory to read: the _kernel
 * variants fail with -EFAULT.  A hook may register its own versions (the
 * syscall agent does, to describe the traced process).
 */
#include <errno.h>
#include <string.h>
#include "exec/exec_internal.h"
#include "helpers/helpers_internal.h"
#include "platform/platform.h"

static uint64_t h_get_current_pid_tgid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				       uint64_t r5, struct userbpf_call *c)
{
	(void)r1; (void)r2; (void)r3; (void)r4; (void)r5; (void)c;
	return ub_os_pid_tgid();
}

static uint64_t h_get_current_uid_gid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				      uint64_t r5, struct userbpf_call *c)
{
	(void)r1; (void)r2; (void)r3; (void)r4; (void)r5; (void)c;
	return ub_os_uid_gid();
}

static uint64_t h_get_current_comm(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				   uint64_t r5, struct userbpf_call *c)
{
	char comm[16];

	(void)r3; (void)r4; (void)r5;
	if (!r2)
		return (uint64_t)-EINVAL;
	if (!ub_helper_mem_ok(c, r1, r2, true)) {
		userbpf_call__abort(c, -EFAULT, "the buffer lies outside the program's memory");
		return (uint64_t)-EFAULT;
	}
	ub_os_comm(comm);
	memset((void *)(uintptr_t)r1, 0, r2);
	memcpy((void *)(uintptr_t)r1, comm, r2 - 1 < 15 ? r2 - 1 : 15);
	return 0;
}

/* probe_read(dst, size, src): all of it or -EFAULT with dst zeroed. */
static uint64_t probe_read(uint64_t dst, uint64_t size, uint64_t src, struct userbpf_call *c,
			   bool user)
{
	if (!ub_helper_mem_ok(c, dst, size, true)) {
		userbpf_call__abort(c, -EFAULT, "the buffer lies outside the program's memory");
		return (uint64_t)-EFAULT;
	}
	if (user && ub_os_read_safe((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, size) ==
			    size)
		return 0;
	memset((void *)(uintptr_t)dst, 0, size);
	return (uint64_t)-EFAULT;
}

/* probe_read_str: the string and its NUL (cut to size), returning that
 * length; -EFAULT when nothing is readable. */
static uint64_t probe_read_str(uint64_t dst, uint64_t size, uint64_t src,
			       struct userbpf_call *c, bool user)
{
	uint8_t *d = (uint8_t *)(uintptr_t)dst;
	size_t got = 0;

	if (!size)
		return 0;
	if (!ub_helper_mem_ok(c, dst, size, true)) {
		userbpf_call__abort(c, -EFAULT, "the buffer lies outside the program's memory");
		return (uint64_t)-EFAULT;
	}
	while (user && got + 1 < size) {
		size_t chunk = 64 - ((src + got) & 63), n;

		if (chunk > size - 1 - got)
			chunk = size - 1 - got;
		n = ub_os_read_safe(d + got, (const void *)(uintptr_t)(src + got), chunk);
		for (size_t i = 0; i < n; i++)
			if (d[got + i] == 0)
				return got + i + 1;
		got += n;
		if (n < chunk)
			break;
	}
	if (!got) {
		d[0] = 0;
		return (uint64_t)-EFAULT;
	}
	d[got] = 0;
	return got + 1;
}

static uint64_t h_probe_read_user(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				  uint64_t r5, struct userbpf_call *c)
{
	(void)r4; (void)r5;
	return probe_read(r1, r2, r3, c, true);
}

static uint64_t h_probe_read_kernel(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				    uint64_t r5, struct userbpf_call *c)
{
	(void)r4; (void)r5;
	return probe_read(r1, r2, r3, c, false);
}

static uint64_t h_probe_read_user_str(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				      uint64_t r5, struct userbpf_call *c)
{
	(void)r4; (void)r5;
	return probe_read_str(r1, r2, r3, c, true);
}

static uint64_t h_probe_read_kernel_str(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
					uint64_t r5, struct userbpf_call *c)
{
	(void)r4; (void)r5;
	return probe_read_str(r1, r2, r3, c, false);
}

const struct ub_helper_def ub_task_helper_defs[] = {
	/* bpf_probe_read (4) reads user memory here, where the task's
	 * memory is the only memory there is. */
	{ 4, h_probe_read_user },
	{ 14, h_get_current_pid_tgid },
	{ 15, h_get_current_uid_gid },
	{ 16, h_get_current_comm },
	{ 112, h_probe_read_user },
	{ 113, h_probe_read_kernel },
	{ 114, h_probe_read_user_str },
	{ 115, h_probe_read_kernel_str },
	{ 0, NULL },
};
