/* SPDX-License-Identifier: MIT */
/*
 * x86_gen.h - random BPF programs for the x86-64 JIT tests, and a helper
 * that runs one program in the JIT and in the interpreter.
 *
 * The programs are safe without a verifier, so they can be marked trusted
 * and compiled: every register starts with a number (r1 drops the
 * context), memory is only the 64 bytes below r10, all written first, and
 * every jump goes forward, so a program always ends.  They mix every ALU
 * operation (register and immediate, 32 and 64 bits, the cpu v4 signed
 * division and sign extensions), loads, stores and atomics of each size,
 * byte swaps, lddw and jumps of each condition, and end by folding r0-r9
 * and the stack into r0, so a wrong bit anywhere shows in the result.
 * The idea is tests/diff/kernel_diff.c's, without the kernel: the
 * interpreter is the reference here.
 *
 * A header rather than a .c file because the Makefile makes every
 * tests/<suite>/<name>.c a test program; each test includes it once.
 */
#ifndef USERBPF_TESTS_X86_GEN_H
#define USERBPF_TESTS_X86_GEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testlib.h"
#include "tl_rng.h"
#include "exec/jit_internal.h"

#define XG_STK 64
#define XG_MIX 0x5bd1e995

static int32_t xg_imm(struct tl_rng *r)
{
	static const int32_t special[] = {
		0, 1, -1, 2, -2, 7, 31, 32, 33, 63, 64, 127, 128, -128, -129, 0x7fff,
		0x8000, 0xffff, INT32_MAX, INT32_MIN, 0x55555555, 0x12345678,
	};

	switch (tl_rn(r, 3)) {
	case 0:
		return special[tl_rn(r, sizeof(special) / sizeof(special[0]))];
	case 1:
		return (int32_t)tl_rn(r, 256) - 128;
	default:
		return (int32_t)(uint32_t)tl_rnd(r);
	}
}

/* A program under construction: units of 1-2 slots, jumps name a unit. */
struct xg_unit {
	struct userbpf_insn in[2];
	uint8_t n;
	bool jump;	/* in[0].off gets the distance to unit `target` */
	bool ja32;	/* ... or in[0].imm (gotol) */
	uint32_t target;
};

struct xg_prog {
	struct xg_unit *u;
	size_t n, cap;
};

static struct xg_unit *xg_add(struct xg_prog *p, unsigned code, unsigned dst, unsigned src,
			      int off, int32_t imm)
{
	struct xg_unit *u = &p->u[p->n++];

	memset(u, 0, sizeof(*u));
	u->in[0].code = (uint8_t)code;
	u->in[0].dst_reg = dst & 15;
	u->in[0].src_reg = src & 15;
	u->in[0].off = (int16_t)off;
	u->in[0].imm = imm;
	u->n = 1;
	return u;
}

static void xg_lddw(struct xg_prog *p, unsigned dst, uint64_t v)
{
	struct xg_unit *u = xg_add(p, 0x18, dst, 0, 0, (int32_t)(uint32_t)v);

	u->in[1].imm = (int32_t)(uint32_t)(v >> 32);
	u->n = 2;
}

static const uint8_t xg_sz[4] = { 0x10, 0x08, 0x00, 0x18 }; /* B H W DW */

/* One random body unit. */
static void xg_body(struct tl_rng *r, struct xg_prog *p, size_t left)
{
	static const uint8_t alu[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
				       0x70, 0x90, 0xa0, 0xb0, 0xc0 };
	static const uint8_t jcc[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
				       0x70, 0xa0, 0xb0, 0xc0, 0xd0 };
	static const int32_t atom[] = { 0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1,
					0xe1, 0xf1 };
	unsigned k = tl_rn(r, 100), d = tl_rn(r, 10), s = tl_rn(r, 10);

	if (k < 45) {
		unsigned cls = tl_rn(r, 2) ? 0x07 : 0x04, op = alu[tl_rn(r, sizeof(alu))];
		int off = (op == 0x30 || op == 0x90) ? (int)tl_rn(r, 2) : 0;
		if (tl_rn(r, 2))
			xg_add(p, cls | 0x08 | op, d, s, off, 0);
		else
			xg_add(p, cls | op, d, 0, off, xg_imm(r));
	} else if (k < 55) {
		static const int32_t w[] = { 16, 32, 64 };
		switch (tl_rn(r, 6)) {
		case 0: xg_add(p, tl_rn(r, 2) ? 0x87 : 0x84, d, 0, 0, 0); break;
		case 1: xg_add(p, 0xbf, d, s, 8 << tl_rn(r, 3), 0); break;
		case 2: xg_add(p, 0xbc, d, s, 8 << tl_rn(r, 2), 0); break;
		case 3: {
			/* one draw per statement: argument order is unspecified,
			 * and gcc and clang must build the same programs */
			unsigned code = tl_rn(r, 2) ? 0xd4 : 0xdc;
			xg_add(p, code, d, 0, 0, w[tl_rn(r, 3)]);
			break;
		}
		case 4: xg_add(p, 0xd7, d, 0, 0, w[tl_rn(r, 3)]); break;
		default: xg_lddw(p, d, tl_rnd(r)); break;
		}
	} else if (k < 63) {
		unsigned z = tl_rn(r, 4);
		int off = -XG_STK + (int)((1u << z) * tl_rn(r, XG_STK >> z));
		if (tl_rn(r, 2))
			xg_add(p, 0x62 | xg_sz[z], 10, 0, off, xg_imm(r));
		else
			xg_add(p, 0x63 | xg_sz[z], 10, s, off, 0);
	} else if (k < 71) {
		unsigned z = tl_rn(r, 4);
		int off = -XG_STK + (int)((1u << z) * tl_rn(r, XG_STK >> z));
		xg_add(p, (z < 3 && tl_rn(r, 2) ? 0x81 : 0x61) | xg_sz[z], d, 10, off, 0);
	} else if (k < 77) {
		bool is64 = tl_rn(r, 2);
		int off = -XG_STK + (is64 ? 8 : 4) * (int)tl_rn(r, is64 ? 8 : 16);
		xg_add(p, is64 ? 0xdb : 0xc3, 10, s, off, atom[tl_rn(r, 10)]);
	} else {
		struct xg_unit *u;
		unsigned cls = tl_rn(r, 3) ? 0x05 : 0x06, op = jcc[tl_rn(r, sizeof(jcc))];

		if (k < 80)
			u = tl_rn(r, 2) ? xg_add(p, 0x05, 0, 0, 0, 0) : xg_add(p, 0x06, 0, 0, 0, 0);
		else if (tl_rn(r, 2))
			u = xg_add(p, cls | 0x08 | op, d, s, 0, 0);
		else
			u = xg_add(p, cls | op, d, 0, 0, xg_imm(r));
		u->jump = true;
		u->ja32 = u->in[0].code == 0x06;
		/* mostly near, sometimes far enough for rel32 */
		u->target = (uint32_t)(p->n + (tl_rn(r, 20) ? tl_rn(r, 12) : tl_rn(r, 200)));
		(void)left;
	}
}

/*
 * Generates a program of about `body` random units into a malloc'd array
 * (*out, freed by the caller); returns its slot count, 0 on no memory.
 */
static inline size_t xg_generate(uint64_t seed, size_t body, struct userbpf_insn **out)
{
	struct tl_rng r = { seed };
	struct xg_prog p = { 0 };
	size_t *slot = NULL, s = 0, body_end;
	struct userbpf_insn *in = NULL;

	p.cap = body + 10 + XG_STK / 8 + 9 * 2 + XG_STK / 8 * 3 + 8;
	p.u = calloc(p.cap, sizeof(*p.u));
	slot = calloc(p.cap + 1, sizeof(*slot));
	if (!p.u || !slot)
		goto out;
	for (unsigned i = 0; i <= 9; i++) {
		if (tl_rn(&r, 2))
			xg_lddw(&p, i, tl_rnd(&r));
		else if (tl_rn(&r, 2))
			xg_add(&p, 0xb7, i, 0, 0, xg_imm(&r));
		else
			xg_add(&p, 0xb4, i, 0, 0, xg_imm(&r));
	}
	for (int off = -XG_STK; off < 0; off += 8)
		xg_add(&p, 0x7b, 10, tl_rn(&r, 10), off, 0);
	for (size_t i = 0; i < body; i++)
		xg_body(&r, &p, body - i);
	body_end = p.n;
	for (unsigned i = 1; i <= 9; i++) {
		xg_add(&p, 0x27, 0, 0, 0, XG_MIX);
		xg_add(&p, 0xaf, 0, i, 0, 0);
	}
	for (int off = -XG_STK; off < 0; off += 8) {
		xg_add(&p, 0x79, 1, 10, off, 0);
		xg_add(&p, 0x27, 0, 0, 0, XG_MIX);
		xg_add(&p, 0xaf, 0, 1, 0, 0);
	}
	xg_add(&p, 0x95, 0, 0, 0, 0);
	for (size_t i = 0; i < p.n; i++) {
		slot[i] = s;
		s += p.u[i].n;
	}
	slot[p.n] = s;
	in = malloc(s * sizeof(*in));
	if (!in) {
		s = 0;
		goto out;
	}
	for (size_t i = 0; i < p.n; i++) {
		struct xg_unit *u = &p.u[i];
		size_t t = u->target > body_end ? body_end : u->target;
		int64_t dist = u->jump ? (int64_t)slot[t] - (int64_t)slot[i] - 1 : 0;

		if (u->jump && !u->ja32 && dist > INT16_MAX)
			dist = 0; /* out of reach of off: falls through */
		memcpy(&in[slot[i]], u->in, u->n * sizeof(u->in[0]));
		if (u->jump && u->ja32)
			in[slot[i]].imm = (int32_t)dist;
		else if (u->jump)
			in[slot[i]].off = (int16_t)dist;
	}
	*out = in;
out:
	free(p.u);
	free(slot);
	return s;
}

/*
 * Runs prog in the engine given (the JIT: trusted, as the JIT demands;
 * the interpreter: the fast mode).  Returns 0 and r0, or the error.
 */
static inline int xg_run(struct userbpf_prog *prog, enum userbpf_engine engine, const void *pkt,
		  size_t pkt_len, uint64_t *ret)
{
	struct userbpf_run_opts o = { .sz = sizeof(o) };

	o.engine = engine;
	o.pkt = pkt;
	o.pkt_len = pkt_len;
	userbpf_prog__set_trusted(prog, true);
	return userbpf_prog__run(prog, &o, ret);
}

/*
 * Runs check on n generated programs (seeds base, base + 1, ...; bodies of
 * 40 to 119 instructions) and prints one line named name: ok, or the
 * count that failed with the first one's reason.  check returns nonzero
 * with why filled in when a program fails.
 */
static inline void xg_check_random(const char *name, uint64_t base, int n,
				   int (*check)(const struct userbpf_insn *p, size_t cnt, char *why,
						size_t why_sz))
{
	int bad = 0;
	char first[320] = "";

	for (int i = 0; i < n; i++) {
		struct userbpf_insn *p = NULL;
		size_t cnt = xg_generate(base + (uint64_t)i, 40 + (size_t)(i % 80), &p);
		char why[256];

		if (!cnt || check(p, cnt, why, sizeof(why))) {
			if (!bad++)
				snprintf(first, sizeof(first), "program %d: %s", i,
					 cnt ? why : "no memory");
		}
		free(p);
	}
	if (bad)
		tl_fail(name, "%d differ; %s", bad, first);
	else
		tl_ok(name);
}

/*
 * A program whose index the verifier bounds (for the Spectre clamps): a
 * loop fills stack bytes [-64, 0) with 3 * i, then r2 = stack byte 7
 * (21, a number the verifier does not know) & 63; r1 = r10 - 64;
 * r1 += r2 (insn 13, the clamped one); r0 = the byte there (63).
 * 16 instructions.
 */
static inline const struct userbpf_insn *xg_clamp_prog(size_t *cnt)
{
#define XG_I(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
	static const struct userbpf_insn p[] = {
		XG_I(0xb7, 3, 0, 0, 0),
		XG_I(0xbf, 4, 10, 0, 0), XG_I(0x07, 4, 0, 0, -64),
		XG_I(0xbf, 5, 3, 0, 0), XG_I(0x27, 5, 0, 0, 3),
		XG_I(0x73, 4, 5, 0, 0), XG_I(0x07, 4, 0, 0, 1),
		XG_I(0x07, 3, 0, 0, 1), XG_I(0x55, 3, 0, -6, 64),
		XG_I(0xbf, 1, 10, 0, 0), XG_I(0x07, 1, 0, 0, -64),
		XG_I(0x71, 2, 10, -57, 0), XG_I(0x57, 2, 0, 0, 63),
		XG_I(0x0f, 1, 2, 0, 0),
		XG_I(0x71, 0, 1, 0, 0), XG_I(0x95, 0, 0, 0, 0),
	};
#undef XG_I
	*cnt = sizeof(p) / sizeof(p[0]);
	return p;
}

/* One check named name of the program __VA_ARGS__ by check (as for
 * xg_check_random): ok, or the reason it gives. */
#define XG_SAME(check, name, ...)                                              \
	do {                                                                   \
		struct userbpf_insn _p[] = { __VA_ARGS__ };                    \
		char _why[256];                                                \
		if (check(_p, sizeof(_p) / sizeof(_p[0]), _why, sizeof(_why))) \
			tl_fail(name, "%s", _why);                             \
		else                                                           \
			tl_ok(name);                                           \
	} while (0)

#endif
