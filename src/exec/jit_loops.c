/* SPDX-License-Identifier: MIT */
/*
 * jit_loops.c - finds the loops of a program that are exactly a memset, a
 * memcpy, a store of a counter (iota) or a memcmp-style scan for the first
 * difference, so that a back end can run most of their iterations as a
 * block operation (jit_internal.h: struct ub_loop_idiom says what a back
 * end may then do, and on what it must check at run time).
 *
 * The loop is found as a cycle: from the candidate instruction x, follow
 * the straight-line code, jumps, and at each conditional jump the side
 * that stays in the loop (the side is set by the kind of test: an index
 * test stays on "not equal to the bound", a compare of two loaded values
 * on "equal"), until x comes round again.  Meanwhile every register is
 * kept as an affine function of the registers' values at x,
 *     c + sum k[r] * R[r]   (mod 2^64),
 * or as "opaque" (the result of a load, of anything non-affine).  At the
 * end of the cycle a register that was not written is invariant; one
 * whose value is R[r] + s is an induction variable (IV) with step s; any
 * other written register is a temporary, which must not be read before
 * the cycle writes it and must be written before the cycle's first exit
 * test: then its value at x is dead, and whatever the loop leaves in it at
 * an exit comes from the last iteration, which the back end always leaves
 * to its ordinary code.
 *
 * Accepted shapes (exactly these memory accesses in the cycle):
 *   set/iota: one store, of a constant or of an invariant or IV (+ c);
 *   copy:     one load and, after it, one store of the loaded value;
 *   compare:  two loads, and a test that stays while they are equal;
 * each access of width w whose address advances by exactly w per
 * iteration, and one test of an IV against a constant or an invariant
 * register with == / != (64 or 32 bits).  Anything else - calls, atomics,
 * ALU32 results used as addresses, a second store - and there is no idiom.
 */
#include <string.h>
#include "exec/jit_internal.h"

#define LOOP_MAX_STEPS 48

/* An affine value c + sum k[r] * R[r] of the registers at the head. */
struct sx {
	int64_t c;
	int64_t k[11];
	bool opaque;
	int8_t load;		/* >= 0: exactly what load #load read */
};

struct scan {
	struct sx r[11];
	uint16_t written, rbw;	/* written in the cycle; read before written */
	uint16_t written_at_exit; /* written before the first exit test */
	bool seen_exit;
	bool jumped;		/* the last step went by a jump */
	int nload, nstore, nivt, ncmp;
	struct { struct sx a; uint8_t w; size_t at; } ld[2];
	struct { struct sx a, v; uint8_t w; size_t at; } st;
	struct { struct sx v, n; bool w32; } ivt;
};

static void sx_const(struct sx *e, int64_t c)
{
	memset(e, 0, sizeof(*e));
	e->c = c;
	e->load = -1;
}

static void sx_opaque(struct sx *e)
{
	sx_const(e, 0);
	e->opaque = true;
}

/* Reads register r: its value so far (R[r] itself if not yet written). */
static struct sx sc_get(struct scan *s, unsigned r)
{
	if (!((s->written >> r) & 1))
		s->rbw |= (uint16_t)(1u << r);
	return s->r[r];
}

static void sc_set(struct scan *s, unsigned r, const struct sx *e)
{
	s->r[r] = *e;
	s->written |= (uint16_t)(1u << r);
}

static void sx_add(struct sx *a, const struct sx *b, int64_t sign)
{
	if (a->opaque || b->opaque) {
		sx_opaque(a);
		return;
	}
	a->load = -1;
	a->c = (int64_t)((uint64_t)a->c + (uint64_t)sign * (uint64_t)b->c);
	for (int r = 0; r < 11; r++)
		a->k[r] = (int64_t)((uint64_t)a->k[r] + (uint64_t)sign * (uint64_t)b->k[r]);
}

static void sx_mul(struct sx *a, uint64_t m)
{
	if (a->opaque) {
		sx_opaque(a);
		return;
	}
	a->load = -1;
	a->c = (int64_t)((uint64_t)a->c * m);
	for (int r = 0; r < 11; r++)
		a->k[r] = (int64_t)((uint64_t)a->k[r] * m);
}

/* The symbols (registers) a value depends on. */
static uint16_t sx_syms(const struct sx *e)
{
	uint16_t m = 0;

	for (int r = 0; r < 11; r++)
		if (e->k[r])
			m |= (uint16_t)(1u << r);
	return m;
}

/* Whether e is R[r] + c for one r (returned), else -1. */
static int sx_single(const struct sx *e)
{
	uint16_t m = sx_syms(e);

	if (e->opaque || !m || (m & (m - 1)))
		return -1;
	for (int r = 0; r < 11; r++)
		if ((m >> r) & 1)
			return e->k[r] == 1 ? r : -1;
	return -1;
}

/* One instruction of the cycle; *next gets the next pc, or the scan fails
 * (false).  Exit tests set which way stays in the loop. */
static bool sc_step(struct scan *s, const struct userbpf_prog *p, size_t pc, size_t *next)
{
	const struct ub_dinsn *d = &p->d[pc];
	const struct ub_opinfo *oi;
	struct sx a, b;
	uint8_t fmt;
	int op;

	if (d->op >= UB_OP__COUNT)
		return false;
	oi = &ub_opinfo[d->op];
	fmt = oi->fmt;
	op = oi->code & 0xf0;
	*next = pc + 1;
	s->jumped = false;
	switch (fmt) {
	case F_ALU_K: case F_ALU_X: {
		bool w = UB_CLASS(oi->code) == UB_CLS_ALU64, k = fmt == F_ALU_K;

		if (d->dst == 10)
			return false;
		if (k)
			sx_const(&b, w ? d->imm : (int64_t)(uint32_t)d->imm);
		else
			b = sc_get(s, d->src);
		if (op == 0xb0) {	/* mov */
			if (!w && !k)
				sx_opaque(&b);
			sc_set(s, d->dst, &b);
			return true;
		}
		a = sc_get(s, d->dst);
		if (!w) {
			sx_opaque(&a);
		} else if (op == 0x00 || op == 0x10) {
			sx_add(&a, &b, op == 0x00 ? 1 : -1);
		} else if (op == 0x60 && k && d->imm >= 0 && d->imm < 64) {
			sx_mul(&a, 1ull << d->imm);
		} else if (op == 0x20 && k) {
			sx_mul(&a, (uint64_t)d->imm);
		} else {
			sx_opaque(&a);
		}
		sc_set(s, d->dst, &a);
		return true;
	}
	case F_NEG: case F_END: case F_BSWAP: case F_MOVSX:
		if (d->dst == 10)
			return false;
		(void)sc_get(s, fmt == F_MOVSX ? d->src : d->dst);
		sx_opaque(&a);
		sc_set(s, d->dst, &a);
		return true;
	case F_LDX:
		if (s->nload == 2 || d->dst == 10)
			return false;
		a = sc_get(s, d->src);
		if (a.opaque)
			return false;
		sx_add(&a, &(struct sx){ .c = d->off, .load = -1 }, 1);
		s->ld[s->nload].a = a;
		s->ld[s->nload].w = oi->width;
		s->ld[s->nload].at = pc;
		sx_opaque(&b);
		b.load = (int8_t)s->nload++;
		sc_set(s, d->dst, &b);
		return true;
	case F_ST: case F_STX:
		if (s->nstore == 1)
			return false;
		a = sc_get(s, d->dst);
		if (a.opaque)
			return false;
		sx_add(&a, &(struct sx){ .c = d->off, .load = -1 }, 1);
		if (fmt == F_ST)
			sx_const(&b, d->imm);
		else
			b = sc_get(s, d->src);
		s->st.a = a;
		s->st.v = b;
		s->st.w = oi->width;
		s->st.at = pc;
		s->nstore++;
		return true;
	case F_JA: case F_JA32:
		*next = (size_t)d->off;
		s->jumped = true;
		return true;
	case F_JMP_K: case F_JMP_X: {
		bool w32 = UB_CLASS(oi->code) == UB_CLS_JMP32;
		bool eq = op == 0x10;
		bool stay_taken;

		if (op != 0x10 && op != 0x50)
			return false;	/* only == and != */
		if ((size_t)d->off == pc + 1)
			return false;
		a = sc_get(s, d->dst);
		if (fmt == F_JMP_K)
			sx_const(&b, w32 ? (int64_t)(uint32_t)d->imm : d->imm);
		else
			b = sc_get(s, d->src);
		if (a.opaque && b.opaque) {
			/* two loaded values: stay while equal */
			if (a.load < 0 || b.load < 0 || a.load == b.load || s->ncmp)
				return false;
			if (s->ld[a.load].w != s->ld[b.load].w || (w32 && s->ld[a.load].w > 4))
				return false;
			s->ncmp++;
			stay_taken = eq;
		} else if (!a.opaque && !b.opaque) {
			/* an IV against a bound: stay while not equal; which is
			 * which is sorted out at the end */
			if (s->nivt)
				return false;
			s->ivt.v = a;
			s->ivt.n = b;
			s->ivt.w32 = w32;
			s->nivt++;
			stay_taken = !eq;
		} else {
			return false;
		}
		if (!s->seen_exit) {
			s->seen_exit = true;
			s->written_at_exit = s->written;
		}
		*next = stay_taken ? (size_t)d->off : pc + 1;
		s->jumped = stay_taken;
		return true;
	}
	default:
		return false;
	}
}

/* log2 of v when v is a power of 2 up to 2^30, else -1. */
static int log2_small(uint64_t v)
{
	for (int l = 0; l <= 30; l++)
		if (v == 1ull << l)
			return l;
	return -1;
}

/* An address of the head's registers as base + index * 2^scale + disp. */
static bool to_addr(const struct sx *e, struct ub_loop_addr *out)
{
	int8_t base = -1, index = -1;
	uint8_t scale = 0;

	if (e->opaque || e->c < INT32_MIN / 2 || e->c > INT32_MAX / 2)
		return false;
	for (int r = 0; r < 11; r++) {
		int l;

		if (!e->k[r])
			continue;
		l = e->k[r] > 0 ? log2_small((uint64_t)e->k[r]) : -1;
		if (l < 0 || l > 3)
			return false;
		if (l == 0 && base < 0) {
			base = (int8_t)r;
		} else if (index < 0) {
			index = (int8_t)r;
			scale = (uint8_t)l;
		} else {
			return false;
		}
	}
	if (base < 0 && index >= 0 && scale == 0) {
		base = index;
		index = -1;
	}
	if (base < 0)
		return false;	/* a constant address, or only a scaled index */
	out->base = base;
	out->index = index;
	out->scale = scale;
	out->disp = (int32_t)e->c;
	return true;
}

/* How much e grows per iteration, given the IV steps. */
static int64_t stride(const struct sx *e, const int64_t step[11])
{
	uint64_t v = 0;

	for (int r = 0; r < 11; r++)
		v += (uint64_t)e->k[r] * (uint64_t)step[r];
	return (int64_t)v;
}

bool ub_loop_idiom_find(const struct userbpf_prog *p, size_t x, struct ub_loop_idiom *out)
{
	struct scan s;
	struct sx t;
	size_t pc = x, next, last = x;
	int64_t step[11] = { 0 };
	uint16_t ivs = 0, temps;
	int steps = 0, ivr, nr;

	memset(&s, 0, sizeof(s));
	memset(out, 0, sizeof(*out));
	for (int r = 0; r < 11; r++) {
		sx_const(&s.r[r], 0);
		s.r[r].k[r] = 1;
	}
	do {
		if (pc >= p->cnt || ++steps > LOOP_MAX_STEPS || !sc_step(&s, p, pc, &next))
			return false;
		last = pc;
		pc = next;
	} while (pc != x);
	/* the edge back to x must be a jump, so that code placed before x
	 * runs only when the loop is entered */
	if (!s.jumped)
		return false;
	if (s.nivt != 1)
		return false;
	/* classify the registers */
	for (int r = 0; r < 10; r++) {
		const struct sx *e = &s.r[r];

		if (!((s.written >> r) & 1))
			continue;
		if (!e->opaque && sx_syms(e) == (1u << r) && e->k[r] == 1 && e->c) {
			ivs |= (uint16_t)(1u << r);
			step[r] = e->c;
		}
	}
	temps = (uint16_t)(s.written & ~ivs);
	if ((temps & s.rbw) || (temps & ~s.written_at_exit))
		return false;
	/* the index test: one side an IV (+ c), the other invariant */
	ivr = sx_single(&s.ivt.v);
	nr = sx_single(&s.ivt.n);
	if (ivr >= 0 && ((ivs >> ivr) & 1) && !(sx_syms(&s.ivt.n) & s.written)) {
		/* as it is */
	} else if (nr >= 0 && ((ivs >> nr) & 1) && !(sx_syms(&s.ivt.v) & s.written)) {
		t = s.ivt.n;
		s.ivt.n = s.ivt.v;
		s.ivt.v = t;
		ivr = nr;
	} else {
		return false;
	}
	nr = sx_single(&s.ivt.n);
	if (sx_syms(&s.ivt.n) && nr < 0)
		return false;
	out->test_reg = (uint8_t)ivr;
	out->test_off = s.ivt.v.c;
	out->test_step = step[ivr];
	out->bound_reg = (int8_t)nr;
	out->bound = s.ivt.n.c;
	out->test32 = s.ivt.w32;
	if (log2_small(step[ivr] < 0 ? (uint64_t)-step[ivr] : (uint64_t)step[ivr]) < 0)
		return false;
	/* the memory accesses */
	if (s.nstore == 1 && s.nload == 0 && !s.ncmp) {
		int vr = sx_single(&s.st.v);

		if (s.st.v.opaque || (sx_syms(&s.st.v) && vr < 0))
			return false;
		out->kind = UB_LOOP_SET;
		out->w = s.st.w;
		out->val_reg = (int8_t)vr;
		out->val = s.st.v.c;
		out->val_step = stride(&s.st.v, step);
		if (!to_addr(&s.st.a, &out->a[0]) || stride(&s.st.a, step) != out->w)
			return false;
	} else if (s.nstore == 1 && s.nload == 1 && !s.ncmp) {
		if (s.st.v.load != 0 || s.st.w != s.ld[0].w || s.st.at < s.ld[0].at)
			return false;
		out->kind = UB_LOOP_COPY;
		out->w = s.st.w;
		if (!to_addr(&s.ld[0].a, &out->a[0]) || !to_addr(&s.st.a, &out->a[1]) ||
		    stride(&s.ld[0].a, step) != out->w || stride(&s.st.a, step) != out->w)
			return false;
	} else if (s.nstore == 0 && s.nload == 2 && s.ncmp == 1) {
		out->kind = UB_LOOP_CMP;
		out->w = s.ld[0].w;
		for (int q = 0; q < 2; q++)
			if (!to_addr(&s.ld[q].a, &out->a[q]) || stride(&s.ld[q].a, step) != out->w)
				return false;
	} else {
		return false;
	}
	out->latch = last;
	out->temps = temps;
	for (int r = 0; r < 10; r++) {
		if ((ivs >> r) & 1) {
			out->iv[out->niv].reg = (uint8_t)r;
			out->iv[out->niv].step = step[r];
			out->niv++;
		}
	}
	return true;
}
