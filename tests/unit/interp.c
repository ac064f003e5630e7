/* SPDX-License-Identifier: MIT */
/*
 * interp.c - interpreter unit tests: Linux's edge cases, checked-mode
 * faults, frames, tail calls, budget, helper ids; each through both
 * dispatch styles and, where safe, both checked and fast modes.
 */
#include <errno.h>
#include <string.h>
#include "testlib.h"
#include "exec/jit_internal.h"

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
#define MOV64_K(d, i) INSN(0xb7, d, 0, 0, i)
#define MOV64_X(d, s) INSN(0xbf, d, s, 0, 0)
#define EXIT INSN(0x95, 0, 0, 0, 0)
#define LDDW(d, v) INSN(0x18, d, 0, 0, (int32_t)(uint32_t)(v)), INSN(0, 0, 0, 0, (int32_t)((uint64_t)(v) >> 32))

static struct userbpf_rt *rt;
static const uint8_t test_pkt[] = { 0x45, 0x00, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef };

/* Runs prog through every engine: the interpreter in checked and fast
 * mode with both dispatches, and the JIT where there is one.  All must
 * agree with want. */
static void run_all(const char *name, const struct userbpf_insn *p, size_t n,
		    void *mem, size_t mem_len, uint64_t want)
{
	static const struct {
		const char *name;
		bool trusted;
		enum ub_dispatch dispatch;
		enum userbpf_engine engine;
	} modes[] = {
		{ "checked,goto", false, UB_DISPATCH_GOTO, USERBPF_ENGINE_INTERPRETER },
		{ "checked,switch", false, UB_DISPATCH_SWITCH, USERBPF_ENGINE_INTERPRETER },
		{ "fast,goto", true, UB_DISPATCH_GOTO, USERBPF_ENGINE_INTERPRETER },
		{ "fast,switch", true, UB_DISPATCH_SWITCH, USERBPF_ENGINE_INTERPRETER },
		{ "jit", true, UB_DISPATCH_GOTO, USERBPF_ENGINE_JIT },
	};
	struct userbpf_prog *prog = userbpf_prog__load(rt, p, n, NULL);
	char nm[160];

	if (!prog) {
		tl_fail(name, "load failed: %s", tl_last_log);
		return;
	}
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct userbpf_region reg = { mem, mem_len, true };
		struct userbpf_run_opts o = { .sz = sizeof(o) };
		uint64_t r = 0;
		int err;

		if (modes[m].engine == USERBPF_ENGINE_JIT && !ub_jit_available())
			continue;
		o.args[0] = (uint64_t)(uintptr_t)mem;
		o.args[1] = mem_len;
		o.regions = &reg;
		o.region_cnt = mem ? 1 : 0;
		o.engine = modes[m].engine;
		o.pkt = test_pkt;
		o.pkt_len = sizeof(test_pkt);
		userbpf_prog__set_trusted(prog, modes[m].trusted);
		err = ub_prog_run_dispatch(prog, &o, modes[m].dispatch, &r);
		snprintf(nm, sizeof(nm), "%s [%s]", name, modes[m].name);
		if (err == -EOPNOTSUPP && modes[m].engine == USERBPF_ENGINE_JIT &&
		    strstr(tl_last_log, "does not handle"))
			tl_skip(nm, "the JIT leaves this program to the interpreter");
		else if (err)
			tl_fail(nm, "run failed %d: %s", err, tl_last_log);
		else
			TL_EQ_U64(nm, r, want);
	}
	userbpf_prog__free(prog);
}

/* A stand-in prog_array: every index reaches `tail_target`. */
static struct userbpf_prog *tail_target;
static struct userbpf_prog *tail_resolve(void *map, uint32_t idx, void *user)
{
	(void)map; (void)user;
	return idx == 0 ? tail_target : NULL;
}

/* The program counts its runs in the context's u64 and tail-calls itself:
 * 1 run + 33 tail calls, then the 34th tail call fails and falls through. */
static void tail_call_tests(void)
{
	static const struct userbpf_insn p[] = {
		INSN(0xbf, 6, 1, 0, 0),		/* r6 = r1 */
		INSN(0x79, 2, 1, 0, 0),		/* r2 = *(u64 *)(r1 + 0) */
		INSN(0x07, 2, 0, 0, 1),		/* r2 += 1 */
		INSN(0x7b, 1, 2, 0, 0),		/* *(u64 *)(r1 + 0) = r2 */
		INSN(0xb7, 2, 0, 0, 0),		/* r2 = 0 (the map) */
		INSN(0xb7, 3, 0, 0, 0),		/* r3 = 0 (the index) */
		INSN(0x85, 0, 0, 0, 12),	/* bpf_tail_call */
		INSN(0x79, 0, 6, 0, 0),		/* r0 = *(u64 *)(r6 + 0) */
		EXIT,
	};
	struct userbpf_prog *prog = userbpf_prog__load(rt, p, sizeof(p) / sizeof(p[0]), NULL);
	const char *names[] = { "checked", "fast", "jit" };

	tail_target = prog;
	userbpf_rt__set_tail_resolver(rt, tail_resolve, NULL);
	for (int m = 0; m < 3 && prog; m++) {
		uint64_t counter = 0, r = 0;
		struct userbpf_region reg = { &counter, sizeof(counter), true };
		struct userbpf_run_opts o = { .sz = sizeof(o), .regions = &reg, .region_cnt = 1 };
		char nm[80];
		int err;

		if (m == 2 && !ub_jit_available())
			continue;
		o.args[0] = (uint64_t)(uintptr_t)&counter;
		o.engine = m == 2 ? USERBPF_ENGINE_JIT : USERBPF_ENGINE_INTERPRETER;
		userbpf_prog__set_trusted(prog, m > 0);
		err = userbpf_prog__run(prog, &o, &r);
		snprintf(nm, sizeof(nm), "33 tail calls, then fall through [%s]", names[m]);
		TL_CHECK(nm, err == 0 && r == 34 && counter == 34);
	}
	userbpf_rt__set_tail_resolver(rt, NULL, NULL);
	userbpf_prog__free(prog);
}

#define RUN(name, want, ...)                                                   \
	do {                                                                   \
		struct userbpf_insn _p[] = { __VA_ARGS__ };                    \
		run_all(name, _p, sizeof(_p) / sizeof(_p[0]), NULL, 0, want);  \
	} while (0)

int main(void)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log = tl_log };

	rt = userbpf_rt__new(&o);
	if (!rt)
		return 1;
	RUN("mov exit", 42, MOV64_K(0, 42), EXIT);
	RUN("div64 by zero is 0", 0, MOV64_K(0, 7), MOV64_K(1, 0), INSN(0x3f, 0, 1, 0, 0), EXIT);
	RUN("mod64 by zero keeps dst", 7, MOV64_K(0, 7), MOV64_K(1, 0), INSN(0x9f, 0, 1, 0, 0), EXIT);
	RUN("mod32 by zero keeps low half", 0xffffffffull, MOV64_K(0, -1), MOV64_K(1, 0), INSN(0x9c, 0, 1, 0, 0), EXIT);
	RUN("sdiv64 INT_MIN/-1", 0x8000000000000000ull, LDDW(0, 0x8000000000000000ull), INSN(0x37, 0, 0, 1, -1), EXIT);
	RUN("smod64 INT_MIN%-1", 0, LDDW(0, 0x8000000000000000ull), INSN(0x97, 0, 0, 1, -1), EXIT);
	RUN("sdiv32 INT_MIN/-1", 0x80000000ull, MOV64_K(0, 0), INSN(0xb4, 0, 0, 0, (int32_t)0x80000000), INSN(0x34, 0, 0, 1, -1), EXIT);
	RUN("lsh64 masks amount", 2, MOV64_K(0, 1), MOV64_K(1, 65), INSN(0x6f, 0, 1, 0, 0), EXIT);
	RUN("rsh32 masks amount", 0x7fffffffull, MOV64_K(0, -1), MOV64_K(1, 33), INSN(0x7c, 0, 1, 0, 0), EXIT);
	RUN("arsh32 zero-extends", 0xffffffffull, MOV64_K(0, -1), INSN(0xc4, 0, 0, 0, 4), EXIT);
	RUN("movsx8_64", 0xffffffffffffff80ull, MOV64_K(1, 0x80), INSN(0xbf, 0, 1, 8, 0), EXIT);
	RUN("movsx16_32", 0xffff8000ull, MOV64_K(1, 0x8000), INSN(0xbc, 0, 1, 16, 0), EXIT);
	RUN("ldxsb sign-extends", 0xffffffffffffff81ull, MOV64_K(1, 0x81), INSN(0x73, 10, 1, -1, 0), INSN(0x91, 0, 10, -1, 0), EXIT);
	RUN("bswap16", 0x3412, LDDW(0, 0xffffffffffff1234ull), INSN(0xd7, 0, 0, 0, 16), EXIT);
	RUN("be32", 0x78563412, LDDW(0, 0xff12345612345678ull), INSN(0xdc, 0, 0, 0, 32), EXIT);
	RUN("le16 truncates", 0x1234, LDDW(0, 0xff12345612341234ull), INSN(0xd4, 0, 0, 0, 16), EXIT);
	RUN("jmp32 signed", 1, MOV64_K(0, 0), LDDW(1, 0x00000001ffffffffull), INSN(0xc6, 1, 0, 1, 0), EXIT, MOV64_K(0, 1), EXIT);
	RUN("gotol", 3, MOV64_K(0, 3), INSN(0x06, 0, 0, 0, 1), MOV64_K(0, 4), EXIT);
	RUN("atomic fetch add", 0x0000000500000003ull,
	    MOV64_K(1, 3), INSN(0x7b, 10, 1, -8, 0), MOV64_K(2, 2), INSN(0xdb, 10, 2, -8, 0x01),
	    INSN(0x79, 0, 10, -8, 0), INSN(0x67, 0, 0, 0, 32), INSN(0x0f, 0, 2, 0, 0), EXIT);
	RUN("cmpxchg32", 0x77, MOV64_K(1, 5), INSN(0x63, 10, 1, -4, 0), MOV64_K(0, 5), MOV64_K(2, 0x77),
	    INSN(0xc3, 10, 2, -4, 0xf1), INSN(0x61, 0, 10, -4, 0), EXIT);
	RUN("local call keeps r6-r9", 0x0b,
	    MOV64_K(6, 10), MOV64_K(1, 1), INSN(0x85, 0, 1, 0, 2), INSN(0x0f, 0, 6, 0, 0), EXIT,
	    MOV64_K(6, 99), MOV64_X(0, 1), EXIT);
	{
		struct userbpf_insn p[] = { MOV64_K(0, 0), INSN(0x85, 0, 1, 0, -2), EXIT };
		struct userbpf_prog *prog = userbpf_prog__load(rt, p, 3, NULL);
		uint64_t r;
		int err = prog ? userbpf_prog__run(prog, NULL, &r) : 0;
		TL_CHECK("9th frame refused", prog && err == -E2BIG && strstr(tl_last_log, "8 frames"));
		userbpf_prog__free(prog);
	}
	{
		struct userbpf_insn p[] = { INSN(0x79, 0, 1, 0, 0), EXIT };
		struct userbpf_prog *prog = userbpf_prog__load(rt, p, 2, NULL);
		struct userbpf_run_opts ro = { .sz = sizeof(ro) };
		uint64_t r;
		int err;
		ro.args[0] = 0x1000;
		err = prog ? userbpf_prog__run(prog, &ro, &r) : 0;
		TL_CHECK("checked mode refuses wild read", err == -EFAULT &&
			 strstr(tl_last_log, "insn 0") && strstr(tl_last_log, "out-of-bounds read"));
		userbpf_prog__free(prog);
	}
	{
		struct userbpf_insn p[] = { MOV64_K(0, 0), INSN(0x05, 0, 0, -2, 0), EXIT };
		struct userbpf_prog *prog = userbpf_prog__load(rt, p, 3, NULL);
		struct userbpf_run_opts ro = { .sz = sizeof(ro), .insn_budget = 1000 };
		uint64_t r;
		int err = prog ? userbpf_prog__run(prog, &ro, &r) : 0;
		TL_CHECK("budget stops a loop", err == -E2BIG && strstr(tl_last_log, "budget"));
		userbpf_prog__free(prog);
	}
	{
		struct userbpf_insn p[] = { INSN(0x85, 0, 0, 0, 99999), EXIT };
		struct userbpf_prog *prog = userbpf_prog__load(rt, p, 2, NULL);
		TL_CHECK("unknown helper refused at load", !prog && strstr(tl_last_log, "unknown helper id 99999"));
		struct userbpf_insn q[] = { INSN(0x85, 0, 0, 0, 27), EXIT };
		prog = userbpf_prog__load(rt, q, 2, NULL);
		TL_CHECK("unavailable helper named", !prog && strstr(tl_last_log, "bpf_get_stackid"));
	}
	/* A call back into the main function (recursion through insn 0): the
	 * JIT hands it to the interpreter; every engine gives 5 + 1. */
	RUN("call back into the main function", 6,
	    INSN(0x55, 1, 0, 2, 7), MOV64_K(0, 5), EXIT,
	    MOV64_K(1, 7), INSN(0x85, 0, 1, 0, -5), INSN(0x07, 0, 0, 0, 1), EXIT);
	RUN("ld_abs h is big-endian", 0x1234, MOV64_K(6, 0), INSN(0x28, 0, 0, 0, 2), EXIT);
	RUN("ld_ind w", 0xdeadbeef, MOV64_K(6, 0), MOV64_K(7, 1), INSN(0x40, 0, 7, 0, 3), EXIT);
	RUN("ld_abs outside the packet returns 0", 0, MOV64_K(6, 0), MOV64_K(0, 9), INSN(0x30, 0, 0, 0, 8),
	    MOV64_K(0, 7), EXIT);
	tail_call_tests();
	userbpf_rt__free(rt);
	return tl_exit();
}
