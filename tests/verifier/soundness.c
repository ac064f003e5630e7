/* SPDX-License-Identifier: MIT */
/*
 * soundness.c - soundness fuzzing of the verifier: programs it accepts
 * must run clean in the interpreter's checked mode (tests/verifier/
 * sf_oracle.h says what "clean" covers) and give the same results in the
 * fast interpreter and the JIT.
 *
 * Programs are generated from a seed, as tests/verifier/kernel_vdiff.c
 * does, but for this oracle: no kernel agreement is needed, so they use
 * every program type of sf_oracle.h (xdp and tc packets with data_meta,
 * socket filters, plain memory), map lookups with and without a NULL
 * check, map values at fixed and variable offsets bounded by a mask or by
 * a comparison (signed or unsigned, 32 or 64 bits), global and read-only
 * data, ring buffer reservations, queues, atomics, stack accesses at
 * fixed and variable offsets, bounded loops, bpf_loop callbacks and
 * bpf2bpf calls with stack, context and scalar arguments.  Most programs
 * are then MUTATED at the instruction level (an offset, immediate, size,
 * register or condition moved by a little, an instruction dropped,
 * duplicated, swapped or replaced), which is what walks accesses over the
 * bounds the verifier has to find.
 *
 * A failure is shrunk (instructions deleted with jumps fixed up while the
 * same failure remains) and printed; --save DIR writes it in the format of
 * tests/data/soundness-regress/, whose files every run replays first (each
 * must now be refused or run clean).
 *
 *   soundness [--count N] [--seconds S] [--seed X] [--index I] [--start I]
 *             [--variants V] [--save DIR] [--verbose] [--regress DIR]
 *             [--corpus DIR] [--input FILE]
 *
 * Each program comes from its own seed, so --index I reproduces program I
 * of a run with the same binary (a build with another compiler may
 * evaluate the generator's random calls in another order).
 *
 * Prints executions, accepted programs and two coverage proxies: the
 * distinct opcode rows (code byte; atomic op; helper id) seen in accepted
 * programs, and the distinct refusal reasons (numbers masked).
 */
#include <dirent.h>
#include <inttypes.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include "testlib.h"
#include "tl_rng.h"
#include "sf_oracle.h"
#include "../diff/regress_file.h"

#define SG_MAX 4096		/* slots of a program at most */
#define SG_MAX_SUBS 4
#define SG_STK 64		/* main's initialised stack area [-64, 0) */
#define SG_SUB_STK 32
#define SG_DEFAULT_SEED 0x50f7c0ffee11ULL

/* ---- the generator --------------------------------------------------------- */

enum { K_UNINIT, K_SCALAR, K_CTX, K_FP, K_VAL, K_MIXED, K_PKT };

struct sg_state {
	uint8_t k[11];
	uint16_t vsize[11];	/* K_VAL: bytes of the value */
	bool dead;
};

struct sg_fix {			/* a jump to patch when its label is placed */
	int slot, label;
	bool imm;
};

struct sg {
	struct tl_rng r;
	struct userbpf_insn *p;
	int n;
	int type;
	uint32_t mem_size;
	struct sg_state s;
	int label_slot[512];
	int nlabels;
	struct sg_state label_state[512];
	bool label_has_state[512];
	struct sg_fix fix[1024];
	int nfix;
	struct { int slot; int sub; } call[64];
	int ncall;
	int nsub;
	int sub_arg[SG_MAX_SUBS];	/* K_SCALAR, K_CTX, K_FP, K_VAL */
	int sub_map[SG_MAX_SUBS];	/* K_VAL: the map of the value */
	int sub_start[SG_MAX_SUBS + 2];
	int cb_sub;			/* bpf_loop callback: sub index or -1 */
	int fe_sub, fe_map;		/* for_each_map_elem callback and its map, or -1 */
	bool in_sub, in_loop, in_cb;
	int cur_sub_next;		/* the subprogram this code may call, or -1 */
	uint16_t nowrite;
	int stk;
	int budget;			/* units left */
	const struct userbpf_prog_type *pt;
};

static void sg_put(struct sg *g, unsigned code, unsigned dst, unsigned src, int off, int32_t imm)
{
	struct userbpf_insn *in;

	if (g->n >= SG_MAX - 2)
		return;
	in = &g->p[g->n++];
	memset(in, 0, sizeof(*in));
	in->code = (uint8_t)code;
	in->dst_reg = dst & 15;
	in->src_reg = src & 15;
	in->off = (int16_t)off;
	in->imm = imm;
}

static void sg_lddw(struct sg *g, unsigned dst, unsigned src, int32_t lo, int32_t hi)
{
	sg_put(g, 0x18, dst, src, 0, lo);
	sg_put(g, 0, 0, 0, 0, hi);
}

static int32_t sg_imm(struct tl_rng *r)
{
	static const int32_t special[] = {
		0, 1, -1, 2, -2, 3, 4, 7, 8, 15, 16, 23, 24, 31, 32, 63, 64, 127, 128, 255, 256,
		0x7fff, 0x8000, 0xffff, INT32_MAX, INT32_MIN, -128, -32768, -8, -16,
	};

	switch (tl_rn(r, 4)) {
	case 0: case 1: return special[tl_rn(r, sizeof(special) / sizeof(special[0]))];
	case 2: return (int32_t)tl_rn(r, 256) - 128;
	default: return (int32_t)(uint32_t)tl_rnd(r);
	}
}

/* ---- labels and the generator's idea of the registers ---- */

static void sg_meet(struct sg_state *a, const struct sg_state *b)
{
	if (b->dead)
		return;
	if (a->dead) {
		*a = *b;
		return;
	}
	for (int r = 0; r < 11; r++)
		if (a->k[r] != b->k[r] || (a->k[r] == K_VAL && a->vsize[r] != b->vsize[r]))
			a->k[r] = a->k[r] == K_UNINIT || b->k[r] == K_UNINIT ? K_UNINIT : K_MIXED;
}

static int sg_label(struct sg *g)
{
	if (g->nlabels >= 512)
		return 511;
	g->label_slot[g->nlabels] = -1;
	g->label_has_state[g->nlabels] = false;
	return g->nlabels++;
}

/* A forward jump from the last instruction (in off, or imm) to label. */
static void sg_jump_to(struct sg *g, int label, bool imm)
{
	if (g->nfix < 1024)
		g->fix[g->nfix++] = (struct sg_fix){ g->n - 1, label, imm };
	if (!g->label_has_state[label]) {
		g->label_state[label] = g->s;
		g->label_has_state[label] = true;
	} else {
		sg_meet(&g->label_state[label], &g->s);
	}
}

static void sg_place(struct sg *g, int label)
{
	g->label_slot[label] = g->n;
	if (g->label_has_state[label])
		sg_meet(&g->s, &g->label_state[label]);
}

static void sg_resolve(struct sg *g)
{
	for (int i = 0; i < g->nfix; i++) {
		int t = g->label_slot[g->fix[i].label], d;
		if (t < 0)
			t = g->n - 1;
		d = t - g->fix[i].slot - 1;
		if (g->fix[i].imm)
			g->p[g->fix[i].slot].imm = d;
		else
			g->p[g->fix[i].slot].off = (int16_t)d;
	}
	for (int i = 0; i < g->ncall; i++)
		g->p[g->call[i].slot].imm = g->sub_start[g->call[i].sub] - g->call[i].slot - 1;
}

static int sg_pick(struct sg *g, int kind, bool writable)
{
	int c[11], n = 0;

	for (int r = 0; r < 10; r++)
		if (g->s.k[r] == kind && (!writable || !(g->nowrite & (1u << r))))
			c[n++] = r;
	return n ? c[tl_rn(&g->r, (uint32_t)n)] : -1;
}

static int sg_any_dst(struct sg *g)
{
	for (int tries = 0; tries < 100; tries++) {
		int r = (int)tl_rn(&g->r, 10);
		if (!(g->nowrite & (1u << r)))
			return r;
	}
	return 0;
}

/* A writable register other than those in mask. */
static int sg_scratch(struct sg *g, uint16_t mask)
{
	for (int tries = 0; tries < 100; tries++) {
		int r = (int)tl_rn(&g->r, 10);
		if (!((g->nowrite | mask) & (1u << r)))
			return r;
	}
	return -1;
}

static void sg_set(struct sg *g, int r, int kind)
{
	if (r >= 0 && r < 10)
		g->s.k[r] = (uint8_t)kind;
}

static void sg_clobber(struct sg *g)
{
	for (int r = 1; r <= 5; r++)
		g->s.k[r] = K_UNINIT;
	g->s.k[0] = K_SCALAR;
}

static const uint8_t sg_sz[4] = { 0x10, 0x08, 0x00, 0x18 }; /* B H W DW */

static unsigned sg_szcode(unsigned size)
{
	return sg_sz[size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3];
}

/* An offset near the edge of [0, limit - size] now and then. */
static int sg_off_in(struct sg *g, int limit, unsigned size)
{
	int hi = limit - (int)size;

	if (hi < 0)
		return 0;
	switch (tl_rn(&g->r, 200)) {
	case 0: return hi + 1 + (int)tl_rn(&g->r, 4);
	case 1: return -1 - (int)tl_rn(&g->r, 4);
	case 2: case 3: case 4: case 5: case 6: case 7: case 8: case 9: return hi;
	default: return (int)(size * tl_rn(&g->r, (uint32_t)(hi / (int)size + 1)));
	}
}

/* ---- units ---- */

static void sg_gen_mov(struct sg *g)
{
	int d = sg_any_dst(g);

	switch (tl_rn(&g->r, 4)) {
	case 0:
		sg_lddw(g, (unsigned)d, 0, (int32_t)(uint32_t)tl_rnd(&g->r), sg_imm(&g->r));
		break;
	case 1:
		sg_put(g, 0xb4, (unsigned)d, 0, 0, sg_imm(&g->r));
		break;
	default:
		sg_put(g, 0xb7, (unsigned)d, 0, 0, sg_imm(&g->r));
		break;
	}
	sg_set(g, d, K_SCALAR);
}

static void sg_gen_alu(struct sg *g)
{
	static const uint8_t ops[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90,
				       0xa0, 0xc0, 0x00, 0x50, 0x50 };
	bool is64 = tl_rn(&g->r, 3) != 0;
	unsigned cls = is64 ? 0x07 : 0x04, width = is64 ? 64 : 32;
	unsigned op = ops[tl_rn(&g->r, sizeof(ops))];
	bool divmod = op == 0x30 || op == 0x90, shift = op == 0x60 || op == 0x70 || op == 0xc0;
	int dst = sg_pick(g, K_SCALAR, true), src = sg_pick(g, K_SCALAR, false);
	int32_t imm;

	if (dst < 0) {
		sg_gen_mov(g);
		return;
	}
	switch (tl_rn(&g->r, 10)) {
	case 0: /* neg, bswap, movsx */
		switch (tl_rn(&g->r, 4)) {
		case 0: sg_put(g, cls | 0x80, (unsigned)dst, 0, 0, 0); return;
		case 1: sg_put(g, tl_rn(&g->r, 2) ? 0xd4 : 0xdc, (unsigned)dst, 0, 0,
			       16 << tl_rn(&g->r, 3)); return;
		case 2: sg_put(g, 0xd7, (unsigned)dst, 0, 0, 16 << tl_rn(&g->r, 3)); return;
		default:
			if (src >= 0) {
				sg_put(g, is64 ? 0xbf : 0xbc, (unsigned)dst, (unsigned)src,
				       8 << tl_rn(&g->r, is64 ? 3 : 2), 0);
				return;
			}
			break;
		}
		break;
	case 1: case 2: case 3:
		if (src >= 0) {
			sg_put(g, cls | 0x08 | op, (unsigned)dst, (unsigned)src,
			       divmod && tl_rn(&g->r, 3) == 0 ? 1 : 0, 0);
			return;
		}
		break;
	default:
		break;
	}
	imm = sg_imm(&g->r);
	if (shift && tl_rn(&g->r, 60))
		imm = (int32_t)tl_rn(&g->r, width);
	while (divmod && imm == 0)
		imm = sg_imm(&g->r);
	sg_put(g, cls | op, (unsigned)dst, 0, divmod && tl_rn(&g->r, 3) == 0 ? 1 : 0, imm);
}

static void sg_gen_stack(struct sg *g)
{
	unsigned s = tl_rn(&g->r, 4), size = 1u << s;
	int off = -g->stk + sg_off_in(g, g->stk, size), v = sg_pick(g, K_SCALAR, false), d;

	if (tl_rn(&g->r, 300) == 0)
		off = -512 + (int)tl_rn(&g->r, 16) - 8;
	switch (tl_rn(&g->r, 3)) {
	case 0:
		sg_put(g, 0x62 | sg_szcode(size), 10, 0, off, sg_imm(&g->r));
		break;
	case 1:
		if (v >= 0) {
			sg_put(g, 0x63 | sg_szcode(size), 10, (unsigned)v, off, 0);
			break;
		}
		/* fall through */
	default:
		d = sg_any_dst(g);
		sg_put(g, (s < 3 && tl_rn(&g->r, 4) == 0 ? 0x81 : 0x61) | sg_szcode(size), (unsigned)d,
		       10, off, 0);
		sg_set(g, d, K_SCALAR);
		break;
	}
}

/* A variable index bounded to [0, hi] in register idx (from scalar src):
 * by a mask, or by a comparison that jumps to label skip when out of range
 * (signed or unsigned, 64 or 32 bits, one side or two). */
static void sg_bound(struct sg *g, int idx, int src, int hi, int skip, uint16_t keep)
{
	int form = (int)tl_rn(&g->r, 6);

	if (idx != src)
		sg_put(g, 0xbf, (unsigned)idx, (unsigned)src, 0, 0);
	if (hi < 0)
		hi = 0;
	switch (form) {
	case 0: { /* mask: the largest 2^k - 1 <= hi, or exactly hi */
		int m = 1;
		while (m * 2 - 1 <= hi)
			m *= 2;
		sg_put(g, 0x57, (unsigned)idx, 0, 0, tl_rn(&g->r, 4) ? m - 1 : hi);
		break;
	}
	case 1: /* if idx > hi goto skip (unsigned) */
		sg_put(g, 0x25, (unsigned)idx, 0, 0, hi);
		sg_jump_to(g, skip, false);
		break;
	case 2: /* if idx >= hi+1 goto skip, 32-bit, on a 32-bit value */
		sg_put(g, 0xbc, (unsigned)idx, (unsigned)idx, 0, 0);
		sg_put(g, 0x36, (unsigned)idx, 0, 0, hi + 1);
		sg_jump_to(g, skip, false);
		break;
	case 3: /* signed both sides */
		sg_put(g, 0x65, (unsigned)idx, 0, 0, hi);
		sg_jump_to(g, skip, false);
		sg_put(g, 0xc5, (unsigned)idx, 0, 0, 0);
		sg_jump_to(g, skip, false);
		break;
	case 4: { /* against a register holding the bound */
		int b = sg_scratch(g, (uint16_t)(keep | 1u << idx | 1u << src));
		if (b < 0) {
			sg_put(g, 0x57, (unsigned)idx, 0, 0, 0);
			break;
		}
		sg_put(g, 0xb7, (unsigned)b, 0, 0, hi + 1);
		sg_put(g, 0x3d, (unsigned)idx, (unsigned)b, 0, 0); /* if idx >= b goto skip */
		sg_jump_to(g, skip, false);
		sg_set(g, b, K_SCALAR);
		break;
	}
	default: /* the reverse: if hi < idx goto skip, then a lower bound by shifts */
		sg_put(g, 0x67, (unsigned)idx, 0, 0, 56);
		sg_put(g, 0x77, (unsigned)idx, 0, 0, 56);
		sg_put(g, 0xa5, (unsigned)idx, 0, 0, hi + 1);	/* if idx < hi+1 goto +1 */
		sg_put(g, 0x05, 0, 0, 0, 0);
		sg_jump_to(g, skip, false);
		g->p[g->n - 2].off = 1;
		break;
	}
	sg_set(g, idx, K_SCALAR);
}

/* Accesses through pointer register ptr to a region of lim bytes
 * (a map value, the "mem" memory, a stack area), at a fixed or variable
 * offset. */
static void sg_access(struct sg *g, int ptr, int lim, bool can_write, uint16_t keep)
{
	bool var_ok = g->s.k[ptr] != K_PKT;
	unsigned size = 1u << tl_rn(&g->r, 4);
	int v = sg_pick(g, K_SCALAR, false), d;
	int base = ptr;

	if (size > (unsigned)lim && tl_rn(&g->r, 4))
		size = 1;
	if (tl_rn(&g->r, 3) == 0 && v >= 0 && var_ok) { /* variable offset */
		int idx = sg_scratch(g, (uint16_t)(keep | 1u << ptr));
		int q = sg_scratch(g, (uint16_t)(keep | 1u << ptr | (idx >= 0 ? 1u << idx : 0)));
		int skip = sg_label(g);
		if (idx < 0 || q < 0)
			return;
		sg_bound(g, idx, v, lim - (int)size + (tl_rn(&g->r, 100) == 0 ? 1 : 0), skip,
			 (uint16_t)(keep | 1u << ptr | 1u << q));
		sg_put(g, 0xbf, (unsigned)q, (unsigned)ptr, 0, 0);
		sg_put(g, 0x0f, (unsigned)q, (unsigned)idx, 0, 0);
		base = q;
		if (tl_rn(&g->r, 2) || !can_write) {
			d = sg_scratch(g, (uint16_t)(keep | 1u << ptr));
			if (d >= 0) {
				sg_put(g, 0x61 | sg_szcode(size), (unsigned)d, (unsigned)base, 0, 0);
				sg_set(g, d, K_SCALAR);
			}
		} else {
			sg_put(g, 0x62 | sg_szcode(size), (unsigned)base, 0, 0, sg_imm(&g->r));
		}
		sg_set(g, q, K_MIXED);
		sg_place(g, skip);
		return;
	}
	if (can_write && tl_rn(&g->r, 2)) {
		if (v >= 0 && tl_rn(&g->r, 2))
			sg_put(g, 0x63 | sg_szcode(size), (unsigned)base, (unsigned)v,
			       sg_off_in(g, lim, size), 0);
		else
			sg_put(g, 0x62 | sg_szcode(size), (unsigned)base, 0, sg_off_in(g, lim, size),
			       sg_imm(&g->r));
		return;
	}
	d = sg_scratch(g, (uint16_t)(keep | 1u << ptr));
	if (d < 0)
		return;
	sg_put(g, (size < 8 && tl_rn(&g->r, 5) == 0 ? 0x81 : 0x61) | sg_szcode(size), (unsigned)d,
	       (unsigned)base, sg_off_in(g, lim, size), 0);
	sg_set(g, d, K_SCALAR);
}

static void sg_gen_var_stack(struct sg *g)
{
	int p = sg_scratch(g, 0);

	if (p < 0)
		return;
	sg_put(g, 0xbf, (unsigned)p, 10, 0, 0);
	sg_put(g, 0x07, (unsigned)p, 0, 0, -g->stk);
	sg_set(g, p, K_FP);
	sg_access(g, p, g->stk, true, 0);
	sg_set(g, p, K_MIXED);
}

static const struct userbpf_ctx_field *sg_field(struct sg *g, uint32_t want)
{
	for (int tries = 0; g->pt && tries < 64; tries++) {
		const struct userbpf_ctx_field *f = &g->pt->ctx_fields[tl_rn(&g->r,
								(uint32_t)g->pt->ctx_field_cnt)];
		if (f->flags & want)
			return f;
	}
	return NULL;
}

static void sg_gen_ctx(struct sg *g, bool write)
{
	const struct userbpf_ctx_field *f;
	int c = sg_pick(g, K_CTX, false), d, v = sg_pick(g, K_SCALAR, false);
	unsigned size;
	int off;

	if (g->type == SF_MEM) {
		if (c >= 0)
			sg_access(g, c, (int)g->mem_size, true, 0);
		return;
	}
	f = sg_field(g, write ? USERBPF_CTX_WRITE : USERBPF_CTX_READ);
	if (c < 0 || !f) {
		sg_gen_stack(g);
		return;
	}
	size = f->size >= 8 && tl_rn(&g->r, 2) ? 8 : 4;
	if (tl_rn(&g->r, 4) == 0)
		size = tl_rn(&g->r, 2) ? 1 : 2;
	off = (int)f->off + (int)(size * tl_rn(&g->r, f->size / size ? f->size / size : 1));
	if (tl_rn(&g->r, 300) == 0)
		off = (int)tl_rn(&g->r, g->pt->ctx_size + 8);
	if (write) {
		if (v >= 0 && tl_rn(&g->r, 2))
			sg_put(g, 0x63 | sg_szcode(size), (unsigned)c, (unsigned)v, off, 0);
		else
			sg_put(g, 0x62 | sg_szcode(size), (unsigned)c, 0, off, sg_imm(&g->r));
		return;
	}
	d = sg_any_dst(g);
	sg_put(g, 0x61 | sg_szcode(size), (unsigned)d, (unsigned)c, off, 0);
	sg_set(g, d, K_SCALAR);
}

/* Packet access after a check against data_end (or meta against data). */
static void sg_gen_packet(struct sg *g)
{
	const struct userbpf_ctx_field *fd = NULL, *fe = NULL, *fm = NULL;
	int c = sg_pick(g, K_CTX, false), a, e, t, v, skip;
	bool meta;
	unsigned N = tl_rn(&g->r, 4) ? 1 + tl_rn(&g->r, 40) : 1 + tl_rn(&g->r, 300);
	int form = (int)tl_rn(&g->r, 5);

	if (form == 2)
		form = tl_rn(&g->r, 10) ? 0 : 5;
	if (form == 3 && tl_rn(&g->r, 20))
		form = 0;
	for (size_t i = 0; g->pt && i < g->pt->ctx_field_cnt; i++) {
		const struct userbpf_ctx_field *f = &g->pt->ctx_fields[i];
		if (f->flags & USERBPF_CTX_DATA)
			fd = f;
		if (f->flags & USERBPF_CTX_DATA_END)
			fe = f;
		if (f->flags & USERBPF_CTX_DATA_META)
			fm = f;
	}
	if (c < 0 || !fd || !fe) {
		sg_gen_ctx(g, false);
		return;
	}
	meta = fm && tl_rn(&g->r, 4) == 0;
	a = sg_scratch(g, (uint16_t)(1u << c));
	e = sg_scratch(g, (uint16_t)(1u << c | (a >= 0 ? 1u << a : 0)));
	t = sg_scratch(g, (uint16_t)(1u << c | (a >= 0 ? 1u << a : 0) | (e >= 0 ? 1u << e : 0)));
	if (a < 0 || e < 0 || t < 0)
		return;
	skip = sg_label(g);
	sg_put(g, 0x61, (unsigned)a, (unsigned)c, (int)(meta ? fm->off : fd->off), 0);
	/* meta against data (Linux's rule), or against data_end */
	sg_put(g, 0x61, (unsigned)e, (unsigned)c,
	       (int)(meta && tl_rn(&g->r, 4) == 0 ? fd->off : fe->off), 0);
	v = sg_pick(g, K_SCALAR, false);
	if (v >= 0 && v != a && v != e && v != t && tl_rn(&g->r, 3) == 0) {
		/* a variable offset before the check */
		sg_put(g, 0xbf, (unsigned)t, (unsigned)v, 0, 0);
		sg_put(g, 0x57, (unsigned)t, 0, 0, tl_rn(&g->r, 2) ? 15 : 255);
		sg_put(g, 0x0f, (unsigned)a, (unsigned)t, 0, 0);
	}
	sg_set(g, a, K_MIXED);
	sg_set(g, e, K_MIXED);
	sg_set(g, t, K_MIXED);
	sg_put(g, 0xbf, (unsigned)t, (unsigned)a, 0, 0);
	sg_put(g, 0x07, (unsigned)t, 0, 0, (int32_t)N);
	switch (form) {
	case 0: sg_put(g, 0x2d, (unsigned)t, (unsigned)e, 0, 0); break;	/* t > e: skip */
	case 1: sg_put(g, 0xad, (unsigned)e, (unsigned)t, 0, 0); break;	/* e < t: skip */
	case 3: sg_put(g, 0x3d, (unsigned)t, (unsigned)e, 0, 0); break;	/* t >= e: off by one */
	case 4:
		sg_put(g, 0xbd, (unsigned)t, (unsigned)e, 1, 0);		/* t <= e: go on */
		sg_put(g, 0x05, 0, 0, 0, 0);
		break;
	default: /* the length as a number: Linux learns nothing from it */
		sg_put(g, 0xbf, (unsigned)t, (unsigned)e, 0, 0);
		sg_put(g, 0x1f, (unsigned)t, (unsigned)a, 0, 0);
		sg_put(g, 0xa5, (unsigned)t, 0, 0, (int32_t)N);		/* len < N: skip */
		break;
	}
	sg_jump_to(g, skip, false);
	sg_set(g, a, K_PKT);
	sg_set(g, e, K_MIXED);
	sg_set(g, t, K_MIXED);
	for (unsigned k = 1 + tl_rn(&g->r, 3); k > 0; k--) {
		if (tl_rn(&g->r, 3) == 0) {
			sg_access(g, a, (int)N, true, (uint16_t)(1u << c | 1u << e));
		} else {
			unsigned size = 1u << tl_rn(&g->r, 4);
			int d = sg_scratch(g, (uint16_t)(1u << a | 1u << c));
			if (size > N)
				size = 1;
			if (d < 0)
				break;
			if (tl_rn(&g->r, 3))
				sg_put(g, 0x61 | sg_szcode(size), (unsigned)d, (unsigned)a,
				       sg_off_in(g, (int)N, size), 0);
			else
				sg_put(g, 0x62 | sg_szcode(size), (unsigned)a, 0,
				       sg_off_in(g, (int)N, size), sg_imm(&g->r));
			sg_set(g, d, K_SCALAR);
		}
	}
	sg_set(g, a, K_MIXED);
	sg_place(g, skip);
}

static void sg_map(struct sg *g, unsigned dst, int map)
{
	sg_lddw(g, dst, 1, map, 0);
}

/* The key at fp-8: a small number, or a scalar. */
static void sg_key(struct sg *g)
{
	int v = sg_pick(g, K_SCALAR, false);

	if (v >= 0 && tl_rn(&g->r, 3) == 0)
		sg_put(g, 0x63, 10, (unsigned)v, -8, 0);
	else
		sg_put(g, 0x62, 10, 0, -8, tl_rn(&g->r, 2) ? 0 : (int32_t)tl_rn(&g->r, 6));
	sg_put(g, 0xbf, 2, 10, 0, 0);
	sg_put(g, 0x07, 2, 0, 0, -8);
}

static const uint16_t sg_vs[SF_NMAPS] = { 16, 24, 16, 16, 0, 8, 8, 4 };

static void sg_gen_lookup(struct sg *g)
{
	static const int maps[] = { SF_M_HASH, SF_M_GLOBAL, SF_M_ARRAY, SF_M_RODATA, SF_M_PERCPU,
				    SF_M_HASH, SF_M_ARRAY };
	int map = maps[tl_rn(&g->r, sizeof(maps) / sizeof(maps[0]))];
	int skip = sg_label(g), keep = -1;
	bool check = tl_rn(&g->r, 150) != 0;

	sg_key(g);
	sg_map(g, 1, map);
	sg_put(g, 0x85, 0, 0, 0, 1);
	sg_clobber(g);
	g->s.k[0] = K_MIXED;
	if (check) {
		if (tl_rn(&g->r, 2)) {
			sg_put(g, 0x15, 0, 0, 0, 0);
			sg_jump_to(g, skip, false);
		} else {
			sg_put(g, 0x55, 0, 0, 1, 0);
			sg_put(g, 0x05, 0, 0, 0, 0);
			sg_jump_to(g, skip, false);
		}
	}
	g->s.k[0] = K_VAL;
	g->s.vsize[0] = sg_vs[map];
	/* keep the value in a callee-saved register for later units */
	if (tl_rn(&g->r, 3) == 0 && map != SF_M_RODATA) {
		keep = 6 + (int)tl_rn(&g->r, 4);
		if (!(g->nowrite & (1u << keep))) {
			sg_put(g, 0xbf, (unsigned)keep, 0, 0, 0);
			g->s.k[keep] = K_VAL;
			g->s.vsize[keep] = sg_vs[map];
		}
	}
	for (unsigned k = 1 + tl_rn(&g->r, 3); k > 0; k--)
		sg_access(g, 0, sg_vs[map], map != SF_M_RODATA || tl_rn(&g->r, 60) == 0, 0);
	if (tl_rn(&g->r, 4) == 0 && (map != SF_M_RODATA || tl_rn(&g->r, 30) == 0)) { /* an atomic */
		static const int32_t aops[] = { 0x00, 0x01, 0x40, 0x50, 0xa0, 0xe1, 0xf1 };
		int src = sg_pick(g, K_SCALAR, true);
		bool w64 = tl_rn(&g->r, 2);
		if (src >= 0 && src != 0)
			sg_put(g, w64 ? 0xdb : 0xc3, 0, (unsigned)src,
			       tl_rn(&g->r, 40) ? (int)((w64 ? 8 : 4) * tl_rn(&g->r, 2)) : (int)tl_rn(&g->r, 9),
			       aops[tl_rn(&g->r, 6)]);
	}
	sg_place(g, skip);
	if (keep >= 0 && g->s.k[keep] != K_VAL)
		g->s.k[keep] = K_MIXED;
	if (g->s.k[0] != K_SCALAR)
		g->s.k[0] = K_MIXED;
}

/* Later use of a value kept in r6..r9 (may be NULL unless checked). */
static void sg_gen_use_kept(struct sg *g)
{
	int r = sg_pick(g, K_VAL, false);

	if (r < 0) {
		sg_gen_lookup(g);
		return;
	}
	sg_access(g, r, g->s.vsize[r], true, (uint16_t)(1u << r));
}

static void sg_gen_update(struct sg *g)
{
	static const int maps[] = { SF_M_HASH, SF_M_GLOBAL, SF_M_ARRAY, SF_M_PERCPU, SF_M_HASH };
	int map = tl_rn(&g->r, 60) ? maps[tl_rn(&g->r, 5)] : SF_M_RODATA;

	sg_key(g);
	sg_map(g, 1, map);
	if (tl_rn(&g->r, 3)) {
		sg_put(g, 0xbf, 3, 10, 0, 0);
		sg_put(g, 0x07, 3, 0, 0, -g->stk + (int)(8 * tl_rn(&g->r, 3)));
		sg_put(g, 0xb7, 4, 0, 0, (int32_t)tl_rn(&g->r, 3));
		sg_put(g, 0x85, 0, 0, 0, 2);
	} else {
		sg_put(g, 0x85, 0, 0, 0, 3);
	}
	sg_clobber(g);
}

static void sg_gen_global(struct sg *g)
{
	bool ro = tl_rn(&g->r, 3) == 0;
	int map = ro ? SF_M_RODATA : tl_rn(&g->r, 4) ? SF_M_GLOBAL : SF_M_ARRAY;
	int r = sg_scratch(g, 0), off = (int)tl_rn(&g->r, sg_vs[map]);

	if (r < 0)
		return;
	if (tl_rn(&g->r, 3))
		off &= ~7;
	sg_lddw(g, (unsigned)r, 2, map, off);
	sg_set(g, r, K_VAL);
	sg_access(g, r, sg_vs[map] - off, !ro || tl_rn(&g->r, 60) == 0, 0);
	sg_set(g, r, K_MIXED);
}

static void sg_gen_ringbuf(struct sg *g)
{
	unsigned n = 8 * (1 + tl_rn(&g->r, 8));
	int skip = sg_label(g), k = sg_scratch(g, 1);

	if (tl_rn(&g->r, 4) == 0) { /* output from the stack */
		sg_map(g, 1, SF_M_RINGBUF);
		sg_put(g, 0xbf, 2, 10, 0, 0);
		sg_put(g, 0x07, 2, 0, 0, -g->stk);
		sg_put(g, 0xb7, 3, 0, 0, (int32_t)(8 * tl_rn(&g->r, (uint32_t)g->stk / 8 + 2)));
		sg_put(g, 0xb7, 4, 0, 0, 0);
		sg_put(g, 0x85, 0, 0, 0, 130);
		sg_clobber(g);
		return;
	}
	sg_map(g, 1, SF_M_RINGBUF);
	sg_put(g, 0xb7, 2, 0, 0, (int32_t)n);
	sg_put(g, 0xb7, 3, 0, 0, 0);
	sg_put(g, 0x85, 0, 0, 0, 131);
	sg_clobber(g);
	if (tl_rn(&g->r, 60)) {
		sg_put(g, 0x15, 0, 0, 0, 0);
		sg_jump_to(g, skip, false);
	}
	g->s.k[0] = K_VAL;
	g->s.vsize[0] = (uint16_t)n;
	sg_access(g, 0, (int)n, true, 0);
	if (k > 5 && tl_rn(&g->r, 3) == 0)
		sg_put(g, 0xbf, (unsigned)k, 0, 0, 0);	/* a copy, kept past the submit */
	sg_put(g, 0xbf, 1, 0, 0, 0);
	sg_put(g, 0xb7, 2, 0, 0, 0);
	sg_put(g, 0x85, 0, 0, 0, tl_rn(&g->r, 2) ? 132 : 133);
	sg_clobber(g);
	g->s.k[0] = K_UNINIT;	/* void helpers leave r0 unset */
	if (k > 5) /* use after submit: must be refused */
		g->s.k[k] = K_MIXED;
	sg_place(g, skip);
	if (tl_rn(&g->r, 200) == 0 && k > 5)
		sg_put(g, 0x72, (unsigned)k, 0, 0, 1);
}

static void sg_gen_queue(struct sg *g)
{
	sg_map(g, 1, SF_M_QUEUE);
	sg_put(g, 0xbf, 2, 10, 0, 0);
	sg_put(g, 0x07, 2, 0, 0, -16);
	if (tl_rn(&g->r, 2)) {
		sg_put(g, 0xb7, 3, 0, 0, 0);
		sg_put(g, 0x85, 0, 0, 0, 87);
	} else {
		sg_put(g, 0x85, 0, 0, 0, tl_rn(&g->r, 2) ? 88 : 89);
	}
	sg_clobber(g);
}

static void sg_gen_atomic(struct sg *g)
{
	static const int32_t ops[] = { 0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1 };
	bool w64 = tl_rn(&g->r, 2);
	int32_t op = ops[tl_rn(&g->r, 10)];
	int src = sg_pick(g, K_SCALAR, true);
	int off = -g->stk + (int)((w64 ? 8 : 4) * tl_rn(&g->r, (uint32_t)g->stk / (w64 ? 8 : 4)));

	if (src < 0 || (op == 0xf1 && (g->s.k[0] != K_SCALAR || (g->nowrite & 1)))) {
		sg_gen_alu(g);
		return;
	}
	if (tl_rn(&g->r, 100) == 0)
		off += 1 + (int)tl_rn(&g->r, 3);	/* misaligned */
	sg_put(g, w64 ? 0xdb : 0xc3, 10, (unsigned)src, off, op);
}

static void sg_gen_ldabs(struct sg *g)
{
	int v = sg_pick(g, K_SCALAR, false);
	unsigned s = tl_rn(&g->r, 3);

	if (g->type == SF_XDP || g->type == SF_MEM || g->s.k[6] != K_CTX || g->nsub || g->cb_sub >= 0) {
		sg_gen_alu(g);
		return;
	}
	if (v >= 0 && tl_rn(&g->r, 2))
		sg_put(g, 0x40 | sg_sz[s], 0, (unsigned)v, 0, (int32_t)tl_rn(&g->r, 64));
	else
		sg_put(g, 0x20 | sg_sz[s], 0, 0, 0, (int32_t)tl_rn(&g->r, 300));
	sg_clobber(g);
}

static void sg_gen_call(struct sg *g, int s)
{
	int c = sg_pick(g, K_CTX, false), skip = -1;

	if (g->sub_arg[s] == K_CTX && c < 0)
		return;
	if (g->sub_arg[s] == K_CTX)
		sg_put(g, 0xbf, 1, (unsigned)c, 0, 0);
	else if (g->sub_arg[s] == K_FP) {
		if (g->s.k[7] == K_FP && tl_rn(&g->r, 2)) {	/* the caller's caller's stack */
			sg_put(g, 0xbf, 1, 7, 0, 0);
		} else {
			sg_put(g, 0xbf, 1, 10, 0, 0);
			sg_put(g, 0x07, 1, 0, 0, -16);
		}
	} else if (g->sub_arg[s] == K_VAL) {
		skip = sg_label(g);
		sg_key(g);
		sg_lddw(g, 1, 1, g->sub_map[s], 0);
		sg_put(g, 0x85, 0, 0, 0, 1);
		sg_clobber(g);
		g->s.k[0] = K_MIXED;
		if (tl_rn(&g->r, 100)) {
			sg_put(g, 0x15, 0, 0, 0, 0);
			sg_jump_to(g, skip, false);
		}
		sg_put(g, 0xbf, 1, 0, 0, 0);
	} else {
		sg_put(g, 0xb7, 1, 0, 0, sg_imm(&g->r));
	}
	sg_put(g, 0x85, 0, 1, 0, 0);
	if (g->ncall < 64) {
		g->call[g->ncall].slot = g->n - 1;
		g->call[g->ncall++].sub = s;
	}
	sg_clobber(g);
	if (skip >= 0) {
		sg_place(g, skip);
		g->s.k[0] = K_MIXED;
	}
}

static void sg_gen_bpf_loop(struct sg *g)
{
	int v = sg_pick(g, K_SCALAR, false);

	if (g->cb_sub < 0 || g->in_sub) {
		sg_gen_alu(g);
		return;
	}
	if (v >= 0 && v != 1 && tl_rn(&g->r, 2)) {
		sg_put(g, 0xbf, 1, (unsigned)v, 0, 0);
		sg_put(g, 0x57, 1, 0, 0, 7);
	} else {
		sg_put(g, 0xb7, 1, 0, 0, (int32_t)tl_rn(&g->r, 10));
	}
	sg_lddw(g, 2, 4, 0, 0);
	if (g->ncall < 64) {
		g->call[g->ncall].slot = g->n - 2;
		g->call[g->ncall++].sub = g->cb_sub;
	}
	if (tl_rn(&g->r, 4)) {
		sg_put(g, 0xbf, 3, 10, 0, 0);
		sg_put(g, 0x07, 3, 0, 0, -8 * (1 + (int)tl_rn(&g->r, (uint32_t)g->stk / 8)));
	} else {
		sg_put(g, 0xb7, 3, 0, 0, 0);
	}
	sg_put(g, 0xb7, 4, 0, 0, 0);
	sg_put(g, 0x85, 0, 0, 0, 181);
	sg_clobber(g);
}

/* A variable offset computed by arithmetic after its bounds are set (the
 * verifier's range and tnum tracking decide whether the access fits). */
static void sg_transform(struct sg *g, int idx)
{
	switch (tl_rn(&g->r, 16)) {
	case 0: sg_put(g, 0x67, (unsigned)idx, 0, 0, (int32_t)tl_rn(&g->r, 4)); break;	/* <<= */
	case 1: sg_put(g, 0x27, (unsigned)idx, 0, 0, 1 + (int32_t)tl_rn(&g->r, 5)); break; /* *= */
	case 2: sg_put(g, 0x07, (unsigned)idx, 0, 0, (int32_t)tl_rn(&g->r, 17) - 8); break;	/* += */
	case 3: sg_put(g, 0x17, (unsigned)idx, 0, 0, (int32_t)tl_rn(&g->r, 9)); break;	/* -= */
	case 4: sg_put(g, 0x57, (unsigned)idx, 0, 0, (int32_t)tl_rn(&g->r, 64)); break;	/* &= */
	case 5: sg_put(g, 0x47, (unsigned)idx, 0, 0, (int32_t)tl_rn(&g->r, 8)); break;	/* |= */
	case 6: sg_put(g, 0xa7, (unsigned)idx, 0, 0, (int32_t)tl_rn(&g->r, 8)); break;	/* ^= */
	case 7: sg_put(g, 0x77, (unsigned)idx, 0, 0, (int32_t)tl_rn(&g->r, 4)); break;	/* >>= */
	case 8: sg_put(g, 0xc7, (unsigned)idx, 0, 0, (int32_t)tl_rn(&g->r, 4)); break;	/* s>>= */
	case 9: sg_put(g, 0x04, (unsigned)idx, 0, 0, (int32_t)tl_rn(&g->r, 17) - 8); break;	/* w += */
	case 10: sg_put(g, 0x24, (unsigned)idx, 0, 0, 1 + (int32_t)tl_rn(&g->r, 4)); break;	/* w *= */
	case 11: sg_put(g, 0x14, (unsigned)idx, 0, 0, (int32_t)tl_rn(&g->r, 9)); break;	/* w -= */
	case 12: /* negate and add back */
		sg_put(g, 0x87, (unsigned)idx, 0, 0, 0);
		sg_put(g, 0x07, (unsigned)idx, 0, 0, (int32_t)tl_rn(&g->r, 40));
		break;
	case 13: /* spill and fill, maybe narrower */
		sg_put(g, 0x7b, 10, (unsigned)idx, -8, 0);
		sg_put(g, tl_rn(&g->r, 2) ? 0x79 : 0x61, (unsigned)idx, 10, -8, 0);
		break;
	case 14: /* a refinement by a test */
		switch (tl_rn(&g->r, 4)) {
		case 0: sg_put(g, 0x45, (unsigned)idx, 0, 1, (int32_t)(0xf0u << tl_rn(&g->r, 3))); break;
		case 1: sg_put(g, 0x55, (unsigned)idx, 0, 1, (int32_t)tl_rn(&g->r, 20)); break;
		case 2: sg_put(g, 0x15, (unsigned)idx, 0, 1, (int32_t)tl_rn(&g->r, 20)); break;
		default: sg_put(g, 0x35, (unsigned)idx, 0, 1, (int32_t)tl_rn(&g->r, 20)); break;
		}
		sg_put(g, 0xb7, (unsigned)idx, 0, 0, 0);
		break;
	default: /* movsx or a 32-bit move */
		if (tl_rn(&g->r, 2))
			sg_put(g, 0xbf, (unsigned)idx, (unsigned)idx, 8 << tl_rn(&g->r, 3), 0);
		else
			sg_put(g, 0xbc, (unsigned)idx, (unsigned)idx, 0, 0);
		break;
	}
}

static void sg_gen_arith_access(struct sg *g)
{
	int v = sg_pick(g, K_SCALAR, false), ptr = -1, lim = 0, skip = sg_label(g), idx, q;
	uint16_t keep = 0;
	unsigned size = 1u << tl_rn(&g->r, 4);
	bool fp = false;

	if (v < 0) {
		sg_gen_alu(g);
		sg_place(g, skip);
		return;
	}
	switch (tl_rn(&g->r, 3)) {
	case 0: /* a value kept from a lookup */
		ptr = sg_pick(g, K_VAL, false);
		if (ptr >= 0) {
			lim = g->s.vsize[ptr];
			break;
		}
		/* fall through */
	case 1:
		if (g->type == SF_MEM && g->s.k[6] == K_CTX) {
			ptr = 6;
			lim = (int)g->mem_size;
			break;
		}
		/* fall through */
	default: /* the stack */
		fp = true;
		lim = g->stk;
		break;
	}
	if (ptr >= 0)
		keep = (uint16_t)(1u << ptr);
	idx = sg_scratch(g, (uint16_t)(keep | 1u << v));
	if (idx < 0) {
		sg_place(g, skip);
		return;
	}
	q = sg_scratch(g, (uint16_t)(keep | 1u << idx));
	if (q < 0) {
		sg_place(g, skip);
		return;
	}
	sg_bound(g, idx, v, (int)tl_rn(&g->r, (uint32_t)lim + 2), skip, (uint16_t)(keep | 1u << q));
	for (unsigned k = tl_rn(&g->r, 4); k > 0; k--)
		sg_transform(g, idx);
	if (fp) {
		sg_put(g, 0xbf, (unsigned)q, 10, 0, 0);
		sg_put(g, 0x07, (unsigned)q, 0, 0, -lim);
	} else {
		sg_put(g, 0xbf, (unsigned)q, (unsigned)ptr, 0, 0);
	}
	if (!fp && tl_rn(&g->r, 5) == 0) { /* from the end, backwards */
		sg_put(g, 0x07, (unsigned)q, 0, 0, lim);
		sg_put(g, 0x1f, (unsigned)q, (unsigned)idx, 0, 0);
	} else {
		sg_put(g, 0x0f, (unsigned)q, (unsigned)idx, 0, 0);
	}
	if (tl_rn(&g->r, 2)) {
		int d = sg_scratch(g, (uint16_t)(keep | 1u << q));
		if (d >= 0) {
			sg_put(g, 0x61 | sg_szcode(size), (unsigned)d, (unsigned)q, 0, 0);
			sg_set(g, d, K_SCALAR);
		}
	} else {
		sg_put(g, 0x62 | sg_szcode(size), (unsigned)q, 0, 0, sg_imm(&g->r));
	}
	sg_set(g, q, K_MIXED);
	sg_place(g, skip);
}

/* A helper reading memory of a size in a register: bpf_csum_diff or
 * bpf_ringbuf_output over the stack, a map value or the "mem" memory, the
 * size constant or bounded by a mask or a comparison. */
static void sg_gen_mem_helper(struct sg *g)
{
	int ptr = sg_pick(g, K_VAL, false), lim, off, v = sg_pick(g, K_SCALAR, false);
	int skip = sg_label(g);
	bool fp = false, csum = tl_rn(&g->r, 3) != 0;

	if (ptr < 0 && g->type == SF_MEM && g->s.k[6] == K_CTX && tl_rn(&g->r, 2))
		ptr = 6;
	if (ptr < 0)
		fp = true;
	lim = fp ? g->stk : ptr == 6 && g->type == SF_MEM ? (int)g->mem_size : g->s.vsize[ptr];
	off = 4 * (int)tl_rn(&g->r, (uint32_t)(lim / 4 + 1));
	if (off >= lim)
		off = 0;
	/* the size, in r2 (csum) or r3 (ringbuf) */
	{
		unsigned sr = csum ? 2 : 3;
		int room = lim - off;
		if (v >= 0 && v != (int)sr && tl_rn(&g->r, 2)) {
			sg_put(g, 0xbf, sr, (unsigned)v, 0, 0);
			if (tl_rn(&g->r, 2)) {
				int m = 1;
				while (m * 2 - 1 <= room)
					m *= 2;
				sg_put(g, 0x57, sr, 0, 0, tl_rn(&g->r, 8) ? (m - 1) & ~3 : m * 2 - 1);
			} else {
				sg_put(g, 0x25, sr, 0, 0, room + (tl_rn(&g->r, 30) == 0 ? 4 : 0));
				sg_jump_to(g, skip, false);
				if (tl_rn(&g->r, 2)) {
					sg_put(g, 0x15, sr, 0, 0, 0);	/* csum: 0 is -EINVAL */
					sg_jump_to(g, skip, false);
				}
			}
		} else {
			int n = 4 * (int)tl_rn(&g->r, (uint32_t)(room / 4 + 1));
			if (tl_rn(&g->r, 40) == 0)
				n += 4;
			sg_put(g, 0xb7, sr, 0, 0, n);
		}
	}
	if (csum) {
		if (fp) {
			sg_put(g, 0xbf, 1, 10, 0, 0);
			sg_put(g, 0x07, 1, 0, 0, -lim + off);
		} else {
			sg_put(g, 0xbf, 1, (unsigned)ptr, 0, 0);
			sg_put(g, 0x07, 1, 0, 0, off);
		}
		sg_put(g, 0xb7, 3, 0, 0, 0);
		sg_put(g, 0xb7, 4, 0, 0, 0);
		sg_put(g, 0xb7, 5, 0, 0, sg_imm(&g->r));
		sg_put(g, 0x85, 0, 0, 0, 28);
	} else {
		if (fp) {
			sg_put(g, 0xbf, 2, 10, 0, 0);
			sg_put(g, 0x07, 2, 0, 0, -lim + off);
		} else {
			sg_put(g, 0xbf, 2, (unsigned)ptr, 0, 0);
			sg_put(g, 0x07, 2, 0, 0, off);
		}
		sg_lddw(g, 1, 1, SF_M_RINGBUF, 0);
		sg_put(g, 0xb7, 4, 0, 0, 0);
		sg_put(g, 0x85, 0, 0, 0, 130);
	}
	sg_clobber(g);
	sg_place(g, skip);
	g->s.k[0] = K_MIXED;
	for (int r = 1; r <= 5; r++)
		g->s.k[r] = K_UNINIT;
}

static int sg_jcc(struct sg *g);

/* Two paths give an index different bounds (in a register or spilled to
 * the stack), then join before the access: what state pruning and joins
 * keep of each path decides whether it fits. */
static void sg_gen_join_access(struct sg *g)
{
	int v = sg_pick(g, K_SCALAR, false), ptr = sg_pick(g, K_VAL, false), lim;
	int lelse = sg_label(g), lend = sg_label(g), idx, q;
	bool spill = tl_rn(&g->r, 2), fp = ptr < 0;
	int slot = -g->stk + 8 * (int)tl_rn(&g->r, (uint32_t)g->stk / 8);
	uint16_t keep;
	unsigned size = 1u << tl_rn(&g->r, 4);

	if (v < 0) {
		sg_gen_alu(g);
		sg_place(g, lelse);
		sg_place(g, lend);
		return;
	}
	lim = fp ? g->stk : g->s.vsize[ptr];
	keep = (uint16_t)(fp ? 0 : 1u << ptr);
	idx = sg_scratch(g, (uint16_t)(keep | 1u << v));
	q = idx < 0 ? -1 : sg_scratch(g, (uint16_t)(keep | 1u << idx | 1u << v));
	if (idx < 0 || q < 0 || sg_jcc(g) < 0) {
		sg_place(g, lelse);
		sg_place(g, lend);
		return;
	}
	sg_jump_to(g, lelse, false);
	for (int side = 0; side < 2; side++) {
		int m = (int)tl_rn(&g->r, (uint32_t)lim + 4);
		if (tl_rn(&g->r, 3) == 0) {
			sg_put(g, 0xb7, (unsigned)idx, 0, 0, m);
		} else {
			sg_put(g, 0xbf, (unsigned)idx, (unsigned)v, 0, 0);
			sg_put(g, 0x57, (unsigned)idx, 0, 0, m);
		}
		if (spill)
			sg_put(g, 0x7b, 10, (unsigned)idx, slot, 0);
		sg_set(g, idx, K_SCALAR);
		if (side == 0) {
			sg_put(g, 0x05, 0, 0, 0, 0);
			sg_jump_to(g, lend, false);
			sg_place(g, lelse);
		}
	}
	sg_place(g, lend);
	if (spill)
		sg_put(g, 0x79, (unsigned)idx, 10, slot, 0);
	if (fp) {
		sg_put(g, 0xbf, (unsigned)q, 10, 0, 0);
		sg_put(g, 0x07, (unsigned)q, 0, 0, -lim);
	} else {
		sg_put(g, 0xbf, (unsigned)q, (unsigned)ptr, 0, 0);
	}
	sg_put(g, 0x0f, (unsigned)q, (unsigned)idx, 0, 0);
	if (tl_rn(&g->r, 2)) {
		int d = sg_scratch(g, (uint16_t)(keep | 1u << q));
		if (d >= 0) {
			sg_put(g, 0x61 | sg_szcode(size), (unsigned)d, (unsigned)q, 0, 0);
			sg_set(g, d, K_SCALAR);
		}
	} else {
		sg_put(g, 0x62 | sg_szcode(size), (unsigned)q, 0, 0, sg_imm(&g->r));
	}
	sg_set(g, q, K_MIXED);
}

/* Two paths make a pointer with different fixed offsets into the same
 * region (kept in a register or spilled), then join before an access at a
 * fixed offset: pruning must tell the offsets apart. */
static void sg_gen_join_ptr(struct sg *g)
{
	int base = sg_pick(g, K_VAL, false), lim, q, lelse = sg_label(g), lend = sg_label(g);
	int slot = -g->stk + 8 * (int)tl_rn(&g->r, (uint32_t)g->stk / 8);
	bool spill = tl_rn(&g->r, 2), fp = base < 0;
	unsigned size = 1u << tl_rn(&g->r, 4);
	int off;

	lim = fp ? g->stk : g->s.vsize[base];
	q = sg_scratch(g, (uint16_t)(fp ? 0 : 1u << base));
	if (q < 0 || sg_jcc(g) < 0) {
		sg_place(g, lelse);
		sg_place(g, lend);
		return;
	}
	sg_jump_to(g, lelse, false);
	for (int side = 0; side < 2; side++) {
		int c = (int)tl_rn(&g->r, (uint32_t)lim + 1);
		if (fp) {
			sg_put(g, 0xbf, (unsigned)q, 10, 0, 0);
			sg_put(g, 0x07, (unsigned)q, 0, 0, -lim + c);
		} else {
			sg_put(g, 0xbf, (unsigned)q, (unsigned)base, 0, 0);
			sg_put(g, 0x07, (unsigned)q, 0, 0, c);
		}
		if (spill)
			sg_put(g, 0x7b, 10, (unsigned)q, slot, 0);
		if (side == 0) {
			sg_put(g, 0x05, 0, 0, 0, 0);
			sg_jump_to(g, lend, false);
			sg_place(g, lelse);
		}
	}
	sg_place(g, lend);
	if (spill)
		sg_put(g, 0x79, (unsigned)q, 10, slot, 0);
	off = (int)tl_rn(&g->r, (uint32_t)lim / 2 + 1) - (fp ? (int)tl_rn(&g->r, (uint32_t)lim / 2 + 1) : 0);
	if (tl_rn(&g->r, 2)) {
		int d = sg_scratch(g, (uint16_t)((fp ? 0 : 1u << base) | 1u << q));
		if (d >= 0) {
			sg_put(g, 0x61 | sg_szcode(size), (unsigned)d, (unsigned)q, off, 0);
			sg_set(g, d, K_SCALAR);
		}
	} else {
		sg_put(g, 0x62 | sg_szcode(size), (unsigned)q, 0, off, sg_imm(&g->r));
	}
	sg_set(g, q, K_MIXED);
}

/* bpf_for_each_map_elem over the map of the callback fe_sub. */
static void sg_gen_for_each(struct sg *g)
{
	if (g->fe_sub < 0 || g->in_sub) {
		sg_gen_alu(g);
		return;
	}
	sg_map(g, 1, g->fe_map);
	sg_lddw(g, 2, 4, 0, 0);
	if (g->ncall < 64) {
		g->call[g->ncall].slot = g->n - 2;
		g->call[g->ncall++].sub = g->fe_sub;
	}
	if (tl_rn(&g->r, 4)) {
		sg_put(g, 0xbf, 3, 10, 0, 0);
		sg_put(g, 0x07, 3, 0, 0, -8 * (1 + (int)tl_rn(&g->r, (uint32_t)g->stk / 8)));
	} else {
		sg_put(g, 0xb7, 3, 0, 0, 0);
	}
	sg_put(g, 0xb7, 4, 0, 0, 0);
	sg_put(g, 0x85, 0, 0, 0, 164);
	sg_clobber(g);
}

static void sg_block(struct sg *g, int depth, int n);

static int sg_jcc(struct sg *g)
{
	static const uint8_t ops[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0,
				       0xc0, 0xd0 };
	unsigned cls = tl_rn(&g->r, 3) ? 0x05 : 0x06, op = ops[tl_rn(&g->r, sizeof(ops))];
	int a = sg_pick(g, K_SCALAR, false), b = sg_pick(g, K_SCALAR, false);

	if (a < 0)
		return -1;
	if (b >= 0 && tl_rn(&g->r, 2))
		sg_put(g, cls | 0x08 | op, (unsigned)a, (unsigned)b, 0, 0);
	else
		sg_put(g, cls | op, (unsigned)a, 0, 0, sg_imm(&g->r));
	return 0;
}

static void sg_gen_ifelse(struct sg *g, int depth)
{
	int lelse = sg_label(g), lend = sg_label(g);
	struct sg_state at;

	if (sg_jcc(g) < 0) {
		sg_gen_alu(g);
		return;
	}
	sg_jump_to(g, lelse, false);
	at = g->s;
	sg_block(g, depth + 1, 1 + (int)tl_rn(&g->r, 5));
	sg_put(g, 0x05, 0, 0, 0, 0);
	sg_jump_to(g, lend, false);
	g->s = at;
	sg_place(g, lelse);
	sg_block(g, depth + 1, 1 + (int)tl_rn(&g->r, 5));
	sg_place(g, lend);
}

/* A loop counted in r9 (which nothing else writes). */
static void sg_gen_loop(struct sg *g)
{
	int K = tl_rn(&g->r, 8) ? 1 + (int)tl_rn(&g->r, 12) : 40 + (int)tl_rn(&g->r, 60);
	bool down = tl_rn(&g->r, 3) == 0;
	int start;

	struct sg_state entry;

	sg_put(g, 0xb7, 9, 0, 0, down ? K : 0);
	/* The back edge must bring the registers back as the body found
	 * them: only numbers and the context go in, and numbers the body
	 * turned into something else are numbers again at its end. */
	for (int r = 0; r < 10; r++)
		if (g->s.k[r] != K_SCALAR && g->s.k[r] != K_CTX)
			g->s.k[r] = K_UNINIT;
	entry = g->s;
	start = g->n;
	g->in_loop = true;
	sg_block(g, 2, 1 + (int)tl_rn(&g->r, 6));
	g->in_loop = false;
	for (int r = 0; r < 9; r++)
		if (entry.k[r] == K_SCALAR && g->s.k[r] != K_SCALAR) {
			sg_put(g, 0xb7, (unsigned)r, 0, 0, (int32_t)tl_rn(&g->r, 100));
			g->s.k[r] = K_SCALAR;
		}
	if (down) {
		sg_put(g, 0x17, 9, 0, 0, 1);
		sg_put(g, 0x65, 9, 0, 0, 0);
	} else {
		sg_put(g, 0x07, 9, 0, 0, 1);
		sg_put(g, tl_rn(&g->r, 2) ? 0xa5 : 0xa6, 9, 0, 0, K);
	}
	g->p[g->n - 1].off = (int16_t)(start - g->n);
}

/* Accesses through a caller's stack pointer (16 bytes at r7). */
static void sg_gen_fparg(struct sg *g)
{
	if (g->s.k[7] != K_FP) {
		sg_gen_stack(g);
		return;
	}
	sg_access(g, 7, 16, true, (uint16_t)(1u << 7));
}

static void sg_block(struct sg *g, int depth, int n)
{
	for (int i = 0; i < n && g->budget > 0 && g->n < SG_MAX - 200; i++) {
		unsigned k = tl_rn(&g->r, 133);

		g->budget--;
		if (k < 16)
			sg_gen_alu(g);
		else if (k < 22)
			sg_gen_mov(g);
		else if (k < 32)
			sg_gen_stack(g);
		else if (k < 40)
			sg_gen_ctx(g, false);
		else if (k < 43)
			sg_gen_ctx(g, true);
		else if (k < 46)
			sg_gen_atomic(g);
		else if (k < 54) {
			int skip = sg_label(g);
			if (sg_jcc(g) == 0) {
				sg_jump_to(g, skip, false);
				sg_block(g, depth + 1, (int)tl_rn(&g->r, 4));
			}
			sg_place(g, skip);
		} else if (k < 60 && depth < 2)
			sg_gen_ifelse(g, depth);
		else if (g->in_loop && k >= 88)
			sg_gen_alu(g);
		else if (k < 66)
			sg_gen_var_stack(g);
		else if (k < 76)
			sg_gen_packet(g);
		else if (k < 86)
			sg_gen_lookup(g);
		else if (k < 90)
			sg_gen_use_kept(g);
		else if (k < 93)
			sg_gen_update(g);
		else if (k < 96)
			sg_gen_global(g);
		else if (k < 99)
			sg_gen_ringbuf(g);
		else if (k < 100)
			sg_gen_queue(g);
		else if (k < 102)
			sg_gen_ldabs(g);
		else if (k < 106 && depth == 0 && !g->in_sub && !g->in_loop)
			sg_gen_loop(g);
		else if (k < 110 && !g->in_cb && g->cur_sub_next < g->nsub && g->cur_sub_next >= 0)
			sg_gen_call(g, g->cur_sub_next);
		else if (k < 112)
			sg_gen_bpf_loop(g);
		else if (k < 113)
			sg_gen_for_each(g);
		else if (k < 117)
			sg_gen_arith_access(g);
		else if (k < 120)
			sg_gen_join_access(g);
		else if (k < 123)
			sg_gen_mem_helper(g);
		else if (k < 126)
			sg_gen_join_ptr(g);
		else if (g->in_sub)
			sg_gen_fparg(g);
		else
			sg_gen_alu(g);
	}
}

static void sg_ret(struct sg *g)
{
	int v = sg_pick(g, K_SCALAR, false);

	if (v >= 0 && tl_rn(&g->r, 2))
		sg_put(g, 0xbf, 0, (unsigned)v, 0, 0);
	else
		sg_put(g, 0xb7, 0, 0, 0, tl_rn(&g->r, 3) ? (int32_t)tl_rn(&g->r, 4) : sg_imm(&g->r));
	sg_put(g, 0x95, 0, 0, 0, 0);
}

/* Subprogram s: its argument in r1 (kept in r6 or r7). */
static void sg_gen_sub(struct sg *g, int s)
{
	memset(&g->s, 0, sizeof(g->s));
	g->sub_start[s] = g->n;
	g->in_sub = true;
	g->stk = SG_SUB_STK;
	g->nowrite = 1u << 9;
	g->cur_sub_next = s + 1 < g->nsub ? s + 1 : -1;
	sg_put(g, 0xb7, 0, 0, 0, 0);
	for (int off = -SG_SUB_STK; off < 0; off += 8)
		sg_put(g, 0x7a, 10, 0, off, (int32_t)tl_rn(&g->r, 1000));
	g->s.k[0] = K_SCALAR;
	if (g->sub_arg[s] == K_CTX) {
		sg_put(g, 0xbf, 6, 1, 0, 0);
		g->s.k[6] = K_CTX;
		g->nowrite |= 1u << 6;
	} else if (g->sub_arg[s] == K_FP) {
		sg_put(g, 0xbf, 7, 1, 0, 0);
		g->s.k[7] = K_FP;
		g->nowrite |= 1u << 7;
	} else if (g->sub_arg[s] == K_VAL) {
		sg_put(g, 0xbf, 8, 1, 0, 0);
		g->s.k[8] = K_VAL;
		g->s.vsize[8] = sg_vs[g->sub_map[s]];
		g->nowrite |= 1u << 8;
		sg_access(g, 8, sg_vs[g->sub_map[s]], true, (uint16_t)(1u << 8));
	} else {
		g->s.k[1] = K_SCALAR;
	}
	g->budget = 3 + (int)tl_rn(&g->r, 12);
	sg_block(g, 0, g->budget);
	if (g->cur_sub_next >= 0)
		sg_gen_call(g, g->cur_sub_next);
	sg_ret(g);
}

/* The bpf_loop callback: long cb(u64 index, void *ctx). */
static void sg_gen_cb(struct sg *g)
{
	int skip = sg_label(g);

	memset(&g->s, 0, sizeof(g->s));
	g->sub_start[g->cb_sub] = g->n;
	g->in_sub = g->in_cb = true;
	g->stk = SG_SUB_STK;
	g->nowrite = 1u << 9 | 1u << 7;
	g->cur_sub_next = -1;
	g->s.k[1] = K_SCALAR;
	for (int off = -SG_SUB_STK; off < 0; off += 8)
		sg_put(g, 0x7a, 10, 0, off, (int32_t)tl_rn(&g->r, 1000));
	sg_put(g, 0xbf, 7, 2, 0, 0);
	if (tl_rn(&g->r, 8)) {
		sg_put(g, 0x15, 7, 0, 0, 0);
		sg_jump_to(g, skip, false);
	}
	g->s.k[7] = K_FP;
	sg_access(g, 7, 8, true, (uint16_t)(1u << 7));
	if (tl_rn(&g->r, 2)) {
		sg_put(g, 0x79, 3, 7, 0, 0);
		sg_put(g, 0x0f, 3, 1, 0, 0);
		sg_put(g, 0x7b, 7, 3, 0, 0);
	}
	sg_place(g, skip);
	g->s.k[7] = K_MIXED;
	g->budget = (int)tl_rn(&g->r, 6);
	sg_block(g, 1, g->budget);
	sg_put(g, 0xb7, 0, 0, 0, (int32_t)tl_rn(&g->r, 2));
	sg_put(g, 0x95, 0, 0, 0, 0);
}

/* The for_each_map_elem callback: long cb(map, key, value, ctx). */
static void sg_gen_fe_cb(struct sg *g)
{
	memset(&g->s, 0, sizeof(g->s));
	g->sub_start[g->fe_sub] = g->n;
	g->in_sub = g->in_cb = true;
	g->stk = SG_SUB_STK;
	g->nowrite = 1u << 9 | 1u << 6 | 1u << 7;
	g->cur_sub_next = -1;
	for (int off = -SG_SUB_STK; off < 0; off += 8)
		sg_put(g, 0x7a, 10, 0, off, (int32_t)tl_rn(&g->r, 1000));
	sg_put(g, 0xbf, 6, 3, 0, 0);	/* the value */
	sg_put(g, 0xbf, 7, 2, 0, 0);	/* the key */
	g->s.k[6] = K_VAL;
	g->s.vsize[6] = sg_vs[g->fe_map];
	g->s.k[7] = K_VAL;
	g->s.vsize[7] = 4;
	sg_put(g, 0x61, 0, 7, 0, 0);
	g->s.k[0] = K_SCALAR;
	for (unsigned k = 1 + tl_rn(&g->r, 3); k > 0; k--)
		sg_access(g, 6, sg_vs[g->fe_map], true, (uint16_t)(1u << 6 | 1u << 7));
	if (tl_rn(&g->r, 20) == 0) /* the key is read-only */
		sg_put(g, 0x62, 7, 0, 0, 1);
	g->budget = (int)tl_rn(&g->r, 4);
	sg_block(g, 1, g->budget);
	sg_put(g, 0xb7, 0, 0, 0, (int32_t)tl_rn(&g->r, 2));
	sg_put(g, 0x95, 0, 0, 0, 0);
}

/* A program from the generator's random state: its type in *type. */
static size_t sg_generate(struct tl_rng *r, struct userbpf_insn *out, struct sf_env *e,
			  int *type, uint32_t *mem_size)
{
	static struct sg g;

	memset(&g, 0, sizeof(g));
	g.r = *r;
	g.p = out;
	g.type = (int)tl_rn(&g.r, SF__NTYPES);
	if (tl_rn(&g.r, 3) == 0)
		g.type = SF_XDP;
	g.mem_size = 1 + tl_rn(&g.r, tl_rn(&g.r, 2) ? 64 : SF_MEM_MAX);
	g.pt = g.type == SF_MEM ? NULL : userbpf_rt__prog_type(e->rt, sf_type_name[g.type]);
	g.nsub = tl_rn(&g.r, 3) == 0 ? 1 + (int)tl_rn(&g.r, SG_MAX_SUBS - 1) : 0;
	for (int s = 0; s < g.nsub; s++) {
		static const int kinds[] = { K_SCALAR, K_CTX, K_FP, K_VAL };
		static const int vmaps[] = { SF_M_HASH, SF_M_ARRAY, SF_M_GLOBAL, SF_M_PERCPU };
		g.sub_arg[s] = kinds[tl_rn(&g.r, 4)];
		g.sub_map[s] = vmaps[tl_rn(&g.r, 4)];
		if (s && g.sub_arg[s] == K_CTX && g.sub_arg[s - 1] != K_CTX)
			g.sub_arg[s] = K_SCALAR;
	}
	g.cb_sub = tl_rn(&g.r, 4) == 0 ? g.nsub : -1;
	g.fe_sub = tl_rn(&g.r, 6) == 0 ? g.nsub + 1 : -1;
	{
		static const int fe_maps[] = { SF_M_HASH, SF_M_ARRAY, SF_M_GLOBAL, SF_M_PERCPU };
		g.fe_map = fe_maps[tl_rn(&g.r, 4)];
	}
	/* main */
	g.s.k[1] = K_CTX;
	g.s.k[10] = K_MIXED;
	sg_put(&g, 0xbf, 6, 1, 0, 0);
	g.s.k[6] = K_CTX;
	for (int reg = 0; reg <= 9; reg++) {
		if (reg == 1 || reg == 6)
			continue;
		if (reg == 9) {
			sg_put(&g, 0xb7, 9, 0, 0, 0);
		} else if (tl_rn(&g.r, 3) == 0 && g.type != SF_MEM) {
			const struct userbpf_ctx_field *f = sg_field(&g, USERBPF_CTX_READ);
			if (f)
				sg_put(&g, 0x61, (unsigned)reg, 1, (int)f->off, 0);
			else
				sg_put(&g, 0xb7, (unsigned)reg, 0, 0, sg_imm(&g.r));
		} else if (tl_rn(&g.r, 3) == 0 && g.type == SF_MEM && g.mem_size >= 8) {
			sg_put(&g, 0x79, (unsigned)reg, 1, (int)(8 * tl_rn(&g.r, g.mem_size / 8)), 0);
		} else if (tl_rn(&g.r, 4) == 0) {
			sg_lddw(&g, (unsigned)reg, 0, (int32_t)(uint32_t)tl_rnd(&g.r), sg_imm(&g.r));
		} else {
			sg_put(&g, 0xb7, (unsigned)reg, 0, 0, sg_imm(&g.r));
		}
		g.s.k[reg] = K_SCALAR;
	}
	if (g.type == SF_MEM && tl_rn(&g.r, 2)) /* r2 = the size, as at entry */
		sg_put(&g, 0xbf, 2, 2, 0, 0);
	for (int off = -SG_STK; off < 0; off += 8) {
		if (tl_rn(&g.r, 2))
			sg_put(&g, 0x7a, 10, 0, off, sg_imm(&g.r));
		else
			sg_put(&g, 0x7b, 10, (unsigned)sg_pick(&g, K_SCALAR, false), off, 0);
	}
	g.stk = SG_STK;
	g.nowrite = 1u << 6 | 1u << 9;
	g.cur_sub_next = g.nsub ? 0 : -1;
	g.budget = 8 + (int)tl_rn(&g.r, 40);
	sg_block(&g, 0, g.budget);
	if (g.nsub)
		sg_gen_call(&g, 0);
	if (g.cb_sub >= 0)
		sg_gen_bpf_loop(&g);
	if (g.fe_sub >= 0)
		sg_gen_for_each(&g);
	sg_ret(&g);
	for (int s = 0; s < g.nsub; s++)
		sg_gen_sub(&g, s);
	if (g.cb_sub >= 0)
		sg_gen_cb(&g);
	if (g.fe_sub >= 0)
		sg_gen_fe_cb(&g);
	sg_resolve(&g);
	*r = g.r;
	*type = g.type;
	*mem_size = g.mem_size;
	return (size_t)g.n;
}

/* ---- mutations at the instruction level ---------------------------------------- */

static bool sm_is_lddw_hi(const struct userbpf_insn *p, size_t i)
{
	return i > 0 && p[i - 1].code == 0x18 && (i < 2 || p[i - 2].code != 0x18 || !sm_is_lddw_hi(p, i - 1));
}

static size_t sm_slot(struct tl_rng *r, const struct userbpf_insn *p, size_t n)
{
	for (int t = 0; t < 16; t++) {
		size_t i = tl_rn(r, (uint32_t)n);
		if (!sm_is_lddw_hi(p, i))
			return i;
	}
	return 0;
}

static int32_t sm_delta(struct tl_rng *r)
{
	static const int32_t d[] = { 1, -1, 1, -1, 2, -2, 4, -4, 8, -8, 3, -3, 16, -16, 7, -7 };
	return d[tl_rn(r, sizeof(d) / sizeof(d[0]))];
}

static bool sm_is_jump(const struct userbpf_insn *in)
{
	unsigned cls = in->code & 7, op = in->code & 0xf0;
	return (cls == 5 || cls == 6) && op != 0x80 && op != 0x90;
}

/* Deletes slot k, fixing up every jump, call and code address over it. */
static size_t sm_delete(struct userbpf_insn *p, size_t n, size_t k)
{
	for (size_t i = 0; i < n; i++) {
		struct userbpf_insn *in = &p[i];
		long rel, t, ni, nt;
		int which = 0;	/* 1: off, 2: imm */

		if (sm_is_lddw_hi(p, i))
			continue;
		if (sm_is_jump(in))
			which = in->code == 0x06 ? 2 : 1;
		else if ((in->code == 0x85 && in->src_reg == 1) || (in->code == 0x18 && in->src_reg == 4))
			which = 2;
		if (!which)
			continue;
		rel = which == 1 ? in->off : in->imm;
		t = (long)i + rel + 1;
		ni = (long)i > (long)k ? (long)i - 1 : (long)i;
		nt = t > (long)k ? t - 1 : t;
		if (which == 1)
			in->off = (int16_t)(nt - ni - 1);
		else
			in->imm = (int32_t)(nt - ni - 1);
	}
	memmove(&p[k], &p[k + 1], (n - k - 1) * sizeof(p[0]));
	return n - 1;
}

/* Inserts ins before slot k (jumps over it grow). */
static size_t sm_insert(struct userbpf_insn *p, size_t n, size_t k, const struct userbpf_insn *ins)
{
	if (n >= SG_MAX)
		return n;
	for (size_t i = 0; i < n; i++) {
		struct userbpf_insn *in = &p[i];
		long rel, t, ni, nt;
		int which = 0;

		if (sm_is_lddw_hi(p, i))
			continue;
		if (sm_is_jump(in))
			which = in->code == 0x06 ? 2 : 1;
		else if ((in->code == 0x85 && in->src_reg == 1) || (in->code == 0x18 && in->src_reg == 4))
			which = 2;
		if (!which)
			continue;
		rel = which == 1 ? in->off : in->imm;
		t = (long)i + rel + 1;
		ni = (long)i >= (long)k ? (long)i + 1 : (long)i;
		nt = t > (long)k ? t + 1 : t;
		if (which == 1)
			in->off = (int16_t)(nt - ni - 1);
		else
			in->imm = (int32_t)(nt - ni - 1);
	}
	memmove(&p[k + 1], &p[k], (n - k) * sizeof(p[0]));
	p[k] = *ins;
	return n + 1;
}

static size_t sm_mutate(struct tl_rng *r, struct userbpf_insn *p, size_t n)
{
	size_t i = sm_slot(r, p, n);
	struct userbpf_insn *in = &p[i];
	unsigned cls = in->code & 7;

	switch (tl_rn(r, 14)) {
	case 0: case 1: case 2: /* the offset of a memory access, or a jump */
		if (cls == 1 || cls == 2 || cls == 3 || sm_is_jump(in)) {
			in->off = (int16_t)(in->off + sm_delta(r));
			break;
		}
		/* fall through */
	case 3: case 4: case 5: /* an immediate */
		if ((cls == 1 || cls == 3) || ((cls == 4 || cls == 7 || cls == 5 || cls == 6) &&
					     (in->code & 0x08)))
			in->off = (int16_t)(in->off + sm_delta(r));
		else if (in->code == 0x18 && in->src_reg == 2)
			p[i + 1].imm = (int32_t)((uint32_t)p[i + 1].imm + (uint32_t)sm_delta(r));
		else
			in->imm = (int32_t)((uint32_t)in->imm + (uint32_t)sm_delta(r));
		break;
	case 6: /* a condition */
		if (sm_is_jump(in) && in->code != 0x05 && in->code != 0x06) {
			static const uint8_t ops[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70,
						       0xa0, 0xb0, 0xc0, 0xd0 };
			if (tl_rn(r, 3) == 0)
				in->code ^= 0x03;	/* JMP <-> JMP32 */
			else
				in->code = (uint8_t)((in->code & 0x0f) | ops[tl_rn(r, sizeof(ops))]);
		} else {
			in->imm = (int32_t)((uint32_t)in->imm + (uint32_t)sm_delta(r));
		}
		break;
	case 7: /* a size */
		if (cls == 1 || cls == 2 || cls == 3)
			in->code = (uint8_t)((in->code & ~0x18) | sg_sz[tl_rn(r, 4)]);
		break;
	case 8: /* a register */
		if (tl_rn(r, 2))
			in->dst_reg = (uint8_t)tl_rn(r, 11);
		else
			in->src_reg = (uint8_t)tl_rn(r, 11);
		break;
	case 9: /* drop */
		if (in->code == 0x18 && i + 1 < n) {
			n = sm_delete(p, n, i);
			n = sm_delete(p, n, i);
		} else if (n > 1) {
			n = sm_delete(p, n, i);
		}
		break;
	case 10: /* duplicate */
		if (in->code != 0x18) {
			struct userbpf_insn c = *in;
			n = sm_insert(p, n, i, &c);
		}
		break;
	case 11: /* swap with the next */
		if (in->code != 0x18 && i + 1 < n && p[i + 1].code != 0x18 && !sm_is_jump(in) &&
		    !sm_is_jump(&p[i + 1]) && !sm_is_lddw_hi(p, i + 1)) {
			struct userbpf_insn c = p[i];
			p[i] = p[i + 1];
			p[i + 1] = c;
		}
		break;
	case 12: { /* an arithmetic instruction inserted */
		struct userbpf_insn c;
		memset(&c, 0, sizeof(c));
		c.code = (uint8_t)(tl_rn(r, 2) ? 0x07 : 0x0f);
		c.dst_reg = (uint8_t)tl_rn(r, 10);
		c.src_reg = c.code == 0x0f ? (uint8_t)tl_rn(r, 11) : 0;
		c.imm = c.code == 0x07 ? sm_delta(r) : 0;
		n = sm_insert(p, n, i, &c);
		break;
	}
	default: /* the top bit of a mask or bound */
		in->imm ^= (int32_t)(1u << tl_rn(r, 32));
		break;
	}
	return n;
}

/* ---- the driver ---------------------------------------------------------------- */

struct sf_gcase {
	struct userbpf_insn insns[SG_MAX];
	size_t cnt;
	int type;
	uint32_t mem_size;
	uint64_t input_seed;
	int mutations;
	bool strict;		/* verified with Linux's unprivileged rules */
};

static uint64_t sf_prog_seed(uint64_t seed, unsigned long i)
{
	uint64_t s = seed ^ (0x9e3779b97f4a7c15ull * (i + 1));
	struct tl_rng r = { s };
	return tl_rnd(&r);
}

static void sf_make(struct sf_env *e, struct sf_gcase *c, uint64_t seed, unsigned long i)
{
	struct tl_rng r = { sf_prog_seed(seed, i) };

	c->cnt = sg_generate(&r, c->insns, e, &c->type, &c->mem_size);
	c->input_seed = tl_rnd(&r);
	c->strict = tl_rn(&r, 8) == 0;
	c->mutations = 0;
	if (tl_rn(&r, 10) < 6) {
		int m = 1 + (int)tl_rn(&r, 3);
		for (int k = 0; k < m && c->cnt > 1; k++)
			c->cnt = sm_mutate(&r, c->insns, c->cnt);
		c->mutations = m;
	}
}

/* A watchdog: a program the verifier accepted must end (the checked run
 * has a budget, but a helper may hang). */
static volatile unsigned long sf_current = ~0ul;	/* the program being run */
static unsigned sf_watchdog = 30;			/* seconds */

static void sf_hang(int sig)
{
	static const char msg[] = "not ok soundness: a program ran past the watchdog: a hang "
				  "(program index below, or the last '# case' line)\n# index ";
	char num[24];
	int k = (int)sizeof(num);
	unsigned long i = sf_current;

	(void)sig;
	num[--k] = '\n';
	do
		num[--k] = (char)('0' + i % 10);
	while ((i /= 10) && k > 0);
	if (write(1, msg, sizeof(msg) - 1) < 0 || write(1, num + k, sizeof(num) - (size_t)k) < 0)
		_exit(4);
	_exit(3);
}

static int sf_run_case(struct sf_env *e, const struct sf_gcase *c, unsigned variants,
		       struct sf_result *res)
{
	struct sf_case sc = { c->insns, c->cnt, c->type, c->mem_size, c->input_seed, variants,
			      c->strict, 0 };
	int oc;

	alarm(sf_watchdog);
	oc = sf_check(e, &sc, res);
	alarm(0);
	return oc;
}

/* Deletes instructions while the same failure stays. */
static void sf_shrink(struct sf_env *e, struct sf_gcase *c, unsigned variants, int outcome)
{
	static struct sf_gcase t;
	struct sf_result res;
	bool progress = true;

	while (progress) {
		progress = false;
		for (size_t k = 0; k < c->cnt; k++) {
			if (sm_is_lddw_hi(c->insns, k))
				continue;
			t = *c;
			if (t.insns[k].code == 0x18 && k + 1 < t.cnt)
				t.cnt = sm_delete(t.insns, t.cnt, k);
			t.cnt = sm_delete(t.insns, t.cnt, k);
			if (!t.cnt)
				continue;
			if (sf_run_case(e, &t, variants, &res) == outcome) {
				*c = t;
				progress = true;
				k--;
			}
		}
	}
}

static void sf_listing(const struct userbpf_insn *p, size_t n, FILE *f, const char *prefix)
{
	char text[160];

	for (size_t i = 0; i < n;) {
		int k = userbpf_disasm_insn(p + i, n - i, text, sizeof(text));
		if (k <= 0) {
			snprintf(text, sizeof(text), "(bad)");
			k = 1;
		}
		fprintf(f, "%s%4zu: %s\n", prefix, i, text);
		i += (size_t)k;
	}
}

static int sf_save(const char *dir, const char *name, const struct sf_gcase *c,
		   const struct sf_result *res)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.txt", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "# soundness regression: accepted by the verifier, then %s in checked mode.\n",
		sf_outcome_name[res->outcome]);
	fprintf(f, "# %s\n", res->reason);
	fprintf(f, "# type %s\n# mem %u\n# inputs %" PRIu64 "\n# strict %d\n", sf_type_name[c->type],
		c->mem_size, c->input_seed, c->strict);
	sf_listing(c->insns, c->cnt, f, "#   ");
	for (size_t i = 0; i < c->cnt; i++) {
		const uint8_t *b = (const uint8_t *)&c->insns[i];
		for (int j = 0; j < 8; j++)
			fprintf(f, "%02x", b[j]);
		fprintf(f, "\n");
	}
	return fclose(f);
}

/* The "# type", "# mem" and "# inputs" lines of a regression file. */
static int sf_read_meta(const char *path, struct sf_gcase *c)
{
	FILE *f = fopen(path, "r");
	char line[512], tname[64];
	unsigned long long v;

	if (!f)
		return -1;
	c->type = -1;
	c->mem_size = 0;
	c->input_seed = 1;
	c->strict = false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "# type %63s", tname) == 1) {
			for (int t = 0; t < SF__NTYPES; t++)
				if (!strcmp(tname, sf_type_name[t]))
					c->type = t;
		} else if (sscanf(line, "# mem %llu", &v) == 1) {
			c->mem_size = (uint32_t)v;
		} else if (sscanf(line, "# inputs %llu", &v) == 1) {
			c->input_seed = v;
		} else if (sscanf(line, "# strict %llu", &v) == 1) {
			c->strict = v != 0;
		}
	}
	fclose(f);
	return c->type < 0 ? -1 : 0;
}

static int sf_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regression file must now be refused or run clean. */
static void sf_replay(struct sf_env *e, const char *dir)
{
	static struct rf_case rc;
	static struct sf_gcase c;
	char *names[512];
	size_t n = 0;
	unsigned long refused = 0, clean = 0, bad = 0;
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d) {
		tl_fail("soundness: regressions", "cannot open %s", dir);
		return;
	}
	while ((de = readdir(d)) && n < 512) {
		size_t l = strlen(de->d_name);
		if (l > 4 && !strcmp(de->d_name + l - 4, ".txt"))
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), sf_name_cmp);
	for (size_t i = 0; i < n; i++) {
		char path[1400], why[256], nm[600];
		struct sf_result res;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(nm, sizeof(nm), "soundness: regression %s", names[i]);
		printf("# case %s\n", names[i]);
		if (rf_read(path, &rc, why, sizeof(why)) || sf_read_meta(path, &c) ||
		    rc.cnt > SG_MAX) {
			tl_fail(nm, "unreadable: %s", why);
			bad++;
			free(names[i]);
			continue;
		}
		memcpy(c.insns, rc.insns, rc.cnt * sizeof(rc.insns[0]));
		c.cnt = rc.cnt;
		switch (sf_run_case(e, &c, 6, &res)) {
		case SF_REFUSED:
			refused++;
			tl_ok(nm);
			break;
		case SF_CLEAN:
			clean++;
			tl_ok(nm);
			break;
		default:
			bad++;
			tl_fail(nm, "%s: %s", sf_outcome_name[res.outcome], res.reason);
			sf_listing(c.insns, c.cnt, stdout, "#   ");
			break;
		}
		free(names[i]);
	}
	printf("# regressions: %zu files, %lu now refused, %lu accepted and clean, %lu failing\n", n,
	       refused, clean, bad);
}

/* A program as fuzz/fuzz_verify.c reads it: 4 header bytes, instructions. */
static void sf_corpus_put(const char *dir, unsigned long i, const struct sf_gcase *c)
{
	char path[1200];
	uint8_t hdr[4];
	FILE *f;

	if (c->cnt > 512)
		return;
	snprintf(path, sizeof(path), "%.1000s/gen-%lu", dir, i);
	f = fopen(path, "wb");
	if (!f)
		return;
	hdr[0] = (uint8_t)(c->type | (c->strict ? 4 : 0));
	hdr[1] = (uint8_t)(c->mem_size > 1 ? (c->mem_size - 1) / 2 : 0);
	hdr[2] = (uint8_t)c->input_seed;
	hdr[3] = (uint8_t)(c->input_seed >> 8);
	fwrite(hdr, 1, 4, f);
	fwrite(c->insns, sizeof(c->insns[0]), c->cnt, f);
	fclose(f);
}

static double sf_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs one input of fuzz/fuzz_verify.c (a crash or timeout it saved). */
static int sf_fuzz_input(struct sf_env *e, const char *path)
{
	static struct sf_gcase c;
	static uint8_t buf[4 + 8 * 4096];
	struct sf_result res;
	FILE *f = fopen(path, "rb");
	size_t n;
	double t0;
	int oc;

	if (!f) {
		fprintf(stderr, "soundness: %s: %s\n", path, strerror(errno));
		return 2;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n < 12) {
		fprintf(stderr, "soundness: %s: shorter than one instruction\n", path);
		return 2;
	}
	memset(&c, 0, sizeof(c));
	c.cnt = (n - 4) / 8 > 512 ? 512 : (n - 4) / 8;
	memcpy(c.insns, buf + 4, c.cnt * 8);
	c.type = buf[0] % SF__NTYPES;
	c.strict = (buf[0] & 4) != 0;
	c.mem_size = 1 + 2u * buf[1];
	c.input_seed = (uint64_t)buf[2] | (uint64_t)buf[3] << 8;
	sf_listing(c.insns, c.cnt, stdout, "#   ");
	t0 = sf_now();
	oc = sf_run_case(e, &c, 2, &res);
	printf("# %s: %s%s, %zu slots: %s after %.3f s (%llu insns processed): %s\n", path,
	       sf_type_name[c.type], c.strict ? " strict" : "", c.cnt, sf_outcome_name[oc],
	       sf_now() - t0, (unsigned long long)res.processed, res.reason);
	return oc == SF_REFUSED || oc == SF_CLEAN ? 0 : 1;
}

/* The oracle must see one byte past each region: programs that break
 * the rules, loaded without the verifier, run in checked mode. */
static void sf_selftest(struct sf_env *e)
{
#define SI(c, d, s_, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s_), .off = (o), .imm = (i) }
	static const struct userbpf_insn val_past[] = {	/* byte 16 of a 16-byte value */
		SI(0x62, 10, 0, -8, 0), SI(0xbf, 2, 10, 0, 0), SI(0x07, 2, 0, 0, -8),
		SI(0x18, 1, 1, 0, SF_M_HASH), SI(0, 0, 0, 0, 0), SI(0x85, 0, 0, 0, 1),
		SI(0x15, 0, 0, 1, 0), SI(0x71, 0, 0, 16, 0), SI(0x95, 0, 0, 0, 0),
	};
	static const struct userbpf_insn pkt_past[] = {	/* the byte at data_end */
		SI(0x61, 2, 1, 4, 0), SI(0x71, 0, 2, 0, 0), SI(0x95, 0, 0, 0, 0),
	};
	static const struct userbpf_insn ctx_past[] = {	/* byte 24 of xdp_md */
		SI(0x71, 0, 1, 24, 0), SI(0x95, 0, 0, 0, 0),
	};
	static const struct userbpf_insn stk_past[] = {	/* r10 - 513 */
		SI(0x71, 0, 10, -513, 0), SI(0x95, 0, 0, 0, 0),
	};
#undef SI
	static const struct { const char *name; const struct userbpf_insn *p; size_t n; } t[] = {
		{ "a map value", val_past, sizeof(val_past) / sizeof(val_past[0]) },
		{ "the packet", pkt_past, sizeof(pkt_past) / sizeof(pkt_past[0]) },
		{ "the context", ctx_past, sizeof(ctx_past) / sizeof(ctx_past[0]) },
		{ "the stack", stk_past, sizeof(stk_past) / sizeof(stk_past[0]) },
	};
	static struct sf_input in;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct userbpf_prog_opts po = { .sz = sizeof(po), .name = "selftest", .maps = e->maps,
						.map_cnt = SF_NMAPS, .prog_type = "xdp" };
		struct sf_case c = { t[i].p, t[i].n, SF_XDP, 0, 1, 1, false, 0 };
		struct userbpf_prog *p = userbpf_prog__load(e->rt, t[i].p, t[i].n, &po);
		char nm[120];
		int faults = 0, runs = 0;
		uint64_t r0;

		snprintf(nm, sizeof(nm), "soundness: checked mode catches a read one byte past %s",
			 t[i].name);
		if (!p) {
			tl_fail(nm, "load: %s", e->lastlog);
			continue;
		}
		/* key 0 is always in the hash map: the access is reached */
		for (unsigned v = 0; v < 16; v++) {
			c.input_seed = v;
			sf_make_input(e, &c, v, &in);
			runs++;
			faults += sf_run(e, p, &c, &in, 0, &r0) == -EFAULT;
		}
		if (runs && faults == runs)
			tl_ok(nm);
		else
			tl_fail(nm, "%d faults in %d runs", faults, runs);
		userbpf_prog__free(p);
	}
}

/* ---- coverage proxies ---- */

struct sf_cov {
	bool row[256 + 16 + 256];	/* code byte; atomic op (imm >> 4); helper id */
	unsigned rows;
	unsigned long reason_hash[4096];
	unsigned reasons;
};

static void sf_cov_accepted(struct sf_cov *cv, const struct userbpf_insn *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned k = p[i].code;
		if (sm_is_lddw_hi(p, i))
			continue;
		if (!cv->row[k])
			cv->row[k] = true, cv->rows++;
		if (k == 0xc3 || k == 0xdb) {
			k = 256 + (((unsigned)p[i].imm >> 4) & 15);
			if (!cv->row[k])
				cv->row[k] = true, cv->rows++;
		}
		if (k == 0x85 && p[i].src_reg == 0 && (unsigned)p[i].imm < 256) {
			k = 272 + (unsigned)p[i].imm;
			if (!cv->row[k])
				cv->row[k] = true, cv->rows++;
		}
	}
}

/* A refusal with its numbers masked, hashed: the text after "insn N:
 * DISASM: " up to the register states. */
static void sf_cov_refused(struct sf_cov *cv, const char *msg)
{
	unsigned long h = 5381;
	const char *s = msg, *q;

	if (!strncmp(s, "insn ", 5) && (q = strstr(s, ": ")) && (q = strstr(q + 2, ": ")))
		s = q + 2;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			while (s[1] >= '0' && s[1] <= '9')
				s++;
			h = h * 33 + '#';
			continue;
		}
		if (*s == '(' && s > msg && s[-1] == ' ') /* the register states follow */
			break;
		h = h * 33 + (unsigned char)*s;
	}
	for (unsigned i = 0; i < cv->reasons; i++)
		if (cv->reason_hash[i] == h)
			return;
	if (cv->reasons < 4096)
		cv->reason_hash[cv->reasons++] = h;
}

struct sf_opts {
	unsigned long count;
	double seconds;
	uint64_t seed;
	long index;
	unsigned long start;
	unsigned variants;
	const char *save_dir, *regress_dir, *corpus_dir, *fuzz_input;
	bool verbose;
};

static int sf_parse(int argc, char **argv, struct sf_opts *o)
{
	o->count = 3000;
	o->seconds = 0;
	o->seed = SG_DEFAULT_SEED;
	o->index = -1;
	o->start = 0;
	o->variants = 2;
	o->save_dir = NULL;
	o->corpus_dir = NULL;
	o->fuzz_input = NULL;
	o->regress_dir = "tests/data/soundness-regress";
	o->verbose = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--verbose")) {
			o->verbose = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "soundness: %s: unknown option or missing value\n", a);
			return -1;
		}
		i++;
		if (!strcmp(a, "--count"))
			o->count = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--seconds"))
			o->seconds = strtod(v, NULL);
		else if (!strcmp(a, "--seed"))
			o->seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--index"))
			o->index = strtol(v, NULL, 0);
		else if (!strcmp(a, "--start"))
			o->start = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--watchdog"))
			sf_watchdog = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--variants"))
			o->variants = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--save"))
			o->save_dir = v;
		else if (!strcmp(a, "--regress"))
			o->regress_dir = v;
		else if (!strcmp(a, "--corpus"))
			o->corpus_dir = v;
		else if (!strcmp(a, "--input"))
			o->fuzz_input = v;
		else {
			fprintf(stderr, "soundness: %s: unknown option\n", a);
			return -1;
		}
	}
	if (o->seconds > 0)
		o->count = ~0ul;
	if (!o->variants)
		o->variants = 1;
	return 0;
}


int main(int argc, char **argv)
{
	static struct sf_env e;
	static struct sf_gcase c;
	static struct sf_cov cov;
	struct sf_opts o;
	unsigned long n = 0, accepted = 0, failures = 0, out[SF__NOUTCOMES] = { 0 };
	unsigned long mutated = 0, mutated_acc = 0, jit = 0;
	double t0, last_report;
	const char *ud = getenv("UB_ROOT");
	char why[256], rdir[1024];

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, sf_hang);
	if (sf_parse(argc, argv, &o))
		return 2;
	if (sf_env_init(&e, why, sizeof(why))) {
		tl_fail("soundness: setup", "%s", why);
		return tl_exit();
	}
	if (o.fuzz_input) {
		int rc = sf_fuzz_input(&e, o.fuzz_input);
		sf_env_fini(&e);
		return rc;
	}
	snprintf(rdir, sizeof(rdir), "%.500s%s%.500s", ud && o.regress_dir[0] != '/' ? ud : "",
		 ud && o.regress_dir[0] != '/' ? "/" : "", o.regress_dir);
	if (o.index < 0) {
		sf_selftest(&e);
		sf_replay(&e, rdir);
	}
	printf("# seed %#" PRIx64 ", %s %g, %u input variants per accepted program\n", o.seed,
	       o.seconds > 0 ? "seconds" : "count", o.seconds > 0 ? o.seconds : (double)o.count,
	       o.variants);
	t0 = last_report = sf_now();
	for (unsigned long i = o.index >= 0 ? (unsigned long)o.index : o.start;; i++) {
		struct sf_result res;
		int oc;

		if (o.index >= 0 ? n == 1 : n >= o.count)
			break;
		if (o.seconds > 0 && (n & 63) == 0) {
			double now = sf_now();
			if (now - t0 >= o.seconds)
				break;
			if (now - last_report >= 60) {
				last_report = now;
				printf("# %.0f s: %lu programs, %lu accepted, %u opcode rows, %u refusal "
				       "reasons, %lu failures\n", now - t0, n, accepted, cov.rows,
				       cov.reasons, failures);
			}
		}
		sf_current = i;
		sf_make(&e, &c, o.seed, i);
		if (o.index >= 0 && o.corpus_dir) /* before it runs: it may hang */
			sf_corpus_put(o.corpus_dir, i, &c);
		oc = sf_run_case(&e, &c, o.variants, &res);
		n++;
		out[oc]++;
		mutated += c.mutations > 0;
		if (oc == SF_REFUSED) {
			sf_cov_refused(&cov, res.reason);
		} else {
			accepted++;
			mutated_acc += c.mutations > 0;
			jit += res.jit_ran;
			sf_cov_accepted(&cov, c.insns, c.cnt);
			if (o.corpus_dir && (c.type != SF_MEM || c.mem_size <= 511))
				sf_corpus_put(o.corpus_dir, i, &c);
		}
		if (o.verbose || o.index >= 0) {
			printf("# program %lu (%s%s, %zu slots, %d mutations): %s: %s\n", i,
			       sf_type_name[c.type], c.strict ? ", strict" : "", c.cnt, c.mutations,
			       sf_outcome_name[oc], res.reason);
			if (o.index >= 0)
				sf_listing(c.insns, c.cnt, stdout, "#   ");
		}
		if (oc != SF_REFUSED && oc != SF_CLEAN) {
			char nm[200];
			size_t n0 = c.cnt;

			failures++;
			sf_shrink(&e, &c, o.variants, oc);
			sf_run_case(&e, &c, o.variants, &res);
			snprintf(nm, sizeof(nm), "soundness: program %lu (seed %#" PRIx64 ", --index %lu)",
				 i, o.seed, i);
			tl_fail(nm, "%s (%s), shrunk from %zu to %zu slots: %s", sf_outcome_name[oc],
				sf_type_name[c.type], n0, c.cnt, res.reason);
			sf_listing(c.insns, c.cnt, stdout, "#   ");
			if (o.save_dir) {
				char name[64];
				snprintf(name, sizeof(name), "gen-%" PRIx64 "-%lu", o.seed, i);
				if (sf_save(o.save_dir, name, &c, &res))
					printf("# cannot save %s/%s.txt\n", o.save_dir, name);
			}
		}
	}
	printf("# %lu programs in %.1f s: %lu accepted (%.1f%%; %lu of %lu mutants), %lu checked "
	       "runs, %lu fast-interpreter runs, %lu JIT runs\n", n, sf_now() - t0, accepted,
	       n ? 100.0 * (double)accepted / (double)n : 0.0, mutated_acc, mutated, e.checked_runs,
	       e.fast_runs, e.jit_runs);
	printf("# outcomes:");
	for (int k = 0; k < SF__NOUTCOMES; k++)
		printf(" %s %lu%s", sf_outcome_name[k], out[k], k + 1 < SF__NOUTCOMES ? "," : "\n");
	printf("# coverage: %u opcode rows accepted, %u distinct refusal reasons; %lu fast/JIT "
	       "differences explained (uninitialised stack, addresses); %lu accepted with JIT "
	       "index clamps, %lu with known constants\n", cov.rows, cov.reasons,
	       e.explained_mismatches, e.clamped_progs, e.const_progs);
	if (!failures) {
		char nm[160];
		snprintf(nm, sizeof(nm), "soundness: %lu programs, %lu accepted, no fault", n, accepted);
		tl_ok(nm);
	}
	(void)jit;
	sf_env_fini(&e);
	return tl_exit();
}
