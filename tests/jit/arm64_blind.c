/* SPDX-License-Identifier: MIT */
/*
 * arm64_blind.c - constant blinding and Spectre v1 index clamps in the
 * AArch64 JIT.
 *
 * Blinding exists so that a program cannot plant chosen constants (a JIT
 * spraying gadget) in executable memory through its immediates.  An A64
 * instruction carries a constant in a few kinds of fields, so the check
 * decodes the code: every movz/movn/movk chain is simulated per
 * destination register (the value it leaves there counts), and the
 * add/sub/cmp/cmn immediates (with their negation), logical bitmask
 * immediates and immediate shift counts are collected.  None may be a
 * program immediate: a 32-bit value as the operation sees it (or its
 * sign- or zero-extension; wide values also as either 32-bit half of a
 * collected 64-bit one), a lddw value or either of its 32-bit halves.
 * Compiled without blinding, every one of them must be found, which shows
 * the scan can fail.  The arm64 encoder is portable C, so this part runs
 * on every host (ub_jit_arm64 is called directly; nothing runs).
 *
 * Then, on arm64 hosts (or under qemu-aarch64, `make cross-arm64-tests`),
 * blinding must not change meaning: fixed programs (which also write
 * memory through r1) and 1,000 seeded random programs (tests/jit/x86_gen.h,
 * whose programs fold the stack into r0) give the same r0 and memory in
 * the interpreter, the JIT and the blinded JIT; each JIT run checks that
 * the program really was compiled.  Elsewhere that part is one skip line.
 *
 * Clamps: a strict-mode program indexing a stack array with an index the
 * verifier bounds gets `csel ..., ls` and csdb in its code (and a root
 * program only when hardened), the same result with and without them;
 * with a bound set below the real index by hand (a lie no verifier tells)
 * the clamped code reads index 0, which shows the clamp runs.
 */
#include <errno.h>
#include "x86_gen.h"
#include "verifier/verifier.h"

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
#define LDDW(d, v) INSN(0x18, d, 0, 0, (int32_t)(uint32_t)(v)), INSN(0, 0, 0, 0, (int32_t)((uint64_t)(v) >> 32))
#define EXIT INSN(0x95, 0, 0, 0, 0)
#define MOV64_K(d, i) INSN(0xb7, d, 0, 0, i)
#define CNT(a) (sizeof(a) / sizeof((a)[0]))

static struct userbpf_rt *rt;

/* Every kind of instruction that carries a program immediate, each with a
 * value of its own; ALU64 ones with the top bit set show sign extension,
 * 0x00abc000 fits add's shifted imm12, 0x5d3 and 0xabc fit the plain one
 * and -0x7b1 cmn's. */
static const struct userbpf_insn spray[] = {
	INSN(0xb7, 0, 0, 0, 0x5a5aa5a5),		/* r0 = imm */
	INSN(0x07, 0, 0, 0, 0x12345678),		/* r0 += imm */
	INSN(0x07, 0, 0, 0, 0x00abc000),		/* r0 += imm (imm12, lsl 12) */
	INSN(0x07, 0, 0, 0, 0x5d3),			/* r0 += imm (imm12) */
	INSN(0x17, 0, 0, 0, (int32_t)0xa1b2c3d4),	/* r0 -= imm (sign-extended) */
	INSN(0xb4, 1, 0, 0, 0x0badcafe),		/* w1 = imm */
	INSN(0x14, 1, 0, 0, 0x3c3cc3c3),		/* w1 -= imm */
	INSN(0x04, 1, 0, 0, (int32_t)0x8e8d8c8b),	/* w1 += imm */
	INSN(0x47, 0, 0, 0, 0x0ff00ff0),		/* r0 |= imm */
	INSN(0x57, 0, 0, 0, 0x69969669),		/* r0 &= imm */
	INSN(0xa4, 1, 0, 0, 0x1337c0de),		/* w1 ^= imm */
	INSN(0xa7, 0, 0, 0, (int32_t)0xf00dface),	/* r0 ^= imm */
	INSN(0x27, 0, 0, 0, 0x00c0ffee),		/* r0 *= imm */
	INSN(0x37, 0, 0, 0, 0x2468ace0),		/* r0 /= imm */
	INSN(0x97, 0, 0, 1, 0x35791bdf),		/* r0 s%= imm */
	INSN(0x94, 1, 0, 1, 0x0defaced),		/* w1 s%= imm */
	INSN(0x34, 1, 0, 0, 0x4d4d4d4d),		/* w1 /= imm */
	INSN(0x24, 1, 0, 0, 0x4c4c4c4c),		/* w1 *= imm */
	INSN(0x67, 0, 0, 0, 43),			/* r0 <<= 43 */
	INSN(0x74, 1, 0, 0, 27),			/* w1 >>= 27 */
	INSN(0xc7, 0, 0, 0, 57),			/* r0 s>>= 57 */
	INSN(0x15, 0, 0, 0, 0x31415926),		/* if r0 == imm goto +0 */
	INSN(0x45, 1, 0, 0, 0x27182818),		/* if r1 & imm goto +0 */
	INSN(0x46, 1, 0, 0, 0x6b6b6b6b),		/* if w1 & imm goto +0 */
	INSN(0xb6, 1, 0, 0, 0x5eed5eed),		/* if w1 <= imm goto +0 */
	INSN(0x65, 1, 0, 0, 0x7b7b7b7b),		/* if r1 s> imm goto +0 */
	INSN(0x25, 1, 0, 0, 0xabc),			/* if r1 > imm goto +0 (cmp #imm12) */
	INSN(0xa5, 1, 0, 0, -0x7b1),			/* if r1 < imm goto +0 (cmn #imm12) */
	INSN(0x56, 1, 0, 0, (int32_t)0xc0c0c0c1),	/* if w1 != imm goto +0 */
	INSN(0x62, 10, 0, -8, 0x76543210),		/* *(u32 *)(r10 - 8) = imm */
	INSN(0x7a, 10, 0, -16, 0x13579bdf),		/* *(u64 *)(r10 - 16) = imm */
	INSN(0x7a, 10, 0, -24, (int32_t)0x9abcdef1),	/* ... sign-extended */
	INSN(0x6a, 10, 0, -26, 0x2345),			/* *(u16 *)(r10 - 26) = imm */
	LDDW(2, 0x1122334455667788ull),
	LDDW(3, 0xa1b2c3d4e5f60718ull),
	INSN(0x0f, 0, 2, 0, 0),
	INSN(0xaf, 0, 3, 0, 0),
	INSN(0x0f, 0, 1, 0, 0),
	INSN(0x79, 4, 10, -16, 0), INSN(0xaf, 0, 4, 0, 0),
	INSN(0x61, 4, 10, -8, 0), INSN(0xaf, 0, 4, 0, 0),
	INSN(0x79, 4, 10, -24, 0), INSN(0xaf, 0, 4, 0, 0),
	INSN(0x69, 4, 10, -26, 0), INSN(0xaf, 0, 4, 0, 0),
	EXIT,
};

/* The legacy packet loads, whose offsets are program constants (compiled
 * only: outside the packet they end the run). */
static const struct userbpf_insn spray_pkt[] = {
	MOV64_K(6, 0),
	INSN(0x20, 0, 0, 0, 0x1c0ffee5),		/* r0 = ld_abs w [imm] */
	MOV64_K(7, 1),
	INSN(0x48, 0, 7, 0, 0x3a5e3a5e),		/* r0 = ld_ind h [r7 + imm] */
	EXIT,
};

/* ---- what the program's immediates are ---- */

struct imm_item {
	uint64_t v[4];		/* the forms it may take */
	int nv;
	char name[48];
};

/* The program constants of p (0 excluded: xzr is no constant), in the
 * forms the operation sees them; a subtracted one also negated, which a
 * JIT might add instead (and a program could choose as well). */
static int prog_items(const struct userbpf_insn *p, size_t n, struct imm_item *it, int max)
{
	int k = 0;

	for (size_t i = 0; i < n && k < max; i++) {
		uint8_t code = p[i].code, cls = code & 7;
		uint32_t u = (uint32_t)p[i].imm;
		struct imm_item *t = &it[k];

		memset(t, 0, sizeof(*t));
		if (code == 0x18 && i + 1 < n) {
			uint64_t v = (uint64_t)u | (uint64_t)(uint32_t)p[i + 1].imm << 32;
			t->v[0] = v;
			t->v[1] = (uint32_t)v;
			t->v[2] = v >> 32;
			t->nv = 3;
			snprintf(t->name, sizeof(t->name), "lddw 0x%016llx", (unsigned long long)v);
			i++;
		} else if (u == 0 || cls == 1 || cls == 3 || (cls != 0 && cls != 2 && (code & 0x08)) ||
			   ((cls == 4 || cls == 7) && ((code & 0xf0) == 0x80 || (code & 0xf0) == 0xd0)) ||
			   ((cls == 5 || cls == 6) && (code & 0xf0) >= 0x80 && (code & 0xf0) <= 0x90) ||
			   code == 0x05 || code == 0x06) {
			/* no constant: loads, stores of registers, atomics,
			 * register forms, neg, byte swaps (a width), calls,
			 * exit, gotos (an offset) */
			continue;
		} else if ((cls == 4 || cls == 7) &&
			   ((code & 0xf0) == 0x60 || (code & 0xf0) == 0x70 || (code & 0xf0) == 0xc0)) {
			t->v[0] = u & (cls == 7 ? 63 : 31);
			t->nv = 1;
			snprintf(t->name, sizeof(t->name), "shift count %u", (unsigned)t->v[0]);
		} else {
			t->v[0] = u;
			t->v[1] = (uint64_t)(int64_t)p[i].imm;
			t->nv = 2;
			if ((cls == 4 || cls == 7) && (code & 0xf0) == 0x10) {
				t->v[2] = (uint32_t)(0 - u);
				t->v[3] = (uint64_t)0 - t->v[1];
				t->nv = 4;
			}
			snprintf(t->name, sizeof(t->name), "imm 0x%08x (insn %zu)", u, i);
		}
		k++;
	}
	return k;
}

/* Whether the value m, found in the code, is one of t's forms: exactly,
 * or, for forms wider than 16 bits, as either 32-bit half of m. */
static bool item_hit(const struct imm_item *t, uint64_t m)
{
	for (int f = 0; f < t->nv; f++) {
		uint64_t v = t->v[f];
		if (m == v)
			return true;
		if ((uint32_t)v >= 0x10000 && ((uint32_t)m == (uint32_t)v || (uint32_t)(m >> 32) == (uint32_t)v))
			return true;
	}
	return false;
}

/* ---- what the code holds ---- */

static uint32_t word(const uint8_t *code, size_t i)
{
	const uint8_t *b = code + 4 * i;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* DecodeBitMasks of the Arm ARM: the value of a logical immediate, or
 * false for a reserved encoding. */
static bool bitmask(unsigned n, unsigned immr, unsigned imms, bool sf, uint64_t *out)
{
	unsigned x = (n << 6) | (~imms & 0x3f), len = 0, esize, s, r;
	uint64_t elem, v = 0;

	if (!x)
		return false;
	for (unsigned b = 0; b < 7; b++)
		if (x & (1u << b))
			len = b;
	if (len < 1 || (!sf && n))
		return false;
	esize = 1u << len;
	s = imms & (esize - 1);
	r = immr & (esize - 1);
	if (s == esize - 1)
		return false;
	elem = ((uint64_t)1 << (s + 1)) - 1;
	if (r)
		elem = (elem >> r | elem << (esize - r)) & (esize == 64 ? ~0ull : (((uint64_t)1 << esize) - 1));
	for (unsigned at = 0; at < 64; at += esize)
		v |= elem << at;
	*out = sf ? v : (uint32_t)v;
	return true;
}

struct found {
	uint64_t *v;
	uint32_t *at;		/* the word each value comes from */
	size_t n, cap;
	size_t movs, fields;	/* values from wide moves, from immediate fields */
};

static void found_add(struct found *f, uint64_t v, size_t at)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 256;
		uint64_t *nv = realloc(f->v, cap * sizeof(*nv));
		uint32_t *na;
		if (!nv)
			return;
		f->v = nv;
		na = realloc(f->at, cap * sizeof(*na));
		if (!na)
			return;
		f->at = na;
		f->cap = cap;
	}
	f->at[f->n] = (uint32_t)at;
	f->v[f->n++] = v;
}

/* Every constant the code holds: each value a movz/movn/movk chain puts
 * in a register (the value at its end: a partial one is only 16 bits,
 * which a random key half matches by chance now and then), every add/sub/cmp/cmn
 * immediate and its negation, every logical immediate, every immediate
 * shift count of lsl/lsr/asr. */
static void decode(const uint8_t *code, size_t len, struct found *f)
{
	uint64_t reg[32] = { 0 };

	for (size_t i = 0; i < len / 4; i++) {
		uint32_t w = word(code, i);
		bool sf = w >> 31;
		unsigned rd = w & 31, opc = (w >> 29) & 3;

		if ((w & 0x1f800000u) == 0x12800000u && opc != 1) { /* wide moves */
			unsigned hw = (w >> 21) & 3;
			uint64_t imm = (uint64_t)((w >> 5) & 0xffff) << (16 * hw);
			if (opc == 0)
				reg[rd] = ~imm;
			else if (opc == 2)
				reg[rd] = imm;
			else
				reg[rd] = (reg[rd] & ~((uint64_t)0xffff << (16 * hw))) | imm;
			if (!sf)
				reg[rd] = (uint32_t)reg[rd];
			/* the value the chain leaves, once the next word is
			 * not a movk of the same register */
			if (i + 1 < len / 4 && (word(code, i + 1) & 0x7f80001fu) == (0x72800000u | rd))
				continue;
			found_add(f, reg[rd], i);
			f->movs++;
		} else if ((w & 0x1f000000u) == 0x11000000u) { /* add/sub (immediate) */
			uint64_t v = (uint64_t)((w >> 10) & 0xfff) << ((w >> 22) & 1 ? 12 : 0);
			found_add(f, sf ? v : (uint32_t)v, i);
			found_add(f, sf ? (uint64_t)0 - v : (uint32_t)(0 - v), i);
			f->fields++;
		} else if ((w & 0x1f800000u) == 0x12000000u) { /* logical (immediate) */
			uint64_t v;
			if (bitmask((w >> 22) & 1, (w >> 16) & 0x3f, (w >> 10) & 0x3f, sf, &v)) {
				found_add(f, v, i);
				f->fields++;
			}
		} else if ((w & 0x1f800000u) == 0x13000000u && opc != 1) { /* sbfm/ubfm */
			unsigned bits = sf ? 64 : 32, immr = (w >> 16) & 0x3f, imms = (w >> 10) & 0x3f;
			if (imms == bits - 1) { /* lsr/asr #immr */
				found_add(f, immr, i);
				f->fields++;
			} else if (opc == 2 && imms + 1 == immr) { /* lsl #(bits-1-imms) */
				found_add(f, bits - 1 - imms, i);
				f->fields++;
			}
		}
	}
}

/* How many of the items the code holds; names the first. */
static int scan(const uint8_t *code, size_t len, const struct imm_item *it, int nit, char *first,
		size_t first_sz)
{
	struct found f = { 0 };
	int hits = 0;

	first[0] = 0;
	decode(code, len, &f);
	for (int k = 0; k < nit; k++) {
		for (size_t i = 0; i < f.n; i++) {
			if (item_hit(&it[k], f.v[i])) {
				if (!hits++)
					snprintf(first, first_sz, "%s as 0x%llx, word %u (%08x)",
						 it[k].name, (unsigned long long)f.v[i], f.at[i],
						 word(code, f.at[i]));
				break;
			}
		}
	}
	free(f.v);
	free(f.at);
	return hits;
}

/* ---- the byte checks, on any host ---- */

static void byte_checks(const char *what, const struct userbpf_insn *p, size_t n)
{
	struct userbpf_prog *prog = userbpf_prog__load(rt, p, n, NULL);
	struct ub_jit_opts op = { .blind = false }, ob = { .blind = true };
	struct ub_jit_out plain = { 0 }, b1 = { 0 }, b2 = { 0 };
	struct imm_item it[64];
	char name[160], first[160];
	int nit, got, worst = 0, err;

	if (!prog) {
		snprintf(name, sizeof(name), "blind %s: loads", what);
		tl_fail(name, "%s", tl_last_log);
		return;
	}
	nit = prog_items(p, n, it, (int)CNT(it));
	err = ub_jit_arm64(prog, &op, &plain);
	got = err ? -1 : scan(plain.code, plain.len, it, nit, first, sizeof(first));
	snprintf(name, sizeof(name), "blind %s: unblinded code holds all %d immediates (the scan can fail)",
		 what, nit);
	if (got == nit && nit > 0)
		tl_ok(name);
	else
		tl_fail(name, "err %d, %d found", err, got);
	/* Fresh keys each time: a fixed key would let an unlucky value
	 * through only sometimes. */
	for (int t = 0; t < 50; t++) {
		struct ub_jit_out o = { 0 };
		char fx[160];
		int k;

		err = ub_jit_arm64(prog, &ob, &o);
		k = err ? 1000 : scan(o.code, o.len, it, nit, fx, sizeof(fx));
		if (k > worst) {
			worst = k;
			snprintf(first, sizeof(first), "%s", err ? "compile failed" : fx);
		}
		ub_free(rt, o.code);
	}
	snprintf(name, sizeof(name), "blind %s: blinded code holds none of them (50 compiles)", what);
	if (worst == 0)
		tl_ok(name);
	else
		tl_fail(name, "%d found, first %s", worst, first);
	err = ub_jit_arm64(prog, &ob, &b1);
	if (!err)
		err = ub_jit_arm64(prog, &ob, &b2);
	snprintf(name, sizeof(name), "blind %s: keys are random per compile", what);
	TL_CHECK(name, !err && (b1.len != b2.len || memcmp(b1.code, b2.code, b1.len) != 0));
	{
		struct found f = { 0 };
		if (!err)
			decode(b1.code, b1.len, &f);
		printf("# %s: %zu words plain, %zu blinded; blinded: %zu wide-move values, %zu immediate fields\n",
		       what, plain.len / 4, b1.len / 4, f.movs, f.fields);
		free(f.v);
		free(f.at);
	}
	ub_free(rt, plain.code);
	ub_free(rt, b1.code);
	ub_free(rt, b2.code);
	userbpf_prog__free(prog);
}

/* ---- clamps: code checks on any host, runs on arm64 ---- */

/* csel xd, xn, xzr, ls then csdb, anywhere in the code */
static bool has_clamp(const uint8_t *code, size_t len)
{
	for (size_t i = 0; i + 1 < len / 4; i++) {
		uint32_t w = word(code, i);
		if ((w & 0xfffffc00u) == 0x9a9f9000u && word(code, i + 1) == 0xd503229fu)
			return true;
	}
	return false;
}

static bool has_csdb(const uint8_t *code, size_t len)
{
	for (size_t i = 0; i < len / 4; i++)
		if (word(code, i) == 0xd503229fu)
			return true;
	return false;
}

#if defined(__aarch64__)
/* Runs prog in the JIT; -ENOEXEC if it ran but not as JIT code. */
static int jit_run(struct userbpf_prog *prog, const void *pkt, size_t pkt_len, void *mem,
		   size_t mem_len, uint64_t *r0)
{
	struct userbpf_region reg = { mem, mem_len, true };
	struct userbpf_run_opts o = { .sz = sizeof(o), .engine = USERBPF_ENGINE_JIT };
	int err;

	o.pkt = pkt;
	o.pkt_len = pkt_len;
	o.args[0] = (uint64_t)(uintptr_t)mem;
	o.regions = &reg;
	o.region_cnt = mem ? 1 : 0;
	userbpf_prog__set_trusted(prog, true);
	err = userbpf_prog__run(prog, &o, r0);
	if (!err && !prog->jit_code)
		return -ENOEXEC;
	return err;
}

static int interp_run(struct userbpf_prog *prog, const void *pkt, size_t pkt_len, void *mem,
		      size_t mem_len, uint64_t *r0)
{
	struct userbpf_region reg = { mem, mem_len, true };
	struct userbpf_run_opts o = { .sz = sizeof(o), .engine = USERBPF_ENGINE_INTERPRETER };

	o.pkt = pkt;
	o.pkt_len = pkt_len;
	o.args[0] = (uint64_t)(uintptr_t)mem;
	o.regions = &reg;
	o.region_cnt = mem ? 1 : 0;
	return userbpf_prog__run(prog, &o, r0);
}
#endif

/* 64 bytes of stack hold i * 3 at byte i; r1 = r10 - 64; r2 = 5;
 * r1 += r2 (insn 12); r0 = *(u8 *)(r1 + 0) = 15 */
static const struct userbpf_insn clamp_prog[] = {
	INSN(0xb7, 3, 0, 0, 0),
	INSN(0xbf, 4, 10, 0, 0), INSN(0x07, 4, 0, 0, -64),
	INSN(0xbf, 5, 3, 0, 0), INSN(0x27, 5, 0, 0, 3),
	INSN(0x73, 4, 5, 0, 0), INSN(0x07, 4, 0, 0, 1),
	INSN(0x07, 3, 0, 0, 1), INSN(0x55, 3, 0, -6, 64),
	INSN(0xbf, 1, 10, 0, 0), INSN(0x07, 1, 0, 0, -64),
	INSN(0xb7, 2, 0, 0, 5),
	INSN(0x0f, 1, 2, 0, 0),
	INSN(0x71, 0, 1, 0, 0), EXIT,
};

/* clamp_prog with facts set by hand at insn 12; returns the JIT's r0 */
static int clamp_hand(uint8_t fact, uint32_t bound, bool blind, uint64_t *r0, bool *clamped)
{
	struct userbpf_prog_opts po = { .sz = sizeof(po), .jit_blind = blind };
	struct userbpf_prog *prog = userbpf_prog__load(rt, clamp_prog, CNT(clamp_prog), &po);
	uint8_t facts[CNT(clamp_prog)];
	uint32_t bounds[CNT(clamp_prog)];
	struct ub_jit_opts o = { .blind = blind };
	struct ub_jit_out out = { 0 };
	int err;

	if (!prog)
		return -EINVAL;
	memset(facts, 0, sizeof(facts));
	memset(bounds, 0, sizeof(bounds));
	facts[12] = fact;
	bounds[12] = bound;
	prog->facts = facts;
	prog->fact_bound = bounds;
	err = ub_jit_arm64(prog, &o, &out);
	*clamped = !err && has_clamp(out.code, out.len);
	ub_free(rt, out.code);
#if defined(__aarch64__)
	if (!err)
		err = jit_run(prog, NULL, 0, NULL, 0, r0);
#else
	*r0 = 0;
#endif
	userbpf_prog__free(prog);
	return err;
}

static void clamps(void)
{
	/* the verifier bounds its index (63) at insn 13 */
	size_t pn;
	const struct userbpf_insn *p = xg_clamp_prog(&pn);
	static const struct {
		uint8_t fact;
		uint32_t bound;
		bool blind;
		uint64_t want;
		bool clamped;
		const char *name;
	} hand[] = {
		{ UB_FACT_INDEX_BOUNDED | UB_FACT_SPECTRE_MASK, 63, false, 15, true,
		  "clamp: true bound 63, strict" },
		{ UB_FACT_INDEX_BOUNDED | UB_FACT_SPECTRE_MASK, 5, false, 15, true,
		  "clamp: bound 5 = idx, strict" },
		{ UB_FACT_INDEX_BOUNDED | UB_FACT_SPECTRE_MASK, 0xfffffff0u, true, 15, true,
		  "clamp: huge bound, strict, blinded" },
		{ UB_FACT_INDEX_BOUNDED | UB_FACT_SPECTRE_MASK, 4, false, 0, true,
		  "clamp: a bound below the index reads index 0 (the clamp runs)" },
		{ UB_FACT_INDEX_BOUNDED | UB_FACT_SPECTRE_MASK, 4, true, 0, true,
		  "clamp: ... and blinded" },
		{ UB_FACT_INDEX_BOUNDED, 4, false, 15, false,
		  "clamp: a root program's bound is not clamped (as Linux)" },
		{ UB_FACT_INDEX_BOUNDED, 4, true, 0, true,
		  "clamp: a hardened root program's bound is clamped" },
	};

	for (size_t h = 0; h < CNT(hand); h++) {
		uint64_t r0 = ~0ull;
		bool clamped = false;
		int err = clamp_hand(hand[h].fact, hand[h].bound, hand[h].blind, &r0, &clamped);

		if (err)
			tl_fail(hand[h].name, "error %d", err);
		else if (clamped != hand[h].clamped)
			tl_fail(hand[h].name, "csel+csdb %sin the code", clamped ? "" : "not ");
#if defined(__aarch64__)
		else if (r0 != hand[h].want)
			tl_fail(hand[h].name, "r0 %llu, want %llu", (unsigned long long)r0,
				(unsigned long long)hand[h].want);
#endif
		else
			tl_ok(hand[h].name);
	}

	for (int strict = 0; strict < 2; strict++) {
		struct userbpf_verify_opts vo = { .sz = sizeof(vo), .strict = strict };
		struct userbpf_prog *prog = userbpf_prog__load(rt, p, pn, NULL);
		struct ub_jit_opts o = { 0 }, ob = { .blind = true };
		struct ub_jit_out with = { 0 }, without = { 0 }, blinded = { 0 };
		const char *sfx = strict ? "strict" : "root";
		char name[128];
		const uint32_t *b;
		int e1, e2, e3;

		if (!prog || userbpf_prog__verify(prog, &vo)) {
			tl_fail("clamp: from the verifier", "the program does not load or verify");
			userbpf_prog__free(prog);
			return;
		}
		snprintf(name, sizeof(name), "clamp: the verifier bounds the stack index (63), %s", sfx);
		TL_CHECK(name, prog->facts && prog->fact_bound &&
				       (prog->facts[13] & UB_FACT_INDEX_BOUNDED) &&
				       prog->fact_bound[13] == 63 &&
				       !!(prog->facts[13] & UB_FACT_SPECTRE_MASK) == strict);
		b = prog->fact_bound;
		e1 = ub_jit_arm64(prog, &o, &with);
		e3 = ub_jit_arm64(prog, &ob, &blinded);
		prog->fact_bound = NULL;
		e2 = ub_jit_arm64(prog, &o, &without);
		prog->fact_bound = b;
		snprintf(name, sizeof(name), strict ? "clamp: csel + csdb in the strict program's code" :
						      "clamp: none in the root program's code");
		TL_CHECK(name, !e1 && !e2 && has_clamp(with.code, with.len) == !!strict &&
				       !has_csdb(without.code, without.len));
		snprintf(name, sizeof(name), "clamp: csel + csdb in the hardened %s program's code", sfx);
		TL_CHECK(name, !e3 && has_clamp(blinded.code, blinded.len));
		ub_free(rt, with.code);
		ub_free(rt, without.code);
		ub_free(rt, blinded.code);
#if defined(__aarch64__)
		{
			uint64_t rc = 0, rn = 1, ri = 2;
			int ec, en, ei;

			ec = jit_run(prog, NULL, 0, NULL, 0, &rc);
			ub_jit_free(prog); /* compile again without the bounds */
			prog->fact_bound = NULL;
			en = jit_run(prog, NULL, 0, NULL, 0, &rn);
			prog->fact_bound = b;
			ei = interp_run(prog, NULL, 0, NULL, 0, &ri);
			snprintf(name, sizeof(name),
				 "clamp: %s program, same r0 with and without clamps as interpreted", sfx);
			if (!ec && !en && !ei && rc == 63 && rn == 63 && ri == 63)
				tl_ok(name);
			else
				tl_fail(name, "errs %d %d %d, r0 %llu %llu %llu", ec, en, ei,
					(unsigned long long)rc, (unsigned long long)rn,
					(unsigned long long)ri);
		}
#endif
		userbpf_prog__free(prog);
	}
}

/* ---- same meaning, on arm64 ---- */

#if defined(__aarch64__)
static const uint8_t pkt[] = { 0x45, 0x00, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef };

/* Interpreter, JIT and blinded JIT on one program, r1 = 64 bytes of
 * memory; 0 when r0 and the memory agree. */
static int three_way(const struct userbpf_insn *p, size_t n, char *why, size_t why_sz)
{
	struct userbpf_prog_opts po = { .sz = sizeof(po), .jit_blind = true };
	struct userbpf_prog *a = userbpf_prog__load(rt, p, n, NULL);
	struct userbpf_prog *b = userbpf_prog__load(rt, p, n, &po);
	uint8_t mi[64], mj[64], mb[64];
	uint64_t ri = 0, rj = 0, rb = 0;
	int ei = -1, ej = -1, eb = -1, bad;

	for (size_t i = 0; i < sizeof(mi); i++)
		mi[i] = mj[i] = mb[i] = (uint8_t)(0x3d * i + 7);
	if (a && b) {
		ei = interp_run(a, pkt, sizeof(pkt), mi, sizeof(mi), &ri);
		ej = jit_run(a, pkt, sizeof(pkt), mj, sizeof(mj), &rj);
		eb = jit_run(b, pkt, sizeof(pkt), mb, sizeof(mb), &rb);
	}
	bad = ei || ej || eb || ri != rj || ri != rb || memcmp(mi, mj, sizeof(mi)) ||
	      memcmp(mi, mb, sizeof(mi));
	if (bad)
		snprintf(why, why_sz, "%s; errs %d %d %d; r0 interp 0x%llx jit 0x%llx blind 0x%llx%s",
			 a && b ? "ran" : "load failed", ei, ej, eb, (unsigned long long)ri,
			 (unsigned long long)rj, (unsigned long long)rb,
			 memcmp(mi, mj, sizeof(mi)) || memcmp(mi, mb, sizeof(mi)) ? "; memory differs" : "");
	userbpf_prog__free(a);
	userbpf_prog__free(b);
	return bad;
}

#define SAME(name, ...) XG_SAME(three_way, "blind same result: " name, __VA_ARGS__)

static void fixed_programs(void)
{
	char why[256];

	if (three_way(spray, CNT(spray), why, sizeof(why)))
		tl_fail("blind same result: the spray program", "%s", why);
	else
		tl_ok("blind same result: the spray program");
	SAME("mov exit", MOV64_K(0, 42), EXIT);
	SAME("mov 0, mov32 0, add 0", MOV64_K(0, -1), MOV64_K(0, 0), INSN(0xb4, 2, 0, 0, 0),
	     INSN(0x07, 0, 0, 0, 0), INSN(0x0f, 0, 2, 0, 0), EXIT);
	SAME("div64 K by zero", MOV64_K(0, 7), INSN(0x37, 0, 0, 0, 0), EXIT);
	SAME("mod64 K by zero", MOV64_K(0, -5), INSN(0x97, 0, 0, 0, 0), EXIT);
	SAME("mod32 K by zero", MOV64_K(0, -5), INSN(0x94, 0, 0, 0, 0), EXIT);
	SAME("sdiv64 INT_MIN/-1", LDDW(0, 0x8000000000000000ull), INSN(0x37, 0, 0, 1, -1), EXIT);
	SAME("smod64 INT_MIN%-1", LDDW(0, 0x8000000000000000ull), INSN(0x97, 0, 0, 1, -1), EXIT);
	SAME("sdiv32 INT_MIN/-1", INSN(0xb4, 0, 0, 0, (int32_t)0x80000000), INSN(0x34, 0, 0, 1, -1), EXIT);
	SAME("add32 K negative wraps", MOV64_K(0, 5), INSN(0x04, 0, 0, 0, -7), EXIT);
	SAME("and64 K negative keeps the top", LDDW(0, 0xf0f0f0f0f0f0f0f0ull), INSN(0x57, 0, 0, 0, -16), EXIT);
	SAME("and32 K clears the top", LDDW(0, 0xf0f0f0f0f0f0f0f0ull), INSN(0x54, 0, 0, 0, -16), EXIT);
	SAME("lsh64 K 63", MOV64_K(0, 3), INSN(0x67, 0, 0, 0, 63), EXIT);
	SAME("lsh64 K 0", LDDW(0, 0x123456789ull), INSN(0x67, 0, 0, 0, 0), EXIT);
	SAME("rsh32 K 0 zero-extends", MOV64_K(0, -1), INSN(0x74, 0, 0, 0, 0), EXIT);
	SAME("arsh32 K zero-extends", MOV64_K(0, -1), INSN(0xc4, 0, 0, 0, 4), EXIT);
	SAME("arsh64 K", MOV64_K(4, -64), INSN(0xc7, 4, 0, 0, 3), INSN(0xbf, 0, 4, 0, 0), EXIT);
	SAME("mov32 K negative", MOV64_K(0, -1), INSN(0xb4, 0, 0, 0, -2), EXIT);
	SAME("jmp32 signed", MOV64_K(0, 0), LDDW(1, 0x00000001ffffffffull), INSN(0xc6, 1, 0, 1, 0), EXIT,
	     MOV64_K(0, 1), EXIT);
	SAME("jmp64 K negative", MOV64_K(0, 0), MOV64_K(1, -5), INSN(0x25, 1, 0, 1, -6), EXIT,
	     MOV64_K(0, 1), EXIT);
	SAME("jeq K 0", MOV64_K(0, 3), MOV64_K(1, 0), INSN(0x15, 1, 0, 1, 0), MOV64_K(0, 4), EXIT);
	SAME("jset K 0 never jumps", MOV64_K(0, 3), MOV64_K(1, -1), INSN(0x45, 1, 0, 1, 0), MOV64_K(0, 4), EXIT);
	SAME("jset32 K", MOV64_K(0, 0), LDDW(1, 0x100000000ull), INSN(0x46, 1, 0, 1, 1), EXIT,
	     MOV64_K(0, 1), EXIT);
	SAME("jle32 K unsigned", MOV64_K(0, 0), MOV64_K(1, -1), INSN(0xb6, 1, 0, 1, 0x7fffffff), EXIT,
	     MOV64_K(0, 1), EXIT);
	SAME("lddw 0 and all ones", LDDW(0, 0), LDDW(2, ~0ull), INSN(0xaf, 0, 2, 0, 0), EXIT);
	SAME("st sizes to memory", MOV64_K(0, 0), INSN(0x7a, 1, 0, 8, -2), INSN(0x62, 1, 0, 16, 0x1234abcd),
	     INSN(0x6a, 1, 0, 20, (int32_t)0xfedc9876), INSN(0x72, 1, 0, 23, 0x7f), INSN(0x7a, 1, 0, 24, 0),
	     INSN(0x79, 0, 1, 8, 0), EXIT);
	SAME("st far offsets", INSN(0x07, 1, 0, 0, 2000), INSN(0x7a, 1, 0, -2000, 0x5555aaaa),
	     INSN(0x62, 1, 0, -1990, -7), MOV64_K(0, 1), EXIT);
	SAME("atomic add of a blinded value", MOV64_K(2, 0x12345678), INSN(0xdb, 1, 2, 32, 0x01),
	     INSN(0x79, 0, 1, 32, 0), INSN(0x0f, 0, 2, 0, 0), EXIT);
	SAME("ld_abs h", MOV64_K(6, 0), INSN(0x28, 0, 0, 0, 2), EXIT);
	SAME("ld_ind w", MOV64_K(6, 0), MOV64_K(7, 1), INSN(0x40, 0, 7, 0, 3), EXIT);
	SAME("ld_ind b offset 0", MOV64_K(6, 0), MOV64_K(7, 5), INSN(0x50, 0, 7, 0, 0), EXIT);
	SAME("ld_ind outside", MOV64_K(6, 0), MOV64_K(7, 1), MOV64_K(0, 5), INSN(0x50, 0, 7, 0, 0x7fffffff), EXIT);
	SAME("ld_abs outside", MOV64_K(6, 0), MOV64_K(0, 9), INSN(0x30, 0, 0, 0, 8), MOV64_K(0, 7), EXIT);
	SAME("local call keeps r6-r9", MOV64_K(6, 10), MOV64_K(1, 1), INSN(0x85, 0, 1, 0, 2),
	     INSN(0x0f, 0, 6, 0, 0), EXIT, MOV64_K(6, 99), INSN(0xbf, 0, 1, 0, 0), EXIT);
}

static void random_programs(void)
{
	xg_check_random("blind same result: 1000 random programs", 0xa64b0000u, 1000, three_way);
}
#endif

int main(void)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log = tl_log };

	rt = userbpf_rt__new(&o);
	if (!rt) {
		tl_fail("runtime", "userbpf_rt__new failed");
		return tl_exit();
	}
	byte_checks("spray", spray, CNT(spray));
	byte_checks("packet loads", spray_pkt, CNT(spray_pkt));
	clamps();
#if defined(__aarch64__)
	if (!ub_jit_available())
		tl_fail("arm64 blinded runs", "ub_jit_available() is false on arm64");
	fixed_programs();
	random_programs();
#else
	tl_skip("arm64 blinded runs", "not an arm64 host (the code checks above ran; "
				      "run the cross build under qemu-aarch64)");
#endif
	userbpf_rt__free(rt);
	return tl_exit();
}
