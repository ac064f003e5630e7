/* SPDX-License-Identifier: MIT */
/*
 * scalar.c - the verifier's numeric domain: tnums and signed/unsigned
 * ranges in 64 and 32 bits, their transfer functions and branch
 * refinement.
 *
 * Each operation is computed on a "view" of width 32 or 64 (a tnum and
 * both ranges, all within the width).  A 64-bit operation whose low 32 bits
 * depend only on the operands' low 32 bits (add, sub, mul, the bitwise
 * ops, left shifts) also computes its 32-bit view from the operands' 32-bit
 * views; the others leave it to ub_sc_sync(), which lets every part
 * sharpen the others.  Constants are folded with BPF's exact semantics.
 */
#include <string.h>
#include "verifier/scalar.h"

#define M32 0xffffffffull
#define SIGN64 (1ull << 63)

/* ---- tnums ---- */

struct ub_tnum ub_tn_const(uint64_t v)
{
	return (struct ub_tnum){ v, 0 };
}

struct ub_tnum ub_tn_unknown(void)
{
	return (struct ub_tnum){ 0, ~0ull };
}

struct ub_tnum ub_tn_range(uint64_t min, uint64_t max)
{
	uint64_t chi = min ^ max, delta;
	int bits;

	if (min > max)
		return ub_tn_unknown();
	bits = chi ? 64 - __builtin_clzll(chi) : 0;
	if (bits > 63)
		return ub_tn_unknown();
	delta = (1ull << bits) - 1;
	return (struct ub_tnum){ min & ~delta, delta };
}

bool ub_tn_is_const(struct ub_tnum a)
{
	return a.m == 0;
}

bool ub_tn_in(struct ub_tnum a, struct ub_tnum b)
{
	if (b.m & ~a.m)
		return false;
	return (b.v & ~a.m) == a.v;
}

/* Intersection; *empty set when a known bit differs. */
static struct ub_tnum tn_meet(struct ub_tnum a, struct ub_tnum b, bool *empty)
{
	uint64_t mu = a.m & b.m;

	if ((a.v ^ b.v) & ~a.m & ~b.m)
		*empty = true;
	return (struct ub_tnum){ (a.v | b.v) & ~mu, mu };
}

struct ub_tnum ub_tn_intersect(struct ub_tnum a, struct ub_tnum b)
{
	bool e = false;
	return tn_meet(a, b, &e);
}

struct ub_tnum ub_tn_union(struct ub_tnum a, struct ub_tnum b)
{
	uint64_t mu = a.m | b.m | (a.v ^ b.v);
	return (struct ub_tnum){ a.v & ~mu, mu };
}

static struct ub_tnum tn_add(struct ub_tnum a, struct ub_tnum b)
{
	uint64_t sm = a.m + b.m, sv = a.v + b.v, sigma = sm + sv, chi = sigma ^ sv;
	uint64_t mu = chi | a.m | b.m;
	return (struct ub_tnum){ sv & ~mu, mu };
}

static struct ub_tnum tn_sub(struct ub_tnum a, struct ub_tnum b)
{
	uint64_t dv = a.v - b.v, alpha = dv + a.m, beta = dv - b.m, chi = alpha ^ beta;
	uint64_t mu = chi | a.m | b.m;
	return (struct ub_tnum){ dv & ~mu, mu };
}

static struct ub_tnum tn_and(struct ub_tnum a, struct ub_tnum b)
{
	uint64_t alpha = a.v | a.m, beta = b.v | b.m, v = a.v & b.v;
	return (struct ub_tnum){ v, alpha & beta & ~v };
}

static struct ub_tnum tn_or(struct ub_tnum a, struct ub_tnum b)
{
	uint64_t v = a.v | b.v, mu = a.m | b.m;
	return (struct ub_tnum){ v, mu & ~v };
}

static struct ub_tnum tn_xor(struct ub_tnum a, struct ub_tnum b)
{
	uint64_t v = a.v ^ b.v, mu = a.m | b.m;
	return (struct ub_tnum){ v & ~mu, mu };
}

/* Multiplication by long multiplication over the bits of a. */
static struct ub_tnum tn_mul(struct ub_tnum a, struct ub_tnum b)
{
	struct ub_tnum acc = { 0, 0 };
	uint64_t accv = a.v * b.v;

	while (a.v || a.m) {
		if (a.v & 1)
			acc = tn_add(acc, (struct ub_tnum){ 0, b.m });
		else if (a.m & 1)
			acc = tn_add(acc, (struct ub_tnum){ 0, b.v | b.m });
		a = (struct ub_tnum){ a.v >> 1, a.m >> 1 };
		b = (struct ub_tnum){ b.v << 1, b.m << 1 };
	}
	return tn_add((struct ub_tnum){ accv, 0 }, acc);
}

static struct ub_tnum tn_trunc(struct ub_tnum a, unsigned bits)
{
	uint64_t mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
	return (struct ub_tnum){ a.v & mask, a.m & mask };
}

/* ---- concrete semantics (BPF's, as the interpreter) ---- */

static uint64_t sx(uint64_t v, unsigned bits)
{
	uint64_t m = 1ull << (bits - 1);
	v &= bits >= 64 ? ~0ull : (1ull << bits) - 1;
	return (v ^ m) - m;
}

static uint64_t eval(unsigned op, bool sgn, unsigned W, uint64_t a, uint64_t b)
{
	uint64_t mask = W == 64 ? ~0ull : M32, r;
	unsigned sh = (unsigned)(b & (W - 1));

	a &= mask;
	b &= mask;
	switch (op) {
	case 0x00: r = a + b; break;
	case 0x10: r = a - b; break;
	case 0x20: r = a * b; break;
	case 0x30:
		if (!sgn) {
			r = b ? a / b : 0;
		} else {
			int64_t x = (int64_t)sx(a, W), y = (int64_t)sx(b, W);
			r = y == 0 ? 0 : y == -1 ? (uint64_t)0 - (uint64_t)x : (uint64_t)(x / y);
		}
		break;
	case 0x40: r = a | b; break;
	case 0x50: r = a & b; break;
	case 0x60: r = a << sh; break;
	case 0x70: r = a >> sh; break;
	case 0x80: r = (uint64_t)0 - a; break;
	case 0x90:
		if (!sgn) {
			r = b ? a % b : a;
		} else {
			int64_t x = (int64_t)sx(a, W), y = (int64_t)sx(b, W);
			r = y == 0 ? (uint64_t)x : y == -1 ? 0 : (uint64_t)(x % y);
		}
		break;
	case 0xa0: r = a ^ b; break;
	case 0xb0: r = b; break;
	case 0xc0: {
		uint64_t s = sx(a, W);
		r = (int64_t)s < 0 ? ~(~s >> sh) : s >> sh;
		break;
	}
	default: r = 0;
	}
	return r & mask;
}

/* ---- views ---- */

struct view {
	struct ub_tnum t;
	uint64_t umin, umax;
	int64_t smin, smax;
};

static uint64_t umax_of(unsigned W) { return W == 64 ? ~0ull : M32; }
static int64_t smin_of(unsigned W) { return W == 64 ? INT64_MIN : INT32_MIN; }
static int64_t smax_of(unsigned W) { return W == 64 ? INT64_MAX : INT32_MAX; }

static struct view view_full(unsigned W)
{
	return (struct view){ tn_trunc(ub_tn_unknown(), W), 0, umax_of(W), smin_of(W), smax_of(W) };
}

static struct view view_const(uint64_t v, unsigned W)
{
	v &= umax_of(W);
	return (struct view){ ub_tn_const(v), v, v, (int64_t)sx(v, W), (int64_t)sx(v, W) };
}

static struct view view64(const struct ub_sc *s)
{
	return (struct view){ s->t, s->umin, s->umax, s->smin, s->smax };
}

static struct view view32(const struct ub_sc *s)
{
	return (struct view){ tn_trunc(s->t, 32), s->u32min, s->u32max, s->s32min, s->s32max };
}

static bool view_is_const(const struct view *v)
{
	return ub_tn_is_const(v->t) || v->umin == v->umax;
}

static uint64_t view_val(const struct view *v)
{
	return ub_tn_is_const(v->t) ? v->t.v : v->umin;
}

/* Does op's result in the low 32 bits depend only on the low 32 bits?
 * (Not shifts: a 64-bit shift amount has 6 bits.) */
static bool low_closed(unsigned op)
{
	switch (op) {
	case 0x00: case 0x10: case 0x20: case 0x40: case 0x50: case 0x80:
	case 0xa0: case 0xb0:
		return true;
	default:
		return false;
	}
}

/* The unsigned range of a W-bit addition or its signed counterpart, with
 * overflow widening to the full range. */
static struct view view_op(unsigned op, bool sgn, unsigned W, const struct view *a,
			   const struct view *b)
{
	struct view r = view_full(W);
	uint64_t UM = umax_of(W);

	if (view_is_const(a) && view_is_const(b) && op != 0xb0)
		return view_const(eval(op, sgn, W, view_val(a), view_val(b)), W);
	switch (op) {
	case 0xb0:
		return *b;
	case 0x80: {
		struct view z = view_const(0, W);
		return view_op(0x10, false, W, &z, a);
	}
	case 0x00:
		r.t = tn_trunc(tn_add(a->t, b->t), W);
		if (!__builtin_add_overflow(a->umax, b->umax, &r.umax) && r.umax <= UM)
			r.umin = a->umin + b->umin;
		else
			r.umin = 0, r.umax = UM;
		if (__builtin_add_overflow(a->smin, b->smin, &r.smin) ||
		    __builtin_add_overflow(a->smax, b->smax, &r.smax) || r.smin < smin_of(W) ||
		    r.smax > smax_of(W))
			r.smin = smin_of(W), r.smax = smax_of(W);
		break;
	case 0x10:
		r.t = tn_trunc(tn_sub(a->t, b->t), W);
		if (a->umin >= b->umax)
			r.umin = a->umin - b->umax, r.umax = a->umax - b->umin;
		if (__builtin_sub_overflow(a->smin, b->smax, &r.smin) ||
		    __builtin_sub_overflow(a->smax, b->smin, &r.smax) || r.smin < smin_of(W) ||
		    r.smax > smax_of(W))
			r.smin = smin_of(W), r.smax = smax_of(W);
		break;
	case 0x20:
		r.t = tn_trunc(tn_mul(a->t, b->t), W);
		if (!__builtin_mul_overflow(a->umax, b->umax, &r.umax) && r.umax <= UM)
			r.umin = a->umin * b->umin;
		else
			r.umin = 0, r.umax = UM;
		break;
	case 0x50:
		r.t = tn_and(a->t, b->t);
		r.umax = a->umax < b->umax ? a->umax : b->umax;
		if (a->smin >= 0 || b->smin >= 0) {
			r.smin = 0;
			r.smax = a->smin >= 0 && b->smin >= 0 ? (a->smax < b->smax ? a->smax : b->smax)
			       : a->smin >= 0 ? a->smax : b->smax;
		}
		break;
	case 0x40:
		r.t = tn_or(a->t, b->t);
		r.umin = a->umin > b->umin ? a->umin : b->umin;
		break;
	case 0xa0:
		r.t = tn_xor(a->t, b->t);
		break;
	case 0x60:
		if (view_is_const(b)) {
			unsigned k = (unsigned)(view_val(b) & (W - 1));
			r.t = tn_trunc((struct ub_tnum){ a->t.v << k, a->t.m << k }, W);
			if (a->umax <= (UM >> k))
				r.umin = a->umin << k, r.umax = a->umax << k;
		}
		break;
	case 0x70:
		if (view_is_const(b)) {
			unsigned k = (unsigned)(view_val(b) & (W - 1));
			r.t = (struct ub_tnum){ a->t.v >> k, a->t.m >> k };
			r.umin = a->umin >> k;
			r.umax = a->umax >> k;
		} else {
			r.umax = a->umax;
		}
		break;
	case 0xc0:
		if (view_is_const(b)) {
			unsigned k = (unsigned)(view_val(b) & (W - 1));
			struct ub_tnum s = { sx(a->t.v, W), 0 };
			/* an unknown sign bit spreads to every bit it shifts into */
			s.m = (a->t.m >> (W - 1)) & 1 ? sx(a->t.m, W) : a->t.m;
			s.v &= ~s.m;
			r.t = tn_trunc((struct ub_tnum){ (uint64_t)((int64_t)s.v >> k) & ~((uint64_t)((int64_t)s.m >> k)),
							 (uint64_t)((int64_t)s.m >> k) }, W);
			r.smin = a->smin >> k;
			r.smax = a->smax >> k;
		} else {
			r.smin = a->smin < 0 ? a->smin : 0;
			r.smax = a->smax >= 0 ? a->smax : -1;
		}
		break;
	case 0x30:
		if (sgn)
			break;
		if (view_is_const(b) && view_val(b) == 0)
			return view_const(0, W);
		r.umin = 0;
		r.umax = a->umax;
		if (b->umin > 0) {
			r.umin = a->umin / b->umax;
			r.umax = a->umax / b->umin;
		}
		break;
	case 0x90:
		if (sgn)
			break;
		if (view_is_const(b) && view_val(b) == 0)
			return *a;
		if (b->umin > 0 && a->umax < b->umin)
			return *a; /* a % b == a */
		r.umin = 0;
		r.umax = a->umax;
		if (b->umin > 0 && b->umax - 1 < r.umax)
			r.umax = b->umax - 1;
		break;
	default:
		break;
	}
	return r;
}

static struct ub_sc from_views(const struct view *v64, const struct view *v32)
{
	struct ub_sc s;

	s.t = v64->t;
	s.umin = v64->umin;
	s.umax = v64->umax;
	s.smin = v64->smin;
	s.smax = v64->smax;
	s.u32min = (uint32_t)v32->umin;
	s.u32max = (uint32_t)v32->umax;
	s.s32min = (int32_t)v32->smin;
	s.s32max = (int32_t)v32->smax;
	s.t = ub_tn_intersect(s.t, (struct ub_tnum){ v32->t.v, v32->t.m | ~M32 });
	return s;
}

/* A 32-bit result, zero-extended to 64 bits. */
static struct ub_sc from_view32(const struct view *v)
{
	struct view w = { tn_trunc(v->t, 32), v->umin, v->umax, (int64_t)v->umin, (int64_t)v->umax };
	return from_views(&w, v);
}

/* ---- scalars ---- */

struct ub_sc ub_sc_unknown(void)
{
	struct view a = view_full(64), b = view_full(32);
	return from_views(&a, &b);
}

struct ub_sc ub_sc_const(uint64_t v)
{
	struct view a = view_const(v, 64), b = view_const(v & M32, 32);
	return from_views(&a, &b);
}

struct ub_sc ub_sc_unknown_bits(unsigned bits)
{
	struct ub_sc s = ub_sc_unknown();

	if (bits < 64) {
		s.t = tn_trunc(s.t, bits);
		s.umax = (1ull << bits) - 1;
		ub_sc_sync(&s);
	}
	return s;
}

bool ub_sc_is_const(const struct ub_sc *s)
{
	return ub_tn_is_const(s->t);
}

static uint64_t umax64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static uint64_t umin64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static int64_t smax64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t smin64(int64_t a, int64_t b) { return a < b ? a : b; }

bool ub_sc_sync(struct ub_sc *s)
{
	bool empty = false;

	for (int round = 0; round < 3; round++) {
		struct ub_tnum t = s->t;
		uint64_t lo32m = t.m & M32, lo32v = t.v & M32;

		/* tnum -> ranges */
		s->umin = umax64(s->umin, t.v);
		s->umax = umin64(s->umax, t.v | t.m);
		s->smin = smax64(s->smin, (int64_t)(t.v | (t.m & SIGN64)));
		s->smax = smin64(s->smax, (int64_t)(t.v | (t.m & ~SIGN64)));
		s->u32min = (uint32_t)umax64(s->u32min, lo32v);
		s->u32max = (uint32_t)umin64(s->u32max, lo32v | lo32m);
		s->s32min = (int32_t)smax64(s->s32min, (int32_t)(uint32_t)(lo32v | (lo32m & 0x80000000u)));
		s->s32max = (int32_t)smin64(s->s32max, (int32_t)(uint32_t)(lo32v | (lo32m & 0x7fffffffu)));
		/* signed <-> unsigned, where the range does not cross the sign */
		if ((uint64_t)s->smin <= (uint64_t)s->smax) {
			s->umin = umax64(s->umin, (uint64_t)s->smin);
			s->umax = umin64(s->umax, (uint64_t)s->smax);
		}
		if ((int64_t)s->umin <= (int64_t)s->umax) {
			s->smin = smax64(s->smin, (int64_t)s->umin);
			s->smax = smin64(s->smax, (int64_t)s->umax);
		}
		if ((uint32_t)s->s32min <= (uint32_t)s->s32max) {
			s->u32min = (uint32_t)umax64(s->u32min, (uint32_t)s->s32min);
			s->u32max = (uint32_t)umin64(s->u32max, (uint32_t)s->s32max);
		}
		if ((int32_t)s->u32min <= (int32_t)s->u32max) {
			s->s32min = (int32_t)smax64(s->s32min, (int32_t)s->u32min);
			s->s32max = (int32_t)smin64(s->s32max, (int32_t)s->u32max);
		}
		/* 64 -> 32: within one 2^32 block the low halves are ordered */
		if ((s->umin >> 32) == (s->umax >> 32) && s->umin <= s->umax) {
			s->u32min = (uint32_t)umax64(s->u32min, s->umin & M32);
			s->u32max = (uint32_t)umin64(s->u32max, s->umax & M32);
		}
		if ((s->smin >> 32) == (s->smax >> 32) && s->smin <= s->smax &&
		    (int32_t)s->smin <= (int32_t)s->smax) {
			s->s32min = (int32_t)smax64(s->s32min, (int32_t)s->smin);
			s->s32max = (int32_t)smin64(s->s32max, (int32_t)s->smax);
		}
		/* 32 -> 64 when the upper half is known */
		if (!(t.m >> 32)) {
			uint64_t hi = t.v & ~M32;
			s->umin = umax64(s->umin, hi | s->u32min);
			s->umax = umin64(s->umax, hi | s->u32max);
		}
		if (s->umin > s->umax || s->smin > s->smax || s->u32min > s->u32max ||
		    s->s32min > s->s32max)
			return false;
		/* ranges -> tnum */
		s->t = tn_meet(s->t, ub_tn_range(s->umin, s->umax), &empty);
		{
			struct ub_tnum r32 = ub_tn_range(s->u32min, s->u32max);
			s->t = tn_meet(s->t, (struct ub_tnum){ r32.v & M32, (r32.m & M32) | ~M32 }, &empty);
		}
		if (empty)
			return false;
	}
	return true;
}

bool ub_sc_in(const struct ub_sc *o, const struct ub_sc *s)
{
	return s->umin >= o->umin && s->umax <= o->umax && s->smin >= o->smin &&
	       s->smax <= o->smax && s->u32min >= o->u32min && s->u32max <= o->u32max &&
	       s->s32min >= o->s32min && s->s32max <= o->s32max && ub_tn_in(o->t, s->t);
}

struct ub_sc ub_sc_join(const struct ub_sc *a, const struct ub_sc *b)
{
	struct ub_sc r;

	r.t = ub_tn_union(a->t, b->t);
	r.umin = umin64(a->umin, b->umin);
	r.umax = umax64(a->umax, b->umax);
	r.smin = smin64(a->smin, b->smin);
	r.smax = smax64(a->smax, b->smax);
	r.u32min = (uint32_t)umin64(a->u32min, b->u32min);
	r.u32max = (uint32_t)umax64(a->u32max, b->u32max);
	r.s32min = (int32_t)smin64(a->s32min, b->s32min);
	r.s32max = (int32_t)smax64(a->s32max, b->s32max);
	return r;
}

struct ub_sc ub_sc_alu(unsigned op, bool w64, const struct ub_sc *dst, const struct ub_sc *src)
{
	struct ub_sc r;
	bool sgn = false;

	/* sdiv/smod come as 0x30/0x90 with the high bit of op set */
	if (op & 0x100) {
		sgn = true;
		op &= 0xff;
	}
	if (w64) {
		struct view a = view64(dst), b = view64(src), r64 = view_op(op, sgn, 64, &a, &b);
		struct view r32 = view_full(32);

		if (low_closed(op)) {
			struct view a32 = view32(dst), b32 = view32(src);
			r32 = view_op(op, sgn, 32, &a32, &b32);
		}
		r = from_views(&r64, &r32);
	} else {
		struct view a32 = view32(dst), b32 = view32(src);
		struct view r32 = view_op(op, sgn, 32, &a32, &b32);
		r = from_view32(&r32);
	}
	if (!ub_sc_sync(&r))
		r = ub_sc_unknown(); /* cannot happen for sound inputs; stay sound */
	return r;
}

struct ub_sc ub_sc_trunc(const struct ub_sc *s, unsigned bits)
{
	struct ub_sc r = ub_sc_unknown_bits(bits);
	uint64_t mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;

	if (bits >= 64)
		return *s;
	r.t = tn_trunc(s->t, bits);
	if ((s->umin >> bits) == (s->umax >> bits)) {
		r.umin = s->umin & mask;
		r.umax = s->umax & mask;
	}
	if (!ub_sc_sync(&r))
		r = ub_sc_unknown_bits(bits);
	return r;
}

struct ub_sc ub_sc_sext(const struct ub_sc *s, unsigned bits, bool w64)
{
	struct ub_sc low = ub_sc_trunc(s, bits), r = ub_sc_unknown();
	uint64_t half = 1ull << (bits - 1);

	if (ub_sc_is_const(&low)) {
		uint64_t v = sx(low.t.v, bits);
		return w64 ? ub_sc_const(v) : ub_sc_const(v & M32);
	}
	if (low.umax < half) {
		r = low; /* non-negative: the same value */
	} else if (low.umin >= half) {
		/* all negative: shift the range down */
		r.umin = sx(low.umin, bits);
		r.umax = sx(low.umax, bits);
		r.smin = (int64_t)r.umin;
		r.smax = (int64_t)r.umax;
		r.t = (struct ub_tnum){ sx(low.t.v | half, bits) & ~low.t.m, low.t.m };
	} else {
		r.smin = -(int64_t)half;
		r.smax = (int64_t)half - 1;
	}
	if (!ub_sc_sync(&r))
		r = ub_sc_unknown();
	return w64 ? r : ub_sc_trunc(&r, 32);
}

struct ub_sc ub_sc_swap(const struct ub_sc *s, unsigned bits, bool swap)
{
	struct ub_sc low = ub_sc_trunc(s, bits);

	if (!swap)
		return low;
	if (ub_sc_is_const(&low)) {
		uint64_t v = low.t.v;
		v = bits == 16 ? __builtin_bswap16((uint16_t)v) :
		    bits == 32 ? __builtin_bswap32((uint32_t)v) : __builtin_bswap64(v);
		return ub_sc_const(v);
	}
	return ub_sc_unknown_bits(bits);
}

/* ---- branches ---- */

static unsigned negate(unsigned op)
{
	switch (op) {
	case 0x10: return 0x50;	/* == : != */
	case 0x50: return 0x10;
	case 0x20: return 0xb0;	/* >  : <= */
	case 0xb0: return 0x20;
	case 0x30: return 0xa0;	/* >= : <  */
	case 0xa0: return 0x30;
	case 0x60: return 0xd0;	/* s> : s<= */
	case 0xd0: return 0x60;
	case 0x70: return 0xc0;	/* s>= : s< */
	case 0xc0: return 0x70;
	case 0x40: return 0x140; /* & : !& (internal) */
	default: return 0x40;
	}
}

/* Refines the W-bit views of a and b so that `a op b` holds. */
static bool refine(unsigned op, unsigned W, struct view *a, struct view *b)
{
	bool empty = false;

	switch (op) {
	case 0x10: { /* == */
		struct ub_tnum t = tn_meet(a->t, b->t, &empty);
		uint64_t umin = umax64(a->umin, b->umin), umax = umin64(a->umax, b->umax);
		int64_t smin = smax64(a->smin, b->smin), smax = smin64(a->smax, b->smax);
		a->t = b->t = t;
		a->umin = b->umin = umin;
		a->umax = b->umax = umax;
		a->smin = b->smin = smin;
		a->smax = b->smax = smax;
		break;
	}
	case 0x50: /* != : only a constant side teaches anything */
		for (int k = 0; k < 2; k++) {
			struct view *x = k ? b : a, *c = k ? a : b;
			if (!view_is_const(c))
				continue;
			uint64_t v = view_val(c);
			int64_t sv = (int64_t)sx(v, W);
			if (view_is_const(x) && view_val(x) == v)
				return false;
			if (x->umin == v && x->umin < x->umax)
				x->umin++;
			if (x->umax == v && x->umax > x->umin)
				x->umax--;
			if (x->smin == sv && x->smin < x->smax)
				x->smin++;
			if (x->smax == sv && x->smax > x->smin)
				x->smax--;
		}
		break;
	case 0x20: /* a > b */
		if (b->umin == umax_of(W) || a->umax == 0)
			return false;
		a->umin = umax64(a->umin, b->umin + 1);
		b->umax = umin64(b->umax, a->umax - 1);
		break;
	case 0x30: /* a >= b */
		a->umin = umax64(a->umin, b->umin);
		b->umax = umin64(b->umax, a->umax);
		break;
	case 0xa0: return refine(0x20, W, b, a);
	case 0xb0: return refine(0x30, W, b, a);
	case 0x60: /* a s> b */
		if (b->smin == smax_of(W) || a->smax == smin_of(W))
			return false;
		a->smin = smax64(a->smin, b->smin + 1);
		b->smax = smin64(b->smax, a->smax - 1);
		break;
	case 0x70:
		a->smin = smax64(a->smin, b->smin);
		b->smax = smin64(b->smax, a->smax);
		break;
	case 0xc0: return refine(0x60, W, b, a);
	case 0xd0: return refine(0x70, W, b, a);
	case 0x40: /* a & b != 0 */
		if (view_is_const(b) && __builtin_popcountll(view_val(b)) == 1)
			a->t = tn_meet(a->t, (struct ub_tnum){ view_val(b), ~view_val(b) }, &empty);
		if (view_is_const(b) && view_val(b) == 0)
			return false;
		if (!((a->t.v | a->t.m) & (b->t.v | b->t.m)))
			return false;
		break;
	case 0x140: /* a & b == 0 */
		if (view_is_const(b)) {
			uint64_t v = view_val(b);
			if (a->t.v & v)
				return false;
			a->t.m &= ~v;
		}
		if (a->t.v & b->t.v)
			return false;
		break;
	}
	return !empty && a->umin <= a->umax && b->umin <= b->umax && a->smin <= a->smax &&
	       b->smin <= b->smax;
}

static void put_view(struct ub_sc *s, const struct view *v, unsigned W)
{
	if (W == 64) {
		s->t = v->t;
		s->umin = v->umin;
		s->umax = v->umax;
		s->smin = v->smin;
		s->smax = v->smax;
	} else {
		s->t = (struct ub_tnum){ (s->t.v & ~M32) | (v->t.v & M32),
					 (s->t.m & ~M32) | (v->t.m & M32) };
		s->u32min = (uint32_t)v->umin;
		s->u32max = (uint32_t)v->umax;
		s->s32min = (int32_t)v->smin;
		s->s32max = (int32_t)v->smax;
	}
}

bool ub_sc_branch(unsigned op, bool w64, bool taken, struct ub_sc *a, struct ub_sc *b)
{
	unsigned W = w64 ? 64 : 32;
	struct view va = w64 ? view64(a) : view32(a), vb = w64 ? view64(b) : view32(b);

	if (!taken)
		op = negate(op);
	if (!refine(op, W, &va, &vb))
		return false;
	put_view(a, &va, W);
	put_view(b, &vb, W);
	return ub_sc_sync(a) && ub_sc_sync(b);
}

int ub_sc_cmp_known(unsigned op, bool w64, const struct ub_sc *a, const struct ub_sc *b)
{
	struct ub_sc a1 = *a, b1 = *b, a2 = *a, b2 = *b;
	bool can_take = ub_sc_branch(op, w64, true, &a1, &b1);
	bool can_fall = ub_sc_branch(op, w64, false, &a2, &b2);

	if (can_take && !can_fall)
		return 1;
	if (!can_take && can_fall)
		return 0;
	return -1;
}
