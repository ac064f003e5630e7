/* SPDX-License-Identifier: MIT */
/*
 * jit_arm64.c - the AArch64 back end of the JIT.
 *
 * The emitter is portable C: it compiles and runs on any host, so a test
 * on x86-64 can check its encodings against words from the GNU assembler;
 * only jit.c decides, by the host's architecture, whether to run its code.
 *
 * Built in layers, as the x86-64 back end: words (a64_emit), then A64
 * encodings (one function per instruction form), then one function per
 * BPF operation family.  Errors are sticky (j->err) and checked once at
 * the end.  Every A64 instruction is 4 bytes and no sequence's length
 * depends on a branch distance, so two passes settle the layout: the first
 * records where each BPF instruction starts, the second emits branches to
 * those addresses.  Branches are b.cond/cbnz (imm19, +-1 MiB) and b/bl
 * (imm26, +-128 MiB); a program too large for them fails with -E2BIG.
 *
 * BPF registers live in A64 registers, as in Linux's arm64 JIT:
 *   r0 x7  r1 x0  r2 x1  r3 x2  r4 x3  r5 x4
 *   r6 x19 r7 x20 r8 x21 r9 x22 r10 x25
 * r1..r5 are the AAPCS64 argument registers, so a helper call only adds
 * the struct userbpf_call pointer (kept in x26 for the whole run) as the
 * sixth argument in x5.  x9..x13 are scratch (x13: blinding keys).
 *
 * Each function of the program (the main one, then each bpf2bpf callee) is
 * a native function with its own 512-byte frame; callees save r6..r9 and
 * r10.  The main prologue stores its sp in the run state so that a helper
 * abort or a tail call can unwind to it from any depth.
 *
 * Atomics use the ARMv8.1 LSE instructions (ldaddal, swpal, casal, ...)
 * when the CPU has them, else load-acquire/store-release exclusive loops,
 * which every ARMv8.0 CPU has; both give the sequential consistency of the
 * interpreter's __ATOMIC_SEQ_CST operations.  The choice is made when the
 * host is an arm64 Linux; elsewhere (tests of the encodings) the loops are
 * emitted.
 *
 * Constant blinding (o->blind), as in the x86-64 back end: no immediate
 * that comes from the program (ALU and jump operands, shift counts, store
 * values, lddw values, legacy packet-load offsets, and the bounds of the
 * index clamps below) is ever materialised as itself.  A 32-bit one is
 * built as `movz/movk w10, imm ^ k; movz/movk w13, k; eor w10, w10, w13`
 * (then sxtw where the operation sees it sign-extended) and the register
 * form of the operation is used; a 64-bit lddw value likewise with a
 * 64-bit key in x-registers; 0 is simply xzr.  No add/sub, cmp, logical
 * or bitfield immediate field carries a program constant then.  The key is
 * drawn per instruction from one random seed per compile, as a pure
 * function of (seed, instruction index) so that every pass emits the same
 * sizes, and none of its 16-bit halves is zero, so no half of a blinded
 * value is the program's.  Memory offsets (ldr/str offsets, the address
 * add of an atomic), jump offsets and operation selectors (byte-swap
 * widths, atomic kinds) are exempt, as in Linux and the x86 back end.
 *
 * Spectre v1: where the verifier's facts (jit_internal.h) prove the index
 * of `ptr += idx` / `ptr -= idx` bounded, and the program is strict
 * (UB_FACT_SPECTRE_MASK) or blinded, idx is clamped in a scratch register
 * first: `cmp idx, bound; csel x11, idx, xzr, ls; csdb`, then the add or
 * sub uses x11.  Only the out-of-range case, which the verifier ruled out,
 * changes; csel is not predicted and csdb keeps its result from being
 * speculated past.
 *
 * Only programs marked trusted are compiled: there are no bounds checks.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif
#include "exec/jit_internal.h"
#include "platform/platform.h"
#include "verifier/verifier.h"

enum { X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13,
       X19 = 19, X20, X21, X22, X25 = 25, X26, X29 = 29, X30, XZR = 31, SP = 31 };

static const uint8_t bpf2a[11] = { X7, X0, X1, X2, X3, X4, X19, X20, X21, X22, X25 };

#define TMP X9		/* addresses, helper pointers */
#define TMP2 X10	/* immediates */
#define TMP3 X11
#define TMP4 X12
#define BKEY X13	/* blinding keys */
#define CTX X26
#define FRAME 512	/* BPF stack per frame */

/* A64 condition codes */
enum { C_EQ = 0, C_NE = 1, C_HS = 2, C_LO = 3, C_HI = 8, C_LS = 9, C_GE = 10,
       C_LT = 11, C_GT = 12, C_LE = 13, C_AL = 14 };

struct ja {
	const struct userbpf_prog *prog;
	struct userbpf_rt *rt;
	uint8_t *buf;		/* grows with ub_malloc */
	size_t len, cap;	/* bytes */
	int err;
	uint32_t *addr;		/* start of insn i's code in the previous pass */
	uint32_t *naddr;	/* this pass */
	uint32_t *caddr;	/* function entries: start of the prologue */
	uint32_t *ncaddr;
	bool *entry;		/* insn i starts a function */
	bool first_pass;
	bool lse;		/* ARMv8.1 atomics */
	bool blind;		/* constant blinding */
	uint64_t seed;		/* blinding keys derive from it */
	size_t cur;		/* the instruction being emitted */
	size_t abort_stub;	/* offset of the unwind stub (previous pass) */
	size_t cur_abort;
};

static void a64_fail(struct ja *j, int err)
{
	if (!j->err)
		j->err = err;
}

/* ---- words ---- */

static void a64_emit(struct ja *j, uint32_t w)
{
	if (j->err)
		return;
	if (j->len + 4 > j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 4096;
		uint8_t *nb = ub_malloc(j->rt, cap);
		if (!nb) {
			j->err = -ENOMEM;
			return;
		}
		if (j->len)
			memcpy(nb, j->buf, j->len);
		ub_free(j->rt, j->buf);
		j->buf = nb;
		j->cap = cap;
	}
	/* A64 instructions are little-endian whatever the data order. */
	for (int i = 0; i < 4; i++)
		j->buf[j->len++] = (uint8_t)(w >> (8 * i));
}

/* ---- encodings ---- */

/* add/sub (immediate): rd/rn 31 is sp unless setting flags. */
static void a64_addsub_imm(struct ja *j, bool sf, bool sub, bool setf, int rd, int rn,
			   uint32_t imm12, bool lsl12)
{
	a64_emit(j, (uint32_t)sf << 31 | (uint32_t)sub << 30 | (uint32_t)setf << 29 | 0x11000000u |
		    (uint32_t)lsl12 << 22 | (imm12 & 0xfff) << 10 | (uint32_t)rn << 5 | (uint32_t)rd);
}

/* add/sub (shifted register, no shift): register 31 is the zero register. */
static void a64_addsub_reg(struct ja *j, bool sf, bool sub, bool setf, int rd, int rn, int rm)
{
	a64_emit(j, (uint32_t)sf << 31 | (uint32_t)sub << 30 | (uint32_t)setf << 29 | 0x0b000000u |
		    (uint32_t)rm << 16 | (uint32_t)rn << 5 | (uint32_t)rd);
}

/* Logical (shifted register): opc 0 and, 1 orr, 2 eor, 3 ands. */
enum { L_AND, L_ORR, L_EOR, L_ANDS };
static void a64_logic_reg(struct ja *j, bool sf, int opc, int rd, int rn, int rm)
{
	a64_emit(j, (uint32_t)sf << 31 | (uint32_t)opc << 29 | 0x0a000000u | (uint32_t)rm << 16 |
		    (uint32_t)rn << 5 | (uint32_t)rd);
}

static void a64_mov(struct ja *j, bool sf, int rd, int rm)
{
	a64_logic_reg(j, sf, L_ORR, rd, XZR, rm);
}

/* Wide moves: opc 0 movn, 2 movz, 3 movk. */
enum { W_MOVN = 0, W_MOVZ = 2, W_MOVK = 3 };
static void a64_movw(struct ja *j, bool sf, int opc, int rd, uint32_t imm16, int hw)
{
	a64_emit(j, (uint32_t)sf << 31 | (uint32_t)opc << 29 | 0x12800000u | (uint32_t)hw << 21 |
		    (imm16 & 0xffff) << 5 | (uint32_t)rd);
}

/* Data processing (2 sources). */
enum { D_UDIV = 0x02, D_SDIV = 0x03, D_LSLV = 0x08, D_LSRV = 0x09, D_ASRV = 0x0a };
static void a64_dp2(struct ja *j, bool sf, int opcode, int rd, int rn, int rm)
{
	a64_emit(j, (uint32_t)sf << 31 | 0x1ac00000u | (uint32_t)rm << 16 | (uint32_t)opcode << 10 |
		    (uint32_t)rn << 5 | (uint32_t)rd);
}

/* madd/msub: rd = ra +/- rn * rm. */
static void a64_madd(struct ja *j, bool sf, bool sub, int rd, int rn, int rm, int ra)
{
	a64_emit(j, (uint32_t)sf << 31 | 0x1b000000u | (uint32_t)rm << 16 | (uint32_t)sub << 15 |
		    (uint32_t)ra << 10 | (uint32_t)rn << 5 | (uint32_t)rd);
}

/* Bitfield moves: opc 0 sbfm, 2 ubfm. */
enum { B_SBFM = 0, B_UBFM = 2 };
static void a64_bfm(struct ja *j, bool sf, int opc, int rd, int rn, unsigned immr, unsigned imms)
{
	a64_emit(j, (uint32_t)sf << 31 | (uint32_t)opc << 29 | 0x13000000u | (uint32_t)sf << 22 |
		    (immr & 0x3f) << 16 | (imms & 0x3f) << 10 | (uint32_t)rn << 5 | (uint32_t)rd);
}

/* Data processing (1 source): 1 rev16, 2 rev (32-bit) / rev32, 3 rev (64-bit). */
static void a64_rev(struct ja *j, bool sf, int opcode, int rd, int rn)
{
	a64_emit(j, (uint32_t)sf << 31 | 0x5ac00000u | (uint32_t)opcode << 10 | (uint32_t)rn << 5 |
		    (uint32_t)rd);
}

/*
 * Loads and stores of one register.  size: log2 of the access bytes;
 * opc: 0 store, 1 load zero-extended, 2 load sign-extended to 64 bits.
 */
enum { M_STR = 0, M_LDR = 1, M_LDRS = 2 };
static void a64_ldst_uimm(struct ja *j, int size, int opc, int rt, int rn, uint32_t imm12)
{
	a64_emit(j, (uint32_t)size << 30 | 0x39000000u | (uint32_t)opc << 22 | (imm12 & 0xfff) << 10 |
		    (uint32_t)rn << 5 | (uint32_t)rt);
}

static void a64_ldst_unscaled(struct ja *j, int size, int opc, int rt, int rn, int32_t imm9)
{
	a64_emit(j, (uint32_t)size << 30 | 0x38000000u | (uint32_t)opc << 22 |
		    ((uint32_t)imm9 & 0x1ff) << 12 | (uint32_t)rn << 5 | (uint32_t)rt);
}

/* [rn, rm] with rm a 64-bit register (option lsl, no shift). */
static void a64_ldst_reg(struct ja *j, int size, int opc, int rt, int rn, int rm)
{
	a64_emit(j, (uint32_t)size << 30 | 0x38206800u | (uint32_t)opc << 22 | (uint32_t)rm << 16 |
		    (uint32_t)rn << 5 | (uint32_t)rt);
}

/* stp (pre-index) and ldp (post-index) of 64-bit registers. */
static void a64_stp_pre(struct ja *j, int rt, int rt2, int rn, int32_t off)
{
	a64_emit(j, 0xa9800000u | ((uint32_t)(off / 8) & 0x7f) << 15 | (uint32_t)rt2 << 10 |
		    (uint32_t)rn << 5 | (uint32_t)rt);
}

static void a64_ldp_post(struct ja *j, int rt, int rt2, int rn, int32_t off)
{
	a64_emit(j, 0xa8c00000u | ((uint32_t)(off / 8) & 0x7f) << 15 | (uint32_t)rt2 << 10 |
		    (uint32_t)rn << 5 | (uint32_t)rt);
}

/* ldaxr / stlxr; size 2 = 32-bit, 3 = 64-bit; rs receives the status. */
static void a64_ldaxr(struct ja *j, int size, int rt, int rn)
{
	a64_emit(j, (uint32_t)size << 30 | 0x085ffc00u | (uint32_t)rn << 5 | (uint32_t)rt);
}

static void a64_stlxr(struct ja *j, int size, int rs, int rt, int rn)
{
	a64_emit(j, (uint32_t)size << 30 | 0x0800fc00u | (uint32_t)rs << 16 | (uint32_t)rn << 5 |
		    (uint32_t)rt);
}

/* LSE: ld<op>al / swpal (o3 = 1) rs, rt, [rn]: rt = old, [rn] op= rs. */
enum { A_ADD = 0, A_CLR = 1, A_EOR = 2, A_SET = 3 };
static void a64_ldopal(struct ja *j, int size, bool swp, int opc, int rs, int rt, int rn)
{
	a64_emit(j, (uint32_t)size << 30 | 0x38e00000u | (uint32_t)rs << 16 | (uint32_t)swp << 15 |
		    (uint32_t)opc << 12 | (uint32_t)rn << 5 | (uint32_t)rt);
}

/* LSE: casal rs, rt, [rn]: if [rn] == rs then [rn] = rt; rs = old. */
static void a64_casal(struct ja *j, int size, int rs, int rt, int rn)
{
	a64_emit(j, (uint32_t)size << 30 | 0x08e0fc00u | (uint32_t)rs << 16 | (uint32_t)rn << 5 |
		    (uint32_t)rt);
}

/* mvn rd, rm (orn rd, zr, rm) */
static void a64_mvn(struct ja *j, bool sf, int rd, int rm)
{
	a64_emit(j, (uint32_t)sf << 31 | 0x2a2003e0u | (uint32_t)rm << 16 | (uint32_t)rd);
}

/* csel rd, rn, rm, cc: rd = cc ? rn : rm (register 31 is the zero register). */
static void a64_csel(struct ja *j, bool sf, int rd, int rn, int rm, int cc)
{
	a64_emit(j, (uint32_t)sf << 31 | 0x1a800000u | (uint32_t)rm << 16 | (uint32_t)cc << 12 |
		    (uint32_t)rn << 5 | (uint32_t)rd);
}

/* csdb (hint #20): no later instruction uses a speculated condition's result. */
static void a64_csdb(struct ja *j)
{
	a64_emit(j, 0xd503229fu);
}

static void a64_blr(struct ja *j, int rn)
{
	a64_emit(j, 0xd63f0000u | (uint32_t)rn << 5);
}

static void a64_ret(struct ja *j)
{
	a64_emit(j, 0xd65f03c0u);
}

/* Word distance from here to target, checked against a signed field of
 * `bits` bits.  Targets from the first pass are placeholders. */
static uint32_t a64_rel(struct ja *j, size_t target, int bits)
{
	int64_t d = ((int64_t)target - (int64_t)j->len) / 4;

	if (j->first_pass)
		return 0;
	if (d < -((int64_t)1 << (bits - 1)) || d >= ((int64_t)1 << (bits - 1))) {
		a64_fail(j, -E2BIG);
		return 0;
	}
	return (uint32_t)d & (((uint32_t)1 << bits) - 1);
}

/* b, bl, or b.cond (cc < 0: always). */
static void a64_b(struct ja *j, int cc, size_t target)
{
	if (cc < 0)
		a64_emit(j, 0x14000000u | a64_rel(j, target, 26));
	else
		a64_emit(j, 0x54000000u | a64_rel(j, target, 19) << 5 | (uint32_t)cc);
}

static void a64_bl(struct ja *j, size_t target)
{
	a64_emit(j, 0x94000000u | a64_rel(j, target, 26));
}

static void a64_cbnz(struct ja *j, bool sf, int rt, size_t target)
{
	a64_emit(j, (uint32_t)sf << 31 | 0x35000000u | a64_rel(j, target, 19) << 5 | (uint32_t)rt);
}

/* A branch within the current sequence, to a label not yet emitted: emit
 * a placeholder, then patch it in a64_label(). */
static size_t a64_fwd(struct ja *j, uint32_t word)
{
	size_t at = j->len;

	a64_emit(j, word);
	return at;
}

/* Patches the imm19 of the b.cond/cbnz at `at` to reach here. */
static void a64_label(struct ja *j, size_t at)
{
	uint32_t d = (uint32_t)((j->len - at) / 4);
	uint32_t w;

	if (j->err || at + 4 > j->len)
		return;
	w = (uint32_t)j->buf[at] | (uint32_t)j->buf[at + 1] << 8 | (uint32_t)j->buf[at + 2] << 16 |
	    (uint32_t)j->buf[at + 3] << 24;
	if ((w & 0x7c000000u) == 0x14000000u)
		w |= d & 0x3ffffff; /* b */
	else
		w |= (d & 0x7ffff) << 5;
	for (int i = 0; i < 4; i++)
		j->buf[at + i] = (uint8_t)(w >> (8 * i));
}

/* ---- composite sequences ---- */

/* rd = v, in the fewest movz/movn + movk; sf false: 32 bits, the upper
 * half of the X register cleared. */
static void a64_mov_imm(struct ja *j, bool sf, int rd, uint64_t v)
{
	int n = sf ? 4 : 2, zeros = 0, ones = 0, hw;
	bool first = true, inv;

	if (!sf)
		v = (uint32_t)v;
	for (hw = 0; hw < n; hw++) {
		uint32_t h = (uint32_t)(v >> (16 * hw)) & 0xffff;
		zeros += h == 0;
		ones += h == 0xffff;
	}
	inv = ones > zeros;
	for (hw = 0; hw < n; hw++) {
		uint32_t h = (uint32_t)(v >> (16 * hw)) & 0xffff;
		if (h == (inv ? 0xffffu : 0))
			continue;
		if (first)
			a64_movw(j, sf, inv ? W_MOVN : W_MOVZ, rd, inv ? ~h & 0xffff : h, hw);
		else
			a64_movw(j, sf, W_MOVK, rd, h, hw);
		first = false;
	}
	if (first) /* every halfword was the filler */
		a64_movw(j, sf, inv ? W_MOVN : W_MOVZ, rd, 0, 0);
}

/* ---- constant blinding ---- */

/* The key of the instruction being emitted (ub_jit_blind_key). */
static uint64_t a64_key(const struct ja *j)
{
	return ub_jit_blind_key(j->seed, j->cur);
}

/* rd = imm, a 32-bit constant of the program: sign-extended to 64 bits
 * (sf), or zero-extended from 32.  Clobbers BKEY when blinding. */
static void a64_load_imm32(struct ja *j, bool sf, int rd, int32_t imm)
{
	uint32_t k;

	if (!j->blind) {
		a64_mov_imm(j, sf, rd, sf ? (uint64_t)(int64_t)imm : (uint32_t)imm);
		return;
	}
	if (imm == 0) {
		a64_mov(j, sf, rd, XZR);
		return;
	}
	k = (uint32_t)a64_key(j);
	a64_mov_imm(j, false, rd, (uint32_t)imm ^ k);
	a64_mov_imm(j, false, BKEY, k);
	a64_logic_reg(j, false, L_EOR, rd, rd, BKEY);
	if (sf)
		a64_bfm(j, true, B_SBFM, rd, rd, 0, 31); /* sxtw */
}

/* rd = v, a 64-bit constant of the program (lddw).  Clobbers BKEY. */
static void a64_load_imm64(struct ja *j, int rd, uint64_t v)
{
	uint64_t k;

	if (!j->blind) {
		a64_mov_imm(j, true, rd, v);
		return;
	}
	if (v == 0) {
		a64_mov(j, true, rd, XZR);
		return;
	}
	k = a64_key(j);
	a64_mov_imm(j, true, rd, v ^ k);
	a64_mov_imm(j, true, BKEY, k);
	a64_logic_reg(j, true, L_EOR, rd, rd, BKEY);
}

/* The register that holds the program constant imm (as a64_load_imm32
 * extends it) for an operation's register form: xzr for 0 when blinding,
 * else `scratch`, loaded. */
static int a64_imm_reg(struct ja *j, bool sf, int scratch, int32_t imm)
{
	if (j->blind && imm == 0)
		return XZR;
	a64_load_imm32(j, sf, scratch, imm);
	return scratch;
}

/* rd = rn +/- imm, through TMP2 when imm does not fit the 12-bit forms. */
static void a64_add_imm(struct ja *j, bool sf, int rd, int rn, int64_t imm)
{
	bool sub = imm < 0;
	uint64_t a = sub ? (uint64_t)0 - (uint64_t)imm : (uint64_t)imm;

	if (a < 4096) {
		a64_addsub_imm(j, sf, sub, false, rd, rn, (uint32_t)a, false);
	} else if ((a & 0xfff) == 0 && a < ((uint64_t)4096 << 12)) {
		a64_addsub_imm(j, sf, sub, false, rd, rn, (uint32_t)(a >> 12), true);
	} else {
		a64_mov_imm(j, sf, TMP2, (uint64_t)imm);
		a64_addsub_reg(j, sf, false, false, rd, rn, TMP2);
	}
}

/* Flags from rn - imm (cmp), via cmn for small negatives. */
static void a64_cmp_imm(struct ja *j, bool sf, int rn, int64_t imm)
{
	if (imm >= 0 && imm < 4096) {
		a64_addsub_imm(j, sf, true, true, XZR, rn, (uint32_t)imm, false);
	} else if (imm < 0 && imm > -4096) {
		a64_addsub_imm(j, sf, false, true, XZR, rn, (uint32_t)-imm, false);
	} else {
		a64_mov_imm(j, sf, TMP2, (uint64_t)imm);
		a64_addsub_reg(j, sf, true, true, XZR, rn, TMP2);
	}
}

/* A load or store of `bytes` at [base + off]. */
static void a64_mem(struct ja *j, int bytes, int opc, int rt, int base, int32_t off)
{
	int size = bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : 3;

	if (off >= -256 && off <= 255) {
		a64_ldst_unscaled(j, size, opc, rt, base, off);
	} else if (off >= 0 && (off & (bytes - 1)) == 0 && off / bytes < 4096) {
		a64_ldst_uimm(j, size, opc, rt, base, (uint32_t)(off / bytes));
	} else {
		a64_mov_imm(j, true, TMP, (uint64_t)(int64_t)off);
		a64_ldst_reg(j, size, opc, rt, base, TMP);
	}
}

/* ---- prologues and epilogues ---- */

static void a64_push_frame(struct ja *j)
{
	a64_stp_pre(j, X29, X30, SP, -16);
	a64_addsub_imm(j, true, false, false, X29, SP, 0, false); /* mov x29, sp */
	a64_stp_pre(j, X19, X20, SP, -16);
	a64_stp_pre(j, X21, X22, SP, -16);
	a64_stp_pre(j, X25, X26, SP, -16);
	a64_addsub_imm(j, true, false, false, X25, SP, 0, false); /* r10 = top of the frame */
	a64_addsub_imm(j, true, true, false, SP, SP, FRAME, false);
}

static void a64_pop_frame(struct ja *j)
{
	a64_addsub_imm(j, true, false, false, SP, SP, FRAME, false);
	a64_ldp_post(j, X25, X26, SP, 16);
	a64_ldp_post(j, X21, X22, SP, 16);
	a64_ldp_post(j, X19, X20, SP, 16);
	a64_ldp_post(j, X29, X30, SP, 16);
	a64_ret(j);
}

static void main_prologue(struct ja *j)
{
	a64_push_frame(j);
	a64_mov(j, true, CTX, X5);
	a64_addsub_imm(j, true, false, false, TMP, SP, 0, false); /* mov x9, sp */
	a64_ldst_uimm(j, 3, M_STR, TMP, CTX, offsetof(struct userbpf_call, jit_rsp) / 8);
}

static void main_epilogue(struct ja *j)
{
	a64_mov(j, true, X0, bpf2a[0]);
	a64_pop_frame(j);
}

/* After a helper: leave through the unwind stub when it set c->pending. */
static void check_pending(struct ja *j)
{
	a64_ldst_uimm(j, 2, M_LDR, TMP, CTX, offsetof(struct userbpf_call, pending) / 4);
	a64_cbnz(j, false, TMP, j->abort_stub);
}

/* Calls a C function with r1..r5 in x0..x4 and the run state in x5; its
 * result lands in r0. */
static void call_c(struct ja *j, const void *fn)
{
	a64_mov_imm(j, true, TMP, (uint64_t)(uintptr_t)fn);
	a64_mov(j, true, X5, CTX);
	a64_blr(j, TMP);
	a64_mov(j, true, bpf2a[0], X0);
}

/* ---- BPF operations ---- */

static bool op_is_signed(int op)
{
	return op == UB_OP_SDIV64_K || op == UB_OP_SDIV64_X || op == UB_OP_SDIV32_K ||
	       op == UB_OP_SDIV32_X || op == UB_OP_SMOD64_K || op == UB_OP_SMOD64_X ||
	       op == UB_OP_SMOD32_K || op == UB_OP_SMOD32_X;
}

/*
 * A64's udiv/sdiv already give Linux's answers: x / 0 = 0 and
 * INT_MIN / -1 = INT_MIN.  The remainder is dst - (dst / src) * src, which
 * is dst when src is 0 and 0 when src is -1, as Linux wants.
 */
static void emit_divmod(struct ja *j, bool sf, bool is_mod, bool is_signed, int dst, int src)
{
	int op = is_signed ? D_SDIV : D_UDIV;

	if (!is_mod) {
		a64_dp2(j, sf, op, dst, dst, src);
		return;
	}
	a64_dp2(j, sf, op, TMP3, dst, src);
	a64_madd(j, sf, true, dst, TMP3, src, dst);
}

/* The facts of instruction i that this back end uses: an index bound
 * only for strict programs (UB_FACT_SPECTRE_MASK) or hardened (blinded)
 * ones, and only with the bounds array, as in the x86-64 back end. */
static uint8_t a64_facts(const struct ja *j, size_t i)
{
	const struct userbpf_prog *p = j->prog;
	uint8_t f;

	if (!p->facts)
		return 0;
	f = p->facts[i];
	if (!p->fact_bound || !((f & UB_FACT_SPECTRE_MASK) || j->blind))
		f = (uint8_t)(f & ~UB_FACT_INDEX_BOUNDED);
	return f;
}

/*
 * `dst += idx` (or -=) with idx proved to lie in [0, bound]: idx is
 * clamped into TMP3 so that a mispredicted bounds check cannot steer a
 * speculative access outside (Spectre v1): cmp, then csel to 0 when above
 * the bound, then csdb so that nothing later consumes a speculated csel.
 * The bound is a program constant, so it is blinded like one.
 */
static void emit_index_clamp(struct ja *j, bool sub, int dst, int idx, uint32_t bound)
{
	if (j->blind) {
		int b = a64_imm_reg(j, false, TMP2, (int32_t)bound); /* zero-extended */
		a64_addsub_reg(j, true, true, true, XZR, idx, b); /* cmp idx, bound */
	} else {
		a64_cmp_imm(j, true, idx, (int64_t)bound);
	}
	a64_csel(j, true, TMP3, idx, XZR, C_LS);
	a64_csdb(j);
	a64_addsub_reg(j, true, sub, false, dst, dst, TMP3);
}

static void emit_alu(struct ja *j, const struct ub_dinsn *d)
{
	const struct ub_opinfo *oi = &ub_opinfo[d->op];
	bool sf = UB_CLASS(oi->code) == UB_CLS_ALU64;
	bool k = oi->fmt == F_ALU_K;
	int dst = bpf2a[d->dst], src = bpf2a[d->src];
	int op = oi->code & 0xf0;
	/* The immediate as the operation sees it: sign-extended in ALU64. */
	uint64_t imm = sf ? (uint64_t)d->imm : (uint32_t)d->imm;

	if (k && j->blind && op != 0xb0 && op != 0x80) {
		/* Blinded into TMP2, then the register form (a shift count
		 * masked first, as the immediate form below masks it). */
		bool shift = op == 0x60 || op == 0x70 || op == 0xc0;
		int32_t v = (int32_t)d->imm;

		if (shift)
			v = (int32_t)((uint32_t)v & (sf ? 63u : 31u));
		src = a64_imm_reg(j, sf && !shift, TMP2, v);
		k = false;
	} else if (k && op != 0x00 && op != 0x10 && op != 0x60 && op != 0x70 && op != 0xc0 &&
		   op != 0xb0) {
		/* Operations without an immediate form take it in TMP2. */
		a64_mov_imm(j, sf, TMP2, imm);
		src = TMP2;
	}
	switch (op) {
	case 0x00: /* add */
	case 0x10: /* sub */
		if (oi->fmt == F_ALU_X && sf && (a64_facts(j, j->cur) & UB_FACT_INDEX_BOUNDED))
			emit_index_clamp(j, op == 0x10, dst, src, j->prog->fact_bound[j->cur]);
		else if (k)
			a64_add_imm(j, sf, dst, dst, op == 0x10 ? -d->imm : d->imm);
		else
			a64_addsub_reg(j, sf, op == 0x10, false, dst, dst, src);
		return;
	case 0x20:
		a64_madd(j, sf, false, dst, dst, src, XZR);
		return;
	case 0x30: case 0x90:
		emit_divmod(j, sf, op == 0x90, op_is_signed(d->op), dst, src);
		return;
	case 0x40: a64_logic_reg(j, sf, L_ORR, dst, dst, src); return;
	case 0x50: a64_logic_reg(j, sf, L_AND, dst, dst, src); return;
	case 0xa0: a64_logic_reg(j, sf, L_EOR, dst, dst, src); return;
	case 0x60: case 0x70: case 0xc0: {
		unsigned bits = sf ? 64 : 32;
		if (!k) {
			a64_dp2(j, sf, op == 0x60 ? D_LSLV : op == 0x70 ? D_LSRV : D_ASRV, dst, dst, src);
			return;
		}
		unsigned s = (unsigned)d->imm & (bits - 1);
		if (op == 0x60) /* lsl: ubfm #(-s mod bits), #(bits-1-s) */
			a64_bfm(j, sf, B_UBFM, dst, dst, (bits - s) & (bits - 1), bits - 1 - s);
		else
			a64_bfm(j, sf, op == 0x70 ? B_UBFM : B_SBFM, dst, dst, s, bits - 1);
		return;
	}
	case 0x80: /* neg */
		a64_addsub_reg(j, sf, true, false, dst, XZR, dst);
		return;
	case 0xb0: /* mov, movsx */
		if (k)
			a64_load_imm32(j, sf, dst, (int32_t)d->imm);
		else if (oi->fmt == F_MOVSX) /* sxtb/sxth/sxtw */
			a64_bfm(j, sf, B_SBFM, dst, src, 0, (unsigned)oi->vval - 1);
		else
			a64_mov(j, sf, dst, src);
		return;
	default:
		a64_fail(j, -EINVAL);
	}
}

static void emit_end(struct ja *j, const struct ub_dinsn *d)
{
	const struct ub_opinfo *oi = &ub_opinfo[d->op];
	int dst = bpf2a[d->dst];
	bool swap = oi->fmt == F_BSWAP || oi->code == 0xdc;

	switch (oi->width) {
	case 16:
		if (swap)
			a64_rev(j, false, 1, dst, dst);
		a64_bfm(j, false, B_UBFM, dst, dst, 0, 15); /* uxth */
		break;
	case 32:
		if (swap)
			a64_rev(j, false, 2, dst, dst);
		else
			a64_mov(j, false, dst, dst);
		break;
	default:
		if (swap)
			a64_rev(j, true, 3, dst, dst);
		break;
	}
}

static void emit_mem(struct ja *j, const struct ub_dinsn *d)
{
	const struct ub_opinfo *oi = &ub_opinfo[d->op];
	int dst = bpf2a[d->dst], src = bpf2a[d->src];
	int bytes = oi->width;

	switch (oi->fmt) {
	case F_LDX:
		a64_mem(j, bytes, M_LDR, dst, src, d->off);
		break;
	case F_LDXS:
		a64_mem(j, bytes, M_LDRS, dst, src, d->off);
		break;
	case F_STX:
		a64_mem(j, bytes, M_STR, src, dst, d->off);
		break;
	case F_ST:
		a64_mem(j, bytes, M_STR, a64_imm_reg(j, true, TMP2, (int32_t)d->imm), dst, d->off);
		break;
	default:
		a64_fail(j, -EINVAL);
	}
}

static void emit_atomic(struct ja *j, const struct ub_dinsn *d)
{
	const struct ub_opinfo *oi = &ub_opinfo[d->op];
	bool sf = oi->width == 8;
	int size = sf ? 3 : 2;
	int dst = bpf2a[d->dst], src = bpf2a[d->src];
	bool fetch = d->imm & 1;
	size_t loop, out;

	/* TMP = the address; TMP2 = the old value; TMP3 = the new one;
	 * TMP4 = the store's status. */
	if (d->off)
		a64_add_imm(j, true, TMP, dst, d->off);
	else
		a64_mov(j, true, TMP, dst);
	if (j->lse) {
		/* The old value always lands in TMP2: an acquiring load
		 * needs a real destination register. */
		switch (d->imm) {
		case 0x00: case 0x01: a64_ldopal(j, size, false, A_ADD, src, TMP2, TMP); break;
		case 0x40: case 0x41: a64_ldopal(j, size, false, A_SET, src, TMP2, TMP); break;
		case 0xa0: case 0xa1: a64_ldopal(j, size, false, A_EOR, src, TMP2, TMP); break;
		case 0x50: case 0x51: /* and = clear the bits of ~src */
			a64_mvn(j, sf, TMP3, src);
			a64_ldopal(j, size, false, A_CLR, TMP3, TMP2, TMP);
			break;
		case 0xe1:
			a64_ldopal(j, size, true, A_ADD, src, TMP2, TMP);
			fetch = true;
			break;
		case 0xf1:
			a64_mov(j, true, TMP2, bpf2a[0]);
			a64_casal(j, size, TMP2, src, TMP);
			a64_mov(j, true, bpf2a[0], TMP2);
			return;
		default:
			a64_fail(j, -EINVAL);
			return;
		}
		if (fetch)
			a64_mov(j, true, src, TMP2);
		return;
	}
	loop = j->len;
	a64_ldaxr(j, size, TMP2, TMP);
	switch (d->imm) {
	case 0x00: case 0x01:
		a64_addsub_reg(j, sf, false, false, TMP3, TMP2, src);
		break;
	case 0x40: case 0x41:
		a64_logic_reg(j, sf, L_ORR, TMP3, TMP2, src);
		break;
	case 0x50: case 0x51:
		a64_logic_reg(j, sf, L_AND, TMP3, TMP2, src);
		break;
	case 0xa0: case 0xa1:
		a64_logic_reg(j, sf, L_EOR, TMP3, TMP2, src);
		break;
	case 0xe1: /* xchg */
		a64_stlxr(j, size, TMP4, src, TMP);
		a64_cbnz(j, false, TMP4, loop);
		a64_mov(j, true, src, TMP2);
		return;
	case 0xf1: /* cmpxchg: compares r0, leaves the old value there */
		a64_addsub_reg(j, sf, true, true, XZR, TMP2, bpf2a[0]);
		out = a64_fwd(j, 0x54000000u | C_NE);
		a64_stlxr(j, size, TMP4, src, TMP);
		a64_cbnz(j, false, TMP4, loop);
		a64_label(j, out);
		a64_mov(j, true, bpf2a[0], TMP2);
		return;
	default:
		a64_fail(j, -EINVAL);
		return;
	}
	a64_stlxr(j, size, TMP4, TMP3, TMP);
	a64_cbnz(j, false, TMP4, loop);
	if (fetch)
		a64_mov(j, true, src, TMP2);
}

static void emit_jcc(struct ja *j, const struct ub_dinsn *d)
{
	const struct ub_opinfo *oi = &ub_opinfo[d->op];
	bool sf = UB_CLASS(oi->code) == UB_CLS_JMP;
	int dst = bpf2a[d->dst], src = bpf2a[d->src];
	uint64_t imm = sf ? (uint64_t)d->imm : (uint32_t)d->imm;
	int cc;

	switch (oi->code & 0xf0) {
	case 0x10: cc = C_EQ; break;
	case 0x20: cc = C_HI; break;
	case 0x30: cc = C_HS; break;
	case 0x40: cc = C_NE; break; /* jset: tst, then b.ne */
	case 0x50: cc = C_NE; break;
	case 0x60: cc = C_GT; break;
	case 0x70: cc = C_GE; break;
	case 0xa0: cc = C_LO; break;
	case 0xb0: cc = C_LS; break;
	case 0xc0: cc = C_LT; break;
	default: cc = C_LE; break;
	}
	if (oi->fmt == F_JMP_K && j->blind) {
		/* the register forms below, with the constant blinded */
		src = a64_imm_reg(j, sf, TMP2, (int32_t)d->imm);
		if ((oi->code & 0xf0) == 0x40)
			a64_logic_reg(j, sf, L_ANDS, XZR, dst, src);
		else
			a64_addsub_reg(j, sf, true, true, XZR, dst, src);
	} else if ((oi->code & 0xf0) == 0x40) {
		if (oi->fmt == F_JMP_K) {
			a64_mov_imm(j, sf, TMP2, imm);
			src = TMP2;
		}
		a64_logic_reg(j, sf, L_ANDS, XZR, dst, src);
	} else if (oi->fmt == F_JMP_K) {
		a64_cmp_imm(j, sf, dst, sf ? d->imm : (int32_t)d->imm);
	} else {
		a64_addsub_reg(j, sf, true, true, XZR, dst, src);
	}
	a64_b(j, cc, j->addr[d->off]);
}

/* Emits instruction i; in_main tells which epilogue exit uses. */
static void emit_insn(struct ja *j, size_t i, bool in_main)
{
	const struct ub_dinsn *d = &j->prog->d[i];
	const struct ub_opinfo *oi;

	if (d->op >= UB_OP__COUNT)
		return; /* second half of lddw */
	oi = &ub_opinfo[d->op];
	switch (oi->fmt) {
	case F_ALU_K: case F_ALU_X: case F_NEG: case F_MOVSX:
		emit_alu(j, d);
		break;
	case F_END: case F_BSWAP:
		emit_end(j, d);
		break;
	case F_LDX: case F_LDXS: case F_ST: case F_STX:
		emit_mem(j, d);
		break;
	case F_ATOMIC:
		emit_atomic(j, d);
		break;
	case F_LDDW:
		if (d->op == UB_OP_LDDW_CODE) {
			/* adr: a byte offset of +-1 MiB, whose low two bits
			 * (immlo) are 0 here and whose word count (immhi)
			 * has the width of a conditional branch's. */
			uint32_t words = a64_rel(j, j->caddr[d->off], 19);
			a64_emit(j, 0x10000000u | words << 5 | bpf2a[d->dst]);
		} else {
			a64_load_imm64(j, bpf2a[d->dst], (uint64_t)d->imm);
		}
		break;
	case F_JA: case F_JA32:
		a64_b(j, -1, j->addr[d->off]);
		break;
	case F_JMP_K: case F_JMP_X:
		emit_jcc(j, d);
		break;
	case F_CALL:
		call_c(j, (const void *)(uintptr_t)d->imm);
		check_pending(j);
		break;
	case F_CALL_LOCAL:
		/* A helper in the callee unwinds straight to the main frame,
		 * so there is nothing to check on return. */
		a64_bl(j, j->caddr[d->off]);
		break;
	case F_CALLX: {
		/* A helper id goes through the C trampoline; anything else is a
		 * code address of this program (lddw src=4). */
		int t = bpf2a[d->dst];
		size_t l_native, l_done;

		a64_ldst_uimm(j, 3, M_STR, t, CTX, offsetof(struct userbpf_call, callx_id) / 8);
		a64_addsub_imm(j, true, true, true, XZR, t, 65536 >> 12, true); /* cmp t, #65536 */
		l_native = a64_fwd(j, 0x54000000u | C_HS);
		call_c(j, (const void *)ub_jit_callx_helper);
		l_done = a64_fwd(j, 0x14000000u);
		a64_label(j, l_native);
		a64_blr(j, t);
		a64_label(j, l_done);
		check_pending(j);
		break;
	}
	case F_LDABS: case F_LDIND:
		/* Rare and clobbering r1-r5 anyway, as on Linux: a C call. */
		if (oi->fmt == F_LDIND) {
			int off = a64_imm_reg(j, false, TMP2, (int32_t)d->imm);
			a64_addsub_reg(j, false, false, false, X0, bpf2a[d->src], off);
		} else if (j->blind) {
			a64_load_imm32(j, false, X0, (int32_t)d->imm);
		} else {
			a64_mov_imm(j, true, X0, (uint32_t)d->imm);
		}
		a64_mov_imm(j, true, X1, oi->width);
		call_c(j, (const void *)ub_jit_ld_pkt);
		check_pending(j);
		break;
	case F_EXIT:
		if (in_main)
			main_epilogue(j);
		else
			a64_pop_frame(j);
		break;
	default:
		/* kfuncs: refused at load already */
		a64_fail(j, -EOPNOTSUPP);
	}
}

static bool a64_cpu_has_lse(void)
{
#if defined(__aarch64__) && defined(__linux__)
	return (getauxval(AT_HWCAP) & (1ul << 8)) != 0; /* HWCAP_ATOMICS */
#else
	return false;
#endif
}

int ub_jit_arm64(const struct userbpf_prog *prog, const struct ub_jit_opts *o,
		 struct ub_jit_out *out)
{
	struct ja j;
	size_t n = prog->cnt, i;
	bool stable = false;
	int pass, err = 0;

	if (o->win64)
		return -EOPNOTSUPP;
	memset(&j, 0, sizeof(j));
	j.prog = prog;
	j.rt = prog->rt;
	j.blind = o->blind;
	if (j.blind && ub_jit_blind_seed(prog, &j.seed))
		return -EOPNOTSUPP;
	j.lse = a64_cpu_has_lse();
	j.addr = ub_calloc(j.rt, n + 1, sizeof(*j.addr));
	j.naddr = ub_calloc(j.rt, n + 1, sizeof(*j.naddr));
	j.caddr = ub_calloc(j.rt, n + 1, sizeof(*j.caddr));
	j.ncaddr = ub_calloc(j.rt, n + 1, sizeof(*j.ncaddr));
	j.entry = ub_calloc(j.rt, n + 1, sizeof(*j.entry));
	if (!j.addr || !j.naddr || !j.caddr || !j.ncaddr || !j.entry) {
		err = -ENOMEM;
		goto out;
	}
	err = ub_jit_functions(prog, j.entry);
	if (err)
		goto out;
	for (pass = 0; pass < 4 && !stable; pass++) {
		bool in_main = true;

		j.first_pass = pass == 0;
		j.len = 0;
		j.err = 0;
		for (i = 0; i < n; i++) {
			/* Calls land on the prologue, jumps on the body. */
			j.ncaddr[i] = (uint32_t)j.len;
			if (j.entry[i]) {
				in_main = i == 0;
				if (in_main)
					main_prologue(&j);
				else
					a64_push_frame(&j);
			}
			j.naddr[i] = (uint32_t)j.len;
			j.cur = i;
			emit_insn(&j, i, in_main);
		}
		/* The unwind stub: back to the main frame, out through its
		 * epilogue; the driver reads c->pending. */
		j.cur_abort = j.len;
		a64_ldst_uimm(&j, 3, M_LDR, TMP, CTX, offsetof(struct userbpf_call, jit_rsp) / 8);
		a64_addsub_imm(&j, true, false, false, SP, TMP, 0, false); /* mov sp, x9 */
		main_epilogue(&j);
		if (j.err) {
			err = j.err;
			goto out;
		}
		if (j.len > UINT32_MAX) {
			err = -E2BIG;
			goto out;
		}
		stable = !j.first_pass && j.abort_stub == j.cur_abort &&
			 memcmp(j.addr, j.naddr, n * sizeof(*j.addr)) == 0 &&
			 memcmp(j.caddr, j.ncaddr, n * sizeof(*j.caddr)) == 0;
		memcpy(j.addr, j.naddr, n * sizeof(*j.addr));
		memcpy(j.caddr, j.ncaddr, n * sizeof(*j.caddr));
		j.abort_stub = j.cur_abort;
	}
	if (!stable) {
		err = -E2BIG;
		goto out;
	}
	out->code = j.buf;
	out->len = j.len;
	out->entry = 0;
	j.buf = NULL;
out:
	ub_free(j.rt, j.buf);
	ub_free(j.rt, j.addr);
	ub_free(j.rt, j.naddr);
	ub_free(j.rt, j.caddr);
	ub_free(j.rt, j.ncaddr);
	ub_free(j.rt, j.entry);
	return err;
}
