/* SPDX-License-Identifier: MIT */
/*
 * kernel_diff.c - differential test of the interpreter against Linux.
 *
 * The kernel on our machines answers bpf() as root, and its verifier plus
 * JIT are the reference for what every instruction means.  This program
 * generates random programs that the verifier accepts as socket filters
 * (every ALU/ALU64 operation with register and immediate operands, the
 * cpu v4 additions, stack stores, loads and atomics, forward jumps of
 * every condition), runs each once in the kernel (BPF_PROG_TEST_RUN) and
 * in the interpreter (checked and fast mode, both dispatch styles) and
 * the JIT, and compares r0.  Each program ends by folding r0-r9 and the stack into the
 * 32 bits that BPF_PROG_TEST_RUN reports, so a wrong bit anywhere shows.
 *
 * Programs are built from "units" (one instruction, the two slots of
 * lddw, or a short sequence no jump may split) whose jumps name a target
 * unit; offsets are computed when the units are laid out.  That keeps
 * every jump on an instruction boundary, and lets a mismatch be shrunk by
 * deleting units one at a time while the kernel still accepts the program
 * and the results still differ.
 *
 * The kernel is not always right: Linux 6.18 miscompiled two shapes of
 * program this generator made (see diff_gen_atomic and
 * tests/diff/kernel-bugs/), and the generator now avoids them.  A new
 * mismatch is a bug in userbpf until the kernel's xlated code says
 * otherwise.
 *
 *   kernel_diff [--count N] [--seed S] [--index I] [--verbose]
 *               [--save DIR] [--kernel FILE]
 *
 * --index runs only program I of the seed's sequence (to reproduce a
 * report); --save writes each shrunk mismatch as DIR/NAME.txt in the
 * format of tests/data/diff-regress/; --kernel runs one such file in the
 * kernel and prints its "# expect" line.  Without a usable bpf() the test
 * prints one skip line and succeeds.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "testlib.h"
#include "tl_rng.h"
#include "exec/jit_internal.h"
#include "regress_file.h"

#define DIFF_STK 64		/* bytes of stack the programs use, all written first */
#define DIFF_MAX_UNITS 512
#define DIFF_BODY_MIN 20
#define DIFF_BODY_MAX 90
#define DIFF_BATCH 500
#define DIFF_DEFAULT_SEED 0x5eed0fb9f00dULL
#define DIFF_MIX_K 0x5bd1e995	/* odd: multiplying by it loses no bits */

/* ---- random numbers ----------------------------------------------------- */

/* Edge values come up far more often than chance would give them. */
static int32_t diff_imm(struct tl_rng *r)
{
	static const int32_t special[] = {
		0, 1, -1, 2, -2, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 127, 128, 255,
		256, 0x7fff, 0x8000, 0xffff, 0x10000, INT32_MAX, INT32_MIN,
		INT32_MIN + 1, 0x55555555, -0x55555556, -128, -129, -32768, -32769,
	};

	switch (tl_rn(r, 4)) {
	case 0:
	case 1:
		return special[tl_rn(r, sizeof(special) / sizeof(special[0]))];
	case 2:
		return (int32_t)tl_rn(r, 256) - 128;
	default:
		return (int32_t)(uint32_t)tl_rnd(r);
	}
}

static uint64_t diff_u64(struct tl_rng *r)
{
	static const uint64_t special[] = {
		0, 1, UINT64_MAX, 0x8000000000000000ULL, 0x7fffffffffffffffULL,
		0x80000000ULL, 0xffffffffULL, 0x100000000ULL, 0xffffffff80000000ULL,
		0x7fffffffULL, 0xffffffff00000000ULL, 0x00000000ffff8000ULL,
		0x8000000000000001ULL, 0xfffffffffffffffeULL,
	};

	switch (tl_rn(r, 4)) {
	case 0:
		return special[tl_rn(r, sizeof(special) / sizeof(special[0]))];
	case 1:
		return (uint64_t)(int64_t)diff_imm(r);
	case 2:
		return (uint64_t)diff_imm(r) << 32 | (uint32_t)diff_imm(r);
	default:
		return tl_rnd(r);
	}
}

/* ---- programs as units -------------------------------------------------- */

enum { DIFF_J_NONE, DIFF_J_OFF, DIFF_J_IMM };

struct diff_unit {
	struct userbpf_insn in[4];
	uint8_t nslots;
	uint8_t jkind;	/* where the jump distance goes: off, or imm (gotol) */
	bool keep;	/* the shrinker must not delete it (stack initialisation) */
	int target;	/* unit index the jump lands on */
};

struct diff_prog {
	struct diff_unit u[DIFF_MAX_UNITS];
	int n;
};

struct diff_gen {
	struct tl_rng r;
	struct diff_prog *p;
	int body_left;
	bool v4;
};

static int diff_emit(struct diff_gen *g, unsigned code, unsigned dst, unsigned src,
		     int off, int32_t imm)
{
	struct diff_unit *u = &g->p->u[g->p->n];

	memset(u, 0, sizeof(*u));
	u->in[0].code = (uint8_t)code;
	u->in[0].dst_reg = dst & 15;
	u->in[0].src_reg = src & 15;
	u->in[0].off = (int16_t)off;
	u->in[0].imm = imm;
	u->nslots = 1;
	return g->p->n++;
}

/* Adds one more instruction to unit i (no jump may land inside a unit). */
static void diff_append(struct diff_gen *g, int i, unsigned code, unsigned dst,
			unsigned src, int off, int32_t imm)
{
	struct diff_unit *u = &g->p->u[i];
	struct userbpf_insn *in = &u->in[u->nslots++];

	in->code = (uint8_t)code;
	in->dst_reg = dst & 15;
	in->src_reg = src & 15;
	in->off = (int16_t)off;
	in->imm = imm;
}

static void diff_emit_lddw(struct diff_gen *g, unsigned dst, uint64_t v)
{
	int i = diff_emit(g, 0x18, dst, 0, 0, (int32_t)(uint32_t)v);

	g->p->u[i].in[1].imm = (int32_t)(uint32_t)(v >> 32);
	g->p->u[i].nslots = 2;
}

static unsigned diff_reg(struct diff_gen *g)
{
	return tl_rn(&g->r, 10);
}

/* A stack offset in [-DIFF_STK, -size], aligned as the verifier demands. */
static int diff_stack_off(struct diff_gen *g, unsigned size)
{
	return -DIFF_STK + (int)(size * tl_rn(&g->r, DIFF_STK / size));
}

static void diff_gen_alu(struct diff_gen *g)
{
	static const uint8_t ops[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
				       0x70, 0x90, 0xa0, 0xb0, 0xc0, 0x30, 0x90 };
	bool is64 = tl_rn(&g->r, 2);
	unsigned cls = is64 ? 0x07 : 0x04, width = is64 ? 64 : 32;
	unsigned op = ops[tl_rn(&g->r, sizeof(ops))];
	bool divmod = op == 0x30 || op == 0x90;
	bool shift = op == 0x60 || op == 0x70 || op == 0xc0;
	int off = divmod && g->v4 && tl_rn(&g->r, 2) ? 1 : 0;
	unsigned dst = diff_reg(g);

	if (tl_rn(&g->r, 2)) {
		diff_emit(g, cls | 0x08 | op, dst, diff_reg(g), off, 0);
		return;
	}
	int32_t imm = diff_imm(&g->r);
	if (shift)
		imm = (int32_t)tl_rn(&g->r, width);
	while (divmod && imm == 0)
		imm = diff_imm(&g->r);
	diff_emit(g, cls | op, dst, 0, off, imm);
}

static void diff_gen_unary(struct diff_gen *g)
{
	static const int32_t widths[] = { 16, 32, 64 };
	unsigned dst = diff_reg(g), kind = tl_rn(&g->r, 7);

	if (!g->v4 && (kind == 1 || kind == 2 || kind == 4))
		kind = 0;
	switch (kind) {
	case 0:
		diff_emit(g, tl_rn(&g->r, 2) ? 0x87 : 0x84, dst, 0, 0, 0);
		break;
	case 1: { /* movsx into 64 bits */
		static const int offs[] = { 8, 16, 32 };
		diff_emit(g, 0xbf, dst, diff_reg(g), offs[tl_rn(&g->r, 3)], 0);
		break;
	}
	case 2: /* movsx into 32 bits */
		diff_emit(g, 0xbc, dst, diff_reg(g), tl_rn(&g->r, 2) ? 8 : 16, 0);
		break;
	case 3: /* le / be */
		diff_emit(g, tl_rn(&g->r, 2) ? 0xd4 : 0xdc, dst, 0, 0,
			  widths[tl_rn(&g->r, 3)]);
		break;
	case 4: /* bswap */
		diff_emit(g, 0xd7, dst, 0, 0, widths[tl_rn(&g->r, 3)]);
		break;
	case 5: /* zero-extension of a register onto itself */
		diff_emit(g, 0xbc, dst, dst, 0, 0);
		break;
	default:
		diff_emit_lddw(g, dst, diff_u64(&g->r));
		break;
	}
}

static const uint8_t diff_szcode[4] = { 0x10, 0x08, 0x00, 0x18 }; /* B H W DW */

static void diff_gen_store(struct diff_gen *g)
{
	unsigned s = tl_rn(&g->r, 4);
	int off = diff_stack_off(g, 1u << s);

	if (tl_rn(&g->r, 2))
		diff_emit(g, 0x62 | diff_szcode[s], 10, 0, off, diff_imm(&g->r));
	else
		diff_emit(g, 0x63 | diff_szcode[s], 10, diff_reg(g), off, 0);
}

static void diff_gen_load(struct diff_gen *g)
{
	unsigned s = tl_rn(&g->r, 4);
	int off = diff_stack_off(g, 1u << s);

	if (g->v4 && s < 3 && tl_rn(&g->r, 2))
		diff_emit(g, 0x81 | diff_szcode[s], diff_reg(g), 10, off, 0);
	else
		diff_emit(g, 0x61 | diff_szcode[s], diff_reg(g), 10, off, 0);
}

/*
 * An atomic read-modify-write of a stack slot, preceded in the same unit by
 * a plain load of that slot into the operand register and an ALU step on it.
 *
 * The load is there because of a Linux verifier bug seen on 6.18: the
 * stack liveness analysis treats an atomic on a stack slot as a write that
 * does not read the slot, so two paths that reach the atomic with
 * different values in the slot are pruned as equal, and a branch that the
 * unexplored value would take is removed as dead code (the kernel then
 * returns a wrong result).  A plain read of the slot just before the
 * atomic keeps the slot live; putting both in one unit keeps jumps from
 * landing between them.  As a bonus cmpxchg often compares equal.  The
 * programs that showed both bugs are in tests/diff/kernel-bugs/.
 */
static void diff_gen_atomic(struct diff_gen *g)
{
	static const int32_t ops[] = { 0x00, 0x01, 0x40, 0x41, 0x50,
				       0x51, 0xa0, 0xa1, 0xe1, 0xf1 };
	static const uint8_t mix[] = { 0x0f, 0x1f, 0x2f, 0x4f, 0x5f, 0xaf };
	bool is64 = tl_rn(&g->r, 2);
	int32_t op = ops[tl_rn(&g->r, 10)];
	unsigned src = diff_reg(g), pre = op == 0xf1 ? 0 : src;
	int off = diff_stack_off(g, is64 ? 8 : 4);
	int i = diff_emit(g, is64 ? 0x79 : 0x61, pre, 10, off, 0);

	if (op != 0xf1 || tl_rn(&g->r, 2))
		diff_append(g, i, mix[tl_rn(&g->r, sizeof(mix))], pre, diff_reg(g), 0, 0);
	diff_append(g, i, is64 ? 0xdb : 0xc3, 10, src, off, op);
	/* A second 6.18 bug: the zero-extension of r0 after a 32-bit
	 * cmpxchg is inserted only when the verifier saw a 64-bit read of r0
	 * on an explored path; a read on a pruned path does not count, and
	 * the JIT then leaves r0's upper half alone.  Reading r0 as 64 bits
	 * right away keeps the extension, and still depends on it. */
	if (op == 0xf1 && !is64)
		diff_append(g, i, mix[tl_rn(&g->r, sizeof(mix))], diff_reg(g), 0, 0, 0);
}

/* The corners of division and shifts that random operands rarely reach:
 * INT_MIN / -1 and INT_MIN % -1, a divisor whose low half is zero but
 * high half is not (zero for ALU32 only), shift amounts past the width. */
static void diff_gen_edge(struct diff_gen *g)
{
	static const uint64_t mins[] = { 0x8000000000000000ULL, 0xffffffff80000000ULL,
					 0x80000000ULL, 0x7fffffff80000000ULL };
	static const uint64_t divs[] = { UINT64_MAX, 0xffffffffULL, 0, 0x100000000ULL,
					 0xffffffff00000000ULL };
	static const uint64_t amounts[] = { 31, 32, 33, 63, 64, 65, 127, UINT64_MAX,
					    0x100000001ULL, 0xffffffe0ULL };
	static const uint8_t shifts[] = { 0x60, 0x70, 0xc0 };
	unsigned dst = diff_reg(g), src = diff_reg(g);
	unsigned cls = tl_rn(&g->r, 2) ? 0x07 : 0x04;
	unsigned op = tl_rn(&g->r, 2) ? 0x30 : 0x90;
	int off = g->v4 && tl_rn(&g->r, 4) ? 1 : 0;

	switch (tl_rn(&g->r, 3)) {
	case 0:
		diff_emit_lddw(g, dst, mins[tl_rn(&g->r, 4)]);
		if (tl_rn(&g->r, 2)) {
			diff_emit(g, cls | op, dst, 0, off, -1);
			break;
		}
		if (src != dst)
			diff_emit_lddw(g, src, divs[tl_rn(&g->r, 2)]);
		diff_emit(g, cls | 0x08 | op, dst, src, off, 0);
		break;
	case 1:
		diff_emit_lddw(g, src, divs[2 + tl_rn(&g->r, 3)]);
		diff_emit(g, cls | 0x08 | op, dst, src, off, 0);
		break;
	default:
		diff_emit_lddw(g, src, amounts[tl_rn(&g->r, 10)]);
		diff_emit(g, cls | 0x08 | shifts[tl_rn(&g->r, 3)], dst, src, 0, 0);
		break;
	}
}

/* A conditional jump of any condition; the caller sets its target. */
static int diff_gen_jcc(struct diff_gen *g)
{
	static const uint8_t ops[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
				       0x70, 0xa0, 0xb0, 0xc0, 0xd0 };
	unsigned cls = tl_rn(&g->r, 3) ? 0x05 : 0x06;
	unsigned op = ops[tl_rn(&g->r, sizeof(ops))];
	int i;

	if (tl_rn(&g->r, 2))
		i = diff_emit(g, cls | 0x08 | op, diff_reg(g), diff_reg(g), 0, 0);
	else
		i = diff_emit(g, cls | op, diff_reg(g), 0, 0, diff_imm(&g->r));
	g->p->u[i].jkind = DIFF_J_OFF;
	return i;
}

static void diff_gen_block(struct diff_gen *g, int depth, int n);

/* if (cond) { B } else { A }: the ja (or gotol) that ends A skips B, which
 * stays reachable through the conditional jump, so no code is dead in the
 * control flow graph (the kernel refuses unreachable instructions). */
static void diff_gen_ifelse(struct diff_gen *g, int depth)
{
	int j = diff_gen_jcc(g), a;

	diff_gen_block(g, depth + 1, 1 + (int)tl_rn(&g->r, 6));
	if (g->v4 && tl_rn(&g->r, 2)) {
		a = diff_emit(g, 0x06, 0, 0, 0, 0);
		g->p->u[a].jkind = DIFF_J_IMM;
	} else {
		a = diff_emit(g, 0x05, 0, 0, 0, 0);
		g->p->u[a].jkind = DIFF_J_OFF;
	}
	g->p->u[j].target = g->p->n;
	diff_gen_block(g, depth + 1, 1 + (int)tl_rn(&g->r, 6));
	g->p->u[a].target = g->p->n;
}

static void diff_gen_block(struct diff_gen *g, int depth, int n)
{
	/* The room left keeps the worst case (every step an edge case of
	 * three units) and the epilogue inside DIFF_MAX_UNITS. */
	for (int i = 0; i < n && g->body_left > 0 && g->p->n < DIFF_MAX_UNITS - 80; i++) {
		unsigned k = tl_rn(&g->r, 100);

		g->body_left--;
		if (k < 40) {
			diff_gen_alu(g);
		} else if (k < 52) {
			diff_gen_unary(g);
		} else if (k < 61) {
			diff_gen_store(g);
		} else if (k < 70) {
			diff_gen_load(g);
		} else if (k < 78) {
			diff_gen_atomic(g);
		} else if (k < 88) {
			int j = diff_gen_jcc(g);
			/* Any later unit will do; clamped to the body's end. */
			g->p->u[j].target = j + 1 + (int)tl_rn(&g->r, 12);
		} else if (k < 94 && depth < 3) {
			diff_gen_ifelse(g, depth);
		} else if (k >= 94) {
			diff_gen_edge(g);
		} else {
			diff_gen_alu(g);
		}
	}
}

/* Folds r0-r9 and the stack into r0, then 64 bits into the low 32 that
 * BPF_PROG_TEST_RUN reports. */
static void diff_gen_epilogue(struct diff_gen *g)
{
	for (unsigned r = 1; r <= 9; r++) {
		diff_emit(g, 0x27, 0, 0, 0, DIFF_MIX_K);	/* r0 *= K */
		diff_emit(g, 0xaf, 0, r, 0, 0);		/* r0 ^= rN */
	}
	for (int off = -DIFF_STK; off < 0; off += 8) {
		diff_emit(g, 0x79, 1, 10, off, 0);		/* r1 = *(u64 *)(r10 + off) */
		diff_emit(g, 0x27, 0, 0, 0, DIFF_MIX_K);
		diff_emit(g, 0xaf, 0, 1, 0, 0);
	}
	diff_emit(g, 0xbf, 1, 0, 0, 0);			/* r1 = r0 */
	diff_emit(g, 0x77, 1, 0, 0, 29);			/* r1 >>= 29 */
	diff_emit(g, 0xaf, 0, 1, 0, 0);
	diff_emit(g, 0x27, 0, 0, 0, DIFF_MIX_K);
	diff_emit(g, 0xbf, 1, 0, 0, 0);
	diff_emit(g, 0x77, 1, 0, 0, 32);
	diff_emit(g, 0xaf, 0, 1, 0, 0);
	diff_emit(g, 0x95, 0, 0, 0, 0);			/* exit */
}

static void diff_generate(struct diff_prog *p, uint64_t seed, bool v4)
{
	struct diff_gen g = { .r = { seed }, .p = p, .v4 = v4 };
	int body_end;

	p->n = 0;
	/* Every register gets a value first; r1 drops the context pointer so
	 * no pointer ever reaches arithmetic or the result. */
	for (unsigned r = 0; r <= 9; r++) {
		int i0 = p->n;

		switch (tl_rn(&g.r, 3)) {
		case 0:
			diff_emit_lddw(&g, r, diff_u64(&g.r));
			break;
		case 1:
			diff_emit(&g, 0xb7, r, 0, 0, diff_imm(&g.r));
			break;
		default:
			diff_emit(&g, 0xb4, r, 0, 0, diff_imm(&g.r));
			break;
		}
		/* r1 starts as the context pointer in the kernel: its
		 * overwrite must survive shrinking. */
		p->u[i0].keep = r == 1;
	}
	/* The stack area is written before any path can read it. */
	for (int off = -DIFF_STK; off < 0; off += 8) {
		int i = tl_rn(&g.r, 2) ? diff_emit(&g, 0x7a, 10, 0, off, diff_imm(&g.r)) :
			diff_emit(&g, 0x7b, 10, diff_reg(&g), off, 0);
		/* Root may read stack it never wrote; the content is undefined,
		 * so a shrunk program without these would prove nothing. */
		p->u[i].keep = true;
	}
	g.body_left = DIFF_BODY_MIN + (int)tl_rn(&g.r, DIFF_BODY_MAX - DIFF_BODY_MIN + 1);
	diff_gen_block(&g, 0, g.body_left);
	body_end = p->n;
	for (int i = 0; i < body_end; i++)
		if (p->u[i].jkind && p->u[i].target > body_end)
			p->u[i].target = body_end;
	diff_gen_epilogue(&g);
}

/* Lays the units out as slots, turning target units into distances. */
static size_t diff_layout(const struct diff_prog *p, struct userbpf_insn *out)
{
	int slot[DIFF_MAX_UNITS + 1];
	int s = 0;

	for (int i = 0; i < p->n; i++) {
		slot[i] = s;
		s += p->u[i].nslots;
	}
	slot[p->n] = s;
	for (int i = 0; i < p->n; i++) {
		const struct diff_unit *u = &p->u[i];
		int d = u->jkind ? slot[u->target] - slot[i] - 1 : 0;

		memcpy(&out[slot[i]], u->in, u->nslots * sizeof(u->in[0]));
		if (u->jkind == DIFF_J_OFF)
			out[slot[i]].off = (int16_t)d;
		else if (u->jkind == DIFF_J_IMM)
			out[slot[i]].imm = d;
	}
	return (size_t)s;
}

/* ---- the kernel --------------------------------------------------------- */

static uint8_t diff_pkt[RF_PKT_LEN];
static char diff_klog[1 << 18];

static long diff_bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

/* Loads p as a socket filter; returns the fd or -errno.  With want_log the
 * verifier's log is left in diff_klog. */
static int diff_kload(const struct userbpf_insn *p, size_t n, bool want_log)
{
	union bpf_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)p;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t)"GPL";
	if (want_log) {
		diff_klog[0] = '\0';
		a.log_buf = (uint64_t)(uintptr_t)diff_klog;
		a.log_size = sizeof(diff_klog);
		a.log_level = 1;
	}
	fd = diff_bpf(BPF_PROG_LOAD, &a);
	return fd < 0 ? -errno : (int)fd;
}

static int diff_krun_fd(int fd, uint32_t *ret)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(uintptr_t)diff_pkt;
	a.test.data_size_in = sizeof(diff_pkt);
	a.test.repeat = 1;
	if (diff_bpf(BPF_PROG_TEST_RUN, &a) < 0)
		return -errno;
	*ret = a.test.retval;
	return 0;
}

/* Runs p in the kernel: 0 with *ret, or a negative errno with *refused
 * telling a verifier refusal (BPF_PROG_LOAD) from a failed test run. */
static int diff_krun(const struct userbpf_insn *p, size_t n, uint32_t *ret, bool *refused)
{
	int fd = diff_kload(p, n, false), err;

	*refused = fd < 0;
	if (fd < 0)
		return fd;
	err = diff_krun_fd(fd, ret);
	close(fd);
	return err;
}

/* ---- the interpreter ---------------------------------------------------- */

static struct userbpf_rt *diff_rt;

#define DIFF_NMODES 5
static const char *const diff_mode_name[DIFF_NMODES] = {
	"checked,goto", "checked,switch", "fast,goto", "fast,switch", "jit",
};

/* Runs p in every interpreter mode.  Fills ret[]/err[] per mode; returns
 * false (with the log in tl_last_log) when the program does not load. */
static bool diff_urun(const struct userbpf_insn *p, size_t n,
		      uint32_t ret[DIFF_NMODES], int err[DIFF_NMODES])
{
	struct userbpf_prog *prog = userbpf_prog__load(diff_rt, p, n, NULL);

	if (!prog)
		return false;
	for (int m = 0; m < DIFF_NMODES; m++) {
		struct userbpf_run_opts o = { .sz = sizeof(o) };
		uint64_t r = 0;

		o.pkt = diff_pkt;
		o.pkt_len = sizeof(diff_pkt);
		o.engine = m == 4 ? USERBPF_ENGINE_JIT : USERBPF_ENGINE_INTERPRETER;
		if (m == 4 && !ub_jit_available()) {
			/* no JIT on this machine: the fast interpreter stands in */
			ret[m] = ret[2];
			err[m] = err[2];
			continue;
		}
		userbpf_prog__set_trusted(prog, m >= 2);
		err[m] = ub_prog_run_dispatch(prog, &o, m & 1 ? UB_DISPATCH_SWITCH : UB_DISPATCH_GOTO, &r);
		ret[m] = (uint32_t)r;
	}
	userbpf_prog__free(prog);
	return true;
}

/* ---- comparing ---------------------------------------------------------- */

enum { DIFF_AGREE, DIFF_MISMATCH, DIFF_REFUSED, DIFF_KERR };

struct diff_result {
	uint32_t kret;
	int kerr;
	bool uloaded;
	uint32_t uret[DIFF_NMODES];
	int uerr[DIFF_NMODES];
};

static int diff_compare(const struct userbpf_insn *p, size_t n, struct diff_result *res)
{
	bool refused;

	memset(res, 0, sizeof(*res));
	res->kerr = diff_krun(p, n, &res->kret, &refused);
	if (refused)
		return DIFF_REFUSED;
	if (res->kerr)
		return DIFF_KERR;
	res->uloaded = diff_urun(p, n, res->uret, res->uerr);
	if (!res->uloaded)
		return DIFF_MISMATCH;
	for (int m = 0; m < DIFF_NMODES; m++)
		if (res->uerr[m] || res->uret[m] != res->kret)
			return DIFF_MISMATCH;
	return DIFF_AGREE;
}

/* Deletes units while the kernel accepts the program and it still
 * mismatches, so a report shows the few instructions that matter. */
static void diff_shrink(struct diff_prog *p, struct userbpf_insn *buf)
{
	static struct diff_prog trial;
	bool progress = true;

	while (progress) {
		progress = false;
		for (int k = p->n - 2; k >= 0; k--) {
			struct diff_result res;
			size_t n;

			if (p->u[k].keep)
				continue;
			trial.n = 0;
			for (int i = 0; i < p->n; i++) {
				if (i == k)
					continue;
				trial.u[trial.n] = p->u[i];
				if (trial.u[trial.n].jkind && trial.u[trial.n].target > k)
					trial.u[trial.n].target--;
				trial.n++;
			}
			n = diff_layout(&trial, buf);
			if (diff_compare(buf, n, &res) == DIFF_MISMATCH) {
				*p = trial;
				progress = true;
			}
		}
	}
}

static void diff_dump(const struct userbpf_insn *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b[8];

		memcpy(b, &p[i], 8);
		printf("#   %3zu: %02x%02x%02x%02x%02x%02x%02x%02x  code=0x%02x dst=r%u src=r%u off=%d imm=%d\n",
		       i, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], p[i].code,
		       (unsigned)p[i].dst_reg, (unsigned)p[i].src_reg, p[i].off, p[i].imm);
	}
}

static void diff_describe(const struct diff_result *res, char *buf, size_t sz)
{
	size_t len = (size_t)snprintf(buf, sz, "kernel 0x%08x", res->kret);

	if (!res->uloaded) {
		snprintf(buf + len, sz - len, ", userbpf refused the program: %.300s", tl_last_log);
		return;
	}
	for (int m = 0; m < DIFF_NMODES && len < sz; m++) {
		if (res->uerr[m])
			len += (size_t)snprintf(buf + len, sz - len, ", [%s] error %d (%.200s)",
						diff_mode_name[m], res->uerr[m], tl_last_log);
		else
			len += (size_t)snprintf(buf + len, sz - len, ", [%s] 0x%08x",
						diff_mode_name[m], res->uret[m]);
	}
}

static void diff_print_klog(void)
{
	size_t len = strlen(diff_klog);
	const char *s = len > 1500 ? diff_klog + len - 1500 : diff_klog;

	for (const char *l = s; *l;) {
		const char *e = strchr(l, '\n');
		int w = e ? (int)(e - l) : (int)strlen(l);
		printf("#   | %.*s\n", w, l);
		l += w + (e ? 1 : 0);
	}
}

/* ---- options and main --------------------------------------------------- */

struct diff_opts {
	unsigned long count;
	uint64_t seed;
	long index;
	bool verbose;
	const char *save_dir;
	const char *kernel_file;
};

static uint64_t diff_prog_seed(uint64_t seed, unsigned long i)
{
	struct tl_rng r = { seed ^ (0xa0761d6478bd642fULL * (i + 1)) };
	return tl_rnd(&r);
}

static int diff_probe(char *why, size_t sz, bool *v4)
{
	static const struct userbpf_insn ret0[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, { .code = 0x95 },
	};
	static const struct userbpf_insn sdiv[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = -7 },
		{ .code = 0x37, .dst_reg = 0, .off = 1, .imm = 2 },
		{ .code = 0x95 },
	};
	static const struct userbpf_insn uninit[] = {
		{ .code = 0x79, .dst_reg = 0, .src_reg = 10, .off = -8 }, { .code = 0x95 },
	};
	uint32_t r;
	bool refused;
	int err = diff_krun(ret0, 2, &r, &refused);

	if (err) {
		snprintf(why, sz, "bpf() unavailable: %s %s", refused ? "BPF_PROG_LOAD:" : "BPF_PROG_TEST_RUN:",
			 strerror(-err));
		return -1;
	}
	/* Unprivileged callers get a stricter verifier that would refuse
	 * much of what the generator makes; reading stack never written is
	 * allowed only with CAP_PERFMON, so it tells the two apart. */
	if (diff_krun(uninit, 2, &r, &refused)) {
		snprintf(why, sz, "bpf() unavailable: the verifier runs unprivileged (not root?)");
		return -1;
	}
	*v4 = diff_krun(sdiv, 3, &r, &refused) == 0 && r == (uint32_t)-3;
	return 0;
}

static void diff_save(const char *dir, const char *name, const struct userbpf_insn *p,
		      size_t n, uint32_t expect, const char *what)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.txt", dir, name);
	f = fopen(path, "w");
	if (!f) {
		printf("# cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "# %s\n# expect 0x%08x\n", what, expect);
	rf_write_slots(f, p, n);
	fclose(f);
	printf("# wrote %s\n", path);
}

/* Every recorded regression must still agree with the kernel, so a wrong
 * "# expect" line cannot hide in the data. */
static void diff_check_regress(void)
{
	const char *root = getenv("UB_ROOT");
	char dir[1024], path[1400], why[256], name[400];
	static struct rf_case c;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/data/diff-regress", root ? root : ".");
	d = opendir(dir);
	if (!d) {
		tl_skip("diff regress-kernel", "no tests/data/diff-regress (set UB_ROOT)");
		return;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		uint32_t r;
		bool refused;
		int err;

		if (len < 5 || strcmp(de->d_name + len - 4, ".txt"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		snprintf(name, sizeof(name), "diff regress-kernel %s", de->d_name);
		if (rf_read(path, &c, why, sizeof(why))) {
			tl_fail(name, "%s", why);
			continue;
		}
		err = diff_krun(c.insns, c.cnt, &r, &refused);
		if (err)
			tl_fail(name, "kernel %s: %s", refused ? "refused it" : "run failed", strerror(-err));
		else if (!c.has_expect || r != c.expect)
			tl_fail(name, "kernel gives 0x%08x, file expects 0x%08x", r, c.expect);
		else
			tl_ok(name);
	}
	closedir(d);
}

static int diff_kernel_file(const char *path)
{
	static struct rf_case c;
	char why[256];
	uint32_t r;
	bool refused;
	int err;

	if (rf_read(path, &c, why, sizeof(why))) {
		fprintf(stderr, "%s: %s\n", path, why);
		return 1;
	}
	err = diff_krun(c.insns, c.cnt, &r, &refused);
	if (err) {
		fprintf(stderr, "%s: kernel %s: %s\n", path, refused ? "refused it" : "run failed",
			strerror(-err));
		if (refused && diff_kload(c.insns, c.cnt, true) < 0)
			diff_print_klog();
		return 1;
	}
	printf("# expect 0x%08x\n", r);
	return 0;
}

static int diff_parse(int argc, char **argv, struct diff_opts *o)
{
	o->count = 2000;
	o->seed = DIFF_DEFAULT_SEED;
	o->index = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (!strcmp(a, "--verbose")) {
			o->verbose = true;
			continue;
		}
		if (!v)
			goto bad;
		i++;
		if (!strcmp(a, "--count")) {
			o->count = strtoul(v, &end, 0);
		} else if (!strcmp(a, "--seed")) {
			o->seed = strtoull(v, &end, 0);
		} else if (!strcmp(a, "--index")) {
			o->index = strtol(v, &end, 0);
		} else if (!strcmp(a, "--save")) {
			o->save_dir = v;
			continue;
		} else if (!strcmp(a, "--kernel")) {
			o->kernel_file = v;
			continue;
		} else {
			goto bad;
		}
		if (*end)
			goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "usage: %s [--count N] [--seed S] [--index I] [--verbose] [--save DIR] [--kernel FILE]\n",
		argv[0]);
	return -1;
}

int main(int argc, char **argv)
{
	static struct diff_prog prog;
	static struct userbpf_insn buf[DIFF_MAX_UNITS * 4];
	struct userbpf_rt_opts ro = { .sz = sizeof(ro), .log = tl_log };
	struct diff_opts o = { 0 };
	unsigned long first, last, refused = 0, mismatches = 0, batch_bad = 0, ran = 0;
	unsigned long kerrs = 0;
	struct timespec t0, t1;
	char why[256];
	bool v4 = false;

	if (diff_parse(argc, argv, &o))
		return 2;
	rf_fill_pkt(diff_pkt);
	if (diff_probe(why, sizeof(why), &v4)) {
		tl_skip("diff", why);
		return tl_exit();
	}
	if (o.kernel_file)
		return diff_kernel_file(o.kernel_file);
	diff_rt = userbpf_rt__new(&ro);
	if (!diff_rt) {
		tl_fail("diff", "userbpf_rt__new: %s", strerror(errno));
		return tl_exit();
	}
	printf("# seed 0x%" PRIx64 ", %lu programs, cpu v4 %s\n", o.seed, o.count,
	       v4 ? "on" : "off (kernel refuses sdiv)");
	first = o.index >= 0 ? (unsigned long)o.index : 0;
	last = o.index >= 0 ? first + 1 : o.count;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long i = first; i < last; i++) {
		struct diff_result res;
		char nm[128], desc[2048];
		size_t n;
		int verdict;

		diff_generate(&prog, diff_prog_seed(o.seed, i), v4);
		n = diff_layout(&prog, buf);
		verdict = diff_compare(buf, n, &res);
		ran++;
		if (o.verbose)
			printf("# program %lu: %zu slots, verdict %d, kernel 0x%08x\n", i, n, verdict,
			       res.kret);
		if (verdict == DIFF_REFUSED) {
			if (++refused <= 3 || o.verbose) {
				printf("# kernel refused program %lu (%s):\n", i, strerror(-res.kerr));
				diff_dump(buf, n);
				if (diff_kload(buf, n, true) < 0)
					diff_print_klog();
			}
		} else if (verdict == DIFF_KERR) {
			kerrs++;
			snprintf(nm, sizeof(nm), "diff: program %lu (seed 0x%" PRIx64 ")", i, o.seed);
			tl_fail(nm, "BPF_PROG_TEST_RUN failed: %s", strerror(-res.kerr));
		} else if (verdict == DIFF_MISMATCH) {
			size_t n0 = n;

			mismatches++;
			batch_bad++;
			diff_describe(&res, desc, sizeof(desc));
			snprintf(nm, sizeof(nm), "diff: program %lu (seed 0x%" PRIx64 ", --index %lu)", i,
				 o.seed, i);
			tl_fail(nm, "%s", desc);
			diff_shrink(&prog, buf);
			n = diff_layout(&prog, buf);
			diff_compare(buf, n, &res);
			diff_describe(&res, desc, sizeof(desc));
			printf("# shrunk from %zu to %zu slots: %s\n", n0, n, desc);
			diff_dump(buf, n);
			if (o.save_dir) {
				char name[64];
				snprintf(name, sizeof(name), "gen-%" PRIx64 "-%lu", o.seed, i);
				diff_save(o.save_dir, name, buf, n, res.kret, desc);
			}
		}
		if ((i + 1 - first) % DIFF_BATCH == 0 || i + 1 == last) {
			if (!batch_bad)
				printf("ok diff: %lu programs, 0 mismatches (up to program %lu)\n",
				       (i - first) % DIFF_BATCH + 1, i);
			batch_bad = 0;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %lu programs in %.2f s: %lu refused by the kernel, %lu mismatches, %lu kernel run errors\n",
	       ran, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       refused, mismatches, kerrs);
	snprintf(why, sizeof(why), "diff refusals: %lu of %lu programs refused by the kernel", refused, ran);
	if (refused * 100 > ran)
		tl_fail(why, "more than 1%% (generator bug)");
	else
		tl_ok(why);
	if (o.index < 0)
		diff_check_regress();
	userbpf_rt__free(diff_rt);
	return tl_exit();
}
