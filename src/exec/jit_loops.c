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
 *   sum16:    w_acc += a 16-bit word (a ldxh, or a big-endian word made
 *             of two byte loads: (b[a] << 8) | b[a + 1]), in 32 bits,
 *             as Internet checksums are summed; no store;
 * each stream of width w whose address advances by exactly w per
 * iteration, and one or two tests of an IV against a constant, an
 * invariant register or a value loaded from an invariant address (in a
 * loop without stores): == / != (64 or 32 bits), or an unsigned < <= >
 * >= (64 bits) in the direction the IV moves.  Anything else - calls,
 * atomics, ALU32 results used as addresses, a second store - and there is
 * no idiom.
 */
#include <stddef.h>
#include <string.h>
#include "exec/jit_internal.h"

#define LOOP_MAX_STEPS 48

/* An affine value c + sum k[r] * R[r] of the registers at the head, or
 * an opaque one; some opaque values are known more precisely (form). */
enum { SX_NONE, SX_SHL8, SX_W16, SX_ACC };

struct sx {
	int64_t c;
	int64_t k[11];
	bool opaque;
	int8_t load;		/* >= 0: exactly what load #load read */
	uint8_t form;		/* SX_SHL8: load #load << 8 (32 bits);
				 * SX_W16: a 16-bit word from load #load (a
				 * ldxh; swap: big-endian, from two byte loads
				 * #load and #load2);
				 * SX_ACC: w[acc] + such a word, zero-extended */
	bool swap;
	int8_t load2, acc;
};

#define MAX_LOADS 4

struct scan {
	uint16_t written, rbw;	/* written in the cycle; read before written */
	uint16_t written_at_exit; /* written before the first exit test */
	bool seen_exit;
	bool jumped;		/* the last step went by a jump */
	int nload, nstore, nivt, ncmp, nacc;
	int cmp_ld[2];		/* the loads a compare test compares */
	/* From here on, each field is written before it is read (as nload,
	 * nstore, nivt and nacc count, and as written says for r[]): a scan
	 * zeroes only what is before ld (most scans stop after a few steps). */
	struct { struct sx a; uint8_t w; size_t at; } ld[MAX_LOADS];
	struct { struct sx a, v; uint8_t w; size_t at; } st;
	/* tests of an IV: stay while v op n (op: the jump's, or its
	 * negation when the loop stays on the fall-through) */
	struct { struct sx v, n; bool w32; uint8_t op; } ivt[2];
	struct sx acc;		/* the one SX_ACC value made */
	struct sx r[11];	/* the written registers (the rest are R[r]) */
};

static void sx_const(struct sx *e, int64_t c)
{
	memset(e, 0, sizeof(*e));
	e->c = c;
	e->load = -1;
	e->load2 = -1;
	e->acc = -1;
}

static void sx_opaque(struct sx *e)
{
	sx_const(e, 0);
	e->opaque = true;
}

/* Reads register r: its value so far (R[r] itself if not yet written). */
static struct sx sc_get(struct scan *s, unsigned r)
{
	struct sx e;

	if ((s->written >> r) & 1)
		return s->r[r];
	s->rbw |= (uint16_t)(1u << r);
	sx_const(&e, 0);
	e.k[r] = 1;
	return e;
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

/* Whether e is exactly R[r] for one r (returned), else -1. */
static int sx_sym(const struct sx *e)
{
	int r = sx_single(e);

	return r >= 0 && !e->c ? r : -1;
}

/* Whether two affine values differ by exactly d. */
static bool sx_diff(const struct sx *a, const struct sx *b, int64_t d)
{
	if (a->opaque || b->opaque || (int64_t)((uint64_t)b->c - (uint64_t)a->c) != d)
		return false;
	for (int r = 0; r < 11; r++)
		if (a->k[r] != b->k[r])
			return false;
	return true;
}

/* a = a OP b in 32 bits: opaque, but for the steps of a 16-bit sum. */
static void sc_alu32(struct scan *s, int op, bool k, struct sx *a, const struct sx *b)
{
	struct sx r;

	sx_opaque(&r);
	if (op == 0x60 && k && b->c == 8 && a->form == SX_NONE && a->load >= 0 &&
	    s->ld[a->load].w == 1) {
		r.form = SX_SHL8;			/* b[x] << 8 */
		r.load = a->load;
	} else if (op == 0x40 && !k) {
		const struct sx *h = a->form == SX_SHL8 ? a : b, *l = h == a ? b : a;

		if (h->form == SX_SHL8 && l->form == SX_NONE && l->load >= 0 &&
		    s->ld[l->load].w == 1 && sx_diff(&s->ld[h->load].a, &s->ld[l->load].a, 1)) {
			r.form = SX_W16;		/* b[x] << 8 | b[x + 1] */
			r.swap = true;
			r.load = h->load;
			r.load2 = l->load;
		}
	} else if (op == 0x00 && !k) {
		const struct sx *t = a, *sym = b;
		int acc;

		if (sx_sym(a) >= 0) {
			t = b;
			sym = a;
		}
		acc = sx_sym(sym);
		if (acc >= 0 && acc < 10 && !s->nacc) {
			if (t->form == SX_W16) {
				r = *t;
			} else if (t->form == SX_NONE && t->load >= 0 && s->ld[t->load].w == 2) {
				r.load = t->load;	/* a ldxh */
				r.swap = false;
			} else {
				*a = r;
				return;
			}
			r.opaque = true;
			r.form = SX_ACC;
			r.acc = (int8_t)acc;
			s->acc = r;
			s->nacc++;
		}
	}
	*a = r;
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
			if (!w && !k && b.form != SX_ACC)
				sx_opaque(&b);
			sc_set(s, d->dst, &b);
			return true;
		}
		a = sc_get(s, d->dst);
		if (!w) {
			sc_alu32(s, op, k, &a, &b);
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
		if (s->nload == MAX_LOADS || d->dst == 10)
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
		bool eq = op == 0x10, rel = op == 0x20 || op == 0x30 || op == 0xa0 || op == 0xb0;
		bool stay_taken;

		if (op != 0x10 && op != 0x50 && !(rel && !w32))
			return false;	/* == and !=; unsigned < <= > >= */
		if ((size_t)d->off == pc + 1)
			return false;
		a = sc_get(s, d->dst);
		if (fmt == F_JMP_K)
			sx_const(&b, w32 ? (int64_t)(uint32_t)d->imm : d->imm);
		else
			b = sc_get(s, d->src);
		if (a.opaque && b.opaque && !rel && a.form == SX_NONE && b.form == SX_NONE) {
			/* two loaded values: stay while equal */
			if (a.load < 0 || b.load < 0 || a.load == b.load || s->ncmp)
				return false;
			if (s->ld[a.load].w != s->ld[b.load].w || (w32 && s->ld[a.load].w > 4))
				return false;
			s->cmp_ld[0] = a.load;
			s->cmp_ld[1] = b.load;
			s->ncmp++;
			stay_taken = eq;
		} else if ((!a.opaque || !b.opaque) && s->nivt < 2) {
			/* an IV against a bound (which is which is sorted out at
			 * the end); == and != stay while not equal, < and the
			 * like on the side that jumps back */
			stay_taken = rel ? (size_t)d->off <= pc : !eq;
			s->ivt[s->nivt].v = a;
			s->ivt[s->nivt].n = b;
			s->ivt[s->nivt].w32 = w32;
			/* the relation that holds while staying */
			s->ivt[s->nivt].op = (uint8_t)(stay_taken ? op : op == 0x20 ? 0xb0 : op == 0x30 ? 0xa0
							 : op == 0xa0 ? 0x30 : op == 0xb0 ? 0x20 : 0x50);
			s->nivt++;
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

/* A test's bound as a test field: an invariant register (+ c), a
 * constant, or a value loaded from an invariant address (in a loop that
 * stores nothing). */
static bool to_bound(const struct scan *s, const struct sx *n, uint16_t written,
		     struct ub_loop_test *t, bool *bound_load)
{
	if (n->opaque) {
		const struct sx *a;
		int base;

		if (n->form != SX_NONE || n->load < 0 || s->nstore)
			return false;
		a = &s->ld[n->load].a;
		base = sx_single(a);
		if (base < 0 || (sx_syms(a) & written) || a->c < INT32_MIN || a->c > INT32_MAX)
			return false;
		t->bound_reg = (int8_t)base;
		t->bound = a->c;
		t->mem = s->ld[n->load].w;
		bound_load[n->load] = true;
		return true;
	}
	if (sx_syms(n) & written)
		return false;
	t->bound_reg = (int8_t)sx_single(n);
	if (sx_syms(n) && t->bound_reg < 0)
		return false;
	t->bound = n->c;
	return true;
}

/*
 * A quick no before the scan proper: the scan follows the code from x
 * exactly so up to the first conditional jump (whose side the values
 * choose), and refuses some instructions whatever the values are.  This
 * walks that stretch checking only those rules of sc_step(), so it
 * answers false only where the scan would; most candidates in code
 * with calls, atomics or lddw end here, without the scan's state.
 */
static bool sc_maybe(const struct userbpf_prog *p, size_t x)
{
	size_t pc = x;
	int nload = 0, nstore = 0;

	for (int steps = 1; steps <= LOOP_MAX_STEPS; steps++) {
		const struct ub_dinsn *d;
		const struct ub_opinfo *oi;
		int op;

		if (pc >= p->cnt || p->d[pc].op >= UB_OP__COUNT)
			return false;
		d = &p->d[pc];
		oi = &ub_opinfo[d->op];
		op = oi->code & 0xf0;
		switch (oi->fmt) {
		case F_ALU_K: case F_ALU_X: case F_NEG: case F_END: case F_BSWAP: case F_MOVSX:
			if (d->dst == 10)
				return false;
			break;
		case F_LDX:
			if (nload++ == MAX_LOADS || d->dst == 10)
				return false;
			break;
		case F_ST: case F_STX:
			if (nstore++ == 1)
				return false;
			break;
		case F_JA: case F_JA32:
			pc = (size_t)d->off;
			if (pc == x)
				return true;
			continue;
		case F_JMP_K: case F_JMP_X: {
			bool rel = op == 0x20 || op == 0x30 || op == 0xa0 || op == 0xb0;

			if (op != 0x10 && op != 0x50 && !(rel && UB_CLASS(oi->code) != UB_CLS_JMP32))
				return false;
			return (size_t)d->off != pc + 1;
		}
		default:
			return false;
		}
		if (++pc == x)
			return true;
	}
	return false;
}

bool ub_loop_idiom_find(const struct userbpf_prog *p, size_t x, struct ub_loop_idiom *out)
{
	struct scan s;
	size_t pc = x, next, last = x;
	int64_t step[11] = { 0 };
	uint16_t ivs = 0, temps, used = 0;
	int steps = 0, accr = -1, str[MAX_LOADS], nstr = 0;
	bool bound_load[MAX_LOADS] = { false };

	if (!sc_maybe(p, x))
		return false;
	memset(&s, 0, offsetof(struct scan, ld));
	do {
		if (pc >= p->cnt || ++steps > LOOP_MAX_STEPS || !sc_step(&s, p, pc, &next))
			return false;
		last = pc;
		pc = next;
	} while (pc != x);
	/* the edge back to x must be a jump, so that code placed before x
	 * runs only when the loop is entered */
	if (!s.jumped || !s.nivt)
		return false;
	memset(out, 0, sizeof(*out));
	/* classify the registers */
	for (int r = 0; r < 10; r++) {
		const struct sx *e = &s.r[r];

		if (!((s.written >> r) & 1))
			continue;
		if (!e->opaque && sx_syms(e) == (1u << r) && e->k[r] == 1 && e->c) {
			ivs |= (uint16_t)(1u << r);
			step[r] = e->c;
		} else if (e->opaque && e->form == SX_ACC && e->acc == r) {
			accr = r;
		}
	}
	if (s.nacc && accr < 0)
		return false;
	temps = (uint16_t)(s.written & ~ivs & ~(accr >= 0 ? 1u << accr : 0u));
	if ((temps & s.rbw) || (temps & ~s.written_at_exit))
		return false;
	/* the index tests: one side an IV (+ c), the other invariant */
	for (int q = 0; q < s.nivt; q++) {
		struct ub_loop_test *t = &out->test[q];
		const struct sx *v = &s.ivt[q].v, *n = &s.ivt[q].n;
		uint8_t op = s.ivt[q].op;
		int ivr = sx_single(v), l;
		int64_t st;

		if (ivr < 0 || !((ivs >> ivr) & 1)) {
			const struct sx *tmp = v;

			v = n;
			n = tmp;
			ivr = sx_single(v);
			/* b < v is v > b, and so on */
			op = op == 0x20 ? 0xa0 : op == 0x30 ? 0xb0 : op == 0xa0 ? 0x20
			   : op == 0xb0 ? 0x30 : op;
		}
		if (ivr < 0 || !((ivs >> ivr) & 1) || !to_bound(&s, n, s.written, t, bound_load))
			return false;
		st = step[ivr];
		l = log2_small(st < 0 ? (uint64_t)-st : (uint64_t)st);
		if (l < 0)
			return false;
		t->reg = (uint8_t)ivr;
		t->off = v->c;
		t->step = st;
		t->w32 = s.ivt[q].w32;
		t->rel = op == 0x50 ? UB_REL_NE : op == 0xa0 ? UB_REL_LT : op == 0xb0 ? UB_REL_LE
		       : op == 0x20 ? UB_REL_GT : UB_REL_GE;
		/* a relation the IV moves out of */
		if ((t->rel == UB_REL_LT || t->rel == UB_REL_LE) && st < 0)
			return false;
		if ((t->rel == UB_REL_GT || t->rel == UB_REL_GE) && st > 0)
			return false;
		used |= sx_syms(n);
		if (t->mem)
			used |= (uint16_t)(1u << t->bound_reg);
		out->ntest++;
	}
	for (int q = 0; q < s.nload; q++)
		if (!bound_load[q])
			str[nstr++] = q;
	/* the memory accesses */
	if (s.nstore == 1 && nstr == 0 && !s.ncmp && accr < 0) {
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
		used |= sx_syms(&s.st.a) | sx_syms(&s.st.v);
	} else if (s.nstore == 1 && nstr == 1 && !s.ncmp && accr < 0) {
		const struct sx *la = &s.ld[str[0]].a;

		if (s.st.v.load != str[0] || s.st.v.form != SX_NONE || s.st.w != s.ld[str[0]].w ||
		    s.st.at < s.ld[str[0]].at)
			return false;
		out->kind = UB_LOOP_COPY;
		out->w = s.st.w;
		if (!to_addr(la, &out->a[0]) || !to_addr(&s.st.a, &out->a[1]) ||
		    stride(la, step) != out->w || stride(&s.st.a, step) != out->w)
			return false;
		used |= sx_syms(la) | sx_syms(&s.st.a);
	} else if (s.nstore == 0 && nstr == 2 && s.ncmp == 1 && accr < 0) {
		out->kind = UB_LOOP_CMP;
		out->w = s.ld[s.cmp_ld[0]].w;
		for (int q = 0; q < 2; q++) {
			const struct sx *la = &s.ld[s.cmp_ld[q]].a;

			if (bound_load[s.cmp_ld[q]] || !to_addr(la, &out->a[q]) ||
			    stride(la, step) != out->w)
				return false;
			used |= sx_syms(la);
		}
	} else if (s.nstore == 0 && !s.ncmp && accr >= 0 &&
		   nstr == (s.acc.swap ? 2 : 1)) {
		const struct sx *la = &s.ld[s.acc.load].a;

		/* the word's loads are the streams */
		if (bound_load[s.acc.load] || (s.acc.swap && bound_load[s.acc.load2]))
			return false;
		out->kind = UB_LOOP_SUM16;
		out->w = 2;
		out->swap = s.acc.swap;
		out->acc_reg = (int8_t)accr;
		if (!to_addr(la, &out->a[0]) || stride(la, step) != 2)
			return false;
		used |= sx_syms(la);
	} else {
		return false;
	}
	/* the sum's register is only summed into */
	if (accr >= 0 && ((used >> accr) & 1))
		return false;
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
