/* SPDX-License-Identifier: MIT */
/*
 * isa_internal.h - decoded instructions and the operations on the ISA that
 * every other layer shares: decoding and validating a program, printing an
 * instruction as llvm-objdump does, and assembling bpf_conformance text.
 *
 * All of it is generated from the one table in opcodes.h.
 */
#ifndef USERBPF_ISA_INTERNAL_H
#define USERBPF_ISA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "userbpf/userbpf.h"
#include "isa/opcodes.h"

/* Variant kinds: which field tells apart instructions sharing an opcode. */
enum ub_vkind { V_NONE, V_OFF, V_IMM, V_SRC };

/* Fields that must be zero. */
enum { Z_DST = 1, Z_SRC = 2, Z_OFF = 4, Z_IMM = 8 };

/* Operand shapes. */
enum ub_fmt {
	F_LDDW, F_LDABS, F_LDIND, F_LDX, F_LDXS, F_ST, F_STX, F_ATOMIC,
	F_ALU_K, F_ALU_X, F_NEG, F_MOVSX, F_END, F_BSWAP,
	F_JA, F_JA32, F_JMP_K, F_JMP_X, F_CALL, F_CALL_LOCAL, F_CALL_KFUNC,
	F_CALLX, F_EXIT,
};

enum ub_op {
#define UB_X_ENUM(id, code, vk, vv, zero, fmt, w, cpu, asm, sym) UB_OP_##id,
	UB_OPCODES(UB_X_ENUM)
#undef UB_X_ENUM
	UB_OP__COUNT,
	/* Stands in the decoded array for the second slot of lddw; never run. */
	UB_OP__LDDW_HI = UB_OP__COUNT,
};

struct ub_opinfo {
	const char *id;	 /* "ADD64_K" */
	uint8_t code;
	uint8_t vkind;	 /* enum ub_vkind */
	int32_t vval;
	uint8_t zero;	 /* Z_* mask */
	uint8_t fmt;	 /* enum ub_fmt */
	uint8_t width;	 /* bits for ALU/JMP/END, bytes for memory */
	uint8_t cpu;
	const char *asm_name;
	const char *sym;
};

extern const struct ub_opinfo ub_opinfo[UB_OP__COUNT];

/* Class of an opcode byte (RFC 9669 section 3). */
#define UB_CLASS(code) ((code) & 0x07)
enum { UB_CLS_LD, UB_CLS_LDX, UB_CLS_ST, UB_CLS_STX, UB_CLS_ALU, UB_CLS_JMP,
       UB_CLS_JMP32, UB_CLS_ALU64 };

/*
 * A decoded instruction: the op is resolved, jump and call targets are
 * absolute instruction indexes, and lddw's two halves are one 64-bit imm.
 * The decoded array has one entry per slot so that indexes agree with the
 * bytecode; the second slot of lddw holds UB_OP__LDDW_HI.
 */
struct ub_dinsn {
	uint16_t op;
	uint8_t dst;
	uint8_t src;
	int32_t off;	/* memory offset, or the target index of jumps/calls */
	int64_t imm;
};

#define UB_MAX_INSNS (1u << 20)  /* 1M slots, Linux's BPF_COMPLEXITY limit */

/*
 * Finds the op of one slot, checking reserved fields and register numbers.
 * Returns the op (>= 0), or -EINVAL with a reason in why.
 */
int ub_decode_op(const struct userbpf_insn *in, char *why, size_t why_sz);

/*
 * Decodes and validates a whole program of cnt slots into out[cnt]:
 * encodings, lddw pairs, jump and call targets (inside the program, not
 * into the middle of lddw), and that the last instruction is a jump or exit.
 * On error returns -EINVAL, sets *bad_idx and writes the reason into why.
 */
int ub_decode_prog(const struct userbpf_insn *in, size_t cnt,
		   struct ub_dinsn *out, size_t *bad_idx, char *why,
		   size_t why_sz);

/*
 * Forward data flow over the decoded program: refuses a read of a register
 * that is not written on every path to it, and any write to r10.
 * entry_regs: bit N set when rN holds a value at entry.  scratch is the
 * caller's, of ub_check_reg_init_scratch(cnt) bytes, aligned for size_t.
 * Returns 0, or -EINVAL with *bad_idx and why.
 */
size_t ub_check_reg_init_scratch(size_t cnt);
int ub_check_reg_init(const struct ub_dinsn *d, size_t cnt, uint16_t entry_regs,
		      void *scratch, size_t *bad_idx, char *why, size_t why_sz);

/* Which registers an instruction reads and writes (bit N for rN). */
void ub_insn_regs(const struct ub_dinsn *d, uint16_t *reads, uint16_t *writes);

/* Successor kinds used by every pass that walks the control flow graph. */
bool ub_op_is_jump(int op);	   /* any JA/JMP/JMP32 with a target */
bool ub_op_is_cond_jump(int op);
bool ub_op_ends_block(int op);	   /* exit, ja, ja32 */

/*
 * Assembles text in llvm-objdump's BPF syntax, and PREVAIL's dialect of it
 * (see asm_llvm.c), into *out (malloc'ed, the caller frees it) of *cnt
 * slots.  Labels are lines `<name>:` or `name:`.  Returns 0, or -EINVAL
 * with "line N: reason" in err (-ENOMEM when out of memory).
 */
int ub_asm_llvm(const char *text, struct userbpf_insn **out, size_t *cnt, char *err,
		size_t err_sz);

#endif /* USERBPF_ISA_INTERNAL_H */
