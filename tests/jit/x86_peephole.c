/* SPDX-License-Identifier: MIT */
/*
 * x86_peephole.c - the x86-64 JIT's rewrites of instruction pairs and its
 * loop alignment, against the interpreter.
 *
 * The JIT turns `mov a, b; add a, c|imm` into one lea (64 and 32 bits),
 * `a <<= 32; a >>= 32` into a 32-bit mov and `a <<= 32; a s>>= 32` into
 * movsxd, `a = b; a += c; a = *(a + off)` into one load, and leaves out the compare of `if a OP 0` when the ALU operation
 * just before left the flags as that compare would.  Each rewrite is only
 * right when nothing jumps to the second instruction, and the flags one
 * only for some conditions and widths.  Random programs built mostly of
 * exactly those pairs, with forward jumps that often land on the second
 * instruction of a pair, and backward jumps (bounded loops) so that the
 * loop-head padding and the re-sizing of jumps around it run, must give
 * the interpreter's r0 in the JIT, plain and blinded.  Loads whose
 * address an add before them computes are folded into one addressing
 * mode: those runs are in the programs too, reading a stack of known
 * values.  Small programs
 * check that each rewrite does happen (their bytes are in the code).
 */
#include <errno.h>
#include "x86_gen.h"
#include "platform/platform.h"

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
#define EXIT INSN(0x95, 0, 0, 0, 0)
#define CNT(a) (sizeof(a) / sizeof((a)[0]))
#define MAXN 1200

#if defined(__x86_64__)
static struct userbpf_rt *rt;

struct pp {
	struct userbpf_insn in[MAXN];
	size_t n;
};

static void put(struct pp *p, unsigned code, unsigned dst, unsigned src, int off, int32_t imm)
{
	if (p->n < MAXN)
		p->in[p->n++] = (struct userbpf_insn)INSN(code, dst, src, off, imm);
}

/* A register to write and one to read: r0-r9 (r10's value differs
 * between engines, so it must not reach r0; stack_pairs() covers it). */
static unsigned wreg(struct tl_rng *r) { return tl_rn(r, 10); }
static unsigned rreg(struct tl_rng *r) { return tl_rn(r, 10); }

static int32_t small_imm(struct tl_rng *r)
{
	static const int32_t v[] = { 0, 1, -1, 8, -8, 127, 128, -129, 0x7fffffff,
				     INT32_MIN, 0x12345 };
	return v[tl_rn(r, CNT(v))];
}

/*
 * A 16-bit value read a byte at a time from base + off (and off + 1), as
 * the JIT turns into one 16-bit load: h and l distinct, neither the base;
 * one of clang's three orders, either byte order, 32- or 64-bit shift
 * and or.
 */
static void put_u16(struct pp *p, struct tl_rng *r, unsigned h, unsigned l, unsigned base,
		    int off)
{
	int oh = tl_rn(r, 2) ? off : off + 1, ol = oh == off ? off + 1 : off;
	unsigned sh = tl_rn(r, 2) ? 0x64 : 0x67, orr = tl_rn(r, 2) ? 0x4c : 0x4f;

	switch (tl_rn(r, 3)) {
	case 0:
		put(p, 0x71, h, base, oh, 0);
		put(p, 0x71, l, base, ol, 0);
		put(p, sh, h, 0, 0, 8);
		break;
	case 1:
		put(p, 0x71, l, base, ol, 0);
		put(p, 0x71, h, base, oh, 0);
		put(p, sh, h, 0, 0, 8);
		break;
	default:
		put(p, 0x71, h, base, oh, 0);
		put(p, sh, h, 0, 0, 8);
		put(p, 0x71, l, base, ol, 0);
		break;
	}
	put(p, orr, h, l, 0, 0);
}

/*
 * One random program: registers start with distinct values (r10 is only
 * read, as an address), then units that are mostly the rewritten pairs;
 * jumps go forward by 1-3 instructions (often onto the second of a pair)
 * or back to the start of a counted loop.  Ends by folding r0-r9 into r0.
 */
static void gen(struct pp *p, uint64_t seed)
{
	static const uint8_t alu[] = { 0x00, 0x10, 0x40, 0x50, 0xa0 };
	static const uint8_t jcc[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70,
				       0xa0, 0xb0, 0xc0, 0xd0 };
	struct tl_rng rng = { seed };
	struct tl_rng *r = &rng;
	size_t units = 20 + tl_rn(r, 60);

	p->n = 0;
	for (unsigned k = 0; k <= 9; k++) {
		uint64_t v = tl_rnd(r);
		put(p, 0x18, k, 0, 0, (int32_t)(uint32_t)v);
		put(p, 0, 0, 0, 0, (int32_t)(v >> 32));
	}
	for (unsigned k = 1; k <= 8; k++)
		put(p, 0x7b, 10, k, -8 * (int)k, 0);	/* the stack: known values */
	for (size_t u = 0; u < units && p->n + 40 < MAXN; u++) {
		unsigned a = wreg(r), kind = tl_rn(r, 19);
		bool w = tl_rn(r, 2);

		if (a == 9)
			a = 8; /* r9 counts loops */
		switch (kind) {
		case 0: case 1: /* mov; add */
			put(p, w ? 0xbf : 0xbc, a, rreg(r), 0, 0);
			if (tl_rn(r, 2))
				put(p, w ? 0x0f : 0x0c, a, tl_rn(r, 4) ? rreg(r) : a, 0, 0);
			else
				put(p, w ? 0x07 : 0x04, a, 0, 0, small_imm(r));
			break;
		case 2: /* a <<= 32; a >>= 32 or s>>= 32, sometimes other counts */
			put(p, 0x67, a, 0, 0, tl_rn(r, 4) ? 32 : 31);
			put(p, tl_rn(r, 2) ? 0x77 : 0xc7, a, 0, 0, tl_rn(r, 4) ? 32 : 16);
			break;
		case 3: case 4: case 5: { /* alu; if a OP 0 */
			bool jw = tl_rn(r, 3) ? w : !w;
			unsigned op = alu[tl_rn(r, CNT(alu))];

			if (tl_rn(r, 2))
				put(p, (w ? 0x0f : 0x0c) | op, a, rreg(r), 0, 0);
			else
				put(p, (w ? 0x07 : 0x04) | op, a, 0, 0, small_imm(r));
			put(p, (jw ? 0x05 : 0x06) | jcc[tl_rn(r, CNT(jcc))],
			    tl_rn(r, 5) ? a : wreg(r), 0, (int)tl_rn(r, 3), tl_rn(r, 6) ? 0 : 1);
			break;
		}
		case 6: /* a jump onto the second instruction of the next pair */
			if (tl_rn(r, 2))
				put(p, 0x05, 0, 0, 1, 0);
			else
				put(p, 0x55, a, 0, 1, 0);
			break;
		case 7: { /* a counted loop of 1-6 pairs, back to its head */
			size_t head, body = 1 + tl_rn(r, 6);

			/* three times: a forward jump (at most 3 ahead) may
			 * skip one or two, never into the loop */
			for (int t = 0; t < 3; t++)
				put(p, 0xb7, 9, 0, 0, (int32_t)(1 + tl_rn(r, 5)));
			head = p->n;
			for (size_t b = 0; b < body; b++) {
				unsigned c = wreg(r) == 9 ? 1 : wreg(r);
				if (c == 9)
					c = 7;
				put(p, 0xbf, c, rreg(r), 0, 0);
				put(p, 0x0f, c, rreg(r), 0, 0);
			}
			put(p, 0x07, 9, 0, 0, -1);
			put(p, 0x55, 9, 0, (int)(head - (p->n + 1)), 0);
			break;
		}
		case 10: case 11: { /* a = r10; a += k|rK; [a += rK;] a = *(a + off) */
			static const uint8_t ld[] = { 0x71, 0x69, 0x61, 0x79, 0x91, 0x89, 0x81 };
			unsigned rk = a == 1 ? 2 : 1, sz = ld[tl_rn(r, CNT(ld))];
			int slot = -8 * (int)(1 + tl_rn(r, 7));

			/* three times: forward jumps land on one of these at worst */
			for (int t = 0; t < 3; t++)
				put(p, 0xbf, a, 10, 0, 0);
			switch (tl_rn(r, 3)) {
			case 0:
				put(p, 0x07, a, 0, 0, slot);
				put(p, sz, a, a, sz == 0x79 ? 0 : (int)tl_rn(r, 2) * 4, 0);
				break;
			case 1:
				put(p, 0xb7, rk, 0, 0, slot - 8);
				put(p, 0xbf, a, 10, 0, 0);
				put(p, 0x0f, a, rk, 0, 0);
				put(p, sz, a, a, 8, 0);
				break;
			default:
				put(p, 0x07, a, 0, 0, -64);
				put(p, 0xb7, rk, 0, 0, 16);
				put(p, 0x0f, a, rk, 0, 0);
				put(p, sz, a, a, slot + 64 - 16, 0);
				break;
			}
			break;
		}
		case 12: case 13: case 14: {
			/* an address made of r10 and a scaled index, used by 1-3
			 * accesses, then dead or still used (folding is only
			 * allowed in the first case) */
			unsigned kr, x, b, t, na = 1 + tl_rn(r, 3), v = tl_rn(r, 5);
			int32_t kval = (int32_t)tl_rn(r, 6);

			a = 1 + tl_rn(r, 8);
			do kr = tl_rn(r, 9); while (kr == a);
			do x = tl_rn(r, 9); while (x == a || x == kr);
			for (int q = 0; q < 3; q++) /* landing pad for jumps */
				put(p, 0xb7, kr, 0, 0, kval);
			if (v == 1 || v == 4) { /* garbage above bit 31: only zext uses it */
				put(p, 0x18, kr, 0, 0, kval);
				put(p, 0, 0, 0, 0, (int32_t)tl_rnd(r) | 1);
			}
			if (v == 2) { /* the add without a mov: a is the base */
				put(p, 0xbf, a, 10, 0, 0);
				put(p, 0x07, 0, 0, 0, 1);
			}
			put(p, 0xbf, x, kr, 0, 0);
			if (v >= 3) /* the shifts alone, without the mov */
				put(p, 0x07, 0, 0, 0, 1);
			if (v == 1 || v == 4) {
				put(p, 0x67, x, 0, 0, 32);
				put(p, 0x77, x, 0, 0, 32);
			}
			put(p, 0x67, x, 0, 0, 3);
			if (v != 2)
				put(p, 0xbf, a, 10, 0, 0);
			put(p, 0x0f, a, x, 0, 0);
			for (unsigned q = 0; q < na; q++) {
				static const uint8_t ld[] = { 0x71, 0x69, 0x61, 0x79, 0x91, 0x89, 0x81 };
				static const uint8_t st[] = { 0x73, 0x6b, 0x63, 0x7b };

				t = tl_rn(r, 2);
				if (!tl_rn(r, 4)) {
					unsigned h, l;

					do h = tl_rn(r, 9); while (h == a);
					do l = tl_rn(r, 9); while (l == a || l == h);
					put_u16(p, r, h, l, a, -64 + 8 * (int)t + (int)tl_rn(r, 7));
				} else if (tl_rn(r, 3)) {
					do b = tl_rn(r, 9); while (b == a);
					put(p, ld[tl_rn(r, CNT(ld))], b, a, -64 + 8 * (int)t, 0);
				} else {
					do b = tl_rn(r, 9); while (b == a);
					put(p, st[tl_rn(r, CNT(st))], a, b, -64 + 8 * (int)t, 0);
				}
			}
			t = tl_rn(r, 3);
			if (t == 0) {
				put(p, 0xb7, a, 0, 0, 7);
				put(p, 0xb7, x, 0, 0, 9);
			} else if (t == 1) {
				/* a is dead where the branch falls through, read
				 * where it is taken (always) */
				put(p, 0x1d, 0, 0, 2, 0);	/* if r0 == r0 goto +2 */
				put(p, 0xb7, a, 0, 0, 7);
				put(p, 0x05, 0, 0, 1, 0);
				put(p, 0x79, 0, a, -64, 0);
				put(p, 0xb7, a, 0, 0, 7);
				put(p, 0xb7, x, 0, 0, 9);
			} else {
				put(p, 0x07, 0, 0, 0, 1);
				put(p, 0x79, 0, a, -64, 0);
				put(p, 0x0f, 0, x, 0, 0);
				put(p, 0xb7, a, 0, 0, 7);
			}
			break;
		}
		case 17: case 18: { /* a loaded value compared at once */
			bool dw = tl_rn(r, 2);
			unsigned o = wreg(r), op = jcc[tl_rn(r, CNT(jcc))];
			int off = -8 * (int)(1 + tl_rn(r, 8));

			if (a == 9)
				a = 8;
			put(p, dw ? 0x79 : 0x61, a, 10, off, 0);
			switch (tl_rn(r, 3)) {
			case 0: put(p, (dw ? 0x0d : 0x0e) | op, o, a, (int)tl_rn(r, 3), 0); break;
			case 1: put(p, (dw ? 0x0d : 0x0e) | op, a, o, (int)tl_rn(r, 3), 0); break;
			default:
				put(p, (dw ? 0x05 : 0x06) | op, a, 0, (int)tl_rn(r, 3), small_imm(r));
				break;
			}
			if (tl_rn(r, 2))
				put(p, 0x0f, 0, a, 0, 0);	/* still read */
			else
				put(p, 0xb7, a, 0, 0, 3);
			break;
		}
		case 15: case 16: { /* a 16-bit value byte by byte off r10 */
			unsigned l;

			do l = tl_rn(r, 9); while (l == a || a == 9);
			put_u16(p, r, a == 9 ? 8 : a, l, 10, -64 + (int)tl_rn(r, 63));
			if (tl_rn(r, 2))
				put(p, 0x0f, 0, l, 0, 0);	/* l still read */
			break;
		}
		default: /* filler that moves code (and loop heads) about */
			put(p, 0x07, a, 0, 0, (int32_t)tl_rnd(r));
			if (tl_rn(r, 2))
				put(p, 0x27, a, 0, 0, 3);
			break;
		}
	}
	put(p, 0xb7, 0, 0, 0, 0); /* pending jumps land here at worst */
	put(p, 0xb7, 1, 0, 0, 0);
	put(p, 0xb7, 2, 0, 0, 0);
	for (unsigned k = 1; k <= 9; k++) {
		put(p, 0x27, 0, 0, 0, 31);
		put(p, 0xaf, 0, k, 0, 0);
	}
	put(p, 0x95, 0, 0, 0, 0);
}

/* r0 of prog in the interpreter, the JIT and the blinded JIT. */
static int run3(const struct userbpf_insn *in, size_t n, uint64_t out[3])
{
	for (int e = 0; e < 3; e++) {
		struct userbpf_prog_opts po = { .sz = sizeof(po), .jit_blind = e == 2,
						.entry_regs = 0x3e };
		struct userbpf_prog *prog = userbpf_prog__load(rt, in, n, &po);
		int err;

		if (!prog)
			return -errno;
		err = xg_run(prog, e ? USERBPF_ENGINE_JIT : USERBPF_ENGINE_INTERPRETER, NULL, 0,
			     &out[e]);
		userbpf_prog__free(prog);
		if (err)
			return err;
	}
	return 0;
}

/* lea with r10 (rbp) as either operand: the address must be the same
 * one the stack accesses use. */
static void stack_pairs(void)
{
	static const struct userbpf_insn a[] = {
		INSN(0x18, 1, 0, 0, 0x11223344), INSN(0, 0, 0, 0, 0x55667788),
		INSN(0xb7, 4, 0, 0, -16),
		INSN(0xbf, 2, 10, 0, 0), INSN(0x0f, 2, 4, 0, 0),	/* r2 = r10 + r4 */
		INSN(0x7b, 2, 1, 0, 0),
		INSN(0xbf, 3, 4, 0, 0), INSN(0x0f, 3, 10, 0, 0),	/* r3 = r4 + r10 */
		INSN(0x79, 5, 3, 0, 0),
		INSN(0xbf, 6, 10, 0, 0), INSN(0x07, 6, 0, 0, -8),	/* r6 = r10 - 8 */
		INSN(0x7b, 6, 5, 0, 0),
		INSN(0x79, 0, 10, -8, 0), INSN(0x07, 0, 0, 0, 1),
		EXIT,
	};
	uint64_t r[3];
	int err = run3(a, CNT(a), r);

	if (err || r[0] != 0x5566778811223345ull || r[1] != r[0] || r[2] != r[0])
		tl_fail("peephole: lea with r10", "err %d, r0 0x%llx 0x%llx 0x%llx", err,
			(unsigned long long)r[0], (unsigned long long)r[1],
			(unsigned long long)r[2]);
	else
		tl_ok("peephole: lea with r10");
}

static void random_programs(void)
{
	static struct pp p;
	int bad = 0, runs = 0;
	char first[200] = "";

	for (int i = 0; i < 3000; i++) {
		uint64_t r[3];
		int err;

		gen(&p, 0x9ee9000u + (uint64_t)i);
		err = run3(p.in, p.n, r);
		runs++;
		if (err || r[0] != r[1] || r[0] != r[2]) {
			if (!bad++)
				snprintf(first, sizeof(first),
					 "program %d: err %d, interp 0x%llx jit 0x%llx blinded 0x%llx",
					 i, err, (unsigned long long)r[0], (unsigned long long)r[1],
					 (unsigned long long)r[2]);
		}
	}
	if (bad)
		tl_fail("peephole: random pair programs agree", "%d of %d differ; first %s", bad,
			runs, first);
	else
		tl_ok("peephole: 3000 random pair programs agree");
}

/* Compiles in[] (not blinded) and says whether pat[] occurs in the code. */
static int has_bytes(const struct userbpf_insn *in, size_t n, const uint8_t *pat, size_t plen)
{
	struct userbpf_prog_opts po = { .sz = sizeof(po), .entry_regs = 0x3e };
	struct userbpf_prog *prog = userbpf_prog__load(rt, in, n, &po);
	struct ub_jit_opts o = { 0 };
	struct ub_jit_out out = { 0 };
	int found = 0;

	if (!prog)
		return -1;
	userbpf_prog__set_trusted(prog, true);
	if (ub_jit_x86_64(prog, &o, &out)) {
		userbpf_prog__free(prog);
		return -1;
	}
	for (size_t k = 0; k + plen <= out.len && !found; k++)
		found = !memcmp(out.code + k, pat, plen);
	ub_free(rt, out.code);
	userbpf_prog__free(prog);
	return found;
}

#define HAS(name, want, pat, ...)                                              \
	do {                                                                   \
		static const struct userbpf_insn _p[] = { __VA_ARGS__ };      \
		static const uint8_t _b[] = pat;                               \
		int _f = has_bytes(_p, CNT(_p), _b, sizeof(_b));               \
		if (_f < 0)                                                    \
			tl_fail(name, "did not compile");                      \
		else if (_f != (want))                                         \
			tl_fail(name, "the bytes are %sin the code", _f ? "" : "not "); \
		else                                                           \
			tl_ok(name);                                           \
	} while (0)

#define B(...) { __VA_ARGS__ }

static void rewrites_happen(void)
{
	/* r3 = r1; r3 += r2 -> lea rdx, [rdi + rsi] */
	HAS("peephole: mov+add is one lea", 1, B(0x48, 0x8d, 0x14, 0x37),
	    INSN(0xbf, 3, 1, 0, 0), INSN(0x0f, 3, 2, 0, 0), INSN(0xbf, 0, 3, 0, 0), EXIT);
	/* the same with a jump onto the add: no lea */
	HAS("peephole: no lea when the add is a jump target", 0, B(0x48, 0x8d, 0x14, 0x37),
	    INSN(0x15, 1, 0, 1, 0), INSN(0xbf, 3, 1, 0, 0), INSN(0x0f, 3, 2, 0, 0),
	    INSN(0xbf, 0, 3, 0, 0), EXIT);
	/* w3 = w1; w3 += 8 -> lea edx, [rdi + 8] */
	HAS("peephole: mov32+add32 imm is one lea", 1, B(0x8d, 0x57, 0x08),
	    INSN(0xbc, 3, 1, 0, 0), INSN(0x04, 3, 0, 0, 8), INSN(0xbf, 0, 3, 0, 0), EXIT);
	/* r1 <<= 32; r1 >>= 32 -> mov edi, edi */
	HAS("peephole: shl 32 + shr 32 is mov32", 1, B(0x89, 0xff, 0x48),
	    INSN(0x67, 1, 0, 0, 32), INSN(0x77, 1, 0, 0, 32), INSN(0xbf, 0, 1, 0, 0), EXIT);
	/* r1 &= r2; if r1 == 0: no test rdi, rdi */
	HAS("peephole: no test after and", 0, B(0x48, 0x85, 0xff),
	    INSN(0x5f, 1, 2, 0, 0), INSN(0x15, 1, 0, 1, 0), INSN(0xb7, 1, 0, 0, 1),
	    INSN(0xbf, 0, 1, 0, 0), EXIT);
	/* ... but after add a signed condition needs the compare */
	HAS("peephole: cmp kept for s> 0 after add", 1, B(0x48, 0x83, 0xff, 0x00),
	    INSN(0x0f, 1, 2, 0, 0), INSN(0x65, 1, 0, 1, 0), INSN(0xb7, 1, 0, 0, 1),
	    INSN(0xbf, 0, 1, 0, 0), EXIT);
}

#endif

int main(void)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log = tl_log };

#if !defined(__x86_64__)
	(void)o;
	tl_skip("jit/x86 peephole", "not an x86-64 build");
	return tl_exit();
#else
	rt = userbpf_rt__new(&o);
	if (!rt)
		return 1;
	rewrites_happen();
	stack_pairs();
	random_programs();
	userbpf_rt__free(rt);
	return tl_exit();
#endif
}
