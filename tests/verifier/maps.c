/* SPDX-License-Identifier: MIT */
/*
 * maps.c - the verifier with maps: lddw of a map or of a map value by
 * index, the map helpers' prototypes (keys and values sized by the map,
 * NULL checks, value bounds, read-only maps, map types), ringbuf
 * reservations that must be released on every path, spin locks,
 * bpf_loop / for_each / timer callbacks, and the facts left for the JIT.
 *
 * Programs are bpf_conformance assembly; the pseudo lddw forms have no
 * spelling there, so `lddw %rN, 0x7eKK0000_OOOOIIII` is rewritten after
 * assembly: KK = 1 map pointer of map IIII, 2 value of map IIII at offset
 * OOOO, 4 the function that starts with `mov %r9, 0x5a5a00 + IIII`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "testlib.h"
#include "verifier/verifier.h"

static struct userbpf_rt *rt;

static const struct ub_vfy_map maps[] = {
	/* 0 */ { .type = 1, .key_size = 4, .value_size = 16, .max_entries = 8, .inner = -1 },
	/* 1 .data */ { .type = 2, .key_size = 4, .value_size = 8, .max_entries = 1, .direct_value = true, .inner = -1 },
	/* 2 .rodata */ { .type = 2, .key_size = 4, .value_size = 32, .max_entries = 1, .flags = 0x80,
			  .rdonly_prog = true, .direct_value = true, .inner = -1 },
	/* 3 */ { .type = 27, .max_entries = 4096, .inner = -1 },
	/* 4 */ { .type = 3, .key_size = 4, .value_size = 4, .max_entries = 4, .inner = -1 },
	/* 5 */ { .type = 12, .key_size = 4, .value_size = 4, .max_entries = 2, .inner = 0 },
	/* 6 */ { .type = 22, .key_size = 0, .value_size = 8, .max_entries = 8, .inner = -1 },
	/* 7 */ { .type = 2, .key_size = 4, .value_size = 24, .max_entries = 4, .inner = -1 },
	/* 8: BTF declares a bpf_spin_lock at 0 and a bpf_timer at 16 */
	{ .type = 2, .key_size = 4, .value_size = 32, .max_entries = 4, .inner = -1,
	  .lock_off1 = 1, .timer_off1 = 17 },
};

struct mcase {
	const char *name;
	const char *src;
	bool accept;
	const char *msg;	/* substring of the refusal */
	bool strict;
};

static uint64_t stub(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
		     struct userbpf_call *call)
{
	(void)a; (void)b; (void)c; (void)d; (void)e; (void)call;
	return 0;
}

/* Functions without prototypes, as the map layer registers them: the
 * verifier's table gives the prototypes. */
static bool set_stubs(struct userbpf_rt *r)
{
	static const uint32_t ids[] = { 1, 2, 3, 5, 6, 28, 87, 88, 89, 93, 94, 105, 106, 112, 113,
					130, 131, 132, 133, 134, 164, 165, 169, 170, 171, 172, 181, 182 };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "bpf_%s", ub_helper_linux_name(ids[i]));
		if (!ub_rt_helper(r, ids[i]) && userbpf_rt__set_helper(r, ids[i], name, stub))
			return false;
	}
	return true;
}

static bool patch(struct userbpf_insn *in, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		uint32_t hi = (uint32_t)in[i + 1].imm, lo = (uint32_t)in[i].imm;
		if (in[i].code != 0x18 || (hi >> 24) != 0x7e)
			continue;
		in[i].src_reg = (hi >> 16) & 0xff;
		in[i + 1].imm = (int32_t)(hi & 0xffff);
		if (in[i].src_reg == 4) {
			size_t t = n;
			for (size_t k = 0; k < n; k++)
				if (in[k].code == 0xb7 && in[k].dst_reg == 9 && in[k].imm == (int32_t)(0x5a5a00 + lo))
					t = k;
			if (t == n)
				return false;
			in[i].imm = (int32_t)(t - (i + 1));
			in[i + 1].imm = 0;
		}
		i++;
	}
	return true;
}

static int verify(const char *src, bool strict, struct ub_vfy_result *r, char *err, size_t esz,
		  struct userbpf_insn **pin, size_t *pcnt)
{
	struct userbpf_insn *insns = NULL;
	struct ub_dinsn *d;
	size_t cnt = 0, bad = 0;
	struct ub_vfy_opts o = { .maps = maps, .nmaps = sizeof(maps) / sizeof(maps[0]), .strict = strict,
				 .ctx_size = 64 };
	int ret;

	if (userbpf_asm(src, &insns, &cnt, err, esz))
		return -1;
	if (!patch(insns, cnt)) {
		snprintf(err, esz, "no callback marker");
		free(insns);
		return -1;
	}
	d = malloc(cnt * sizeof(*d));
	if (!d || ub_decode_prog(insns, cnt, d, &bad, err, esz)) {
		free(insns);
		free(d);
		return -1;
	}
	ret = ub_verify(rt, d, insns, cnt, &o, r);
	free(d);
	if (pin) {
		*pin = insns;
		*pcnt = cnt;
	} else {
		free(insns);
	}
	return ret;
}

static void run(const struct mcase *c)
{
	struct ub_vfy_result r;
	char err[256];

	if (verify(c->src, c->strict, &r, err, sizeof(err), NULL, NULL)) {
		tl_fail(c->name, "could not verify: %s", err);
		return;
	}
	if (c->accept && !r.accepted)
		tl_fail(c->name, "refused: %s", r.reason);
	else if (!c->accept && r.accepted)
		tl_fail(c->name, "accepted, expected: %s", c->msg);
	else if (!c->accept && !strstr(r.reason, c->msg))
		tl_fail(c->name, "reason '%s' lacks '%s'", r.reason, c->msg);
	else
		tl_ok(c->name);
	ub_vfy_result_free(rt, &r);
}

/* key 0 at r10-4, r2 = its address, r1 = map M */
#define KEY(M) "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, 0x7e010000" M "\n"
#define MAPV(M, OFF) "0x7e02" OFF M

static const struct mcase cases[] = {
	{ "refuse: map value not checked against NULL",
	  KEY("00000000") "call 1\nldxdw %r0, [%r0+0]\nexit\n", 0,
	  "insn 6: r0 = *(u64 *)(r0 + 0): R0 may be NULL here: check the result of bpf_map_lookup_elem (insn 5) before dereferencing it", 0 },
	{ "accept: map value checked, read inside value_size",
	  KEY("00000000") "call 1\njeq %r0, 0, +2\nldxdw %r0, [%r0+8]\nexit\nmov %r0, 0\nexit\n", 1, NULL, 0 },
	{ "refuse: map value read past value_size",
	  KEY("00000000") "call 1\njeq %r0, 0, +2\nldxdw %r0, [%r0+12]\nexit\nmov %r0, 0\nexit\n", 0,
	  "read of 8 bytes at [12, 20) is outside the 16 bytes of the map value", 0 },
	{ "refuse: variable offset into a map value not bounded",
	  KEY("00000000") "call 1\njeq %r0, 0, +4\nldxw %r1, [%r0+0]\nadd %r0, %r1\nldxb %r0, [%r0+0]\nexit\nmov %r0, 0\nexit\n", 0,
	  "unbounded", 0 },
	{ "accept: variable offset into a map value, bounded",
	  KEY("00000000") "call 1\njeq %r0, 0, +5\nldxw %r1, [%r0+0]\nand %r1, 15\nadd %r0, %r1\nldxb %r0, [%r0+0]\nexit\nmov %r0, 0\nexit\n", 1, NULL, 0 },
	{ "refuse: key runs out of the stack frame",
	  "mov %r2, %r10\nadd %r2, -2\nlddw %r1, 0x7e01000000000000\ncall 1\nmov %r0, 0\nexit\n", 0,
	  "helper memory [-2, 2) is outside the stack frame", 0 },
	{ "refuse: 32-bit subtraction of pointers (strict)",
	  "mov %r3, %r10\nmov %r4, %r10\nadd %r4, -8\nsub32 %r3, %r4\nmov %r0, 0\nexit\n", 0,
	  "32-bit arithmetic on a pointer", 1 },
	{ "accept: 32-bit subtraction of pointers is a number for root",
	  "mov %r3, %r10\nmov %r4, %r10\nadd %r4, -8\nsub32 %r3, %r4\nmov %r0, 0\nexit\n", 1, NULL, 0 },
	{ "refuse: key not initialised (strict)",
	  "mov %r2, %r10\nadd %r2, -4\nlddw %r1, 0x7e01000000000000\ncall 1\nmov %r0, 0\nexit\n", 0,
	  "the helper reads stack byte -4 from r10, which is not initialised", 1 },
	{ "refuse: update with a value smaller than value_size",
	  "stdw [%r10-8], 0\n" KEY("00000000") "mov %r3, %r10\nadd %r3, -8\nmov %r4, 0\ncall 2\nexit\n", 0,
	  "helper memory [-8, 8) is outside the stack frame", 0 },
	{ "accept: update and delete",
	  "stdw [%r10-24], 0\nstdw [%r10-16], 0\n" KEY("00000000") "mov %r3, %r10\nadd %r3, -24\nmov %r4, 0\ncall 2\n" KEY("00000000") "call 3\nexit\n", 1, NULL, 0 },
	{ "refuse: lddw names a map that does not exist",
	  "lddw %r1, 0x7e01000000000063\nmov %r0, 0\nexit\n", 0, "lddw names map 99, but the program has 9 maps", 0 },
	{ "accept: global variable (lddw of a value) written",
	  "lddw %r1, " MAPV("00000001", "0004") "\nstw [%r1+0], 7\nldxw %r0, [%r1+0]\nexit\n", 1, NULL, 0 },
	{ "refuse: global variable past the value",
	  "lddw %r1, " MAPV("00000001", "0008") "\nmov %r0, 0\nexit\n", 0, "inside their 8-byte value", 0 },
	{ "refuse: lddw of a value of a map that is not a global",
	  "lddw %r1, " MAPV("00000000", "0000") "\nmov %r0, 0\nexit\n", 0, "only single-entry arrays", 0 },
	{ "refuse: .rodata is read-only",
	  "lddw %r1, " MAPV("00000002", "0000") "\nstw [%r1+4], 7\nmov %r0, 0\nexit\n", 0,
	  ".rodata is read-only", 0 },
	{ "accept: .rodata read",
	  "lddw %r1, " MAPV("00000002", "0000") "\nldxw %r0, [%r1+28]\nexit\n", 1, NULL, 0 },
	{ "refuse: helper writes into .rodata",
	  "lddw %r1, " MAPV("00000002", "0000") "\nmov %r2, 8\nmov %r3, 0\ncall 113\nmov %r0, 0\nexit\n", 0,
	  ".rodata is read-only", 0 },
	{ "accept: ringbuf reserve, submit",
	  "lddw %r1, 0x7e01000000000003\nmov %r2, 16\nmov %r3, 0\ncall 131\njeq %r0, 0, +5\nstdw [%r0+8], 1\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit\n", 1, NULL, 0 },
	{ "refuse: ringbuf reservation leaked on a path",
	  "ldxw %r6, [%r1+0]\nlddw %r1, 0x7e01000000000003\nmov %r2, 16\nmov %r3, 0\ncall 131\njeq %r0, 0, +5\njeq %r6, 1, +4\nmov %r1, %r0\nmov %r2, 0\ncall 133\nmov %r0, 0\nexit\n", 0,
	  "the ringbuf memory reserved at insn 5 is neither submitted nor discarded on this path", 0 },
	{ "refuse: ringbuf reserve of a variable size",
	  "ldxw %r2, [%r1+0]\nlddw %r1, 0x7e01000000000003\nmov %r3, 0\ncall 131\nmov %r0, 0\nexit\n", 0,
	  "must be a known constant size", 0 },
	{ "refuse: ringbuf memory written past its size",
	  "lddw %r1, 0x7e01000000000003\nmov %r2, 16\nmov %r3, 0\ncall 131\njeq %r0, 0, +5\nstdw [%r0+16], 1\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit\n", 0,
	  "outside the 16 bytes of the memory region", 0 },
	{ "refuse: ringbuf submit twice",
	  "lddw %r1, 0x7e01000000000003\nmov %r2, 16\nmov %r3, 0\ncall 131\njeq %r0, 0, +8\nmov %r6, %r0\nmov %r1, %r6\nmov %r2, 0\ncall 132\nmov %r1, %r6\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit\n", 0,
	  "must be memory from bpf_ringbuf_reserve", 0 },
	{ "refuse: ringbuf submit before the NULL check",
	  "lddw %r1, 0x7e01000000000003\nmov %r2, 16\nmov %r3, 0\ncall 131\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit\n", 0,
	  "must be memory from bpf_ringbuf_reserve, checked against NULL", 0 },
	{ "accept: tail call through a prog array",
	  "lddw %r2, 0x7e01000000000004\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit\n", 1, NULL, 0 },
	{ "refuse: tail call through a hash map",
	  "lddw %r2, 0x7e01000000000000\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit\n", 0,
	  "cannot be used with map 0, of type 1", 0 },
	{ "refuse: lookup in a prog array",
	  KEY("00000004") "call 1\nmov %r0, 0\nexit\n", 0, "cannot be used with map 4, of type 3", 0 },
	{ "accept: map in map: outer lookup, inner lookup",
	  KEY("00000005") "call 1\njeq %r0, 0, +6\nmov %r1, %r0\nmov %r2, %r10\nadd %r2, -4\ncall 1\njeq %r0, 0, +1\nldxdw %r0, [%r0+8]\nmov %r0, 0\nexit\n", 1, NULL, 0 },
	{ "refuse: inner map used before the NULL check",
	  KEY("00000005") "call 1\nmov %r1, %r0\nmov %r2, %r10\nadd %r2, -4\ncall 1\nmov %r0, 0\nexit\n", 0,
	  "must be a map (lddw of a map), not map_ptr_or_null", 0 },
	{ "accept: queue push and pop",
	  "stdw [%r10-8], 3\nlddw %r1, 0x7e01000000000006\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 0\ncall 87\nlddw %r1, 0x7e01000000000006\nmov %r2, %r10\nadd %r2, -16\ncall 88\nldxdw %r0, [%r10-16]\nexit\n", 1, NULL, 0 },
	{ "refuse: pop into .rodata",
	  "lddw %r1, 0x7e01000000000006\nlddw %r2, " MAPV("00000002", "0000") "\ncall 88\nmov %r0, 0\nexit\n", 0,
	  ".rodata is read-only", 0 },
	{ "refuse: map pointer stored into a map value (strict)",
	  KEY("00000000") "call 1\njeq %r0, 0, +3\nlddw %r1, 0x7e01000000000000\nstxdw [%r0+0], %r1\nmov %r0, 0\nexit\n", 0,
	  "leaks a pointer", 1 },
	{ "accept: map pointer stored into a map value (root, as Linux)",
	  KEY("00000000") "call 1\njeq %r0, 0, +3\nlddw %r1, 0x7e01000000000000\nstxdw [%r0+0], %r1\nmov %r0, 0\nexit\n", 1, NULL, 0 },
	{ "accept: snprintf with its format in .rodata",
	  "mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\nlddw %r3, " MAPV("00000002", "0000") "\nmov %r4, 0\nmov %r5, 0\ncall 165\nexit\n", 1, NULL, 0 },
	{ "refuse: snprintf with its format in writable memory",
	  "mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\nlddw %r3, " MAPV("00000001", "0000") "\nmov %r4, 0\nmov %r5, 0\ncall 165\nexit\n", 0,
	  "must point to a string in a read-only map", 0 },
	{ "accept: strtol into a long on the stack",
	  "stdw [%r10-16], 0\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 8\nmov %r3, 10\nmov %r4, %r10\nadd %r4, -8\ncall 105\nldxdw %r0, [%r10-8]\nexit\n", 1, NULL, 0 },
	{ "refuse: ringbuf_output with a number for data",
	  "lddw %r1, 0x7e01000000000003\nmov %r2, 0\nmov %r3, 8\nmov %r4, 0\ncall 130\nexit\n", 0,
	  "argument 2 of bpf_ringbuf_output must point to memory", 0 },
	{ "accept: csum_diff with NULL and size 0",
	  "stdw [%r10-8], 0\nmov %r1, 0\nmov %r2, 0\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 8\nmov %r5, 0\ncall 28\nexit\n", 1, NULL, 0 },
	{ "refuse: csum_diff with NULL and a size",
	  "mov %r1, 0\nmov %r2, 4\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\nexit\n", 0,
	  "is NULL, so its size R2 must be 0", 0 },
	{ "refuse: void helper leaves r0 unset",
	  KEY("00000007") "call 1\njeq %r0, 0, +3\nmov %r1, %r0\ncall 93\nexit\nmov %r0, 0\nexit\n", 0,
	  "R0 is not set at exit", 0 },
	{ "accept: spin lock taken and released",
	  KEY("00000007") "call 1\njeq %r0, 0, +6\nmov %r6, %r0\nmov %r1, %r6\ncall 93\nstdw [%r6+8], 1\nmov %r1, %r6\ncall 94\nmov %r0, 0\nexit\n", 1, NULL, 0 },
	{ "refuse: spin lock never released",
	  KEY("00000007") "call 1\njeq %r0, 0, +3\nmov %r1, %r0\ncall 93\nmov %r0, 0\nexit\n", 0,
	  "exits while holding a bpf_spin_lock", 0 },
	{ "refuse: helper call while holding a spin lock",
	  KEY("00000007") "call 1\njeq %r0, 0, +6\nmov %r6, %r0\nmov %r1, %r6\ncall 93\ncall 5\nmov %r1, %r6\ncall 94\nmov %r0, 0\nexit\n", 0,
	  "while holding a bpf_spin_lock", 0 },
	/* callbacks */
	{ "accept: bpf_loop summing into its context",
	  "stdw [%r10-8], 0\nmov %r1, 100\nlddw %r2, 0x7e04000000000000\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 0\ncall 181\nldxdw %r0, [%r10-8]\nexit\n"
	  "mov %r9, 0x5a5a00\nldxdw %r3, [%r2+0]\nadd %r3, %r1\nstxdw [%r2+0], %r3\nmov %r0, 0\nexit\n", 1, NULL, 0 },
	{ "refuse: bpf_loop callback returns 2",
	  "mov %r1, 10\nlddw %r2, 0x7e04000000000000\nmov %r3, 0\nmov %r4, 0\ncall 181\nexit\n"
	  "mov %r9, 0x5a5a00\nmov %r0, 2\nexit\n", 0, "a loop callback must return 0 or 1", 0 },
	{ "refuse: bpf_loop callback writes past its context",
	  "stdw [%r10-8], 0\nmov %r1, 10\nlddw %r2, 0x7e04000000000000\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 0\ncall 181\nmov %r0, 0\nexit\n"
	  "mov %r9, 0x5a5a00\nstdw [%r2+8], 1\nmov %r0, 0\nexit\n", 0, "outside the 512-byte frame", 0 },
	{ "refuse: bpf_loop callback's pointer in the context is used after the loop",
	  /* iteration 1 stores a number over the spilled stack pointer: after
	   * the loop the fill is a number, on some path */
	  "mov %r6, %r10\nadd %r6, -32\nstxdw [%r10-8], %r6\nmov %r1, 3\nlddw %r2, 0x7e04000000000000\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 0\ncall 181\nldxdw %r1, [%r10-8]\nldxdw %r0, [%r1+0]\nexit\n"
	  "mov %r9, 0x5a5a00\nstdw [%r2+0], 7\nmov %r0, 0\nexit\n", 0, "is a number, not a pointer", 0 },
	{ "accept: for_each_map_elem reads the value",
	  "lddw %r1, 0x7e01000000000000\nlddw %r2, 0x7e04000000000000\nmov %r3, 0\nmov %r4, 0\ncall 164\nexit\n"
	  "mov %r9, 0x5a5a00\nldxdw %r0, [%r3+8]\nldxw %r0, [%r2+0]\nmov %r0, 0\nexit\n", 1, NULL, 0 },
	{ "refuse: for_each_map_elem reads past the value",
	  "lddw %r1, 0x7e01000000000000\nlddw %r2, 0x7e04000000000000\nmov %r3, 0\nmov %r4, 0\ncall 164\nexit\n"
	  "mov %r9, 0x5a5a00\nldxdw %r0, [%r3+16]\nmov %r0, 0\nexit\n", 0, "outside the 16 bytes of the map value", 0 },
	{ "refuse: for_each_map_elem writes the key",
	  "lddw %r1, 0x7e01000000000000\nlddw %r2, 0x7e04000000000000\nmov %r3, 0\nmov %r4, 0\ncall 164\nexit\n"
	  "mov %r9, 0x5a5a00\nstw [%r2+0], 1\nmov %r0, 0\nexit\n", 0, "is a map key, which the program may only read", 0 },
	{ "accept: timer init, callback, start",
	  KEY("00000007") "call 1\njeq %r0, 0, +12\nmov %r6, %r0\nmov %r1, %r6\nadd %r1, 8\nlddw %r2, 0x7e01000000000007\nmov %r3, 0\ncall 169\nmov %r1, %r6\nadd %r1, 8\nlddw %r2, 0x7e04000000000000\ncall 170\nmov %r0, 0\nexit\n"
	  "mov %r9, 0x5a5a00\nldxdw %r0, [%r3+0]\nmov %r0, 0\nexit\n", 1, NULL, 0 },
	/* map 8: the declared fields are the helpers' alone, as on Linux */
	{ "accept: declared timer and lock used through the helpers, other bytes read and written",
	  KEY("00000008") "call 1\njeq %r0, 0, +19\nmov %r6, %r0\nmov %r1, %r6\nadd %r1, 16\nlddw %r2, 0x7e01000000000008\nmov %r3, 0\ncall 169\n"
	  "mov %r1, %r6\ncall 93\nstdw [%r6+8], 1\nmov %r1, %r6\ncall 94\nldxw %r0, [%r6+4]\nmov %r1, %r6\nadd %r1, 16\nlddw %r2, 0x7e04000000000000\ncall 170\n"
	  "mov %r0, 0\nexit\n"
	  "mov %r9, 0x5a5a00\nmov %r0, 0\nexit\n", 1, NULL, 0 },
	{ "refuse: timer helper given another offset than the declared bpf_timer",
	  KEY("00000008") "call 1\njeq %r0, 0, +6\nmov %r1, %r0\nadd %r1, 8\nlddw %r2, 0x7e01000000000008\nmov %r3, 0\ncall 169\nmov %r0, 0\nexit\n", 0,
	  "off 8 doesn't point to 'struct bpf_timer' that is at 16", 0 },
	{ "refuse: spin lock helper given another offset than the declared bpf_spin_lock",
	  KEY("00000008") "call 1\njeq %r0, 0, +7\nmov %r6, %r0\nmov %r1, %r6\nadd %r1, 4\ncall 93\nmov %r1, %r6\nadd %r1, 4\ncall 94\nmov %r0, 0\nexit\n", 0,
	  "off 4 doesn't point to 'struct bpf_spin_lock' that is at 0", 0 },
	{ "refuse: load from the declared bpf_timer",
	  KEY("00000008") "call 1\njeq %r0, 0, +1\nldxdw %r0, [%r0+16]\nmov %r0, 0\nexit\n", 0,
	  "bpf_timer cannot be accessed directly by load/store", 0 },
	{ "refuse: store into the middle of the declared bpf_timer",
	  KEY("00000008") "call 1\njeq %r0, 0, +1\nstw [%r0+28], 0\nmov %r0, 0\nexit\n", 0,
	  "bpf_timer cannot be accessed directly by load/store", 0 },
	{ "refuse: load of the declared bpf_spin_lock",
	  KEY("00000008") "call 1\njeq %r0, 0, +1\nldxb %r0, [%r0+3]\nmov %r0, 0\nexit\n", 0,
	  "bpf_spin_lock cannot be accessed directly by load/store", 0 },
	{ "refuse: a variable offset that may reach the declared bpf_timer",
	  KEY("00000008") "call 1\njeq %r0, 0, +4\nldxw %r1, [%r0+4]\nand %r1, 8\nadd %r0, %r1\nldxdw %r0, [%r0+8]\nmov %r0, 0\nexit\n", 0,
	  "bpf_timer cannot be accessed directly by load/store", 0 },
	{ "refuse: a helper reading a whole value with its bpf_spin_lock",
	  KEY("00000008") "call 1\njeq %r0, 0, +6\nmov %r3, %r0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, 0x7e01000000000008\nmov %r4, 0\ncall 2\nmov %r0, 0\nexit\n", 0,
	  "bpf_spin_lock cannot be accessed directly by load/store", 0 },
	{ "refuse: timer callback returns 1",
	  KEY("00000007") "call 1\njeq %r0, 0, +5\nmov %r1, %r0\nadd %r1, 8\nlddw %r2, 0x7e04000000000000\ncall 170\nmov %r0, 0\nexit\n"
	  "mov %r9, 0x5a5a00\nmov %r0, 1\nexit\n", 0, "a timer callback must return 0", 0 },
};

static void facts(void)
{
	static const char *src =
		KEY("00000000") "call 1\njeq %r0, 0, +5\nldxw %r1, [%r0+0]\nand %r1, 15\nadd %r0, %r1\nldxb %r0, [%r0+0]\nexit\nmov %r0, 0\nexit\n";
	struct userbpf_insn *in = NULL;
	struct ub_vfy_result r;
	size_t n = 0, at = 0;
	char err[256];

	for (int strict = 0; strict < 2; strict++) {
		if (verify(src, strict, &r, err, sizeof(err), &in, &n)) {
			tl_fail("facts", "could not verify: %s", err);
			return;
		}
		for (size_t i = 0; i < n; i++)
			if (in[i].code == 0x0f)
				at = i;
		TL_CHECK(strict ? "facts: strict marks the bounded index for Spectre masking" :
				  "facts: a bounded variable index into a map value",
			 r.accepted && r.facts && r.bounds && (r.facts[at] & UB_FACT_INDEX_BOUNDED) &&
				 r.bounds[at] == 15 &&
				 !!(r.facts[at] & UB_FACT_SPECTRE_MASK) == strict);
		TL_CHECK(strict ? "facts: the access itself carries no index fact (strict)" :
				  "facts: the access itself carries no index fact",
			 r.facts && !(r.facts[at + 1] & UB_FACT_INDEX_BOUNDED));
		ub_vfy_result_free(rt, &r);
		free(in);
	}
	/* index bounds hold on every visit, or not at all */
	{
		static const struct { const char *name, *src; bool fact; uint32_t bound; } ix[] = {
			{ "facts: a stack index, bound the largest of two paths",
			  "stdw [%r10-64], 0\nstdw [%r10-56], 0\nstdw [%r10-48], 0\nstdw [%r10-40], 0\n"
			  "call 7\nmov %r1, %r0\nand %r1, 7\njeq %r0, 0, +2\nmov %r1, %r0\nand %r1, 31\n"
			  "mov %r2, %r10\nadd %r2, -64\nadd %r2, %r1\nldxb %r0, [%r2+0]\nexit\n", true, 31 },
			{ "facts: no bound when the index may be negative",
			  "stdw [%r10-16], 0\nstdw [%r10-8], 0\ncall 7\nmov %r1, %r0\nand %r1, 7\nsub %r1, 4\n"
			  "mov %r2, %r10\nadd %r2, -8\nadd %r2, %r1\nldxb %r0, [%r2+0]\nexit\n", false, 0 },
			{ "facts: no bound when another path adds two numbers there",
			  "stdw [%r10-8], 0\ncall 7\nmov %r1, %r0\nand %r1, 7\nmov %r6, %r0\nand %r6, 1\n"
			  "mov %r2, %r10\nadd %r2, -8\njeq %r6, 0, +1\nmov %r2, 1000\nadd %r2, %r1\n"
			  "jeq %r6, 0, +2\nmov %r0, 0\nexit\n"
			  "ldxb %r0, [%r2+0]\nexit\n", false, 0 },
		};
		for (size_t t = 0; t < sizeof(ix) / sizeof(ix[0]); t++) {
			size_t k = SIZE_MAX;

			if (verify(ix[t].src, false, &r, err, sizeof(err), &in, &n)) {
				tl_fail(ix[t].name, "could not verify: %s", err);
				continue;
			}
			for (size_t i = 0; i < n; i++)
				if (in[i].code == 0x0f)
					k = i;
			TL_CHECK(ix[t].name, r.accepted && k < n && r.facts && r.bounds &&
				 !!(r.facts[k] & UB_FACT_INDEX_BOUNDED) == ix[t].fact &&
				 (!ix[t].fact || r.bounds[k] == ix[t].bound));
			ub_vfy_result_free(rt, &r);
			free(in);
		}
	}
	/* known constants: the same number on every visit, inputs relevant */
	{
		static const struct { const char *name, *src; bool fact; uint64_t k; } kc[] = {
			{ "facts: a constant that reaches a stack offset",
			  "stdw [%r10-16], 0\nstdw [%r10-8], 0\nmov %r1, 3\nlsh %r1, 2\nmov %r2, %r10\n"
			  "add %r2, -16\nadd %r2, %r1\nldxb %r0, [%r2+0]\nexit\n", true, 12 },
			{ "facts: no constant for a number only returned (pruning may not compare it)",
			  "mov %r1, 3\nlsh %r1, 2\nmov %r0, %r1\nexit\n", false, 0 },
			{ "facts: no constant when two paths give two numbers",
			  "stdw [%r10-16], 0\nstdw [%r10-8], 0\ncall 7\nmov %r1, 3\njeq %r0, 0, +1\nmov %r1, 2\n"
			  "lsh %r1, 2\nmov %r2, %r10\nadd %r2, -16\nadd %r2, %r1\nldxb %r0, [%r2+0]\nexit\n",
			  false, 0 },
		};
		for (size_t t = 0; t < sizeof(kc) / sizeof(kc[0]); t++) {
			size_t k = SIZE_MAX;

			if (verify(kc[t].src, false, &r, err, sizeof(err), &in, &n)) {
				tl_fail(kc[t].name, "could not verify: %s", err);
				continue;
			}
			for (size_t i = 0; i < n; i++)
				if (in[i].code == 0x67)	/* lsh imm */
					k = i;
			TL_CHECK(kc[t].name, r.accepted && k < n && r.facts && r.consts &&
				 !!(r.facts[k] & UB_FACT_CONST_DST) == kc[t].fact &&
				 (!kc[t].fact || r.consts[k] == kc[t].k));
			ub_vfy_result_free(rt, &r);
			free(in);
		}
	}
	if (verify("mov32 %r0, 1\nadd32 %r0, 2\nmov %r1, 1\nexit\n", false, &r, err, sizeof(err), &in, &n)) {
		tl_fail("facts: zext", "%s", err);
		return;
	}
	TL_CHECK("facts: ALU32 results are marked for zero extension, ALU64 not",
		 r.facts && (r.facts[0] & UB_FACT_ZEXT_NEEDED) && (r.facts[1] & UB_FACT_ZEXT_NEEDED) &&
			 !(r.facts[2] & UB_FACT_ZEXT_NEEDED));
	ub_vfy_result_free(rt, &r);
	free(in);
}

static bool set_stubs(struct userbpf_rt *r);

/* Every allocation of the verifier failing in turn, on programs with
 * callbacks, references and async paths: -ENOMEM or the verdict, never a
 * crash or a leak (ASan). */
static void alloc_sweep(void)
{
	static const int which[] = { 0, 1, 2 };
	const char *srcs[3];
	struct userbpf_rt *saved = rt;
	int bad = 0, done = 0, nomem = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strstr(cases[i].name, "bpf_loop summing"))
			srcs[0] = cases[i].src;
		if (strstr(cases[i].name, "timer init, callback"))
			srcs[1] = cases[i].src;
		if (strstr(cases[i].name, "ringbuf reservation leaked"))
			srcs[2] = cases[i].src;
	}
	for (size_t k = 0; k < sizeof(which) / sizeof(which[0]); k++) {
		for (long n = 1; n < 100000; n++) {
			struct ub_vfy_result r;
			char err[256];
			int ret;

			rt = tl_rt_new(n);
			if (!rt || !set_stubs(rt)) {
				userbpf_rt__free(rt); /* failed before the verifier ran */
				continue;
			}
			ret = verify(srcs[which[k]], false, &r, err, sizeof(err), NULL, NULL);
			ub_vfy_result_free(rt, &r);
			userbpf_rt__free(rt);
			if (ret == 0) {
				done++;
				break; /* the sweep got past every allocation */
			}
			if (ret == -ENOMEM)
				nomem++;
			else
				bad++;
		}
	}
	rt = saved;
	TL_CHECK("maps: every allocation failing in turn gives ENOMEM or the verdict", !bad && done == 3 && nomem > 10);
}

int main(void)
{
	static const uint32_t ids[] = { 1, 2, 3, 5, 6, 28, 87, 88, 89, 93, 94, 105, 106, 112, 113,
					130, 131, 132, 133, 134, 164, 165, 169, 170, 171, 172, 181, 182 };
	struct userbpf_rt_opts ro = { .sz = sizeof(ro), .log = tl_log };

	rt = userbpf_rt__new(&ro);
	if (!rt)
		return 1;
	(void)ids;
	if (!set_stubs(rt)) {
		tl_fail("maps: set helpers", "userbpf_rt__set_helper failed");
		return tl_exit();
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run(&cases[i]);
	facts();
	alloc_sweep();
	userbpf_rt__free(rt);
	return tl_exit();
}
