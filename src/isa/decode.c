/* SPDX-License-Identifier: MIT */
/*
 * decode.c - the decoder and encoding validator.
 *
 * Turns 8-byte slots into decoded instructions (struct ub_dinsn) once, at
 * load, so that no executor decodes in its hot loop.  Everything it knows
 * about encodings comes from the table in opcodes.h; this file only adds the
 * program-level rules: lddw pairs, jump targets, the final instruction, and
 * the register-initialisation data flow.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "isa/isa_internal.h"

const struct ub_opinfo ub_opinfo[UB_OP__COUNT] = {
#define UB_X_INFO(id_, code_, vk_, vv_, zero_, fmt_, w_, cpu_, asm_, sym_)      \
	{ .id = #id_, .code = code_, .vkind = vk_, .vval = vv_, .zero = zero_,   \
	  .fmt = fmt_, .width = w_, .cpu = cpu_, .asm_name = asm_, .sym = sym_ },
	UB_OPCODES(UB_X_INFO)
#undef UB_X_INFO
};

static unsigned sort_key(uint8_t code)
{
	return ((unsigned)UB_CLASS(code) << 8) | code;
}

/* First table row whose opcode byte is `code`, or -1. */
static int first_row(uint8_t code)
{
	int lo = 0, hi = UB_OP__COUNT - 1, found = -1;
	unsigned key = sort_key(code);

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		unsigned k = sort_key(ub_opinfo[mid].code);
		if (k < key) {
			lo = mid + 1;
		} else {
			if (k == key)
				found = mid;
			hi = mid - 1;
		}
	}
	return found;
}

static int32_t variant_field(const struct userbpf_insn *in, int vk)
{
	switch (vk) {
	case V_OFF: return in->off;
	case V_IMM: return in->imm;
	case V_SRC: return in->src_reg;
	default: return 0;
	}
}

static const char *const vk_name[] = { "", "off", "imm", "src" };

int ub_decode_op(const struct userbpf_insn *in, char *why, size_t why_sz)
{
	int row = first_row(in->code), op = -1;
	const struct ub_opinfo *oi;

	if (row < 0) {
		snprintf(why, why_sz, "unknown opcode 0x%02x", in->code);
		return -EINVAL;
	}
	for (int r = row; r < UB_OP__COUNT && ub_opinfo[r].code == in->code; r++) {
		if (ub_opinfo[r].vkind == V_NONE ||
		    variant_field(in, ub_opinfo[r].vkind) == ub_opinfo[r].vval) {
			op = r;
			break;
		}
	}
	if (op < 0) {
		int vk = ub_opinfo[row].vkind;
		snprintf(why, why_sz, "unknown opcode 0x%02x with %s %d", in->code,
			 vk_name[vk], (int)variant_field(in, vk));
		return -EINVAL;
	}
	oi = &ub_opinfo[op];
	if ((oi->zero & Z_DST) && in->dst_reg) {
		snprintf(why, why_sz, "opcode 0x%02x (%s): reserved dst field is %u, must be 0",
			 in->code, oi->asm_name, in->dst_reg);
		return -EINVAL;
	}
	if ((oi->zero & Z_SRC) && in->src_reg) {
		snprintf(why, why_sz, "opcode 0x%02x (%s): reserved src field is %u, must be 0",
			 in->code, oi->asm_name, in->src_reg);
		return -EINVAL;
	}
	if ((oi->zero & Z_OFF) && in->off) {
		snprintf(why, why_sz, "opcode 0x%02x (%s): reserved off field is %d, must be 0",
			 in->code, oi->asm_name, in->off);
		return -EINVAL;
	}
	if ((oi->zero & Z_IMM) && in->imm) {
		snprintf(why, why_sz, "opcode 0x%02x (%s): reserved imm field is %d, must be 0",
			 in->code, oi->asm_name, (int)in->imm);
		return -EINVAL;
	}
	if (in->dst_reg > 10) {
		snprintf(why, why_sz, "invalid register r%u", in->dst_reg);
		return -EINVAL;
	}
	if (oi->vkind != V_SRC && in->src_reg > 10) {
		snprintf(why, why_sz, "invalid register r%u", in->src_reg);
		return -EINVAL;
	}
	return op;
}

bool ub_op_is_jump(int op)
{
	if (op < 0 || op >= UB_OP__COUNT)
		return false;
	switch (ub_opinfo[op].fmt) {
	case F_JA: case F_JA32: case F_JMP_K: case F_JMP_X: return true;
	default: return false;
	}
}

bool ub_op_is_cond_jump(int op)
{
	return ub_op_is_jump(op) && ub_opinfo[op].fmt != F_JA &&
	       ub_opinfo[op].fmt != F_JA32;
}

bool ub_op_ends_block(int op)
{
	return op == UB_OP_EXIT || op == UB_OP_JA || op == UB_OP_JA32;
}

/* Checks that `target` lies inside [0, cnt); landing on the second half of
 * lddw is checked once every slot is decoded. */
static int check_target(size_t cnt, int64_t target, const char *what, char *why,
			size_t why_sz)
{
	if (target < 0 || (uint64_t)target >= cnt) {
		snprintf(why, why_sz, "%s target %lld is out of range [0, %zu)", what,
			 (long long)target, cnt);
		return -EINVAL;
	}
	return 0;
}

int ub_decode_prog(const struct userbpf_insn *in, size_t cnt,
		   struct ub_dinsn *out, size_t *bad_idx, char *why,
		   size_t why_sz)
{
	size_t i;

	if (cnt == 0) {
		*bad_idx = 0;
		snprintf(why, why_sz, "program has no instructions");
		return -EINVAL;
	}
	if (cnt > UB_MAX_INSNS) {
		*bad_idx = 0;
		snprintf(why, why_sz, "program has %zu instructions, more than %u",
			 cnt, UB_MAX_INSNS);
		return -E2BIG;
	}
	for (i = 0; i < cnt; i++) {
		int op = ub_decode_op(&in[i], why, why_sz);
		struct ub_dinsn *d = &out[i];

		*bad_idx = i;
		if (op < 0)
			return op;
		d->op = (uint16_t)op;
		d->dst = in[i].dst_reg;
		d->src = in[i].src_reg;
		d->off = in[i].off;
		d->imm = in[i].imm;
		switch (ub_opinfo[op].fmt) {
		case F_LDDW:
			if (i + 1 >= cnt) {
				snprintf(why, why_sz, "lddw is missing its second half");
				return -EINVAL;
			}
			if (in[i + 1].code || in[i + 1].dst_reg || in[i + 1].src_reg ||
			    in[i + 1].off) {
				*bad_idx = i + 1;
				snprintf(why, why_sz,
					 "second half of lddw at %zu must have code, regs and off zero",
					 i);
				return -EINVAL;
			}
			d->imm = (int64_t)(((uint64_t)(uint32_t)in[i + 1].imm << 32) |
					   (uint32_t)in[i].imm);
			if (op == UB_OP_LDDW_CODE)
				d->off = (int32_t)(i + 1 + (int64_t)in[i].imm);
			i++;
			out[i] = (struct ub_dinsn){ .op = UB_OP__LDDW_HI };
			break;
		case F_JA32:
			d->off = (int32_t)((int64_t)i + 1 + in[i].imm);
			if (check_target(cnt, (int64_t)i + 1 + in[i].imm, "jump",
					 why, why_sz))
				return -EINVAL;
			break;
		case F_JA: case F_JMP_K: case F_JMP_X:
			d->off = (int32_t)((int64_t)i + 1 + in[i].off);
			if (check_target(cnt, d->off, "jump", why, why_sz))
				return -EINVAL;
			break;
		case F_CALL_LOCAL:
			d->off = (int32_t)((int64_t)i + 1 + in[i].imm);
			if (check_target(cnt, (int64_t)i + 1 + in[i].imm, "call",
					 why, why_sz))
				return -EINVAL;
			break;
		default:
			break;
		}
	}
	/* Second pass: targets must not land on the second half of lddw. */
	for (i = 0; i < cnt; i++) {
		int op = out[i].op;
		bool has_target = ub_op_is_jump(op) || op == UB_OP_CALL_LOCAL ||
				  op == UB_OP_LDDW_CODE;

		if (op == UB_OP_LDDW_CODE &&
		    (out[i].off < 0 || (size_t)out[i].off >= cnt)) {
			*bad_idx = i;
			snprintf(why, why_sz, "code address %d is out of range [0, %zu)",
				 out[i].off, cnt);
			return -EINVAL;
		}
		if (has_target && out[out[i].off].op == UB_OP__LDDW_HI) {
			*bad_idx = i;
			snprintf(why, why_sz, "%s target %d is the middle of lddw",
				 ub_op_is_jump(op) ? "jump" : "call", out[i].off);
			return -EINVAL;
		}
	}
	{
		size_t last = cnt - 1;
		int op = out[last].op;
		if (op == UB_OP__LDDW_HI)
			op = out[--last].op;
		if (!ub_op_ends_block(op)) {
			*bad_idx = last;
			snprintf(why, why_sz,
				 "the last instruction is not exit or ja: execution falls off the end");
			return -EINVAL;
		}
	}
	return 0;
}

#define R(n) ((uint16_t)(1u << (n)))
#define CALLER_SAVED (R(1) | R(2) | R(3) | R(4) | R(5))

void ub_insn_regs(const struct ub_dinsn *d, uint16_t *reads, uint16_t *writes)
{
	const struct ub_opinfo *oi;
	uint16_t rd = 0, wr = 0;

	if (d->op >= UB_OP__COUNT) {
		*reads = *writes = 0;
		return;
	}
	oi = &ub_opinfo[d->op];
	switch (oi->fmt) {
	case F_LDDW: wr = R(d->dst); break;
	case F_LDABS: rd = R(6); wr = R(0) | CALLER_SAVED; break;
	case F_LDIND: rd = R(6) | R(d->src); wr = R(0) | CALLER_SAVED; break;
	case F_LDX: case F_LDXS: rd = R(d->src); wr = R(d->dst); break;
	case F_ST: rd = R(d->dst); break;
	case F_STX: rd = R(d->dst) | R(d->src); break;
	case F_ATOMIC:
		rd = R(d->dst) | R(d->src);
		if (d->op == UB_OP_ATOMIC32_CMPXCHG || d->op == UB_OP_ATOMIC64_CMPXCHG) {
			rd |= R(0);
			wr = R(0);
		} else if (d->imm & 1) { /* BPF_FETCH */
			wr = R(d->src);
		}
		break;
	case F_ALU_K:
		rd = (d->op == UB_OP_MOV32_K || d->op == UB_OP_MOV64_K) ? 0 : R(d->dst);
		wr = R(d->dst);
		break;
	case F_ALU_X:
		rd = R(d->src);
		if (d->op != UB_OP_MOV32_X && d->op != UB_OP_MOV64_X)
			rd |= R(d->dst);
		wr = R(d->dst);
		break;
	case F_MOVSX: rd = R(d->src); wr = R(d->dst); break;
	case F_NEG: case F_END: case F_BSWAP: rd = wr = R(d->dst); break;
	case F_JMP_K: rd = R(d->dst); break;
	case F_JMP_X: rd = R(d->dst) | R(d->src); break;
	case F_CALLX: rd = R(d->dst); wr = R(0) | CALLER_SAVED; break;
	case F_CALL: case F_CALL_LOCAL: case F_CALL_KFUNC:
		wr = R(0) | CALLER_SAVED;
		break;
	case F_EXIT: rd = R(0); break;
	default: break;
	}
	*reads = rd;
	*writes = wr;
}

/*
 * Registers that hold a value after instruction d, given those before.
 * Calls leave r0 set and r1-r5 clobbered, as on Linux.
 */
static uint16_t regs_after(const struct ub_dinsn *d, uint16_t in)
{
	uint16_t rd, wr;

	ub_insn_regs(d, &rd, &wr);
	(void)rd;
	if (wr & CALLER_SAVED && wr & R(0) && ub_opinfo[d->op].fmt != F_ATOMIC)
		return (uint16_t)((in & ~CALLER_SAVED) | R(0));
	return (uint16_t)(in | wr);
}

size_t ub_check_reg_init_scratch(size_t cnt)
{
	return cnt * (sizeof(size_t) + sizeof(uint16_t) + sizeof(bool));
}

int ub_check_reg_init(const struct ub_dinsn *d, size_t cnt, uint16_t entry_regs,
		      void *scratch, size_t *bad_idx, char *why, size_t why_sz)
{
	/* state[i]: registers set on every path reaching i; 0xffff is "not yet
	 * reached" (the top of the meet).  work is a stack of indexes to visit. */
	size_t *work = scratch;
	uint16_t *state = (uint16_t *)(work + cnt);
	bool *queued = (bool *)(state + cnt);
	size_t nwork = 0, i;
	int err = 0;

	for (i = 0; i < cnt; i++) {
		state[i] = 0xffff;
		queued[i] = false;
	}

#define PUSH(idx, regs)                                                        \
	do {                                                                   \
		size_t _t = (idx);                                             \
		uint16_t _m = (uint16_t)(state[_t] & (regs));                  \
		if (_m != state[_t] || !queued[_t]) {                          \
			if (_m != state[_t] || state[_t] == 0xffff) {          \
				state[_t] = _m;                                \
				if (!queued[_t]) {                             \
					queued[_t] = true;                     \
					work[nwork++] = _t;                    \
				}                                              \
			}                                                      \
		}                                                              \
	} while (0)

	PUSH(0, (uint16_t)(entry_regs | R(10)));
	/* Subprograms start with their arguments and frame pointer. */
	for (i = 0; i < cnt; i++)
		if (d[i].op == UB_OP_CALL_LOCAL || d[i].op == UB_OP_LDDW_CODE)
			PUSH((size_t)d[i].off, (uint16_t)(CALLER_SAVED | R(10)));
	while (nwork) {
		size_t idx = work[--nwork];
		const struct ub_dinsn *x = &d[idx];
		uint16_t rd, wr, before = state[idx], after;

		queued[idx] = false;
		if (x->op >= UB_OP__COUNT)
			continue;
		ub_insn_regs(x, &rd, &wr);
		if (rd & ~before) {
			int r = __builtin_ctz((unsigned)(rd & ~before));
			*bad_idx = idx;
			snprintf(why, why_sz, "r%d is read before it is written on some path", r);
			err = -EINVAL;
			goto out;
		}
		if (wr & R(10)) {
			*bad_idx = idx;
			snprintf(why, why_sz, "r10 is the read-only frame pointer");
			err = -EINVAL;
			goto out;
		}
		after = regs_after(x, before);
		if (x->op == UB_OP_EXIT)
			continue;
		if (ub_op_is_jump(x->op))
			PUSH((size_t)x->off, after);
		if (!ub_op_ends_block(x->op)) {
			size_t next = idx + (ub_opinfo[x->op].fmt == F_LDDW ? 2 : 1);
			if (next < cnt)
				PUSH(next, after);
		}
	}
#undef PUSH
out:
	return err;
}
