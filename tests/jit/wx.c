/* SPDX-License-Identifier: MIT */
/*
 * wx.c - JIT code is never writable and executable at once (W^X).
 *
 * The JIT builds code in ordinary memory and copies it into pages it then
 * seals read+exec (exec/jit.c, platform ub_os_code_*).  This test checks
 * what the process really has, from /proc/self/maps: after each of a few
 * hundred compiles of programs small and large, the pages holding the
 * code are r-x, and no mapping of the process is both writable and
 * executable.  A child process then writes to the code and must die of
 * SIGSEGV; and once the program is freed its code mapping is gone.  Runs
 * wherever /proc/self/maps exists (Linux, and qemu-user for arm64, which
 * emulates it).  On Windows (under wine in make check) VirtualQuery gives
 * the same facts for the code pages: PAGE_EXECUTE_READ while the program
 * lives, free after; the process-wide w+x scan and the write in a child
 * are Linux's only (wine maps some of its own pages w+x).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#endif
#include "testlib.h"
#include "tl_rng.h"
#include "exec/jit_internal.h"

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }

struct maps_scan {
	int wx;			/* mappings both writable and executable */
	char wx_line[512];
	char perms[5];		/* of the mapping holding addr, "" if none */
};

#ifdef _WIN32
/* VirtualQuery of the region holding addr, as "r-x" and the like; wx
 * stays 0 (see the header). */
static int scan_maps(uintptr_t addr, struct maps_scan *s)
{
	MEMORY_BASIC_INFORMATION mi;
	DWORD p;

	memset(s, 0, sizeof(*s));
	if (!addr || !VirtualQuery((const void *)addr, &mi, sizeof(mi)) || mi.State != MEM_COMMIT)
		return 0;
	p = mi.Protect & 0xff;
	snprintf(s->perms, sizeof(s->perms), "%s",
		 p == PAGE_EXECUTE_READ ? "r-x" : p == PAGE_EXECUTE_READWRITE ? "rwx"
		 : p == PAGE_EXECUTE_WRITECOPY ? "rwx" : p == PAGE_EXECUTE ? "--x"
		 : p == PAGE_READWRITE ? "rw-" : p == PAGE_READONLY ? "r--" : "---");
	return 0;
}

static bool write_faults(volatile uint8_t *code)
{
	(void)code;
	return true; /* not tried: no fork (see the header) */
}
#else
/* Reads /proc/self/maps: permissions of the mapping that holds addr, and
 * every mapping that is both w and x.  Returns 0, or -errno. */
static int scan_maps(uintptr_t addr, struct maps_scan *s)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	memset(s, 0, sizeof(*s));
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3)
			continue;
		if (perms[1] == 'w' && perms[2] == 'x' && !s->wx++)
			snprintf(s->wx_line, sizeof(s->wx_line), "%s", line);
		if (addr >= lo && addr < hi)
			memcpy(s->perms, perms, sizeof(perms));
	}
	fclose(f);
	return 0;
}

/* A child writes to the code page; it must be killed by SIGSEGV (or
 * SIGBUS) before the write is done. */
static bool write_faults(volatile uint8_t *code)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return false;
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core); /* the fault is expected */
		signal(SIGSEGV, SIG_DFL);	  /* a sanitizer's handler would exit */
		signal(SIGBUS, SIG_DFL);
		code[0] = 0xc3;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && (WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS);
}
#endif

/* n instructions of ALU work ending in exit: r0 depends on all of them. */
static struct userbpf_insn *make_prog(struct tl_rng *r, size_t n)
{
	struct userbpf_insn *p = calloc(n, sizeof(*p));

	if (!p)
		return NULL;
	p[0] = (struct userbpf_insn)INSN(0xb7, 0, 0, 0, (int32_t)tl_rn(r, 1000));
	for (size_t i = 1; i + 1 < n; i++) {
		static const uint8_t ops[] = { 0x07, 0x17, 0x27, 0xa7, 0x47, 0x57 };

		p[i] = (struct userbpf_insn)INSN(ops[tl_rn(r, sizeof(ops))], 0, 0, 0,
						 (int32_t)tl_rn(r, 1u << 20) | 1);
	}
	p[n - 1] = (struct userbpf_insn)INSN(0x95, 0, 0, 0, 0);
	return p;
}

int main(void)
{
	struct userbpf_rt *rt = tl_rt_new(-1);
	struct tl_rng r = { 0x3a11 };
	struct maps_scan s;
	int compiles = 0, bad_perms = 0, wx = 0, gone_bad = 0, runs_bad = 0, writes_ok = 0;
	char why[1200] = "";
	uintptr_t last = 0;

	if (!ub_jit_available()) {
		tl_skip("W^X", "this build has no JIT for this CPU");
		return tl_exit();
	}
	if (scan_maps(0, &s)) {
		tl_skip("W^X", "no /proc/self/maps to read the mappings from");
		return tl_exit();
	}
	if (!rt)
		return tl_fail("W^X", "no runtime"), tl_exit();
#ifndef _WIN32
	TL_EQ_U64("no writable+executable mapping before any compile", (uint64_t)s.wx, 0);
#endif

	for (int k = 0; k < 300; k++) {
		/* mostly small programs, some of several pages of code */
		size_t n = k % 50 == 49 ? 20000 : 2 + tl_rn(&r, 400);
		struct userbpf_insn *insns = make_prog(&r, n);
		struct userbpf_prog *prog;
		const void *code;
		size_t len = 0;

		if (!insns)
			break;
		prog = userbpf_prog__load(rt, insns, n, NULL);
		free(insns);
		if (!prog) {
			snprintf(why, sizeof(why), "program %d did not load: %s", k, tl_last_log);
			break;
		}
		userbpf_prog__set_trusted(prog, true);
		code = userbpf_prog__jited(prog, &len);
		if (!code || !len) {
			snprintf(why, sizeof(why), "program %d did not compile: %s", k, tl_last_log);
			userbpf_prog__free(prog);
			break;
		}
		compiles++;
		if (scan_maps((uintptr_t)code, &s)) {
			snprintf(why, sizeof(why), "/proc/self/maps went away");
			userbpf_prog__free(prog);
			break;
		}
		/* the first and the last byte of the code */
		if (strncmp(s.perms, "r-x", 3)) {
			if (!bad_perms++)
				snprintf(why, sizeof(why), "program %d: code at %p is '%s'", k, code,
					 s.perms[0] ? s.perms : "not mapped");
		} else if (!scan_maps((uintptr_t)code + len - 1, &s) && strncmp(s.perms, "r-x", 3)) {
			if (!bad_perms++)
				snprintf(why, sizeof(why), "program %d: the end of its code is '%s'", k,
					 s.perms);
		}
		if (s.wx && !wx++)
			snprintf(why, sizeof(why), "program %d: a w+x mapping: %s", k, s.wx_line);
		if (k == 0 || n == 20000) {
			uint64_t r0 = 0, want = 0;
			struct userbpf_run_opts o = { .sz = sizeof(o), .engine = USERBPF_ENGINE_JIT };
			struct userbpf_run_opts oi = { .sz = sizeof(oi),
						       .engine = USERBPF_ENGINE_INTERPRETER };

			/* sealed code still runs, and right */
			if ((userbpf_prog__run(prog, &o, &r0) || userbpf_prog__run(prog, &oi, &want) ||
			     r0 != want) && !runs_bad++)
				snprintf(why, sizeof(why), "program %d: jit 0x%llx, interpreter 0x%llx", k,
					 (unsigned long long)r0, (unsigned long long)want);
			if (!write_faults((volatile uint8_t *)(uintptr_t)code) && !writes_ok++)
				snprintf(why, sizeof(why), "program %d: a child's write to its code did not fault",
					 k);
		}
		last = (uintptr_t)code;
		userbpf_prog__free(prog);
		/* the code's pages went with the program (the address may be
		 * reused only by a later mapping) */
		if (!scan_maps(last, &s) && s.perms[0] && s.perms[2] == 'x' && !gone_bad++)
			snprintf(why, sizeof(why), "program %d: freed code still mapped '%s'", k, s.perms);
	}
	if (compiles == 300 && !bad_perms && !wx && !gone_bad && !runs_bad && !writes_ok)
#ifdef _WIN32
		tl_ok("W^X: 300 compiles (6 of 20,000 instructions): code always PAGE_EXECUTE_READ, "
		      "freed code released; 7 sealed programs run right");
#else
		tl_ok("W^X: 300 compiles (6 of 20,000 instructions): code always r-x, never a w+x "
		      "mapping, freed code unmapped; 7 sealed programs run right and fault on a write");
#endif
	else
		tl_fail("W^X",
			"%d compiles: %d with wrong permissions, %d with a w+x mapping, %d still mapped "
			"after free, %d wrong runs, %d writes that did not fault; first: %s",
			compiles, bad_perms, wx, gone_bad, runs_bad, writes_ok, why);
	userbpf_rt__free(rt);
	return tl_exit();
}
