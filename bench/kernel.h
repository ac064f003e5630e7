/* SPDX-License-Identifier: MIT */
/*
 * kernel.h - the bench's kernel-jit engine: runs a bench program in the
 * Linux kernel (whose JIT compiles it) through raw bpf() calls, as bpftool
 * prog run does, with the duration the kernel measures.
 *
 * The bench programs take r1 = a 16 KiB buffer and r2 = its length.  The
 * kernel gives a program no such buffer, so a small stub (a socket
 * filter) looks up two slots of an array map - the buffer and a slot for
 * the 64-bit result - and calls the bench code as a bpf2bpf callee.
 * Included by bench.c only; Linux only.
 */
#ifndef USERBPF_BENCH_KERNEL_H
#define USERBPF_BENCH_KERNEL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/bpf.h>
#include <sys/syscall.h>
#endif

struct bench_kernel {
	int map_fd, prog_fd;
	size_t buf_size;
};

#if defined(__linux__)
static long bk_sys(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

#define BK_INSN(c, d, s, o, i) ((struct userbpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static int bk_open(struct bench_kernel *k, const struct userbpf_insn *code, size_t cnt,
		   const void *buf, size_t buf_size, char *why, size_t why_sz)
{
	static char log[1 << 16];
	union bpf_attr a;
	struct userbpf_insn *p;
	size_t n = 0, stub = 24;
	uint32_t key = 0;

	k->map_fd = k->prog_fd = -1;
	k->buf_size = buf_size;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = (uint32_t)buf_size;
	a.max_entries = 2;
	k->map_fd = (int)bk_sys(BPF_MAP_CREATE, &a);
	if (k->map_fd < 0) {
		snprintf(why, why_sz, "bpf() unavailable (%s)", strerror(errno));
		return -EOPNOTSUPP;
	}
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)k->map_fd;
	a.key = (uint64_t)(uintptr_t)&key;
	a.value = (uint64_t)(uintptr_t)buf;
	if (bk_sys(BPF_MAP_UPDATE_ELEM, &a)) {
		snprintf(why, why_sz, "map update: %s", strerror(errno));
		goto fail;
	}
	p = calloc(cnt + stub, sizeof(*p));
	if (!p)
		goto fail;
	/* the stub: buffer = slot 0, result = slot 1 (24 instructions) */
	p[n++] = BK_INSN(0x62, 10, 0, -4, 0);		/* 0: *(u32 *)(r10 - 4) = 0 */
	p[n++] = BK_INSN(0x18, 1, 1, 0, k->map_fd);	/* 1: r1 = map */
	p[n++] = BK_INSN(0, 0, 0, 0, 0);
	p[n++] = BK_INSN(0xbf, 2, 10, 0, 0);		/* 3: r2 = r10 */
	p[n++] = BK_INSN(0x07, 2, 0, 0, -4);		/* 4: r2 += -4 */
	p[n++] = BK_INSN(0x85, 0, 0, 0, 1);		/* 5: map_lookup_elem */
	p[n++] = BK_INSN(0x15, 0, 0, 15, 0);		/* 6: if r0 == 0 goto 22 */
	p[n++] = BK_INSN(0xbf, 7, 0, 0, 0);		/* 7: r7 = r0 */
	p[n++] = BK_INSN(0x62, 10, 0, -8, 1);		/* 8: *(u32 *)(r10 - 8) = 1 */
	p[n++] = BK_INSN(0x18, 1, 1, 0, k->map_fd);	/* 9: r1 = map */
	p[n++] = BK_INSN(0, 0, 0, 0, 0);
	p[n++] = BK_INSN(0xbf, 2, 10, 0, 0);		/* 11 */
	p[n++] = BK_INSN(0x07, 2, 0, 0, -8);		/* 12 */
	p[n++] = BK_INSN(0x85, 0, 0, 0, 1);		/* 13 */
	p[n++] = BK_INSN(0x15, 0, 0, 7, 0);		/* 14: if r0 == 0 goto 22 */
	p[n++] = BK_INSN(0xbf, 8, 0, 0, 0);		/* 15: r8 = r0 */
	p[n++] = BK_INSN(0xbf, 1, 7, 0, 0);		/* 16: r1 = buffer */
	p[n++] = BK_INSN(0xb7, 2, 0, 0, (int32_t)buf_size); /* 17: r2 = size */
	p[n++] = BK_INSN(0x85, 0, 1, 0, 5);		/* 18: call 24 (the bench code) */
	p[n++] = BK_INSN(0x7b, 8, 0, 0, 0);		/* 19: *(u64 *)(r8 + 0) = r0 */
	p[n++] = BK_INSN(0xb7, 0, 0, 0, 0);		/* 20: r0 = 0 */
	p[n++] = BK_INSN(0x95, 0, 0, 0, 0);		/* 21: exit */
	p[n++] = BK_INSN(0xb7, 0, 0, 0, 1);		/* 22: r0 = 1: no map value */
	p[n++] = BK_INSN(0x95, 0, 0, 0, 0);		/* 23: exit */
	memcpy(p + n, code, cnt * sizeof(*p));
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)p;
	a.insn_cnt = (uint32_t)(cnt + stub);
	a.license = (uint64_t)(uintptr_t)"GPL";
	/* without a log first: a verbose log that overflows its buffer makes
	 * the load fail with ENOSPC even for a program the kernel accepts */
	k->prog_fd = (int)bk_sys(BPF_PROG_LOAD, &a);
	if (k->prog_fd < 0) {
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = sizeof(log);
		a.log_level = 1;
		log[0] = 0;
		if (bk_sys(BPF_PROG_LOAD, &a) >= 0)
			snprintf(log, sizeof(log), "%s", "refused without a log, accepted with one");
	}
	free(p);
	if (k->prog_fd < 0) {
		/* the line before the statistics says why */
		char *end = log + strlen(log), *line = NULL;
		for (int k2 = 0; k2 < 2; k2++) {
			while (end > log && end[-1] == '\n')
				*--end = 0;
			line = strrchr(log, '\n');
			if (k2 == 0 && line && strstr(line, "processed ")) {
				*line = 0; /* drop the statistics line */
				end = line;
			}
			else
				break;
		}
		snprintf(why, why_sz, "the kernel's verifier refused it: %s", line ? line + 1 : log);
		close(k->map_fd);
		k->map_fd = -1;
		return -EOPNOTSUPP;
	}
	return 0;
fail:
	close(k->map_fd);
	k->map_fd = -1;
	return -EIO;
}

/* n runs in the kernel; *ns gets the kernel's total time for them. */
static int bk_run(struct bench_kernel *k, uint64_t n, uint64_t *ret, double *ns)
{
	union bpf_attr a;
	uint8_t pkt[64] = { 0 };
	uint32_t key = 1;
	uint8_t *val = malloc(k->buf_size);
	int err = 0;

	if (!val)
		return -ENOMEM;
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)k->prog_fd;
	a.test.data_in = (uint64_t)(uintptr_t)pkt;
	a.test.data_size_in = sizeof(pkt);
	a.test.repeat = (uint32_t)n;
	if (bk_sys(BPF_PROG_TEST_RUN, &a) || a.test.retval) {
		err = -EIO;
		goto out;
	}
	if (ns)
		*ns = (double)a.test.duration * (double)n;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)k->map_fd;
	a.key = (uint64_t)(uintptr_t)&key;
	a.value = (uint64_t)(uintptr_t)val;
	if (bk_sys(BPF_MAP_LOOKUP_ELEM, &a)) {
		err = -EIO;
		goto out;
	}
	memcpy(ret, val, sizeof(*ret));
out:
	free(val);
	return err;
}

static void bk_close(struct bench_kernel *k)
{
	if (k->prog_fd >= 0)
		close(k->prog_fd);
	if (k->map_fd >= 0)
		close(k->map_fd);
	k->prog_fd = k->map_fd = -1;
}
#else
static int bk_open(struct bench_kernel *k, const struct userbpf_insn *code, size_t cnt,
		   const void *buf, size_t buf_size, char *why, size_t why_sz)
{
	(void)k; (void)code; (void)cnt; (void)buf; (void)buf_size;
	snprintf(why, why_sz, "not Linux");
	return -EOPNOTSUPP;
}
static int bk_run(struct bench_kernel *k, uint64_t n, uint64_t *ret, double *ns)
{
	(void)k; (void)n; (void)ret; (void)ns;
	return -EOPNOTSUPP;
}
static void bk_close(struct bench_kernel *k)
{
	(void)k;
}
#endif
#endif
