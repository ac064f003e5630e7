/* SPDX-License-Identifier: MIT */
/*
 * jit_x86_64.c - the x86-64 back end of the JIT.
 *
 * Built in layers, as uBPF's: bytes (emit1/emit4/...), then x86 encodings
 * (REX, ModRM, SIB: x_rr, x_mem, ...), then one function per BPF operation
 * family.  Errors are sticky (j->err) and checked once at the end.
 *
 * Jumps are sized without emitting the program twice: one pass emits it
 * with every jump in rel32 form and notes, per instruction, where its one
 * jump of variable size sits (a BPF jump, or the jump to the unwind stub
 * after a call; always the instruction's last bytes).  jx_layout() then
 * shortens to rel8 every jump that fits, sweeping until nothing changes
 * over the events only (struct jx_ev: the instructions with such a jump
 * or with alignment padding; the code between two events moves as one
 * block), and jx_relocate() slides the code down into the
 * final layout in place, re-emitting only the jumps and the rel32s of
 * local calls (and the padding of aligned loop heads, for which the
 * measuring pass leaves room).  That keeps compilation near one emitting pass (over 10 M
 * instructions per second; tests/jit/x86_cover.c prints the figure).
 *
 * BPF registers live in x86 registers, as in Linux's JIT:
 *   r0 rax  r1 rdi  r2 rsi  r3 rdx  r4 rcx  r5 r8
 *   r6 rbx  r7 r13  r8 r14  r9 r15  r10 rbp
 * r1..r5 are exactly the System V argument registers, so a helper call is
 * a plain call with the run state in r9.  r10/r11 are scratch, r12 holds
 * the struct userbpf_call pointer for the whole run.
 *
 * Win64 (o->win64) keeps the same map and shuffles at the two borders,
 * because a second map would double every encoding decision for one OS.
 * Microsoft's ABI passes rcx, rdx, r8, r9, then the 5th and 6th arguments
 * on the stack above 32 bytes of shadow space, and treats rdi and rsi as
 * callee-saved.  So the main prologue also saves rdi/rsi and moves
 * rcx, rdx, r8, r9, [rsp+40], [rsp+48] into rdi, rsi, rdx, rcx, r8, r12; a
 * helper call moves r5 to [rsp+32], the run state to [rsp+40] and r1..r4
 * into rcx, rdx, r8, r9 (in an order that reads each before it is
 * overwritten).  Every frame keeps those 48 bytes at its bottom, below the
 * BPF stack, so rsp is 16-byte aligned at each call with the shadow space
 * in place.  The callees keep rbx, rbp, rdi, rsi and r12-r15 on both
 * ABIs, which is all the generated code needs across a call (r1..r5 are
 * dead after a helper call by the BPF calling convention).  Only the
 * loop preambles touch xmm registers, xmm0-xmm5, which both ABIs leave
 * to the callee, and they call nothing.  Frames stay below 4 KiB, so Windows needs no
 * stack probes.  The two C entry points that generated code calls
 * (callx with a helper id, legacy packet loads) are reached through
 * ms_abi wrappers, so the Win64 code is the same bytes on Linux, where a
 * test runs it through an ms_abi function pointer (tests/jit/x86_win64.c).
 *
 * Constant blinding (o->blind): every immediate that comes from the
 * program (ALU and jump operands, store values, lddw values, shift
 * counts, packet-load offsets) is emitted as `mov tmp, imm ^ key;
 * xor tmp, key` with a key drawn per instruction from one random seed per
 * compile, so no byte pattern the program chose appears in executable
 * memory.  Memory and jump offsets are exempt, as in Linux, and so are
 * operation selectors (the width of a byte swap, the kind of an atomic).
 * The keys are a pure function of (seed, instruction index): one call to
 * the OS's random source per compile.
 *
 * Each function of the program (the main one, then each bpf2bpf callee) is
 * a native function; it saves only the callee-saved registers it writes
 * and has a 512-byte BPF stack only when it uses r10 (struct jx_frame).
 * When the program calls out, the main prologue stores its rsp in the run
 * state so that a helper abort or a tail call can unwind to it from any
 * depth (which is also why a local call needs no check afterwards).
 *
 * Code quality, by local rules: runs of instructions with a shorter x86
 * form are emitted as one (emit_fused: mov+add as lea, an address add
 * folded into the load that uses it, shift pairs that only zero- or
 * sign-extend; emit_fold: address arithmetic, scaled index included,
 * folded into the accesses after it when a bounded search along the
 * paths that follow (dead_after) shows nothing reads the address
 * register again; emit_u16: a 16-bit value read a byte at a time; a
 * load that only feeds the compare after it becomes a compare with
 * memory, defer_load), a compare with 0 is left
 * out when the ALU operation just before set the flags the same way
 * (register moves in between leave them alone; `a = b; a &= c; if a
 * OP 0` with a dead after is one test, emit_test_fused), a multiply by a small
 * constant is a shift, a lea or a shift and an add/sub (emit_mul_k), a
 * move that only one side of the conditional jump after it needs is sunk
 * into that side (sink_scan), a
 * conditional jump over a goto becomes the inverted jump, and loop heads
 * (targets of backward jumps) are aligned to LOOP_ALIGN bytes with NOPs.
 * None of these applies across a jump target.  Loops that are exactly a
 * memset, an iota, a memcpy, a memcmp-style scan or a 32-bit sum of
 * 16-bit words (jit_loops.c finds them) get a preamble that runs most of their iterations as SSE2 blocks
 * and leaves the rest, the exit included, to the ordinary code (see
 * "loop idioms" below).  Facts from the verifier
 * (jit_internal.h), when given, drop zero-extensions nobody reads and
 * clamp proved-bounded indexes against Spectre v1.
 *
 * Only programs marked trusted are compiled: there are no bounds checks.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "exec/jit_internal.h"
#include "maps/map.h"
#include "maps/map_array.h"
#include "platform/platform.h"
#include "verifier/verifier.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

static const uint8_t bpf2x[11] = { RAX, RDI, RSI, RDX, RCX, R8, RBX, R13, R14, R15, RBP };

#define TMP R10
#define TMP2 R11
#define CTX R12
#define FRAME 512		/* BPF stack per frame */
#define WIN64_OUT 48		/* shadow space + 5th and 6th argument */

/*
 * What one function of the program needs from its frame, found by a scan
 * of its instructions before it is emitted (fn_scan).  A function saves
 * only the callee-saved registers it writes: the BPF registers it names
 * (r6..r9 in rbx, r13..r15; r10 in rbp, which also asks for the BPF
 * stack), r12 in the main function when the program calls out at all
 * (the run state lives there), and rdi/rsi in the Win64 main function.
 * A leaf function that names none of them has no prologue at all.
 */
struct jx_frame {
	uint16_t save;		/* bit per x86 register pushed */
	int32_t size;		/* subtracted from rsp after the pushes */
	int32_t out;		/* bytes at the bottom for Win64 helper calls */
	bool fp;		/* r10 used: rbp = top of a BPF stack */
};

/* The flags as an ALU operation left them: they describe the value of
 * x86 register reg (-1: nothing known), 64 or 32 bits wide (w); after
 * and/or/xor (logic) exactly as `test reg, reg` would set them, after
 * add/sub only ZF and SF are those of the value. */
struct jx_flags {
	int reg;
	bool w, logic;
};

struct jx {
	const struct userbpf_prog *prog;
	struct userbpf_rt *rt;
	uint8_t *buf;		/* grows with ub_malloc */
	size_t len, cap;
	int err;
	void *mem;		/* one allocation holds the arrays of n entries */
	uint32_t *addr;		/* start of insn i's body, as laid out */
	uint32_t *naddr;	/* ... as emitted in this pass */
	uint32_t *caddr;	/* start of insn i with its prologue, as laid out */
	uint32_t *ncaddr;	/* ... as emitted */
	uint8_t *jk;		/* insn i's jump of variable size: JK_* */
	uint16_t *jpos;		/* where that jump starts in insn i's body */
	uint32_t *jt;		/* the insn that jump goes to (| JT_PRE) */
	uint32_t *plen;		/* bytes of insn i's loop preamble (before its body) */
	uint32_t *lat;		/* insn i has a loop preamble: its loop's latch + 1
				 * (emitting pass only: then it is addr) */
	uint8_t *nsrc;		/* jumps to insn i (saturating) */
	uint8_t *rpos;		/* where a rel32 to a function ends in it */
	bool *entry;		/* insn i starts a function */
	bool final;		/* false: the measuring pass */
	bool bmi2;
	bool rdpid;		/* inline PERCPU_ARRAY lookups (rdpid, Linux, SysV) */
	size_t abort_stub;	/* offset of the unwind stub, as laid out */
	size_t cur_abort;	/* ... as emitted */
	bool win64;
	int32_t out;		/* bytes below the BPF stack for outgoing calls */
	bool blind;
	uint64_t seed;		/* blinding keys derive from it */
	size_t cur;		/* index of the instruction being emitted */
	bool need_ctx;		/* some instruction calls out: r12 holds c */
	uint8_t *iflag;		/* IF_* of insn i */
	size_t fused_end;	/* insns before it were emitted already */
	size_t deferred;	/* insn + 1 of a load left to the compare after it */
	struct jx_flags flags;	/* what the flags say after the insn emitted last */
	struct jx_flags prev;	/* ... after the one before it */
	struct jx_frame main;	/* the main function's frame */
	size_t main_end;	/* the main function is insns [0, main_end) */
	uint8_t *sunk;		/* SINK_* of insn i: emitted elsewhere */
	uint8_t *poff;		/* where the stub for jumps with JT_PRE starts
				 * in insn i's prefix (sunk moves) */
	uint32_t *stub_from;	/* insn i's prefix has a stub: the jcc + 1 whose
				 * taken side lands there (emitting pass only:
				 * then it is caddr) */
	struct jx_frame fn;	/* the frame of the callee being emitted */
	/* The layout's events (jx_events()): the insns whose place can move
	 * relative to the code before them; everything between two events
	 * moves as one block. */
	struct jx_ev *ev;	/* ascending */
	size_t nev;
};

/* One event of the layout: what the sweeps need of it, in one place. */
struct jx_ev {
	uint32_t i;		/* the insn */
	uint32_t start, end;	/* its code as emitted, a callee's padding
				 * and the jump (long) included */
	uint32_t pre;		/* bytes before a loop head's padding (plen) */
	uint32_t prol;		/* from there to its body, when no loop head
				 * is padded (a prologue; the placeholder) */
	uint32_t body;		/* bytes of its body, the jump long */
	uint32_t tgt;		/* its jump's target: EVT_SELF when that is an
				 * event itself, else the number of events
				 * before it (its offset is ev[tgt - 1].d) */
	int32_t d;		/* after it: layout minus emitted offset */
	bool pad;		/* a callee: aligned to FN_ALIGN */
	bool head;		/* a loop head: aligned to LOOP_ALIGN */
};

/* jk[i]: the kind of insn i's variable jump, and its condition code
 * in the high 4 bits */
enum { JK_JMP = 1, JK_JCC = 2, JK_STUB = 4, JK_SHORT = 8 };

/* jt[i]: the jump lands on the loop preamble of its target (caddr), not
 * on its body (addr) */
#define JT_PRE 0x80000000u

/* iflag[i]: insn i is a jump target or a function entry (IF_TARGET), the
 * head of a loop (IF_HEAD: a jump at or after it goes to it), its jump
 * must stay long (IF_LONG: the alignment of loop heads moved code so that
 * the short form no longer fitted), some backward jump spans it (IF_LOOP:
 * it may run many times), moves were sunk into its fall-through prefix
 * (IF_SUNK: sink_scan). */
enum { IF_TARGET = 1, IF_HEAD = 2, IF_LONG = 4, IF_LOOP = 8, IF_SUNK = 16 };

/* Loop heads start at a multiple of this, padded with NOPs. */
#define LOOP_ALIGN 32
/* ... and so do the functions a program calls (bpf2bpf callees): a
 * native compiler aligns functions, and calls and returns packed into
 * a few lines of code predict worse.  The measuring pass leaves
 * FN_ALIGN - 1 bytes of room before each callee (fn_pad()). */
#define FN_ALIGN 32

/* ---- bytes ---- */

/* Grows the buffer for at least `need` more bytes.  After a failed
 * allocation every emit lands here again and does nothing (len == cap). */
static bool grow(struct jx *j, size_t need)
{
	size_t cap = j->cap ? j->cap : 4096;
	uint8_t *nb;

	if (j->err)
		return false;
	while (cap - j->len < need)
		cap *= 2;
	nb = ub_malloc(j->rt, cap);
	if (!nb) {
		j->err = -ENOMEM;
		return false;
	}
	if (j->len)
		memcpy(nb, j->buf, j->len);
	ub_free(j->rt, j->buf);
	j->buf = nb;
	j->cap = cap;
	return true;
}

/* The hot path of compilation: one compare per byte, inlined. */
static inline void emit1(struct jx *j, uint8_t b)
{
	if (j->len < j->cap || grow(j, 1))
		j->buf[j->len++] = b;
}

static inline void emit4(struct jx *j, uint32_t v)
{
	if (j->cap - j->len >= 4 || grow(j, 4)) {
		j->buf[j->len] = (uint8_t)v;
		j->buf[j->len + 1] = (uint8_t)(v >> 8);
		j->buf[j->len + 2] = (uint8_t)(v >> 16);
		j->buf[j->len + 3] = (uint8_t)(v >> 24);
		j->len += 4;
	}
}

static void emit8(struct jx *j, uint64_t v)
{
	emit4(j, (uint32_t)v);
	emit4(j, (uint32_t)(v >> 32));
}

static void patch1(struct jx *j, size_t at, uint8_t v)
{
	if (!j->err && at < j->len)
		j->buf[at] = v;
}

/* ---- encodings ---- */

/* REX: w = 64-bit operand, reg = ModRM.reg, rm = ModRM.rm (or base),
 * force for byte access to sil/dil/spl/bpl. */
static void rex(struct jx *j, bool w, int reg, int index, int rm, bool force)
{
	uint8_t r = (uint8_t)(0x40 | (w << 3) | ((reg & 8) >> 1) | ((index & 8) >> 2) |
			      ((rm & 8) >> 3));
	if (r != 0x40 || force)
		emit1(j, r);
}

static void modrm(struct jx *j, int mod, int reg, int rm)
{
	emit1(j, (uint8_t)((mod << 6) | ((reg & 7) << 3) | (rm & 7)));
}

/* ModRM (+SIB, +disp) for [base + disp]. */
static void mem(struct jx *j, int reg, int base, int32_t disp)
{
	int mod = (disp == 0 && (base & 7) != RBP) ? 0 : (disp >= -128 && disp <= 127) ? 1 : 2;

	modrm(j, mod, reg, base);
	if ((base & 7) == RSP)
		emit1(j, 0x24);
	if (mod == 1)
		emit1(j, (uint8_t)disp);
	else if (mod == 2)
		emit4(j, (uint32_t)disp);
}

/* op reg, rm (register form); opcode of 1 or 2 bytes (0x0f xx). */
static void x_rr(struct jx *j, bool w, unsigned op, int reg, int rm)
{
	rex(j, w, reg, 0, rm, false);
	if (op > 0xff)
		emit1(j, (uint8_t)(op >> 8));
	emit1(j, (uint8_t)op);
	modrm(j, 3, reg, rm);
}

/* op reg, [base + disp]; pfx66 for 16-bit operands, force_rex for bytes. */
static void x_mem(struct jx *j, bool pfx66, bool w, unsigned op, int reg, int base,
		  int32_t disp, bool force_rex)
{
	if (pfx66)
		emit1(j, 0x66);
	rex(j, w, reg, 0, base, force_rex);
	if (op > 0xffff)
		emit1(j, (uint8_t)(op >> 16));
	if (op > 0xff)
		emit1(j, (uint8_t)(op >> 8));
	emit1(j, (uint8_t)op);
	mem(j, reg, base, disp);
}

/* A memory operand [base + index * 2^scale + off]; index < 0 for none.
 * index is never rsp, which holds no BPF register. */
struct jx_addr {
	int base, index, scale;
	int32_t off;
};

/* op reg, a */
static void x_mema(struct jx *j, bool pfx66, bool w, unsigned op, int reg, struct jx_addr a,
		   bool force_rex)
{
	int base = a.base, index = a.index;
	int32_t disp = a.off;
	int mod = (disp == 0 && (base & 7) != RBP) ? 0 : (disp >= -128 && disp <= 127) ? 1 : 2;

	if (index < 0) {
		x_mem(j, pfx66, w, op, reg, base, disp, force_rex);
		return;
	}
	if (pfx66)
		emit1(j, 0x66);
	rex(j, w, reg, index, base, force_rex);
	if (op > 0xff)
		emit1(j, (uint8_t)(op >> 8));
	emit1(j, (uint8_t)op);
	modrm(j, mod, reg, 4);
	emit1(j, (uint8_t)((a.scale << 6) | ((index & 7) << 3) | (base & 7)));
	if (mod == 1)
		emit1(j, (uint8_t)disp);
	else if (mod == 2)
		emit4(j, (uint32_t)disp);
}

static void mov_rr(struct jx *j, bool w, int dst, int src)
{
	x_rr(j, w, 0x89, src, dst);
}

static void mov_ri(struct jx *j, bool w, int dst, int64_t imm)
{
	if (!w || (imm >= 0 && imm <= 0xffffffffll)) {
		if (imm == 0) {
			x_rr(j, false, 0x31, dst, dst); /* xor r32, r32 */
			return;
		}
		rex(j, false, 0, 0, dst, false); /* mov r32, imm32 zero-extends */
		emit1(j, (uint8_t)(0xb8 + (dst & 7)));
		emit4(j, (uint32_t)imm);
	} else if (imm >= INT32_MIN && imm <= INT32_MAX) {
		rex(j, true, 0, 0, dst, false); /* mov r/m64, imm32 sign-extends */
		emit1(j, 0xc7);
		modrm(j, 3, 0, dst);
		emit4(j, (uint32_t)imm);
	} else {
		rex(j, true, 0, 0, dst, false); /* movabs */
		emit1(j, (uint8_t)(0xb8 + (dst & 7)));
		emit8(j, (uint64_t)imm);
	}
}

/* group-1 ALU with immediate: /digit 0 add, 1 or, 4 and, 5 sub, 6 xor, 7 cmp */
static void alu_ri(struct jx *j, bool w, int digit, int dst, int32_t imm)
{
	rex(j, w, 0, 0, dst, false);
	if (imm >= -128 && imm <= 127) {
		emit1(j, 0x83);
		modrm(j, 3, digit, dst);
		emit1(j, (uint8_t)imm);
	} else {
		emit1(j, 0x81);
		modrm(j, 3, digit, dst);
		emit4(j, (uint32_t)imm);
	}
}

/* lea dst, [base + index + disp] (w: 64-bit result, else zero-extended
 * 32); index is not rsp, which holds no BPF register. */
static void x_lea(struct jx *j, bool w, int dst, int base, int index, int32_t disp)
{
	int mod = (disp == 0 && (base & 7) != RBP) ? 0 : (disp >= -128 && disp <= 127) ? 1 : 2;

	rex(j, w, dst, index, base, false);
	emit1(j, 0x8d);
	modrm(j, mod, dst, 4);
	emit1(j, (uint8_t)(((index & 7) << 3) | (base & 7)));
	if (mod == 1)
		emit1(j, (uint8_t)disp);
	else if (mod == 2)
		emit4(j, (uint32_t)disp);
}

/* ---- constant blinding ---- */

/* The key of the instruction being emitted (ub_jit_blind_key). */
static uint64_t jx_key(const struct jx *j)
{
	return ub_jit_blind_key(j->seed, j->cur);
}

/* reg = imm: sign-extended to 64 bits (w), or zero-extended from 32. */
static void load_imm32(struct jx *j, bool w, int reg, int32_t imm)
{
	int32_t k;

	if (!j->blind) {
		mov_ri(j, w, reg, w ? (int64_t)imm : (int64_t)(uint32_t)imm);
		return;
	}
	/* sext(imm ^ k) ^ sext(k) == sext(imm), and likewise in 32 bits */
	k = (int32_t)(uint32_t)jx_key(j);
	mov_ri(j, w, reg, w ? (int64_t)(imm ^ k) : (int64_t)(uint32_t)(imm ^ k));
	alu_ri(j, w, 6, reg, k);
}

/* reg = v, a 64-bit value of the program (lddw).  Clobbers TMP. */
static void load_imm64(struct jx *j, int reg, uint64_t v)
{
	uint64_t k;

	if (!j->blind) {
		mov_ri(j, true, reg, (int64_t)v);
		return;
	}
	k = jx_key(j);
	mov_ri(j, true, reg, (int64_t)(v ^ k));
	mov_ri(j, true, TMP, (int64_t)k);
	x_rr(j, true, 0x31, TMP, reg);
}

/* The facts of the instruction being emitted; without facts, every
 * zero-extension is needed and no index is known to be bounded.  Index
 * bounds are clamped (Spectre v1) as Linux masks them: for programs held
 * to the unprivileged rules (the verifier's UB_FACT_SPECTRE_MASK) and,
 * here also, for hardened (blinded) programs; a root program runs without
 * the clamps, as on Linux. */
static uint8_t jx_facts(const struct jx *j, size_t i)
{
	const struct userbpf_prog *p = j->prog;
	uint8_t f;

	if (!p->facts)
		return UB_FACT_ZEXT_NEEDED;
	f = p->facts[i];
	if (!p->fact_bound || !((f & UB_FACT_SPECTRE_MASK) || j->blind))
		f = (uint8_t)(f & ~UB_FACT_INDEX_BOUNDED);
	return f;
}

/*
 * `dst += idx` (or -=) with idx proved to lie in [0, bound]: idx goes
 * through TMP, clamped so that a mispredicted bounds check cannot steer
 * a speculative access outside (Spectre v1).  With bound 2^k - 1 an and
 * does it; else a compare and cmova to 0 (cmov is not predicted).  Only
 * the out-of-range case, which the verifier ruled out, changes.  The
 * bound is a program constant, so it is blinded like one.
 */
static void emit_index_clamp(struct jx *j, bool sub, int dst, int idx, uint32_t bound)
{
	if (!j->blind && bound <= INT32_MAX && !(bound & (bound + 1))) {
		mov_rr(j, true, TMP, idx);
		alu_ri(j, true, 4, TMP, (int32_t)bound);
	} else {
		load_imm32(j, false, TMP2, (int32_t)bound);	/* zero-extended */
		x_rr(j, true, 0x39, TMP2, idx);			/* cmp idx, bound */
		mov_rr(j, true, TMP, idx);
		rex(j, false, 0, 0, TMP2, false);		/* mov r11d, 0: */
		emit1(j, (uint8_t)(0xb8 + (TMP2 & 7)));		/* keeps the flags */
		emit4(j, 0);
		x_rr(j, true, 0x0f47, TMP, TMP2);		/* cmova */
	}
	x_rr(j, true, sub ? 0x29 : 0x01, TMP, dst);
}

static void push(struct jx *j, int r)
{
	rex(j, false, 0, 0, r, false);
	emit1(j, (uint8_t)(0x50 + (r & 7)));
}

static void pop(struct jx *j, int r)
{
	rex(j, false, 0, 0, r, false);
	emit1(j, (uint8_t)(0x58 + (r & 7)));
}

/* BMI2 shlx/shrx/sarx dst, src, count: pp 1 = shlx, 2 = sarx, 3 = shrx. */
static void shiftx(struct jx *j, bool w, int pp, int dst, int src, int count)
{
	emit1(j, 0xc4);
	emit1(j, (uint8_t)((((~dst) & 8) << 4) | 0x40 | (((~src) & 8) << 2) | 0x02));
	emit1(j, (uint8_t)((w << 7) | (((~count) & 0xf) << 3) | pp));
	emit1(j, 0xf7);
	modrm(j, 3, dst, src);
}

/* A forward short jump whose target is patched by label_here(). */
static size_t jcc8_fwd(struct jx *j, uint8_t cc)
{
	emit1(j, (uint8_t)(0x70 | cc));
	emit1(j, 0);
	return j->len;
}

static size_t jmp8_fwd(struct jx *j)
{
	emit1(j, 0xeb);
	emit1(j, 0);
	return j->len;
}

static void label_here(struct jx *j, size_t after_jump)
{
	size_t d = j->len - after_jump;

	if (d > 127) {
		j->err = j->err ? j->err : -E2BIG;
		return;
	}
	patch1(j, after_jump - 1, (uint8_t)d);
}

/* x86 condition codes */
enum { CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7,
       CC_L = 0xc, CC_GE = 0xd, CC_LE = 0xe, CC_G = 0xf };

/*
 * Whether the jump being emitted to insn t lands on t's loop preamble:
 * every jump to t does, but the loop's own jump back (from its latch, or
 * from the conditional jump before the latch that jcc_target() turned
 * into the jump back).
 */
static bool to_preamble(const struct jx *j, size_t t)
{
	size_t latch;

	if (j->stub_from[t])
		return j->stub_from[t] == j->cur + 1;
	if (!j->lat[t])
		return false;
	latch = j->lat[t] - 1;
	return !(j->cur == latch || (j->cur + 1 == latch && j->fused_end == latch + 1));
}

/*
 * The one jump of variable size an instruction may have, always its last
 * bytes: to the body of instruction `target`, or to the unwind stub.  The
 * measuring pass emits it long and notes where it is; the final pass
 * emits it as jx_layout() decided.
 */
static void jump_var(struct jx *j, int cc, bool stub, size_t target)
{
	size_t i = j->cur;
	int64_t to, rel;

	if (!j->final) {
		size_t pos = j->len - j->naddr[i];

		if (j->jk[i] || pos > UINT16_MAX) {
			j->err = j->err ? j->err : -EFAULT;
			return;
		}
		j->jk[i] = (uint8_t)(cc < 0 ? JK_JMP : JK_JCC | cc << 4) | (stub ? JK_STUB : 0);
		j->jpos[i] = (uint16_t)pos;
		j->jt[i] = (uint32_t)target | (!stub && to_preamble(j, target) ? JT_PRE : 0);
		to = (int64_t)j->len;
	} else {
		to = stub ? (int64_t)j->abort_stub
			  : target & JT_PRE ? (int64_t)j->caddr[target & ~JT_PRE] + j->poff[target & ~JT_PRE]
					    : (int64_t)j->addr[target];
	}
	if (j->final && (j->jk[i] & JK_SHORT)) {
		rel = to - (int64_t)(j->len + 2);
		if (rel < -128 || rel > 127)
			j->err = j->err ? j->err : -EFAULT;
		emit1(j, cc < 0 ? 0xeb : (uint8_t)(0x70 | cc));
		emit1(j, (uint8_t)rel);
		return;
	}
	if (cc < 0) {
		rel = to - (int64_t)(j->len + 5);
		emit1(j, 0xe9);
	} else {
		rel = to - (int64_t)(j->len + 6);
		emit1(j, 0x0f);
		emit1(j, (uint8_t)(0x80 | cc));
	}
	emit4(j, (uint32_t)(int32_t)rel);
}

/* The rel32 of a call or lea to the function starting at insn `fn`: the
 * measuring pass notes where it ends; jx_relocate() fills it in. */
static void rel32_fn(struct jx *j, size_t fn)
{
	size_t end = j->len + 4 - j->naddr[j->cur];

	if (end > UINT8_MAX)
		j->err = j->err ? j->err : -EFAULT;
	j->rpos[j->cur] = (uint8_t)end;
	(void)fn;
	emit4(j, 0);
}

static void jump_insn(struct jx *j, int cc, size_t target_insn)
{
	jump_var(j, cc, false, target_insn);
}

/* ---- prologues and epilogues ---- */

/* The order of the pushes; pops go the other way. */
static const uint8_t push_order[] = { RBP, RBX, RDI, RSI, R12, R13, R14, R15 };

/*
 * The frame, from high to low addresses: the saved registers, padding to
 * keep rsp 16-byte aligned at calls, the BPF stack when r10 is used (rbp
 * points at its top), then j->out bytes for Win64 helper calls.
 */
static void fn_scan(struct jx *j, size_t start, bool is_main, struct jx_frame *f)
{
	const struct userbpf_prog *p = j->prog;
	uint16_t used = 0;	/* BPF registers named */
	bool calls = false, helpers = false;
	int npush = 0;

	for (size_t i = start; i < p->cnt && (i == start || !j->entry[i]); i++) {
		const struct ub_dinsn *d = &p->d[i];
		uint8_t fmt;

		if (d->op >= UB_OP__COUNT)
			continue;
		fmt = ub_opinfo[d->op].fmt;
		used |= (uint16_t)(1u << d->dst | 1u << d->src);
		if (fmt == F_CALL || fmt == F_CALLX || fmt == F_LDABS || fmt == F_LDIND)
			helpers = calls = true;
		else if (fmt == F_CALL_LOCAL)
			calls = true;
	}
	f->save = 0;
	f->fp = (used >> 10) & 1;
	for (int r = 6; r <= 10; r++)
		if ((used >> r) & 1)
			f->save |= (uint16_t)(1u << bpf2x[r]);
	if (is_main && j->need_ctx)
		f->save |= 1u << CTX;
	if (is_main && j->win64)
		f->save |= 1u << RDI | 1u << RSI;
	for (int r = 0; r < 16; r++)
		npush += (f->save >> r) & 1;
	f->out = helpers ? j->out : 0;
	f->size = (f->fp ? FRAME : 0) + f->out;
	/* rsp is 8 off alignment on entry (the return address) */
	if (calls && (8 + 8 * npush + f->size) % 16)
		f->size += 8;
}

static void frame_enter(struct jx *j, const struct jx_frame *f)
{
	for (size_t k = 0; k < sizeof(push_order); k++)
		if ((f->save >> push_order[k]) & 1)
			push(j, push_order[k]);
}

static void frame_alloc(struct jx *j, const struct jx_frame *f)
{
	if (f->size)
		alu_ri(j, true, 5, RSP, f->size);
	if (f->fp)
		x_mem(j, false, true, 0x8d, RBP, RSP, FRAME + f->out, false);
}

static void frame_leave(struct jx *j, const struct jx_frame *f)
{
	if (f->size)
		alu_ri(j, true, 0, RSP, f->size);
	for (size_t k = sizeof(push_order); k-- > 0;)
		if ((f->save >> push_order[k]) & 1)
			pop(j, push_order[k]);
	emit1(j, 0xc3);
}

static void main_prologue(struct jx *j)
{
	const struct jx_frame *f = &j->main;

	frame_enter(j, f);
	if (j->win64) {
		/* above the pushes and the return address: shadow space,
		 * then the 5th and 6th arguments */
		int32_t above = 8 + 32;

		for (int r = 0; r < 16; r++)
			above += 8 * ((f->save >> r) & 1);
		mov_rr(j, true, RDI, RCX);
		mov_rr(j, true, RSI, RDX);
		mov_rr(j, true, RDX, R8);
		mov_rr(j, true, RCX, R9);
		x_mem(j, false, true, 0x8b, R8, RSP, above, false);
		if (j->need_ctx)
			x_mem(j, false, true, 0x8b, CTX, RSP, above + 8, false);
	} else if (j->need_ctx) {
		mov_rr(j, true, CTX, R9);
	}
	frame_alloc(j, f);
	if (j->need_ctx)
		x_mem(j, false, true, 0x89, RSP, CTX,
		      (int32_t)offsetof(struct userbpf_call, jit_rsp), false);
}

static void main_epilogue(struct jx *j)
{
	frame_leave(j, &j->main);
}

/* A callee: entered with rsp 8 off alignment, like any function. */
static void sub_prologue(struct jx *j)
{
	frame_enter(j, &j->fn);
	frame_alloc(j, &j->fn);
}

static void sub_epilogue(struct jx *j)
{
	frame_leave(j, &j->fn);
}

/* After a helper: leave through the unwind stub when it set c->pending. */
static void check_pending(struct jx *j)
{
	/* cmp dword [r12 + pending], 0 */
	rex(j, false, 0, 0, CTX, false);
	emit1(j, 0x83);
	mem(j, 7, CTX, (int32_t)offsetof(struct userbpf_call, pending));
	emit1(j, 0);
	jump_var(j, CC_NE, true, 0);
}

/* Calls a C function as fn(r1, r2, r3, r4, r5, c) in the target's ABI. */
static void call_abs(struct jx *j, const void *fn)
{
	if (j->win64) {
		x_mem(j, false, true, 0x89, R8, RSP, 32, false);  /* 5th: r5 */
		x_mem(j, false, true, 0x89, CTX, RSP, 40, false); /* 6th: c */
		mov_rr(j, true, R9, RCX);
		mov_rr(j, true, R8, RDX);
		mov_rr(j, true, RDX, RSI);
		mov_rr(j, true, RCX, RDI);
	} else {
		mov_rr(j, true, R9, CTX);
	}
	mov_ri(j, true, RAX, (int64_t)(uintptr_t)fn);
	emit1(j, 0xff);
	modrm(j, 3, 2, RAX); /* call rax */
}

/* The driver's C entry points in the Microsoft ABI, for Win64 code (the
 * native ABI on Windows, where these merely forward). */
#if defined(__x86_64__) && defined(__GNUC__)
#define JX_MSABI __attribute__((ms_abi))
#else
#define JX_MSABI
#endif

static uint64_t JX_MSABI jx_callx_ms(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				     uint64_t r5, struct userbpf_call *c)
{
	return ub_jit_callx_helper(r1, r2, r3, r4, r5, c);
}

static uint64_t JX_MSABI jx_ld_pkt_ms(uint64_t off, uint64_t size, uint64_t r3, uint64_t r4,
				      uint64_t r5, struct userbpf_call *c)
{
	return ub_jit_ld_pkt(off, size, r3, r4, r5, c);
}

/* ---- BPF operations ---- */

static int alu_digit(int fmt_op)
{
	switch (fmt_op) {
	case 0x00: return 0;	/* add */
	case 0x40: return 1;	/* or */
	case 0x50: return 4;	/* and */
	case 0x10: return 5;	/* sub */
	case 0xa0: return 6;	/* xor */
	default: return -1;
	}
}

/* dst = dst OP src (register forms of add/sub/or/and/xor). */
static const unsigned alu_rr_op[16] = {
	[0x0] = 0x01, [0x1] = 0x29, [0x4] = 0x09, [0x5] = 0x21, [0xa] = 0x31,
};

static void emit_divmod(struct jx *j, const struct ub_dinsn *d, bool w, bool is_mod,
			bool is_signed, bool is_k)
{
	int dst = bpf2x[d->dst];
	size_t l_zero, l_norm = 0, l_store1 = 0, l_store2, l_end;

	if (is_k)
		load_imm32(j, w, TMP2, (int32_t)d->imm);
	else
		mov_rr(j, w, TMP2, bpf2x[d->src]);
	push(j, RAX);
	push(j, RDX);
	if (dst != RAX)
		mov_rr(j, true, RAX, dst);
	x_rr(j, w, 0x85, TMP2, TMP2); /* test */
	l_zero = jcc8_fwd(j, CC_E);
	if (is_signed) {
		alu_ri(j, w, 7, TMP2, -1);
		l_norm = jcc8_fwd(j, CC_NE);
		if (is_mod) {
			x_rr(j, false, 0x31, TMP2, TMP2); /* x % -1 = 0 */
		} else {
			mov_rr(j, w, TMP2, RAX);
			x_rr(j, w, 0xf7, 3, TMP2);	  /* neg: x / -1 = -x, wrapping */
		}
		l_store1 = jmp8_fwd(j);
		label_here(j, l_norm);
		if (w)
			emit1(j, 0x48);
		emit1(j, 0x99);			  /* cqo / cdq */
		x_rr(j, w, 0xf7, 7, TMP2);	  /* idiv */
	} else {
		x_rr(j, false, 0x31, RDX, RDX);
		x_rr(j, w, 0xf7, 6, TMP2);	  /* div */
	}
	mov_rr(j, w, TMP2, is_mod ? RDX : RAX);
	l_store2 = jmp8_fwd(j);
	label_here(j, l_zero);
	if (is_mod)
		mov_rr(j, w, TMP2, RAX);	  /* x % 0 = x */
	else
		x_rr(j, false, 0x31, TMP2, TMP2); /* x / 0 = 0 */
	label_here(j, l_store2);
	if (is_signed)
		label_here(j, l_store1);
	l_end = j->len;
	(void)l_end;
	pop(j, RDX);
	pop(j, RAX);
	mov_rr(j, w, dst, TMP2);
}

/* Shift by register: digit 4 shl, 5 shr, 7 sar. */
static void emit_shift_x(struct jx *j, bool w, int digit, int dst, int src)
{
	if (j->bmi2) {
		int pp = digit == 4 ? 1 : digit == 7 ? 2 : 3;
		shiftx(j, w, pp, dst, dst, src);
		return;
	}
	if (src == RCX) {
		x_rr(j, w, 0xd3, digit, dst);
	} else if (dst == RCX) {
		mov_rr(j, true, TMP2, RCX);
		mov_rr(j, true, RCX, src);
		x_rr(j, w, 0xd3, digit, TMP2);
		mov_rr(j, true, RCX, TMP2);
	} else {
		mov_rr(j, true, TMP2, RCX);
		mov_rr(j, true, RCX, src);
		x_rr(j, w, 0xd3, digit, dst);
		mov_rr(j, true, RCX, TMP2);
	}
}

/*
 * dst *= imm without blinding: as native compilers do, small constants of
 * the forms 2^k, 3/5/9, 2^k - 1 and 2^k + 1 become shifts, a lea or a
 * shift and a sub/add (a latency of 1-2 cycles instead of imul's 3);
 * everything else is imul.  Same result mod 2^64 (or 2^32, zero-extended).
 */
static void emit_mul_k(struct jx *j, bool w, int dst, int32_t imm)
{
	int k = -1;

	for (int b = 1; b < (w ? 63 : 31); b++)
		if (imm > 0 && (int64_t)imm == 1ll << b)
			k = b;
	if (k > 0) {
		rex(j, w, 0, 0, dst, false);			/* shl dst, k */
		emit1(j, 0xc1);
		modrm(j, 3, 4, dst);
		emit1(j, (uint8_t)k);
		return;
	}
	if (imm == 3 || imm == 5 || imm == 9) {
		/* lea dst, [dst + dst * (imm - 1)] */
		x_mema(j, false, w, 0x8d, dst,
		       (struct jx_addr){ dst, dst, imm == 3 ? 1 : imm == 5 ? 2 : 3, 0 }, false);
		return;
	}
	for (int b = 2; b < 31; b++) {
		if ((int64_t)imm == (1ll << b) - 1 || (int64_t)imm == (1ll << b) + 1) {
			mov_rr(j, true, TMP, dst);
			rex(j, w, 0, 0, TMP, false);		/* shl tmp, b */
			emit1(j, 0xc1);
			modrm(j, 3, 4, TMP);
			emit1(j, (uint8_t)b);
			/* sub / add tmp, dst */
			x_rr(j, w, (int64_t)imm < (1ll << b) ? 0x29 : 0x01, dst, TMP);
			mov_rr(j, w, dst, TMP);
			return;
		}
	}
	rex(j, w, dst, 0, dst, false);
	emit1(j, 0x69);
	modrm(j, 3, dst, dst);
	emit4(j, (uint32_t)imm);
}

static void emit_alu(struct jx *j, const struct ub_dinsn *d)
{
	const struct ub_opinfo *oi = &ub_opinfo[d->op];
	bool w = UB_CLASS(oi->code) == UB_CLS_ALU64;
	bool k = oi->fmt == F_ALU_K;
	int dst = bpf2x[d->dst], src = bpf2x[d->src];
	int op = oi->code & 0xf0;
	int32_t imm = (int32_t)d->imm;

	if (j->prog->fact_const && (jx_facts(j, j->cur) & UB_FACT_CONST_DST)) {
		/* the verifier proved the result on every path: load it */
		load_imm64(j, dst, j->prog->fact_const[j->cur]);
		return;
	}
	switch (op) {
	case 0x00: case 0x10: case 0x40: case 0x50: case 0xa0:
		if ((op == 0x00 || op == 0x10) && w && !k &&
		    (jx_facts(j, j->cur) & UB_FACT_INDEX_BOUNDED)) {
			emit_index_clamp(j, op == 0x10, dst, src, j->prog->fact_bound[j->cur]);
		} else if (k && j->blind) {
			load_imm32(j, w, TMP, imm);
			x_rr(j, w, alu_rr_op[op >> 4], TMP, dst);
		} else if (k) {
			alu_ri(j, w, alu_digit(op), dst, imm);
		} else {
			x_rr(j, w, alu_rr_op[op >> 4], src, dst);
		}
		j->flags = (struct jx_flags){ dst, w, op >= 0x40 };
		return;
	case 0x20: /* mul */
		if (k && j->blind) {
			load_imm32(j, w, TMP, imm);
			x_rr(j, w, 0x0faf, dst, TMP);
		} else if (k) {
			emit_mul_k(j, w, dst, imm);
		} else {
			x_rr(j, w, 0x0faf, dst, src);
		}
		return;
	case 0x30: case 0x90:
		emit_divmod(j, d, w, op == 0x90, d->op == UB_OP_SDIV64_K || d->op == UB_OP_SDIV64_X ||
			    d->op == UB_OP_SDIV32_K || d->op == UB_OP_SDIV32_X ||
			    d->op == UB_OP_SMOD64_K || d->op == UB_OP_SMOD64_X ||
			    d->op == UB_OP_SMOD32_K || d->op == UB_OP_SMOD32_X, k);
		return;
	case 0x60: case 0x70: case 0xc0: {
		int digit = op == 0x60 ? 4 : op == 0x70 ? 5 : 7;
		if (k && j->blind) {
			/* the shift masks the count as BPF does */
			load_imm32(j, false, TMP, imm);
			emit_shift_x(j, w, digit, dst, TMP);
		} else if (k) {
			rex(j, w, 0, 0, dst, false);
			emit1(j, 0xc1);
			modrm(j, 3, digit, dst);
			emit1(j, (uint8_t)(imm & (w ? 63 : 31)));
		} else {
			emit_shift_x(j, w, digit, dst, src);
		}
		return;
	}
	case 0x80: /* neg */
		x_rr(j, w, 0xf7, 3, dst);
		return;
	case 0xb0: /* mov, movsx */
		/* a move leaves the flags alone (but xor-zeroing, and blinding);
		 * they keep describing another register they described */
		if (j->prev.reg != dst && !(k && (imm == 0 || j->blind)))
			j->flags = j->prev;
		if (k) {
			load_imm32(j, w, dst, imm);
		} else if (oi->fmt == F_MOVSX) {
			switch (oi->vval) {
			case 8:
				rex(j, w, dst, 0, src, !w && src >= RSP && src <= RDI);
				emit1(j, 0x0f);
				emit1(j, 0xbe);
				modrm(j, 3, dst, src);
				break;
			case 16: x_rr(j, w, 0x0fbf, dst, src); break;
			default: x_rr(j, true, 0x63, dst, src); break; /* movsxd */
			}
		} else if (!w && dst == src && !(jx_facts(j, j->cur) & UB_FACT_ZEXT_NEEDED)) {
			/* w = w only zero-extends, and nothing reads the upper half */
		} else {
			mov_rr(j, w, dst, src);
		}
		return;
	default:
		j->err = j->err ? j->err : -EINVAL;
	}
}

static void emit_end(struct jx *j, const struct ub_dinsn *d)
{
	const struct ub_opinfo *oi = &ub_opinfo[d->op];
	int dst = bpf2x[d->dst];
	bool swap = oi->fmt == F_BSWAP || oi->code == 0xdc;

	switch (oi->width) {
	case 16:
		if (swap) {
			emit1(j, 0x66); /* rol r16, 8 */
			rex(j, false, 0, 0, dst, false);
			emit1(j, 0xc1);
			modrm(j, 3, 0, dst);
			emit1(j, 8);
		}
		x_rr(j, false, 0x0fb7, dst, dst); /* movzx r32, r16 */
		break;
	case 32:
		if (swap) {
			rex(j, false, 0, 0, dst, false);
			emit1(j, 0x0f);
			emit1(j, (uint8_t)(0xc8 + (dst & 7)));
		} else if (jx_facts(j, j->cur) & UB_FACT_ZEXT_NEEDED) {
			mov_rr(j, false, dst, dst);
		}
		break;
	default:
		if (swap) {
			rex(j, true, 0, 0, dst, false);
			emit1(j, 0x0f);
			emit1(j, (uint8_t)(0xc8 + (dst & 7)));
		}
		break;
	}
}

/* The load or store d at address a (its own register and offset, or an
 * address folded in from instructions before it). */
static void emit_mem_at(struct jx *j, const struct ub_dinsn *d, struct jx_addr a)
{
	const struct ub_opinfo *oi = &ub_opinfo[d->op];
	int dst = bpf2x[d->dst], src = bpf2x[d->src];

	switch (oi->fmt) {
	case F_LDX:
		switch (oi->width) {
		case 1: x_mema(j, false, false, 0x0fb6, dst, a, false); break;
		case 2: x_mema(j, false, false, 0x0fb7, dst, a, false); break;
		case 4: x_mema(j, false, false, 0x8b, dst, a, false); break;
		default: x_mema(j, false, true, 0x8b, dst, a, false); break;
		}
		break;
	case F_LDXS:
		switch (oi->width) {
		case 1: x_mema(j, false, true, 0x0fbe, dst, a, false); break;
		case 2: x_mema(j, false, true, 0x0fbf, dst, a, false); break;
		default: x_mema(j, false, true, 0x63, dst, a, false); break;
		}
		break;
	case F_STX:
		switch (oi->width) {
		case 1: x_mema(j, false, false, 0x88, src, a, src >= RSP && src <= RDI); break;
		case 2: x_mema(j, true, false, 0x89, src, a, false); break;
		case 4: x_mema(j, false, false, 0x89, src, a, false); break;
		default: x_mema(j, false, true, 0x89, src, a, false); break;
		}
		break;
	case F_ST:
		if (j->blind) {
			/* the value goes through TMP, then as stx */
			load_imm32(j, oi->width == 8, TMP, (int32_t)d->imm);
			switch (oi->width) {
			case 1: x_mema(j, false, false, 0x88, TMP, a, false); break;
			case 2: x_mema(j, true, false, 0x89, TMP, a, false); break;
			case 4: x_mema(j, false, false, 0x89, TMP, a, false); break;
			default: x_mema(j, false, true, 0x89, TMP, a, false); break;
			}
			break;
		}
		switch (oi->width) {
		case 1:
			x_mema(j, false, false, 0xc6, 0, a, false);
			emit1(j, (uint8_t)d->imm);
			break;
		case 2:
			x_mema(j, true, false, 0xc7, 0, a, false);
			emit1(j, (uint8_t)d->imm);
			emit1(j, (uint8_t)(d->imm >> 8));
			break;
		default:
			x_mema(j, false, oi->width == 8, 0xc7, 0, a, false);
			emit4(j, (uint32_t)d->imm);
			break;
		}
		break;
	default:
		j->err = j->err ? j->err : -EINVAL;
	}
}

/* The load d (ldx or ldxs) from [base + index + off] (index < 0: none). */
static void emit_load(struct jx *j, const struct ub_dinsn *d, int base, int index, int32_t off)
{
	emit_mem_at(j, d, (struct jx_addr){ base, index, 0, off });
}

static void emit_mem(struct jx *j, const struct ub_dinsn *d)
{
	uint8_t fmt = ub_opinfo[d->op].fmt;
	int base = bpf2x[fmt == F_LDX || fmt == F_LDXS ? d->src : d->dst];

	emit_mem_at(j, d, (struct jx_addr){ base, -1, 0, d->off });
}

static void emit_atomic(struct jx *j, const struct ub_dinsn *d)
{
	const struct ub_opinfo *oi = &ub_opinfo[d->op];
	bool w = oi->width == 8;
	int dst = bpf2x[d->dst], src = bpf2x[d->src];
	int32_t off = d->off;

	switch (d->imm) {
	case 0x00: case 0x40: case 0x50: case 0xa0: {
		unsigned op = d->imm == 0x00 ? 0x01 : d->imm == 0x40 ? 0x09 : d->imm == 0x50 ? 0x21 : 0x31;
		emit1(j, 0xf0);
		x_mem(j, false, w, op, src, dst, off, false);
		return;
	}
	case 0x01: /* lock xadd */
		emit1(j, 0xf0);
		x_mem(j, false, w, 0x0fc1, src, dst, off, false);
		return;
	case 0xe1: /* xchg (locks by itself) */
		x_mem(j, false, w, 0x87, src, dst, off, false);
		return;
	case 0xf1: /* lock cmpxchg: compares rax (r0), leaves the old value there */
		emit1(j, 0xf0);
		x_mem(j, false, w, 0x0fb1, src, dst, off, false);
		if (!w && (jx_facts(j, j->cur) & UB_FACT_ZEXT_NEEDED))
			mov_rr(j, false, RAX, RAX);
		return;
	case 0x41: case 0x51: case 0xa1: {
		/* fetch-or/and/xor: a cmpxchg loop on [r9]; r0 is saved in r10. */
		unsigned op = d->imm == 0x41 ? 0x09 : d->imm == 0x51 ? 0x21 : 0x31;
		int val = src == RAX ? TMP : src;
		size_t loop;

		x_mem(j, false, true, 0x8d, R9, dst, off, false); /* lea r9, [dst+off] */
		mov_rr(j, true, TMP, RAX);
		x_mem(j, false, w, 0x8b, RAX, R9, 0, false);	   /* mov rax, [r9] */
		loop = j->len;
		mov_rr(j, w, TMP2, RAX);
		x_rr(j, w, op, val, TMP2);
		emit1(j, 0xf0);
		x_mem(j, false, w, 0x0fb1, TMP2, R9, 0, false);
		emit1(j, 0x75);
		emit1(j, (uint8_t)(int8_t)((int64_t)loop - (int64_t)(j->len + 1)));
		mov_rr(j, w, src, RAX);
		if (src != RAX)
			mov_rr(j, true, RAX, TMP);
		return;
	}
	default:
		j->err = j->err ? j->err : -EINVAL;
	}
}

/*
 * `if cond goto L; goto M; L:` (clang ends many loops so) is one jump
 * `if !cond goto M` when nothing else jumps to the goto, which then emits
 * nothing.  Returns the target, and inverts *cc when it rewrote.
 */
static size_t jcc_target(struct jx *j, int *cc, const struct ub_dinsn *d)
{
	size_t i = j->cur;
	const struct ub_dinsn *e = d + 1;

	if ((size_t)d->off != i + 2 || i + 1 >= j->prog->cnt || (j->iflag[i + 1] & IF_TARGET) ||
	    (e->op != UB_OP_JA && e->op != UB_OP_JA32))
		return (size_t)d->off;
	*cc ^= 1; /* x86 condition codes come in pairs */
	j->fused_end = i + 2;
	return (size_t)e->off;
}

static void emit_jcc(struct jx *j, const struct ub_dinsn *d)
{
	const struct ub_opinfo *oi = &ub_opinfo[d->op];
	bool w = UB_CLASS(oi->code) == UB_CLS_JMP;
	int dst = bpf2x[d->dst], src = bpf2x[d->src];
	size_t target;
	int cc;

	switch (oi->code & 0xf0) {
	case 0x10: cc = CC_E; break;
	case 0x20: cc = CC_A; break;
	case 0x30: cc = CC_AE; break;
	case 0x40: cc = CC_NE; break; /* jset: test, then jne */
	case 0x50: cc = CC_NE; break;
	case 0x60: cc = CC_G; break;
	case 0x70: cc = CC_GE; break;
	case 0xa0: cc = CC_B; break;
	case 0xb0: cc = CC_BE; break;
	case 0xc0: cc = CC_L; break;
	default: cc = CC_LE; break;
	}
	if (j->deferred && j->deferred == j->cur) {
		/* the load just before was left out: compare with memory */
		const struct ub_dinsn *ld = &j->prog->d[j->cur - 1];
		struct jx_addr m = { bpf2x[ld->src], -1, 0, ld->off };
		bool set = (oi->code & 0xf0) == 0x40;

		j->deferred = 0;
		if (oi->fmt == F_JMP_K) {			/* [m] OP imm */
			if (set) {
				x_mema(j, false, w, 0xf7, 0, m, false);
				emit4(j, (uint32_t)d->imm);
			} else if (d->imm >= -128 && d->imm <= 127) {
				x_mema(j, false, w, 0x83, 7, m, false);
				emit1(j, (uint8_t)d->imm);
			} else {
				x_mema(j, false, w, 0x81, 7, m, false);
				emit4(j, (uint32_t)d->imm);
			}
		} else if (d->dst == ld->dst) {			/* [m] OP src */
			x_mema(j, false, w, set ? 0x85 : 0x39, src, m, false);
		} else {					/* dst OP [m] */
			x_mema(j, false, w, set ? 0x85 : 0x3b, dst, m, false);
		}
	} else if (oi->fmt == F_JMP_K && d->imm == 0 && (oi->code & 0xf0) != 0x40 &&
	    j->prev.reg == dst &&
	    (cc == CC_E || cc == CC_NE ? j->prev.w == w || !j->prev.w
				       : j->prev.logic && j->prev.w == w)) {
		/* the ALU operation just before set the flags as a compare
		 * with 0 would: nothing to emit */
	} else if (oi->fmt == F_JMP_K && j->blind && !(d->imm == 0 && (cc == CC_E || cc == CC_NE))) {
		load_imm32(j, w, TMP, (int32_t)d->imm);
		x_rr(j, w, (oi->code & 0xf0) == 0x40 ? 0x85 : 0x39, TMP, dst);
	} else if ((oi->code & 0xf0) == 0x40) {
		if (oi->fmt == F_JMP_K) {
			rex(j, w, 0, 0, dst, false);
			emit1(j, 0xf7);
			modrm(j, 3, 0, dst);
			emit4(j, (uint32_t)d->imm);
		} else {
			x_rr(j, w, 0x85, src, dst);
		}
	} else if (oi->fmt == F_JMP_K) {
		if (d->imm == 0 && (cc == CC_E || cc == CC_NE))
			x_rr(j, w, 0x85, dst, dst);
		else
			alu_ri(j, w, 7, dst, (int32_t)d->imm);
	} else {
		x_rr(j, w, 0x39, src, dst);
	}
	target = jcc_target(j, &cc, d);
	jump_insn(j, cc, target);
}

/* ---- liveness, looked up where a rewrite needs it ---- */

#define R1_R5 0x3eu
#define R0_R9 0x3ffu

/*
 * What insn d reads (*use) and writes in full (*def), bit per r0-r9 (r10
 * is always live).  Reads may be over-stated and writes under-stated:
 * either only keeps more registers live.  Helper and local calls read
 * r1-r5 (local calls r1-r9: the callee's code is not looked into), an exit
 * r0-r5 (a callee's r1-r5 stay visible to its caller).
 */
static void insn_use_def(const struct ub_dinsn *d, uint16_t *use, uint16_t *def)
{
	uint16_t dst = (uint16_t)(1u << d->dst), src = (uint16_t)(1u << d->src);
	const struct ub_opinfo *oi;

	*use = 0;
	*def = 0;
	if (d->op >= UB_OP__COUNT)
		return;
	oi = &ub_opinfo[d->op];
	switch (oi->fmt) {
	case F_LDDW: *def = dst; break;
	case F_ALU_K:
		*def = dst;
		*use = (oi->code & 0xf0) == 0xb0 ? 0 : dst;
		break;
	case F_ALU_X:
		*def = dst;
		*use = (uint16_t)(src | ((oi->code & 0xf0) == 0xb0 ? 0 : dst));
		break;
	case F_MOVSX: *use = src; *def = dst; break;
	case F_NEG: case F_END: case F_BSWAP: *use = dst; *def = dst; break;
	case F_LDX: case F_LDXS: *use = src; *def = dst; break;
	case F_ST: *use = dst; break;
	case F_STX: *use = (uint16_t)(dst | src); break;
	case F_ATOMIC: *use = (uint16_t)(dst | src | 1u); break;
	case F_JA: case F_JA32: break;
	case F_JMP_K: *use = dst; break;
	case F_JMP_X: *use = (uint16_t)(dst | src); break;
	case F_CALL: case F_LDABS: case F_LDIND:
		*use = (uint16_t)(R1_R5 | src | (1u << 6));
		*def = 1;
		break;
	case F_CALL_LOCAL: *use = R0_R9 & ~1u; *def = 1; break;
	case F_EXIT: *use = 0x3f; break;
	default: *use = R0_R9; break; /* callx, anything new */
	}
	*use &= R0_R9;
	*def &= R0_R9;
}

/*
 * Whether BPF register reg is certainly not read after insn i: a search
 * along every path from i that stops at a write of reg (dead on that
 * path) and answers "read" at a read of it, at a helper/local call that
 * might read it, or when it runs out of steps (64) or of room for
 * branches (8 pending): a bounded look that can only err towards "read".
 * Only the few runs emit_fold() considers ask, so no pass over the whole
 * program is needed.
 */
static bool dead_search(const struct jx *j, size_t *stack, size_t sp, unsigned reg);

static bool dead_after(const struct jx *j, size_t i, unsigned reg)
{
	const struct userbpf_prog *p = j->prog;
	size_t stack[8], sp = 0;
	uint8_t fmt = ub_opinfo[p->d[i].op].fmt;

	if (fmt == F_JMP_K || fmt == F_JMP_X)
		stack[sp++] = (size_t)p->d[i].off;
	if (fmt == F_JA || fmt == F_JA32)
		stack[sp++] = (size_t)p->d[i].off;
	else if (fmt != F_EXIT)
		stack[sp++] = i + 1;
	return dead_search(j, stack, sp, reg);
}

/* Whether reg is certainly not read from insn pc on (before a write). */
static bool dead_from(const struct jx *j, size_t pc, unsigned reg)
{
	size_t stack[8] = { pc };

	return dead_search(j, stack, 1, reg);
}

/* The search of dead_after(), from the sp insns on the stack.  An exit of
 * the main function reads r0 only (nothing sees r1-r5 after it). */
static bool dead_search(const struct jx *j, size_t *stack, size_t sp, unsigned reg)
{
	const struct userbpf_prog *p = j->prog;
	size_t pc;
	uint16_t bit = (uint16_t)(1u << reg);
	uint32_t seen[64];	/* insns looked at: a path that comes back to
				 * one has nothing new to show (loops) */
	uint64_t seen_lo = 0;	/* bit pc % 64 of each: most steps need not
				 * look through seen[] */
	int steps = 0;
	uint8_t fmt;

	if (reg >= 10)
		return false;
	while (sp) {
		pc = stack[--sp];
		for (;;) {
			const struct ub_dinsn *d;
			uint16_t use, def;
			bool again = false;

			if (pc >= p->cnt || steps >= 64)
				return false;
			if ((seen_lo >> (pc & 63)) & 1)
				for (int q = 0; q < steps; q++)
					again |= seen[q] == pc;
			if (again)
				break;
			seen[steps++] = (uint32_t)pc;
			seen_lo |= 1ull << (pc & 63);
			d = &p->d[pc];
			insn_use_def(d, &use, &def);
			fmt = d->op < UB_OP__COUNT ? ub_opinfo[d->op].fmt : F_LDDW;
			if (fmt == F_EXIT && pc < j->main_end)
				use = 1;
			if (use & bit)
				return false;
			if (def & bit)
				break;
			if (fmt == F_EXIT)
				break;
			if (fmt == F_JA || fmt == F_JA32) {
				pc = (size_t)d->off;
				continue;
			}
			if (fmt == F_JMP_K || fmt == F_JMP_X) {
				if (sp == 8)
					return false;
				stack[sp++] = (size_t)d->off;
			}
			pc++;
		}
	}
	return true;
}

/* Whether insn k may be emitted together with the one before it: only
 * reached from it (no jump lands on it) and no fact asks for its own code. */
static bool fusable(const struct jx *j, size_t k)
{
	return k < j->prog->cnt && !(j->iflag[k] & IF_TARGET) && !j->sunk[k] &&
	       !(jx_facts(j, k) & UB_FACT_INDEX_BOUNDED) && j->prog->d[k].op < UB_OP__COUNT;
}

static bool is_load_into(const struct ub_dinsn *e, unsigned reg)
{
	uint8_t fmt = ub_opinfo[e->op].fmt;

	return (fmt == F_LDX || fmt == F_LDXS) && e->dst == reg && e->src == reg;
}

/*
 * A 16-bit value read a byte at a time, as parsers of network headers do:
 * two byte loads from one base at off and off + 1 into h and l, h <<= 8
 * and h |= l (32 or 64 bits), in any of the orders clang emits
 *   h = b[o]; l = b[o']; h <<= 8; h |= l      l = b[o']; h = b[o]; ...
 *   h = b[o]; h <<= 8; l = b[o']; h |= l
 * is one 16-bit load (o' = o - 1: little-endian) or a 16-bit load and a
 * rotate (o' = o + 1: network order), when l is dead after it.  Finds the
 * four at i: *hp and *lp get the two loads.
 */
static bool match_u16(const struct jx *j, size_t i, const struct ub_dinsn **hp,
		      const struct ub_dinsn **lp)
{
	const struct ub_dinsn *d = j->prog->d, *ld1 = &d[i];
	const struct ub_dinsn *q1, *lh, *ll, *sh, *orr;

	if (ld1->op != UB_OP_LDXB || !fusable(j, i + 1) || !fusable(j, i + 2) ||
	    !fusable(j, i + 3))
		return false;
	q1 = &d[i + 1];
	orr = &d[i + 3];
	if (q1->op == UB_OP_LDXB) {
		sh = &d[i + 2];
		lh = sh->dst == ld1->dst ? ld1 : q1;
		ll = lh == ld1 ? q1 : ld1;
	} else {
		sh = q1;
		lh = ld1;
		ll = &d[i + 2];
		if (ll->op != UB_OP_LDXB)
			return false;
	}
	if ((sh->op != UB_OP_LSH32_K && sh->op != UB_OP_LSH64_K) || sh->imm != 8 ||
	    sh->dst != lh->dst || (orr->op != UB_OP_OR32_X && orr->op != UB_OP_OR64_X) ||
	    orr->dst != lh->dst || orr->src != ll->dst || lh->dst == ll->dst ||
	    lh->src != ll->src || lh->dst == lh->src || ll->dst == ll->src ||
	    (ll->off != lh->off - 1 && ll->off != lh->off + 1) ||
	    !dead_after(j, i + 3, ll->dst))
		return false;
	*hp = lh;
	*lp = ll;
	return true;
}

/* The four of match_u16() as one load from a (its off is added). */
static void emit_u16_at(struct jx *j, const struct ub_dinsn *lh, const struct ub_dinsn *ll,
			struct jx_addr a)
{
	int h = bpf2x[lh->dst];

	a.off += ll->off < lh->off ? ll->off : lh->off;
	x_mema(j, false, false, 0x0fb7, h, a, false);
	if (ll->off > lh->off) {
		emit1(j, 0x66); /* rol r16, 8: network order */
		rex(j, false, 0, 0, h, false);
		emit1(j, 0xc1);
		modrm(j, 3, 0, h);
		emit1(j, 8);
	}
}

/* Emits match_u16()'s four at i on their own; returns 3 (or 0: no match). */
static size_t emit_u16(struct jx *j, size_t i)
{
	const struct ub_dinsn *lh, *ll;

	if (!match_u16(j, i, &lh, &ll))
		return 0;
	emit_u16_at(j, lh, ll, (struct jx_addr){ bpf2x[lh->src], -1, 0, 0 });
	return 3;
}

static bool is_mem(const struct ub_dinsn *d)
{
	uint8_t fmt = ub_opinfo[d->op].fmt;

	return fmt == F_LDX || fmt == F_LDXS || fmt == F_ST || fmt == F_STX;
}

/*
 * Address arithmetic folded into the accesses that use it, when liveness
 * shows the register holding the address is not read afterwards:
 *   [[x = y;] x <<= s;]  [a = b;]  a += x|c|imm;  1-4 accesses through a
 * becomes the accesses alone, at [b + y * 2^s + off] (or [a + c + off]
 * ...; s is 1-3, or `x <<= 32; x >>= 32; [x <<= s]`, for which x gets
 * the zero-extended y first; without `x = y`, y is x).  Needs: nothing jumps into the run, no
 * access writes a register the address is made of (but the last may
 * load into a), a and x are dead after the run, no store stores a or x.
 * Returns how many instructions after i it emitted too.
 */
static size_t emit_fold(struct jx *j, size_t i)
{
	const struct ub_dinsn *d = j->prog->d;
	size_t k = i, first, m;
	int xr = -1, yr = -1, scale = 0, br, ir = -1;
	bool zext = false;
	unsigned a, rd[4];	/* BPF registers the address is made of */
	unsigned last_dst = 10;	/* what the last access loaded into */
	int nrd = 0;
	int64_t disp = 0;
	struct jx_addr ad;

	/* [x = y;] x <<= s  or  [x = y;] x <<= 32; x >>= 32; [x <<= s] */
	{
		size_t q = k;
		int cand = -1, ysrc = -1;

		if (d[k].op == UB_OP_MOV64_X && d[k].dst != d[k].src && fusable(j, k + 1) &&
		    d[k + 1].op == UB_OP_LSH64_K && d[k + 1].dst == d[k].dst) {
			cand = d[k].dst;
			ysrc = d[k].src;
			q = k + 1;
		} else if (d[k].op == UB_OP_LSH64_K) {
			cand = ysrc = d[k].dst;
		}
		if (cand >= 0 && d[q].imm == 32 && fusable(j, q + 1) &&
		    d[q + 1].op == UB_OP_RSH64_K && d[q + 1].dst == cand && d[q + 1].imm == 32) {
			zext = true;
			q += 2;
			if (fusable(j, q) && d[q].op == UB_OP_LSH64_K && d[q].dst == cand &&
			    d[q].imm >= 1 && d[q].imm <= 3)
				scale = (int)d[q++].imm;
		} else if (cand >= 0 && d[q].imm >= 1 && d[q].imm <= 3) {
			scale = (int)d[q++].imm;
		} else {
			cand = -1;
		}
		if (cand >= 0) {
			xr = cand;
			yr = ysrc;
			k = q;
			if (!fusable(j, k))
				return 0;
		}
	}
	/* [a = b;] a += x|c|imm */
	if (d[k].op == UB_OP_MOV64_X && (int)d[k].dst != xr && fusable(j, k + 1) &&
	    d[k + 1].dst == d[k].dst) {
		br = d[k].src;
		k++;
	} else {
		br = d[k].dst;
	}
	a = d[k].dst;
	if (d[k].op == UB_OP_ADD64_X && xr >= 0) {
		if ((int)d[k].src != xr || (int)a == xr || br == xr)
			return 0;
		ir = zext ? xr : yr;
	} else if (d[k].op == UB_OP_ADD64_X && xr < 0) {
		ir = d[k].src == a ? br : d[k].src;
		scale = 0;
	} else if (d[k].op == UB_OP_ADD64_K && xr < 0 && !j->blind) {
		disp = d[k].imm;
	} else {
		return 0;
	}
	if (jx_facts(j, k) & UB_FACT_INDEX_BOUNDED)
		return 0;
	/* the accesses through a */
	rd[nrd++] = (unsigned)br;
	if (ir >= 0)
		rd[nrd++] = (unsigned)ir;
	if (xr >= 0)
		rd[nrd++] = (unsigned)xr;
	rd[nrd++] = a;
	first = k + 1;
	m = first;
	while (m < first + 8 && fusable(j, m)) {
		uint8_t fmt = ub_opinfo[d[m].op].fmt;
		bool load = fmt == F_LDX || fmt == F_LDXS, hits = false;
		const struct ub_dinsn *lh, *ll;
		unsigned w1, w2 = 10;	/* registers the unit writes */

		if (!is_mem(&d[m]) || (load ? d[m].src : d[m].dst) != a)
			break;
		if (fmt == F_STX && (d[m].src == a || (int)d[m].src == xr))
			break;
		if (fmt == F_ST && j->blind)
			break;
		if ((int64_t)d[m].off + disp < INT32_MIN + 1 ||
		    (int64_t)d[m].off + disp > INT32_MAX - 1)
			break;
		if (d[m].op == UB_OP_LDXB && match_u16(j, m, &lh, &ll)) {
			w1 = lh->dst;
			w2 = ll->dst;
			m += 4;
		} else {
			w1 = load ? d[m].dst : 10;
			m++;
		}
		last_dst = w1;
		for (int q = 0; q < nrd; q++)
			hits |= w1 == rd[q] || w2 == rd[q];
		if (hits)
			break; /* later accesses would see the new value: stop */
	}
	if (m == first)
		return 0;
	/* m is one past the last access; the last may have loaded into a
	 * or x, which then need not be dead */
	if (last_dst != a && !dead_after(j, m - 1, a))
		return 0;
	if (xr >= 0 && last_dst != (unsigned)xr && !dead_after(j, m - 1, (unsigned)xr))
		return 0;
	/* emit */
	if (zext)
		mov_rr(j, false, bpf2x[xr], bpf2x[yr]);
	ad.base = bpf2x[br];
	ad.index = ir >= 0 ? bpf2x[ir] : -1;
	ad.scale = ir >= 0 ? scale : 0;
	if (ad.index >= 0 && ad.scale == 0 && (ad.base & 7) == RBP && (ad.index & 7) != RBP) {
		int t = ad.base; /* rbp/r13 as base would need a disp8 */

		ad.base = ad.index;
		ad.index = t;
	}
	for (size_t q = first; q < m;) {
		const struct ub_dinsn *lh, *ll;

		ad.off = (int32_t)disp;
		if (d[q].op == UB_OP_LDXB && match_u16(j, q, &lh, &ll)) {
			emit_u16_at(j, lh, ll, ad);
			q += 4;
		} else {
			ad.off = (int32_t)(d[q].off + disp);
			emit_mem_at(j, &d[q], ad);
			q++;
		}
	}
	return m - 1 - i;
}

/*
 * Runs of instructions with a shorter x86 equivalent, when nothing jumps
 * into the run (so its later instructions only ever run right after the
 * first), as local rewrites that need no liveness:
 *   mov a, b; add a, c|imm; a = *(a + off) ->  mov a, [b + c|imm + off]
 *   a += c; a = *(a + off)                  ->  mov a, [a + c + off]
 *   mov a, b; a <<= 32; a >>= 32            ->  mov a32, b32
 *   mov a, b; add a, c|imm                  ->  lea a, [b + c|imm] (64, 32)
 *   a <<= 32; a >>= 32                      ->  mov a32, a32
 *   a <<= 32; a s>>= 32                     ->  movsxd a, a32
 * (the loads overwrite a, so the address they leave out is never seen).
 * Immediates are only folded without blinding.  Returns how many
 * instructions after i it emitted too (they then emit nothing).
 */
/*
 * `a = b; a &= c|imm; [moves]; if a OP 0 goto L` with a dead after the
 * jump (a mask test, as `if (x & MASK)` compiles): `test b, c|imm`, whose
 * flags are those the and would leave, and the jump then reuses them
 * (emit_jcc).  The moves in between (of other registers) keep the flags;
 * nothing may jump into the run, up to the jump.  Returns 1, or 0.
 */
static size_t emit_test_fused(struct jx *j, size_t i)
{
	const struct ub_dinsn *d = j->prog->d, *e = &d[i + 1];
	size_t k;

	if (d[i].op != UB_OP_MOV64_X || !fusable(j, i + 1) || e->dst != d[i].dst ||
	    (e->op != UB_OP_AND64_X && !(e->op == UB_OP_AND64_K && !j->blind)) ||
	    (e->op == UB_OP_AND64_X && e->src == d[i].dst))
		return 0;
	for (k = i + 2;; k++) {
		uint16_t use, def;

		if (k > i + 5 || !fusable(j, k))
			return 0;
		if (ub_opinfo[d[k].op].fmt == F_JMP_K)
			break;
		/* only moves (not xor-zeroing) of other registers */
		if ((d[k].op != UB_OP_MOV64_X && d[k].op != UB_OP_MOV32_X &&
		     !((d[k].op == UB_OP_MOV64_K || d[k].op == UB_OP_MOV32_K) && d[k].imm && !j->blind)) ||
		    d[k].dst == d[i].dst)
			return 0;
		insn_use_def(&d[k], &use, &def);
		if (use & (1u << d[i].dst))
			return 0;
	}
	if (d[k].dst != d[i].dst || d[k].imm != 0 || (ub_opinfo[d[k].op].code & 0xf0) == 0x40 ||
	    UB_CLASS(ub_opinfo[d[k].op].code) != UB_CLS_JMP || !dead_after(j, k, d[i].dst))
		return 0;
	if (e->op == UB_OP_AND64_X) {
		x_rr(j, true, 0x85, bpf2x[e->src], bpf2x[d[i].src]);	/* test b, c */
	} else {
		rex(j, true, 0, 0, bpf2x[d[i].src], false);		/* test b, imm */
		emit1(j, 0xf7);
		modrm(j, 3, 0, bpf2x[d[i].src]);
		emit4(j, (uint32_t)e->imm);
	}
	j->flags = (struct jx_flags){ bpf2x[d[i].dst], true, true };
	return 1;
}

static size_t emit_fused(struct jx *j, size_t i)
{
	const struct ub_dinsn *d = &j->prog->d[i], *e = d + 1, *f = d + 2;
	size_t folded;
	int a, b;

	if (d->op == UB_OP_LDXB)
		return emit_u16(j, i);
	if (d->op != UB_OP_MOV64_X && d->op != UB_OP_MOV32_X && d->op != UB_OP_ADD64_X &&
	    d->op != UB_OP_ADD64_K && d->op != UB_OP_LSH64_K)
		return 0; /* what every rule starts with */
	folded = emit_fold(j, i);
	if (folded)
		return folded;
	if (emit_test_fused(j, i))
		return 1;
	if (!fusable(j, i + 1) || e->dst != d->dst || (jx_facts(j, i) & UB_FACT_INDEX_BOUNDED))
		return 0;
	a = bpf2x[d->dst];
	b = bpf2x[d->src];
	if (d->op == UB_OP_MOV64_X && fusable(j, i + 2) && is_load_into(f, d->dst)) {
		if (e->op == UB_OP_ADD64_X) {
			int c = e->src == e->dst ? b : bpf2x[e->src];

			emit_load(j, f, b, c, f->off);
			return 2;
		}
		if (e->op == UB_OP_ADD64_K && !j->blind && (int64_t)e->imm + f->off >= INT32_MIN &&
		    (int64_t)e->imm + f->off <= INT32_MAX) {
			emit_load(j, f, b, -1, (int32_t)(e->imm + f->off));
			return 2;
		}
	}
	if (d->op == UB_OP_ADD64_X && is_load_into(e, d->dst)) {
		emit_load(j, e, a, b, e->off);
		return 1;
	}
	if (d->op == UB_OP_MOV64_X && e->op == UB_OP_LSH64_K && e->imm == 32 && fusable(j, i + 2) &&
	    f->op == UB_OP_RSH64_K && f->imm == 32 && f->dst == d->dst) {
		mov_rr(j, false, a, b);
		return 2;
	}
	if ((d->op == UB_OP_MOV64_X && e->op == UB_OP_ADD64_X) ||
	    (d->op == UB_OP_MOV32_X && e->op == UB_OP_ADD32_X)) {
		int c = e->src == e->dst ? b : bpf2x[e->src];

		if ((b & 7) == RBP && (c & 7) != RBP)
			x_lea(j, d->op == UB_OP_MOV64_X, a, c, b, 0); /* no disp8 */
		else
			x_lea(j, d->op == UB_OP_MOV64_X, a, b, c, 0);
		return 1;
	}
	if (!j->blind && ((d->op == UB_OP_MOV64_X && e->op == UB_OP_ADD64_K) ||
			  (d->op == UB_OP_MOV32_X && e->op == UB_OP_ADD32_K))) {
		x_mem(j, false, d->op == UB_OP_MOV64_X, 0x8d, a, b, (int32_t)e->imm, false);
		return 1;
	}
	if (d->op == UB_OP_LSH64_K && d->imm == 32 && e->op == UB_OP_RSH64_K && e->imm == 32) {
		mov_rr(j, false, a, a);
		return 1;
	}
	if (d->op == UB_OP_LSH64_K && d->imm == 32 && e->op == UB_OP_ARSH64_K && e->imm == 32) {
		x_rr(j, true, 0x63, a, a);
		return 1;
	}
	return 0;
}

/*
 * `r = *(u64 *)(b + off); if x OP r` (or r OP x, r OP imm; u32 loads with
 * 32-bit jumps) compares with memory directly when r is dead after the
 * jump: the load emits nothing and emit_jcc() takes its operand.  Clang
 * reloads spilled loop bounds so.
 */
static bool defer_load(struct jx *j, size_t i)
{
	const struct ub_dinsn *d = &j->prog->d[i], *e = d + 1;
	uint8_t fmt;
	bool w;

	if ((d->op != UB_OP_LDXDW && d->op != UB_OP_LDXW) || !fusable(j, i + 1))
		return false;
	fmt = ub_opinfo[e->op].fmt;
	w = UB_CLASS(ub_opinfo[e->op].code) == UB_CLS_JMP;
	if ((fmt != F_JMP_X && fmt != F_JMP_K) || w != (d->op == UB_OP_LDXDW) ||
	    (fmt == F_JMP_K && (e->dst != d->dst || j->blind)) ||
	    (fmt == F_JMP_X && (e->dst == d->dst) == (e->src == d->dst)) ||
	    !dead_after(j, i + 1, d->dst))
		return false;
	j->deferred = i + 1;
	return true;
}

/* Emits instruction i; in_main tells which epilogue exit uses. */
/*
 * bpf_map_lookup_elem(map, key) on an ARRAY map that a lddw names in the
 * same block (nothing jumps in between, nothing else writes r1): the map
 * the call sees is known at compile time, so the JIT inlines the lookup,
 * as Linux's array_map_gen_lookup does.  So also on a PERCPU_ARRAY when
 * j->rdpid (emit_percpu_lookup).  Returns the map, or NULL.
 */
static const struct userbpf_map *inline_array(const struct jx *j, size_t i)
{
	const struct userbpf_prog *p = j->prog;

	if (p->insns[i].imm != 1 || j->blind)
		return NULL;
	for (size_t k = i; k-- > 0 && i - k <= 16;) {
		const struct ub_dinsn *e = &p->d[k];
		uint16_t use, def;
		uint8_t fmt;

		if (j->iflag[k + 1] & IF_TARGET)
			return NULL;
		if (e->op == UB_OP__LDDW_HI)
			continue;
		if ((e->op == UB_OP_LDDW_MAP_FD || e->op == UB_OP_LDDW_MAP_IDX) && e->dst == 1) {
			const struct userbpf_map *m = (const struct userbpf_map *)(uintptr_t)e->imm;

			return m->def.type == UB_MAP_ARRAY ||
			       (m->def.type == UB_MAP_PERCPU_ARRAY && j->rdpid) ? m : NULL;
		}
		fmt = ub_opinfo[e->op].fmt;
		if (fmt == F_CALL || fmt == F_CALL_LOCAL || fmt == F_CALLX)
			return NULL;
		insn_use_def(e, &use, &def);
		if (def & 2)
			return NULL;
	}
	return NULL;
}

/* cmp r10d, max_entries */
static void cmp_max(struct jx *j, uint32_t max)
{
	if (max <= INT32_MAX) {
		alu_ri(j, false, 7, TMP, (int32_t)max);
	} else {
		mov_ri(j, false, TMP2, max);
		x_rr(j, false, 0x39, TMP2, TMP);
	}
}

/* reg *= k, a constant of the map's layout (not the program's: not
 * blinded); through scratch when k does not fit an imm32. */
static void imul_layout(struct jx *j, int reg, uint64_t k, int scratch)
{
	if (k <= INT32_MAX) {
		x_rr(j, true, 0x69, reg, reg);				/* imul reg, reg, k */
		emit4(j, (uint32_t)k);
	} else {
		load_imm64(j, scratch, k);
		x_rr(j, true, 0x0faf, reg, scratch);			/* imul reg, scratch */
	}
}

/*
 * r10 = the u32 key r2 points to, masked to 0 unless below max (sbb: all
 * ones when below, else zero), so that a mispredicted bounds check cannot
 * index past the array (Spectre v1).  Returns the jump taken when the key
 * is out of range, for the caller to place.
 */
static size_t emit_key_index(struct jx *j, uint32_t max)
{
	size_t l_out;

	x_mem(j, false, false, 0x8b, TMP, bpf2x[2], 0, false);	/* mov r10d, [key] */
	cmp_max(j, max);
	l_out = jcc8_fwd(j, CC_AE);
	cmp_max(j, max);
	x_rr(j, true, 0x19, TMP2, TMP2);			/* sbb r11, r11 */
	x_rr(j, true, 0x21, TMP2, TMP);				/* and r10, r11 */
	return l_out;
}

/*
 * r0 = key < max_entries ? data + key * elem : NULL.  After the bounds
 * check the index is masked (sbb: all ones when below, else zero), so a
 * mispredicted check cannot read past the array (Spectre v1).
 */
static void emit_array_lookup(struct jx *j, const struct userbpf_map *m)
{
	int r0 = bpf2x[0];
	uint32_t max = m->def.max_entries;
	uint64_t elem = ub_map_percpu_stride(m->def.value_size);
	size_t l_null, l_done;

	l_null = emit_key_index(j, max);
	imul_layout(j, TMP, elem, TMP2);
	load_imm64(j, r0, (uint64_t)(uintptr_t)m->data);
	x_rr(j, true, 0x01, TMP, r0);				/* add r0, r10 */
	l_done = jmp8_fwd(j);
	label_here(j, l_null);
	mov_ri(j, true, r0, 0);
	label_here(j, l_done);
}

/*
 * The same on a PERCPU_ARRAY, with the CPU the helper would pick
 * (ub_os_cpu() % ncpus, ub_os_cpu() being sched_getcpu()): Linux keeps
 * (node << 12) | cpu in TSC_AUX on every CPU, which rdpid reads, and
 * which is where the vDSO's getcpu takes it from.  A CPU number at or
 * past ncpus (the map's, fixed at its creation) goes to the map's own
 * lookup, as the helper does in JIT code (c->fast: no checks, no abort),
 * so there is no pending abort to look for, and this instruction has no
 * jump of variable size.  Only for the System V ABI on Linux
 * (j->rdpid): Windows keeps a different number in TSC_AUX.
 *
 *	mov r10d, [key]; cmp r10d, max; jae null; (mask r10 as above)
 *	rdpid r11; and r11d, 0xfff; cmp r11d, ncpus; jae slow
 *	imul r10, r10, row; imul r11, r11, slot
 *	mov rax, data; add rax, r10; add rax, r11; jmp done
 * slow: mov rax, lookup; call rax (r1 = the map, r2 = the key); jmp done
 * null: xor eax, eax
 * done:
 */
static void emit_percpu_lookup(struct jx *j, const struct userbpf_map *m)
{
	int r0 = bpf2x[0];
	uint32_t max = m->def.max_entries;
	uint64_t row = ub_percpu_array_row(m), slot = ub_percpu_array_slot(m);
	size_t l_null, l_slow, l_done1, l_done2;

	l_null = emit_key_index(j, max);
	emit1(j, 0xf3);						/* rdpid r11 */
	rex(j, false, 0, 0, TMP2, false);
	emit1(j, 0x0f);
	emit1(j, 0xc7);
	modrm(j, 3, 7, TMP2);
	alu_ri(j, false, 4, TMP2, 0xfff);			/* and r11d, 0xfff */
	alu_ri(j, false, 7, TMP2, (int32_t)m->ncpus);		/* cmp r11d, ncpus */
	l_slow = jcc8_fwd(j, CC_AE);
	imul_layout(j, TMP, row, r0);
	imul_layout(j, TMP2, slot, r0);
	load_imm64(j, r0, (uint64_t)(uintptr_t)m->data);
	x_rr(j, true, 0x01, TMP, r0);				/* add rax, r10 */
	x_rr(j, true, 0x01, TMP2, r0);				/* add rax, r11 */
	l_done1 = jmp8_fwd(j);
	label_here(j, l_slow);
	mov_ri(j, true, RAX, (int64_t)(uintptr_t)m->ops->lookup);
	emit1(j, 0xff);
	modrm(j, 3, 2, RAX);					/* call rax */
	l_done2 = jmp8_fwd(j);
	label_here(j, l_null);
	mov_ri(j, true, r0, 0);
	label_here(j, l_done1);
	label_here(j, l_done2);
}

/* ---- loop idioms (jit_loops.c finds them) ---- */

/*
 * A loop that ub_loop_idiom_find() recognises gets a preamble: code placed
 * before the loop's first instruction x, which every way into x but the
 * loop's own jump back passes through.  It works out how many iterations
 * K may run as a block operation (jit_internal.h says the conditions; with
 * two index tests, the smaller count), runs them 32 bytes at a time with
 * SSE2 (xmm0-xmm5, volatile in both ABIs), adds K * step to each
 * induction variable (and a sum's total to its register) and falls into
 * the ordinary loop, which runs the rest, the last iteration always among
 * them: so registers and memory at the exit are the ordinary code's own.
 * Not with blinding (the preamble has the program's constants in it).
 * A 16-bit sum adds words (byte-swapped in place when big-endian) into
 * 32-bit lanes, low and high word of each dword apart, then folds the
 * lanes: sums mod 2^32 do not depend on the order.
 *
 * A compare loop stops at the first 32-byte block that is not all equal.
 * It must not read what the ordinary loop would not (that loop may stop at
 * the difference, before memory that is not mapped), so a block that
 * crosses a page boundary in either stream is compared an element at a
 * time, stopping at the first difference as the ordinary code does;
 * every other block lies in a page the loop reads anyway.
 *
 * Layout: the preamble is insn x's code from caddr[x] (before a loop
 * head's padding) to addr[x]; jumps to x but the loop's own carry JT_PRE
 * and land on caddr[x].  It only jumps inside itself, so it moves with
 * x's code as it is.  Only insns that some backward jump spans are looked
 * at, which keeps the search off straight-line code.
 */
#define LOOP_BLOCK 32

/* x86 registers of a preamble: R9, R10, R11, then the loop's dead
 * temporaries. */
struct loop_regs {
	int lim, idx, p0, p1, msk, nx, t2;
	bool shared;		/* both streams off one base: p1 == p0 */
};

static int loop_log2(uint64_t v)
{
	int l = 0;

	while (l < 63 && (1ull << l) < v)
		l++;
	return (1ull << l) == v ? l : -1;
}

static bool fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

static bool loop_plan(const struct jx *j, const struct ub_loop_idiom *l, struct loop_regs *r)
{
	int pool[3 + 10], np = 0, need;
	const struct ub_loop_addr *a0 = &l->a[0], *a1 = &l->a[1];

	pool[np++] = R9;
	pool[np++] = TMP;
	pool[np++] = TMP2;
	for (int q = 0; q < 10; q++)
		if ((l->temps >> q) & 1)
			pool[np++] = bpf2x[q];
	r->shared = l->kind == UB_LOOP_SET || l->kind == UB_LOOP_SUM16 ||
		    (a0->base == a1->base && a0->index == a1->index && a0->scale == a1->scale);
	need = 2 + (a0->index >= 0) + (!r->shared && a1->index >= 0) +
	       (l->kind == UB_LOOP_CMP ? 2 : 0) + (l->ntest == 2);
	if (np < need)
		return false;
	r->lim = pool[0];
	r->idx = pool[1];
	np = 2;
	/* a stream at a register + disp is addressed off that register */
	r->p0 = a0->index < 0 ? bpf2x[a0->base] : pool[np++];
	r->p1 = r->shared ? r->p0 : a1->index < 0 ? bpf2x[a1->base] : pool[np++];
	r->msk = l->kind == UB_LOOP_CMP ? pool[np++] : -1;
	r->nx = l->kind == UB_LOOP_CMP ? pool[np++] : -1;
	r->t2 = l->ntest == 2 ? pool[np++] : -1;
	if (l->kind == UB_LOOP_COPY && r->shared) {
		/* the distance is known now: refuse what may feed itself */
		int64_t g = (int64_t)a1->disp - a0->disp;

		if (g >= 1 && g <= LOOP_BLOCK - 1)
			return false;
	}
	if (l->kind == UB_LOOP_SET && l->val_reg >= 0 && !fits32(l->val))
		return false;
	for (int q = 0; q < l->ntest; q++)
		if ((l->test[q].bound_reg >= 0 && !fits32(l->test[q].bound)) ||
		    !fits32(l->test[q].off) || (l->test[q].rel != UB_REL_NE && l->test[q].w32))
			return false;
	for (int q = 0; q < l->niv; q++)
		if (l->iv[q].step < INT32_MIN || l->iv[q].step > INT32_MAX)
			return false;
	return !j->blind && loop_log2(l->w) >= 0;
}

/* reg += c (w: 64 bits, else 32 and zero-extended); the plan made sure
 * that a 64-bit c fits an imm32. */
static void add_const(struct jx *j, bool w, int reg, int64_t c)
{
	if (c)
		alu_ri(j, w, 0, reg, (int32_t)c);
}

/* A forward jump with a rel32, patched by label32_here(). */
static size_t jcc32_fwd(struct jx *j, int cc)
{
	if (cc < 0) {
		emit1(j, 0xe9);
	} else {
		emit1(j, 0x0f);
		emit1(j, (uint8_t)(0x80 | cc));
	}
	emit4(j, 0);
	return j->len;
}

static void label32_here(struct jx *j, size_t after_jump)
{
	uint32_t d = (uint32_t)(j->len - after_jump);

	for (int b = 0; b < 4; b++)
		patch1(j, after_jump - 4 + (size_t)b, (uint8_t)(d >> (8 * b)));
}

/* A backward conditional jump to `to` (rel8: loops of the preamble). */
static void jcc8_back(struct jx *j, int cc, size_t to)
{
	int64_t rel = (int64_t)to - (int64_t)(j->len + 2);

	if (rel < -128) {
		j->err = j->err ? j->err : -E2BIG;
		return;
	}
	emit1(j, (uint8_t)(0x70 | cc));
	emit1(j, (uint8_t)(int8_t)rel);
}

/* SSE: [pfx] [REX] 0f op, register operands (w: REX.W). */
static void sse_rr(struct jx *j, uint8_t pfx, bool w, uint8_t op, int reg, int rm)
{
	if (pfx)
		emit1(j, pfx);
	rex(j, w, reg, 0, rm, false);
	emit1(j, 0x0f);
	emit1(j, op);
	modrm(j, 3, reg, rm);
}

/* SSE with a memory operand a. */
static void sse_mem(struct jx *j, uint8_t pfx, uint8_t op, int reg, struct jx_addr a)
{
	emit1(j, pfx);
	x_mema(j, false, false, 0x0f00u | op, reg, a, false);
}

enum { X0, X1, X2, X3, X4, X5 };

/* paddb/w/d/q dst, src by lane width */
static void padd(struct jx *j, unsigned w, int dst, int src)
{
	static const uint8_t op[9] = { [1] = 0xfc, [2] = 0xfd, [4] = 0xfe, [8] = 0xd4 };

	sse_rr(j, 0x66, false, op[w], dst, src);
}

/* Every lane of x (w bytes wide) = its lane 0. */
static void bcast(struct jx *j, unsigned w, int x)
{
	if (w == 1)
		sse_rr(j, 0x66, false, 0x60, x, x);	/* punpcklbw */
	if (w <= 2) {
		sse_rr(j, 0xf2, false, 0x70, x, x);	/* pshuflw x, x, 0 */
		emit1(j, 0);
	}
	if (w == 4) {
		sse_rr(j, 0x66, false, 0x70, x, x);	/* pshufd x, x, 0 */
		emit1(j, 0);
	} else {
		sse_rr(j, 0x66, false, 0x6c, x, x);	/* punpcklqdq */
	}
}

/* movq x, gpr */
static void movq_xg(struct jx *j, int x, int g)
{
	sse_rr(j, 0x66, true, 0x6e, x, g);
}

/* xmm0, xmm1 = the values of the first two 16-byte halves of a set; xmm2
 * = what each block adds to them.  Uses g. */
static void set_vectors(struct jx *j, const struct ub_loop_idiom *l, int g)
{
	unsigned w = l->w, lanes = 16 / w;
	uint64_t mask = w == 8 ? ~0ull : (1ull << (8 * w)) - 1, half[2] = { 0, 0 };

	if (l->val_reg >= 0) {
		mov_rr(j, true, g, bpf2x[l->val_reg]);
		add_const(j, true, g, l->val);
	} else {
		mov_ri(j, true, g, l->val);
	}
	movq_xg(j, X0, g);
	bcast(j, w, X0);
	if (!l->val_step) {
		sse_rr(j, 0x66, false, 0x6f, X1, X0);		/* movdqa */
		return;
	}
	for (unsigned i = 0; i < lanes; i++) {
		uint64_t v = (uint64_t)i * (uint64_t)l->val_step & mask;
		unsigned bit = i * w * 8;

		half[bit / 64] |= v << (bit % 64);
	}
	mov_ri(j, true, g, (int64_t)half[0]);
	movq_xg(j, X3, g);
	mov_ri(j, true, g, (int64_t)half[1]);
	movq_xg(j, X4, g);
	sse_rr(j, 0x66, false, 0x6c, X3, X4);			/* punpcklqdq */
	padd(j, w, X0, X3);					/* lane i: v + i*step */
	mov_ri(j, true, g, (int64_t)((uint64_t)lanes * (uint64_t)l->val_step & mask));
	movq_xg(j, X2, g);
	bcast(j, w, X2);
	sse_rr(j, 0x66, false, 0x6f, X1, X0);			/* movdqa */
	padd(j, w, X1, X2);
	padd(j, w, X2, X2);
}

/* g = base + index << scale of a (its disp stays in the accesses); a
 * stream without an index is addressed off its base register itself. */
static void loop_base(struct jx *j, const struct ub_loop_addr *a, int g)
{
	if (a->index >= 0)
		x_mema(j, false, true, 0x8d, g,
		       (struct jx_addr){ bpf2x[a->base], bpf2x[a->index], a->scale, 0 }, false);
}

/* nx = the offset (from idx, a multiple of the block) of the next block
 * that crosses a page boundary in stream a (base p), if before nx. */
static void next_cross(struct jx *j, int p, const struct ub_loop_addr *a, const struct loop_regs *r)
{
	int t = r->msk;
	size_t l_none;

	x_mema(j, false, true, 0x8d, t, (struct jx_addr){ p, r->idx, 0, a->disp }, false);
	x_rr(j, true, 0xf7, 3, t);				/* neg: 4096 - offset */
	alu_ri(j, false, 4, t, 4095);
	rex(j, false, 0, 0, t, false);				/* test t, 31 */
	emit1(j, 0xf7);
	modrm(j, 3, 0, t);
	emit4(j, LOOP_BLOCK - 1);
	l_none = jcc8_fwd(j, CC_E);				/* aligned: never */
	alu_ri(j, false, 4, t, -LOOP_BLOCK);
	x_rr(j, true, 0x01, r->idx, t);				/* t += idx */
	x_rr(j, true, 0x39, r->nx, t);				/* cmp t, nx */
	x_rr(j, true, 0x0f42, r->nx, t);			/* cmovb nx, t */
	label_here(j, l_none);
}

/* The element-wise compare of the block at idx (it crosses a page):
 * leaves through *l_diff at the first difference, idx unchanged. */
static void cmp_careful(struct jx *j, const struct ub_loop_idiom *l, const struct loop_regs *r,
			size_t *l_diff)
{
	unsigned w = l->w;
	int t = r->nx, v = r->msk;
	struct jx_addr a0 = { r->p0, t, 0, l->a[0].disp }, a1 = { r->p1, t, 0, l->a[1].disp };
	size_t top;

	mov_rr(j, true, t, r->idx);
	top = j->len;
	switch (w) {
	case 1:
		x_mema(j, false, false, 0x0fb6, v, a0, false);	/* movzx */
		x_mema(j, false, false, 0x3a, v, a1, true);	/* cmp v8, [a1] */
		break;
	case 2:
		x_mema(j, false, false, 0x0fb7, v, a0, false);
		x_mema(j, true, false, 0x3b, v, a1, false);
		break;
	default:
		x_mema(j, false, w == 8, 0x8b, v, a0, false);
		x_mema(j, false, w == 8, 0x3b, v, a1, false);
		break;
	}
	*l_diff = jcc32_fwd(j, CC_NE);
	alu_ri(j, true, 0, t, (int32_t)w);
	x_mema(j, false, true, 0x8d, v, (struct jx_addr){ r->idx, -1, 0, LOOP_BLOCK }, false);
	x_rr(j, true, 0x39, v, t);				/* cmp t, idx + block */
	jcc8_back(j, CC_B, top);
}

static void shift_ri(struct jx *j, bool w, int digit, int reg, int n)
{
	rex(j, w, 0, 0, reg, false);
	emit1(j, 0xc1);
	modrm(j, 3, digit, reg);
	emit1(j, (uint8_t)n);
}

/*
 * res = T of index test t (jit_internal.h), or a jump to the end of the
 * preamble (skip[]) when T is 0, the test never leaves, or T is beyond
 * 2^40 (no buffer is that big: the ordinary code may have it).  tmp is
 * scratch.
 */
static void emit_trip(struct jx *j, const struct ub_loop_test *t, int res, int tmp, size_t *skip,
		      size_t *ns)
{
	bool w = !t->w32;
	int64_t s = t->step;
	int sl = loop_log2(s < 0 ? (uint64_t)-s : (uint64_t)s);
	uint32_t mask = (1u << sl) - 1;

	/* b */
	if (t->mem) {
		struct jx_addr m = { bpf2x[t->bound_reg], -1, 0, (int32_t)t->bound };

		switch (t->mem) {
		case 1: x_mema(j, false, false, 0x0fb6, res, m, false); break;
		case 2: x_mema(j, false, false, 0x0fb7, res, m, false); break;
		case 4: x_mema(j, false, false, 0x8b, res, m, false); break;
		default: x_mema(j, false, true, 0x8b, res, m, false); break;
		}
		if (!w)
			mov_rr(j, false, res, res);
	} else if (t->bound_reg >= 0) {
		mov_rr(j, w, res, bpf2x[t->bound_reg]);
		add_const(j, w, res, t->bound);
	} else {
		mov_ri(j, w, res, w ? t->bound : (int64_t)(uint32_t)t->bound);
	}
	/* v */
	mov_rr(j, w, tmp, bpf2x[t->reg]);
	add_const(j, w, tmp, t->off);
	switch (t->rel) {
	case UB_REL_NE:
		if (s > 0) {
			x_rr(j, w, 0x29, tmp, res);			/* res = b - v */
		} else {
			x_rr(j, w, 0x29, res, tmp);			/* res = v - b */
			mov_rr(j, true, res, tmp);
		}
		if (sl) {
			rex(j, w, 0, 0, res, false);			/* test res, |s| - 1 */
			emit1(j, 0xf7);
			modrm(j, 3, 0, res);
			emit4(j, mask);
			skip[(*ns)++] = jcc32_fwd(j, CC_NE);		/* never leaves */
		}
		break;
	case UB_REL_LT: case UB_REL_LE:
		x_rr(j, true, 0x39, res, tmp);				/* cmp v, b */
		skip[(*ns)++] = jcc32_fwd(j, t->rel == UB_REL_LT ? CC_AE : CC_A);
		x_rr(j, true, 0x29, tmp, res);				/* res = b - v */
		break;
	default:
		x_rr(j, true, 0x39, res, tmp);
		skip[(*ns)++] = jcc32_fwd(j, t->rel == UB_REL_GT ? CC_BE : CC_B);
		x_rr(j, true, 0x29, res, tmp);				/* res = v - b */
		mov_rr(j, true, res, tmp);
		break;
	}
	if ((t->rel == UB_REL_LT || t->rel == UB_REL_GT) && mask)
		alu_ri(j, true, 0, res, (int32_t)mask);			/* round up */
	if (sl)
		shift_ri(j, true, 5, res, sl);
	if (w) {
		mov_rr(j, true, tmp, res);
		shift_ri(j, true, 5, tmp, 40);
		skip[(*ns)++] = jcc32_fwd(j, CC_NE);
	}
	if (t->rel == UB_REL_LE || t->rel == UB_REL_GE)
		alu_ri(j, true, 0, res, 1);				/* this one too */
}

/* The sum of 16-bit words: xmm0, xmm1 hold 32-bit partial sums, xmm5 the
 * mask of a dword's low word. */
static void sum16_block(struct jx *j, const struct ub_loop_idiom *l, int x, struct jx_addr a)
{
	sse_mem(j, 0xf3, 0x6f, x, a);				/* movdqu */
	if (l->swap) {
		sse_rr(j, 0x66, false, 0x6f, X4, x);		/* movdqa */
		sse_rr(j, 0x66, false, 0x71, 2, x);		/* psrlw x, 8 */
		emit1(j, 8);
		sse_rr(j, 0x66, false, 0x71, 6, X4);		/* psllw x4, 8 */
		emit1(j, 8);
		sse_rr(j, 0x66, false, 0xeb, x, X4);		/* por */
	}
	sse_rr(j, 0x66, false, 0x6f, X4, x);
	sse_rr(j, 0x66, false, 0xdb, x, X5);			/* pand: low words */
	sse_rr(j, 0x66, false, 0x72, 2, X4);			/* psrld x4, 16: high */
	emit1(j, 16);
	sse_rr(j, 0x66, false, 0xfe, X0, x);			/* paddd */
	sse_rr(j, 0x66, false, 0xfe, X1, X4);
}

static void emit_loop_pre(struct jx *j, size_t x)
{
	struct ub_loop_idiom l;
	struct loop_regs r;
	int wl, lim, idx;
	size_t skip[16], ns = 0, l_diff = 0, l_diff2 = 0, l_care = 0, l_out = 0, top, next;

	if (!ub_loop_idiom_find(j->prog, x, &l) || !loop_plan(j, &l, &r))
		return;
	wl = loop_log2(l.w);
	lim = r.lim;
	idx = r.idx;
	/* T: the first iteration an index test leaves in */
	emit_trip(j, &l.test[0], lim, idx, skip, &ns);
	if (l.ntest == 2) {
		emit_trip(j, &l.test[1], idx, r.t2, skip, &ns);
		x_rr(j, true, 0x39, idx, lim);			/* cmp lim, idx */
		x_rr(j, true, 0x0f47, lim, idx);		/* cmova lim, idx */
	}
	if (wl) {
		rex(j, true, 0, 0, lim, false);			/* shl lim, wl: bytes */
		emit1(j, 0xc1);
		modrm(j, 3, 4, lim);
		emit1(j, (uint8_t)wl);
	}
	alu_ri(j, true, 4, lim, -LOOP_BLOCK);			/* whole blocks */
	skip[ns++] = jcc32_fwd(j, CC_E);
	loop_base(j, &l.a[0], r.p0);
	if (!r.shared)
		loop_base(j, &l.a[1], r.p1);
	if (l.kind == UB_LOOP_COPY && !r.shared) {
		/* (to + d1) - (from + d0) - 1 below block - 1: it feeds itself */
		mov_rr(j, true, idx, r.p1);
		x_rr(j, true, 0x29, r.p0, idx);
		add_const(j, true, idx, (int64_t)l.a[1].disp - l.a[0].disp - 1);
		alu_ri(j, true, 7, idx, LOOP_BLOCK - 1);
		skip[ns++] = jcc32_fwd(j, CC_B);
	}
	if (l.kind == UB_LOOP_SET)
		set_vectors(j, &l, idx);
	if (l.kind == UB_LOOP_SUM16) {
		sse_rr(j, 0x66, false, 0xef, X0, X0);		/* pxor */
		sse_rr(j, 0x66, false, 0xef, X1, X1);
		sse_rr(j, 0x66, false, 0x76, X5, X5);		/* pcmpeqd: ones */
		sse_rr(j, 0x66, false, 0x72, 2, X5);		/* psrld x5, 16 */
		emit1(j, 16);
	}
	x_rr(j, false, 0x31, idx, idx);				/* idx = 0 */
	if (l.kind == UB_LOOP_CMP) {
		mov_ri(j, true, r.nx, -1);
		next_cross(j, r.p0, &l.a[0], &r);
		next_cross(j, r.p1, &l.a[1], &r);
	}
	/* the block loop */
	top = j->len;
	if (l.kind == UB_LOOP_CMP) {
		struct jx_addr a0 = { r.p0, idx, 0, l.a[0].disp }, a1 = { r.p1, idx, 0, l.a[1].disp };
		struct jx_addr b0 = a0, b1 = a1;

		b0.off += 16;
		b1.off += 16;
		x_rr(j, true, 0x39, r.nx, idx);			/* cmp idx, nx */
		l_care = jcc32_fwd(j, CC_E);
		sse_mem(j, 0xf3, 0x6f, X0, a0);			/* movdqu */
		sse_mem(j, 0xf3, 0x6f, X1, a1);
		sse_mem(j, 0xf3, 0x6f, X2, b0);
		sse_mem(j, 0xf3, 0x6f, X3, b1);
		sse_rr(j, 0x66, false, 0x74, X0, X1);		/* pcmpeqb */
		sse_rr(j, 0x66, false, 0x74, X2, X3);
		sse_rr(j, 0x66, false, 0xdb, X0, X2);		/* pand */
		sse_rr(j, 0x66, false, 0xd7, r.msk, X0);	/* pmovmskb */
		alu_ri(j, false, 7, r.msk, 0xffff);
		l_diff = jcc32_fwd(j, CC_NE);
	} else if (l.kind == UB_LOOP_SUM16) {
		struct jx_addr a0 = { r.p0, idx, 0, l.a[0].disp }, b0 = a0;

		b0.off += 16;
		sum16_block(j, &l, X2, a0);
		sum16_block(j, &l, X3, b0);
	} else if (l.kind == UB_LOOP_COPY) {
		struct jx_addr a0 = { r.p0, idx, 0, l.a[0].disp }, a1 = { r.p1, idx, 0, l.a[1].disp };
		struct jx_addr b0 = a0, b1 = a1;

		b0.off += 16;
		b1.off += 16;
		sse_mem(j, 0xf3, 0x6f, X0, a0);
		sse_mem(j, 0xf3, 0x6f, X1, b0);
		sse_mem(j, 0xf3, 0x7f, X0, a1);
		sse_mem(j, 0xf3, 0x7f, X1, b1);
	} else {
		struct jx_addr a0 = { r.p0, idx, 0, l.a[0].disp }, b0 = a0;

		b0.off += 16;
		sse_mem(j, 0xf3, 0x7f, X0, a0);
		sse_mem(j, 0xf3, 0x7f, X1, b0);
		if (l.val_step) {
			padd(j, l.w, X0, X2);
			padd(j, l.w, X1, X2);
		}
	}
	next = j->len;
	alu_ri(j, true, 0, idx, LOOP_BLOCK);
	x_rr(j, true, 0x39, lim, idx);				/* cmp idx, lim */
	jcc8_back(j, CC_B, top);
	if (l.kind == UB_LOOP_CMP) {
		/* a block across a page boundary, an element at a time */
		l_out = jcc32_fwd(j, -1);
		label32_here(j, l_care);
		cmp_careful(j, &l, &r, &l_diff2);
		mov_ri(j, true, r.nx, -1);
		alu_ri(j, true, 0, idx, LOOP_BLOCK);
		next_cross(j, r.p0, &l.a[0], &r);
		next_cross(j, r.p1, &l.a[1], &r);
		alu_ri(j, true, 0, idx, -LOOP_BLOCK);
		{
			size_t back = jcc32_fwd(j, -1);		/* to `next` */
			uint32_t rel = (uint32_t)((int64_t)next - (int64_t)back);

			for (int b = 0; b < 4; b++)
				patch1(j, back - 4 + (size_t)b, (uint8_t)(rel >> (8 * b)));
		}
		label32_here(j, l_out);
		label32_here(j, l_diff);
		label32_here(j, l_diff2);
	}
	if (l.kind == UB_LOOP_SUM16) {
		/* w_acc += the sum of the four partial sums */
		int acc = bpf2x[l.acc_reg];

		sse_rr(j, 0x66, false, 0xfe, X0, X1);		/* paddd */
		sse_rr(j, 0x66, false, 0x70, X1, X0);		/* pshufd x1, x0, 0x4e */
		emit1(j, 0x4e);
		sse_rr(j, 0x66, false, 0xfe, X0, X1);
		sse_rr(j, 0x66, false, 0x70, X1, X0);		/* pshufd x1, x0, 0xb1 */
		emit1(j, 0xb1);
		sse_rr(j, 0x66, false, 0xfe, X0, X1);
		sse_rr(j, 0x66, false, 0x7e, X0, lim);		/* movd lim, xmm0 */
		x_rr(j, false, 0x01, lim, acc);			/* add acc32, lim32 */
	}
	/* idx bytes done: each IV moves on by idx / w iterations */
	for (int q = 0; q < l.niv; q++) {
		int reg = bpf2x[l.iv[q].reg];
		int64_t st = l.iv[q].step;

		if (st == (int64_t)l.w) {
			x_rr(j, true, 0x01, idx, reg);
			continue;
		}
		mov_rr(j, true, lim, idx);
		if (wl) {
			rex(j, true, 0, 0, lim, false);		/* shr lim, wl */
			emit1(j, 0xc1);
			modrm(j, 3, 5, lim);
			emit1(j, (uint8_t)wl);
		}
		if (st != 1) {
			rex(j, true, lim, 0, lim, false);	/* imul lim, lim, st */
			emit1(j, 0x69);
			modrm(j, 3, lim, lim);
			emit4(j, (uint32_t)(int32_t)st);
		}
		x_rr(j, true, 0x01, lim, reg);
	}
	for (size_t q = 0; q < ns; q++)
		label32_here(j, skip[q]);
}

/* Marks insn x for a preamble when it heads a loop idiom that is entered
 * from outside the loop at x (else the preamble could never run). */
static void loop_scan(struct jx *j, size_t x)
{
	struct ub_loop_idiom l;
	struct loop_regs r;
	const struct ub_dinsn *d;
	uint8_t fmt;
	bool falls_in;

	if (j->blind || x == 0 || !(j->iflag[x] & IF_TARGET) || j->entry[x])
		return;
	d = &j->prog->d[x - 1];
	fmt = d->op < UB_OP__COUNT ? ub_opinfo[d->op].fmt : F_LDDW;
	falls_in = fmt != F_JA && fmt != F_JA32 && fmt != F_EXIT;
	if (!falls_in && j->nsrc[x] < 2)
		return;
	if (!ub_loop_idiom_find(j->prog, x, &l) || !loop_plan(j, &l, &r))
		return;
	if (!falls_in && j->nsrc[x] == 1)
		return;
	j->lat[x] = (uint32_t)l.latch + 1;
}

/* ---- moves sunk past a conditional jump ---- */

/*
 * clang's BPF code often sets a register just before a conditional jump
 * for one side only (a phi's copy: `r6 = r7; if c goto L`, with r6 read at
 * L and overwritten on the other side).  Such a move (mov/mov32 of a
 * register or constant) is sunk out of the hot side:
 *   - past a backward jump (a loop's latch), when the register is dead at
 *     the jump's target: into a prefix of the insn after the jump, which
 *     only the fall-through (the loop's exit) runs (jumps land after it);
 *   - past a forward jump, when the register is dead on the
 *     fall-through: into a stub in a prefix of the target that only this
 *     jump lands on (JT_PRE; poff), behind a jump over it for the rest.
 * Needs: nothing jumps into the run from the move to the jump, the insns
 * in between neither read nor write the register nor write the move's
 * source, nor jump or call, and the jump does not read the register and
 * is not fused with a goto after it (jcc_target).  SINK_* in sunk[i], with
 * the distance to the jump in the low bits.
 */
enum { SINK_FALL = 0x10, SINK_TAKEN = 0x20, SINK_DIST = 0x0f };

static bool is_mov(const struct ub_dinsn *d)
{
	return d->op == UB_OP_MOV64_X || d->op == UB_OP_MOV64_K || d->op == UB_OP_MOV32_X ||
	       d->op == UB_OP_MOV32_K;
}

static void sink_scan(struct jx *j, size_t i)
{
	const struct userbpf_prog *p = j->prog;
	const struct ub_dinsn *d = &p->d[i];
	size_t n = p->cnt, k, t;
	uint16_t dbit, sbit, use, def;
	bool x;
	uint8_t fmt;

	if (!is_mov(d) || d->dst >= 10 || j->sunk[i] || !(j->iflag[i] & IF_LOOP))
		return;	/* (outside loops a move runs once: not worth a jump) */
	x = d->op == UB_OP_MOV64_X || d->op == UB_OP_MOV32_X;
	dbit = (uint16_t)(1u << d->dst);
	sbit = x ? (uint16_t)(1u << d->src) : 0;
	for (k = i + 1;; k++) {
		if (k >= n || k > i + 4 || (j->iflag[k] & IF_TARGET) || j->sunk[k] ||
		    p->d[k].op >= UB_OP__COUNT)
			return;
		fmt = ub_opinfo[p->d[k].op].fmt;
		if (fmt == F_JMP_K || fmt == F_JMP_X)
			break;
		if (fmt != F_ALU_K && fmt != F_ALU_X && fmt != F_NEG && fmt != F_MOVSX &&
		    fmt != F_END && fmt != F_BSWAP && fmt != F_LDX && fmt != F_LDXS &&
		    fmt != F_ST && fmt != F_STX)
			return;
		insn_use_def(&p->d[k], &use, &def);
		if (((use | def) & dbit) || (def & sbit))
			return;
	}
	insn_use_def(&p->d[k], &use, &def);
	if (use & dbit)
		return;
	t = (size_t)p->d[k].off;
	if (t == k + 2 && k + 1 < n && (p->d[k + 1].op == UB_OP_JA || p->d[k + 1].op == UB_OP_JA32) &&
	    !(j->iflag[k + 1] & IF_TARGET))
		return;	/* jcc_target() turns it into one jump */
	if (t <= k) {
		/* a latch: into the exit's prefix */
		if (k + 1 >= n || j->entry[k + 1] || j->lat[k + 1] || !dead_from(j, t, d->dst))
			return;
		j->sunk[i] = (uint8_t)(SINK_FALL | (k - i));
		j->iflag[k + 1] |= IF_SUNK;
	} else {
		if (t == k + 1 || j->entry[t] || j->lat[t] || j->stub_from[t] ||
		    !dead_from(j, k + 1, d->dst))
			return;
		j->sunk[i] = (uint8_t)(SINK_TAKEN | (k - i));
		j->stub_from[t] = (uint32_t)k + 1;
	}
}

/* One sunk move, as it would have been emitted at its place. */
static void emit_one_sunk(struct jx *j, size_t i)
{
	size_t cur = j->cur;

	j->cur = i;
	j->prev.reg = -1;
	emit_alu(j, &j->prog->d[i]);
	j->cur = cur;
	j->flags.reg = -1;
}

/* Insn t's prefix of sunk moves: those sunk past the jump at t - 1 into
 * its fall-through, then the stub of the forward jump that lands here. */
static void emit_sunk(struct jx *j, size_t t)
{
	const uint8_t *s = j->sunk;
	size_t k, after;

	if (j->iflag[t] & IF_SUNK)
		for (size_t i = t >= 5 ? t - 5 : 0; i + 1 < t; i++)
			if ((s[i] & SINK_FALL) && i + (s[i] & SINK_DIST) == t - 1)
				emit_one_sunk(j, i);
	if (!j->stub_from[t])
		return;
	k = j->stub_from[t] - 1;
	after = jmp8_fwd(j);
	j->poff[t] = (uint8_t)(j->len - j->ncaddr[t]);
	for (size_t i = k >= 4 ? k - 4 : 0; i < k; i++)
		if ((s[i] & SINK_TAKEN) && i + (s[i] & SINK_DIST) == k)
			emit_one_sunk(j, i);
	label_here(j, after);
}

static void emit_insn(struct jx *j, size_t i, bool in_main)
{
	const struct ub_dinsn *d = &j->prog->d[i];
	const struct ub_opinfo *oi;

	j->prev = j->flags;
	if (j->iflag[i] & IF_TARGET)
		j->prev.reg = -1; /* reached from elsewhere too */
	j->flags.reg = -1;
	if (d->op >= UB_OP__COUNT || i < j->fused_end) {
		/* second half of lddw, or emitted with an insn before: the
		 * flags are as that code left them */
		j->flags = j->prev;
		return;
	}
	if (j->sunk[i]) {
		j->flags = j->prev; /* emitted later: nothing changes here */
		return;
	}
	j->fused_end = i + 1 + emit_fused(j, i);
	if (j->fused_end > i + 1 || defer_load(j, i))
		return;
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
			/* lea dst, [rip + target] */
			int dst = bpf2x[d->dst];
			rex(j, true, dst, 0, 0, false);
			emit1(j, 0x8d);
			modrm(j, 0, dst, 5);
			rel32_fn(j, (size_t)d->off);
		} else {
			load_imm64(j, bpf2x[d->dst], (uint64_t)d->imm);
		}
		break;
	case F_JA: case F_JA32:
		jump_insn(j, -1, (size_t)d->off);
		break;
	case F_JMP_K: case F_JMP_X:
		emit_jcc(j, d);
		break;
	case F_CALL: {
		const struct userbpf_map *m = inline_array(j, i);

		if (m) {
			if (m->def.type == UB_MAP_PERCPU_ARRAY)
				emit_percpu_lookup(j, m);
			else
				emit_array_lookup(j, m);
			break;
		}
		call_abs(j, (const void *)(uintptr_t)d->imm);
		check_pending(j);
		break;
	}
	case F_CALL_LOCAL:
		/* No check of c->pending after it: a callee whose helper sets
		 * it unwinds from there, and so never returns here. */
		emit1(j, 0xe8);
		rel32_fn(j, (size_t)d->off);
		break;
	case F_CALLX: {
		/* A helper id goes through the C trampoline; anything else is a
		 * code address of this program (lddw src=4). */
		int t = bpf2x[d->dst];
		size_t l_native, l_done;
		x_mem(j, false, true, 0x89, t, CTX, (int32_t)offsetof(struct userbpf_call, callx_id), false);
		rex(j, true, 0, 0, t, false);
		emit1(j, 0x81);
		modrm(j, 3, 7, t);
		emit4(j, 65536);
		l_native = jcc8_fwd(j, CC_AE);
		call_abs(j, j->win64 ? (const void *)jx_callx_ms : (const void *)ub_jit_callx_helper);
		l_done = jmp8_fwd(j);
		label_here(j, l_native);
		rex(j, false, 0, 0, t, false);
		emit1(j, 0xff);
		modrm(j, 3, 2, t); /* call t */
		label_here(j, l_done);
		check_pending(j);
		break;
	}
	case F_LDABS: case F_LDIND:
		/* Rare and clobbering r1-r5 anyway, as on Linux: a C call. */
		if (oi->fmt == F_LDIND) {
			mov_rr(j, false, TMP, bpf2x[d->src]);
			if (j->blind) {
				load_imm32(j, false, TMP2, (int32_t)d->imm);
				x_rr(j, false, 0x01, TMP2, TMP);
			} else {
				alu_ri(j, false, 0, TMP, (int32_t)d->imm);
			}
			mov_rr(j, true, RDI, TMP);
		} else {
			load_imm32(j, false, RDI, (int32_t)d->imm);
		}
		mov_ri(j, true, RSI, oi->width);
		call_abs(j, j->win64 ? (const void *)jx_ld_pkt_ms : (const void *)ub_jit_ld_pkt);
		check_pending(j);
		break;
	case F_EXIT:
		if (in_main)
			main_epilogue(j);
		else
			sub_epilogue(j);
		break;
	default:
		/* kfuncs: refused at load already */
		j->err = j->err ? j->err : -EOPNOTSUPP;
	}
}

static bool cpu_has_bmi2(void)
{
#if defined(__GNUC__) && defined(__x86_64__)
	unsigned a, b, c, dx;
	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(dx) : "a"(7), "c"(0));
	return (b >> 8) & 1;
#else
	return false;
#endif
}

#ifdef __linux__
/* RDPID: CPUID leaf 7, ECX bit 22 (leaf 7 present: leaf 0's EAX). */
static bool cpu_has_rdpid(void)
{
#if defined(__GNUC__) && defined(__x86_64__)
	unsigned a, b, c, dx;
	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(dx) : "a"(0), "c"(0));
	if (a < 7)
		return false;
	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(dx) : "a"(7), "c"(0));
	return (c >> 22) & 1;
#else
	return false;
#endif
}
#endif

/* The room left before insn i for aligning a callee. */
static size_t fn_pad(const struct jx *j, size_t i)
{
	return i && j->entry[i] ? FN_ALIGN - 1 : 0;
}

/* Whether insn i can move relative to the code before it in the layout:
 * it has a variable jump, or the padding of a loop head or a callee. */
static inline bool jx_is_event(const struct jx *j, size_t i)
{
	return j->jk[i] || ((j->iflag[i] & IF_HEAD) && !j->entry[i]) || (i && j->entry[i]);
}

#define EVT_SELF UINT32_MAX

/* Lists the events and, for each jump among them, where its target's
 * address comes from.  The layout then only visits the events: code
 * between two of them keeps its emitted length, so its address is the
 * emitted one plus the offset left by the event before it. */
static int jx_events(struct jx *j)
{
	size_t n = j->prog->cnt, k = 0;

	/* addr[] and caddr[] are free until the layout: addr[i] counts the
	 * events before i, caddr[] lists them */
	for (size_t i = 0; i < n; i++) {
		j->addr[i] = (uint32_t)k;
		if (jx_is_event(j, i))
			j->caddr[k++] = (uint32_t)i;
	}
	j->ev = ub_malloc(j->rt, (k ? k : 1) * sizeof(*j->ev));
	if (!j->ev)
		return -ENOMEM;
	j->nev = k;
	for (k = 0; k < j->nev; k++) {
		struct jx_ev *e = &j->ev[k];
		size_t i = j->caddr[k], t = j->jt[i] & ~JT_PRE, pad = fn_pad(j, i);

		e->i = (uint32_t)i;
		e->start = (uint32_t)(j->ncaddr[i] - pad);
		e->end = (uint32_t)(i + 1 < n ? j->ncaddr[i + 1] - fn_pad(j, i + 1) : j->cur_abort);
		e->pre = j->plen[i];
		e->prol = j->naddr[i] - j->ncaddr[i] - j->plen[i];
		e->body = e->end - j->naddr[i];
		e->pad = pad != 0;
		e->head = (j->iflag[i] & IF_HEAD) && !j->entry[i];
		e->d = 0;
		if (!j->jk[i] || (j->jk[i] & JK_STUB))
			e->tgt = 0;
		else if (jx_is_event(j, t))
			e->tgt = EVT_SELF;
		else
			e->tgt = j->addr[t];
	}
	return 0;
}

/* Lays the events out with the jumps sized as jk[] says now; loop heads
 * get the padding that aligns them.  Leaves their addresses in j->addr
 * and j->caddr, the offsets after them in ev[].d, and j->abort_stub. */
static void jx_place(struct jx *j, size_t stub0)
{
	int64_t dl = 0;

	for (size_t k = 0; k < j->nev; k++) {
		struct jx_ev *e = &j->ev[k];
		uint8_t jk = j->jk[e->i];
		size_t c = (size_t)((int64_t)e->start + dl), body = e->body;

		if (jk & JK_SHORT)
			body -= (jk & JK_JMP ? 5 : 6) - 2;
		if (e->pad)
			c += (0 - c) & (FN_ALIGN - 1);
		j->caddr[e->i] = (uint32_t)c;
		c += e->pre;
		if (e->head)
			c += (0 - c) & (LOOP_ALIGN - 1);
		else
			c += e->prol;
		j->addr[e->i] = (uint32_t)c;
		c += body;
		dl = (int64_t)c - (int64_t)e->end;
		e->d = (int32_t)dl;
	}
	j->abort_stub = (size_t)((int64_t)stub0 + dl);
}

/* The displacement of event k's short jump in the current layout. */
static inline int64_t jx_rel8(const struct jx *j, size_t k)
{
	const struct jx_ev *e = &j->ev[k];
	size_t i = e->i;
	uint32_t t = j->jt[i], x = t & ~JT_PRE;
	int64_t to;

	if (j->jk[i] & JK_STUB)
		to = (int64_t)j->abort_stub;
	else if (e->tgt == EVT_SELF)
		to = t & JT_PRE ? (int64_t)j->caddr[x] + j->poff[x] : (int64_t)j->addr[x];
	else
		to = (t & JT_PRE ? (int64_t)j->ncaddr[x] + j->poff[x] : (int64_t)j->naddr[x]) +
		     (e->tgt ? j->ev[e->tgt - 1].d : 0);
	return to - (int64_t)(j->addr[i] + j->jpos[i] + 2);
}

/*
 * Sizes the variable jumps from what the measuring pass saw (every one
 * long; the rest of the code does not depend on addresses).  Each sweep
 * lays the code out and shortens every jump whose rel8 fits.  Without
 * loop alignment, shortening only brings code closer together, so a jump
 * that fits keeps fitting; the padding of a loop head, though, can grow
 * by up to LOOP_ALIGN - 1 bytes when the code before it shrinks.  So
 * after the sweeps every short jump is checked in the final layout, and
 * one that no longer fits is made long for good (IF_LONG) and the sizing
 * done again; each round fixes at least one jump, and after a few rounds
 * every jump goes long, which always fits.  A cap on sweeps keeps a
 * pathological chain of jumps from costing n^2.  The sweeps visit only
 * the events (jx_events()); at the end every insn gets its final
 * addresses in j->addr and j->caddr, and j->abort_stub is set.
 */
static void jx_layout(struct jx *j, size_t stub0)
{
	size_t n = j->prog->cnt, k, i;
	int64_t dl = 0;

	for (int round = 0;; round++) {
		bool bad = false;

		for (int sweep = 0;; sweep++) {
			bool changed = false;

			jx_place(j, stub0);
			if (sweep == 32)
				break;
			for (k = 0; k < j->nev; k++) {
				int64_t rel;

				i = j->ev[k].i;
				if (!j->jk[i] || (j->jk[i] & JK_SHORT) || (j->iflag[i] & IF_LONG))
					continue;
				rel = jx_rel8(j, k);
				if (rel >= -128 && rel <= 127) {
					j->jk[i] |= JK_SHORT;
					changed = true;
				}
			}
			if (!changed)
				break;
		}
		for (k = 0; k < j->nev; k++) {
			int64_t rel;

			i = j->ev[k].i;
			if (!(j->jk[i] & JK_SHORT))
				continue;
			rel = jx_rel8(j, k);
			if (rel < -128 || rel > 127 || round == 8) {
				j->jk[i] &= (uint8_t)~JK_SHORT;
				j->iflag[i] |= IF_LONG;
				bad = true;
			}
		}
		if (!bad)
			break;
		if (round == 8) {
			jx_place(j, stub0); /* every jump long */
			break;
		}
	}
	/* the code between events */
	for (i = 0, k = 0; i < n; i++) {
		if (k < j->nev && j->ev[k].i == i) {
			dl = j->ev[k++].d;
			continue;
		}
		j->caddr[i] = (uint32_t)((int64_t)j->ncaddr[i] + dl);
		j->addr[i] = (uint32_t)((int64_t)j->naddr[i] + dl);
	}
}

/* Multi-byte NOPs (as the optimisation manuals of Intel and AMD list
 * them), n bytes at p. */
static void jx_nops(uint8_t *p, size_t n)
{
	static const uint8_t nop[9][9] = {
		{ 0x90 },
		{ 0x66, 0x90 },
		{ 0x0f, 0x1f, 0x00 },
		{ 0x0f, 0x1f, 0x40, 0x00 },
		{ 0x0f, 0x1f, 0x44, 0x00, 0x00 },
		{ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
		{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
		{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
		{ 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	};

	while (n) {
		size_t k = n > 9 ? 9 : n;

		memcpy(p, nop[k - 1], k);
		p += k;
		n -= k;
	}
}

/*
 * Moves the measured code into the layout, in place: everything only moves
 * down, and each instruction's variable jump is its last bytes, so writing
 * the (maybe shorter) jump never overwrites code not yet moved; the code
 * between two events moves as one block.  Then fills in the rel32s that
 * point at functions.
 */
static void jx_relocate(struct jx *j)
{
	size_t n = j->prog->cnt, dst = 0, len0 = j->len, i, r = 0;

	j->final = true;
	for (size_t k = 0; k <= j->nev; k++) {
		/* insns [r, i) are no events: one block that keeps its length */
		size_t from, end;

		i = k < j->nev ? j->ev[k].i : n;
		if (r < i) {
			from = j->ncaddr[r];
			end = i < n ? j->ncaddr[i] - fn_pad(j, i) : j->cur_abort;
			if (dst != j->caddr[r]) {
				j->err = -EFAULT;
				return;
			}
			memmove(j->buf + dst, j->buf + from, end - from);
			dst += end - from;
		}
		r = i + 1;
		if (i == n)
			break;
		from = j->ncaddr[i];
		end = i + 1 < n ? j->ncaddr[i + 1] - fn_pad(j, i + 1) : j->cur_abort;
		if (fn_pad(j, i) && j->caddr[i] >= dst && j->caddr[i] - dst < FN_ALIGN) {
			jx_nops(j->buf + dst, j->caddr[i] - dst);
			dst = j->caddr[i];
		}
		if (dst != j->caddr[i]) {
			j->err = -EFAULT;
			return;
		}
		if ((j->iflag[i] & IF_HEAD) && !j->entry[i]) {
			/* a loop head: its preamble, then padding in place of
			 * the placeholder */
			memmove(j->buf + dst, j->buf + from, j->plen[i]);
			dst += j->plen[i];
			if (j->addr[i] - dst > LOOP_ALIGN - 1) {
				j->err = -EFAULT;
				return;
			}
			jx_nops(j->buf + dst, j->addr[i] - dst);
			dst = j->addr[i];
			from = j->naddr[i];
		}
		if (!j->jk[i]) {
			memmove(j->buf + dst, j->buf + from, end - from);
			dst += end - from;
			continue;
		}
		end = j->naddr[i] + j->jpos[i];
		memmove(j->buf + dst, j->buf + from, end - from);
		j->len = dst + (end - from);
		j->cur = i;
		jump_var(j, j->jk[i] & JK_JMP ? -1 : j->jk[i] >> 4, (j->jk[i] & JK_STUB) != 0,
			 j->jt[i]);
		dst = j->len;
	}
	if (dst != j->abort_stub) {
		j->err = -EFAULT;
		return;
	}
	/* the stub and the end of the code */
	memmove(j->buf + dst, j->buf + j->cur_abort, len0 - j->cur_abort);
	j->len = dst + (len0 - j->cur_abort);
	for (i = 0; i < n; i++) {
		if (j->rpos[i]) {
			size_t at = j->addr[i] + j->rpos[i];
			int64_t rel = (int64_t)j->caddr[j->prog->d[i].off] - (int64_t)at;

			for (int b = 0; b < 4; b++)
				j->buf[at - 4 + b] = (uint8_t)((uint64_t)rel >> (8 * b));
		}
	}
}

/* The arrays of n (+ 1) entries, zeroed, as one allocation (j->mem);
 * addr and caddr come later, in the memory of lat and stub_from. */
static int jx_alloc(struct jx *j, size_t n)
{
	size_t m = n + 1, off = 0;
	uint8_t *p;

	if (n > SIZE_MAX / 64)
		return -E2BIG;
#define JX_ARR(f) off += (m * sizeof(*j->f) + 7) & ~(size_t)7
	JX_ARR(naddr); JX_ARR(ncaddr); JX_ARR(jt); JX_ARR(plen); JX_ARR(lat);
	JX_ARR(stub_from); JX_ARR(jpos); JX_ARR(entry); JX_ARR(jk); JX_ARR(rpos);
	JX_ARR(iflag); JX_ARR(nsrc); JX_ARR(sunk); JX_ARR(poff);
#undef JX_ARR
	j->mem = p = ub_calloc(j->rt, 1, off);
	if (!p)
		return -ENOMEM;
#define JX_ARR(f) (j->f = (void *)p, p += (m * sizeof(*j->f) + 7) & ~(size_t)7)
	JX_ARR(naddr); JX_ARR(ncaddr); JX_ARR(jt); JX_ARR(plen); JX_ARR(lat);
	JX_ARR(stub_from); JX_ARR(jpos); JX_ARR(entry); JX_ARR(jk); JX_ARR(rpos);
	JX_ARR(iflag); JX_ARR(nsrc); JX_ARR(sunk); JX_ARR(poff);
#undef JX_ARR
	return 0;
}

int ub_jit_x86_64(const struct userbpf_prog *prog, const struct ub_jit_opts *o,
		  struct ub_jit_out *out)
{
	struct jx j;
	size_t n = prog->cnt, i;
	bool in_main = true;
	int err = 0;

	memset(&j, 0, sizeof(j));
	j.prog = prog;
	j.rt = prog->rt;
	j.win64 = o->win64;
	j.out = o->win64 ? WIN64_OUT : 0;
	j.blind = o->blind;
	if (j.blind && ub_jit_blind_seed(prog, &j.seed))
		return -EOPNOTSUPP;
	j.bmi2 = cpu_has_bmi2();
#ifdef __linux__
	j.rdpid = !o->win64 && cpu_has_rdpid();
#endif
	err = jx_alloc(&j, n);
	if (err)
		goto out;
	j.flags.reg = -1;
	err = ub_jit_functions(prog, j.entry);
	if (err)
		goto out;
	/* One pass emits everything with every variable jump long and notes
	 * where those jumps are; the layout shortens what it can; the code
	 * is then slid down into place.  Most instructions take under 8
	 * bytes: one allocation, usually. */
	if (!grow(&j, n * 8 + 256)) {
		err = j.err;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const struct ub_dinsn *d = &prog->d[i];
		uint8_t fmt = d->op < UB_OP__COUNT ? ub_opinfo[d->op].fmt : F_LDDW;

		if (fmt == F_CALL || fmt == F_CALLX || fmt == F_LDABS || fmt == F_LDIND)
			j.need_ctx = true;
		if (fmt == F_JA || fmt == F_JA32 || fmt == F_JMP_K || fmt == F_JMP_X) {
			j.iflag[d->off] |= (uint8_t)(IF_TARGET | ((size_t)d->off <= i ? IF_HEAD : 0));
			if (j.nsrc[d->off] < UINT8_MAX)
				j.nsrc[d->off]++;
			if ((size_t)d->off <= i) {
				/* lat[] counts, for now, the backward jumps around */
				j.lat[d->off]++;
				if (i + 1 < n)
					j.lat[i + 1]--;
			}
		}
		if (j.entry[i])
			j.iflag[i] |= IF_TARGET;
	}
	{
		/* only insns some backward jump spans can be in a loop */
		uint32_t around = 0;

		for (i = 0; i < n; i++) {
			around += j.lat[i];
			j.lat[i] = 0;
			if (around) {
				j.iflag[i] |= IF_LOOP;
				loop_scan(&j, i);
			}
		}
	}
	j.main_end = n;
	for (i = 1; i < n; i++) {
		if (j.entry[i]) {
			j.main_end = i;
			break;
		}
	}
	for (i = 0; i < n; i++)
		sink_scan(&j, i);
	fn_scan(&j, 0, true, &j.main);
	for (i = 0; i < n; i++) {
		/* Calls land on the prologue, jumps on the body. */
		for (size_t k = fn_pad(&j, i); k; k--)
			emit1(&j, 0x90);
		j.ncaddr[i] = (uint32_t)j.len;
		if (j.entry[i]) {
			in_main = i == 0;
			if (in_main) {
				main_prologue(&j);
			} else {
				fn_scan(&j, i, false, &j.fn);
				sub_prologue(&j);
			}
		} else {
			j.cur = i;
			if (j.lat[i])
				emit_loop_pre(&j, i);
			else
				emit_sunk(&j, i);
			j.plen[i] = (uint32_t)(j.len - j.ncaddr[i]);
			/* room for the padding, sized by jx_layout() */
			if (j.iflag[i] & IF_HEAD)
				for (int k = 0; k < LOOP_ALIGN - 1; k++)
					emit1(&j, 0x90);
		}
		j.naddr[i] = (uint32_t)j.len;
		j.cur = i;
		emit_insn(&j, i, in_main);
	}
	/* The unwind stub: back to the main frame, out through its epilogue;
	 * the driver reads c->pending. */
	j.cur_abort = j.len;
	x_mem(&j, false, true, 0x8b, RSP, CTX, (int32_t)offsetof(struct userbpf_call, jit_rsp), false);
	main_epilogue(&j);
	if (!j.err && j.len > UINT32_MAX / 2)
		j.err = -E2BIG;
	/* the emitting pass is over: lat[] and stub_from[] hold the layout */
	j.addr = j.lat;
	j.caddr = j.stub_from;
	j.lat = j.stub_from = NULL;
	if (!j.err && (err = jx_events(&j)) != 0)
		goto out;
	if (!j.err) {
		jx_layout(&j, j.cur_abort);
		jx_relocate(&j);
	}
	if (j.err) {
		if (j.err == -EFAULT)
			ub_log(j.rt, USERBPF_LOG_WARN, "prog '%s': JIT internal error in the layout",
			       prog->name);
		err = j.err;
		goto out;
	}
	out->code = j.buf;
	out->len = j.len;
	out->entry = 0;
	j.buf = NULL;
out:
	ub_free(j.rt, j.buf);
	ub_free(j.rt, j.mem);
	ub_free(j.rt, j.ev);

	return err;
}
