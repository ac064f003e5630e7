/* SPDX-License-Identifier: MIT */
/*
 * x86_blind.c - constant blinding in the x86-64 JIT.
 *
 * Blinding exists so that a program cannot plant chosen bytes (a JIT
 * spraying gadget) in executable memory through its immediates.  So the
 * check is on the bytes: a program full of distinctive 32- and 64-bit
 * immediates is compiled with blinding, and no immediate (nor either half
 * of a 64-bit one) may appear at any byte offset of the code; compiled
 * without blinding, every one must appear, which shows the scan can fail.
 * Then blinding must not change meaning: the unit-test programs and 1,000
 * random programs give the same r0 in the interpreter, the JIT, and the
 * blinded JIT.
 */
#include <errno.h>
#include "x86_gen.h"
#include "platform/platform.h"

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
#define LDDW(d, v) INSN(0x18, d, 0, 0, (int32_t)(uint32_t)(v)), INSN(0, 0, 0, 0, (int32_t)((uint64_t)(v) >> 32))
#define EXIT INSN(0x95, 0, 0, 0, 0)
#define CNT(a) (sizeof(a) / sizeof((a)[0]))

static struct userbpf_rt *rt;

static const uint32_t imms32[] = {
	0x5a5aa5a5, 0x12345678, 0x0badcafe, 0x3c3cc3c3, 0x0ff00ff0, 0x69969669,
	0x1337c0de, 0x00c0ffee, 0x31415926, 0x27182818, 0x76543210, 0x13579bdf,
	0x2468ace0, 0x0defaced, 0x5eed5eed, 0x7b7b7b7b, 0x4c4c4c4c,
};
static const uint64_t imms64[] = { 0x1122334455667788ull, 0xa1b2c3d4e5f60718ull };

/* Every kind of instruction that carries a program immediate. */
static const struct userbpf_insn spray[] = {
	INSN(0xb7, 0, 0, 0, 0x5a5aa5a5),	/* r0 = imm */
	INSN(0x07, 0, 0, 0, 0x12345678),	/* r0 += imm */
	INSN(0xb4, 1, 0, 0, 0x0badcafe),	/* w1 = imm */
	INSN(0x14, 1, 0, 0, 0x3c3cc3c3),	/* w1 -= imm */
	INSN(0x47, 0, 0, 0, 0x0ff00ff0),	/* r0 |= imm */
	INSN(0x57, 0, 0, 0, 0x69969669),	/* r0 &= imm */
	INSN(0xa4, 1, 0, 0, 0x1337c0de),	/* w1 ^= imm */
	INSN(0x27, 0, 0, 0, 0x00c0ffee),	/* r0 *= imm */
	INSN(0x15, 0, 0, 0, 0x31415926),	/* if r0 == imm goto +0 */
	INSN(0x45, 1, 0, 0, 0x27182818),	/* if r1 & imm goto +0 */
	INSN(0x62, 10, 0, -8, 0x76543210),	/* *(u32 *)(r10 - 8) = imm */
	INSN(0x7a, 10, 0, -16, 0x13579bdf),	/* *(u64 *)(r10 - 16) = imm */
	INSN(0x37, 0, 0, 0, 0x2468ace0),	/* r0 /= imm */
	INSN(0x94, 1, 0, 1, 0x0defaced),	/* w1 s%= imm */
	INSN(0xb6, 1, 0, 0, 0x5eed5eed),	/* if w1 <= imm goto +0 */
	INSN(0x65, 1, 0, 0, 0x7b7b7b7b),	/* if r1 s> imm goto +0 */
	INSN(0x2c, 1, 0, 0, 0),			/* w1 *= w0 */
	INSN(0x24, 1, 0, 0, 0x4c4c4c4c),	/* w1 *= imm */
	LDDW(2, 0x1122334455667788ull),
	LDDW(3, 0xa1b2c3d4e5f60718ull),
	INSN(0x67, 2, 0, 0, 13),		/* r2 <<= 13 */
	INSN(0x0f, 0, 2, 0, 0),
	INSN(0xaf, 0, 3, 0, 0),
	INSN(0x0f, 0, 1, 0, 0),
	INSN(0x79, 4, 10, -16, 0),
	INSN(0xaf, 0, 4, 0, 0),
	INSN(0x61, 4, 10, -8, 0),
	INSN(0xaf, 0, 4, 0, 0),
	EXIT,
};

static bool has_bytes(const uint8_t *code, size_t len, const void *pat, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(code + i, pat, n) == 0)
			return true;
	return false;
}

/* Counts the immediates (32-bit ones, 64-bit ones and their halves) found
 * anywhere in the code; names the first in `first`. */
static int scan(const uint8_t *code, size_t len, char *first, size_t first_sz)
{
	int found = 0;

	first[0] = 0;
	for (size_t i = 0; i < CNT(imms32); i++) {
		if (has_bytes(code, len, &imms32[i], 4)) {
			if (!found++)
				snprintf(first, first_sz, "0x%08x", imms32[i]);
		}
	}
	for (size_t i = 0; i < CNT(imms64); i++) {
		uint32_t lo = (uint32_t)imms64[i], hi = (uint32_t)(imms64[i] >> 32);
		if (has_bytes(code, len, &imms64[i], 8) || has_bytes(code, len, &lo, 4) ||
		    has_bytes(code, len, &hi, 4)) {
			if (!found++)
				snprintf(first, first_sz, "0x%016llx or a half",
					 (unsigned long long)imms64[i]);
		}
	}
	return found;
}

static void byte_tests(void)
{
	struct userbpf_prog *prog = userbpf_prog__load(rt, spray, CNT(spray), NULL);
	struct ub_jit_out plain = { 0 }, b1 = { 0 }, b2 = { 0 };
	struct ub_jit_opts op = { .blind = false }, ob = { .blind = true };
	char first[64];
	int n, worst = 0, err;

	if (!prog) {
		tl_fail("blind: spray program loads", "%s", tl_last_log);
		return;
	}
	userbpf_prog__set_trusted(prog, true);
	err = ub_jit_x86_64(prog, &op, &plain);
	n = err ? -1 : scan(plain.code, plain.len, first, sizeof(first));
	if (n == (int)(CNT(imms32) + CNT(imms64)))
		tl_ok("unblinded code holds every immediate (the scan can fail)");
	else
		tl_fail("unblinded code holds every immediate (the scan can fail)",
			"err %d, %d of %zu found", err, n, CNT(imms32) + CNT(imms64));
	/* Fresh keys each time: a fixed key would let an unlucky value
	 * through only sometimes. */
	for (int t = 0; t < 50; t++) {
		struct ub_jit_out o = { 0 };
		char f[64];
		int k;

		err = ub_jit_x86_64(prog, &ob, &o);
		k = err ? 1000 : scan(o.code, o.len, f, sizeof(f));
		if (k > worst) {
			worst = k;
			snprintf(first, sizeof(first), "%s", err ? "compile failed" : f);
		}
		ub_free(rt, o.code);
	}
	if (worst == 0)
		tl_ok("blinded code holds no immediate of the program (50 compiles)");
	else
		tl_fail("blinded code holds no immediate of the program (50 compiles)",
			"%d found, first %s", worst, first);
	err = ub_jit_x86_64(prog, &ob, &b1);
	if (!err)
		err = ub_jit_x86_64(prog, &ob, &b2);
	TL_CHECK("blinding keys are random per compile",
		 !err && (b1.len != b2.len || memcmp(b1.code, b2.code, b1.len) != 0));
	ub_free(rt, plain.code);
	ub_free(rt, b1.code);
	ub_free(rt, b2.code);
	userbpf_prog__free(prog);

	/* The same through the load option and the driver: the bytes that
	 * really run. */
	{
		struct userbpf_prog_opts po = { .sz = sizeof(po), .jit_blind = true };
		struct userbpf_prog *pb = userbpf_prog__load(rt, spray, CNT(spray), &po);
		struct userbpf_prog *pp = userbpf_prog__load(rt, spray, CNT(spray), NULL);
		uint64_t rb = 0, rp = 1, ri = 2;
		int e1 = pb ? xg_run(pb, USERBPF_ENGINE_JIT, NULL, 0, &rb) : -1;
		int e2 = pp ? xg_run(pp, USERBPF_ENGINE_JIT, NULL, 0, &rp) : -1;
		int e3 = pp ? xg_run(pp, USERBPF_ENGINE_INTERPRETER, NULL, 0, &ri) : -1;

		TL_CHECK("jit_blind load option: the running code holds no immediate",
			 !e1 && pb->jit_code && scan(pb->jit_code, pb->jit_size, first, sizeof(first)) == 0);
		TL_CHECK("without jit_blind the running code holds them",
			 !e2 && pp->jit_code && scan(pp->jit_code, pp->jit_size, first, sizeof(first)) > 0);
		if (!e1 && !e2 && !e3 && rb == rp && rp == ri)
			tl_ok("spray program: same r0 blinded, plain and interpreted");
		else
			tl_fail("spray program: same r0 blinded, plain and interpreted",
				"errs %d %d %d, r0 0x%llx 0x%llx 0x%llx", e1, e2, e3,
				(unsigned long long)rb, (unsigned long long)rp,
				(unsigned long long)ri);
		userbpf_prog__free(pb);
		userbpf_prog__free(pp);
	}
}

static const uint8_t pkt[] = { 0x45, 0x00, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef };

/* Interpreter, JIT and blinded JIT on one program; 0 when they agree. */
static int three_way(const struct userbpf_insn *p, size_t n, char *why, size_t why_sz)
{
	struct userbpf_prog_opts po = { .sz = sizeof(po), .jit_blind = true };
	struct userbpf_prog *a = userbpf_prog__load(rt, p, n, NULL);
	struct userbpf_prog *b = userbpf_prog__load(rt, p, n, &po);
	uint64_t ri = 0, rj = 0, rb = 0;
	int ei = -1, ej = -1, eb = -1, bad;

	if (a && b) {
		ei = xg_run(a, USERBPF_ENGINE_INTERPRETER, pkt, sizeof(pkt), &ri);
		ej = xg_run(a, USERBPF_ENGINE_JIT, pkt, sizeof(pkt), &rj);
		eb = xg_run(b, USERBPF_ENGINE_JIT, pkt, sizeof(pkt), &rb);
	}
	bad = ei || ej || eb || ri != rj || ri != rb;
	if (bad)
		snprintf(why, why_sz, "%s; errs %d %d %d; r0 interp 0x%llx jit 0x%llx blind 0x%llx",
			 a && b ? "ran" : "load failed", ei, ej, eb, (unsigned long long)ri,
			 (unsigned long long)rj, (unsigned long long)rb);
	userbpf_prog__free(a);
	userbpf_prog__free(b);
	return bad;
}

#define SAME(name, ...) XG_SAME(three_way, "blind same result: " name, __VA_ARGS__)

#define MOV64_K(d, i) INSN(0xb7, d, 0, 0, i)

static void unit_programs(void)
{
	/* The programs of tests/unit/interp.c that run in the JIT. */
	SAME("mov exit", MOV64_K(0, 42), EXIT);
	SAME("div64 by zero", MOV64_K(0, 7), MOV64_K(1, 0), INSN(0x3f, 0, 1, 0, 0), EXIT);
	SAME("mod64 by zero", MOV64_K(0, 7), MOV64_K(1, 0), INSN(0x9f, 0, 1, 0, 0), EXIT);
	SAME("mod32 by zero", MOV64_K(0, -1), MOV64_K(1, 0), INSN(0x9c, 0, 1, 0, 0), EXIT);
	SAME("div32 K by zero", MOV64_K(0, -1), INSN(0x34, 0, 0, 0, 0), EXIT);
	SAME("mod64 K by zero", MOV64_K(0, -5), INSN(0x97, 0, 0, 0, 0), EXIT);
	SAME("sdiv64 INT_MIN/-1", LDDW(0, 0x8000000000000000ull), INSN(0x37, 0, 0, 1, -1), EXIT);
	SAME("smod64 INT_MIN%-1", LDDW(0, 0x8000000000000000ull), INSN(0x97, 0, 0, 1, -1), EXIT);
	SAME("sdiv32 INT_MIN/-1", MOV64_K(0, 0), INSN(0xb4, 0, 0, 0, (int32_t)0x80000000), INSN(0x34, 0, 0, 1, -1), EXIT);
	SAME("lsh64 masks amount", MOV64_K(0, 1), MOV64_K(1, 65), INSN(0x6f, 0, 1, 0, 0), EXIT);
	SAME("lsh64 K 63", MOV64_K(0, 3), INSN(0x67, 0, 0, 0, 63), EXIT);
	SAME("rsh32 masks amount", MOV64_K(0, -1), MOV64_K(1, 33), INSN(0x7c, 0, 1, 0, 0), EXIT);
	SAME("arsh32 zero-extends", MOV64_K(0, -1), INSN(0xc4, 0, 0, 0, 4), EXIT);
	SAME("arsh64 K in rcx", MOV64_K(4, -64), INSN(0xc7, 4, 0, 0, 3), INSN(0xbf, 0, 4, 0, 0), EXIT);
	SAME("movsx8_64", MOV64_K(1, 0x80), INSN(0xbf, 0, 1, 8, 0), EXIT);
	SAME("movsx16_32", MOV64_K(1, 0x8000), INSN(0xbc, 0, 1, 16, 0), EXIT);
	SAME("ldxsb sign-extends", MOV64_K(1, 0x81), INSN(0x73, 10, 1, -1, 0), INSN(0x91, 0, 10, -1, 0), EXIT);
	SAME("bswap16", LDDW(0, 0xffffffffffff1234ull), INSN(0xd7, 0, 0, 0, 16), EXIT);
	SAME("be32", LDDW(0, 0xff12345612345678ull), INSN(0xdc, 0, 0, 0, 32), EXIT);
	SAME("le16 truncates", LDDW(0, 0xff12345612341234ull), INSN(0xd4, 0, 0, 0, 16), EXIT);
	SAME("jmp32 signed", MOV64_K(0, 0), LDDW(1, 0x00000001ffffffffull), INSN(0xc6, 1, 0, 1, 0), EXIT, MOV64_K(0, 1), EXIT);
	SAME("jmp64 K negative", MOV64_K(0, 0), MOV64_K(1, -5), INSN(0x25, 1, 0, 1, -6), EXIT, MOV64_K(0, 1), EXIT);
	SAME("jset32 K", MOV64_K(0, 0), LDDW(1, 0x100000000ull), INSN(0x46, 1, 0, 1, 1), EXIT, MOV64_K(0, 1), EXIT);
	SAME("gotol", MOV64_K(0, 3), INSN(0x06, 0, 0, 0, 1), MOV64_K(0, 4), EXIT);
	SAME("atomic fetch add", MOV64_K(1, 3), INSN(0x7b, 10, 1, -8, 0), MOV64_K(2, 2), INSN(0xdb, 10, 2, -8, 0x01),
	     INSN(0x79, 0, 10, -8, 0), INSN(0x67, 0, 0, 0, 32), INSN(0x0f, 0, 2, 0, 0), EXIT);
	SAME("cmpxchg32", MOV64_K(1, 5), INSN(0x63, 10, 1, -4, 0), MOV64_K(0, 5), MOV64_K(2, 0x77),
	     INSN(0xc3, 10, 2, -4, 0xf1), INSN(0x61, 0, 10, -4, 0), EXIT);
	SAME("local call keeps r6-r9", MOV64_K(6, 10), MOV64_K(1, 1), INSN(0x85, 0, 1, 0, 2), INSN(0x0f, 0, 6, 0, 0), EXIT,
	     MOV64_K(6, 99), INSN(0xbf, 0, 1, 0, 0), EXIT);
	SAME("st sizes", MOV64_K(0, 0), INSN(0x7a, 10, 0, -8, -2), INSN(0x6a, 10, 0, -8, 0x1234abcd),
	     INSN(0x72, 10, 0, -5, 0x7f), INSN(0x79, 0, 10, -8, 0), EXIT);
	SAME("ld_abs h", MOV64_K(6, 0), INSN(0x28, 0, 0, 0, 2), EXIT);
	SAME("ld_ind w", MOV64_K(6, 0), MOV64_K(7, 1), INSN(0x40, 0, 7, 0, 3), EXIT);
	SAME("ld_ind outside", MOV64_K(6, 0), MOV64_K(7, 1), MOV64_K(0, 5), INSN(0x50, 0, 7, 0, 0x7fffffff), EXIT);
	SAME("ld_abs outside", MOV64_K(6, 0), MOV64_K(0, 9), INSN(0x30, 0, 0, 0, 8), MOV64_K(0, 7), EXIT);
}

static void random_programs(void)
{
	xg_check_random("blind same result: 1000 random programs", 0xb11d0000u, 1000, three_way);
}

int main(void)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log = tl_log };

#if !defined(__x86_64__)
	(void)o;
	tl_skip("jit/x86 blinding", "not an x86-64 build");
	return tl_exit();
#else
	rt = userbpf_rt__new(&o);
	if (!rt)
		return 1;
	byte_tests();
	unit_programs();
	random_programs();
	userbpf_rt__free(rt);
	return tl_exit();
#endif
}
