/* SPDX-License-Identifier: MIT */
/*
 * x86_win64.c - the x86-64 JIT's Win64 calling convention, tested on Linux.
 *
 * Code compiled with win64 = true is entered with the Microsoft x64 ABI
 * and calls helpers with it.  gcc and clang speak that ABI on Linux too
 * (__attribute__((ms_abi))), so this test compiles programs through the
 * internal ub_jit_x86_64() with win64 set, runs them through its own small
 * copy of the driver loop, and registers ms_abi helpers (by a cast: the
 * runtime stores plain function pointers and the JIT only calls them).
 *
 * On Linux the entry is reached through an assembly trampoline that puts
 * sentinels in every register Win64 calls callee-saved (rbx, rbp, rdi,
 * rsi, r12-r15), calls the code with the arguments in rcx, rdx, r8, r9 and
 * two stack slots above the shadow space, and reports what the registers
 * hold afterwards, so a clobbered rdi or rsi shows even where the C
 * compiler would not have noticed.  Helpers check that the stack is
 * 16-byte aligned at the call and that all six arguments arrive, which
 * only works when the shadow space and stack arguments are in place.
 * Built for Windows (mingw), the same test calls the code natively.
 *
 * Not covered on Linux: callx with a helper id, because the C trampoline
 * in jit.c calls the (ms_abi) helper with the host ABI; on Windows both
 * are the same ABI.
 */
#include <errno.h>
#include "x86_gen.h"
#include "platform/platform.h"

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
#define LDDW(d, v) INSN(0x18, d, 0, 0, (int32_t)(uint32_t)(v)), INSN(0, 0, 0, 0, (int32_t)((uint64_t)(v) >> 32))
#define EXIT INSN(0x95, 0, 0, 0, 0)
#define MOV64_K(d, i) INSN(0xb7, d, 0, 0, i)
#define CNT(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__x86_64__) && (defined(__linux__) || defined(_WIN32)) && defined(__GNUC__)
#define W_RUN 1
#define MSABI __attribute__((ms_abi))

typedef uint64_t(MSABI *w_entry)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
				  struct userbpf_call *);

#if defined(__linux__)
static const uint64_t sentinel[8] = {
	0x1111111111111111ull, 0x2222222222222222ull, 0x3333333333333333ull,
	0x4444444444444444ull, 0x5555555555555555ull, 0x6666666666666666ull,
	0x7777777777777777ull, 0x0888888888888888ull,
};

/*
 * uint64_t w_call_checked(void *fn, const uint64_t args[6], uint64_t out[8])
 * (System V): calls fn with the Microsoft ABI and sentinels in rbx, rbp,
 * rdi, rsi, r12-r15; stores what those hold after the call into out.
 */
uint64_t w_call_checked(void *fn, const uint64_t *args, uint64_t *out);
__asm__(".text\n"
	".type w_call_checked, @function\n"
	"w_call_checked:\n"
	"	push %rbp\n"
	"	push %rbx\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	push %rdx\n"
	"	sub $48, %rsp\n"		/* 16-byte aligned, shadow + 2 args */
	"	mov %rdi, %rax\n"
	"	mov 32(%rsi), %r10\n"
	"	mov %r10, 32(%rsp)\n"
	"	mov 40(%rsi), %r10\n"
	"	mov %r10, 40(%rsp)\n"
	"	mov 0(%rsi), %rcx\n"
	"	mov 8(%rsi), %rdx\n"
	"	mov 16(%rsi), %r8\n"
	"	mov 24(%rsi), %r9\n"
	"	movabs $0x1111111111111111, %rbx\n"
	"	movabs $0x2222222222222222, %rbp\n"
	"	movabs $0x3333333333333333, %rdi\n"
	"	movabs $0x4444444444444444, %rsi\n"
	"	movabs $0x5555555555555555, %r12\n"
	"	movabs $0x6666666666666666, %r13\n"
	"	movabs $0x7777777777777777, %r14\n"
	"	movabs $0x0888888888888888, %r15\n"
	"	call *%rax\n"
	"	add $48, %rsp\n"
	"	pop %r10\n"
	"	mov %rbx, 0(%r10)\n"
	"	mov %rbp, 8(%r10)\n"
	"	mov %rdi, 16(%r10)\n"
	"	mov %rsi, 24(%r10)\n"
	"	mov %r12, 32(%r10)\n"
	"	mov %r13, 40(%r10)\n"
	"	mov %r14, 48(%r10)\n"
	"	mov %r15, 56(%r10)\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbx\n"
	"	pop %rbp\n"
	"	ret\n"
	".size w_call_checked, .-w_call_checked\n");
#endif

static struct userbpf_rt *rt;	  /* helpers are ms_abi functions */
static userbpf_helper_fn real_tail; /* bpf_tail_call of a default runtime */
static int regs_bad;		  /* runs that lost a callee-saved register */

/* What the last call of h_args saw. */
static uint64_t seen[5];
static const struct userbpf_prog *seen_prog;
static int misaligned, h_calls;

static uint64_t MSABI h_args(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct userbpf_call *c)
{
	/* With a frame pointer, rbp is 16-byte aligned iff rsp was at the call. */
	if ((uintptr_t)__builtin_frame_address(0) & 15)
		misaligned++;
	h_calls++;
	seen[0] = r1, seen[1] = r2, seen[2] = r3, seen[3] = r4, seen[4] = r5;
	seen_prog = c->prog;
	return r1 * 3 + r2 * 5 + r3 * 7 + r4 * 11 + r5 * 13;
}

static uint64_t MSABI h_abort(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			      struct userbpf_call *c)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	userbpf_call__abort(c, -EPERM, "win64 test abort");
	return 0;
}

static uint64_t MSABI h_tail(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct userbpf_call *c)
{
	return real_tail(r1, r2, r3, r4, r5, c);
}

static const uint8_t pkt[] = { 0x45, 0x00, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef };

/* A stand-in prog_array: index 0 reaches `tail_target`. */
static struct userbpf_prog *tail_target;
static struct userbpf_prog *tail_resolve(void *map, uint32_t idx, void *user)
{
	(void)map, (void)user;
	return idx == 0 ? tail_target : NULL;
}

/* Compiles prog for Win64 into sealed pages; returns them or NULL. */
static void *w_compile(struct userbpf_prog *prog, bool blind, size_t *size, int *err)
{
	struct ub_jit_opts o = { .win64 = true, .blind = blind };
	struct ub_jit_out out = { 0 };
	void *mem = NULL;

	*err = ub_jit_x86_64(prog, &o, &out);
	if (*err)
		return NULL;
	*size = (out.len + 4095) & ~(size_t)4095;
	mem = ub_os_code_alloc(*size);
	if (mem) {
		memcpy(mem, out.code, out.len);
		if (ub_os_code_seal(mem, *size)) {
			ub_os_code_free(mem, *size);
			mem = NULL;
		}
	}
	if (!mem)
		*err = -ENOMEM;
	ub_free(rt, out.code);
	return mem;
}

/* The driver loop of jit.c, with a Win64 entry. */
static int w_run(struct userbpf_prog *prog, const uint64_t args[5], bool blind, uint64_t *ret)
{
	struct userbpf_call c;
	uint64_t a[6];
	int err = 0;

	memset(&c, 0, sizeof(c));
	c.rt = rt;
	c.fast = true;
	c.pkt = pkt;
	c.pkt_len = sizeof(pkt);
	memcpy(a, args, 5 * sizeof(a[0]));
	for (;;) {
		size_t size = 0;
		void *code = w_compile(prog, blind, &size, &err);
		uint64_t r0;

		if (!code)
			break;
		c.prog = prog;
		a[5] = (uint64_t)(uintptr_t)&c;
#if defined(__linux__)
		{
			uint64_t after[8];
			r0 = w_call_checked(code, a, after);
			if (memcmp(after, sentinel, sizeof(after)))
				regs_bad++;
		}
#else
		r0 = ((w_entry)code)(a[0], a[1], a[2], a[3], a[4], &c);
#endif
		ub_os_code_free(code, size);
		if (!c.pending) {
			*ret = r0;
			break;
		}
		if (c.pending & UB_PENDING_ABORT) {
			err = c.abort_err;
			break;
		}
		if (c.pending & UB_PENDING_EXIT0) {
			*ret = 0;
			break;
		}
		c.pending = 0;
		prog = c.tail_target;
		c.tail_target = NULL;
		memset(a, 0, sizeof(a));
		a[0] = c.tail_ctx;
	}
	ub_free(rt, c.regions);
	return err;
}

/* Win64 JIT (plain and blinded) against the interpreter; 0 when equal. */
static int w_same(const struct userbpf_insn *p, size_t n, char *why, size_t why_sz)
{
	struct userbpf_prog *prog = userbpf_prog__load(rt, p, n, NULL);
	static const uint64_t args[5];
	struct userbpf_run_opts o = { .sz = sizeof(o), .engine = USERBPF_ENGINE_INTERPRETER };
	uint64_t ri = 0, rw = 0, rb = 0;
	int ei = -1, ew = -1, eb = -1;

	if (prog) {
		o.pkt = pkt;
		o.pkt_len = sizeof(pkt);
		userbpf_prog__set_trusted(prog, true);
		ei = userbpf_prog__run(prog, &o, &ri);
		ew = w_run(prog, args, false, &rw);
		eb = w_run(prog, args, true, &rb);
	}
	userbpf_prog__free(prog);
	if (!ei && !ew && !eb && ri == rw && ri == rb)
		return 0;
	snprintf(why, why_sz, "%s: errs %d %d %d, r0 interp 0x%llx win64 0x%llx blinded 0x%llx",
		 prog ? "ran" : "load failed", ei, ew, eb, (unsigned long long)ri,
		 (unsigned long long)rw, (unsigned long long)rb);
	return 1;
}

#define SAME(name, ...)                                                        \
	do {                                                                   \
		struct userbpf_insn _p[] = { __VA_ARGS__ };                    \
		char _why[300];                                                \
		if (w_same(_p, CNT(_p), _why, sizeof(_why)))                   \
			tl_fail("win64: " name, "%s", _why);                   \
		else                                                           \
			tl_ok("win64: " name);                                 \
	} while (0)

static void programs(void)
{
	int before = regs_bad, bad = 0;
	char first[320] = "";

	SAME("mov exit", MOV64_K(0, 42), EXIT);
	SAME("div/mod with rdx and rcx live", MOV64_K(3, 1000), MOV64_K(4, 7), MOV64_K(0, 12345),
	     INSN(0x3f, 3, 4, 0, 0), INSN(0x9f, 0, 4, 0, 0), INSN(0x0f, 0, 3, 0, 0),
	     INSN(0x0f, 0, 4, 0, 0), EXIT);
	SAME("shift by r4 (rcx)", MOV64_K(0, 5), MOV64_K(4, 3), INSN(0x6f, 0, 4, 0, 0),
	     INSN(0x6f, 4, 4, 0, 0), INSN(0x0f, 0, 4, 0, 0), EXIT);
	SAME("cmpxchg64", MOV64_K(1, 5), INSN(0x7b, 10, 1, -8, 0), MOV64_K(0, 5), MOV64_K(2, 0x77),
	     INSN(0xdb, 10, 2, -8, 0xf1), INSN(0x79, 1, 10, -8, 0), INSN(0x0f, 0, 1, 0, 0), EXIT);
	SAME("fetch or with r0", MOV64_K(1, 6), INSN(0x7b, 10, 1, -8, 0), MOV64_K(0, 9),
	     INSN(0xdb, 10, 0, -8, 0x41), INSN(0x79, 1, 10, -8, 0), INSN(0x27, 0, 0, 0, 100),
	     INSN(0x0f, 0, 1, 0, 0), EXIT);
	SAME("local calls keep r6-r9 and the stack", MOV64_K(6, 10), MOV64_K(9, 3), MOV64_K(1, 1),
	     INSN(0x7b, 10, 9, -8, 0), INSN(0x85, 0, 1, 0, 4), INSN(0x0f, 0, 6, 0, 0),
	     INSN(0x79, 1, 10, -8, 0), INSN(0x0f, 0, 1, 0, 0), EXIT,
	     MOV64_K(6, 99), INSN(0x7b, 10, 6, -8, 0), INSN(0xbf, 0, 1, 0, 0), EXIT);
	SAME("callx to a code address", LDDW(0, 0), INSN(0x18, 6, 4, 0, 3), INSN(0, 0, 0, 0, 0),
	     INSN(0x8d, 6, 0, 0, 0), EXIT, MOV64_K(0, 0x77), EXIT);
	SAME("ld_abs through the ms_abi wrapper", MOV64_K(6, 0), INSN(0x28, 0, 0, 0, 2), EXIT);
	SAME("ld_ind w", MOV64_K(6, 0), MOV64_K(7, 1), INSN(0x40, 0, 7, 0, 3), EXIT);
	SAME("ld_abs outside the packet", MOV64_K(6, 0), MOV64_K(0, 9), INSN(0x30, 0, 0, 0, 8),
	     MOV64_K(0, 7), EXIT);
	for (int i = 0; i < 200; i++) {
		struct userbpf_insn *p = NULL;
		size_t cnt = xg_generate(0x3164000u + (uint64_t)i, 30 + (size_t)(i % 60), &p);
		char why[300];

		if (!cnt || w_same(p, cnt, why, sizeof(why))) {
			if (!bad++)
				snprintf(first, sizeof(first), "program %d: %s", i,
					 cnt ? why : "no memory");
		}
		free(p);
	}
	if (bad)
		tl_fail("win64: 200 random programs agree with the interpreter", "%d differ; %s",
			bad, first);
	else
		tl_ok("win64: 200 random programs agree with the interpreter");
#if defined(__linux__)
	TL_CHECK("win64: rbx, rbp, rdi, rsi, r12-r15 survive every run", regs_bad == before);
#else
	(void)before; /* a native call: the C compiler holds the caller's side */
#endif
}

static void helper_tests(void)
{
	static const uint64_t args[5] = { 0x1001, 0x2002, 0x3003, 0x4004, 0x5005 };
	/* r1..r5 = distinct values, call 1; r0 += r6..r9 */
	static const struct userbpf_insn p[] = {
		MOV64_K(6, 6), MOV64_K(7, 7), MOV64_K(8, 8), MOV64_K(9, 9),
		LDDW(1, 0xa1a1a1a1a1a1a1a1ull), LDDW(2, 0xb2b2b2b2b2b2b2b2ull),
		LDDW(3, 0xc3c3c3c3c3c3c3c3ull), LDDW(4, 0xd4d4d4d4d4d4d4d4ull),
		LDDW(5, 0xe5e5e5e5e5e5e5e5ull),
		INSN(0x85, 0, 0, 0, 1),
		INSN(0x0f, 0, 6, 0, 0), INSN(0x0f, 0, 7, 0, 0), INSN(0x0f, 0, 8, 0, 0),
		INSN(0x0f, 0, 9, 0, 0), EXIT,
	};
	/* main -> f -> g, g calls the helper with its own r1..r5 */
	static const struct userbpf_insn deep[] = {
		MOV64_K(6, 1), INSN(0x85, 0, 1, 0, 2), INSN(0x0f, 0, 6, 0, 0), EXIT,
		MOV64_K(6, 2), INSN(0x85, 0, 1, 0, 2), INSN(0x0f, 0, 6, 0, 0), EXIT,
		MOV64_K(1, 1), MOV64_K(2, 2), MOV64_K(3, 3), MOV64_K(4, 4), MOV64_K(5, 5),
		INSN(0x85, 0, 0, 0, 1), EXIT,
	};
	/* an abort two frames down */
	static const struct userbpf_insn abort_p[] = {
		MOV64_K(6, 1), INSN(0x85, 0, 1, 0, 2), MOV64_K(0, 1), EXIT,
		INSN(0x85, 0, 1, 0, 1), EXIT,
		INSN(0x85, 0, 0, 0, 2), MOV64_K(0, 5), EXIT,
	};
	static const struct userbpf_insn tail_p[] = {
		INSN(0xbf, 6, 1, 0, 0), INSN(0x79, 2, 1, 0, 0), INSN(0x07, 2, 0, 0, 1),
		INSN(0x7b, 1, 2, 0, 0), MOV64_K(2, 0), MOV64_K(3, 0), INSN(0x85, 0, 0, 0, 12),
		INSN(0x79, 0, 6, 0, 0), EXIT,
	};
	const uint64_t want = 0xa1a1a1a1a1a1a1a1ull * 3 + 0xb2b2b2b2b2b2b2b2ull * 5 +
			      0xc3c3c3c3c3c3c3c3ull * 7 + 0xd4d4d4d4d4d4d4d4ull * 11 +
			      0xe5e5e5e5e5e5e5e5ull * 13 + 30;
	struct userbpf_prog *prog;
	uint64_t r = 0;
	int err, before = regs_bad;

	for (int blind = 0; blind < 2; blind++) {
		prog = userbpf_prog__load(rt, p, CNT(p), NULL);
		misaligned = h_calls = 0;
		seen_prog = NULL;
		err = prog ? w_run(prog, args, blind, &r) : -1;
		TL_CHECK(blind ? "win64 blinded: helper call returns, r6-r9 survive"
			       : "win64: helper call returns, r6-r9 survive", !err && r == want);
		TL_CHECK(blind ? "win64 blinded: helper sees r1-r5 and the run state"
			       : "win64: helper sees r1-r5 and the run state",
			 h_calls == 1 && seen[0] == 0xa1a1a1a1a1a1a1a1ull &&
			 seen[1] == 0xb2b2b2b2b2b2b2b2ull && seen[2] == 0xc3c3c3c3c3c3c3c3ull &&
			 seen[3] == 0xd4d4d4d4d4d4d4d4ull && seen[4] == 0xe5e5e5e5e5e5e5e5ull &&
			 seen_prog == prog);
		userbpf_prog__free(prog);
	}
	TL_CHECK("win64: stack 16-byte aligned at helper calls from main", misaligned == 0);

	prog = userbpf_prog__load(rt, deep, CNT(deep), NULL);
	misaligned = h_calls = 0;
	err = prog ? w_run(prog, args, false, &r) : -1;
	TL_CHECK("win64: helper from the third frame: right result, aligned",
		 !err && h_calls == 1 && misaligned == 0 && seen[4] == 5 &&
		 r == 3 + 10 + 21 + 44 + 65 + 2 + 1);
	userbpf_prog__free(prog);

	prog = userbpf_prog__load(rt, abort_p, CNT(abort_p), NULL);
	err = prog ? w_run(prog, args, false, &r) : -1;
	TL_CHECK("win64: a helper abort three frames down unwinds to the driver", err == -EPERM);
	userbpf_prog__free(prog);

	prog = userbpf_prog__load(rt, tail_p, CNT(tail_p), NULL);
	if (prog) {
		uint64_t counter = 0, a[5] = { (uint64_t)(uintptr_t)&counter };

		tail_target = prog;
		userbpf_prog__set_trusted(prog, true); /* unchecked runs tail-call trusted code only */
		userbpf_rt__set_tail_resolver(rt, tail_resolve, NULL);
		err = w_run(prog, a, false, &r);
		TL_CHECK("win64: 33 tail calls, then fall through", !err && r == 34 && counter == 34);
		userbpf_rt__set_tail_resolver(rt, NULL, NULL);
	} else {
		tl_fail("win64: 33 tail calls, then fall through", "load: %s", tl_last_log);
	}
	userbpf_prog__free(prog);
#if defined(__linux__)
	TL_CHECK("win64: callee-saved registers survive helper calls, aborts and tail calls",
		 regs_bad == before);
#else
	(void)before;
#endif
}
#endif /* W_RUN */

int main(void)
{
#if !defined(W_RUN)
	tl_skip("jit/x86 win64", "needs an x86-64 Linux or Windows build with gcc or clang");
	return tl_exit();
#else
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log = tl_log, .no_default_helpers = true };
	struct userbpf_rt *def = userbpf_rt__new(NULL);
	const struct ub_helper *t = def ? ub_rt_helper(def, 12) : NULL;

	rt = userbpf_rt__new(&o);
	if (!rt || !t)
		return 1;
	real_tail = t->fn;
	/* The runtime keeps plain function pointers; only Win64 code calls
	 * these, with the ABI they are declared with. */
	if (userbpf_rt__set_helper(rt, 1, "w_args", (userbpf_helper_fn)(void (*)(void))h_args) ||
	    userbpf_rt__set_helper(rt, 2, "w_abort", (userbpf_helper_fn)(void (*)(void))h_abort) ||
	    userbpf_rt__set_helper(rt, 12, "tail_call", (userbpf_helper_fn)(void (*)(void))h_tail))
		return 1;
	programs();
	helper_tests();
	userbpf_rt__free(rt);
	userbpf_rt__free(def);
	return tl_exit();
#endif
}
