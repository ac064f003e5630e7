/* SPDX-License-Identifier: MIT */
/*
 * arm64_run.c - runs the AArch64 JIT's code and compares it with the
 * interpreter, on arm64 hosts (or a cross build under qemu-aarch64).
 *
 * Two parts.  Fixed programs cover what the conformance suite reaches
 * least: every atomic in both widths, helper arguments, callx to a helper
 * id and to a code address, a helper abort three frames deep (the unwind
 * to the entry frame, then another run on the same program), memory
 * offsets that need each addressing form.  Then a seeded random
 * differential: straight-line ALU, memory, atomic and forward-jump
 * programs, run by the checked interpreter (the reference) and by the
 * JIT; r0 and the memory they wrote must agree.  Every JIT run also checks
 * that the program really was compiled, so a silent fallback to the
 * interpreter cannot pass.
 *
 * On other hosts the test prints one skip: tests/jit/arm64_encode.c checks
 * the encodings there.
 */
#include <errno.h>
#include <string.h>
#include "testlib.h"
#include "exec/jit_internal.h"

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
#define MOV64_K(d, i) INSN(0xb7, d, 0, 0, i)
#define MOV64_X(d, s) INSN(0xbf, d, s, 0, 0)
#define EXIT INSN(0x95, 0, 0, 0, 0)
#define LDDW(d, v) \
	INSN(0x18, d, 0, 0, (int32_t)(uint32_t)(v)), INSN(0, 0, 0, 0, (int32_t)((uint64_t)(v) >> 32))
#define CALL(id) INSN(0x85, 0, 0, 0, id)
#define CALL_LOCAL(rel) INSN(0x85, 0, 1, 0, rel)

#define H_ARGS 200	/* returns a mix of its five arguments */
#define H_ABORT 201	/* aborts the run with -EPERM */

static struct userbpf_rt *rt;

static uint64_t h_args(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct userbpf_call *c)
{
	(void)c;
	return r1 + 3 * r2 + 5 * r3 + 7 * r4 + 11 * r5;
}

static uint64_t h_abort(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			struct userbpf_call *c)
{
	(void)r1; (void)r2; (void)r3; (void)r4; (void)r5;
	userbpf_call__abort(c, -EPERM, "test abort");
	return 0;
}

/* Runs prog once on engine with r1 = mem; checks the JIT compiled it. */
static int run_on(struct userbpf_prog *prog, enum userbpf_engine engine, void *mem, size_t len,
		  const uint64_t *args, uint64_t *r0)
{
	struct userbpf_region reg = { mem, len, true };
	struct userbpf_run_opts o = { .sz = sizeof(o), .engine = engine };
	int err;

	if (args)
		memcpy(o.args, args, sizeof(o.args));
	else
		o.args[0] = (uint64_t)(uintptr_t)mem;
	o.regions = &reg;
	o.region_cnt = mem ? 1 : 0;
	userbpf_prog__set_trusted(prog, engine == USERBPF_ENGINE_JIT);
	err = userbpf_prog__run(prog, &o, r0);
	if (!err && engine == USERBPF_ENGINE_JIT && !prog->jit_code)
		return -ENOEXEC; /* ran, but not as JIT code */
	return err;
}

/* A fixed program: the JIT's r0 and memory must equal want_r0 and the
 * interpreter's. */
static void fixed(const char *name, const struct userbpf_insn *p, size_t n, uint64_t want_r0)
{
	struct userbpf_prog *prog = userbpf_prog__load(rt, p, n, NULL);
	uint8_t mi[64], mj[64];
	uint64_t ri = 0, rj = 0;
	int ei, ej;

	if (!prog) {
		tl_fail(name, "load failed: %s", tl_last_log);
		return;
	}
	for (size_t i = 0; i < sizeof(mi); i++)
		mi[i] = mj[i] = (uint8_t)(0x11 * i + 3);
	ei = run_on(prog, USERBPF_ENGINE_INTERPRETER, mi, sizeof(mi), NULL, &ri);
	ej = run_on(prog, USERBPF_ENGINE_JIT, mj, sizeof(mj), NULL, &rj);
	if (ei || ej)
		tl_fail(name, "interpreter %d, jit %d: %s", ei, ej, tl_last_log);
	else if (ri != want_r0 || rj != want_r0)
		tl_fail(name, "r0 interpreter 0x%llx, jit 0x%llx, want 0x%llx",
			(unsigned long long)ri, (unsigned long long)rj, (unsigned long long)want_r0);
	else if (memcmp(mi, mj, sizeof(mi)))
		tl_fail(name, "memory differs");
	else
		tl_ok(name);
	userbpf_prog__free(prog);
}

#define FIXED(name, want, ...)                                                 \
	do {                                                                   \
		struct userbpf_insn _p[] = { __VA_ARGS__ };                    \
		fixed(name, _p, sizeof(_p) / sizeof(_p[0]), want);             \
	} while (0)

/* Each atomic op in both widths, fetching or not, on mem[8] (and mem[16]
 * for 32 bits); r0 folds the fetched value and the memory after. */
static void atomics(void)
{
	static const int32_t ops[] = { 0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1 };
	char name[80];

	for (int w = 0; w < 2; w++) {
		for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			uint8_t code = w ? 0xdb : 0xc3, ld = w ? 0x79 : 0x61;
			struct userbpf_insn p[] = {
				LDDW(2, 0xf0f0f0f00ff00ff0ull),
				INSN(ld, 0, 1, 8, 0),	/* r0 = the old value: cmpxchg succeeds */
				INSN(code, 1, 2, 8, ops[k]),
				INSN(ld, 3, 1, 8, 0),
				INSN(0x67, 2, 0, 0, 1),	/* r2 <<= 1 */
				INSN(0xaf, 2, 3, 0, 0),	/* r2 ^= r3 */
				INSN(0xaf, 0, 2, 0, 0),	/* r0 ^= r2 */
				LDDW(2, 0x1234),
				MOV64_K(0, 77),
				INSN(code, 1, 2, 16, 0xf1), /* cmpxchg that fails: r0 = old */
				INSN(0x0f, 0, 2, 0, 0),
				EXIT,
			};
			struct userbpf_prog *prog = userbpf_prog__load(rt, p, sizeof(p) / sizeof(p[0]), NULL);
			uint8_t mi[64], mj[64];
			uint64_t ri = 0, rj = 0;
			int ei, ej;

			snprintf(name, sizeof(name), "atomic%d imm 0x%02x agrees with the interpreter",
				 w ? 64 : 32, (unsigned)ops[k]);
			if (!prog) {
				tl_fail(name, "load failed: %s", tl_last_log);
				continue;
			}
			for (size_t i = 0; i < sizeof(mi); i++)
				mi[i] = mj[i] = (uint8_t)(0x35 * i + 0x81);
			ei = run_on(prog, USERBPF_ENGINE_INTERPRETER, mi, sizeof(mi), NULL, &ri);
			ej = run_on(prog, USERBPF_ENGINE_JIT, mj, sizeof(mj), NULL, &rj);
			if (ei || ej)
				tl_fail(name, "interpreter %d, jit %d: %s", ei, ej, tl_last_log);
			else if (ri != rj || memcmp(mi, mj, sizeof(mi)))
				tl_fail(name, "r0 0x%llx vs 0x%llx, or memory differs",
					(unsigned long long)ri, (unsigned long long)rj);
			else
				tl_ok(name);
			userbpf_prog__free(prog);
		}
	}
}

/* A helper abort three frames down unwinds to the driver; the same
 * program then runs normally, twice (the frames were really popped). */
static void abort_unwind(void)
{
	static const struct userbpf_insn p[] = {
		MOV64_K(6, 100),
		CALL_LOCAL(2),			/* f1 at 4 */
		INSN(0x0f, 0, 6, 0, 0),		/* r0 += r6: r6 survived */
		EXIT,
		/* f1 */ MOV64_K(6, 1), CALL_LOCAL(1), EXIT,
		/* f2 at 7 */ MOV64_K(6, 2), INSN(0x55, 1, 0, 1, 0), /* r1 != 0: skip */
		CALL(H_ABORT),
		MOV64_K(0, 7), EXIT,
	};
	struct userbpf_prog *prog = userbpf_prog__load(rt, p, sizeof(p) / sizeof(p[0]), NULL);
	uint64_t args[5] = { 0 }, r0 = 0;
	int err;

	if (!prog) {
		tl_fail("helper abort from a callee", "load failed: %s", tl_last_log);
		return;
	}
	err = run_on(prog, USERBPF_ENGINE_JIT, NULL, 0, args, &r0);
	TL_CHECK("helper abort three frames deep ends the run with its error", err == -EPERM);
	for (int i = 0; i < 2; i++) {
		args[0] = 1;
		err = run_on(prog, USERBPF_ENGINE_JIT, NULL, 0, args, &r0);
		TL_CHECK("after an abort the program runs again", err == 0 && r0 == 107);
	}
	userbpf_prog__free(prog);
}

/* ---- the random differential ---- */

struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *r)
{
	r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(r->s >> 33);
}

static int32_t rnd_imm(struct rng *r)
{
	static const int32_t special[] = { 0, 1, -1, 2, 31, 32, 63, 64, INT32_MIN, INT32_MAX,
					   0xfff, 0x1000, -4096, -4095, 4095, 4096, 0xffff, 0x10000,
					   -256, 255, 0x7ff0 };
	if (rnd(r) % 3)
		return special[rnd(r) % (sizeof(special) / sizeof(special[0]))];
	return (int32_t)rnd(r);
}

/* A value register: r0, r2..r9 (r1 holds the memory, r10 the stack). */
static uint8_t rnd_reg(struct rng *r)
{
	uint8_t v = (uint8_t)(rnd(r) % 9);

	return v == 0 ? 0 : (uint8_t)(v + 1);
}

#define RND_MAX 160

/* Builds a random program into p; returns its length. */
static size_t rnd_prog(struct rng *r, struct userbpf_insn *p)
{
	static const uint8_t alu[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80,
				       0x90, 0xa0, 0xb0, 0xc0, 0xd0 };
	static const uint8_t jmp[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0,
				       0xc0, 0xd0 };
	size_t n = 0, body;

	for (uint8_t reg = 0; reg <= 9; reg++) {
		uint64_t v = (uint64_t)rnd(r) << 32 | rnd(r);
		if (reg == 1)
			continue;
		if (rnd(r) % 2)
			v = (uint64_t)(int64_t)rnd_imm(r);
		p[n++] = (struct userbpf_insn)INSN(0x18, reg, 0, 0, (int32_t)(uint32_t)v);
		p[n++] = (struct userbpf_insn)INSN(0, 0, 0, 0, (int32_t)(v >> 32));
	}
	for (int k = 1; k <= 8; k++)
		p[n++] = (struct userbpf_insn)INSN(0x7a, 10, 0, -8 * k, rnd_imm(r));
	body = 20 + rnd(r) % 80;
	for (size_t i = 0; i < body; i++) {
		uint32_t kind = rnd(r) % 16;
		uint8_t dst = rnd_reg(r), src = rnd_reg(r);
		int32_t imm = rnd_imm(r);

		if (kind < 9) { /* ALU */
			uint8_t op = alu[rnd(r) % sizeof(alu)];
			bool is64 = rnd(r) % 2, x = rnd(r) % 2;
			int16_t off = 0;
			if (op == 0xd0) { /* byte swaps */
				static const int32_t w[] = { 16, 32, 64 };
				uint8_t c = rnd(r) % 3 == 0 ? 0xd7 : rnd(r) % 2 ? 0xdc : 0xd4;
				p[n++] = (struct userbpf_insn)INSN(c, dst, 0, 0, w[rnd(r) % 3]);
				continue;
			}
			if (op == 0x80) {
				x = false;
				imm = 0;
			}
			if ((op == 0x30 || op == 0x90) && rnd(r) % 2)
				off = 1; /* sdiv, smod */
			if ((op == 0x30 || op == 0x90) && !x && imm == 0)
				imm = -1;
			if ((op == 0x60 || op == 0x70 || op == 0xc0) && !x)
				imm &= is64 ? 63 : 31;
			if (op == 0xb0 && x && rnd(r) % 2) {
				static const int16_t sx[] = { 8, 16, 32 };
				off = sx[rnd(r) % (is64 ? 3 : 2)];
			}
			p[n++] = (struct userbpf_insn)INSN((uint8_t)(op | (x ? 0x08 : 0) | (is64 ? 0x07 : 0x04)),
							   dst, x ? src : 0, off, x ? 0 : imm);
		} else if (kind < 11) { /* load from the memory or the stack */
			static const uint8_t sz[] = { 0x00, 0x08, 0x10, 0x18 }; /* w h b dw */
			static const uint8_t bytes[] = { 4, 2, 1, 8 };
			int s = (int)(rnd(r) % 4);
			bool stack = rnd(r) % 2, sx = s != 3 && rnd(r) % 3 == 0;
			int16_t off = (int16_t)((rnd(r) % (64 / bytes[s])) * bytes[s]);
			if (stack)
				off = (int16_t)(off - 64);
			p[n++] = (struct userbpf_insn)INSN((uint8_t)((sx ? 0x81 : 0x61) | sz[s]), dst,
							   stack ? 10 : 1, off, 0);
		} else if (kind < 13) { /* store a register or an immediate */
			static const uint8_t sz[] = { 0x00, 0x08, 0x10, 0x18 };
			static const uint8_t bytes[] = { 4, 2, 1, 8 };
			int s = (int)(rnd(r) % 4);
			bool stack = rnd(r) % 2, k = rnd(r) % 2;
			int16_t off = (int16_t)((rnd(r) % (64 / bytes[s])) * bytes[s]);
			if (stack)
				off = (int16_t)(off - 64);
			p[n++] = (struct userbpf_insn)INSN((uint8_t)((k ? 0x62 : 0x63) | sz[s]),
							   stack ? 10 : 1, k ? 0 : src, off, k ? imm : 0);
		} else if (kind < 14) { /* atomic */
			static const int32_t ops[] = { 0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1,
						       0xe1, 0xf1 };
			bool is64 = rnd(r) % 2;
			int16_t off = (int16_t)((rnd(r) % (is64 ? 8 : 16)) * (is64 ? 8 : 4));
			p[n++] = (struct userbpf_insn)INSN(is64 ? 0xdb : 0xc3, 1, src, off,
							   ops[rnd(r) % 10]);
		} else { /* a forward jump over 0..3 instructions */
			uint8_t op = jmp[rnd(r) % sizeof(jmp)];
			bool is64 = rnd(r) % 2, x = rnd(r) % 2;
			int16_t skip = (int16_t)(rnd(r) % 4);
			if (i + (size_t)skip >= body)
				skip = 0;
			p[n++] = (struct userbpf_insn)INSN((uint8_t)(op | (x ? 0x08 : 0) | (is64 ? 0x05 : 0x06)),
							   dst, x ? src : 0, skip, x ? 0 : imm);
		}
	}
	/* r0 = a mix of every value register */
	for (uint8_t reg = 2; reg <= 9; reg++) {
		p[n++] = (struct userbpf_insn)INSN(0x27, 0, 0, 0, 0x3b9aca07); /* r0 *= prime */
		p[n++] = (struct userbpf_insn)INSN(0xaf, 0, reg, 0, 0);	 /* r0 ^= reg */
	}
	p[n++] = (struct userbpf_insn)EXIT;
	return n;
}

static void differential(unsigned count)
{
	struct rng r = { 0x5eed0a64 };
	unsigned agree = 0, jitted = 0;
	char why[200] = "";

	for (unsigned t = 0; t < count && !why[0]; t++) {
		struct userbpf_insn p[RND_MAX];
		size_t n = rnd_prog(&r, p);
		struct userbpf_prog *prog = userbpf_prog__load(rt, p, n, NULL);
		uint8_t mi[64], mj[64];
		uint64_t ri = 0, rj = 0;
		int ei, ej;

		if (!prog) {
			snprintf(why, sizeof(why), "program %u: load failed: %.120s", t, tl_last_log);
			break;
		}
		for (size_t i = 0; i < sizeof(mi); i++)
			mi[i] = mj[i] = (uint8_t)(rnd(&r));
		ei = run_on(prog, USERBPF_ENGINE_INTERPRETER, mi, sizeof(mi), NULL, &ri);
		ej = run_on(prog, USERBPF_ENGINE_JIT, mj, sizeof(mj), NULL, &rj);
		jitted += ej == 0;
		if (ei || ej)
			snprintf(why, sizeof(why), "program %u: interpreter %d, jit %d", t, ei, ej);
		else if (ri != rj)
			snprintf(why, sizeof(why), "program %u: r0 0x%llx (interpreter) vs 0x%llx (jit)",
				 t, (unsigned long long)ri, (unsigned long long)rj);
		else if (memcmp(mi, mj, sizeof(mi)))
			snprintf(why, sizeof(why), "program %u: memory differs", t);
		else
			agree++;
		if (why[0]) {
			char line[96];
			for (size_t i = 0; i < n; i++) {
				snprintf(line, sizeof(line), "#   %3zu: %02x %u %u %d %d\n", i, p[i].code,
					 p[i].dst_reg, p[i].src_reg, p[i].off, p[i].imm);
				fputs(line, stdout);
			}
		}
		userbpf_prog__free(prog);
	}
	if (why[0])
		tl_fail("random programs: jit agrees with the interpreter", "%s", why);
	else
		tl_ok("random programs: jit agrees with the interpreter");
	printf("# %u random programs, %u JIT-compiled and in agreement\n", agree, jitted);
}

int main(void)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log = tl_log };

#if !defined(__aarch64__)
	tl_skip("arm64 jit runs", "not an arm64 host (arm64_encode checks the encodings here)");
	return tl_exit();
#endif
	if (!ub_jit_available()) {
		tl_fail("arm64 jit runs", "ub_jit_available() is false on arm64");
		return tl_exit();
	}
	rt = userbpf_rt__new(&o);
	if (!rt || userbpf_rt__set_helper(rt, H_ARGS, "test_args", h_args) ||
	    userbpf_rt__set_helper(rt, H_ABORT, "test_abort", h_abort)) {
		tl_fail("runtime", "setup failed");
		return tl_exit();
	}
	atomics();
	FIXED("helper gets r1..r5 and returns r0", 1 + 3 * 2 + 5 * 3 + 7 * 4 + 11 * 5,
	      MOV64_K(1, 1), MOV64_K(2, 2), MOV64_K(3, 3), MOV64_K(4, 4), MOV64_K(5, 5),
	      CALL(H_ARGS), EXIT);
	FIXED("callx with a helper id", 1 + 3 * 2 + 5 * 3 + 7 * 4 + 11 * 5,
	      MOV64_K(1, 1), MOV64_K(2, 2), MOV64_K(3, 3), MOV64_K(4, 4), MOV64_K(5, 5),
	      MOV64_K(8, H_ARGS), INSN(0x8d, 8, 0, 0, 0), EXIT);
	FIXED("callx with a code address", 0x2a + 6,
	      MOV64_K(6, 6), INSN(0x18, 8, 4, 0, 5), INSN(0, 0, 0, 0, 0), MOV64_K(1, 0x2a),
	      INSN(0x8d, 8, 0, 0, 0), INSN(0x0f, 0, 6, 0, 0), EXIT,
	      /* 7: */ MOV64_K(6, 99), MOV64_X(0, 1), EXIT);
	FIXED("memory offsets: unscaled, scaled, register",
	      0xff + 0x5a + 0x300, /* mem[60], the byte stored, mem[0..1] = 0x1403 << 8 & 0xff00 */
	      INSN(0x07, 1, 0, 0, 300),		/* r1 = mem + 300 */
	      INSN(0x71, 0, 1, -240, 0),	/* ldxb: mem[60], ldurb */
	      INSN(0x07, 1, 0, 0, -300 - 1024),
	      INSN(0x72, 1, 0, 1024 + 16, 0x5a), /* stb mem[16]: scaled strb */
	      INSN(0x71, 2, 1, 1024 + 16, 0),
	      INSN(0x0f, 0, 2, 0, 0),
	      INSN(0x07, 1, 0, 0, 1024 + 1001),
	      INSN(0x69, 3, 1, -1001, 0),	/* ldxh mem[0]: register offset */
	      INSN(0x67, 3, 0, 0, 8), INSN(0x57, 3, 0, 0, 0xff00),
	      INSN(0x0f, 0, 3, 0, 0),
	      EXIT);
	FIXED("stack: r10 frames of callees are separate", 3,
	      INSN(0x7a, 10, 0, -8, 1), CALL_LOCAL(3), INSN(0x79, 1, 10, -8, 0),
	      INSN(0x0f, 0, 1, 0, 0), EXIT,
	      /* 5: */ INSN(0x7a, 10, 0, -8, 2), INSN(0x79, 0, 10, -8, 0), EXIT);
	abort_unwind();
	differential(3000);
	userbpf_rt__free(rt);
	return tl_exit();
}
