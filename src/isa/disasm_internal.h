/* SPDX-License-Identifier: MIT */
/*
 * disasm_internal.h - the disassembler's internal interface: one
 * instruction with style flags, and whole programs (raw slots or decoded
 * instructions) printed with their indexes for the CLI's
 * `prog dump xlated` and for verifier messages.
 *
 * The text is llvm-objdump's BPF syntax (see disasm.c for where and why it
 * departs from llvm-objdump 14, which predates cpu v4).
 */
#ifndef USERBPF_ISA_DISASM_INTERNAL_H
#define USERBPF_ISA_DISASM_INTERNAL_H

#include <stddef.h>
#include <stdio.h>
#include "isa/isa_internal.h"

enum ub_disasm_flags {
	/* Print sub-64-bit LDX/STX/atomic-add operands as w registers, as
	 * llvm-objdump --mattr=+alu32 does.  Without it the text is that of
	 * plain llvm-objdump -d. */
	UB_DISASM_ALU32 = 1u << 0,
	/* Program dumps only: a "(op) " opcode column after the index, as
	 * bpftool prog dump xlated prints it. */
	UB_DISASM_OPCODE = 1u << 1,
};

/*
 * Prints the instruction at insns[0] (cnt bounds lddw) into buf, which is
 * always NUL-terminated when buf_sz > 0 (the text is cut if it does not
 * fit).  Returns the slots consumed (1 or 2), or -EINVAL with the reason
 * in buf.  userbpf_disasm_insn() is this with flags 0.
 */
int ub_disasm_insn(const struct userbpf_insn *insns, size_t cnt,
		   unsigned flags, char *buf, size_t buf_sz);

/*
 * Prints the decoded instruction d[idx] of a program of cnt entries, as
 * the bytecode it came from would print.  Returns 1 or 2 as above, or
 * -EINVAL (for the second half of lddw, or an entry that is not an op).
 */
int ub_disasm_dinsn(const struct ub_dinsn *d, size_t cnt, size_t idx,
		    unsigned flags, char *buf, size_t buf_sz);

/*
 * Prints a whole program, one line per instruction: "%4zu: text\n" (with
 * UB_DISASM_OPCODE, "%4zu: (%02x) text\n").  A slot that does not decode
 * prints as "<invalid: reason>" and the dump goes on with the next slot.
 * Returns 0, -EINVAL when some slot was invalid, or -EIO when the stream
 * failed.  Nothing is kept; f stays the caller's.
 */
int ub_disasm_prog_file(FILE *f, const struct userbpf_insn *insns, size_t cnt,
			unsigned flags);
int ub_disasm_dprog_file(FILE *f, const struct ub_dinsn *d, size_t cnt,
			 unsigned flags);

/*
 * The same into buf (NUL-terminated when buf_sz > 0, cut when too small).
 * *len (when non-NULL) receives the length the whole text needs, without
 * the NUL, as snprintf counts it.  Returns 0 or -EINVAL as above.
 */
int ub_disasm_prog_buf(char *buf, size_t buf_sz, size_t *len,
		       const struct userbpf_insn *insns, size_t cnt,
		       unsigned flags);

#endif /* USERBPF_ISA_DISASM_INTERNAL_H */
