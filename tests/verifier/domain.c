/* SPDX-License-Identifier: MIT */
/*
 * domain.c - soundness of the verifier's numeric domain, by sampling.
 *
 * Random abstract values are built as the join of a few concrete values
 * (small, near the 32- and 64-bit boundaries, random).  For every ALU op,
 * width and pair of members, the concrete result (computed here again,
 * independently of src/verifier) must lie in the abstract result; for every
 * comparison, members that satisfy it (or not) must survive the refinement
 * of the taken (or fall-through) branch.  One missed member is a soundness
 * bug: the verifier would reason about a value that can never occur.
 */
#include <string.h>
#include "testlib.h"
#include "verifier/scalar.h"

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t pick(void)
{
	static const uint64_t edges[] = { 0, 1, 2, 7, 31, 32, 63, 64, 0x7f, 0x80, 0xff, 0x7fff,
					  0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
					  0x100000000ull, 0x7fffffffffffffffull,
					  0x8000000000000000ull, 0xffffffffffffffffull };
	switch (rnd() % 4) {
	case 0: return edges[rnd() % (sizeof(edges) / sizeof(edges[0]))] + (rnd() % 3) - 1;
	case 1: return rnd() % 100;
	case 2: return (uint64_t)-(int64_t)(rnd() % 100);
	default: return rnd();
	}
}

static uint64_t sx(uint64_t v, unsigned bits)
{
	uint64_t m = 1ull << (bits - 1);
	v &= bits >= 64 ? ~0ull : (1ull << bits) - 1;
	return (v ^ m) - m;
}

/* BPF semantics, written again as the oracle. */
static uint64_t oracle(unsigned op, int w64, uint64_t a, uint64_t b)
{
	unsigned W = w64 ? 64 : 32;
	uint64_t mask = w64 ? ~0ull : 0xffffffffull, r;
	int sgn = op & 0x100;
	op &= 0xff;
	a &= mask;
	b &= mask;
	switch (op) {
	case 0x00: r = a + b; break;
	case 0x10: r = a - b; break;
	case 0x20: r = a * b; break;
	case 0x40: r = a | b; break;
	case 0x50: r = a & b; break;
	case 0xa0: r = a ^ b; break;
	case 0xb0: r = b; break;
	case 0x80: r = 0 - a; break;
	case 0x60: r = a << (b & (W - 1)); break;
	case 0x70: r = a >> (b & (W - 1)); break;
	case 0xc0: {
		int64_t s = (int64_t)sx(a, W);
		unsigned k = (unsigned)(b & (W - 1));
		r = (uint64_t)(s < 0 ? ~(~s >> k) : s >> k);
		break;
	}
	case 0x30:
		if (sgn) {
			int64_t x = (int64_t)sx(a, W), y = (int64_t)sx(b, W);
			r = y == 0 ? 0 : y == -1 ? 0 - (uint64_t)x : (uint64_t)(x / y);
		} else {
			r = b ? a / b : 0;
		}
		break;
	default: /* 0x90 */
		if (sgn) {
			int64_t x = (int64_t)sx(a, W), y = (int64_t)sx(b, W);
			r = y == 0 ? (uint64_t)x : y == -1 ? 0 : (uint64_t)(x % y);
		} else {
			r = b ? a % b : a;
		}
		break;
	}
	return r & mask;
}

static int member(const struct ub_sc *s, uint64_t v)
{
	return v >= s->umin && v <= s->umax && (int64_t)v >= s->smin && (int64_t)v <= s->smax &&
	       (uint32_t)v >= s->u32min && (uint32_t)v <= s->u32max &&
	       (int32_t)v >= s->s32min && (int32_t)v <= s->s32max &&
	       (v & ~s->t.m) == s->t.v;
}

#define N 4
static struct ub_sc abstract(uint64_t *xs)
{
	struct ub_sc s = ub_sc_const(xs[0]);
	for (int i = 1; i < N; i++) {
		struct ub_sc c = ub_sc_const(xs[i]);
		s = ub_sc_join(&s, &c);
	}
	return s;
}

static int cmp_holds(unsigned op, int w64, uint64_t a, uint64_t b)
{
	if (!w64) {
		a &= 0xffffffff;
		b &= 0xffffffff;
	}
	int64_t sa = w64 ? (int64_t)a : (int32_t)a, sb = w64 ? (int64_t)b : (int32_t)b;
	switch (op) {
	case 0x10: return a == b;
	case 0x20: return a > b;
	case 0x30: return a >= b;
	case 0x40: return (a & b) != 0;
	case 0x50: return a != b;
	case 0x60: return sa > sb;
	case 0x70: return sa >= sb;
	case 0xa0: return a < b;
	case 0xb0: return a <= b;
	case 0xc0: return sa < sb;
	default: return sa <= sb;
	}
}

int main(void)
{
	static const unsigned ops[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80,
					0x90, 0xa0, 0xb0, 0xc0, 0x130, 0x190 };
	static const unsigned jops[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0,
					 0xc0, 0xd0 };
	long alu_bad = 0, br_bad = 0, ext_bad = 0, checks = 0;

	for (int iter = 0; iter < 20000; iter++) {
		uint64_t xs[N], ys[N];
		struct ub_sc a, b;

		for (int i = 0; i < N; i++) {
			xs[i] = pick();
			ys[i] = (rnd() & 3) == 0 ? xs[i] + (rnd() % 5) : pick();
			if ((rnd() & 7) == 0)
				ys[i] = rnd() % 70; /* shift-sized */
		}
		a = abstract(xs);
		b = abstract(ys);
		if ((rnd() & 3) == 0) {
			/* sample a constant divisor/shift too */
			for (int i = 1; i < N; i++)
				ys[i] = ys[0];
			b = ub_sc_const(ys[0]);
		}
		for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
			for (int w = 0; w < 2; w++) {
				struct ub_sc r = ub_sc_alu(ops[o], w, &a, &b);
				for (int i = 0; i < N; i++)
					for (int j = 0; j < N; j++) {
						uint64_t c = oracle(ops[o], w, xs[i], ys[j]);
						checks++;
						if (!member(&r, c) && alu_bad++ < 5)
							printf("# alu op 0x%x w64=%d: %llx op %llx = %llx not in [u %llx..%llx s %lld..%lld t %llx/%llx]\n",
							       ops[o], w, (unsigned long long)xs[i], (unsigned long long)ys[j],
							       (unsigned long long)c, (unsigned long long)r.umin,
							       (unsigned long long)r.umax, (long long)r.smin, (long long)r.smax,
							       (unsigned long long)r.t.v, (unsigned long long)r.t.m);
					}
			}
		}
		for (size_t o = 0; o < sizeof(jops) / sizeof(jops[0]); o++) {
			for (int w = 0; w < 2; w++) {
				for (int taken = 0; taken < 2; taken++) {
					struct ub_sc ra = a, rb = b;
					int feasible = ub_sc_branch(jops[o], w, taken, &ra, &rb);
					for (int i = 0; i < N; i++)
						for (int j = 0; j < N; j++) {
							if (cmp_holds(jops[o], w, xs[i], ys[j]) != taken)
								continue;
							checks++;
							if ((!feasible || !member(&ra, xs[i]) || !member(&rb, ys[j])) &&
							    br_bad++ < 5)
								printf("# branch op 0x%x w64=%d taken=%d: %llx, %llx lost (feasible %d)\n",
								       jops[o], w, taken, (unsigned long long)xs[i],
								       (unsigned long long)ys[j], feasible);
						}
				}
			}
		}
		for (unsigned bits = 8; bits <= 32; bits *= 2) {
			for (int w = 0; w < 2; w++) {
				struct ub_sc r = ub_sc_sext(&a, bits, w);
				struct ub_sc t = ub_sc_trunc(&a, bits);
				for (int i = 0; i < N; i++) {
					uint64_t e = sx(xs[i], bits);
					if (!w)
						e &= 0xffffffff;
					checks += 2;
					if (!member(&r, e) && ext_bad++ < 5)
						printf("# sext%u w64=%d of %llx\n", bits, w, (unsigned long long)xs[i]);
					if (!member(&t, xs[i] & ((1ull << bits) - 1)) && ext_bad++ < 5)
						printf("# trunc%u of %llx\n", bits, (unsigned long long)xs[i]);
				}
			}
		}
	}
	TL_CHECK("ALU transfer functions are sound on samples", alu_bad == 0);
	TL_CHECK("branch refinement keeps every member that satisfies it", br_bad == 0);
	TL_CHECK("sign extension and truncation are sound", ext_bad == 0);
	{
		/* Precision spot checks: the domain must also learn things. */
		struct ub_sc x = ub_sc_unknown(), k = ub_sc_const(10), r;
		struct ub_sc a1 = x, b1 = k;
		ub_sc_branch(0xa0, 1, 1, &a1, &b1); /* x < 10 */
		TL_CHECK("x < 10 bounds x to [0, 9]", a1.umin == 0 && a1.umax == 9);
		struct ub_sc ff = ub_sc_const(0xff);
		r = ub_sc_alu(0x50, 1, &x, &ff);
		TL_CHECK("x & 0xff is in [0, 255]", r.umax == 255);
		r = ub_sc_alu(0x00, 1, &a1, &k);
		TL_CHECK("[0,9] + 10 is [10, 19]", r.umin == 10 && r.umax == 19);
		r = ub_sc_alu(0xb0, 0, &x, &x);
		TL_CHECK("w = w is zero-extended", r.umax == 0xffffffff);
	}
	printf("# %ld membership checks\n", checks);
	return tl_exit();
}
