/* SPDX-License-Identifier: MIT */
/*
 * x86_cover.c - every row of the opcode table through the x86-64 JIT.
 *
 * The opcode table (src/isa/opcodes.h) is the list of what the ISA has, so
 * it is also the JIT's checklist: for each row this builds small programs
 * that use the instruction with several operand values and registers
 * (rax, rcx and rdx are special to x86 division, shifts and cmpxchg),
 * compiles them, runs them plain and blinded and compares r0 with the
 * interpreter.  A row fails unless it runs and agrees, or the runtime
 * refuses it by design (only kfunc calls, refused at load).  A new row
 * added to the table without JIT support fails here.
 *
 * It also prints the JIT's compile speed on a 100,000-instruction program
 * as an informational "# " line (a timing is no assertion on a shared
 * machine); the target is 10 M instructions per second.  The program's
 * jumps all go forward, so a second line compiles it with a third of its
 * conditional jumps turned backward, which puts the loop searches to work.
 */
#include <errno.h>
#include "x86_gen.h"
#include "platform/platform.h"

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
#define CNT(a) (sizeof(a) / sizeof((a)[0]))
#define HELPER_ID 200
#define MAXP 64

static struct userbpf_rt *rt;
static const uint8_t pkt[] = { 0x45, 0x00, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x80, 0x01 };

static uint64_t cover_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct userbpf_call *c)
{
	(void)c;
	return r1 * 3 + r2 * 5 + r3 * 7 + r4 * 11 + r5 * 13;
}

struct pb {
	struct userbpf_insn in[MAXP];
	size_t n;
	bool pseudo;		/* lddw pseudo forms: load as the object loader does */
};

static void put(struct pb *p, unsigned code, unsigned dst, unsigned src, int off, int32_t imm)
{
	if (p->n < MAXP)
		p->in[p->n++] = (struct userbpf_insn)INSN(code, dst, src, off, imm);
}

static void lddw(struct pb *p, unsigned dst, uint64_t v)
{
	put(p, 0x18, dst, 0, 0, (int32_t)(uint32_t)v);
	put(p, 0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

/* Every register gets a distinct value, the stack two known words. */
static void prologue(struct pb *p)
{
	for (unsigned r = 0; r <= 9; r++)
		lddw(p, r, 0x0102030405060708ull * (r + 1) ^ 0xf0e1d2c3b4a59687ull);
	lddw(p, 1, 0x8182838485868788ull);
	put(p, 0x7b, 10, 1, -8, 0);
	lddw(p, 1, 0x0123456789abcdefull);
	put(p, 0x7b, 10, 1, -16, 0);
	lddw(p, 1, 0x8182838485868788ull ^ 0x5555);
}

/* Folds the registers still defined (all, or r0 and r6-r9 after a call)
 * and the two stack words into r0. */
static void epilogue(struct pb *p, bool after_call)
{
	for (unsigned r = 1; r <= 9; r++) {
		if (after_call && r <= 5)
			continue;
		put(p, 0x27, 0, 0, 0, XG_MIX);
		put(p, 0xaf, 0, r, 0, 0);
	}
	for (int off = -16; off < 0; off += 8) {
		put(p, 0x79, 1, 10, off, 0);
		put(p, 0x27, 0, 0, 0, XG_MIX);
		put(p, 0xaf, 0, 1, 0, 0);
	}
	put(p, 0x95, 0, 0, 0, 0);
}

/* Operand values: signs, widths, zero divisors, INT_MIN / -1. */
static const uint64_t vals[][2] = {
	{ 0x8000000000000001ull, 3 },
	{ (uint64_t)-7, 2 },
	{ 0x123456789abcdef0ull, 0xfffffff0ull },
	{ 5, 0 },
	{ 0x8000000000000000ull, (uint64_t)-1 },
	{ 0xffffffff80000000ull, (uint64_t)-1 },
	{ 0x100000005ull, 5 },
	{ 42, 42 },
	{ 1, 0x41 },
};
/* (dst, src): x86 rax, rcx, rdx and the callee-saved ones */
static const uint8_t regs[][2] = { { 1, 2 }, { 4, 0 }, { 0, 4 }, { 3, 3 }, { 6, 5 }, { 9, 3 } };

/* Builds program `variant` for row `op`; false when the row has no more. */
static bool build(int op, unsigned variant, struct pb *p)
{
	const struct ub_opinfo *oi = &ub_opinfo[op];
	unsigned vi = variant % CNT(vals), ri = variant / CNT(vals);
	uint64_t a = vals[vi][0], b = vals[vi][1];
	unsigned dst = regs[ri % CNT(regs)][0], src = regs[ri % CNT(regs)][1];
	int voff = oi->vkind == V_OFF ? oi->vval : 0;
	int32_t vimm = oi->vkind == V_IMM ? oi->vval : 0;

	memset(p, 0, sizeof(*p));
	if (ri >= CNT(regs))
		return false;
	switch (oi->fmt) {
	case F_ALU_K: case F_ALU_X: case F_NEG: case F_MOVSX: case F_END: case F_BSWAP:
		prologue(p);
		lddw(p, dst, a);
		if (oi->fmt == F_ALU_X)
			lddw(p, src, b);
		put(p, oi->code, dst, oi->fmt == F_ALU_X || oi->fmt == F_MOVSX ? src : 0, voff,
		    oi->fmt == F_ALU_K ? (int32_t)b : vimm);
		epilogue(p, false);
		return true;
	case F_JMP_K: case F_JMP_X:
		prologue(p);
		lddw(p, dst, a);
		if (oi->fmt == F_JMP_X)
			lddw(p, src, b);
		put(p, oi->code, dst, oi->fmt == F_JMP_X ? src : 0, 2,
		    oi->fmt == F_JMP_K ? (int32_t)b : 0);
		put(p, 0x07, 0, 0, 0, 1000);	/* not taken */
		put(p, 0x05, 0, 0, 1, 0);
		put(p, 0x07, 0, 0, 0, 2000);	/* taken */
		epilogue(p, false);
		return true;
	case F_JA: case F_JA32:
		if (variant)
			return false;
		prologue(p);
		put(p, oi->code, 0, 0, oi->fmt == F_JA ? 1 : 0, oi->fmt == F_JA32 ? 1 : 0);
		put(p, 0x07, 0, 0, 0, 1000);
		epilogue(p, false);
		return true;
	case F_LDX: case F_LDXS:
		/* base r10, or a copy of it in r9; low and high end of a word */
		if (variant >= 2 * CNT(regs))
			return false;
		prologue(p);
		put(p, 0xbf, 9, 10, 0, 0);
		put(p, oi->code, regs[variant / 2][0], variant & 1 ? 10 : 9,
		    variant & 1 ? -8 : -oi->width, 0);
		if (regs[variant / 2][0] != 9)
			put(p, 0xb7, 9, 0, 0, 0); /* no stack address in the result */
		epilogue(p, false);
		return true;
	case F_ST: case F_STX:
		if (variant >= CNT(vals))
			return false;
		prologue(p);
		lddw(p, 2, a);
		put(p, oi->code, 10, oi->fmt == F_STX ? 2 : 0, -8 + (int)(variant % (8 / oi->width)) * oi->width,
		    oi->fmt == F_ST ? (int32_t)b : 0);
		epilogue(p, false);
		return true;
	case F_ATOMIC: {
		/* src in rax, rcx, rdx, r9; base r10 or a copy; cmpxchg
		 * compares equal and unequal */
		static const uint8_t srcs[] = { 2, 0, 4, 3, 9 };
		unsigned s = srcs[variant % CNT(srcs)], base = variant & 1 ? 10 : 7;
		if (variant >= 2 * CNT(srcs))
			return false;
		prologue(p);
		put(p, 0xbf, 7, 10, 0, 0);
		if (s != 0)
			lddw(p, s, 0x0000000300000005ull + variant);
		lddw(p, 0, variant & 2 ? 0x8182838485868788ull : 77);
		put(p, oi->code, base, s, oi->width == 4 && (variant & 4) ? -4 : -8, oi->vval);
		put(p, 0xb7, 7, 0, 0, 0);
		epilogue(p, false);
		return true;
	}
	case F_LDDW:
		if (variant >= CNT(vals) || (op == UB_OP_LDDW_CODE && variant))
			return false;
		if (op == UB_OP_LDDW_CODE) {
			/* the address of a function, called through callx */
			put(p, 0x18, 6, 4, 0, 3);
			put(p, 0, 0, 0, 0, 0);
			put(p, 0x8d, 6, 0, 0, 0);
			put(p, 0x95, 0, 0, 0, 0);
			put(p, 0xb7, 0, 0, 0, 0x77);	/* insn 4 */
			put(p, 0x95, 0, 0, 0, 0);
			return true;
		}
		prologue(p);
		if (oi->vval == 1 || oi->vval == 2 || oi->vval == 5 || oi->vval == 6) {
			/* map 0 of the program, or byte (variant & 7) of its value */
			put(p, 0x18, dst, (unsigned)oi->vval, 0, 0);
			put(p, 0, 0, 0, 0, (oi->vval == 2 || oi->vval == 6) ? (int32_t)(variant & 7) : 0);
		} else {
			put(p, 0x18, dst, (unsigned)oi->vval, 0, (int32_t)(uint32_t)(a ^ b));
			put(p, 0, 0, 0, 0, (int32_t)(uint32_t)((a ^ b) >> 32));
		}
		p->pseudo = oi->vval != 0;
		epilogue(p, false);
		return true;
	case F_LDABS: case F_LDIND:
		/* in the packet, at its end, past it (returns 0) */
		if (variant >= 4)
			return false;
		prologue(p);
		put(p, 0xb7, 6, 0, 0, 0);
		put(p, 0xb7, 7, 0, 0, (int32_t)variant);
		put(p, oi->code, 0, oi->fmt == F_LDIND ? 7 : 0, 0,
		    (int32_t)(variant * 3 + (variant == 3 ? 0x7ffffff0 : 0)));
		epilogue(p, true);
		return true;
	case F_CALL: case F_CALLX:
		if (variant)
			return false;
		prologue(p);
		put(p, 0xb7, 8, 0, 0, HELPER_ID);
		if (oi->fmt == F_CALL)
			put(p, oi->code, 0, 0, 0, HELPER_ID);
		else
			put(p, oi->code, 8, 0, 0, 0);
		epilogue(p, true);
		return true;
	case F_CALL_LOCAL: case F_CALL_KFUNC:
	{
		size_t call;

		if (variant)
			return false;
		prologue(p);
		call = p->n;
		put(p, oi->code, 0, oi->fmt == F_CALL_LOCAL ? 1 : 2, 0, 0);
		epilogue(p, true);
		/* the callee, after the main function; it changes r6, which
		 * the caller must not see */
		p->in[call].imm = (int32_t)(p->n - call - 1);
		put(p, 0xb7, 6, 0, 0, 99);
		put(p, 0xbf, 0, 1, 0, 0);
		put(p, 0x27, 0, 0, 0, 3);
		put(p, 0x95, 0, 0, 0, 0);
		return true;
	}
	case F_EXIT:
		if (variant)
			return false;
		put(p, 0xb7, 0, 0, 0, 0x1234);
		put(p, 0x95, 0, 0, 0, 0);
		return true;
	default:
		return false;
	}
}

static struct userbpf_prog *load(const struct pb *p, bool blind, int *err)
{
	static struct userbpf_map *map;
	struct userbpf_prog_opts po = { .sz = sizeof(po), .jit_blind = blind };

	/* one array for the lddw map forms; it lives as long as the test */
	if (!map)
		map = userbpf_map__create(rt, 2, "cover", 4, 8, 1, NULL);
	po.maps = &map;
	po.map_cnt = map ? 1 : 0;
	return ub_prog_load(rt, p->in, p->n, &po, p->pseudo, err);
}

/* Runs every variant of one row; returns 1 compiled and agreeing, 0 refused
 * at load (by design), -1 failed. */
static int cover_row(int op, unsigned *nprog, char *why, size_t why_sz)
{
	struct pb p;
	unsigned v;
	int refused = 0, ran = 0;

	for (v = 0; build(op, v, &p); v++) {
		for (int blind = 0; blind < 2; blind++) {
			struct userbpf_prog *prog;
			uint64_t ri = 0, rj = 0;
			int err, ei, ej;

			prog = load(&p, blind, &err);
			if (!prog) {
				refused++;
				snprintf(why, why_sz, "variant %u refused at load (%d): %.200s", v, err,
					 tl_last_log);
				continue;
			}
			ei = xg_run(prog, USERBPF_ENGINE_INTERPRETER, pkt, sizeof(pkt), &ri);
			ej = xg_run(prog, USERBPF_ENGINE_JIT, pkt, sizeof(pkt), &rj);
			userbpf_prog__free(prog);
			ran++;
			(*nprog)++;
			if (ei || ej || ri != rj) {
				snprintf(why, why_sz,
					 "variant %u%s: interpreter %d/0x%llx, jit %d/0x%llx%s", v,
					 blind ? " (blinded)" : "", ei, (unsigned long long)ri, ej,
					 (unsigned long long)rj,
					 ej == -EOPNOTSUPP ? " (the JIT refused it)" : "");
				return -1;
			}
		}
	}
	if (!ran && !refused) {
		snprintf(why, why_sz, "no program built for this row");
		return -1;
	}
	if (refused)
		return ran ? -1 : 0;
	return 1;
}

static void cover(void)
{
	int compiled = 0, by_design = 0, failed = 0;
	unsigned nprog = 0;
	char nm[96], why[400];

	for (int op = 0; op < UB_OP__COUNT; op++) {
		int r = cover_row(op, &nprog, why, sizeof(why));

		snprintf(nm, sizeof(nm), "jit covers %s", ub_opinfo[op].id);
		if (r == 0 && op == UB_OP_CALL_KFUNC) {
			by_design++;
			tl_ok(nm); /* refused at load, by design */
		} else if (r == 1) {
			compiled++;
			tl_ok(nm);
		} else {
			failed++;
			tl_fail(nm, "%s", r == 0 ? "refused at load, and not by design" : why);
		}
	}
	printf("# %d rows: %d compiled and agree with the interpreter (%u programs, plain and "
	       "blinded), %d refused by design (CALL_KFUNC), %d failed\n",
	       UB_OP__COUNT, compiled, nprog, by_design, failed);
}

/* A third of the conditional jumps of in[n] turned into backward jumps to
 * an instruction start up to 400 slots back, so that the loop searches
 * (loop idioms, sunk moves) have work: compiled, never run. */
static void loopify(struct userbpf_insn *in, size_t n, uint64_t seed)
{
	struct tl_rng r = { seed };

	for (size_t i = 0; i < n; i++) {
		uint8_t c = in[i].code, cls = c & 7, op = c & 0xf0;
		size_t back, t;

		if (c == 0x18) {	/* lddw: two slots */
			i++;
			continue;
		}
		if ((cls != 5 && cls != 6) || op == 0x00 || op == 0x80 || op == 0x90 ||
		    op == 0xe0 || tl_rn(&r, 3))
			continue;
		back = 1 + tl_rn(&r, tl_rn(&r, 8) ? 40 : 400);
		if (back > i)
			continue;
		t = i - back;
		if (t > 0 && in[t - 1].code == 0x18)
			t--;	/* not into the middle of an lddw */
		in[i].off = (int16_t)((int64_t)t - (int64_t)i - 1);
	}
}

/* Best of a few compiles of prog, in ns (UINT64_MAX on an error). */
static uint64_t compile_ns(struct userbpf_prog *prog, bool blind, size_t *len)
{
	uint64_t best = UINT64_MAX;

	for (int t = 0; t < 7; t++) {
		struct ub_jit_opts o = { .blind = blind };
		struct ub_jit_out out = { 0 };
		uint64_t t0 = ub_os_monotonic_ns(), dt;
		int err = ub_jit_x86_64(prog, &o, &out);

		dt = ub_os_monotonic_ns() - t0;
		ub_free(rt, out.code);
		if (err)
			return UINT64_MAX;
		best = dt < best ? dt : best;
		*len = out.len;
	}
	return best;
}

/* Compile speed: a large program of mixed instructions, best of a few. */
static void speed(void)
{
	struct userbpf_insn *in = NULL;
	size_t n = xg_generate(0x5eedull, 100000 - 90, &in);
	struct userbpf_prog *prog = n ? userbpf_prog__load(rt, in, n, NULL) : NULL;
	struct userbpf_prog_opts po = { .sz = sizeof(po), .jit_blind = true };
	struct userbpf_prog *progb = n ? userbpf_prog__load(rt, in, n, &po) : NULL;
	uint64_t best = UINT64_MAX, bestb = UINT64_MAX, r1 = 0, r2 = 1;
	size_t len = 0;
	int err = prog && progb ? 0 : -1;

	for (int t = 0; t < 7 && !err; t++) {
		struct ub_jit_opts o = { 0 };
		struct ub_jit_out out = { 0 };
		uint64_t t0 = ub_os_monotonic_ns(), dt;

		err = ub_jit_x86_64(prog, &o, &out);
		dt = ub_os_monotonic_ns() - t0;
		best = dt < best ? dt : best;
		len = out.len;
		ub_free(rt, out.code);
		o.blind = true;
		t0 = ub_os_monotonic_ns();
		err = err ? err : ub_jit_x86_64(prog, &o, &out);
		dt = ub_os_monotonic_ns() - t0;
		bestb = dt < bestb ? dt : bestb;
		ub_free(rt, out.code);
	}
	if (!err) {
		printf("# compile speed: %zu instructions -> %zu bytes in %.2f ms: %.1f M insns/s "
		       "(blinded: %.1f M insns/s; target 10)\n", n, len, best / 1e6,
		       (double)n * 1e3 / (double)best, (double)n * 1e3 / (double)bestb);
		/* and the big program must also be right */
		err = xg_run(prog, USERBPF_ENGINE_JIT, NULL, 0, &r1);
		if (!err)
			err = xg_run(progb, USERBPF_ENGINE_INTERPRETER, NULL, 0, &r2);
	}
	if (!err && r1 == r2)
		tl_ok("100,000-instruction program compiles and agrees with the interpreter");
	else
		tl_fail("100,000-instruction program compiles and agrees with the interpreter",
			"err %d, jit 0x%llx, interpreter 0x%llx: %s", err, (unsigned long long)r1,
			(unsigned long long)r2, tl_last_log);
	userbpf_prog__free(prog);
	userbpf_prog__free(progb);
	/* the same with loops */
	loopify(in, n, 0x100b5ull);
	prog = n ? userbpf_prog__load(rt, in, n, NULL) : NULL;
	best = prog ? compile_ns(prog, false, &len) : UINT64_MAX;
	if (best != UINT64_MAX)
		printf("# compile speed with loops (a third of the conditional jumps go back): "
		       "%.1f M insns/s\n", (double)n * 1e3 / (double)best);
	else
		printf("# compile speed with loops: the program did not load or compile: %s\n",
		       tl_last_log);
	userbpf_prog__free(prog);
	free(in);
}

/* Every allocation of a load-and-run fails in turn: each run must end
 * with an error or the right result (ASan checks for leaks and misuse). */
static void alloc_failures(void)
{
	struct userbpf_insn *in = NULL;
	size_t n = xg_generate(0xa110cull, 60, &in);
	uint64_t want = 0;
	int bad = 0, ok_runs = 0;
	long k;

	if (!n) {
		tl_fail("allocation failures in the JIT are clean", "no memory");
		return;
	}
	{
		struct userbpf_prog *p = userbpf_prog__load(rt, in, n, NULL);
		if (!p || xg_run(p, USERBPF_ENGINE_INTERPRETER, NULL, 0, &want))
			bad++;
		userbpf_prog__free(p);
	}
	for (k = 1; k < 200 && !bad; k++) {
		struct userbpf_rt *frt = tl_rt_new(k);
		struct userbpf_prog_opts po = { .sz = sizeof(po), .jit_blind = k & 1 };
		struct userbpf_prog *p = frt ? userbpf_prog__load(frt, in, n, &po) : NULL;
		uint64_t r = 0;
		int err = p ? xg_run(p, USERBPF_ENGINE_JIT, NULL, 0, &r) : -ENOMEM;

		if (!err && r == want)
			ok_runs++;
		else if (err != -ENOMEM)
			bad++;
		userbpf_prog__free(p);
		userbpf_rt__free(frt);
		if (tl_alloc_count < k)
			break; /* no allocation left to fail */
	}
	printf("# allocation failures: %ld points tried, %d runs still succeeded\n", k, ok_runs);
	if (!bad && ok_runs > 0)
		tl_ok("allocation failures in the JIT are clean");
	else
		tl_fail("allocation failures in the JIT are clean", "fail point %ld: %d bad, %d ok",
			k, bad, ok_runs);
	free(in);
}

int main(void)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log = tl_log };

#if !defined(__x86_64__)
	(void)o;
	tl_skip("jit/x86 coverage", "not an x86-64 build");
	return tl_exit();
#else
	rt = userbpf_rt__new(&o);
	if (!rt || userbpf_rt__set_helper(rt, HELPER_ID, "cover_helper", cover_helper))
		return 1;
	cover();
	alloc_failures();
	speed();
	userbpf_rt__free(rt);
	return tl_exit();
#endif
}
