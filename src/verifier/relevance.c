/* SPDX-License-Identifier: MIT */
/*
 * relevance.c - which numbers can matter to a check, per instruction.
 *
 * Pruning compares a new state with a finished checkpoint.  A number that,
 * from this point on, can never reach a check (a memory address, a branch
 * condition, a helper argument, a checked return value, a divisor when
 * division by zero is an error) cannot change what the finished
 * exploration proved, so its value need not be compared.  Linux gets the
 * same effect by backtracking "precision" along each path; this is the
 * static, path-insensitive counterpart: a backward data-flow over the
 * control flow graph that over-approximates the set of relevant registers
 * and stack slots (8-byte slots at fixed offsets from r10).
 *
 * Over-approximation keeps it sound: a load through a register other than
 * r10 may read any slot; a call makes every slot of the caller relevant
 * (the callee may read them through pointers) and its arguments too; a
 * callee's r0 is relevant at its exits; everything is relevant at a helper
 * call that calls back into the program (bpf_loop, timers, for_each).
 */
#include <errno.h>
#include <string.h>
#include "verifier/relevance.h"

#define R(n) ((uint16_t)(1u << (n)))
#define ARGS (R(1) | R(2) | R(3) | R(4) | R(5))
#define ALL_SLOTS (~0ull)

/* The 8-byte slots covered by [off, off + size) from r10, or 0 when the
 * access does not lie inside the frame. */
static uint64_t slots_of(int64_t off, unsigned size)
{
	uint64_t m = 0;

	if (off < -512 || off + size > 0)
		return 0;
	for (int64_t b = off; b < off + (int64_t)size; b += 8 - ((b + 512) & 7))
		m |= 1ull << ((b + 512) / 8);
	return m;
}

/* rel_in of instruction x, from its rel_out. */
static void transfer(const struct ub_dinsn *x, const struct ub_rel_opts *o, uint16_t out_r,
		     uint64_t out_s, uint16_t sp, uint16_t *in_r, uint64_t *in_s)
{
	const struct ub_opinfo *oi = &ub_opinfo[x->op];
	uint16_t r = out_r;
	uint64_t s = out_s;
	uint16_t dst = R(x->dst), src = R(x->src);

	switch (oi->fmt) {
	case F_ALU_K: case F_NEG: case F_END: case F_BSWAP:
		if (r & dst) {
			bool mov = (oi->code & 0xf0) == 0xb0;
			r = mov ? (uint16_t)(r & ~dst) : r;
		}
		break;
	case F_ALU_X: case F_MOVSX: {
		bool mov = (oi->code & 0xf0) == 0xb0;
		bool div = (oi->code & 0xf0) == 0x30 || (oi->code & 0xf0) == 0x90;
		if (r & dst) {
			if (mov)
				r &= (uint16_t)~dst;
			r |= src;
		}
		if (div && o->div_by_zero_is_error)
			r |= src;
		break;
	}
	case F_LDDW:
		r &= (uint16_t)~dst;
		break;
	case F_LDX: case F_LDXS: {
		bool wanted = r & dst;
		r &= (uint16_t)~dst;
		r |= src; /* the address */
		if (wanted)
			s |= x->src == 10 ? slots_of(x->off, oi->width) :
			     (sp & src) ? ALL_SLOTS : 0;
		break;
	}
	case F_ST:
		if (x->dst == 10 && oi->width == 8 && !((x->off + 512) & 7))
			s &= ~slots_of(x->off, 8);
		r |= dst;
		break;
	case F_STX: {
		uint64_t m = x->dst == 10 ? slots_of(x->off, oi->width) : 0;
		bool wanted = x->dst != 10 || (s & m);
		if (x->dst == 10 && oi->width == 8 && !((x->off + 512) & 7))
			s &= ~m;
		r |= dst;
		/* a value stored on the stack may come back; elsewhere it
		 * comes back as an unknown number */
		if (wanted && x->dst == 10)
			r |= src;
		else if (x->dst != 10 && (sp & dst))
			r |= src; /* may land on the stack through another pointer */
		break;
	}
	case F_ATOMIC:
		r |= dst | src | R(0);
		s |= x->dst == 10 ? slots_of(x->off, oi->width) : (sp & dst) ? ALL_SLOTS : 0;
		break;
	case F_LDABS: case F_LDIND:
		r &= (uint16_t)~(R(0) | ARGS);
		r |= R(6) | (oi->fmt == F_LDIND ? src : 0);
		break;
	case F_JA: case F_JA32:
		break;
	case F_JMP_K:
		r |= dst;
		break;
	case F_JMP_X:
		r |= dst | src;
		break;
	case F_CALL: case F_CALL_LOCAL: case F_CALLX: case F_CALL_KFUNC:
		r &= (uint16_t)~(R(0) | ARGS);
		r |= ARGS | (oi->fmt == F_CALLX ? dst : 0);
		if (oi->fmt != F_CALL)
			s = ALL_SLOTS;
		/* helpers that call back into the program: while the callback
		 * runs, its callers are compared at the call, whole */
		if (oi->fmt == F_CALL && (x->imm == 164 || x->imm == 170 || x->imm == 181)) {
			r = 0xffff;
			s = ALL_SLOTS;
		}
		break;
	case F_EXIT:
		r = R(0); /* main: only when checked; callees: the caller may use it */
		s = 0;
		break;
	default:
		r = 0xffff;
		s = ALL_SLOTS;
	}
	*in_r = r;
	*in_s = s;
}

/*
 * Forward: which registers may hold a pointer into a stack frame at the
 * entry of each instruction.  r10 always; copies and sums of such
 * registers; anything loaded from the stack once a stack pointer has been
 * stored anywhere; r1-r5 at a callee's entry and r0 after a call.
 */
static void stack_ptrs(const struct ub_dinsn *d, size_t cnt, uint16_t *sp, uint32_t *work,
		       bool *queued)
{
	bool stored = false;
	size_t nw = 0;

	for (size_t i = 0; i < cnt; i++)
		sp[i] = 0;
	for (int round = 0; round < 2; round++) {
		sp[0] = R(10);
		for (size_t i = 0; i < cnt; i++)
			if (d[i].op == UB_OP_CALL_LOCAL || d[i].op == UB_OP_LDDW_CODE)
				sp[d[i].off] |= (uint16_t)(R(10) | ARGS);
		for (size_t i = 0; i < cnt; i++) {
			work[nw++] = (uint32_t)i;
			queued[i] = true;
		}
		while (nw) {
			uint32_t i = work[--nw];
			const struct ub_dinsn *x = &d[i];
			const struct ub_opinfo *oi;
			uint16_t in = sp[i], out = in;
			size_t succ[2];
			int ns = 0;

			queued[i] = false;
			if (x->op >= UB_OP__COUNT)
				continue;
			oi = &ub_opinfo[x->op];
			switch (oi->fmt) {
			case F_ALU_X:
				if ((oi->code & 0xf0) == 0xb0 && UB_CLASS(oi->code) == UB_CLS_ALU64)
					out = (uint16_t)((out & ~R(x->dst)) | (in & R(x->src) ? R(x->dst) : 0));
				else if (((oi->code & 0xf0) == 0x00 || (oi->code & 0xf0) == 0x10) &&
					 UB_CLASS(oi->code) == UB_CLS_ALU64)
					out |= (in & R(x->src)) ? R(x->dst) : 0;
				else
					out &= (uint16_t)~R(x->dst);
				break;
			case F_ALU_K:
				if (!(((oi->code & 0xf0) == 0x00 || (oi->code & 0xf0) == 0x10) &&
				      UB_CLASS(oi->code) == UB_CLS_ALU64))
					out &= (uint16_t)~R(x->dst);
				break;
			case F_NEG: case F_MOVSX: case F_END: case F_BSWAP: case F_LDDW:
				out &= (uint16_t)~R(x->dst);
				break;
			case F_LDX: case F_LDXS:
				out &= (uint16_t)~R(x->dst);
				if (stored && (in & R(x->src)) && oi->width == 8)
					out |= R(x->dst);
				break;
			case F_STX:
				if (in & R(x->src))
					stored = true;
				break;
			case F_ATOMIC:
				if (x->imm & 1 || x->imm == 0xf1)
					out &= (uint16_t)~(R(x->src) | R(0));
				break;
			case F_CALL: case F_CALL_LOCAL: case F_CALLX: case F_CALL_KFUNC:
			case F_LDABS: case F_LDIND:
				out &= (uint16_t)~(R(0) | ARGS);
				if (oi->fmt != F_CALL)
					out |= R(0);
				break;
			default:
				break;
			}
			out |= R(10);
			if (x->op == UB_OP_EXIT)
				continue;
			if (ub_op_is_jump(x->op))
				succ[ns++] = (size_t)x->off;
			if (!ub_op_ends_block(x->op))
				succ[ns++] = i + (oi->fmt == F_LDDW ? 2 : 1);
			for (int k = 0; k < ns; k++) {
				size_t t = succ[k];
				if (t < cnt && (sp[t] | out) != sp[t]) {
					sp[t] |= out;
					if (!queued[t]) {
						queued[t] = true;
						work[nw++] = (uint32_t)t;
					}
				}
			}
		}
		if (!stored)
			break; /* a second round only when loads may yield pointers */
	}
}

int ub_vfy_relevance(struct userbpf_rt *rt, const struct ub_dinsn *d, size_t cnt,
		     const struct ub_rel_opts *o, uint16_t *rel_r, uint64_t *rel_s,
		     uint16_t *live_r)
{
	/* predecessors in CSR form: pred_start[i] .. pred_start[i+1] */
	uint32_t *pred_start = ub_calloc(rt, cnt + 2, sizeof(*pred_start));
	uint32_t *preds = ub_malloc(rt, 2 * cnt * sizeof(*preds) + 1);
	bool *queued = ub_calloc(rt, cnt, sizeof(*queued));
	uint32_t *work = ub_malloc(rt, cnt * sizeof(*work) + 1);
	uint16_t *sp = ub_malloc(rt, cnt * sizeof(*sp) + 1);
	size_t nw = 0;
	int err = 0;

	if (!pred_start || !preds || !queued || !work || !sp) {
		err = -ENOMEM;
		goto out;
	}
	stack_ptrs(d, cnt, sp, work, queued);
#define EACH_SUCC(i, body)                                                     \
	do {                                                                   \
		const struct ub_dinsn *_y = &d[i];                             \
		size_t succ;                                                   \
		if (_y->op >= UB_OP__COUNT || _y->op == UB_OP_EXIT)            \
			break;                                                 \
		if (ub_op_is_jump(_y->op)) {                                   \
			succ = (size_t)_y->off;                                \
			body;                                                  \
		}                                                              \
		if (!ub_op_ends_block(_y->op)) {                               \
			succ = i + (ub_opinfo[_y->op].fmt == F_LDDW ? 2 : 1);  \
			if (succ < cnt)                                        \
				body;                                          \
		}                                                              \
	} while (0)
	for (size_t i = 0; i < cnt; i++)
		EACH_SUCC(i, pred_start[succ + 1]++);
	for (size_t i = 0; i < cnt; i++)
		pred_start[i + 1] += pred_start[i];
	{
		uint32_t *fill = work; /* borrowed as a cursor array */
		for (size_t i = 0; i < cnt; i++)
			fill[i] = pred_start[i];
		for (size_t i = 0; i < cnt; i++)
			EACH_SUCC(i, preds[fill[succ]++] = (uint32_t)i);
	}
	memset(rel_r, 0, cnt * sizeof(*rel_r));
	memset(rel_s, 0, cnt * sizeof(*rel_s));
	memset(live_r, 0, cnt * sizeof(*live_r));
	/* last instruction first: a backward problem converges faster */
	for (size_t i = 0; i < cnt; i++) {
		work[nw++] = (uint32_t)i;
		queued[i] = true;
	}
	while (nw) {
		uint32_t i = work[--nw];
		const struct ub_dinsn *x = &d[i];
		uint16_t out_r = 0, in_r;
		uint64_t out_s = 0, in_s;

		queued[i] = false;
		if (x->op >= UB_OP__COUNT)
			continue;
		{
			/* liveness: read before written on some path */
			uint16_t lout = 0, rd, wr, lin;
			bool changed;

			EACH_SUCC(i, lout |= live_r[succ]);
			ub_insn_regs(x, &rd, &wr);
			if (x->op == UB_OP_CALL || x->op == UB_OP_CALL_LOCAL || x->op == UB_OP_CALLX)
				rd |= ARGS; /* a callee or helper may read any argument */
			lin = (uint16_t)((lout & ~wr) | rd);

			EACH_SUCC(i, (out_r |= rel_r[succ], out_s |= rel_s[succ]));
			transfer(x, o, out_r, out_s, sp[i], &in_r, &in_s);
			if (x->op == UB_OP_EXIT && i < o->main_end && !o->check_return)
				in_r = 0; /* the main program's r0 reaches no check */
			in_r |= rel_r[i];
			in_s |= rel_s[i];
			lin |= live_r[i];
			changed = in_r != rel_r[i] || in_s != rel_s[i] || lin != live_r[i];
			rel_r[i] = in_r;
			rel_s[i] = in_s;
			live_r[i] = lin;
			if (!changed)
				continue;
		}
		for (uint32_t k = pred_start[i]; k < pred_start[i + 1]; k++) {
			uint32_t p = preds[k];
			if (!queued[p]) {
				queued[p] = true;
				work[nw++] = p;
			}
		}
	}
#undef EACH_SUCC
out:
	ub_free(rt, pred_start);
	ub_free(rt, preds);
	ub_free(rt, queued);
	ub_free(rt, work);
	ub_free(rt, sp);
	return err;
}
