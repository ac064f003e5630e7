/* SPDX-License-Identifier: MIT */
/*
 * alloc_fail.c - allocation-failure sweep over the public API.
 *
 * For N = 1, 2, ... the runtime's allocator fails its Nth allocation while
 * a runtime is created, a program is loaded from instructions and from an
 * ELF object, and run.  Every step must either succeed or fail with
 * ENOMEM, and (under ASan) leak nothing, until an N large enough that no
 * allocation fails.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "testlib.h"

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }

/* Builds a minimal BPF ELF object by hand: .text with one subprogram, a
 * program section "xdp" calling it through a relocation, a license. */
static size_t make_object(uint8_t *out, size_t cap)
{
	static const struct userbpf_insn text[] = { INSN(0xb7, 0, 0, 0, 7), INSN(0x95, 0, 0, 0, 0) };
	static const struct userbpf_insn xdp[] = { INSN(0x85, 0, 1, 0, -1), INSN(0x07, 0, 0, 0, 1),
						   INSN(0x95, 0, 0, 0, 0) };
	static const char shstr[] = "\0.text\0xdp\0.relxdp\0license\0.symtab\0.strtab";
	static const char strtab[] = "\0sub\0prog";
	static const char license[] = "GPL";
	uint8_t sym[3][24] = { { 0 } }, rel[16] = { 0 };
	struct { const char *name; uint32_t type; uint64_t flags; const void *data; size_t size;
		 uint32_t link, info; uint64_t entsize; } secs[] = {
		{ "", 0, 0, NULL, 0, 0, 0, 0 },
		{ ".text", 1, 6, text, sizeof(text), 0, 0, 0 },
		{ "xdp", 1, 6, xdp, sizeof(xdp), 0, 0, 0 },
		{ ".relxdp", 9, 0, rel, sizeof(rel), 6, 2, 16 },
		{ "license", 1, 3, license, sizeof(license), 0, 0, 0 },
		{ ".strtab", 3, 0, strtab, sizeof(strtab), 0, 0, 0 },
		{ ".symtab", 2, 0, sym, sizeof(sym), 5, 1, 24 },
		{ ".shstrtab", 3, 0, shstr, sizeof(shstr), 0, 0, 0 },
	};
	size_t nsec = sizeof(secs) / sizeof(secs[0]), off = 64, shoff;
	uint32_t name_off[8] = { 0, 1, 7, 11, 19, 35, 27, 0 };
	uint64_t info;

	/* symbols: 0 null, 1 "sub" FUNC GLOBAL in .text, 2 "prog" FUNC GLOBAL in xdp */
	sym[1][0] = 1; sym[1][4] = 0x12; sym[1][6] = 1; sym[1][16] = 16;
	sym[2][0] = 5; sym[2][4] = 0x12; sym[2][6] = 2; sym[2][16] = 24;
	info = ((uint64_t)1 << 32) | 10; /* R_BPF_64_32 against "sub" */
	memcpy(rel + 8, &info, 8);
	memset(out, 0, cap);
	memcpy(out, "\x7f" "ELF\x02\x01\x01", 7);
	out[16] = 1;   /* ET_REL */
	out[18] = 247; /* EM_BPF */
	for (size_t i = 1; i < nsec; i++) {
		memcpy(out + off, secs[i].data, secs[i].size);
		off += (secs[i].size + 7) & ~(size_t)7;
	}
	shoff = off;
	memcpy(out + 40, &shoff, 8);
	out[52] = 64; out[58] = 64; out[60] = (uint8_t)nsec; out[62] = (uint8_t)(nsec - 1);
	off = 64;
	for (size_t i = 0; i < nsec; i++) {
		uint8_t *sh = out + shoff + i * 64;
		uint64_t o = i ? off : 0, sz = secs[i].size;
		memcpy(sh, &name_off[i], 4);
		memcpy(sh + 4, &secs[i].type, 4);
		memcpy(sh + 8, &secs[i].flags, 8);
		memcpy(sh + 24, &o, 8);
		memcpy(sh + 32, &sz, 8);
		memcpy(sh + 40, &secs[i].link, 4);
		memcpy(sh + 44, &secs[i].info, 4);
		memcpy(sh + 56, &secs[i].entsize, 8);
		if (i)
			off += (secs[i].size + 7) & ~(size_t)7;
	}
	return shoff + nsec * 64;
}

#define CHECK_ENOMEM()                                                         \
	do {                                                                   \
		if (errno != ENOMEM) {                                         \
			clean = false;                                         \
			printf("# allocation %ld, line %d: errno %d: %s\n", n,  \
			       __LINE__, errno, tl_last_log);                  \
		}                                                              \
	} while (0)

int main(void)
{
	static const struct userbpf_insn p[] = { INSN(0xb7, 1, 0, 0, 1), INSN(0x85, 0, 1, 0, 1),
						 INSN(0x95, 0, 0, 0, 0), INSN(0x07, 1, 0, 0, 41),
						 INSN(0xbf, 0, 1, 0, 0), INSN(0x95, 0, 0, 0, 0) };
	uint8_t obj_buf[2048];
	size_t obj_len = make_object(obj_buf, sizeof(obj_buf));
	bool clean = true, reached_end = false;
	long n;

	{
		/* The hand-made object must load and give 7 + 1. */
		struct userbpf_rt *rt = tl_rt_new(0);
		struct userbpf_obj *obj = userbpf_obj__open_mem(rt, obj_buf, obj_len, NULL);
		uint64_t r = 0;
		int err = obj ? userbpf_obj__load(obj) : -1;
		if (!err)
			err = userbpf_prog__run(userbpf_obj__find_prog(obj, "prog"), NULL, &r);
		TL_CHECK("hand-built object loads and runs", err == 0 && r == 8);
		if (err)
			printf("# %s\n", tl_last_log);
		userbpf_obj__close(obj);
		userbpf_rt__free(rt);
	}
	for (n = 1; n < 500 && !reached_end; n++) {
		struct userbpf_rt *rt;
		struct userbpf_prog *prog = NULL;
		struct userbpf_obj *obj = NULL;
		uint64_t r = 0;

		errno = 0;
		tl_last_log[0] = 0;
		rt = tl_rt_new(n);
		if (!rt) {
			CHECK_ENOMEM();
			continue;
		}
		prog = userbpf_prog__load(rt, p, 6, NULL);
		if (!prog) {
			CHECK_ENOMEM();
			goto next;
		}
		if (userbpf_prog__run(prog, NULL, &r) || r != 42) {
			clean = false; /* running allocates nothing here */
			goto next;
		}
		obj = userbpf_obj__open_mem(rt, obj_buf, obj_len, NULL);
		if (!obj || userbpf_obj__load(obj)) {
			CHECK_ENOMEM();
			goto next;
		}
		if (userbpf_rt__set_helper(rt, 1000, "host_helper",
					   (userbpf_helper_fn)(void (*)(void))userbpf_rt__free)) {
			CHECK_ENOMEM();
			goto next;
		}
		reached_end = tl_alloc_count < n; /* nothing failed this time */
next:
		userbpf_obj__close(obj);
		userbpf_prog__free(prog);
		userbpf_rt__free(rt);
	}
	TL_CHECK("every failed allocation gives ENOMEM", clean);
	TL_CHECK("sweep reached a run with no failure", reached_end);
	printf("# swept %ld allocation points\n", n - 1);
	return tl_exit();
}
