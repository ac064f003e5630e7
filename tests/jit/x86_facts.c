/* SPDX-License-Identifier: MIT */
/*
 * x86_facts.c - the x86-64 JIT's use of verifier facts (prog->facts and
 * prog->fact_bound, as src/exec/jit_internal.h describes them), with the
 * facts set by hand.
 *
 * Zero-extension: `w1 = w1`, le32 and the 32-bit cmpxchg's zero-extension
 * of r0 are left out only when facts are given and UB_FACT_ZEXT_NEEDED is
 * clear; the result must stay right where nothing reads the upper half,
 * and the bytes of the zero-extension must be gone (and present without
 * facts, or with the bit set).
 *
 * Spectre v1 index clamping: on `ptr += idx` with UB_FACT_INDEX_BOUNDED
 * and a bound, a true bound changes nothing (plain and blinded, the and
 * form for 2^k - 1 and the cmov form otherwise); a bound below the real
 * index (a lie no verifier tells) shows that the clamp is there: the
 * cmov form reads at index 0, the and form at idx & bound.
 *
 * Clamps are for strict (unprivileged-rule) or hardened programs, as
 * Linux masks only unprivileged ones.  From the verifier: a program whose
 * stack index is only known to be bounded gets the fact and the bound
 * from userbpf_prog__verify; in strict mode the JIT emits the clamp for
 * it (more code than with the bound withheld), as root it does not, and
 * both give the interpreter's result.
 */
#include <errno.h>
#include "x86_gen.h"
#include "platform/platform.h"
#include "verifier/verifier.h"

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
#define LDDW(d, v) INSN(0x18, d, 0, 0, (int32_t)(uint32_t)(v)), INSN(0, 0, 0, 0, (int32_t)((uint64_t)(v) >> 32))
#define EXIT INSN(0x95, 0, 0, 0, 0)
#define CNT(a) (sizeof(a) / sizeof((a)[0]))
#define NOFACT 0xff	/* in fact_at: no facts array at all */

#if defined(__x86_64__)
static struct userbpf_rt *rt;
static bool no_bounds;	/* run_facts: facts without the bounds array */

struct fres {
	int err;
	uint64_t r0;
	bool found;	/* pat in the code */
};

/*
 * Loads in[], gives it the facts `f` at instruction `at` (all others
 * UB_FACT_ZEXT_NEEDED) or none (f == NOFACT), runs it in the JIT and
 * looks for pat in its code.
 */
static struct fres run_facts(const struct userbpf_insn *in, size_t n, size_t at, uint8_t f,
			     uint32_t bound, bool blind, const uint8_t *pat, size_t plen)
{
	struct userbpf_prog_opts po = { .sz = sizeof(po), .jit_blind = blind };
	struct fres r = { 0 };
	uint8_t facts[64];
	uint32_t bounds[64];
	struct userbpf_prog *prog = userbpf_prog__load(rt, in, n, &po);

	if (!prog || n > 64) {
		r.err = -EINVAL;
		userbpf_prog__free(prog);
		return r;
	}
	memset(facts, UB_FACT_ZEXT_NEEDED, sizeof(facts));
	memset(bounds, 0, sizeof(bounds));
	facts[at] = f;
	bounds[at] = bound;
	if (f != NOFACT) {
		prog->facts = facts;
		prog->fact_bound = no_bounds ? NULL : bounds;
	}
	userbpf_prog__set_trusted(prog, true);
	r.err = xg_run(prog, USERBPF_ENGINE_JIT, NULL, 0, &r.r0);
	if (!r.err && pat) {
		struct ub_jit_opts o = { .blind = blind };
		struct ub_jit_out out = { 0 };

		r.err = ub_jit_x86_64(prog, &o, &out);
		for (size_t k = 0; !r.err && k + plen <= out.len && !r.found; k++)
			r.found = !memcmp(out.code + k, pat, plen);
		ub_free(rt, out.code);
	}
	userbpf_prog__free(prog);
	return r;
}

static void check(const char *name, struct fres r, uint64_t want, int want_found)
{
	if (r.err)
		tl_fail(name, "error %d", r.err);
	else if (r.r0 != want)
		tl_fail(name, "r0 0x%llx, want 0x%llx", (unsigned long long)r.r0,
			(unsigned long long)want);
	else if (want_found >= 0 && r.found != (want_found != 0))
		tl_fail(name, "the zero-extension is %sin the code", r.found ? "" : "not ");
	else
		tl_ok(name);
}

static void zext(void)
{
	/* r1 = big; w1 = w1 (insn 2); r0 = r1 & 0xffff: the upper half of
	 * w1's result is never read */
	static const struct userbpf_insn mov[] = {
		LDDW(1, 0xdeadbeef12345678ull), INSN(0xbc, 1, 1, 0, 0),
		INSN(0xbf, 0, 1, 0, 0), INSN(0x57, 0, 0, 0, 0xffff), EXIT,
	};
	/* ... and the same with le32 (insn 2) */
	static const struct userbpf_insn le[] = {
		LDDW(1, 0xdeadbeef12345678ull), INSN(0xd4, 1, 0, 0, 32),
		INSN(0xbf, 0, 1, 0, 0), INSN(0x57, 0, 0, 0, 0xffff), EXIT,
	};
	/* ... where the upper half is read: the fact must say so */
	static const struct userbpf_insn read[] = {
		LDDW(1, 0xdeadbeef12345678ull), INSN(0xbc, 1, 1, 0, 0),
		INSN(0xbf, 0, 1, 0, 0), EXIT,
	};
	/* 32-bit cmpxchg that fails (insn 5): r0 = old, zero-extended */
	static const struct userbpf_insn cx[] = {
		LDDW(1, 0x1111111122222222ull), INSN(0x7b, 10, 1, -8, 0),
		LDDW(0, 0xffffffff00000005ull), INSN(0xc3, 10, 1, -8, 0xf1),
		INSN(0x57, 0, 0, 0, 0xffff), EXIT,
	};
	static const uint8_t movedi[] = { 0x89, 0xff };	/* mov edi, edi */
	static const uint8_t moveax[] = { 0x89, 0xc0 };	/* mov eax, eax */

	check("facts: w = w kept without facts", run_facts(mov, CNT(mov), 2, NOFACT, 0, false,
							      movedi, 2), 0x5678, 1);
	check("facts: w = w kept when zext needed",
	      run_facts(mov, CNT(mov), 2, UB_FACT_ZEXT_NEEDED, 0, false, movedi, 2), 0x5678, 1);
	check("facts: w = w left out when not needed",
	      run_facts(mov, CNT(mov), 2, 0, 0, false, movedi, 2), 0x5678, 0);
	check("facts: le32 left out when not needed",
	      run_facts(le, CNT(le), 2, 0, 0, false, movedi, 2), 0x5678, 0);
	check("facts: le32 kept without facts",
	      run_facts(le, CNT(le), 2, NOFACT, 0, false, movedi, 2), 0x5678, 1);
	check("facts: zext read later, fact set",
	      run_facts(read, CNT(read), 2, UB_FACT_ZEXT_NEEDED, 0, false, NULL, 0), 0x12345678,
	      -1);
	/* a fact that lies shows it is used: the upper half stays */
	check("facts: zext skipped shows when the fact lies",
	      run_facts(read, CNT(read), 2, 0, 0, false, NULL, 0), 0xdeadbeef12345678ull, -1);
	check("facts: cmpxchg32 zext kept without facts",
	      run_facts(cx, CNT(cx), 5, NOFACT, 0, false, moveax, 2), 0x2222, 1);
	check("facts: cmpxchg32 zext left out when not needed",
	      run_facts(cx, CNT(cx), 5, 0, 0, false, moveax, 2), 0x2222, 0);
}

static void clamp(void)
{
	/* 64 bytes of stack hold i * 3 at byte i; r1 = r10 - 64; r2 = 5;
	 * r1 += r2 (insn 9, the fact's); r0 = *(u8 *)(r1 + 0) */
	static const struct userbpf_insn p[] = {
		INSN(0xb7, 3, 0, 0, 0),
		INSN(0xbf, 4, 10, 0, 0), INSN(0x07, 4, 0, 0, -64),	/* r4 = r10 - 64 */
		INSN(0xbf, 5, 3, 0, 0), INSN(0x27, 5, 0, 0, 3),	/* 3: r5 = r3 * 3 */
		INSN(0x73, 4, 5, 0, 0), INSN(0x07, 4, 0, 0, 1),
		INSN(0x07, 3, 0, 0, 1), INSN(0x55, 3, 0, -6, 64),	/* 8 */
		INSN(0xbf, 1, 10, 0, 0), INSN(0x07, 1, 0, 0, -64),	/* 9, 10 */
		INSN(0xb7, 2, 0, 0, 5),
		INSN(0x0f, 1, 2, 0, 0),					/* 12: r1 += r2 */
		INSN(0x71, 0, 1, 0, 0), EXIT,
	};
	const size_t at = 12;

	for (int blind = 0; blind < 2; blind++) {
		char name[96];

		snprintf(name, sizeof(name), "facts: index clamp, true bound 63 (and)%s",
			 blind ? ", blinded" : "");
		check(name, run_facts(p, CNT(p), at, UB_FACT_INDEX_BOUNDED | UB_FACT_SPECTRE_MASK, 63, blind, NULL, 0), 15,
		      -1);
		snprintf(name, sizeof(name), "facts: index clamp, true bound 40 (cmov)%s",
			 blind ? ", blinded" : "");
		check(name, run_facts(p, CNT(p), at, UB_FACT_INDEX_BOUNDED | UB_FACT_SPECTRE_MASK, 40, blind, NULL, 0), 15,
		      -1);
		snprintf(name, sizeof(name), "facts: index clamp, bound 5 = idx%s",
			 blind ? ", blinded" : "");
		check(name, run_facts(p, CNT(p), at, UB_FACT_INDEX_BOUNDED | UB_FACT_SPECTRE_MASK, 5, blind, NULL, 0), 15,
		      -1);
		snprintf(name, sizeof(name), "facts: index clamp, huge bound%s",
			 blind ? ", blinded" : "");
		check(name, run_facts(p, CNT(p), at, UB_FACT_INDEX_BOUNDED | UB_FACT_SPECTRE_MASK, 0xfffffff0u, blind,
				      NULL, 0), 15, -1);
		/* lies: the clamp shows */
		snprintf(name, sizeof(name), "facts: index clamp to 0 past the bound (cmov)%s",
			 blind ? ", blinded" : "");
		check(name, run_facts(p, CNT(p), at, UB_FACT_INDEX_BOUNDED | UB_FACT_SPECTRE_MASK, 4, blind, NULL, 0), 0,
		      -1);
	}
	check("facts: index clamp, and form masks (5 & 3 = 1)",
	      run_facts(p, CNT(p), at, UB_FACT_INDEX_BOUNDED | UB_FACT_SPECTRE_MASK, 3, false, NULL, 0), 3, -1);
	check("facts: no facts, no clamp", run_facts(p, CNT(p), at, NOFACT, 4, false, NULL, 0), 15,
	      -1);
	check("facts: a root program's bound is not clamped (as Linux)",
	      run_facts(p, CNT(p), at, UB_FACT_INDEX_BOUNDED, 4, false, NULL, 0), 15, -1);
	check("facts: a hardened root program's bound is clamped",
	      run_facts(p, CNT(p), at, UB_FACT_INDEX_BOUNDED, 4, true, NULL, 0), 0, -1);
	no_bounds = true;
	check("facts: index bound ignored without the bounds array",
	      run_facts(p, CNT(p), at, UB_FACT_INDEX_BOUNDED | UB_FACT_SPECTRE_MASK, 4, false, NULL, 0), 15, -1);
	no_bounds = false;
}

static void from_verifier(void)
{
	/* the fill loop of clamp(), then a stack index the verifier bounds
	 * (63) at insn 13: r1 += r2 */
	size_t pn;
	const struct userbpf_insn *p = xg_clamp_prog(&pn);

	for (int strict = 0; strict < 2; strict++) {
		struct userbpf_prog_opts po = { .sz = sizeof(po) };
		struct userbpf_verify_opts vo = { .sz = sizeof(vo), .strict = strict };
		struct userbpf_prog *prog = userbpf_prog__load(rt, p, pn, &po);
		struct ub_jit_opts o = { 0 };
		struct ub_jit_out with = { 0 }, without = { 0 };
		uint64_t r0 = 0, r0i = 0;
		const uint32_t *b;

		if (!prog || userbpf_prog__verify(prog, &vo)) {
			tl_fail("facts: from the verifier", "the program does not load or verify");
			userbpf_prog__free(prog);
			return;
		}
		TL_CHECK(strict ? "facts: the verifier bounds the stack index (63), strict" :
				  "facts: the verifier bounds the stack index (63)",
			 prog->facts && prog->fact_bound &&
				 (prog->facts[13] & UB_FACT_INDEX_BOUNDED) &&
				 prog->fact_bound[13] == 63 &&
				 !!(prog->facts[13] & UB_FACT_SPECTRE_MASK) == strict);
		b = prog->fact_bound;
		if (!ub_jit_x86_64(prog, &o, &with)) {
			prog->fact_bound = NULL;
			if (!ub_jit_x86_64(prog, &o, &without))
				TL_CHECK(strict ? "facts: the JIT clamps the strict program's index" :
						  "facts: the JIT leaves a root program's index alone",
					 strict ? with.len > without.len : with.len == without.len);
			prog->fact_bound = b;
		}
		ub_free(rt, with.code);
		ub_free(rt, without.code);
		TL_CHECK(strict ? "facts: clamped JIT result equals the interpreter's" :
				  "facts: root JIT result equals the interpreter's",
			 !xg_run(prog, USERBPF_ENGINE_JIT, NULL, 0, &r0) &&
				 !xg_run(prog, USERBPF_ENGINE_INTERPRETER, NULL, 0, &r0i) &&
				 r0 == 63 && r0i == 63);
		userbpf_prog__free(prog);
	}
}

/* A known constant from the verifier: the JIT loads it instead of
 * computing it (different code than with the constants withheld), with
 * the interpreter's result. */
static void known_constant(void)
{
	/* r1 = 3 * 7 (insn 3's result is 21 on every path) is a stack
	 * offset: r0 = stack byte 21, which holds 63 */
	static const struct userbpf_insn p[] = {
		INSN(0xb7, 3, 0, 0, 0),
		INSN(0xbf, 4, 10, 0, 0), INSN(0x07, 4, 0, 0, -64),
		INSN(0xbf, 5, 3, 0, 0), INSN(0x27, 5, 0, 0, 3),
		INSN(0x73, 4, 5, 0, 0), INSN(0x07, 4, 0, 0, 1),
		INSN(0x07, 3, 0, 0, 1), INSN(0x55, 3, 0, -6, 64),
		INSN(0xb7, 2, 0, 0, 3), INSN(0x27, 2, 0, 0, 7),		/* 10: r2 *= 7 */
		INSN(0xbf, 1, 10, 0, 0), INSN(0x07, 1, 0, 0, -64),
		INSN(0x0f, 1, 2, 0, 0), INSN(0x71, 0, 1, 0, 0), EXIT,
	};
	struct userbpf_prog_opts po = { .sz = sizeof(po) };
	struct userbpf_prog *prog = userbpf_prog__load(rt, p, CNT(p), &po);
	struct ub_jit_opts o = { 0 };
	struct ub_jit_out with = { 0 }, without = { 0 };
	uint64_t r0 = 0, r0i = 0;
	const uint64_t *k;

	if (!prog || userbpf_prog__verify(prog, NULL)) {
		tl_fail("facts: known constant", "the program does not load or verify");
		userbpf_prog__free(prog);
		return;
	}
	TL_CHECK("facts: the verifier knows r2 * 7 is 21",
		 prog->facts && prog->fact_const && (prog->facts[10] & UB_FACT_CONST_DST) &&
			 prog->fact_const[10] == 21);
	k = prog->fact_const;
	if (!ub_jit_x86_64(prog, &o, &with)) {
		prog->fact_const = NULL;
		if (!ub_jit_x86_64(prog, &o, &without))
			TL_CHECK("facts: the JIT loads the known constant",
				 with.len != without.len || memcmp(with.code, without.code, with.len));
		prog->fact_const = k;
	}
	ub_free(rt, with.code);
	ub_free(rt, without.code);
	TL_CHECK("facts: known-constant JIT result equals the interpreter's",
		 !xg_run(prog, USERBPF_ENGINE_JIT, NULL, 0, &r0) &&
			 !xg_run(prog, USERBPF_ENGINE_INTERPRETER, NULL, 0, &r0i) && r0 == 63 &&
			 r0i == 63);
	userbpf_prog__free(prog);
}

#endif

int main(void)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log = tl_log };

#if !defined(__x86_64__)
	(void)o;
	tl_skip("jit/x86 facts", "not an x86-64 build");
	return tl_exit();
#else
	rt = userbpf_rt__new(&o);
	if (!rt)
		return 1;
	zext();
	clamp();
	from_verifier();
	known_constant();
	userbpf_rt__free(rt);
	return tl_exit();
#endif
}
