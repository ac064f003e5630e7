/* SPDX-License-Identifier: MIT */
/*
 * arm64_encode.c - the AArch64 JIT's machine code, checked word for word
 * against the GNU assembler.
 *
 * The arm64 back end is portable C, so this test runs on any host: it
 * compiles small BPF programs with ub_jit_arm64() and compares what comes
 * out with words that `aarch64-linux-gnu-as` assembled (then printed by
 * `aarch64-linux-gnu-objdump -d`) from the A64 sequences the back end is
 * meant to produce.  The words were computed once and pasted below; the
 * assembly is given next to each.  A wrong field in any encoder (register
 * slot, size bit, immediate scaling, branch offset) shows up here, on x86
 * machines too, before any code runs; tests/jit/arm64_run.c then runs the
 * code on arm64 (or under qemu-aarch64).
 *
 * Atomics come in two forms: exclusive loops, and ARMv8.1 LSE
 * instructions, which the back end picks on arm64 hosts that have them; the
 * test expects whichever form the host gets (the LSE words were assembled
 * with -march=armv8.1-a).  Run under `qemu-aarch64 -cpu max` and
 * `-cpu cortex-a53` to check both.
 *
 * Spectre v1 index clamps (cmp, csel, csdb) are checked here with the
 * verifier's facts set by hand; constant blinding has keys drawn per
 * compile, so tests/jit/arm64_blind.c checks it by decoding instead.
 *
 * Loads and stores relative to the run state (x26) are assembled with
 * offset 0; the test adds offsetof(struct userbpf_call, field) scaled, so
 * the expectation follows the struct's layout.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif
#include "testlib.h"
#include "exec/jit_internal.h"
#include "verifier/verifier.h"

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
#define EXIT INSN(0x95, 0, 0, 0, 0)
#define LDDW(d, v) \
	INSN(0x18, d, 0, 0, (int32_t)(uint32_t)(v)), INSN(0, 0, 0, 0, (int32_t)((uint64_t)(v) >> 32))

/* imm12 (scaled) of a load/store from x26 */
#define CTX_OFF(field, scale) ((uint32_t)(offsetof(struct userbpf_call, field) / (scale)) << 10)

static struct userbpf_rt *rt;

/*
 *	stp x29, x30, [sp, #-16]!	mov x29, sp
 *	stp x19, x20, [sp, #-16]!	stp x21, x22, [sp, #-16]!
 *	stp x25, x26, [sp, #-16]!	mov x25, sp
 *	sub sp, sp, #512		mov x26, x5
 *	mov x9, sp			str x9, [x26, #jit_rsp]
 */
static const uint32_t main_pro[10] = {
	0xa9bf7bfd, 0x910003fd, 0xa9bf53f3, 0xa9bf5bf5, 0xa9bf6bf9,
	0x910003f9, 0xd10803ff, 0xaa0503fa, 0x910003e9, 0xf9000349,
};
/* mov x0, x7; add sp, sp, #512; ldp x25, x26 / x21, x22 / x19, x20 /
 * x29, x30, [sp], #16; ret */
static const uint32_t main_epi[7] = {
	0xaa0703e0, 0x910803ff, 0xa8c16bf9, 0xa8c15bf5, 0xa8c153f3, 0xa8c17bfd, 0xd65f03c0,
};

/* Which atomics a case expects: the back end emits ARMv8.1 LSE
 * instructions on arm64 hosts that have them, exclusive loops elsewhere. */
enum { ANY, LLSC, LSE };

struct enc_case {
	const char *name;
	struct userbpf_insn p[6];	/* the program ends with exit */
	size_t n;
	uint32_t body[8];		/* the code between prologue and epilogue */
	size_t nbody;
	int atomics;			/* ANY, LLSC or LSE */
};

static const struct enc_case cases[] = {
	{ "mov r0, 42 = movz x7, #42", { INSN(0xb7, 0, 0, 0, 42), EXIT }, 2,
	  { 0xd2800547 }, 1, ANY },
	{ "lddw r1 = movz x0, #0xdef0; movk x0 x3",
	  { LDDW(1, 0x123456789abcdef0ull), EXIT }, 3,
	  { 0xd29bde00, 0xf2b35780, 0xf2cacf00, 0xf2e24680 }, 4, ANY },
	{ "mov r2, -2 = movn x1, #1", { INSN(0xb7, 2, 0, 0, -2), EXIT }, 2,
	  { 0x92800021 }, 1, ANY },
	{ "mov32 r3, -2 = movn w2, #1", { INSN(0xb4, 3, 0, 0, -2), EXIT }, 2,
	  { 0x12800022 }, 1, ANY },
	{ "lddw r4, 0xffff1234ffffffff = movn x3, #0xedcb, lsl #32",
	  { LDDW(4, 0xffff1234ffffffffull), EXIT }, 3, { 0x92ddb963 }, 1, ANY },
	{ "add r1, 4095 = add x0, x0, #4095", { INSN(0x07, 1, 0, 0, 4095), EXIT }, 2,
	  { 0x913ffc00 }, 1, ANY },
	{ "add r1, -4096 = sub x0, x0, #1, lsl #12", { INSN(0x07, 1, 0, 0, -4096), EXIT }, 2,
	  { 0xd1400400 }, 1, ANY },
	{ "add r1, 0x12345 = movz/movk x10; add x0, x0, x10",
	  { INSN(0x07, 1, 0, 0, 0x12345), EXIT }, 2,
	  { 0xd28468aa, 0xf2a0002a, 0x8b0a0000 }, 3, ANY },
	{ "add32 r1, r2 = add w0, w0, w1", { INSN(0x0c, 1, 2, 0, 0), EXIT }, 2,
	  { 0x0b010000 }, 1, ANY },
	{ "sub r6, r7 = sub x19, x19, x20", { INSN(0x1f, 6, 7, 0, 0), EXIT }, 2,
	  { 0xcb140273 }, 1, ANY },
	{ "mul r0, r1 = mul x7, x7, x0", { INSN(0x2f, 0, 1, 0, 0), EXIT }, 2,
	  { 0x9b007ce7 }, 1, ANY },
	{ "div32 r1, r2 = udiv w0, w0, w1", { INSN(0x3c, 1, 2, 0, 0), EXIT }, 2,
	  { 0x1ac10800 }, 1, ANY },
	{ "smod r1, r2 = sdiv x11, x0, x1; msub x0, x11, x1, x0",
	  { INSN(0x9f, 1, 2, 1, 0), EXIT }, 2,
	  { 0x9ac10c0b, 0x9b018160 }, 2, ANY },
	{ "lsh r1, 3 = lsl x0, x0, #3", { INSN(0x67, 1, 0, 0, 3), EXIT }, 2,
	  { 0xd37df000 }, 1, ANY },
	{ "rsh32 r1, 31 = lsr w0, w0, #31", { INSN(0x74, 1, 0, 0, 31), EXIT }, 2,
	  { 0x531f7c00 }, 1, ANY },
	{ "arsh r1, 63 = asr x0, x0, #63", { INSN(0xc7, 1, 0, 0, 63), EXIT }, 2,
	  { 0x937ffc00 }, 1, ANY },
	{ "lsh r1, r2 = lsl x0, x0, x1", { INSN(0x6f, 1, 2, 0, 0), EXIT }, 2,
	  { 0x9ac12000 }, 1, ANY },
	{ "arsh32 r1, r2 = asr w0, w0, w1", { INSN(0xcc, 1, 2, 0, 0), EXIT }, 2,
	  { 0x1ac12800 }, 1, ANY },
	{ "neg r1 = neg x0, x0", { INSN(0x87, 1, 0, 0, 0), EXIT }, 2, { 0xcb0003e0 }, 1, ANY },
	{ "neg32 r1 = neg w0, w0", { INSN(0x84, 1, 0, 0, 0), EXIT }, 2, { 0x4b0003e0 }, 1, ANY },
	{ "movsx8 r1, r2 = sxtb x0, w1", { INSN(0xbf, 1, 2, 8, 0), EXIT }, 2,
	  { 0x93401c20 }, 1, ANY },
	{ "movsx16_32 r1, r2 = sxth w0, w1", { INSN(0xbc, 1, 2, 16, 0), EXIT }, 2,
	  { 0x13003c20 }, 1, ANY },
	{ "movsx32 r1, r2 = sxtw x0, w1", { INSN(0xbf, 1, 2, 32, 0), EXIT }, 2,
	  { 0x93407c20 }, 1, ANY },
	{ "mov32 r1, r2 = mov w0, w1", { INSN(0xbc, 1, 2, 0, 0), EXIT }, 2,
	  { 0x2a0103e0 }, 1, ANY },
	{ "and r1, 0xff = movz x10, #0xff; and x0, x0, x10", { INSN(0x57, 1, 0, 0, 0xff), EXIT }, 2,
	  { 0xd2801fea, 0x8a0a0000 }, 2, ANY },
	{ "be16 r1 = rev16 w0, w0; uxth w0, w0", { INSN(0xdc, 1, 0, 0, 16), EXIT }, 2,
	  { 0x5ac00400, 0x53003c00 }, 2, ANY },
	{ "be32 r1 = rev w0, w0", { INSN(0xdc, 1, 0, 0, 32), EXIT }, 2, { 0x5ac00800 }, 1, ANY },
	{ "bswap64 r1 = rev x0, x0", { INSN(0xd7, 1, 0, 0, 64), EXIT }, 2, { 0xdac00c00 }, 1, ANY },
	{ "le32 r1 = mov w0, w0", { INSN(0xd4, 1, 0, 0, 32), EXIT }, 2, { 0x2a0003e0 }, 1, ANY },
	{ "ldxb r0, [r1+5] = ldurb w7, [x0, #5]", { INSN(0x71, 0, 1, 5, 0), EXIT }, 2,
	  { 0x38405007 }, 1, ANY },
	{ "ldxh r0, [r1-2] = ldurh w7, [x0, #-2]", { INSN(0x69, 0, 1, -2, 0), EXIT }, 2,
	  { 0x785fe007 }, 1, ANY },
	{ "ldxw r0, [r1+1024] = ldr w7, [x0, #1024]", { INSN(0x61, 0, 1, 1024, 0), EXIT }, 2,
	  { 0xb9440007 }, 1, ANY },
	{ "ldxdw r0, [r1+32760] = ldr x7, [x0, #32760]", { INSN(0x79, 0, 1, 32760, 0), EXIT }, 2,
	  { 0xf97ffc07 }, 1, ANY },
	{ "ldxdw r0, [r1+1001] = movz x9, #1001; ldr x7, [x0, x9]",
	  { INSN(0x79, 0, 1, 1001, 0), EXIT },
	  2, { 0xd2807d29, 0xf8696807 }, 2, ANY },
	{ "ldxdw r0, [r1-300] = movn x9, #299; ldr x7, [x0, x9]",
	  { INSN(0x79, 0, 1, -300, 0), EXIT },
	  2, { 0x92802569, 0xf8696807 }, 2, ANY },
	{ "ldxsb r0, [r1] = ldursb x7, [x0]", { INSN(0x91, 0, 1, 0, 0), EXIT }, 2,
	  { 0x38800007 }, 1, ANY },
	{ "ldxsw r0, [r1+400] = ldrsw x7, [x0, #400]", { INSN(0x81, 0, 1, 400, 0), EXIT }, 2,
	  { 0xb9819007 }, 1, ANY },
	{ "stxdw [r10-8], r6 = stur x19, [x25, #-8]", { INSN(0x7b, 10, 6, -8, 0), EXIT }, 2,
	  { 0xf81f8333 }, 1, ANY },
	{ "stb [r10-1], 0x7f = movz x10, #0x7f; sturb w10, [x25, #-1]",
	  { INSN(0x72, 10, 0, -1, 0x7f), EXIT }, 2, { 0xd2800fea, 0x381ff32a }, 2, ANY },
	{ "stxh [r1+2], r2 = sturh w1, [x0, #2]", { INSN(0x6b, 1, 2, 2, 0), EXIT }, 2,
	  { 0x78002001 }, 1, ANY },
	/* sub x9, x25, #8; 1: ldaxr x10, [x9]; add x11, x10, x0;
	 * stlxr w12, x11, [x9]; cbnz w12, 1b; mov x0, x10 */
	{ "fetch add [r10-8], r1 = ldaxr/stlxr loop", { INSN(0xdb, 10, 1, -8, 0x01), EXIT }, 2,
	  { 0xd1002329, 0xc85ffd2a, 0x8b00014b, 0xc80cfd2b, 0x35ffffac, 0xaa0a03e0 }, 6, LLSC },
	/* mov x9, x0; 1: ldaxr w10, [x9]; stlxr w12, w1, [x9]; cbnz w12, 1b;
	 * mov x1, x10 */
	{ "xchg32 [r1], r2 = ldaxr/stlxr loop", { INSN(0xc3, 1, 2, 0, 0xe1), EXIT }, 2,
	  { 0xaa0003e9, 0x885ffd2a, 0x880cfd21, 0x35ffffcc, 0xaa0a03e1 }, 5, LLSC },
	/* add x9, x0, #16; 1: ldaxr x10, [x9]; cmp x10, x7; b.ne 2f;
	 * stlxr w12, x1, [x9]; cbnz w12, 1b; 2: mov x7, x10 */
	{ "cmpxchg [r1+16], r2 = ldaxr/cmp/stlxr loop", { INSN(0xdb, 1, 2, 16, 0xf1), EXIT }, 2,
	  { 0x91004009, 0xc85ffd2a, 0xeb07015f, 0x54000061, 0xc80cfd21, 0x35ffff8c, 0xaa0a03e7 },
	  7, LLSC },
	/* mov x9, x0; 1: ldaxr w10, [x9]; and w11, w10, w1;
	 * stlxr w12, w11, [x9]; cbnz w12, 1b; mov x1, x10 */
	{ "fetch and32 [r1], r2 = ldaxr/stlxr loop", { INSN(0xc3, 1, 2, 0, 0x51), EXIT }, 2,
	  { 0xaa0003e9, 0x885ffd2a, 0x0a01014b, 0x880cfd2b, 0x35ffffac, 0xaa0a03e1 }, 6, LLSC },
	/* The same four with LSE (assembled with -march=armv8.1-a):
	 * sub x9, x25, #8; ldaddal x0, x10, [x9]; mov x0, x10 */
	{ "fetch add [r10-8], r1 = ldaddal", { INSN(0xdb, 10, 1, -8, 0x01), EXIT }, 2,
	  { 0xd1002329, 0xf8e0012a, 0xaa0a03e0 }, 3, LSE },
	/* mov x9, x0; swpal w1, w10, [x9]; mov x1, x10 */
	{ "xchg32 [r1], r2 = swpal", { INSN(0xc3, 1, 2, 0, 0xe1), EXIT }, 2,
	  { 0xaa0003e9, 0xb8e1812a, 0xaa0a03e1 }, 3, LSE },
	/* add x9, x0, #16; mov x10, x7; casal x10, x1, [x9]; mov x7, x10 */
	{ "cmpxchg [r1+16], r2 = casal", { INSN(0xdb, 1, 2, 16, 0xf1), EXIT }, 2,
	  { 0x91004009, 0xaa0703ea, 0xc8eafd21, 0xaa0a03e7 }, 4, LSE },
	/* mov x9, x0; mvn w11, w1; ldclral w11, w10, [x9]; mov x1, x10 */
	{ "fetch and32 [r1], r2 = mvn; ldclral", { INSN(0xc3, 1, 2, 0, 0x51), EXIT }, 2,
	  { 0xaa0003e9, 0x2a2103eb, 0xb8eb112a, 0xaa0a03e1 }, 4, LSE },
	/* cmp x0, x1; b.hi 1f; movz x7, #1; 1: */
	{ "jgt r1, r2 = cmp x0, x1; b.hi",
	  { INSN(0x2d, 1, 2, 1, 0), INSN(0xb7, 0, 0, 0, 1), EXIT }, 3,
	  { 0xeb01001f, 0x54000048, 0xd2800027 }, 3, ANY },
	/* cmn w0, #5; b.le 1f; movz x7, #1; 1: */
	{ "jsle32 r1, -5 = cmn w0, #5; b.le",
	  { INSN(0xd6, 1, 0, 1, -5), INSN(0xb7, 0, 0, 0, 1), EXIT }, 3,
	  { 0x3100141f, 0x5400004d, 0xd2800027 }, 3, ANY },
	/* movz x10, #8; tst x0, x10; b.ne 1f; movz x7, #1; 1: */
	{ "jset r1, 8 = tst x0, x10; b.ne",
	  { INSN(0x45, 1, 0, 1, 8), INSN(0xb7, 0, 0, 0, 1), EXIT }, 3,
	  { 0xd280010a, 0xea0a001f, 0x54000041, 0xd2800027 }, 4, ANY },
	/* movz x10, #0x86a0; movk x10, #1, lsl #16; cmp x0, x10; b.ne 1f;
	 * movz x7, #1; 1: */
	{ "jne r1, 100000 = cmp x0, x10; b.ne",
	  { INSN(0x55, 1, 0, 1, 100000), INSN(0xb7, 0, 0, 0, 1), EXIT }, 3,
	  { 0xd290d40a, 0xf2a0002a, 0xeb0a001f, 0x54000041, 0xd2800027 }, 5, ANY },
	/* b 1f; movz x7, #1; 1: */
	{ "ja +1 = b", { INSN(0x05, 0, 0, 1, 0), INSN(0xb7, 0, 0, 0, 1), EXIT }, 3,
	  { 0x14000002, 0xd2800027 }, 2, ANY },
};

/* Compiles p; returns the code (caller frees with ub_free) or NULL. */
static uint8_t *enc_compile(const char *name, const struct userbpf_insn *p, size_t n, size_t *len)
{
	struct userbpf_prog_opts po = { .sz = sizeof(po), .entry_regs = 0x7ff };
	struct userbpf_prog *prog = userbpf_prog__load(rt, p, n, &po);
	struct ub_jit_opts o = { 0 };
	struct ub_jit_out out = { 0 };
	int err;

	if (!prog) {
		tl_fail(name, "load failed: %s", tl_last_log);
		return NULL;
	}
	err = ub_jit_arm64(prog, &o, &out);
	userbpf_prog__free(prog);
	if (err) {
		tl_fail(name, "ub_jit_arm64 failed: %d", err);
		return NULL;
	}
	if (out.len % 4 || out.entry != 0) {
		tl_fail(name, "length %zu or entry %zu is off", out.len, out.entry);
		ub_free(rt, out.code);
		return NULL;
	}
	*len = out.len / 4;
	return out.code;
}

static uint32_t word(const uint8_t *code, size_t i)
{
	const uint8_t *b = code + 4 * i;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Compares want[0..n) with code from word `at`; names the first mismatch. */
static bool enc_match(const char *name, const uint8_t *code, size_t len, size_t at,
		      const uint32_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (at + i >= len) {
			tl_fail(name, "code ends at word %zu, want %zu more", len, n - i);
			return false;
		}
		if (word(code, at + i) != want[i]) {
			tl_fail(name, "word %zu is %08x, want %08x", at + i, word(code, at + i), want[i]);
			return false;
		}
	}
	return true;
}

/* Mirrors the back end's choice of atomics. */
static bool host_lse(void)
{
#if defined(__aarch64__) && defined(__linux__)
	return (getauxval(AT_HWCAP) & (1ul << 8)) != 0; /* HWCAP_ATOMICS */
#else
	return false;
#endif
}

static void enc_cases(void)
{
	int skip = host_lse() ? LLSC : LSE;
	uint32_t pro[10];

	memcpy(pro, main_pro, sizeof(pro));
	pro[9] |= CTX_OFF(jit_rsp, 8);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct enc_case *k = &cases[c];
		size_t len;
		uint8_t *code;

		if (k->atomics == skip)
			continue; /* the other kind of atomics: not emitted here */
		code = enc_compile(k->name, k->p, k->n, &len);
		if (!code)
			continue;
		if (enc_match(k->name, code, len, 0, pro, 10) &&
		    enc_match(k->name, code, len, 10, k->body, k->nbody) &&
		    enc_match(k->name, code, len, 10 + k->nbody, main_epi, 7))
			tl_ok(k->name);
		ub_free(rt, code);
	}
}

/*
 * Whole programs, with a bpf2bpf function: its frame, bl and adr offsets,
 * the unwind stub.  Assembled as
 *	MAINPRO; bl 1f; MAINEPI; 1: PRO; movz x7, #3; EPI; STUB
 * where PRO/EPI are the callee's frame (main_pro/main_epi without the run
 * state lines) and STUB is ldr x9, [x26, #jit_rsp]; mov sp, x9; MAINEPI.
 */
static const uint32_t p_call_words[] = {
	0xa9bf7bfd, 0x910003fd, 0xa9bf53f3, 0xa9bf5bf5, 0xa9bf6bf9, 0x910003f9, 0xd10803ff, 0xaa0503fa,
	0x910003e9, 0xf9000349, 0x94000008, 0xaa0703e0, 0x910803ff, 0xa8c16bf9, 0xa8c15bf5, 0xa8c153f3,
	0xa8c17bfd, 0xd65f03c0, 0xa9bf7bfd, 0x910003fd, 0xa9bf53f3, 0xa9bf5bf5, 0xa9bf6bf9, 0x910003f9,
	0xd10803ff, 0xd2800067, 0x910803ff, 0xa8c16bf9, 0xa8c15bf5, 0xa8c153f3, 0xa8c17bfd, 0xd65f03c0,
	0xf9400349, 0x9100013f, 0xaa0703e0, 0x910803ff, 0xa8c16bf9, 0xa8c15bf5, 0xa8c153f3, 0xa8c17bfd,
	0xd65f03c0,
};
/* The same with `adr x1, 1f` for the bl and movz x7, #0 in the callee. */
static const uint32_t p_adr_words[] = {
	0xa9bf7bfd, 0x910003fd, 0xa9bf53f3, 0xa9bf5bf5, 0xa9bf6bf9, 0x910003f9, 0xd10803ff, 0xaa0503fa,
	0x910003e9, 0xf9000349, 0x10000101, 0xaa0703e0, 0x910803ff, 0xa8c16bf9, 0xa8c15bf5, 0xa8c153f3,
	0xa8c17bfd, 0xd65f03c0, 0xa9bf7bfd, 0x910003fd, 0xa9bf53f3, 0xa9bf5bf5, 0xa9bf6bf9, 0x910003f9,
	0xd10803ff, 0xd2800007, 0x910803ff, 0xa8c16bf9, 0xa8c15bf5, 0xa8c153f3, 0xa8c17bfd, 0xd65f03c0,
	0xf9400349, 0x9100013f, 0xaa0703e0, 0x910803ff, 0xa8c16bf9, 0xa8c15bf5, 0xa8c153f3, 0xa8c17bfd,
	0xd65f03c0,
};

static void enc_whole(const char *name, const struct userbpf_insn *p, size_t n,
		      const uint32_t *want, size_t nwant)
{
	uint32_t w[64];
	size_t len;
	uint8_t *code = enc_compile(name, p, n, &len);

	if (!code)
		return;
	memcpy(w, want, nwant * sizeof(*w));
	w[9] |= CTX_OFF(jit_rsp, 8);		/* str x9, [x26, #jit_rsp] */
	w[nwant - 9] |= CTX_OFF(jit_rsp, 8);	/* the stub's ldr */
	if (len != nwant)
		tl_fail(name, "%zu words, want %zu", len, nwant);
	else if (enc_match(name, code, len, 0, w, nwant))
		tl_ok(name);
	ub_free(rt, code);
}

/*
 * A helper call: the helper's address (host-dependent, so decoded from the
 * movz/movk words rather than compared), then
 *	mov x5, x26; blr x9; mov x7, x0; ldr w9, [x26, #pending];
 *	cbnz w9, <stub>		(8 words on: past the main epilogue)
 */
static void enc_helper(void)
{
	static const struct userbpf_insn p[] = { INSN(0x85, 0, 0, 0, 5), EXIT }; /* ktime_get_ns */
	static const char *name = "call helper = movz/movk x9; blr x9; pending check";
	const uint32_t tail[5] = { 0xaa1a03e5, 0xd63f0120, 0xaa0003e7,
				   0xb9400349 | CTX_OFF(pending, 4), 0x35000109 };
	const struct ub_helper *h = ub_rt_helper(rt, 5);
	uint64_t addr = 0;
	size_t len, i = 10;
	uint8_t *code = enc_compile(name, p, 2, &len);

	if (!code)
		return;
	/* movz (sf=1, opc=10) or movn, then movk, all into x9 */
	for (; i < len && i < 14; i++) {
		uint32_t w = word(code, i), hw = (w >> 21) & 3, v = (w >> 5) & 0xffff;
		if ((w & 0xff80001f) == 0xd2800009)
			addr = (uint64_t)v << (16 * hw);
		else if ((w & 0xff80001f) == 0x92800009)
			addr = ~((uint64_t)v << (16 * hw));
		else if ((w & 0xff80001f) == 0xf2800009)
			addr = (addr & ~((uint64_t)0xffff << (16 * hw))) | (uint64_t)v << (16 * hw);
		else
			break;
	}
	if (!h || addr != (uint64_t)(uintptr_t)h->fn)
		tl_fail(name, "x9 = 0x%llx, want the helper's address", (unsigned long long)addr);
	else if (enc_match(name, code, len, i, tail, 5) && enc_match(name, code, len, i + 5, main_epi, 7))
		tl_ok(name);
	ub_free(rt, code);
}

/*
 * Spectre v1 clamps, with the verifier's facts set by hand on `r1 += r2`
 * (or -=): the index goes through x11, zeroed past the bound by csel,
 * then csdb.  A bound that fits imm12 is compared directly, a larger one
 * through x10.
 */
static void enc_clamp(void)
{
	static const struct {
		const char *name;
		uint8_t code;
		uint32_t bound;
		uint32_t body[6];
		size_t nbody;
	} cc[] = {
		/* cmp x1, #63; csel x11, x1, xzr, ls; csdb; add x0, x0, x11 */
		{ "index clamp: r1 += r2, bound 63", 0x0f, 63,
		  { 0xf100fc3f, 0x9a9f902b, 0xd503229f, 0x8b0b0000 }, 4 },
		/* movz x10, #0x1234; movk x10, #5, lsl #16; cmp x1, x10;
		 * csel x11, x1, xzr, ls; csdb; sub x0, x0, x11 */
		{ "index clamp: r1 -= r2, bound 0x51234", 0x1f, 0x51234,
		  { 0xd282468a, 0xf2a000aa, 0xeb0a003f, 0x9a9f902b, 0xd503229f, 0xcb0b0000 }, 6 },
	};
	uint32_t pro[10];

	memcpy(pro, main_pro, sizeof(pro));
	pro[9] |= CTX_OFF(jit_rsp, 8);
	for (size_t c = 0; c < sizeof(cc) / sizeof(cc[0]); c++) {
		struct userbpf_insn p[] = { INSN(cc[c].code, 1, 2, 0, 0), EXIT };
		struct userbpf_prog_opts po = { .sz = sizeof(po), .entry_regs = 0x7ff };
		struct userbpf_prog *prog = userbpf_prog__load(rt, p, 2, &po);
		uint8_t facts[2] = { UB_FACT_INDEX_BOUNDED | UB_FACT_SPECTRE_MASK, 0 };
		uint32_t bounds[2] = { cc[c].bound, 0 };
		struct ub_jit_opts jo = { 0 };
		struct ub_jit_out out = { 0 };
		int err;

		if (!prog) {
			tl_fail(cc[c].name, "load failed: %s", tl_last_log);
			continue;
		}
		prog->facts = facts;
		prog->fact_bound = bounds;
		err = ub_jit_arm64(prog, &jo, &out);
		userbpf_prog__free(prog);
		if (err) {
			tl_fail(cc[c].name, "ub_jit_arm64 failed: %d", err);
			continue;
		}
		if (enc_match(cc[c].name, out.code, out.len / 4, 0, pro, 10) &&
		    enc_match(cc[c].name, out.code, out.len / 4, 10, cc[c].body, cc[c].nbody) &&
		    enc_match(cc[c].name, out.code, out.len / 4, 10 + cc[c].nbody, main_epi, 7))
			tl_ok(cc[c].name);
		ub_free(rt, out.code);
	}
}

int main(void)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log = tl_log };

	rt = userbpf_rt__new(&o);
	if (!rt) {
		tl_fail("runtime", "userbpf_rt__new failed");
		return tl_exit();
	}
	printf("# atomics expected as %s\n", host_lse() ? "LSE" : "exclusive loops");
	enc_cases();
	{
		/* call +1 (to 2); exit; 2: mov r0, 3; exit */
		struct userbpf_insn p[] = { INSN(0x85, 0, 1, 0, 1), EXIT, INSN(0xb7, 0, 0, 0, 3), EXIT };
		enc_whole("bpf2bpf call = bl to a callee frame", p, 4, p_call_words,
			  sizeof(p_call_words) / sizeof(p_call_words[0]));
	}
	{
		/* lddw r2, code 3; exit; 3: mov r0, 0; exit */
		struct userbpf_insn p[] = { INSN(0x18, 2, 4, 0, 2), INSN(0, 0, 0, 0, 0), EXIT,
					    INSN(0xb7, 0, 0, 0, 0), EXIT };
		enc_whole("lddw code address = adr", p, 5, p_adr_words,
			  sizeof(p_adr_words) / sizeof(p_adr_words[0]));
	}
	enc_helper();
	enc_clamp();
	{
		/* blinding itself is tests/jit/arm64_blind.c's */
		struct userbpf_insn p[] = { INSN(0xb7, 0, 0, 0, 1), EXIT };
		struct userbpf_prog *prog = userbpf_prog__load(rt, p, 2, NULL);
		struct ub_jit_opts jo = { .win64 = true };
		struct ub_jit_out out = { 0 };
		TL_CHECK("the Win64 convention is left to the interpreter",
			 prog && ub_jit_arm64(prog, &jo, &out) == -EOPNOTSUPP && !out.code);
		userbpf_prog__free(prog);
	}
	{
		/* 0: mov r0, 0; call 0; exit */
		struct userbpf_insn p[] = { INSN(0xb7, 0, 0, 0, 0), INSN(0x85, 0, 1, 0, -2), EXIT };
		struct userbpf_prog *prog = userbpf_prog__load(rt, p, 3, NULL);
		struct ub_jit_opts jo = { 0 };
		struct ub_jit_out out = { 0 };
		TL_CHECK("a call to the main function is left to the interpreter",
			 prog && ub_jit_arm64(prog, &jo, &out) == -EOPNOTSUPP && !out.code);
		userbpf_prog__free(prog);
	}
	userbpf_rt__free(rt);
	return tl_exit();
}
