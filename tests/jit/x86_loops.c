/* SPDX-License-Identifier: MIT */
/*
 * x86_loops.c - the x86-64 JIT's loop idioms (memset / iota, memcpy,
 * memcmp-style and 16-bit-sum loops run as SSE2 blocks,
 * src/exec/jit_loops.c and the preamble in jit_x86_64.c), against the
 * interpreter.
 *
 * Random loops of the shapes clang emits and close variants: an index or
 * pointer induction variable (IV), a counter going up or down by 1, 2 or
 * the element size, the test at the bottom (!= back, or == out then goto
 * back) or at the top, as == / != or as unsigned < <= > >=, a bound that
 * is an immediate, a register or reloaded from the stack in the loop, 64-
 * or 32-bit compares, sometimes a second test that may leave first;
 * elements of 1, 2, 4 and 8 bytes; 32-bit sums of big-endian words (two
 * byte loads, as clang builds them) and of ldxh words; random lengths
 * (including those that leave a tail, and 0 for top-tested loops); copies
 * whose source and destination overlap by small distances both ways (a
 * forward copy with a distance below the block feeds itself, which the
 * preamble must leave to the ordinary loop); compares with the first
 * difference at any place or none, in the simple and in clang's rotated
 * shape (entered by a jump into the middle).  Each program ends by
 * folding r0-r9 into r0, so every register at the exit counts, and the
 * whole buffer is compared too.  Some programs must get the preamble
 * (checked with ub_loop_idiom_find and the SSE bytes in the code), so the
 * test can fail.
 *
 * A compare loop may stop at a difference right before memory that is
 * not mapped: the preamble must not read past what the ordinary loop
 * reads.  A page with no access after the buffer (Linux) checks that.
 * XL_TRACE=1 in the environment prints each trial's shape before it runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "testlib.h"
#include "tl_rng.h"
#include "exec/jit_internal.h"
#if defined(__linux__)
#include <sys/mman.h>
#endif

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
#define MAXN 200
#define BUF 16384
#define TRIALS 4000

#if defined(__x86_64__)
static struct userbpf_rt *rt;

struct gp {
	struct userbpf_insn in[MAXN];
	size_t n;
	/* jumps to fix: slot, label */
	size_t jslot[16], jlab[16], nj;
	size_t lab[16];
};

static void put(struct gp *p, unsigned code, unsigned dst, unsigned src, int off, int32_t imm)
{
	if (p->n < MAXN)
		p->in[p->n++] = (struct userbpf_insn)INSN(code, dst, src, off, imm);
}

static void lddw(struct gp *p, unsigned dst, uint64_t v)
{
	put(p, 0x18, dst, 0, 0, (int32_t)(uint32_t)v);
	put(p, 0x00, 0, 0, 0, (int32_t)(v >> 32));
}

/* a jump to label l (fixed up at the end) */
static void jmp(struct gp *p, unsigned code, unsigned dst, unsigned src, int32_t imm, size_t l)
{
	p->jslot[p->nj] = p->n;
	p->jlab[p->nj++] = l;
	put(p, code, dst, src, 0, imm);
}

static void label(struct gp *p, size_t l)
{
	p->lab[l] = p->n;
}

static void fixup(struct gp *p)
{
	for (size_t k = 0; k < p->nj; k++)
		p->in[p->jslot[k]].off = (int16_t)((int64_t)p->lab[p->jlab[k]] - (int64_t)p->jslot[k] - 1);
}

static const uint8_t szc[9] = { [1] = 0x10, [2] = 0x08, [4] = 0x00, [8] = 0x18 };

enum { K_SET, K_IOTA, K_SETREG, K_COPY, K_CMP, K_CMP_ROT, K_SUM_BE, K_SUM_H, K__N };
enum { L_HEAD, L_OUT, L_DIFF, L_END, L_BODY };

struct shape {
	int kind;
	unsigned w, n;		/* element size, elements */
	int off0, off1;		/* byte offsets of the streams in the buffer */
	bool ptr;		/* pointer IVs (else an index off r1) */
	int cstep;		/* the counter's step */
	int64_t c0;		/* the counter's start */
	bool top;		/* test at the top */
	bool eqform;		/* bottom test as `== out; goto head` */
	bool bound_reg, w32;
	int32_t imm;		/* set: the value */
	bool rel;		/* the index test is < <= > >= (else == !=) */
	bool le;		/* ... <= or >= */
	bool guard;		/* a second test: if r2 > g (< g) goto out */
	int64_t g, bound;	/* the guard's bound; the index test's */
	bool bmem;		/* the bound is reloaded from the stack */
	bool accmov;		/* sum: w5 += w6; ...; w6 = w5 (else w6 += w5) */
};

/* The index test: `if r2 OP bound goto l` with OP the relation that
 * stays (stay) or leaves. */
static void itest(struct gp *p, const struct shape *s, bool stay, size_t l)
{
	unsigned cls = s->w32 ? 0x06 : 0x05, op;

	if (s->bmem)
		put(p, 0x79, 9, 10, -8, 0);			/* r9 = *(u64 *)(r10 - 8) */
	if (!s->rel)
		op = stay ? 0x50 : 0x10;
	else if (s->cstep > 0)
		op = s->le ? (stay ? 0xb0 : 0x20) : (stay ? 0xa0 : 0x30);
	else
		op = s->le ? (stay ? 0x30 : 0xa0) : (stay ? 0x20 : 0xb0);
	if (s->bound_reg || s->bmem)
		jmp(p, cls | op | 0x08, 2, 9, 0, l);
	else
		jmp(p, cls | op, 2, 0, (int32_t)s->bound, l);
}

/*
 * Registers: r1 the buffer, r2 the counter, r3/r4 pointer IVs (ptr) or
 * r3 = address temp (index form, the counter is then the byte index),
 * r5/r6 loaded values, r7 a set value, r9 the bound when in a register.
 */
static void gen(struct gp *p, const struct shape *s, struct tl_rng *r)
{
	unsigned w = s->w, sz = szc[w];
	int64_t bound;
	int d0 = s->off0, d1 = s->off1;

	p->n = p->nj = 0;
	for (unsigned k = 0; k <= 9; k++)
		if (k != 1)
			lddw(p, k, tl_rnd(r));
	lddw(p, 7, (uint64_t)(int64_t)s->imm);
	if (s->ptr) {
		put(p, 0xbf, 3, 1, 0, 0);		/* r3 = r1 + off0 */
		put(p, 0x07, 3, 0, 0, d0);
		put(p, 0xbf, 4, 1, 0, 0);
		put(p, 0x07, 4, 0, 0, d1);
		d0 = d1 = 0;
	} else {
		/* the counter is the byte index (or element index << log2 w) */
		d0 -= (int)s->c0 * (s->cstep == 1 ? (int)w : 1);
		d1 -= (int)s->c0 * (s->cstep == 1 ? (int)w : 1);
	}
	lddw(p, 2, (uint64_t)s->c0);
	bound = s->bound;
	if (s->w32)
		bound = (int64_t)(uint32_t)bound;
	if (s->bound_reg || s->bmem)
		lddw(p, 9, (uint64_t)bound);
	if (s->bmem)
		put(p, 0x7b, 10, 9, -8, 0);			/* *(u64 *)(r10 - 8) = r9 */
	if (s->kind == K_CMP_ROT)
		jmp(p, 0x05, 0, 0, 0, L_BODY);		/* goto body */
	label(p, L_HEAD);
	if (s->kind == K_CMP_ROT) {
		/* clang's rotated compare: the latch block, then the body */
		put(p, 0xb7, 5, 0, 0, 0);
		put(p, 0x07, 2, 0, 0, s->cstep);
		if (s->ptr) {
			put(p, 0x07, 3, 0, 0, (int32_t)w);
			put(p, 0x07, 4, 0, 0, (int32_t)w);
		}
		itest(p, s, true, L_BODY);
		jmp(p, 0x05, 0, 0, 0, L_OUT);
		label(p, L_BODY);
	}
	if (s->top)
		itest(p, s, false, L_OUT);
	/* the addresses: r3 (+ d0) and r4 or r3 (+ d1) */
	if (!s->ptr) {
		put(p, 0xbf, 3, 2, 0, 0);			/* r3 = r2 */
		if (s->cstep == 1 && w > 1)
			put(p, 0x67, 3, 0, 0, w == 2 ? 1 : w == 4 ? 2 : 3); /* <<= */
		put(p, 0x0f, 3, 1, 0, 0);			/* r3 += r1 */
	}
	{
		unsigned b0 = 3, b1 = s->ptr ? 4 : 3;

		switch (s->kind) {
		case K_SET:
			put(p, 0x62 | sz, b0, 0, (int16_t)d0, s->imm);	/* st */
			break;
		case K_IOTA:
			put(p, 0x63 | sz, b0, 2, (int16_t)d0, 0);		/* stx r2 */
			break;
		case K_SETREG:
			put(p, 0x63 | sz, b0, 7, (int16_t)d0, 0);		/* stx r7 */
			break;
		case K_COPY:
			put(p, 0x61 | sz, 5, b0, (int16_t)d0, 0);		/* ldx */
			put(p, 0x63 | sz, b1, 5, (int16_t)d1, 0);		/* stx */
			break;
		case K_SUM_BE:
			/* clang's be16: two byte loads, << 8, |, += */
			put(p, 0x71, 7, b0, (int16_t)(d0 + 1), 0);
			put(p, 0x71, 5, b0, (int16_t)d0, 0);
			put(p, 0x64, 5, 0, 0, 8);			/* w5 <<= 8 */
			put(p, 0x4c, 5, 7, 0, 0);			/* w5 |= w7 */
			put(p, 0x0c, 5, 6, 0, 0);			/* w5 += w6 */
			break;
		case K_SUM_H:
			put(p, 0x69, 5, b0, (int16_t)d0, 0);		/* ldxh */
			if (s->accmov)
				put(p, 0x0c, 5, 6, 0, 0);		/* w5 += w6 */
			else
				put(p, 0x0c, 6, 5, 0, 0);		/* w6 += w5 */
			break;
		default:
			put(p, 0x61 | sz, 5, b0, (int16_t)d0, 0);
			put(p, 0x61 | sz, 6, b1, (int16_t)d1, 0);
			if (s->kind == K_CMP_ROT) {
				jmp(p, (w <= 4 && s->w32 ? 0x06 : 0x05) | 0x10 | 0x08, 5, 6, 0, L_HEAD);
				jmp(p, 0x05, 0, 0, 0, L_DIFF);
			} else {
				jmp(p, (w <= 4 && s->w32 ? 0x06 : 0x05) | 0x50 | 0x08, 5, 6, 0, L_DIFF);
			}
			break;
		}
	}
	if (s->kind != K_CMP_ROT) {
		if (s->guard) {
			/* if r2 > g goto out (< g when counting down) */
			if (s->g & 1) {
				put(p, 0xb7, 0, 0, 0, (int32_t)s->g);	/* r0 = g */
				jmp(p, s->cstep > 0 ? 0x2d : 0xad, 2, 0, 0, L_OUT);
			} else {
				jmp(p, s->cstep > 0 ? 0x25 : 0xa5, 2, 0, (int32_t)s->g, L_OUT);
			}
		}
		put(p, 0x07, 2, 0, 0, s->cstep);
		if (s->ptr) {
			put(p, 0x07, 3, 0, 0, (int32_t)w);
			put(p, 0x07, 4, 0, 0, (int32_t)w);
		}
		if ((s->kind == K_SUM_BE || (s->kind == K_SUM_H && s->accmov)))
			put(p, 0xbc, 6, 5, 0, 0);			/* w6 = w5 */
		if (s->top) {
			jmp(p, 0x05, 0, 0, 0, L_HEAD);
		} else if (s->eqform) {
			itest(p, s, false, L_OUT);
			jmp(p, 0x05, 0, 0, 0, L_HEAD);
		} else {
			itest(p, s, true, L_HEAD);
		}
	}
	label(p, L_OUT);
	put(p, 0xb7, 8, 0, 0, 1);
	jmp(p, 0x05, 0, 0, 0, L_END);
	label(p, L_DIFF);
	put(p, 0xb7, 8, 0, 0, 2);
	label(p, L_END);
	/* r0 = a fold of r0-r9 */
	for (unsigned k = 1; k <= 9; k++) {
		put(p, 0x27, 0, 0, 0, 0x5bd1e995);		/* r0 *= */
		put(p, 0xaf, 0, k, 0, 0);			/* r0 ^= rk */
	}
	put(p, 0x95, 0, 0, 0, 0);
	fixup(p);
}

/* A random shape whose accesses stay inside [lo, hi) of the buffer. */
static void pick(struct shape *s, struct tl_rng *r, int lo, int hi)
{
	static const unsigned ws[4] = { 1, 2, 4, 8 };
	int span;

	memset(s, 0, sizeof(*s));
	s->kind = (int)tl_rn(r, K__N);
	s->w = s->kind >= K_SUM_BE ? 2 : ws[tl_rn(r, 4)];
	s->accmov = tl_rn(r, 2);
	switch (tl_rn(r, 4)) {
	case 0: s->n = tl_rn(r, 8); break;
	case 1: s->n = tl_rn(r, 70); break;
	default: s->n = tl_rn(r, 600); break;
	}
	s->top = s->kind != K_CMP_ROT && tl_rn(r, 4) == 0;
	if (!s->top && s->kind != K_CMP_ROT && !s->n)
		s->n = 1;	/* a bottom-tested loop runs at least once */
	if (s->kind == K_CMP_ROT && !s->n)
		s->n = 1;
	s->ptr = tl_rn(r, 2);
	{
		static const int steps[] = { 1, -1, 2, -2, 8, -8 };

		s->cstep = s->ptr ? steps[tl_rn(r, 6)] : tl_rn(r, 2) ? 1 : (int)s->w;
	}
	s->c0 = tl_rn(r, 3) ? (int64_t)tl_rn(r, 64) : -(int64_t)tl_rn(r, 1000);
	if (!s->ptr && s->c0 < 0)
		s->c0 = -s->c0;
	s->eqform = tl_rn(r, 2);
	s->bound_reg = tl_rn(r, 3) == 0;
	s->bmem = tl_rn(r, 4) == 0;
	s->w32 = tl_rn(r, 4) == 0 && s->c0 >= 0;
	s->rel = tl_rn(r, 2);
	s->le = tl_rn(r, 2);
	s->guard = s->kind != K_CMP_ROT && tl_rn(r, 4) == 0;
	{
		int64_t st = s->cstep, a = st < 0 ? -st : st, n = s->n;

		if (s->rel) {
			/* unsigned relations: keep every value of r2 >= 0 */
			s->w32 = false;
			if (st < 0)
				s->c0 = n * a + a + tl_rn(r, 100);
			else if (s->c0 < 0)
				s->c0 = -s->c0;
			if (st > 0)
				s->bound = s->le ? s->c0 + (n - 1) * st + tl_rn(r, (uint32_t)a)
						 : s->c0 + n * st - tl_rn(r, (uint32_t)a);
			else
				s->bound = s->le ? s->c0 + (n - 1) * st - tl_rn(r, (uint32_t)a)
						 : s->c0 + n * st + tl_rn(r, (uint32_t)a);
		} else {
			s->bound = s->c0 + n * st;
		}
		/* the guard may leave before the index test does */
		s->g = s->c0 + st * ((int64_t)tl_rn(r, (uint32_t)n + 4) - 2);
		if (s->guard && (s->g < 0 || (st > 0 && s->c0 < 0)))
			s->guard = false;
	}
	s->imm = tl_rn(r, 2) ? (int32_t)tl_rn(r, 256) : (int32_t)(uint32_t)tl_rnd(r);
	span = (int)(s->n * s->w);
	s->off0 = lo + (int)tl_rn(r, (uint32_t)(hi - lo - span - 64));
	if (s->kind == K_COPY && tl_rn(r, 2)) {
		/* close: overlapping either way */
		s->off1 = s->off0 + (int)tl_rn(r, 81) - 40;
	} else {
		s->off1 = lo + (int)tl_rn(r, (uint32_t)(hi - lo - span - 64));
	}
	if (s->off1 < lo)
		s->off1 = lo;
	if (s->off1 + span > hi)
		s->off1 = hi - span;
}

/* Runs in[] on buf in engine e: r0, or a marker on error. */
static uint64_t run(struct userbpf_prog *prog, enum userbpf_engine e, uint8_t *buf)
{
	struct userbpf_run_opts o = { .sz = sizeof(o), .engine = e };
	uint64_t ret = 0;
	int err;

	o.args[0] = (uint64_t)(uintptr_t)buf;
	o.args[1] = BUF;
	err = userbpf_prog__run(prog, &o, &ret);
	return err ? 0xdead0000u + (uint64_t)-err : ret;
}

static bool code_has_sse(const struct userbpf_prog *p)
{
	const uint8_t *c = p->jit_code;

	for (size_t k = 0; c && k + 3 <= p->jit_len; k++)
		if (c[k] == 0xf3 && (c[k + 1] & 0xf0) == 0x40 && c[k + 2] == 0x0f &&
		    (c[k + 3] == 0x6f || c[k + 3] == 0x7f))
			return true;
		else if (c[k] == 0xf3 && c[k + 1] == 0x0f && (c[k + 2] == 0x6f || c[k + 2] == 0x7f))
			return true;
	return false;
}

/* Fills the buffer; compare shapes get equal streams up to a random
 * place (or all the way). */
static void fill(uint8_t *buf, const struct shape *s, struct tl_rng *r)
{
	for (size_t k = 0; k < BUF; k += 8) {
		uint64_t v = tl_rnd(r);
		memcpy(buf + k, &v, 8);
	}
	if (s->kind == K_CMP || s->kind == K_CMP_ROT) {
		size_t span = (size_t)s->n * s->w, eq = tl_rn(r, 3) ? tl_rn(r, (uint32_t)span + 1) : span;

		memmove(buf + s->off1, buf + s->off0, span);
		if (eq < span)
			buf[s->off1 + eq] ^= (uint8_t)(1u << tl_rn(r, 8));
	}
}

static void random_loops(void)
{
	static uint8_t init[BUF], a[BUF], b[BUF];
	struct tl_rng r = { 0x100b5 };
	unsigned bad = 0, recog = 0, sse = 0, kinds = 0, fails = 0, feats = 0;
	char name[160];

	for (unsigned t = 0; t < TRIALS; t++) {
		struct shape s;
		struct gp p;
		struct userbpf_prog_opts po = { .sz = sizeof(po) };
		struct userbpf_prog *prog;
		uint64_t ri, rj;
		bool found = false;

		pick(&s, &r, 64, BUF - 64);
		gen(&p, &s, &r);
		fill(init, &s, &r);
		prog = userbpf_prog__load(rt, p.in, p.n, &po);
		if (!prog) {
			fails++;
			continue;
		}
		userbpf_prog__set_trusted(prog, true);
		for (size_t x = 0; x < prog->cnt; x++) {
			struct ub_loop_idiom l;

			found |= ub_loop_idiom_find(prog, x, &l);
		}
		if (getenv("XL_TRACE"))
			fprintf(stderr, "trial %u kind %d w %u n %u off %d/%d ptr %d step %d c0 %lld top %d eq %d breg %d w32 %d rel %d le %d guard %d g %lld bmem %d\n",
				t, s.kind, s.w, s.n, s.off0, s.off1, s.ptr, s.cstep, (long long)s.c0,
				s.top, s.eqform, s.bound_reg, s.w32, s.rel, s.le, s.guard, (long long)s.g, s.bmem);
		/* both engines on buffer a: registers may hold pointers */
		memcpy(a, init, BUF);
		ri = run(prog, USERBPF_ENGINE_INTERPRETER, a);
		memcpy(b, a, BUF);
		memcpy(a, init, BUF);
		rj = run(prog, USERBPF_ENGINE_JIT, a);
		if (ri != rj || memcmp(a, b, BUF)) {
			if (bad++ < 5)
				tl_fail("loop idiom: JIT equals interpreter",
					"trial %u kind %d w %u n %u off %d/%d ptr %d step %d c0 %lld top %d eq %d breg %d w32 %d rel %d le %d guard %d g %lld bmem %d: r0 %llx vs %llx, memory %s",
					t, s.kind, s.w, s.n, s.off0, s.off1, s.ptr, s.cstep, (long long)s.c0,
					s.top, s.eqform, s.bound_reg, s.w32, s.rel, s.le, s.guard,
					(long long)s.g, s.bmem, (unsigned long long)ri,
					(unsigned long long)rj, memcmp(a, b, BUF) ? "differs" : "same");
		}
		recog += found;
		if (found && code_has_sse(prog)) {
			sse++;
			kinds |= 1u << (2 * s.kind + s.ptr);
			feats |= (s.rel ? 1u : 0) | (s.guard ? 2u : 0) | (s.bmem ? 4u : 0);
		}
		userbpf_prog__free(prog);
	}
	snprintf(name, sizeof(name), "%u random loops: JIT equals interpreter (r0-r9 and memory)", TRIALS);
	TL_EQ_U64(name, bad + fails, 0);
	snprintf(name, sizeof(name), "loop idioms recognised in %u of %u, with SSE code in %u", recog,
		 TRIALS, sse);
	TL_CHECK(name, recog > TRIALS / 2 && sse > TRIALS / 3);
	TL_EQ_U64("every kind (set, iota, set from a register, copy, compare, rotated compare, "
		  "big-endian and ldxh 16-bit sums), with an index and with pointers, got SSE code",
		  kinds, (1u << 2 * K__N) - 1);
	TL_EQ_U64("relational index tests, a second test, a bound reloaded from the stack: SSE code",
		  feats, 7);
}

/* A compare that stops at a difference in the last bytes before a page
 * with no access, with a bound far beyond it. */
static void guard_page(void)
{
#if defined(__linux__)
	size_t pg = 4096;
	uint8_t *m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned bad = 0, runs = 0, sse = 0;

	if (m == MAP_FAILED || mprotect(m + 2 * pg, pg, PROT_NONE)) {
		tl_skip("compare loop stops before a page with no access", "mmap/mprotect failed");
		return;
	}
	for (unsigned w = 1; w <= 8; w *= 2) {
		for (unsigned back = 1; back <= 40; back++) {
			/* streams: A ends at the guard page, B one page lower */
			struct gp p;
			struct shape s = { .kind = K_CMP, .w = w, .n = 512, .ptr = true, .cstep = 1,
					   .bound = 512 };
			struct tl_rng r = { back * 16 + w };
			struct userbpf_prog_opts po = { .sz = sizeof(po) };
			struct userbpf_prog *prog;
			size_t a0 = 2 * pg - ((back + w - 1) / w) * w; /* the last element before the guard */
			uint8_t *buf = m;
			uint64_t ri, rj;

			/* start 300 elements before, difference in the last */
			s.off0 = (int)(a0 - 300 * w);
			s.off1 = (int)(s.off0 - (int)pg + (int)(back % 7));
			gen(&p, &s, &r);
			memset(m, 0x11, 2 * pg);
			m[a0 + w - 1] ^= 0x40;	/* differs in the last element */
			prog = userbpf_prog__load(rt, p.in, p.n, &po);
			if (!prog) {
				bad++;
				continue;
			}
			userbpf_prog__set_trusted(prog, true);
			/* the program's buffer argument is m; BUF is not used */
			ri = run(prog, USERBPF_ENGINE_INTERPRETER, buf);
			rj = run(prog, USERBPF_ENGINE_JIT, buf);
			bad += ri != rj;
			runs++;
			sse += code_has_sse(prog);
			userbpf_prog__free(prog);
		}
	}
	munmap(m, 4 * pg);
	TL_CHECK("compare loops stop at a difference before a page with no access, as the interpreter",
		 !bad && runs);
	TL_CHECK("... and those loops got SSE code", sse == runs);
#else
	tl_skip("compare loop stops before a page with no access", "needs mmap");
#endif
}

/* With constant blinding no preamble is emitted (its constants would
 * be the program's), and the result is the same. */
static void blinded(void)
{
	struct shape s = { .kind = K_COPY, .w = 1, .n = 500, .off0 = 100, .off1 = 3000, .cstep = 1,
			   .bound = 500 };
	struct tl_rng r = { 7 };
	struct gp p;
	struct userbpf_prog_opts po = { .sz = sizeof(po), .jit_blind = true };
	struct userbpf_prog *prog;
	static uint8_t a[BUF], b[BUF];
	uint64_t ri, rj;

	gen(&p, &s, &r);
	prog = userbpf_prog__load(rt, p.in, p.n, &po);
	if (!prog) {
		tl_fail("blinded copy loop", "load failed");
		return;
	}
	userbpf_prog__set_trusted(prog, true);
	memset(a, 0x33, BUF);
	memset(b, 0x33, BUF);
	for (size_t k = 0; k < BUF; k++)
		a[k] = b[k] = (uint8_t)(k * 7);
	ri = run(prog, USERBPF_ENGINE_INTERPRETER, a);
	memcpy(b, a, BUF);
	for (size_t k = 0; k < BUF; k++)
		a[k] = (uint8_t)(k * 7);
	rj = run(prog, USERBPF_ENGINE_JIT, a);
	TL_CHECK("blinded copy loop: JIT equals interpreter", ri == rj && !memcmp(a, b, BUF));
	TL_CHECK("blinded copy loop: no SSE preamble", prog->jit_code && !code_has_sse(prog));
	userbpf_prog__free(prog);
}

int main(void)
{
	rt = userbpf_rt__new(NULL);
	if (!rt) {
		tl_fail("runtime", "no memory");
		return tl_exit();
	}
	random_loops();
	guard_page();
	blinded();
	userbpf_rt__free(rt);
	return tl_exit();
}
#else
int main(void)
{
	tl_skip("x86 loop idioms", "not an x86-64 host");
	return tl_exit();
}
#endif
