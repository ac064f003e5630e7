/* SPDX-License-Identifier: MIT */
/*
 * kernel_vdiff.c - differential test of the verifier's verdicts against
 * Linux's verifier.
 *
 * The kernel on our machines answers BPF_PROG_LOAD as root, so its
 * verifier is an oracle for "is this program safe?".  This program makes
 * random programs that the kernel should accept (scalars, stack with
 * spills, context fields, packet access after a data_end check, helpers,
 * bpf2bpf calls, bounded loops) and MUTANTS of them that break one rule
 * (an initialisation dropped, a stack access out of the frame or
 * misaligned, a jump out of range or into lddw, an infinite loop, an
 * unknown helper, an unchecked packet access, arithmetic on pointers, a
 * write to r10, a call chain too deep, a pointer stored where it must not
 * go, a context field that does not exist, division by an immediate 0, a
 * shift past the width, or one field of one instruction changed at
 * random), and asks both verifiers.
 *
 * Maps are real: at start a hash, arrays (one a .data global, one a frozen
 * BPF_F_RDONLY_PROG .rodata), a ringbuf, prog arrays and a queue are
 * created with BPF_MAP_CREATE; programs name them by index (what userbpf
 * reads) and vd_kload rewrites the indexes into the kernel's fds.  Map
 * units look values up and use them after a NULL check, update, delete,
 * read and write globals, reserve and submit ringbuf memory, push and pop,
 * tail call, and call bpf_loop with a callback (those programs carry BTF
 * func_info, which Linux wants); map mutants leave a value unchecked,
 * access it out of bounds, pass bad keys, write read-only maps, use the
 * wrong map for a helper or lddw, and misuse ringbuf reservations.
 *
 * The programs that matter are the disagreements:
 *   - userbpf accepts, the kernel refuses: unsound-looking.  Some kernel
 *     refusals are Linux's own limits (aligned stack slots, no partial
 *     spill of a pointer, read-only packets for this program type...),
 *     and the program is safe for userbpf; the others are safety
 *     reasons and must never happen.  These are shrunk to a few units
 *     and printed with both messages.
 *   - the kernel accepts, userbpf refuses: imprecision; at least 95% of
 *     the programs the kernel accepts should pass.
 *
 * Socket filters cannot read skb->data on Linux, so programs with packet
 * access load as BPF_PROG_TYPE_SCHED_CLS, with that type's context rules;
 * the others as BPF_PROG_TYPE_SOCKET_FILTER.
 *
 *   kernel_vdiff [--count N] [--seed S] [--index I] [--verbose] [--save DIR]
 *
 * Each program is made from its own seed, so --index I reproduces program
 * I of a run.  --save writes shrunk unsound-looking cases to DIR in the
 * format of tests/data/vdiff-regress/.  A safety disagreement, or an
 * acceptance rate below 95%, is a failure (UB_VDIFF_STRICT=0 reports them
 * as skips, for work in progress).  Without
 * a usable bpf() the program prints one skip line and succeeds; the
 * recorded regressions are still replayed through userbpf.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "testlib.h"
#include "tl_rng.h"
#include "verifier/verifier.h"
#include "../diff/regress_file.h"

#define VD_MAX_UNITS 600
#define VD_UNIT_SLOTS 24
#define VD_BATCH 500
#define VD_DEFAULT_SEED 0x7e51f1e5d00dULL
#define VD_STK 64		/* main's scalar stack area [-64, 0), written first */
#define VD_SUB_STK 32		/* a subprogram's area [-32, 0) */
#define VD_SPILL_LO (-128)	/* pointers are spilled into [-128, -64) */
#define VD_MAX_SUBS 24
/* userbpf's budget of processed instructions.  Its verifier is far slower
 * per instruction than Linux's once states pile up (minutes for the 1M
 * that Linux does in seconds), so a program that needs more than this is
 * set aside before either verifier sees it in full, and counted. */
#define VD_BUDGET 50000

/* ---- random numbers (tests/lib/tl_rng.h) ------------------------------- */

static int32_t vd_imm(struct tl_rng *r)
{
	static const int32_t special[] = {
		0, 1, -1, 2, -2, 3, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256,
		0x7fff, 0x8000, 0xffff, INT32_MAX, INT32_MIN, -128, -32768,
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

/* ---- the two program types ---------------------------------------------- */

#define SKB(f) ((uint32_t)offsetof(struct __sk_buff, f))
#define RD UB_CTX_READ
#define WR UB_CTX_WRITE

/* struct __sk_buff as Linux lets a socket filter see it: no packet
 * pointers, and only cb[] is writable. */
static const struct ub_ctx_field vd_ctx_sk[] = {
	{ SKB(len), 4, RD }, { SKB(pkt_type), 4, RD }, { SKB(mark), 4, RD },
	{ SKB(queue_mapping), 4, RD }, { SKB(protocol), 4, RD }, { SKB(vlan_present), 4, RD },
	{ SKB(vlan_tci), 4, RD }, { SKB(vlan_proto), 4, RD }, { SKB(priority), 4, RD },
	{ SKB(ingress_ifindex), 4, RD }, { SKB(ifindex), 4, RD }, { SKB(tc_index), 4, RD },
	{ SKB(cb[0]), 20, RD | WR }, { SKB(hash), 4, RD }, { SKB(napi_id), 4, RD },
	{ SKB(gso_segs), 4, RD }, { SKB(gso_size), 4, RD },
};

/* ...and as a tc classifier sees it: packet pointers, more writable fields. */
static const struct ub_ctx_field vd_ctx_tc[] = {
	{ SKB(len), 4, RD }, { SKB(pkt_type), 4, RD }, { SKB(mark), 4, RD | WR },
	{ SKB(queue_mapping), 4, RD | WR }, { SKB(protocol), 4, RD }, { SKB(vlan_present), 4, RD },
	{ SKB(vlan_tci), 4, RD }, { SKB(vlan_proto), 4, RD }, { SKB(priority), 4, RD | WR },
	{ SKB(ingress_ifindex), 4, RD }, { SKB(ifindex), 4, RD }, { SKB(tc_index), 4, RD | WR },
	{ SKB(cb[0]), 20, RD | WR }, { SKB(hash), 4, RD }, { SKB(tc_classid), 4, RD | WR },
	{ SKB(data), 4, UB_CTX_DATA }, { SKB(data_end), 4, UB_CTX_DATA_END },
	{ SKB(napi_id), 4, RD }, { SKB(data_meta), 4, UB_CTX_DATA_META },
	{ SKB(wire_len), 4, RD }, { SKB(gso_segs), 4, RD }, { SKB(gso_size), 4, RD },
	{ SKB(tstamp_type), 1, RD },
};

#define VD_NSK (sizeof(vd_ctx_sk) / sizeof(vd_ctx_sk[0]))
#define VD_NTC (sizeof(vd_ctx_tc) / sizeof(vd_ctx_tc[0]))

/* ---- programs as units -------------------------------------------------- */

/*
 * A unit is one instruction or a short sequence no jump may land inside
 * (a packet check with its accesses, a loop's back edge).  A unit may
 * carry one jump (in slot jslot) whose target is another unit; offsets
 * are computed at layout, so units can be inserted and deleted.
 */
enum { J_NONE, J_OFF, J_IMM };
enum { ROLE_BODY, ROLE_INIT, ROLE_KEEP };

struct vd_unit {
	struct userbpf_insn in[VD_UNIT_SLOTS];
	uint8_t nslots;
	uint8_t jkind;
	uint8_t jslot;
	uint8_t role;
	int target;
	int callsub;		/* 1 + subprogram index, resolved to target */
};

struct vd_prog {
	struct vd_unit u[VD_MAX_UNITS];
	int n;
	int body_start, body_end;	/* main's body: where mutations insert */
	int nsub;
	int sub_start[VD_MAX_SUBS];
	bool tc;			/* BPF_PROG_TYPE_SCHED_CLS */
};

/* What the generator knows of a register at the current point. */
enum { K_UNINIT, K_SCALAR, K_CTX, K_FPARG, K_MIXED };

struct vd_gs {
	uint8_t k[11];
	bool dead;		/* no path reaches here (after ja/exit) */
};

struct vd_gen {
	struct tl_rng r;
	struct vd_prog *p;
	struct vd_gs s;
	struct { int target; struct vd_gs s; } pend[256];
	int npend;
	bool in_loop, in_sub, ldabs_ok;
	uint16_t nowrite;	/* registers the body must not write */
	int stk;		/* bytes of written stack area */
	int body_left;
	int sub_arg[VD_MAX_SUBS];	/* K_SCALAR, K_CTX or K_FPARG */
	bool called[VD_MAX_SUBS];
	int cur_sub;		/* -1 in main */
	int cb_sub;		/* the bpf_loop callback's subprogram, or -1 */
	bool cb_used;
};

static const uint32_t *vd_helpers;
static size_t vd_nhelpers;

static struct vd_unit *vd_new(struct vd_gen *g)
{
	struct vd_unit *u = &g->p->u[g->p->n];

	memset(u, 0, sizeof(*u));
	g->p->n++;
	return u;
}

static void vd_put(struct vd_unit *u, unsigned code, unsigned dst, unsigned src, int off,
		   int32_t imm)
{
	struct userbpf_insn *in;

	if (u->nslots >= VD_UNIT_SLOTS)
		return;
	in = &u->in[u->nslots++];
	memset(in, 0, sizeof(*in));
	in->code = (uint8_t)code;
	in->dst_reg = dst & 15;
	in->src_reg = src & 15;
	in->off = (int16_t)off;
	in->imm = imm;
}

static void vd_put_lddw(struct vd_unit *u, unsigned dst, unsigned src, uint64_t v)
{
	vd_put(u, 0x18, dst, src, 0, (int32_t)(uint32_t)v);
	vd_put(u, 0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

static void vd_meet(struct vd_gs *a, const struct vd_gs *b)
{
	if (b->dead)
		return;
	if (a->dead) {
		*a = *b;
		return;
	}
	for (int r = 0; r < 11; r++)
		if (a->k[r] != b->k[r])
			a->k[r] = a->k[r] == K_UNINIT || b->k[r] == K_UNINIT ? K_UNINIT : K_MIXED;
}

/* Called before each unit: joins the states of jumps that land here. */
static void vd_arrive(struct vd_gen *g)
{
	for (int i = 0; i < g->npend; i++) {
		if (g->pend[i].target != g->p->n)
			continue;
		vd_meet(&g->s, &g->pend[i].s);
		g->pend[i--] = g->pend[--g->npend];
	}
}

static void vd_jump_from_here(struct vd_gen *g, int target)
{
	if (g->npend < (int)(sizeof(g->pend) / sizeof(g->pend[0]))) {
		g->pend[g->npend].target = target;
		g->pend[g->npend++].s = g->s;
	}
}

/* A register holding a number, or -1. */
static int vd_scalar(struct vd_gen *g)
{
	int c[11], n = 0;

	for (int r = 0; r < 10; r++)
		if (g->s.k[r] == K_SCALAR)
			c[n++] = r;
	return n ? c[tl_rn(&g->r, (uint32_t)n)] : -1;
}

/* A register holding a number that the body may overwrite, or -1. */
static int vd_scalar_dst(struct vd_gen *g)
{
	int c[11], n = 0;

	for (int r = 0; r < 10; r++)
		if (g->s.k[r] == K_SCALAR && !(g->nowrite & (1u << r)))
			c[n++] = r;
	return n ? c[tl_rn(&g->r, (uint32_t)n)] : -1;
}

static int vd_any_dst(struct vd_gen *g)
{
	for (;;) {
		int r = (int)tl_rn(&g->r, 10);
		if (!(g->nowrite & (1u << r)))
			return r;
	}
}

static int vd_ctx_reg(struct vd_gen *g)
{
	int c[11], n = 0;

	for (int r = 0; r < 10; r++)
		if (g->s.k[r] == K_CTX)
			c[n++] = r;
	return n ? c[tl_rn(&g->r, (uint32_t)n)] : -1;
}

static void vd_set(struct vd_gen *g, int r, int kind)
{
	if (r >= 0 && r < 10)
		g->s.k[r] = (uint8_t)kind;
}

static void vd_clobber_args(struct vd_gen *g)
{
	for (int r = 1; r <= 5; r++)
		g->s.k[r] = K_UNINIT;
	g->s.k[0] = K_SCALAR;
}

/* ---- body units ---------------------------------------------------------- */

static void vd_gen_alu(struct vd_gen *g)
{
	static const uint8_t ops[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
				       0x70, 0x90, 0xa0, 0xc0, 0x00, 0x10 };
	bool is64 = tl_rn(&g->r, 3) != 0;
	unsigned cls = is64 ? 0x07 : 0x04, width = is64 ? 64 : 32;
	unsigned op = ops[tl_rn(&g->r, sizeof(ops))];
	bool divmod = op == 0x30 || op == 0x90, shift = op == 0x60 || op == 0x70 || op == 0xc0;
	int dst = vd_scalar_dst(g), src = vd_scalar(g);
	int off = divmod && tl_rn(&g->r, 3) == 0 ? 1 : 0;
	struct vd_unit *u;
	int32_t imm;

	if (dst < 0) {
		dst = vd_any_dst(g);
		u = vd_new(g);
		vd_put(u, 0xb7, (unsigned)dst, 0, 0, vd_imm(&g->r));
		vd_set(g, dst, K_SCALAR);
		return;
	}
	u = vd_new(g);
	if (src >= 0 && tl_rn(&g->r, 2)) {
		vd_put(u, cls | 0x08 | op, (unsigned)dst, (unsigned)src, off, 0);
		return;
	}
	imm = vd_imm(&g->r);
	if (shift)
		imm = (int32_t)tl_rn(&g->r, width);
	while (divmod && imm == 0)
		imm = vd_imm(&g->r);
	vd_put(u, cls | op, (unsigned)dst, 0, off, imm);
}

static void vd_gen_unary(struct vd_gen *g)
{
	static const int32_t widths[] = { 16, 32, 64 };
	int dst = vd_scalar_dst(g), src = vd_scalar(g);
	struct vd_unit *u = vd_new(g);

	switch (dst < 0 ? 6 : tl_rn(&g->r, 7)) {
	case 0:
		vd_put(u, tl_rn(&g->r, 2) ? 0x87 : 0x84, (unsigned)dst, 0, 0, 0);
		return;
	case 1:
		if (src >= 0) {
			static const int offs[] = { 8, 16, 32 };
			vd_put(u, 0xbf, (unsigned)dst, (unsigned)src, offs[tl_rn(&g->r, 3)], 0);
			return;
		}
		break;
	case 2:
		vd_put(u, tl_rn(&g->r, 2) ? 0xd4 : 0xdc, (unsigned)dst, 0, 0, widths[tl_rn(&g->r, 3)]);
		return;
	case 3:
		vd_put(u, 0xd7, (unsigned)dst, 0, 0, widths[tl_rn(&g->r, 3)]);
		return;
	case 4:
		if (src >= 0) {
			vd_put(u, tl_rn(&g->r, 2) ? 0xbf : 0xbc, (unsigned)dst, (unsigned)src, 0, 0);
			return;
		}
		break;
	default:
		break;
	}
	dst = vd_any_dst(g);
	if (tl_rn(&g->r, 2))
		vd_put_lddw(u, (unsigned)dst, 0, tl_rnd(&g->r));
	else
		vd_put(u, tl_rn(&g->r, 2) ? 0xb7 : 0xb4, (unsigned)dst, 0, 0, vd_imm(&g->r));
	vd_set(g, dst, K_SCALAR);
}

static const uint8_t vd_szcode[4] = { 0x10, 0x08, 0x00, 0x18 }; /* B H W DW */

static int vd_stack_off(struct vd_gen *g, unsigned size)
{
	return -g->stk + (int)(size * tl_rn(&g->r, (uint32_t)g->stk / size));
}

static void vd_gen_stack(struct vd_gen *g)
{
	unsigned s = tl_rn(&g->r, 4);
	int off = vd_stack_off(g, 1u << s), v = vd_scalar(g), dst;
	struct vd_unit *u = vd_new(g);

	switch (tl_rn(&g->r, 3)) {
	case 0:
		vd_put(u, 0x62 | vd_szcode[s], 10, 0, off, vd_imm(&g->r));
		break;
	case 1:
		if (v >= 0) {
			vd_put(u, 0x63 | vd_szcode[s], 10, (unsigned)v, off, 0);
			break;
		}
		/* fall through */
	default:
		dst = vd_any_dst(g);
		if (s < 3 && tl_rn(&g->r, 3) == 0)
			vd_put(u, 0x81 | vd_szcode[s], (unsigned)dst, 10, off, 0);
		else
			vd_put(u, 0x61 | vd_szcode[s], (unsigned)dst, 10, off, 0);
		vd_set(g, dst, K_SCALAR);
		break;
	}
}

static void vd_gen_atomic(struct vd_gen *g)
{
	static const int32_t ops[] = { 0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1 };
	bool is64 = tl_rn(&g->r, 2);
	int32_t op = ops[tl_rn(&g->r, 10)];
	int src = vd_scalar_dst(g);
	struct vd_unit *u;

	if (src < 0 || (op == 0xf1 && (g->s.k[0] != K_SCALAR || (g->nowrite & 1)))) {
		vd_gen_alu(g);
		return;
	}
	u = vd_new(g);
	vd_put(u, is64 ? 0xdb : 0xc3, 10, (unsigned)src, vd_stack_off(g, is64 ? 8 : 4), op);
}

/* A context field the program type lets us read (not a packet pointer). */
static const struct ub_ctx_field *vd_pick_field(struct vd_gen *g, bool write)
{
	const struct ub_ctx_field *f = g->p->tc ? vd_ctx_tc : vd_ctx_sk;
	size_t n = g->p->tc ? VD_NTC : VD_NSK;

	for (int tries = 0; tries < 64; tries++) {
		const struct ub_ctx_field *c = &f[tl_rn(&g->r, (uint32_t)n)];
		if (write ? (c->kind & WR) : (c->kind & RD))
			return c;
	}
	return &f[0];
}

static void vd_gen_ctx_read(struct vd_gen *g)
{
	int base = vd_ctx_reg(g), dst;
	const struct ub_ctx_field *f;
	unsigned size = 4, off;
	struct vd_unit *u;

	if (base < 0) {
		vd_gen_stack(g);
		return;
	}
	f = vd_pick_field(g, false);
	off = f->off;
	if (f->size == 20) { /* cb[]: any aligned size */
		size = 1u << tl_rn(&g->r, 4);
		off = f->off + size * tl_rn(&g->r, 20 / size);
		if (size == 8 && off % 8)
			off -= 4;
	} else if (tl_rn(&g->r, 4) == 0) { /* a narrow read */
		size = tl_rn(&g->r, 2) ? 1 : 2;
		off = f->off + size * tl_rn(&g->r, 4 / size);
	}
	dst = vd_any_dst(g);
	u = vd_new(g);
	vd_put(u, 0x61 | vd_szcode[size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3], (unsigned)dst,
	       (unsigned)base, (int)off, 0);
	vd_set(g, dst, K_SCALAR);
}

static void vd_gen_ctx_write(struct vd_gen *g)
{
	int base = vd_ctx_reg(g), v = vd_scalar(g);
	const struct ub_ctx_field *f = vd_pick_field(g, true);
	unsigned size = 4, off = f->off;
	struct vd_unit *u;

	if (base < 0) {
		vd_gen_stack(g);
		return;
	}
	if (f->size == 20) {
		size = 1u << tl_rn(&g->r, 4);
		off = f->off + size * tl_rn(&g->r, 20 / size);
		if (size == 8 && off % 8)
			off -= 4;
	}
	u = vd_new(g);
	{
		unsigned sc = vd_szcode[size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3];
		if (v >= 0 && tl_rn(&g->r, 2))
			vd_put(u, 0x63 | sc, (unsigned)base, (unsigned)v, (int)off, 0);
		else
			vd_put(u, 0x62 | sc, (unsigned)base, 0, (int)off, vd_imm(&g->r));
	}
}

static void vd_gen_helper(struct vd_gen *g)
{
	struct vd_unit *u;

	if (!vd_nhelpers) {
		vd_gen_alu(g);
		return;
	}
	u = vd_new(g);
	vd_put(u, 0x85, 0, 0, 0, (int32_t)vd_helpers[tl_rn(&g->r, (uint32_t)vd_nhelpers)]);
	vd_clobber_args(g);
}

static void vd_gen_ldabs(struct vd_gen *g)
{
	struct vd_unit *u;
	int src = vd_scalar(g);
	unsigned s = tl_rn(&g->r, 3);

	if (!g->ldabs_ok || g->s.k[6] != K_CTX) {
		vd_gen_alu(g);
		return;
	}
	u = vd_new(g);
	if (src >= 0 && tl_rn(&g->r, 2))
		vd_put(u, 0x40 | vd_szcode[s], 0, (unsigned)src, 0, (int32_t)tl_rn(&g->r, 64));
	else
		vd_put(u, 0x20 | vd_szcode[s], 0, 0, 0, (int32_t)tl_rn(&g->r, 64));
	vd_clobber_args(g);
}

/* r = r10 - k, then accesses through r inside the written area. */
static void vd_gen_fp_arith(struct vd_gen *g)
{
	int r = vd_any_dst(g), v = vd_scalar(g), k = 8 * (1 + (int)tl_rn(&g->r, (uint32_t)g->stk / 8));
	struct vd_unit *u = vd_new(g);
	unsigned s = tl_rn(&g->r, 4), size = 1u << s;
	int off = (int)(size * tl_rn(&g->r, (uint32_t)k / size));

	vd_put(u, 0xbf, (unsigned)r, 10, 0, 0);
	vd_put(u, 0x07, (unsigned)r, 0, 0, -k);
	if (v >= 0 && v != r && tl_rn(&g->r, 2))
		vd_put(u, 0x63 | vd_szcode[s], (unsigned)r, (unsigned)v, off, 0);
	else
		vd_put(u, 0x62 | vd_szcode[s], (unsigned)r, 0, off, vd_imm(&g->r));
	vd_set(g, r, K_MIXED);
	if (tl_rn(&g->r, 2)) {
		int d = vd_any_dst(g);
		vd_put(u, 0x61 | vd_szcode[s], (unsigned)d, (unsigned)r, off, 0);
		vd_set(g, d, K_SCALAR);
	}
}

/* A stack access at a variable, bounded offset (root may do this). */
static void vd_gen_var_stack(struct vd_gen *g)
{
	int a = vd_scalar_dst(g), b, v;
	unsigned s = tl_rn(&g->r, 4), size = 1u << s;
	struct vd_unit *u;

	if (a < 0 || g->in_sub) {
		vd_gen_alu(g);
		return;
	}
	do
		b = vd_any_dst(g);
	while (b == a);
	u = vd_new(g);
	vd_put(u, 0x57, (unsigned)a, 0, 0, (int32_t)(31u & ~(size - 1)));
	vd_put(u, 0xbf, (unsigned)b, 10, 0, 0);
	vd_put(u, 0x07, (unsigned)b, 0, 0, -VD_STK);
	vd_put(u, 0x0f, (unsigned)b, (unsigned)a, 0, 0);
	v = vd_scalar(g);
	if (tl_rn(&g->r, 2) && v >= 0 && v != b) {
		vd_put(u, 0x63 | vd_szcode[s], (unsigned)b, (unsigned)v, 0, 0);
	} else {
		int d = vd_any_dst(g);
		vd_put(u, 0x61 | vd_szcode[s], (unsigned)d, (unsigned)b, 0, 0);
		if (d != b) {
			vd_set(g, b, K_MIXED);
			vd_set(g, d, K_SCALAR);
			return;
		}
	}
	vd_set(g, b, K_MIXED);
}

/* Spill the context pointer, fill it into another register, read a field. */
static void vd_gen_spill(struct vd_gen *g)
{
	int c = vd_ctx_reg(g), d, off;
	struct vd_unit *u;

	if (c < 0 || g->in_sub) {
		vd_gen_stack(g);
		return;
	}
	d = vd_any_dst(g);
	off = VD_SPILL_LO + 8 * (int)tl_rn(&g->r, 8);
	u = vd_new(g);
	vd_put(u, 0x7b, 10, (unsigned)c, off, 0);
	vd_put(u, 0x79, (unsigned)d, 10, off, 0);
	vd_set(g, d, K_CTX);
	if (tl_rn(&g->r, 2)) {
		int e = vd_any_dst(g);
		vd_put(u, 0x61, (unsigned)e, (unsigned)d, (int)SKB(len), 0);
		vd_set(g, e, K_SCALAR);
	}
}

/* Packet access after a data_end check (tc only). */
static void vd_gen_packet(struct vd_gen *g)
{
	int c = vd_ctx_reg(g), regs[4], n = 0;
	unsigned N = 1 + tl_rn(&g->r, 64), k;
	int form = (int)tl_rn(&g->r, 4), var = vd_scalar(g);
	struct vd_unit *u;
	int jslot, dst;

	if (!g->p->tc || c < 0) {
		vd_gen_ctx_read(g);
		return;
	}
	while (n < 3) {
		int r = vd_any_dst(g);
		bool dup = r == c;
		for (int i = 0; i < n; i++)
			dup |= regs[i] == r;
		if (!dup)
			regs[n++] = r;
	}
	u = vd_new(g);
	vd_put(u, 0x61, (unsigned)regs[0], (unsigned)c, (int)SKB(data), 0);
	vd_put(u, 0x61, (unsigned)regs[1], (unsigned)c, (int)SKB(data_end), 0);
	if (var >= 0 && var != regs[0] && var != regs[1] && var != regs[2] && tl_rn(&g->r, 3) == 0) {
		/* a bounded variable offset, added before the check */
		vd_put(u, 0xbf, (unsigned)regs[2], (unsigned)var, 0, 0);
		vd_put(u, 0x57, (unsigned)regs[2], 0, 0, 15);
		vd_put(u, 0x0f, (unsigned)regs[0], (unsigned)regs[2], 0, 0);
	}
	vd_put(u, 0xbf, (unsigned)regs[2], (unsigned)regs[0], 0, 0);
	vd_put(u, 0x07, (unsigned)regs[2], 0, 0, (int32_t)N);
	jslot = u->nslots;
	switch (form) {
	case 0: /* if end < p + N: skip */
		vd_put(u, 0x2d, (unsigned)regs[2], (unsigned)regs[1], 0, 0);
		break;
	case 1:
		vd_put(u, 0xad, (unsigned)regs[1], (unsigned)regs[2], 0, 0);
		break;
	case 2: /* if p + N <= end: go on, else skip */
		vd_put(u, 0xbd, (unsigned)regs[2], (unsigned)regs[1], 1, 0);
		vd_put(u, 0x05, 0, 0, 0, 0);
		jslot++;
		break;
	default:
		vd_put(u, 0x3d, (unsigned)regs[1], (unsigned)regs[2], 1, 0);
		vd_put(u, 0x05, 0, 0, 0, 0);
		jslot++;
		break;
	}
	k = 1 + tl_rn(&g->r, 3);
	dst = vd_scalar_dst(g);
	if (dst == regs[0])
		dst = -1;
	for (unsigned i = 0; i < k; i++) {
		unsigned s = tl_rn(&g->r, 4), size = 1u << s;
		int off;
		if (size > N)
			s = 0, size = 1;
		off = (int)tl_rn(&g->r, N - size + 1);
		if (dst >= 0 && tl_rn(&g->r, 3))
			vd_put(u, 0x61 | vd_szcode[s], (unsigned)dst, (unsigned)regs[0], off, 0);
		else if (dst >= 0 && tl_rn(&g->r, 2))
			vd_put(u, 0x63 | vd_szcode[s], (unsigned)regs[0], (unsigned)dst, off, 0);
		else
			vd_put(u, 0x62 | vd_szcode[s], (unsigned)regs[0], 0, off, vd_imm(&g->r));
	}
	u->in[jslot].off = (int16_t)(u->nslots - jslot - 1);
	for (int i = 0; i < 3; i++)
		vd_set(g, regs[i], K_MIXED);
}

/* A call of subprogram s with its argument in r1. */
static void vd_gen_call(struct vd_gen *g, int s)
{
	struct vd_unit *u;
	int c = vd_ctx_reg(g);

	if (g->sub_arg[s] == K_CTX && c < 0)
		return;
	u = vd_new(g);
	if (g->sub_arg[s] == K_CTX)
		vd_put(u, 0xbf, 1, (unsigned)c, 0, 0);
	else if (g->sub_arg[s] == K_FPARG) {
		vd_put(u, 0xbf, 1, 10, 0, 0);
		vd_put(u, 0x07, 1, 0, 0, -16);
	} else
		vd_put(u, 0xb7, 1, 0, 0, vd_imm(&g->r));
	u->jslot = u->nslots;
	vd_put(u, 0x85, 0, 1, 0, 0);
	u->jkind = J_IMM;
	u->callsub = s + 1;
	g->called[s] = true;
	vd_clobber_args(g);
}

/* ---- maps ------------------------------------------------------------------ */

/*
 * The maps every program may use: created in the kernel at start
 * (vd_make_maps), named by fd there and by index here; vd_kload turns one
 * into the other.  Values are sized so that a value fits in the scalar
 * stack area both main and subprograms write first.
 */
enum { VM_HASH, VM_DATA, VM_RODATA, VM_RINGBUF, VM_PROGS, VM_ARRAY, VM_QUEUE, VM_PERCPU, VM__COUNT };

static const struct ub_vfy_map vd_maps[VM__COUNT] = {
	[VM_HASH] = { .type = BPF_MAP_TYPE_HASH, .key_size = 4, .value_size = 16, .max_entries = 8, .inner = -1 },
	[VM_DATA] = { .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 1,
		      .direct_value = true, .inner = -1 },
	[VM_RODATA] = { .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 32, .max_entries = 1,
			.flags = BPF_F_RDONLY_PROG, .rdonly_prog = true, .direct_value = true, .inner = -1 },
	[VM_RINGBUF] = { .type = BPF_MAP_TYPE_RINGBUF, .max_entries = 4096, .inner = -1 },
	[VM_PROGS] = { .type = BPF_MAP_TYPE_PROG_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 4, .inner = -1 },
	[VM_ARRAY] = { .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 24, .max_entries = 4, .inner = -1 },
	[VM_QUEUE] = { .type = BPF_MAP_TYPE_QUEUE, .key_size = 0, .value_size = 8, .max_entries = 8, .inner = -1 },
	[VM_PERCPU] = { .type = BPF_MAP_TYPE_PERCPU_ARRAY, .key_size = 4, .value_size = 16, .max_entries = 4,
			.inner = -1 },
};
static int vd_map_fd[VM__COUNT];
static int vd_progs_tc_fd;	/* a prog array belongs to one program type */
static bool vd_have_maps;

/* lddw rD, map (src 1) or lddw rD, &value + off (src 2), by index */
static void vd_put_map(struct vd_unit *u, unsigned dst, unsigned src, int map, int off)
{
	vd_put(u, 0x18, dst, src, 0, map);
	vd_put(u, 0, 0, 0, 0, off);
}

/* A scalar among the registers a helper call leaves alone, or -1. */
static int vd_saved_scalar(struct vd_gen *g)
{
	int c[4], n = 0;

	for (int r = 6; r <= 9; r++)
		if (g->s.k[r] == K_SCALAR)
			c[n++] = r;
	return n ? c[tl_rn(&g->r, (uint32_t)n)] : -1;
}

/* r2 = a key on the written stack */
static void vd_put_key(struct vd_gen *g, struct vd_unit *u)
{
	vd_put(u, 0xbf, 2, 10, 0, 0);
	vd_put(u, 0x07, 2, 0, 0, -8 * (1 + (int)tl_rn(&g->r, (uint32_t)g->stk / 8)));
}

/* Accesses through r0 = a value of `vs` bytes, in bounds. */
static void vd_put_value_access(struct vd_gen *g, struct vd_unit *u, unsigned vs, bool rdonly)
{
	unsigned k = 1 + tl_rn(&g->r, 3);
	int v = vd_saved_scalar(g);

	for (unsigned i = 0; i < k; i++) {
		unsigned s = tl_rn(&g->r, 4), size = 1u << s;
		int off;
		while (size > vs)
			s--, size >>= 1;
		off = (int)(size * tl_rn(&g->r, vs / size));
		switch (rdonly ? 0 : tl_rn(&g->r, 4)) {
		case 0:
			vd_put(u, 0x61 | vd_szcode[s], 1, 0, off, 0);
			break;
		case 1:
			if (v >= 0) {
				vd_put(u, 0x63 | vd_szcode[s], 0, (unsigned)v, off, 0);
				break;
			}
			/* fall through */
		case 2:
			vd_put(u, 0x62 | vd_szcode[s], 0, 0, off, vd_imm(&g->r));
			break;
		default: /* a bounded variable offset */
			if (v < 0 || vs < 8) {
				vd_put(u, 0x61 | vd_szcode[s], 1, 0, off, 0);
				break;
			}
			vd_put(u, 0xbf, 3, (unsigned)v, 0, 0);
			vd_put(u, 0x57, 3, 0, 0, (int32_t)(vs / 2 - 1) & ~3);
			vd_put(u, 0xbf, 4, 0, 0, 0);
			vd_put(u, 0x0f, 4, 3, 0, 0);
			vd_put(u, 0x61, 1, 4, 0, 0);
			break;
		}
	}
}

/* bpf_loop(nr, cb, ctx, 0) with ctx = a stack slot of main's or NULL */
static void vd_gen_loop_cb(struct vd_gen *g)
{
	struct vd_unit *u = vd_new(g);
	int v = vd_scalar(g);

	if (v >= 0 && v != 1 && tl_rn(&g->r, 3) == 0) {
		vd_put(u, 0xbf, 1, (unsigned)v, 0, 0);
		vd_put(u, 0x57, 1, 0, 0, 15);
	} else {
		vd_put(u, 0xb7, 1, 0, 0, (int32_t)tl_rn(&g->r, 17));
	}
	u->jslot = u->nslots;
	u->jkind = J_IMM;
	u->callsub = g->cb_sub + 1;
	vd_put(u, 0x18, 2, 4, 0, 0);
	vd_put(u, 0, 0, 0, 0, 0);
	if (tl_rn(&g->r, 4)) {
		vd_put(u, 0xbf, 3, 10, 0, 0);
		vd_put(u, 0x07, 3, 0, 0, -8 * (1 + (int)tl_rn(&g->r, (uint32_t)g->stk / 8)));
	} else {
		vd_put(u, 0xb7, 3, 0, 0, 0);
	}
	vd_put(u, 0xb7, 4, 0, 0, 0);
	vd_put(u, 0x85, 0, 0, 0, 181);
	g->cb_used = true;
	vd_clobber_args(g);
}

static void vd_gen_map(struct vd_gen *g)
{
	struct vd_unit *u;
	int jslot;

	if (!vd_have_maps || g->stk < 32) {
		vd_gen_alu(g);
		return;
	}
	u = vd_new(g);
	switch (tl_rn(&g->r, 9)) {
	case 0: case 1: { /* lookup, check, use */
		static const int m[] = { VM_HASH, VM_ARRAY, VM_PERCPU, VM_DATA, VM_RODATA };
		int map = m[tl_rn(&g->r, 5)];
		vd_put_key(g, u);
		vd_put_map(u, 1, 1, map, 0);
		vd_put(u, 0x85, 0, 0, 0, 1);
		jslot = u->nslots;
		if (tl_rn(&g->r, 2)) {
			vd_put(u, 0x15, 0, 0, 0, 0);
		} else {
			vd_put(u, 0x55, 0, 0, 1, 0);
			vd_put(u, 0x05, 0, 0, 0, 0);
			jslot++;
		}
		vd_put_value_access(g, u, vd_maps[map].value_size, map == VM_RODATA);
		u->in[jslot].off = (int16_t)(u->nslots - jslot - 1);
		break;
	}
	case 2: { /* update or delete */
		static const int m[] = { VM_HASH, VM_ARRAY, VM_DATA };
		vd_put_key(g, u);
		vd_put_map(u, 1, 1, m[tl_rn(&g->r, 3)], 0);
		if (tl_rn(&g->r, 3)) {
			vd_put(u, 0xbf, 3, 10, 0, 0);
			vd_put(u, 0x07, 3, 0, 0, -32);
			vd_put(u, 0xb7, 4, 0, 0, (int32_t)tl_rn(&g->r, 3));
			vd_put(u, 0x85, 0, 0, 0, 2);
		} else {
			vd_put(u, 0x85, 0, 0, 0, 3);
		}
		break;
	}
	case 3: { /* a global variable */
		int r = vd_any_dst(g), v = vd_scalar(g);
		unsigned s = tl_rn(&g->r, 4), size = 1u << s;
		int off = (int)(size * tl_rn(&g->r, 8 / size));
		bool ro = tl_rn(&g->r, 3) == 0;
		vd_put_map(u, (unsigned)r, 2, ro ? VM_RODATA : VM_DATA, ro ? 8 * (int)tl_rn(&g->r, 3) : 0);
		if (!ro && v >= 0 && v != r && tl_rn(&g->r, 2)) {
			vd_put(u, 0x63 | vd_szcode[s], (unsigned)r, (unsigned)v, off, 0);
		} else if (!ro && tl_rn(&g->r, 2)) {
			vd_put(u, 0x62 | vd_szcode[s], (unsigned)r, 0, off, vd_imm(&g->r));
		} else {
			int d = vd_any_dst(g);
			vd_put(u, 0x61 | vd_szcode[s], (unsigned)d, (unsigned)r, off, 0);
			vd_set(g, r, K_MIXED);
			vd_set(g, d, K_SCALAR);
			return;
		}
		vd_set(g, r, K_MIXED);
		return;
	}
	case 4: { /* ringbuf: reserve, check, write, submit or discard */
		unsigned n = 8 * (1 + tl_rn(&g->r, 8));
		vd_put_map(u, 1, 1, VM_RINGBUF, 0);
		vd_put(u, 0xb7, 2, 0, 0, (int32_t)n);
		vd_put(u, 0xb7, 3, 0, 0, 0);
		vd_put(u, 0x85, 0, 0, 0, 131);
		jslot = u->nslots;
		vd_put(u, 0x15, 0, 0, 0, 0);
		vd_put(u, 0x7a, 0, 0, (int)(8 * tl_rn(&g->r, n / 8)), vd_imm(&g->r));
		vd_put(u, 0xbf, 1, 0, 0, 0);
		vd_put(u, 0xb7, 2, 0, 0, 0);
		vd_put(u, 0x85, 0, 0, 0, tl_rn(&g->r, 2) ? 132 : 133);
		u->in[jslot].off = (int16_t)(u->nslots - jslot - 1);
		break;
	}
	case 5: /* ringbuf output from the stack */
		vd_put_map(u, 1, 1, VM_RINGBUF, 0);
		vd_put(u, 0xbf, 2, 10, 0, 0);
		vd_put(u, 0x07, 2, 0, 0, -16);
		vd_put(u, 0xb7, 3, 0, 0, 8 * (int32_t)tl_rn(&g->r, 3));
		vd_put(u, 0xb7, 4, 0, 0, 0);
		vd_put(u, 0x85, 0, 0, 0, 130);
		break;
	case 6: /* queue */
		vd_put_map(u, 1, 1, VM_QUEUE, 0);
		vd_put(u, 0xbf, 2, 10, 0, 0);
		vd_put(u, 0x07, 2, 0, 0, -16);
		if (tl_rn(&g->r, 2)) {
			vd_put(u, 0xb7, 3, 0, 0, 0);
			vd_put(u, 0x85, 0, 0, 0, 87);
		} else {
			vd_put(u, 0x85, 0, 0, 0, tl_rn(&g->r, 2) ? 88 : 89);
		}
		break;
	case 7: /* tail call (main only: Linux limits them with bpf2bpf) */
		if (g->in_sub || g->p->nsub || g->cb_sub >= 0 || g->s.k[6] != K_CTX) {
			vd_put(u, 0xb7, 0, 0, 0, 0);
			vd_set(g, 0, K_SCALAR);
			return;
		}
		vd_put(u, 0xbf, 1, 6, 0, 0);
		vd_put_map(u, 2, 1, VM_PROGS, 0);
		vd_put(u, 0xb7, 3, 0, 0, (int32_t)tl_rn(&g->r, 6));
		vd_put(u, 0x85, 0, 0, 0, 12);
		break;
	default: { /* lookup, then the value's pointer kept in a callee-saved register */
		int r = vd_scalar_dst(g);
		if (r < 6) {
			vd_put(u, 0xb7, 0, 0, 0, 0);
			vd_set(g, 0, K_SCALAR);
			return;
		}
		vd_put_key(g, u);
		vd_put_map(u, 1, 1, VM_ARRAY, 0);
		vd_put(u, 0x85, 0, 0, 0, 1);
		vd_put(u, 0xbf, (unsigned)r, 0, 0, 0);
		vd_put(u, 0x15, (unsigned)r, 0, 2, 0);
		vd_put(u, 0x71, 0, (unsigned)r, (int)tl_rn(&g->r, 24), 0);
		vd_put(u, 0x72, (unsigned)r, 0, (int)tl_rn(&g->r, 24), 1);
		vd_clobber_args(g);
		vd_set(g, r, K_MIXED);
		vd_set(g, 0, K_MIXED);
		return;
	}
	}
	vd_clobber_args(g);
	g->s.k[0] = K_MIXED;
}

/* Reads and writes through the caller's stack pointer kept in r7. */
static void vd_gen_fparg(struct vd_gen *g)
{
	int v = vd_scalar(g), off = tl_rn(&g->r, 2) ? 8 : 0;
	struct vd_unit *u;

	if (g->s.k[7] != K_FPARG) {
		vd_gen_stack(g);
		return;
	}
	u = vd_new(g);
	if (v >= 0 && tl_rn(&g->r, 2)) {
		vd_put(u, 0x7b, 7, (unsigned)v, off, 0);
	} else {
		int d = vd_any_dst(g);
		vd_put(u, 0x79, (unsigned)d, 7, off, 0);
		vd_set(g, d, K_SCALAR);
	}
}

static int vd_gen_jcc(struct vd_gen *g)
{
	static const uint8_t ops[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
				       0x70, 0xa0, 0xb0, 0xc0, 0xd0 };
	unsigned cls = tl_rn(&g->r, 3) ? 0x05 : 0x06, op = ops[tl_rn(&g->r, sizeof(ops))];
	int a = vd_scalar(g), b = vd_scalar(g);
	struct vd_unit *u;

	if (a < 0)
		return -1;
	u = vd_new(g);
	if (b >= 0 && tl_rn(&g->r, 2))
		vd_put(u, cls | 0x08 | op, (unsigned)a, (unsigned)b, 0, 0);
	else
		vd_put(u, cls | op, (unsigned)a, 0, 0, vd_imm(&g->r));
	u->jkind = J_OFF;
	return g->p->n - 1;
}

static void vd_gen_block(struct vd_gen *g, int depth, int n);

static void vd_gen_ifelse(struct vd_gen *g, int depth)
{
	int j = vd_gen_jcc(g), a;
	struct vd_gs at_jump, after_a;
	struct vd_unit *u;

	if (j < 0) {
		vd_gen_alu(g);
		return;
	}
	at_jump = g->s;
	vd_gen_block(g, depth + 1, 1 + (int)tl_rn(&g->r, 5));
	vd_arrive(g);
	u = vd_new(g);
	vd_put(u, 0x05, 0, 0, 0, 0);
	u->jkind = J_OFF;
	a = g->p->n - 1;
	after_a = g->s;
	g->s = at_jump;
	g->p->u[j].target = g->p->n;
	vd_gen_block(g, depth + 1, 1 + (int)tl_rn(&g->r, 5));
	vd_arrive(g);
	vd_meet(&g->s, &after_a);
	g->p->u[a].target = g->p->n;
}

/* A loop counted in r9: the body runs 1..K times. */
static void vd_gen_loop(struct vd_gen *g)
{
	struct vd_unit *u;
	int start, K = tl_rn(&g->r, 8) ? 1 + (int)tl_rn(&g->r, 12) : 40;
	bool down = tl_rn(&g->r, 3) == 0;

	u = vd_new(g);
	vd_put(u, 0xb7, 9, 0, 0, down ? K : 0);
	start = g->p->n;
	g->in_loop = true;
	vd_gen_block(g, 2, 1 + (int)tl_rn(&g->r, 6));
	g->in_loop = false;
	vd_arrive(g);
	u = vd_new(g);
	/* Conditions that end the loop whatever r9 holds when a jump lands
	 * in the body: r9 only ever holds small constants. */
	if (down) {
		vd_put(u, 0x17, 9, 0, 0, 1);
		vd_put(u, 0x65, 9, 0, 0, 0);
	} else {
		vd_put(u, 0x07, 9, 0, 0, 1);
		vd_put(u, tl_rn(&g->r, 2) ? 0xa5 : 0xa6, 9, 0, 0, K);
	}
	u->jslot = 1;
	u->jkind = J_OFF;
	u->target = start;
}

static void vd_gen_block(struct vd_gen *g, int depth, int n)
{
	for (int i = 0; i < n && g->body_left > 0 && g->p->n < VD_MAX_UNITS - 120; i++) {
		unsigned k = tl_rn(&g->r, 110);

		vd_arrive(g);
		g->body_left--;
		if (k >= 100) {
			if (g->in_loop)
				vd_gen_alu(g);
			else if (g->cb_sub >= 0 && !g->in_sub && k >= 107)
				vd_gen_loop_cb(g);
			else
				vd_gen_map(g);
		} else if (k < 22) {
			vd_gen_alu(g);
		} else if (k < 30) {
			vd_gen_unary(g);
		} else if (k < 40) {
			vd_gen_stack(g);
		} else if (k < 48) {
			vd_gen_ctx_read(g);
		} else if (k < 52) {
			vd_gen_ctx_write(g);
		} else if (k < 55) {
			vd_gen_atomic(g);
		} else if (k < 65) {
			int j = vd_gen_jcc(g);
			if (j >= 0) {
				g->p->u[j].target = j + 1 + (int)tl_rn(&g->r, 10);
				vd_jump_from_here(g, g->p->u[j].target);
			}
		} else if (k < 71 && depth < 2) {
			vd_gen_ifelse(g, depth);
		} else if (g->in_loop) {
			vd_gen_alu(g);
		} else if (k < 76) {
			vd_gen_helper(g);
		} else if (k < 78) {
			vd_gen_ldabs(g);
		} else if (k < 81) {
			vd_gen_fp_arith(g);
		} else if (k < 84) {
			vd_gen_var_stack(g);
		} else if (k < 86) {
			vd_gen_spill(g);
		} else if (k < 92) {
			if (g->p->tc)
				vd_gen_packet(g);
			else
				vd_gen_ctx_read(g);
		} else if (k < 95 && depth == 0 && !g->in_sub) {
			vd_gen_loop(g);
		} else if (k < 98 && g->p->nsub > g->cur_sub + 1) {
			vd_gen_call(g, g->cur_sub + 1);
		} else if (g->in_sub) {
			vd_gen_fparg(g);
		} else {
			vd_gen_alu(g);
		}
	}
}

/* Jumps whose target lies past the function's end land on its last unit. */
static void vd_clamp(struct vd_prog *p, int from, int last)
{
	for (int i = from; i < p->n; i++)
		if (p->u[i].jkind == J_OFF && p->u[i].target > last)
			p->u[i].target = last;
}

static void vd_gen_return(struct vd_gen *g)
{
	struct vd_unit *u;
	int v;

	vd_arrive(g);
	u = vd_new(g);
	v = vd_scalar(g);
	if (v >= 0 && tl_rn(&g->r, 2))
		vd_put(u, 0xbf, 0, (unsigned)v, 0, 0);
	else
		vd_put(u, 0xb7, 0, 0, 0, vd_imm(&g->r));
	vd_put(u, 0x95, 0, 0, 0, 0);
	u->role = ROLE_KEEP;
	g->npend = 0;
}

static void vd_gen_sub(struct vd_gen *g, int s)
{
	struct vd_unit *u;
	int from = g->p->n;

	memset(&g->s, 0, sizeof(g->s));
	g->s.k[1] = (uint8_t)g->sub_arg[s];
	g->cur_sub = s;
	g->in_sub = true;
	g->stk = VD_SUB_STK;
	g->nowrite = 1u << 9;
	g->p->sub_start[s] = g->p->n;
	u = vd_new(g);
	u->role = ROLE_KEEP;
	vd_put(u, 0xb7, 0, 0, 0, 0);
	for (int off = -VD_SUB_STK; off < 0; off += 8)
		vd_put(u, 0x7a, 10, 0, off, (int32_t)tl_rn(&g->r, 1000));
	g->s.k[0] = K_SCALAR;
	if (g->sub_arg[s] == K_CTX) {
		vd_put(u, 0xbf, 6, 1, 0, 0);
		g->s.k[6] = K_CTX;
		g->nowrite |= 1u << 6;
	} else if (g->sub_arg[s] == K_FPARG) {
		vd_put(u, 0xbf, 7, 1, 0, 0);
		g->s.k[7] = K_FPARG;
		g->nowrite |= 1u << 7;
	}
	g->body_left = 3 + (int)tl_rn(&g->r, 12);
	vd_gen_block(g, 0, g->body_left);
	if (s + 1 < g->p->nsub && !g->called[s + 1]) { /* else it is unreachable */
		vd_arrive(g);
		vd_gen_call(g, s + 1);
	}
	vd_gen_return(g);
	vd_clamp(g->p, from, g->p->n - 1);
}

static void vd_generate(struct vd_prog *p, struct tl_rng *r, bool tc)
{
	static struct vd_gen g;
	struct vd_unit *u;
	int body_first;

	memset(&g, 0, sizeof(g));
	g.r = *r;
	g.p = p;
	g.cur_sub = -1;
	p->n = 0;
	p->tc = tc;
	p->nsub = tl_rn(&g.r, 3) == 0 ? 1 + (int)tl_rn(&g.r, 3) : 0;
	for (int s = 0; s < p->nsub; s++) {
		static const int kinds[] = { K_SCALAR, K_CTX, K_FPARG };
		g.sub_arg[s] = kinds[tl_rn(&g.r, 3)];
		/* a callee can pass on the context only if it got it */
		if (s && g.sub_arg[s] == K_CTX && g.sub_arg[s - 1] != K_CTX)
			g.sub_arg[s] = K_SCALAR;
	}
	/* Linux refuses LD_ABS in programs with subprograms. */
	g.cb_sub = vd_have_maps && tl_rn(&g.r, 4) == 0 ? p->nsub : -1;
	g.ldabs_ok = p->nsub == 0 && g.cb_sub < 0;
	g.s.k[1] = K_CTX;
	g.s.k[10] = K_MIXED;
	u = vd_new(&g);
	vd_put(u, 0xbf, 6, 1, 0, 0);
	u->role = ROLE_INIT;
	g.s.k[6] = K_CTX;
	for (int reg = 0; reg <= 9; reg++) {
		if (reg == 1 || reg == 6)
			continue;
		u = vd_new(&g);
		u->role = ROLE_INIT;
		switch (tl_rn(&g.r, 4)) {
		case 0:
			vd_put_lddw(u, (unsigned)reg, 0, tl_rnd(&g.r));
			break;
		case 1:
			vd_put(u, 0x61, (unsigned)reg, 1, (int)SKB(len), 0);
			break;
		default:
			vd_put(u, 0xb7, (unsigned)reg, 0, 0, vd_imm(&g.r));
			break;
		}
		if (reg == 9) { /* the loop counter only ever holds small numbers */
			u->nslots = 0;
			vd_put(u, 0xb7, 9, 0, 0, 0);
		}
		g.s.k[reg] = K_SCALAR;
	}
	if (tl_rn(&g.r, 2)) {
		u = vd_new(&g);
		u->role = ROLE_INIT;
		vd_put(u, 0xb7, 1, 0, 0, vd_imm(&g.r));
		g.s.k[1] = K_SCALAR;
	}
	for (int off = -VD_STK; off < 0; off += 8) {
		u = vd_new(&g);
		u->role = ROLE_INIT;
		if (tl_rn(&g.r, 2))
			vd_put(u, 0x7a, 10, 0, off, vd_imm(&g.r));
		else
			vd_put(u, 0x7b, 10, (unsigned)vd_scalar(&g), off, 0);
	}
	g.stk = VD_STK;
	g.nowrite = 1u << 6 | 1u << 9;
	body_first = p->n;
	p->body_start = body_first;
	g.body_left = 12 + (int)tl_rn(&g.r, 50);
	vd_gen_block(&g, 0, g.body_left);
	if (p->nsub && !g.called[0]) {
		vd_arrive(&g);
		vd_gen_call(&g, 0);
	}
	if (g.cb_sub >= 0 && !g.cb_used) { /* else the callback is unreachable */
		vd_arrive(&g);
		vd_gen_loop_cb(&g);
	}
	p->body_end = p->n;
	vd_gen_return(&g);
	vd_clamp(p, body_first, p->n - 1);
	for (int s = 0; s < p->nsub; s++)
		vd_gen_sub(&g, s);
	if (g.cb_sub >= 0) {
		/* long cb(u64 index, void *ctx): adds index to *(u64 *)ctx */
		u = vd_new(&g);
		u->role = ROLE_KEEP;
		p->sub_start[p->nsub++] = p->n - 1;
		vd_put(u, 0xb7, 0, 0, 0, (int32_t)tl_rn(&g.r, 2));
		vd_put(u, 0x15, 2, 0, 3, 0);
		vd_put(u, 0x79, 3, 2, 0, 0);
		vd_put(u, 0x0f, 3, 1, 0, 0);
		vd_put(u, 0x7b, 2, 3, 0, 0);
		vd_put(u, 0x95, 0, 0, 0, 0);
	}
	*r = g.r;
}

/* ---- layout --------------------------------------------------------------- */

static size_t vd_layout(const struct vd_prog *p, struct userbpf_insn *out, size_t cap)
{
	static int slot[VD_MAX_UNITS + 1];
	int s = 0;

	for (int i = 0; i < p->n; i++) {
		slot[i] = s;
		s += p->u[i].nslots;
	}
	slot[p->n] = s;
	if ((size_t)s > cap)
		return 0;
	for (int i = 0; i < p->n; i++) {
		const struct vd_unit *u = &p->u[i];
		int t = u->target < 0 ? 0 : u->target > p->n ? p->n : u->target;
		int d = slot[t] - slot[i] - u->jslot - 1;

		memcpy(&out[slot[i]], u->in, u->nslots * sizeof(u->in[0]));
		if (u->jkind == J_OFF)
			out[slot[i] + u->jslot].off = (int16_t)d;
		else if (u->jkind == J_IMM)
			out[slot[i] + u->jslot].imm = d;
	}
	return (size_t)s;
}

static void vd_resolve_calls(struct vd_prog *p)
{
	for (int i = 0; i < p->n; i++)
		if (p->u[i].callsub > 0 && p->u[i].callsub <= p->nsub)
			p->u[i].target = p->sub_start[p->u[i].callsub - 1];
}

/* Inserts an empty unit before unit pos; jumps that landed on pos or
 * later keep landing on the same instruction, except jumps from before
 * pos to pos, which now land on the new unit (so it is reachable). */
static struct vd_unit *vd_insert(struct vd_prog *p, int pos)
{
	if (p->n >= VD_MAX_UNITS)
		return NULL;
	memmove(&p->u[pos + 1], &p->u[pos], (size_t)(p->n - pos) * sizeof(p->u[0]));
	p->n++;
	for (int i = 0; i < p->n; i++) {
		struct vd_unit *u = &p->u[i];
		if (i == pos || !u->jkind || u->callsub)
			continue;
		if (u->target > pos || (u->target == pos && i > pos))
			u->target++;
	}
	for (int s = 0; s < p->nsub; s++)
		if (p->sub_start[s] >= pos)
			p->sub_start[s]++;
	if (p->body_end >= pos)
		p->body_end++;
	if (p->body_start > pos)
		p->body_start++;
	memset(&p->u[pos], 0, sizeof(p->u[0]));
	vd_resolve_calls(p);
	return &p->u[pos];
}

static void vd_delete(struct vd_prog *p, int k)
{
	memmove(&p->u[k], &p->u[k + 1], (size_t)(p->n - k - 1) * sizeof(p->u[0]));
	p->n--;
	for (int i = 0; i < p->n; i++)
		if (p->u[i].jkind && !p->u[i].callsub && p->u[i].target > k)
			p->u[i].target--;
	for (int s = 0; s < p->nsub; s++)
		if (p->sub_start[s] > k)
			p->sub_start[s]--;
	if (p->body_end > k)
		p->body_end--;
	if (p->body_start > k)
		p->body_start--;
	vd_resolve_calls(p);
}

/* ---- mutations ------------------------------------------------------------ */

#define VD_MUTATIONS(X)                                                        \
	X(NONE, "none")                                                        \
	X(DROP_INIT, "drop an initialisation")                                 \
	X(STACK_OOB, "stack access outside the frame")                         \
	X(STACK_MISALIGN, "misaligned stack access")                           \
	X(STACK_UNINIT, "stack read before any write")                         \
	X(JUMP_OOR, "jump out of range")                                       \
	X(JUMP_LDDW, "jump into the middle of lddw")                           \
	X(LOOP_INF, "infinite loop")                                           \
	X(LOOP_BOUNDED, "bounded loop added")                                  \
	X(HELPER_UNKNOWN, "unknown helper")                                    \
	X(HELPER_BADARG, "helper with bad arguments")                          \
	X(PKT_UNCHECKED, "packet access not proved")                           \
	X(PTR_ARITH, "pointer arithmetic")                                     \
	X(R10_WRITE, "write to r10")                                           \
	X(DEEP_CALLS, "recursion or deep bpf2bpf chain")                       \
	X(PTR_STORE, "pointer stored into memory")                             \
	X(CTX_BAD, "context field that does not exist")                        \
	X(DIV_ZERO, "division by an immediate 0")                              \
	X(SHIFT_WIDE, "shift past the width")                                  \
	X(RANDOM_FIELD, "one field changed at random")                         \
	X(MAP_UNCHECKED, "map value not checked against NULL")                 \
	X(MAP_OOB, "map value access out of bounds")                           \
	X(MAP_BADKEY, "bad map key")                                           \
	X(MAP_RDONLY, "write to a read-only map")                              \
	X(MAP_WRONG, "wrong map for the helper or lddw")                       \
	X(RINGBUF_BAD, "ringbuf reservation misused")

enum {
#define VD_X_ENUM(id, text) MUT_##id,
	VD_MUTATIONS(VD_X_ENUM)
#undef VD_X_ENUM
	MUT__COUNT
};

static const char *const vd_mut_name[MUT__COUNT] = {
#define VD_X_NAME(id, text) text,
	VD_MUTATIONS(VD_X_NAME)
#undef VD_X_NAME
};

static int vd_body_pos(struct vd_prog *p, struct tl_rng *r)
{
	return p->body_start + (int)tl_rn(r, (uint32_t)(p->body_end - p->body_start + 1));
}

/* Slot-level mutations happen after layout; this says which. */
struct vd_slotmut {
	int kind;	/* 0 none, MUT_JUMP_OOR, MUT_JUMP_LDDW */
	uint64_t pick;
};

static void vd_mut_stack(struct vd_prog *p, struct tl_rng *r, int kind)
{
	struct vd_unit *u = vd_insert(p, vd_body_pos(p, r));
	unsigned s = tl_rn(r, 4), size = 1u << s;
	bool via = tl_rn(r, 3) == 0, load = tl_rn(r, 2);
	int off;

	if (!u)
		return;
	if (kind == MUT_STACK_OOB) {
		static const int base[] = { -520, -513, -512 - 8, 0, 1, 8, 504, -1 };
		off = base[tl_rn(r, sizeof(base) / sizeof(base[0]))];
		if (off == -1)
			off = -(int)size + 1 + (int)tl_rn(r, size); /* straddles r10 */
		if (off < -512 - 8)
			off = -512 - (int)size - (int)tl_rn(r, 16);
	} else if (kind == MUT_STACK_MISALIGN) {
		if (size == 1)
			s = 3, size = 8;
		off = -VD_STK + 1 + (int)tl_rn(r, (uint32_t)(VD_STK - size - 1));
		if (off % (int)size == 0)
			off++;
	} else { /* MUT_STACK_UNINIT: below the written area */
		off = -VD_STK - 8 * (1 + (int)tl_rn(r, 40));
		if (off < VD_SPILL_LO && off >= VD_SPILL_LO - 8)
			off -= 16;
		load = true;
		s = 3;
	}
	if (via) {
		vd_put(u, 0xbf, 2, 10, 0, 0);
		vd_put(u, 0x07, 2, 0, 0, -16);
		off += 16;
	}
	if (load)
		vd_put(u, 0x61 | vd_szcode[s], 0, via ? 2 : 10, off, 0);
	else if (tl_rn(r, 2))
		vd_put(u, 0x62 | vd_szcode[s], via ? 2 : 10, 0, off, vd_imm(r));
	else
		vd_put(u, 0x63 | vd_szcode[s], via ? 2 : 10, 0, off, 0);
}

static void vd_mut_loop_inf(struct vd_prog *p, struct tl_rng *r)
{
	int pos = vd_body_pos(p, r);
	struct vd_unit *u = vd_insert(p, pos);

	if (!u)
		return;
	/* Every loop here repeats one state exactly, so both verifiers see it
	 * at once; a loop whose state keeps changing would cost each of them
	 * a million instructions. */
	switch (tl_rn(r, 4)) {
	case 0: /* L: r8 = 1; if r8 == r8 goto L */
		vd_put(u, 0xb7, 8, 0, 0, 1);
		vd_put(u, 0x1d, 8, 8, 0, 0);
		u->jslot = 1;
		u->jkind = J_OFF;
		u->target = pos;
		break;
	case 1: /* r9 = 3; L: *(u64 *)(r10 - 8) = 5; if r9 >= 0 goto L */
		vd_put(u, 0xb7, 9, 0, 0, 3);
		vd_put(u, 0x7a, 10, 0, -8, 5);
		vd_put(u, 0x35, 9, 0, 0, 0);
		u->in[2].off = -2;
		break;
	case 2: /* a counter that never reaches its bound */
		vd_put(u, 0xb7, 9, 0, 0, 0);
		vd_put(u, 0x07, 9, 0, 0, 0);
		vd_put(u, 0xa5, 9, 0, 0, 10);
		u->in[2].off = -2;
		break;
	default: /* L: goto L */
		vd_put(u, 0x05, 0, 0, 0, 0);
		u->jkind = J_OFF;
		u->target = pos;
		break;
	}
}

static void vd_mut_loop_bounded(struct vd_prog *p, struct tl_rng *r)
{
	int a = vd_body_pos(p, r), b, K = 1 + (int)tl_rn(r, tl_rn(r, 4) ? 8 : 100);
	struct vd_unit *u;

	b = a + (int)tl_rn(r, 5);
	if (b > p->body_end)
		b = p->body_end;
	u = vd_insert(p, a);
	if (!u)
		return;
	vd_put(u, 0xb7, 9, 0, 0, 0);
	u = vd_insert(p, b + 1);
	if (!u)
		return;
	vd_put(u, 0x07, 9, 0, 0, 1);
	vd_put(u, tl_rn(r, 2) ? 0xa5 : 0xa6, 9, 0, 0, K);
	u->jslot = 1;
	u->jkind = J_OFF;
	u->target = a + 1;
}

static void vd_mut_helper(struct vd_prog *p, struct tl_rng *r, bool bad_args)
{
	struct vd_unit *u = vd_insert(p, vd_body_pos(p, r));

	if (!u)
		return;
	if (!bad_args) {
		/* ids nobody has, and a few Linux has but userbpf lacks */
		static const int32_t ids[] = { 0, 2000, -1, 0x7fffffff, 212, 300,
					       26, 1, 6, 23 };
		vd_put(u, 0x85, 0, 0, 0, ids[tl_rn(r, sizeof(ids) / sizeof(ids[0]))]);
		return;
	}
	/* bpf_tail_call with the wrong context argument; Linux also wants a
	 * map in r2, which userbpf cannot check yet (no maps). */
	switch (tl_rn(r, 4)) {
	case 0:
		vd_put(u, 0xb7, 1, 0, 0, vd_imm(r));
		break;
	case 1:
		vd_put(u, 0xbf, 1, 10, 0, 0);
		break;
	case 2:
		vd_put(u, 0xbf, 1, 6, 0, 0);
		vd_put(u, 0x07, 1, 0, 0, 8);
		break;
	default:
		vd_put(u, 0xbf, 1, 6, 0, 0);
		break;
	}
	vd_put(u, 0xb7, 2, 0, 0, 0);
	vd_put(u, 0xb7, 3, 0, 0, 0);
	vd_put(u, 0x85, 0, 0, 0, 12);
}

static void vd_mut_packet(struct vd_prog *p, struct tl_rng *r)
{
	struct vd_unit *u = vd_insert(p, vd_body_pos(p, r));
	int N = 1 + (int)tl_rn(r, 32), off;
	unsigned s = tl_rn(r, 4), size = 1u << s;

	if (!u)
		return;
	vd_put(u, 0x61, 2, 6, (int)SKB(data), 0);
	vd_put(u, 0x61, 3, 6, (int)SKB(data_end), 0);
	switch (tl_rn(r, 6)) {
	case 0: /* no check at all */
		vd_put(u, 0x61 | vd_szcode[s], 0, 2, (int)tl_rn(r, 16), 0);
		break;
	case 1: /* one byte past the proved range */
		off = N - (int)size + 1;
		vd_put(u, 0xbf, 4, 2, 0, 0);
		vd_put(u, 0x07, 4, 0, 0, N);
		vd_put(u, 0x2d, 4, 3, 1, 0);
		vd_put(u, 0x61 | vd_szcode[s], 0, 2, off, 0);
		break;
	case 2: /* the access on the branch that learned nothing */
		vd_put(u, 0xbf, 4, 2, 0, 0);
		vd_put(u, 0x07, 4, 0, 0, N);
		vd_put(u, 0x2d, 4, 3, 1, 0);
		vd_put(u, 0x05, 0, 0, 1, 0);
		vd_put(u, 0x71, 0, 2, 0, 0);
		break;
	case 3: /* a negative offset */
		vd_put(u, 0xbf, 4, 2, 0, 0);
		vd_put(u, 0x07, 4, 0, 0, N);
		vd_put(u, 0x2d, 4, 3, 1, 0);
		vd_put(u, 0x71, 0, 2, -1 - (int)tl_rn(r, 4), 0);
		break;
	case 4: /* a variable offset added after the check */
		vd_put(u, 0xbf, 4, 2, 0, 0);
		vd_put(u, 0x07, 4, 0, 0, 16);
		vd_put(u, 0x2d, 4, 3, 4, 0);
		vd_put(u, 0x61, 5, 6, (int)SKB(len), 0);
		vd_put(u, 0x57, 5, 0, 0, 7);
		vd_put(u, 0x0f, 2, 5, 0, 0);
		vd_put(u, 0x71, 0, 2, 0, 0);
		break;
	default: /* a dereference of data_end */
		vd_put(u, 0x71, 0, 3, 0, 0);
		break;
	}
}

static void vd_mut_ptr_arith(struct vd_prog *p, struct tl_rng *r)
{
	static const uint8_t bad_ops[] = { 0x27, 0x2f, 0x37, 0x47, 0x57, 0x67, 0x77, 0x87,
					   0x97, 0xa7, 0xc7, 0x04, 0x14, 0x0c, 0xd4, 0xdc };
	struct vd_unit *u = vd_insert(p, vd_body_pos(p, r));
	unsigned base = tl_rn(r, 3) == 0 ? 6 : 10;

	if (!u)
		return;
	vd_put(u, 0xbf, 2, base, 0, 0);
	switch (tl_rn(r, 6)) {
	case 0: { /* an operation other than + and - */
		uint8_t op = bad_ops[tl_rn(r, sizeof(bad_ops))];
		int32_t imm = op == 0xd4 || op == 0xdc ? 64 : (op & 0xf0) == 0x60 || (op & 0xf0) == 0x70 || (op & 0xf0) == 0xc0 ? 1 : 8;
		vd_put(u, op, 2, (op & 0x08) ? 1 : 0, 0, imm);
		break;
	}
	case 1: /* pointer + pointer */
		vd_put(u, 0x0f, 2, tl_rn(r, 2) ? 6 : 10, 0, 0);
		break;
	case 2: /* a modified context pointer, dereferenced */
		vd_put(u, 0xbf, 2, 6, 0, 0);
		vd_put(u, 0x07, 2, 0, 0, 4 * (int)tl_rn(r, 4));
		vd_put(u, 0x61, 0, 2, 0, 0);
		break;
	case 3: /* 32-bit arithmetic, then a use */
		vd_put(u, 0x04, 2, 0, 0, -8);
		vd_put(u, 0x79, 0, 2, 0, 0);
		break;
	case 4: /* a number minus a pointer */
		vd_put(u, 0xb7, 3, 0, 0, 100);
		vd_put(u, 0x1f, 3, 2, 0, 0);
		break;
	default: /* a pointer moved by an unbounded number, then used */
		vd_put(u, 0x61, 3, 6, (int)SKB(len), 0);
		vd_put(u, 0x0f, 2, 3, 0, 0);
		vd_put(u, 0x71, 0, 2, 0, 0);
		break;
	}
}

static void vd_mut_r10(struct vd_prog *p, struct tl_rng *r)
{
	struct vd_unit *u = vd_insert(p, vd_body_pos(p, r));

	if (!u)
		return;
	switch (tl_rn(r, 6)) {
	case 0:
		vd_put(u, 0xb7, 10, 0, 0, 0);
		break;
	case 1:
		vd_put(u, 0x07, 10, 0, 0, -8);
		break;
	case 2:
		vd_put(u, 0x79, 10, 10, -8, 0);
		break;
	case 3:
		vd_put_lddw(u, 10, 0, 1);
		break;
	case 4:
		vd_put(u, 0xbc, 10, 10, 0, 0);
		break;
	default:
		vd_put(u, 0xdb, 10, 10, -8, 0x01); /* fetch add r10 */
		break;
	}
}

/* Appends subprograms: a chain of `depth` calls, or recursion. */
static void vd_mut_calls(struct vd_prog *p, struct tl_rng *r)
{
	int kind = (int)tl_rn(r, 4), depth = 5 + (int)tl_rn(r, 6), first = p->nsub, pos;
	struct vd_unit *u;

	if (kind == 0)
		depth = 1;
	else if (kind == 1)
		depth = 2;
	else if (kind == 3)
		depth = 2 + (int)tl_rn(r, 3);
	if (p->nsub + depth > VD_MAX_SUBS || p->n + depth + 1 >= VD_MAX_UNITS)
		return;
	for (int d = 0; d < depth; d++) {
		int next = first + d + 1;
		u = &p->u[p->n];
		memset(u, 0, sizeof(*u));
		p->sub_start[p->nsub++] = p->n++;
		vd_put(u, 0xb7, 0, 0, 0, d);
		if (kind == 3) /* each frame uses a lot of stack */
			vd_put(u, 0x7a, 10, 0, -8 * (8 + (int)tl_rn(r, 26)), 1);
		if (kind == 0)
			next = first;			/* calls itself */
		else if (kind == 1 && d == 1)
			next = first;			/* mutual recursion */
		else if (d == depth - 1)
			next = -1;
		if (next >= 0) {
			u->jslot = u->nslots;
			vd_put(u, 0x85, 0, 1, 0, 0);
			u->jkind = J_IMM;
			u->callsub = next + 1;
		}
		vd_put(u, 0x95, 0, 0, 0, 0);
	}
	pos = vd_body_pos(p, r);
	u = vd_insert(p, pos);
	if (!u)
		return;
	u->jslot = 0;
	vd_put(u, 0x85, 0, 1, 0, 0);
	u->jkind = J_IMM;
	u->callsub = first + 1;
	vd_resolve_calls(p);
}

static void vd_mut_ptr_store(struct vd_prog *p, struct tl_rng *r)
{
	struct vd_unit *u = vd_insert(p, vd_body_pos(p, r));
	unsigned ptr = tl_rn(r, 2) ? 10 : 6;

	if (!u)
		return;
	switch (tl_rn(r, p->tc ? 6 : 5)) {
	case 0: /* into the context */
		vd_put(u, 0x63, 6, ptr, (int)SKB(cb[0]) + 4 * (int)tl_rn(r, 5), 0);
		break;
	case 1: /* part of a pointer onto the stack */
		vd_put(u, 0x63 | vd_szcode[tl_rn(r, 3)], 10, ptr, -8, 0);
		break;
	case 2: /* a whole pointer onto the stack: a spill, then a partial fill */
		vd_put(u, 0x7b, 10, ptr, -8, 0);
		vd_put(u, 0x61, 0, 10, -8, 0);
		break;
	case 3: /* an atomic add of a pointer */
		vd_put(u, 0xdb, 10, ptr, -8, 0);
		break;
	case 4: /* a spilled pointer overwritten in part, then filled */
		vd_put(u, 0x7b, 10, ptr, -16, 0);
		vd_put(u, 0x62, 10, 0, -12, 0);
		vd_put(u, 0x79, 2, 10, -16, 0);
		vd_put(u, 0x71, 0, 2, 0, 0);
		break;
	default: /* into the packet */
		vd_put(u, 0x61, 2, 6, (int)SKB(data), 0);
		vd_put(u, 0x61, 3, 6, (int)SKB(data_end), 0);
		vd_put(u, 0xbf, 4, 2, 0, 0);
		vd_put(u, 0x07, 4, 0, 0, 8);
		vd_put(u, 0x2d, 4, 3, 1, 0);
		vd_put(u, 0x7b, 2, ptr, 0, 0);
		break;
	}
}

static void vd_mut_ctx(struct vd_prog *p, struct tl_rng *r)
{
	static const int bad_off[] = { (int)sizeof(struct __sk_buff), 200, 256, -4, 4096,
				       (int)SKB(tc_classid), (int)SKB(family), (int)SKB(remote_ip4),
				       (int)SKB(local_port), (int)SKB(data_meta), (int)SKB(tstamp),
				       (int)SKB(wire_len), (int)SKB(hwtstamp), (int)SKB(data),
				       (int)SKB(tstamp_type) };
	struct vd_unit *u = vd_insert(p, vd_body_pos(p, r));
	unsigned s = tl_rn(r, 4);
	int off;

	if (!u)
		return;
	switch (tl_rn(r, 4)) {
	case 0: /* a field that does not exist for this type */
		off = bad_off[tl_rn(r, sizeof(bad_off) / sizeof(bad_off[0]))];
		vd_put(u, 0x61 | vd_szcode[tl_rn(r, 2) ? 2 : s], 0, 6, off, 0);
		break;
	case 1: /* a write to a read-only field */
		vd_put(u, 0x62, 6, 0, (int)SKB(len) + 4 * (int)tl_rn(r, 8), 7);
		break;
	case 2: /* too wide a read */
		vd_put(u, 0x79, 0, 6, (int)SKB(len) + 8 * (int)tl_rn(r, 5), 0);
		break;
	default: /* a misaligned read */
		vd_put(u, tl_rn(r, 2) ? 0x69 : 0x61, 0, 6, (int)SKB(protocol) + 1 + (int)tl_rn(r, 3), 0);
		break;
	}
}

static void vd_mut_div_shift(struct vd_prog *p, struct tl_rng *r, bool div)
{
	struct vd_unit *u = vd_insert(p, vd_body_pos(p, r));
	bool is64 = tl_rn(r, 2);
	unsigned cls = is64 ? 0x07 : 0x04;

	if (!u)
		return;
	vd_put(u, 0xb7, 3, 0, 0, 77);
	if (div) {
		vd_put(u, cls | (tl_rn(r, 2) ? 0x30 : 0x90), 3, 0, (int)tl_rn(r, 2), 0);
	} else {
		static const int32_t amt[] = { 32, 33, 63, 64, 65, 127, -1, INT32_MIN };
		static const uint8_t ops[] = { 0x60, 0x70, 0xc0 };
		int32_t a = amt[tl_rn(r, sizeof(amt) / sizeof(amt[0]))];
		if (!is64 && a == 32 && tl_rn(r, 2))
			a = 31; /* fine in 32 bits: the control */
		vd_put(u, cls | ops[tl_rn(r, 3)], 3, 0, 0, a);
	}
}

static void vd_mut_field(struct vd_prog *p, struct tl_rng *r)
{
	struct vd_unit *u = &p->u[tl_rn(r, (uint32_t)p->n)];
	struct userbpf_insn *in;

	if (!u->nslots)
		return;
	in = &u->in[tl_rn(r, u->nslots)];
	switch (tl_rn(r, 6)) {
	case 0:
		in->dst_reg = tl_rn(r, 12) & 15;
		break;
	case 1:
		in->src_reg = tl_rn(r, 12) & 15;
		break;
	case 2:
		in->off = (int16_t)(in->off + (int)tl_rn(r, 17) - 8);
		break;
	case 3:
		in->imm = tl_rn(r, 2) ? vd_imm(r) : in->imm + (int32_t)tl_rn(r, 9) - 4;
		break;
	case 4: /* another operation of the same class */
		in->code = (uint8_t)((in->code & 0x0f) | (tl_rn(r, 16) << 4));
		break;
	default:
		in->code = (uint8_t)tl_rnd(r);
		break;
	}
}

/* r1 = map, r2 = key at r10 - 8, call lookup: the unit so far */
static void vd_mut_lookup(struct vd_unit *u, int map)
{
	vd_put(u, 0xbf, 2, 10, 0, 0);
	vd_put(u, 0x07, 2, 0, 0, -8);
	vd_put_map(u, 1, 1, map, 0);
	vd_put(u, 0x85, 0, 0, 0, 1);
}

static void vd_mut_map(struct vd_prog *p, struct tl_rng *r, int kind)
{
	struct vd_unit *u = vd_insert(p, vd_body_pos(p, r));
	unsigned s = tl_rn(r, 4), size = 1u << s;

	if (!u)
		return;
	switch (kind) {
	case MUT_MAP_UNCHECKED:
		vd_mut_lookup(u, tl_rn(r, 2) ? VM_HASH : VM_ARRAY);
		switch (tl_rn(r, 4)) {
		case 0: /* no check */
			vd_put(u, 0x61 | vd_szcode[s], 0, 0, 0, 0);
			break;
		case 1: /* the access on the NULL branch */
			vd_put(u, 0x55, 0, 0, 1, 0);
			vd_put(u, 0x62 | vd_szcode[s], 0, 0, 0, 1);
			break;
		case 2: /* arithmetic before the check */
			vd_put(u, 0x07, 0, 0, 0, 8);
			vd_put(u, 0x15, 0, 0, 1, 0);
			vd_put(u, 0x71, 0, 0, 0, 0);
			break;
		default: /* checked a copy, used the other after the copy changed */
			vd_put(u, 0xbf, 3, 0, 0, 0);
			vd_put(u, 0xb7, 3, 0, 0, 1);
			vd_put(u, 0x15, 3, 0, 1, 0);
			vd_put(u, 0x71, 0, 0, 0, 0);
			break;
		}
		break;
	case MUT_MAP_OOB: {
		int map = tl_rn(r, 2) ? VM_HASH : VM_ARRAY;
		int vs = (int)vd_maps[map].value_size, off, js;
		vd_mut_lookup(u, map);
		js = u->nslots;
		vd_put(u, 0x15, 0, 0, 0, 0);
		switch (tl_rn(r, 3)) {
		case 0: /* just past the end */
			off = vs - (int)size + 1 + (int)tl_rn(r, 4);
			vd_put(u, 0x61 | vd_szcode[s], 1, 0, off, 0);
			break;
		case 1: /* before the start */
			vd_put(u, 0x62 | vd_szcode[s], 0, 0, -1 - (int)tl_rn(r, 8), 1);
			break;
		default: /* a variable offset bounded too loosely */
			vd_put(u, 0x61, 3, 6, 0, 0);
			vd_put(u, 0x57, 3, 0, 0, tl_rn(r, 2) ? 31 : 0xff);
			vd_put(u, 0x0f, 0, 3, 0, 0);
			vd_put(u, 0x71, 1, 0, 0, 0);
			break;
		}
		u->in[js].off = (int16_t)(u->nslots - js - 1);
		break;
	}
	case MUT_MAP_BADKEY:
		switch (tl_rn(r, 6)) {
		case 0: /* the key would be at r10 + 0, outside the frame */
			vd_put(u, 0xbf, 2, 10, 0, 0);
			break;
		case 1: /* 2 bytes of a 4-byte key inside the frame */
			vd_put(u, 0xbf, 2, 10, 0, 0);
			vd_put(u, 0x07, 2, 0, 0, -2);
			break;
		case 2: /* a number */
			vd_put(u, 0xb7, 2, 0, 0, (int32_t)tl_rn(r, 64));
			break;
		case 3: /* the context */
			vd_put(u, 0xbf, 2, 6, 0, 0);
			break;
		case 4: /* below the frame */
			vd_put(u, 0xbf, 2, 10, 0, 0);
			vd_put(u, 0x07, 2, 0, 0, -514);
			break;
		default: /* the map itself */
			vd_put_map(u, 2, 1, VM_HASH, 0);
			break;
		}
		vd_put_map(u, 1, 1, tl_rn(r, 2) ? VM_HASH : VM_ARRAY, 0);
		vd_put(u, 0x85, 0, 0, 0, tl_rn(r, 2) ? 1 : 3);
		break;
	case MUT_MAP_RDONLY:
		switch (tl_rn(r, 4)) {
		case 0: /* a store into .rodata */
			vd_put_map(u, 2, 2, VM_RODATA, 8);
			vd_put(u, 0x62 | vd_szcode[s], 2, 0, 0, 1);
			break;
		case 1: /* an atomic add */
			vd_put_map(u, 2, 2, VM_RODATA, 0);
			vd_put(u, 0xb7, 3, 0, 0, 1);
			vd_put(u, 0xdb, 2, 3, 8, 0);
			break;
		case 2: /* through a lookup */
			vd_mut_lookup(u, VM_RODATA);
			vd_put(u, 0x15, 0, 0, 1, 0);
			vd_put(u, 0x62, 0, 0, 4, 1);
			break;
		default: /* a helper writing into it */
			vd_put_map(u, 1, 1, VM_QUEUE, 0);
			vd_put_map(u, 2, 2, VM_RODATA, 0);
			vd_put(u, 0x85, 0, 0, 0, 88);
			break;
		}
		break;
	case MUT_MAP_WRONG:
		switch (tl_rn(r, 7)) {
		case 0: /* tail call through a hash map */
			vd_put(u, 0xbf, 1, 6, 0, 0);
			vd_put_map(u, 2, 1, VM_HASH, 0);
			vd_put(u, 0xb7, 3, 0, 0, 0);
			vd_put(u, 0x85, 0, 0, 0, 12);
			break;
		case 1: /* lookup in a ringbuf, a prog array or a queue */
			vd_mut_lookup(u, tl_rn(r, 3) == 0 ? VM_RINGBUF : tl_rn(r, 2) ? VM_PROGS : VM_QUEUE);
			break;
		case 2: /* push to a hash */
			vd_put_map(u, 1, 1, VM_HASH, 0);
			vd_put(u, 0xbf, 2, 10, 0, 0);
			vd_put(u, 0x07, 2, 0, 0, -16);
			vd_put(u, 0xb7, 3, 0, 0, 0);
			vd_put(u, 0x85, 0, 0, 0, 87);
			break;
		case 3: /* the value of a map that is not a global */
			vd_put_map(u, 2, 2, VM_HASH, 0);
			vd_put(u, 0x61, 0, 2, 0, 0);
			break;
		case 4: /* a map index nobody has */
			vd_put_map(u, 2, 1, VM__COUNT + (int)tl_rn(r, 5), 0);
			break;
		case 5: /* a global's value past its end */
			vd_put_map(u, 2, 2, VM_DATA, 8 + (int)tl_rn(r, 4));
			break;
		default: /* a map pointer written through (Linux lets root read
			  * struct bpf_map through BTF; userbpf has none) */
			vd_put_map(u, 2, 1, VM_ARRAY, 0);
			vd_put(u, 0x7a, 2, 0, 0, 0);
			break;
		}
		break;
	default: /* MUT_RINGBUF_BAD */
		vd_put_map(u, 1, 1, VM_RINGBUF, 0);
		if (tl_rn(r, 5) == 0)
			vd_put(u, 0x61, 2, 6, 0, 0); /* a size that is not constant */
		else
			vd_put(u, 0xb7, 2, 0, 0, 16);
		vd_put(u, 0xb7, 3, 0, 0, 0);
		vd_put(u, 0x85, 0, 0, 0, 131);
		switch (tl_rn(r, 5)) {
		case 0: /* never released */
			vd_put(u, 0x15, 0, 0, 1, 0);
			vd_put(u, 0x7a, 0, 0, 0, 1);
			break;
		case 1: /* released before the NULL check */
			vd_put(u, 0xbf, 1, 0, 0, 0);
			vd_put(u, 0xb7, 2, 0, 0, 0);
			vd_put(u, 0x85, 0, 0, 0, 132);
			break;
		case 2: /* released twice */
			vd_put(u, 0x15, 0, 0, 7, 0);
			vd_put(u, 0xbf, 7, 0, 0, 0);
			vd_put(u, 0xbf, 1, 7, 0, 0);
			vd_put(u, 0xb7, 2, 0, 0, 0);
			vd_put(u, 0x85, 0, 0, 0, 132);
			vd_put(u, 0xbf, 1, 7, 0, 0);
			vd_put(u, 0xb7, 2, 0, 0, 0);
			vd_put(u, 0x85, 0, 0, 0, 133);
			break;
		case 3: /* written past its size, then released */
			vd_put(u, 0x15, 0, 0, 4, 0);
			vd_put(u, 0x7a, 0, 0, 16 - (int)tl_rn(r, 8), 1);
			vd_put(u, 0xbf, 1, 0, 0, 0);
			vd_put(u, 0xb7, 2, 0, 0, 0);
			vd_put(u, 0x85, 0, 0, 0, 132);
			break;
		default: /* released through a moved pointer */
			vd_put(u, 0x15, 0, 0, 4, 0);
			vd_put(u, 0xbf, 1, 0, 0, 0);
			vd_put(u, 0x07, 1, 0, 0, 8);
			vd_put(u, 0xb7, 2, 0, 0, 0);
			vd_put(u, 0x85, 0, 0, 0, 133);
			break;
		}
		break;
	}
}

static int vd_mutate(struct vd_prog *p, struct tl_rng *r, struct vd_slotmut *sm)
{
	int m = tl_rn(r, 4) == 0 ? MUT_NONE : 1 + (int)tl_rn(r, MUT__COUNT - 1);

	sm->kind = 0;
	sm->pick = tl_rnd(r);
	switch (m) {
	case MUT_DROP_INIT: {
		int c[VD_MAX_UNITS], n = 0;
		for (int i = 0; i < p->body_start; i++)
			if (p->u[i].role == ROLE_INIT)
				c[n++] = i;
		if (n)
			vd_delete(p, c[tl_rn(r, (uint32_t)n)]);
		break;
	}
	case MUT_STACK_OOB: case MUT_STACK_MISALIGN: case MUT_STACK_UNINIT:
		vd_mut_stack(p, r, m);
		break;
	case MUT_JUMP_OOR: case MUT_JUMP_LDDW:
		sm->kind = m;
		break;
	case MUT_LOOP_INF:
		vd_mut_loop_inf(p, r);
		break;
	case MUT_LOOP_BOUNDED:
		vd_mut_loop_bounded(p, r);
		break;
	case MUT_HELPER_UNKNOWN: case MUT_HELPER_BADARG:
		vd_mut_helper(p, r, m == MUT_HELPER_BADARG);
		break;
	case MUT_PKT_UNCHECKED:
		p->tc = true;
		vd_mut_packet(p, r);
		break;
	case MUT_PTR_ARITH:
		vd_mut_ptr_arith(p, r);
		break;
	case MUT_R10_WRITE:
		vd_mut_r10(p, r);
		break;
	case MUT_DEEP_CALLS:
		vd_mut_calls(p, r);
		break;
	case MUT_PTR_STORE:
		vd_mut_ptr_store(p, r);
		break;
	case MUT_CTX_BAD:
		vd_mut_ctx(p, r);
		break;
	case MUT_DIV_ZERO: case MUT_SHIFT_WIDE:
		vd_mut_div_shift(p, r, m == MUT_DIV_ZERO);
		break;
	case MUT_RANDOM_FIELD:
		vd_mut_field(p, r);
		break;
	case MUT_MAP_UNCHECKED: case MUT_MAP_OOB: case MUT_MAP_BADKEY: case MUT_MAP_RDONLY:
	case MUT_MAP_WRONG: case MUT_RINGBUF_BAD:
		if (vd_have_maps)
			vd_mut_map(p, r, m);
		else
			m = MUT_NONE;
		break;
	default:
		break;
	}
	return m;
}

/* Jumps out of the program, or into the second slot of an lddw. */
static void vd_slot_mutate(const struct vd_slotmut *sm, struct userbpf_insn *in, size_t n)
{
	size_t jumps[4096], nj = 0, lddw[4096], nl = 0;
	struct tl_rng r = { sm->pick };

	if (!sm->kind)
		return;
	for (size_t i = 0; i < n && nj < 4096; i++) {
		unsigned cls = in[i].code & 7;
		if (in[i].code == 0x18 && i + 1 < n) {
			lddw[nl++] = i;
			i++;
			continue;
		}
		if ((cls == 5 || cls == 6) && in[i].code != 0x95 && in[i].code != 0x85)
			jumps[nj++] = i;
	}
	if (!nj)
		return;
	{
		size_t j = jumps[tl_rn(&r, (uint32_t)nj)];
		long t;
		if (sm->kind == MUT_JUMP_LDDW && nl)
			t = (long)lddw[tl_rn(&r, (uint32_t)nl)] + 1;
		else
			t = tl_rn(&r, 2) ? (long)n + (long)tl_rn(&r, 3) : -1 - (long)tl_rn(&r, 3);
		if (in[j].code == 0x06)
			in[j].imm = (int32_t)(t - (long)j - 1);
		else
			in[j].off = (int16_t)(t - (long)j - 1);
	}
}

/* ---- the two verifiers ---------------------------------------------------- */

static char vd_klog[1 << 20];
static struct userbpf_rt *vd_rt;

static long vd_bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

/*
 * Linux wants BTF func_info in programs that pass callbacks (lddw src=4):
 * one BTF with VD_BTF_FUNCS static functions `int fN(void)` is loaded once,
 * and each such program gets one func_info record per subprogram.
 */
#define VD_BTF_FUNCS 64
static int vd_btf_fd = -1;

static void vd_btf_load(void)
{
	static uint8_t blob[24 + 16 + 12 + VD_BTF_FUNCS * 12 + 8 + VD_BTF_FUNCS * 4];
	uint32_t *t = (uint32_t *)(void *)(blob + 24), type_len, str_len;
	char *str;
	size_t nt = 0, ns;
	union bpf_attr a;
	long fd;

	/* [1] int, [2] int (void), [3..] FUNC fN */
	t[nt++] = 1; t[nt++] = (uint32_t)BTF_KIND_INT << 24; t[nt++] = 4; t[nt++] = 0x01000020;
	t[nt++] = 0; t[nt++] = (uint32_t)BTF_KIND_FUNC_PROTO << 24; t[nt++] = 1;
	str = (char *)(t + nt + VD_BTF_FUNCS * 3);
	memcpy(str, "\0int\0", 5);
	ns = 5;
	for (int i = 0; i < VD_BTF_FUNCS; i++) {
		t[nt++] = (uint32_t)ns;
		t[nt++] = (uint32_t)BTF_KIND_FUNC << 24; /* static */
		t[nt++] = 2;
		ns += (size_t)sprintf(str + ns, "f%d", i) + 1;
	}
	type_len = (uint32_t)(nt * 4);
	str_len = (uint32_t)ns;
	blob[0] = 0x9f; blob[1] = 0xeb; blob[2] = 1; blob[3] = 0;
	memcpy(blob + 4, &(uint32_t){ 24 }, 4);
	memcpy(blob + 8, &(uint32_t){ 0 }, 4);
	memcpy(blob + 12, &type_len, 4);
	memcpy(blob + 16, &type_len, 4);
	memcpy(blob + 20, &str_len, 4);
	memset(&a, 0, sizeof(a));
	a.btf = (uint64_t)(uintptr_t)blob;
	a.btf_size = 24 + type_len + str_len;
	fd = vd_bpf(BPF_BTF_LOAD, &a);
	vd_btf_fd = fd < 0 ? -1 : (int)fd;
}

/* Loads p in the kernel; 0 when accepted, else -errno with the log in
 * vd_klog. */
static int vd_kload(const struct userbpf_insn *p, size_t n, bool tc, bool want_log)
{
	static struct userbpf_insn k[VD_MAX_UNITS * VD_UNIT_SLOTS];
	union bpf_attr a;
	long fd;

	/* maps: userbpf's indexes become the kernel's fds */
	if (n > sizeof(k) / sizeof(k[0]))
		return -E2BIG;
	memcpy(k, p, n * sizeof(*p));
	for (size_t i = 0; i + 1 < n; i++) {
		if (k[i].code != 0x18)
			continue;
		if (k[i].src_reg == 1 || k[i].src_reg == 2)
			k[i].imm = (uint32_t)k[i].imm >= VM__COUNT ? -1 :
				   tc && k[i].imm == VM_PROGS ? vd_progs_tc_fd : vd_map_fd[k[i].imm];
		i++;
	}
	memset(&a, 0, sizeof(a));
	{
		/* callbacks: func_info for every subprogram, as Linux finds them */
		static struct bpf_func_info fi[VD_BTF_FUNCS];
		static bool start[VD_MAX_UNITS * VD_UNIT_SLOTS];
		bool cb = false, ok = true;
		uint32_t nf = 0;

		memset(start, 0, n * sizeof(start[0]));
		start[0] = true;
		for (size_t i = 0; i < n; i++) {
			long t = (long)i + 1 + k[i].imm;
			if ((k[i].code == 0x85 && k[i].src_reg == 1) || (k[i].code == 0x18 && k[i].src_reg == 4)) {
				if (t < 0 || t >= (long)n)
					ok = false;
				else
					start[t] = true;
				cb |= k[i].code == 0x18;
			}
		}
		for (size_t i = 0; ok && cb && i < n; i++)
			if (start[i]) {
				if (nf == VD_BTF_FUNCS) {
					ok = false;
					break;
				}
				fi[nf].insn_off = (uint32_t)i;
				fi[nf].type_id = 3 + nf;
				nf++;
			}
		if (ok && cb && vd_btf_fd >= 0) {
			a.prog_btf_fd = (uint32_t)vd_btf_fd;
			a.func_info_rec_size = sizeof(fi[0]);
			a.func_info = (uint64_t)(uintptr_t)fi;
			a.func_info_cnt = nf;
		}
	}
	a.prog_type = tc ? BPF_PROG_TYPE_SCHED_CLS : BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)k;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t)"GPL";
	vd_klog[0] = '\0';
	if (want_log) {
		a.log_buf = (uint64_t)(uintptr_t)vd_klog;
		a.log_size = sizeof(vd_klog);
		a.log_level = 1;
	}
	fd = vd_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0) {
		/* ENOSPC: the log overflowed, and Linux kept its end, which is
		 * the part that says why */
		return -errno;
	}
	close((int)fd);
	return 0;
}

/* The line of the kernel's log that says why (the last before the
 * statistics), or strerror when there is no log. */
static void vd_kmsg(int err, char *out, size_t sz)
{
	const char *best = NULL;
	size_t bestlen = 0;

	for (const char *l = vd_klog; *l;) {
		const char *e = strchr(l, '\n');
		size_t w = e ? (size_t)(e - l) : strlen(l);
		bool stat = !strncmp(l, "processed ", 10) || !strncmp(l, "verification time", 17) ||
			    !strncmp(l, "stack depth", 11) || !strncmp(l, "old state:", 10) ||
			    !strncmp(l, "cur state:", 10) || w == 0;
		if (!stat) {
			best = l;
			bestlen = w;
		}
		if (!strncmp(l, "processed ", 10))
			break;
		l += w + (e ? 1 : 0);
	}
	if (best)
		snprintf(out, sz, "%.*s", (int)(bestlen < sz ? bestlen : sz - 1), best);
	else
		snprintf(out, sz, "(no log) %s", strerror(-err));
}

struct vd_uverdict {
	bool accepted;
	bool budget;		/* refused for running out of VD_BUDGET */
	char msg[600];
};

static void vd_uverify(const struct userbpf_insn *p, size_t n, bool tc, struct vd_uverdict *v)
{
	static struct ub_dinsn d[VD_MAX_UNITS * VD_UNIT_SLOTS];
	struct ub_vfy_opts o;
	struct ub_vfy_result res;
	size_t bad = 0;
	char why[256];

	memset(&o, 0, sizeof(o));
	o.ctx_fields = tc ? vd_ctx_tc : vd_ctx_sk;
	o.nctx_fields = tc ? VD_NTC : VD_NSK;
	o.ctx_size = sizeof(struct __sk_buff);
	o.max_insns = VD_BUDGET;
	o.maps = vd_maps;
	o.nmaps = VM__COUNT;
	v->accepted = false;
	v->budget = false;
	if (ub_decode_prog(p, n, d, &bad, why, sizeof(why))) {
		snprintf(v->msg, sizeof(v->msg), "decode: insn %zu: %s", bad, why);
		return;
	}
	if (ub_verify(vd_rt, d, p, n, &o, &res)) {
		snprintf(v->msg, sizeof(v->msg), "ub_verify could not run (out of memory)");
	} else {
		v->accepted = res.accepted;
		v->budget = !res.accepted && strstr(res.reason, "instructions processed without finishing");
		snprintf(v->msg, sizeof(v->msg), "%s", res.accepted ? "accepted" : res.reason);
	}
	ub_vfy_result_free(vd_rt, &res);
}

/* ---- classifying ---------------------------------------------------------- */

enum { C_BOTH_ACCEPT, C_BOTH_REFUSE, C_UNSOUND, C_LIMIT, C_DEAD, C_IMPRECISE, C_SKIPPED,
       C__COUNT };

/* A message with its numbers replaced by N, for grouping. */
static void vd_norm(const char *in, char *out, size_t sz)
{
	size_t o = 0;

	for (const char *s = in; *s && o + 2 < sz; s++) {
		if ((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')) {
			out[o++] = 'N';
			while (s[1] == 'x' || (s[1] >= '0' && s[1] <= '9') ||
			       (s[1] >= 'a' && s[1] <= 'f' && s[0] != '-'))
				s++;
			continue;
		}
		out[o++] = *s;
	}
	out[o] = '\0';
}

/* userbpf's reason without "insn N: TEXT: " and the register dump. */
static void vd_ukey(const char *msg, char *out, size_t sz)
{
	char tmp[600];
	const char *s = msg;
	char *cut;

	if (!strncmp(s, "insn ", 5)) {
		const char *c = strchr(s, ':');
		const char *c2 = c ? strstr(c + 1, ": ") : NULL;
		s = c2 ? c2 + 2 : c ? c + 2 : s;
	}
	snprintf(tmp, sizeof(tmp), "%s", s);
	cut = strstr(tmp, " (R");
	if (cut)
		*cut = '\0';
	vd_norm(tmp, out, sz);
}

/* Does the kernel refuse for one of its own limits rather than for
 * safety?  Returns a label, or NULL for a safety reason. */
static const char *vd_kernel_limit(const char *kmsg, bool tc)
{
	static const struct { const char *needle, *label; } limits[] = {
		{ "misaligned stack access", "Linux wants aligned stack slots (userbpf tracks bytes)" },
		{ "invalid size of register fill", "Linux fills a spilled pointer only whole" },
		{ "invalid size of register spill", "Linux spills a pointer only whole" },
		{ "cannot write into packet", "read-only packet for this program type (no descriptor flag)" },
		{ "unreachable insn", "unreachable code" },
		{ "back-edge", "back-edge" },
		{ "too complex", "complexity limit" },
		{ "BPF program is too large", "complexity limit" },
		{ "The sequence of", "complexity limit" },
		{ "cannot return stack pointer to the caller",
		  "Linux returns no stack pointer from a subprogram (userbpf: none into the callee's own frame)" },
		{ "cannot be mixed with bpf-to-bpf", "Linux: LD_ABS not with bpf2bpf calls" },
		{ "expected=map_ptr", "maps: bpf_tail_call needs a prog array (userbpf has no maps)" },
		{ "cannot use helper", "helper not offered to this program type" },
		{ "verifier bug", "Linux's internal error after verification (e.g. while inlining bpf_loop), not a verdict" },
	};
	unsigned off, size;
	const char *a;

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (strstr(kmsg, limits[i].needle))
			return limits[i].label;
	/* A context access inside a described field that Linux refuses for
	 * its size or alignment: the descriptor cannot say that. */
	a = strstr(kmsg, "invalid bpf_context access off=");
	if (a && sscanf(a, "invalid bpf_context access off=%u size=%u", &off, &size) == 2) {
		const struct ub_ctx_field *f = tc ? vd_ctx_tc : vd_ctx_sk;
		size_t n = tc ? VD_NTC : VD_NSK;
		for (size_t i = 0; i < n; i++)
			if (off >= f[i].off && off + size <= f[i].off + f[i].size &&
			    (off % size || (f[i].size <= 8 && size != f[i].size)))
				return "context access granularity: narrow, misaligned or narrow-write (descriptor cannot say)";
	}
	return NULL;
}

struct vd_kind {
	int cls;
	char key[400];
	unsigned long count;
	unsigned long example;
	int mut;
	char kmsg[300], umsg[300];
	const char *label;
};

#define VD_MAX_KINDS 512
static struct vd_kind vd_kinds[VD_MAX_KINDS];
static size_t vd_nkinds;
static unsigned long vd_kinds_lost;

/* Counts a disagreement; true when it is the first of its kind. */
static bool vd_note_kind(int cls, const char *label, const char *kmsg, const char *umsg,
			 unsigned long idx, int mut, bool tc)
{
	char kk[300], uk[300], key[400];

	vd_norm(kmsg, kk, sizeof(kk));
	vd_ukey(umsg, uk, sizeof(uk));
	snprintf(key, sizeof(key), "%d|%s|%.180s|%.180s", cls, tc ? "tc" : "sk", kk, cls == C_UNSOUND ? uk : "");
	if (cls == C_IMPRECISE)
		snprintf(key, sizeof(key), "%d|%s|%.300s", cls, label ? "dead" : "", uk);
	for (size_t i = 0; i < vd_nkinds; i++) {
		if (!strcmp(vd_kinds[i].key, key)) {
			vd_kinds[i].count++;
			return false;
		}
	}
	if (vd_nkinds == VD_MAX_KINDS) {
		vd_kinds_lost++;
		return false;
	}
	{
		struct vd_kind *k = &vd_kinds[vd_nkinds++];
		k->cls = cls;
		snprintf(k->key, sizeof(k->key), "%.399s", key);
		k->count = 1;
		k->example = idx;
		k->mut = mut;
		k->label = label;
		snprintf(k->kmsg, sizeof(k->kmsg), "%.299s", kmsg);
		snprintf(k->umsg, sizeof(k->umsg), "%.299s", umsg);
	}
	return true;
}

/* ---- one program ---------------------------------------------------------- */

struct vd_case {
	struct vd_prog prog;
	struct vd_slotmut sm;
	int mut;
	struct userbpf_insn insns[VD_MAX_UNITS * VD_UNIT_SLOTS];
	size_t n;
};

struct vd_outcome {
	int kerr;
	char kmsg[600];
	struct vd_uverdict u;
	int cls;
	const char *label;
	long dead;		/* C_DEAD: the branch userbpf decides */
};

static uint64_t vd_prog_seed(uint64_t seed, unsigned long i)
{
	struct tl_rng r = { seed ^ (0xa0761d6478bd642fULL * (i + 1)) };
	return tl_rnd(&r);
}

static void vd_make(struct vd_case *c, uint64_t seed, unsigned long i)
{
	struct tl_rng r = { vd_prog_seed(seed, i) };
	bool tc = tl_rn(&r, 5) < 2;

	vd_generate(&c->prog, &r, tc);
	vd_resolve_calls(&c->prog);
	c->mut = vd_mutate(&c->prog, &r, &c->sm);
	c->n = vd_layout(&c->prog, c->insns, sizeof(c->insns) / sizeof(c->insns[0]));
	vd_slot_mutate(&c->sm, c->insns, c->n);
}

/* The instruction the kernel refused at: the last "N: (" line of its log,
 * or -1 (refusals found before exploring). */
static long vd_kfail_insn(void)
{
	long at = -1;

	for (const char *l = vd_klog; *l;) {
		const char *e = strchr(l, '\n');
		unsigned long v;
		char paren;
		if (sscanf(l, "%lu: %c", &v, &paren) == 2 && paren == '(')
			at = (long)v;
		if (!e)
			break;
		l = e + 1;
	}
	return at;
}

static bool vd_is_cond_jump(const struct userbpf_insn *in)
{
	unsigned cls = in->code & 7, op = in->code & 0xf0;

	return (cls == 5 || cls == 6) && op != 0x00 && op != 0x80 && op != 0x90 && op <= 0xd0;
}

/* Is instruction a, at or before b, on the straight line into b?  (Linux
 * refuses an access where userbpf refuses the arithmetic just before it.) */
static bool vd_same_block(const struct userbpf_insn *p, unsigned long a, long b)
{
	if (b < 0 || (long)a > b)
		return false;
	for (long i = (long)a; i < b; i++) {
		unsigned cls = p[i].code & 7;
		if ((cls == 5 || cls == 6) && p[i].code != 0x85)
			return false;
	}
	return true;
}

/*
 * Linux explores paths that userbpf proves infeasible (x s> x, a shift by
 * 65535 that the ISA masks to 63, a constant counter after a loop).  When
 * the kernel refuses on such a path, userbpf accepting is no unsoundness.
 * To tell, each conditional jump in turn becomes "if r10 > 5" with the
 * same target, which userbpf cannot decide; if userbpf then refuses at
 * the instruction the kernel refused at, its acceptance rested on
 * deciding that one branch.  Returns the branch, or -1.
 */
static long vd_dead_branch(const struct userbpf_insn *p, size_t n, bool tc, long kfail,
			   const char *kmsg)
{
	static struct userbpf_insn q[VD_MAX_UNITS * VD_UNIT_SLOTS];
	/* Linux checks call depth and stack size over every call it
	 * explored, after the fact, with no instruction to point at. */
	bool frames = strstr(kmsg, "frames is too deep") || strstr(kmsg, "combined stack size");
	bool loop = strstr(kmsg, "infinite loop detected") != NULL;

	if (n > sizeof(q) / sizeof(q[0]) || (kfail < 0 && !frames))
		return -1;
	/* one branch at a time, then all forward branches at once */
	for (size_t x = 0; x <= n; x++) {
		struct vd_uverdict v;
		unsigned long at;

		memcpy(q, p, n * sizeof(q[0]));
		for (size_t y = x < n ? x : 0; y < (x < n ? x + 1 : n); y++) {
			/* a back edge made undecidable would be an endless loop */
			if (!vd_is_cond_jump(&p[y]) || (y && p[y - 1].code == 0x18) || p[y].off < 0)
				continue;
			q[y].code = 0x25;
			q[y].dst_reg = 10;
			q[y].src_reg = 0;
			q[y].imm = 5;
		}
		if (x < n && !memcmp(&q[x], &p[x], sizeof(q[x])))
			continue;
		vd_uverify(q, n, tc, &v);
		if (v.accepted)
			continue;
		/* the two name different instructions of an endless loop */
		if (loop && strstr(v.msg, "infinite loop"))
			return x < n ? (long)x : (long)n;
		if (frames ? strstr(v.msg, "frames deep") || strstr(v.msg, "along a chain of calls") :
			     sscanf(v.msg, "insn %lu:", &at) == 1 && vd_same_block(p, at, kfail))
			return x < n ? (long)x : (long)n;
	}
	return -1;
}

/* When userbpf refuses what Linux accepts: does Linux still accept the
 * program with the refused instruction made into a write to r10?  Then
 * Linux never reaches it, and userbpf is less precise about branches. */
static bool vd_kernel_proves_dead(const struct userbpf_insn *p, size_t n, bool tc, const char *umsg)
{
	static struct userbpf_insn q[VD_MAX_UNITS * VD_UNIT_SLOTS];
	unsigned long at;

	if (sscanf(umsg, "insn %lu:", &at) != 1 || at >= n || n > sizeof(q) / sizeof(q[0]) ||
	    p[at].code == 0x18 || (at && p[at - 1].code == 0x18))
		return false;
	memcpy(q, p, n * sizeof(q[0]));
	memset(&q[at], 0, sizeof(q[at]));
	q[at].code = 0xb7;
	q[at].dst_reg = 10;
	return vd_kload(q, n, tc, false) == 0;
}

static void vd_judge(const struct userbpf_insn *p, size_t n, bool tc, struct vd_outcome *o)
{
	long kfail = -1;

	memset(o, 0, sizeof(*o));
	vd_uverify(p, n, tc, &o->u);
	if (o->u.budget) {
		o->cls = C_SKIPPED;
		snprintf(o->kmsg, sizeof(o->kmsg), "(not asked)");
		return;
	}
	o->kerr = vd_kload(p, n, tc, false);
	if (o->kerr) {
		vd_kload(p, n, tc, true);
		vd_kmsg(o->kerr, o->kmsg, sizeof(o->kmsg));
		kfail = vd_kfail_insn();
		/* the loop is reported at its head, after the back edge's line */
		if (sscanf(o->kmsg, "infinite loop detected at insn %ld", &kfail) != 1 &&
		    strstr(o->kmsg, "infinite loop detected"))
			kfail = vd_kfail_insn();
	} else {
		snprintf(o->kmsg, sizeof(o->kmsg), "accepted");
	}
	if (!o->kerr && !o->u.accepted && vd_kernel_proves_dead(p, n, tc, o->u.msg))
		o->label = "Linux proves the refused instruction unreachable";
	if (!o->kerr)
		o->cls = o->u.accepted ? C_BOTH_ACCEPT : C_IMPRECISE;
	else if (!o->u.accepted)
		o->cls = C_BOTH_REFUSE;
	else if ((o->label = vd_kernel_limit(o->kmsg, tc)))
		o->cls = C_LIMIT;
	else if ((o->dead = vd_dead_branch(p, n, tc, kfail, o->kmsg)) >= 0)
		o->cls = C_DEAD;
	else
		o->cls = C_UNSOUND;
}

/* Deletes units while userbpf still accepts and the kernel still refuses
 * with the same message, so a report shows what matters. */
static void vd_shrink(struct vd_case *c, const char *kkey)
{
	static struct vd_prog trial;
	static struct userbpf_insn buf[VD_MAX_UNITS * VD_UNIT_SLOTS];
	bool progress = true;
	int budget = 400; /* kernel loads: shrinking is for people, keep it cheap */

	if (c->sm.kind)
		return;
	while (progress && budget > 0) {
		progress = false;
		for (int k = c->prog.n - 1; k >= 0; k--) {
			struct vd_outcome o;
			char kk[300];
			size_t n;

			if (--budget < 0)
				break;
			trial = c->prog;
			vd_delete(&trial, k);
			if (trial.n == 0)
				continue;
			n = vd_layout(&trial, buf, sizeof(buf) / sizeof(buf[0]));
			if (!n)
				continue;
			vd_judge(buf, n, trial.tc, &o);
			vd_norm(o.kmsg, kk, sizeof(kk));
			if ((o.cls == C_UNSOUND || o.cls == C_DEAD) && !strcmp(kk, kkey)) {
				c->prog = trial;
				progress = true;
			}
		}
	}
	c->n = vd_layout(&c->prog, c->insns, sizeof(c->insns) / sizeof(c->insns[0]));
}

static void vd_listing(const struct userbpf_insn *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		char text[128];
		uint8_t b[8];
		int k = userbpf_disasm_insn(p + i, n - i, text, sizeof(text));

		memcpy(b, &p[i], 8);
		printf("#   %3zu: %02x%02x%02x%02x%02x%02x%02x%02x  %s\n", i, b[0], b[1], b[2], b[3],
		       b[4], b[5], b[6], b[7], k < 0 ? "(invalid)" : text);
		i += k == 2 ? 2 : 1;
		if (k == 2) {
			memcpy(b, &p[i - 1], 8);
			printf("#   %3zu: %02x%02x%02x%02x%02x%02x%02x%02x\n", i - 1, b[0], b[1], b[2],
			       b[3], b[4], b[5], b[6], b[7]);
		}
	}
}

static void vd_save(const char *dir, const char *name, const struct vd_case *c,
		    const struct vd_outcome *o)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.txt", dir, name);
	f = fopen(path, "w");
	if (!f) {
		printf("# cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "# type: %s\n# kernel: %s\n# userbpf: %s\n", c->prog.tc ? "sched_cls" : "socket_filter",
		o->kmsg, o->u.msg);
	rf_write_slots(f, c->insns, c->n);
	fclose(f);
	printf("# wrote %s\n", path);
}

/* ---- recorded regressions -------------------------------------------------- */

static bool vd_strict;

/* Each file in tests/data/vdiff-regress/ is a program userbpf once
 * accepted and the kernel refuses for safety: userbpf must refuse it. */
static void vd_check_regress(bool have_kernel)
{
	const char *root = getenv("UB_ROOT");
	char dir[1024], path[1400], why[256], name[400], line[512];
	static struct rf_case c;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/data/vdiff-regress", root ? root : ".");
	d = opendir(dir);
	if (!d) {
		tl_skip("vdiff regress", "no tests/data/vdiff-regress (set UB_ROOT)");
		return;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct vd_uverdict v;
		bool tc = false;
		FILE *f;

		if (len < 5 || strcmp(de->d_name + len - 4, ".txt"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		snprintf(name, sizeof(name), "vdiff regress %s", de->d_name);
		if (rf_read(path, &c, why, sizeof(why))) {
			tl_fail(name, "%s", why);
			continue;
		}
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "# type: sched_cls", 17))
				tc = true;
		if (f)
			fclose(f);
		if (have_kernel) {
			int err = vd_kload(c.insns, c.cnt, tc, false);
			if (!err) {
				tl_fail(name, "the kernel accepts it: the file is wrong");
				continue;
			}
		}
		vd_uverify(c.insns, c.cnt, tc, &v);
		if (!v.accepted)
			tl_ok(name);
		else if (vd_strict)
			tl_fail(name, "userbpf accepts a program the kernel refuses for safety");
		else
			tl_skip(name, "userbpf still accepts it (open verifier bug; UB_VDIFF_STRICT=0 only)");
	}
	closedir(d);
}

/* ---- options and main -------------------------------------------------------- */

static uint64_t vd_stub_helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
			       struct userbpf_call *call)
{
	(void)a; (void)b; (void)c; (void)d; (void)e; (void)call;
	return 0;
}

struct vd_opts {
	unsigned long count;
	uint64_t seed;
	long index;
	bool verbose;
	const char *save_dir;
};

static int vd_parse(int argc, char **argv, struct vd_opts *o)
{
	o->count = 5000;
	o->seed = VD_DEFAULT_SEED;
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
		if (!strcmp(a, "--save")) {
			o->save_dir = v;
			continue;
		}
		if (!strcmp(a, "--count"))
			o->count = strtoul(v, &end, 0);
		else if (!strcmp(a, "--seed"))
			o->seed = strtoull(v, &end, 0);
		else if (!strcmp(a, "--index"))
			o->index = strtol(v, &end, 0);
		else
			goto bad;
		if (*end)
			goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "usage: %s [--count N] [--seed S] [--index I] [--verbose] [--save DIR]\n",
		argv[0]);
	return -1;
}

/* Creates the kernel's copies of vd_maps; 0 or -1 with why. */
static int vd_make_maps(char *why, size_t sz)
{
	for (int i = 0; i < VM__COUNT; i++) {
		union bpf_attr a;
		long fd;

		memset(&a, 0, sizeof(a));
		a.map_type = vd_maps[i].type;
		a.key_size = vd_maps[i].key_size;
		a.value_size = vd_maps[i].value_size;
		a.max_entries = vd_maps[i].max_entries;
		a.map_flags = vd_maps[i].flags;
		fd = vd_bpf(BPF_MAP_CREATE, &a);
		if (fd < 0) {
			snprintf(why, sz, "BPF_MAP_CREATE of map %d (type %u): %s", i, vd_maps[i].type,
				 strerror(errno));
			return -1;
		}
		vd_map_fd[i] = (int)fd;
		if (i == VM_PROGS) {
			fd = vd_bpf(BPF_MAP_CREATE, &a);
			if (fd < 0) {
				snprintf(why, sz, "BPF_MAP_CREATE of a second prog array: %s", strerror(errno));
				return -1;
			}
			vd_progs_tc_fd = (int)fd;
		}
		if (vd_maps[i].rdonly_prog) { /* .rodata: frozen, as libbpf leaves it */
			memset(&a, 0, sizeof(a));
			a.map_fd = (uint32_t)fd;
			if (vd_bpf(BPF_MAP_FREEZE, &a) < 0) {
				snprintf(why, sz, "BPF_MAP_FREEZE: %s", strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

/* Is bpf() usable as root?  Also learns which of userbpf's helpers the
 * kernel offers to both program types. */
static int vd_probe(char *why, size_t sz)
{
	static const struct userbpf_insn ret0[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, { .code = 0x95 },
	};
	static const struct userbpf_insn uninit[] = {
		{ .code = 0x79, .dst_reg = 0, .src_reg = 10, .off = -8 }, { .code = 0x95 },
	};
	static const uint32_t cand[] = { 5, 7, 8, 118, 125, 160 };
	static uint32_t have[sizeof(cand) / sizeof(cand[0])];
	int err = vd_kload(ret0, 2, false, false);

	if (err) {
		snprintf(why, sz, "bpf() unavailable: BPF_PROG_LOAD: %s", strerror(-err));
		return -1;
	}
	if (vd_kload(uninit, 2, false, false)) {
		snprintf(why, sz, "bpf() unavailable: the verifier runs unprivileged (not root?)");
		return -1;
	}
	vd_have_maps = !vd_make_maps(why, sz);
	vd_btf_load();
	if (vd_btf_fd < 0)
		printf("# BPF_BTF_LOAD failed (%s): programs with callbacks will be refused\n", strerror(errno));
	if (!vd_have_maps)
		printf("# no kernel maps, so no map units: %s\n", why);
	vd_nhelpers = 0;
	for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
		const struct userbpf_insn call[] = {
			{ .code = 0x85, .imm = (int32_t)cand[i] }, { .code = 0x95 },
		};
		if (ub_rt_helper(vd_rt, cand[i]) && !vd_kload(call, 2, false, false) &&
		    !vd_kload(call, 2, true, false))
			have[vd_nhelpers++] = cand[i];
	}
	vd_helpers = have;
	return 0;
}

static const char *const vd_cls_name[C__COUNT] = {
	"both accept", "both refuse", "UNSOUND-looking (userbpf accepts, kernel refuses for safety)",
	"kernel limit (userbpf accepts, kernel refuses for its own rule)",
	"dead path (userbpf accepts, kernel refuses on a path userbpf proves infeasible)",
	"imprecise (kernel accepts, userbpf refuses)",
	"set aside (userbpf needs more than its budget)",
};

int main(int argc, char **argv)
{
	static struct vd_case c;
	struct userbpf_rt_opts ro = { .sz = sizeof(ro), .log = tl_log };
	struct vd_opts o = { 0 };
	unsigned long cnt[C__COUNT] = { 0 }, per_mut[MUT__COUNT][C__COUNT], first, last;
	unsigned long base_total = 0, base_kacc = 0, batch_unsound = 0, ran = 0, slowest = 0;
	double slowest_ms = 0;
	struct timespec t0, t1;
	const char *st = getenv("UB_VDIFF_STRICT");
	char why[256];

	memset(per_mut, 0, sizeof(per_mut));
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The targets are met: a safety disagreement or acceptance below 95%
	 * fails; UB_VDIFF_STRICT=0 reports them as skips while working. */
	vd_strict = !(st && !strcmp(st, "0"));
	if (vd_parse(argc, argv, &o))
		return 2;
	vd_rt = userbpf_rt__new(&ro);
	if (!vd_rt) {
		tl_fail("vdiff", "userbpf_rt__new: %s", strerror(errno));
		return tl_exit();
	}
	/* The map helpers as the map layer registers them: functions without
	 * prototypes, which the verifier's table supplies.  Only verified here. */
	{
		static const uint32_t ids[] = { 1, 2, 3, 87, 88, 89, 130, 131, 132, 133, 134, 164, 181 };
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			char name[64];
			snprintf(name, sizeof(name), "bpf_%s", ub_helper_linux_name(ids[i]));
			if (userbpf_rt__set_helper(vd_rt, ids[i], name, vd_stub_helper)) {
				tl_fail("vdiff", "userbpf_rt__set_helper %u: %s", ids[i], strerror(errno));
				return tl_exit();
			}
		}
	}
	if (vd_probe(why, sizeof(why))) {
		tl_skip("vdiff", why);
		vd_check_regress(false);
		userbpf_rt__free(vd_rt);
		return tl_exit();
	}
	printf("# seed 0x%" PRIx64 ", %lu programs, %zu helpers in common%s\n", o.seed, o.count,
	       vd_nhelpers, vd_strict ? ", strict" : "");
	first = o.index >= 0 ? (unsigned long)o.index : 0;
	last = o.index >= 0 ? first + 1 : o.count;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long i = first; i < last; i++) {
		struct vd_outcome out;
		size_t shrunk_from = 0;
		struct timespec p0, p1;
		double ms;

		clock_gettime(CLOCK_MONOTONIC, &p0);
		vd_make(&c, o.seed, i);
		vd_judge(c.insns, c.n, c.prog.tc, &out);
		clock_gettime(CLOCK_MONOTONIC, &p1);
		ms = (double)(p1.tv_sec - p0.tv_sec) * 1e3 + (double)(p1.tv_nsec - p0.tv_nsec) / 1e6;
		if (ms > slowest_ms) {
			slowest_ms = ms;
			slowest = i;
		}
		ran++;
		batch_unsound += out.cls == C_UNSOUND;
		cnt[out.cls]++;
		per_mut[c.mut][out.cls]++;
		if (c.mut == MUT_NONE) {
			base_total++;
			base_kacc += !out.kerr;
		}
		if (o.verbose || o.index >= 0) {
			printf("# program %lu (%s, %s, %zu slots): %s\n#   kernel: %s\n#   userbpf: %s\n", i,
			       c.prog.tc ? "sched_cls" : "socket_filter", vd_mut_name[c.mut], c.n,
			       vd_cls_name[out.cls], out.kmsg, out.u.msg);
			if (o.index >= 0)
				vd_listing(c.insns, c.n);
		}
		if (out.cls == C_UNSOUND) {
			/* shrink first: in a small program the dead-path check
			 * can force every branch at once */
			char kk[300];
			size_t n0 = c.n;

			vd_norm(out.kmsg, kk, sizeof(kk));
			vd_shrink(&c, kk);
			vd_judge(c.insns, c.n, c.prog.tc, &out);
			if (out.cls != C_UNSOUND && out.cls != C_DEAD) /* cannot happen; keep the count honest */
				out.cls = C_UNSOUND;
			batch_unsound -= out.cls != C_UNSOUND;
			cnt[C_UNSOUND]--;
			cnt[out.cls]++;
			per_mut[c.mut][C_UNSOUND]--;
			per_mut[c.mut][out.cls]++;
			shrunk_from = n0;
		}
		if (out.cls == C_DEAD) {
			char text[128];
			if ((size_t)out.dead >= c.n)
				snprintf(out.u.msg, sizeof(out.u.msg), "accepted: decides several branches");
			else if (userbpf_disasm_insn(c.insns + out.dead, c.n - (size_t)out.dead, text,
						     sizeof(text)) >= 0)
				snprintf(out.u.msg, sizeof(out.u.msg), "accepted: decides insn %ld (%s)",
					 out.dead, text);
		}
		if (out.cls != C_BOTH_ACCEPT && out.cls != C_BOTH_REFUSE && out.cls != C_SKIPPED &&
		    vd_note_kind(out.cls, out.label, out.kmsg, out.u.msg, i, c.mut, c.prog.tc) &&
		    out.cls == C_UNSOUND) {
			char nm[160];
			size_t n0 = shrunk_from;

			snprintf(nm, sizeof(nm), "vdiff: program %lu (seed 0x%" PRIx64 ", --index %lu)", i,
				 o.seed, i);
			if (vd_strict)
				tl_fail(nm, "userbpf accepts, the kernel refuses: %s", out.kmsg);
			printf("# UNSOUND-looking program %lu (%s, mutation: %s), shrunk from %zu to %zu slots\n"
			       "#   kernel:  %s\n#   userbpf: %s\n",
			       i, c.prog.tc ? "sched_cls" : "socket_filter", vd_mut_name[c.mut], n0, c.n,
			       out.kmsg, out.u.msg);
			vd_listing(c.insns, c.n);
			if (o.save_dir) {
				char name[64];
				snprintf(name, sizeof(name), "gen-%" PRIx64 "-%lu", o.seed, i);
				vd_save(o.save_dir, name, &c, &out);
			}
		}
		if ((i + 1 - first) % VD_BATCH == 0 || i + 1 == last) {
			if (!batch_unsound || !vd_strict)
				printf("ok vdiff: programs up to %lu compared (%lu unsound-looking in this batch)\n",
				       i, batch_unsound);
			batch_unsound = 0;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	{
		unsigned long kacc = cnt[C_BOTH_ACCEPT] + cnt[C_IMPRECISE];
		double rate = kacc ? 100.0 * (double)cnt[C_BOTH_ACCEPT] / (double)kacc : 100.0;
		double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

		printf("# %lu programs in %.2f s (seed 0x%" PRIx64 "); slowest: program %lu, %.1f ms\n", ran,
		       secs, o.seed, slowest, slowest_ms);
		printf("# both accept: %lu\n# both refuse: %lu\n", cnt[C_BOTH_ACCEPT], cnt[C_BOTH_REFUSE]);
		printf("# userbpf accepts, kernel refuses: %lu (safety: %lu, kernel limits: %lu, paths userbpf proves dead: %lu)\n",
		       cnt[C_UNSOUND] + cnt[C_LIMIT] + cnt[C_DEAD], cnt[C_UNSOUND], cnt[C_LIMIT], cnt[C_DEAD]);
		printf("# kernel accepts, userbpf refuses: %lu\n", cnt[C_IMPRECISE]);
		printf("# set aside (userbpf needs more than %d instructions; not loaded): %lu\n", VD_BUDGET,
		       cnt[C_SKIPPED]);
		printf("# acceptance rate: %.2f%% of the %lu programs the kernel accepts\n", rate, kacc);
		printf("# unmutated programs the kernel accepts: %lu of %lu\n", base_kacc, base_total);
		printf("# per mutation: both-accept both-refuse unsound limit dead imprecise set-aside\n");
		for (int m = 0; m < MUT__COUNT; m++)
			printf("#   %-36s %6lu %6lu %6lu %6lu %6lu %6lu %6lu\n", vd_mut_name[m], per_mut[m][0],
			       per_mut[m][1], per_mut[m][2], per_mut[m][3], per_mut[m][4], per_mut[m][5],
			       per_mut[m][6]);
		for (int cls = C_UNSOUND; cls < C_SKIPPED; cls++) {
			printf("# disagreement kinds: %s\n", vd_cls_name[cls]);
			for (size_t k = 0; k < vd_nkinds; k++) {
				const struct vd_kind *d = &vd_kinds[k];
				if (d->cls != cls)
					continue;
				printf("#   %5lu x %s%s%se.g. program %lu (%s)\n#         kernel:  %s\n#         userbpf: %s\n",
				       d->count, d->label ? "[" : "", d->label ? d->label : "",
				       d->label ? "] " : "", d->example, vd_mut_name[d->mut], d->kmsg, d->umsg);
			}
		}
		if (vd_kinds_lost)
			printf("# (%lu disagreements of further kinds not listed)\n", vd_kinds_lost);
		if (o.index < 0) {
			/* The generator is worth little if the kernel refuses
			 * most unmutated programs. */
			snprintf(why, sizeof(why), "vdiff generator: the kernel accepts %lu of %lu unmutated programs",
				 base_kacc, base_total);
			if (base_total && base_kacc * 10 < base_total * 6)
				tl_fail(why, "below 60%%: the generator makes programs Linux refuses");
			else
				tl_ok(why);
			snprintf(why, sizeof(why), "vdiff soundness: %lu programs userbpf accepts and the kernel refuses for safety",
				 cnt[C_UNSOUND]);
			if (!cnt[C_UNSOUND])
				tl_ok(why);
			else if (vd_strict)
				tl_fail(why, "see the listings above");
			else
				tl_skip(why, "open verifier bugs (UB_VDIFF_STRICT=0 only)");
			snprintf(why, sizeof(why), "vdiff acceptance: %.2f%% of kernel-accepted programs accepted", rate);
			if (rate >= 95.0)
				tl_ok(why);
			else if (vd_strict)
				tl_fail(why, "below 95%%");
			else
				tl_skip(why, "below 95% (UB_VDIFF_STRICT=0 only)");
			vd_check_regress(true);
		}
	}
	userbpf_rt__free(vd_rt);
	return tl_exit();
}
