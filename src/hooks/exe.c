/* SPDX-License-Identifier: MIT */
/*
 * exe.c - is an executable static (an ELF without PT_INTERP, or a script
 * whose interpreter is one)?  Such a program cannot take the preloaded
 * agent, so `userbpf exec` (ptrace.c) and the agent at an exec
 * (agent/agent.c) hand it to the ptrace tracer.
 *
 * The file access is the caller's (struct ub_exe_io): libc in the CLI,
 * raw trampoline syscalls in the agent, which may be inside its SIGSYS
 * handler.  So this file calls nothing but memcpy/memcmp, and allocates
 * nothing.
 */
#include <string.h>
#include "hooks/hooks.h"

#define PT_INTERP 3

int ub_exe_fd_is_static(const struct ub_exe_io *io, long fd, int depth)
{
	unsigned char h[128], ph[64];
	long n = io->pread(fd, h, sizeof(h), 0);
	uint64_t phoff;
	uint16_t phentsize, phnum;
	bool is64;

	if (n >= 4 && h[0] == '#' && h[1] == '!' && depth < 2) {
		/* a script: its interpreter decides */
		char interp[128];
		size_t i = 2, k = 0;
		long ifd;
		int r;

		while (i < (size_t)n && (h[i] == ' ' || h[i] == '\t'))
			i++;
		while (i < (size_t)n && h[i] != ' ' && h[i] != '\t' && h[i] != '\n' &&
		       k + 1 < sizeof(interp))
			interp[k++] = (char)h[i++];
		interp[k] = 0;
		if (!k || (ifd = io->open(interp)) < 0)
			return 0;
		r = ub_exe_fd_is_static(io, ifd, depth + 1);
		io->close(ifd);
		return r;
	}
	/* not a little-endian ELF: not ours to judge */
	if (n < 52 || memcmp(h, "\177ELF", 4) || (h[4] != 1 && h[4] != 2) || h[5] != 1)
		return 0;
	is64 = h[4] == 2;
	if (is64 && n < 64)
		return 0;
	if (is64) {
		memcpy(&phoff, h + 32, 8);
		memcpy(&phentsize, h + 54, 2);
		memcpy(&phnum, h + 56, 2);
	} else {
		uint32_t o32;

		memcpy(&o32, h + 28, 4);
		phoff = o32;
		memcpy(&phentsize, h + 42, 2);
		memcpy(&phnum, h + 44, 2);
	}
	if (phentsize < 4 || phentsize > sizeof(ph) || !phnum)
		return 0;
	for (uint16_t i = 0; i < phnum; i++) {
		uint32_t type;

		if (io->pread(fd, ph, phentsize, phoff + (uint64_t)i * phentsize) != (long)phentsize)
			return 0;
		memcpy(&type, ph, 4);
		if (type == PT_INTERP)
			return 0;
	}
	return 1;
}
