/* SPDX-License-Identifier: MIT */
/*
 * jit_internal.h - the interface between the JIT driver (jit.c) and the
 * per-architecture back ends (jit_x86_64.c, later jit_arm64.c).
 *
 * A back end turns a decoded, trusted program into machine code in a
 * buffer it grows with the runtime's allocator.  The driver copies that
 * into pages that are made executable only after they stop being writable
 * (W^X), calls the code, and handles what the code hands back (helper
 * aborts, tail calls).
 *
 * Generated code is called as
 *     uint64_t entry(uint64_t r1, r2, r3, r4, r5, struct userbpf_call *c)
 * and returns r0.  When a helper leaves c->pending set, the code unwinds to
 * its entry frame and returns at once; the driver looks at c->pending.
 */
#ifndef USERBPF_JIT_INTERNAL_H
#define USERBPF_JIT_INTERNAL_H

#include "exec/exec_internal.h"

/*
 * Facts (prog->facts, prog->fact_bound, prog->fact_const; any may be NULL).  The bits are
 * the verifier's (UB_FACT_*, src/verifier/verifier.h); a back end reads
 * them so:
 *   UB_FACT_ZEXT_NEEDED - on an instruction whose result is 32 bits wide
 *     (ALU32, le32/be32-style truncations, 32-bit cmpxchg into r0): set
 *     when some later instruction reads the upper half of that result.
 *     With facts given and the bit clear, the JIT may skip the explicit
 *     zero-extension it would emit (x86: `w = w`, le32, the mov eax, eax
 *     after a 32-bit cmpxchg); with no facts every such zero-extension
 *     stays.
 *   UB_FACT_INDEX_BOUNDED - on `ptr += idx` or `ptr -= idx` (ALU64, a
 *     register source): idx was proved to lie in [0, fact_bound[i]] on
 *     every path.  The JIT then clamps idx so that also under
 *     speculation (Spectre v1: a mispredicted bounds check) it stays
 *     in range: x86 `and`s with the bound when the bound is 2^k - 1,
 *     else compares and cmovs it to 0; arm64 compares, csels it to 0
 *     and puts a csdb barrier after.  Same result architecturally.
 *     Ignored when fact_bound is NULL, and unless UB_FACT_SPECTRE_MASK
 *     (strict mode) is set too or the program is hardened (blinded).
 *   UB_FACT_CONST_DST - on an ALU instruction whose result is the same
 *     number, fact_const[i], on every path: the x86 JIT loads the number
 *     instead of computing it (when the instruction is emitted on its
 *     own, not fused into a neighbour).  Ignored when fact_const is NULL.
 */
typedef uint64_t (*ub_jit_entry)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				 uint64_t r5, struct userbpf_call *c);

struct ub_jit_opts {
	bool blind;		/* constant blinding */
	bool win64;		/* Win64 calling convention for entry and helpers */
};

struct ub_jit_out {
	uint8_t *code;		/* from ub_malloc; the caller frees */
	size_t len;
	size_t entry;		/* offset of the entry point */
};

/* The x86-64 back end.  Returns 0, or a negative errno with a message
 * logged (-EOPNOTSUPP for programs it does not handle, which then run in
 * the interpreter). */
int ub_jit_x86_64(const struct userbpf_prog *prog, const struct ub_jit_opts *o,
		  struct ub_jit_out *out);

/* The AArch64 back end; same contract as ub_jit_x86_64.  Portable C:
 * it compiles (and can be tested) on any host. */
int ub_jit_arm64(const struct userbpf_prog *prog, const struct ub_jit_opts *o,
		 struct ub_jit_out *out);

/*
 * For the back ends: marks in entry[cnt] the first instruction of every
 * function (the main one and each bpf2bpf callee).  Returns -EOPNOTSUPP
 * for what no back end compiles (a call back into the main function,
 * whose prologue sets up the run; a tail call inside a callee, which
 * would have to return into its caller): the interpreter runs those.
 */
int ub_jit_functions(const struct userbpf_prog *prog, bool *entry);

/*
 * Loop idioms (jit_loops.c).  ub_loop_idiom_find(p, x, out) answers
 * whether the cycle through instruction x is a set/iota, copy, compare or
 * 16-bit sum loop as that file describes, and fills *out.  What a back
 * end may then do, in code placed before x that runs only when x is
 * reached other than by the loop's own jump back (out->latch; that jump
 * must land after it): run K iterations of the loop as a block operation
 * and add K * step to every IV, for any K with
 *   - K <= T for each index test, where T is the number of the iteration
 *     in which it leaves: with v = R[reg] + off (as it stands at the
 *     test, in iteration 0), b = R[bound_reg] + bound (bound alone when
 *     bound_reg < 0; the mem-byte value at that address when mem), both
 *     truncated to 32 bits when w32, and s = step, the loop stays while
 *     v + t*s REL b: for NE, T = (b - v) / s when s divides b - v exactly
 *     (else the test never leaves: K must be 0); for LT/LE (s > 0) and
 *     GT/GE (s < 0), the first t for which the relation fails.  So at
 *     least the iteration that leaves is left to the ordinary code, which
 *     then also sets the temporaries as the last iteration does;
 *   - copy: the destination minus the source (a[1] - a[0], as computed at
 *     the head, mod 2^64) not in [1, C - 1], where the block operation
 *     reads C bytes before writing them (a forward copy with a smaller
 *     distance feeds later elements from earlier ones);
 *   - compare: K stops before the first block of w-byte elements that is
 *     not all equal (the ordinary code then finds the difference);
 *   - sum16: w[acc_reg] (32 bits, then zero-extended) gets the sum of the
 *     K 16-bit words at a[0] + 2i (big-endian when swap).
 * Registers in out->temps are dead at x (scratch for the block code).
 * Element i of stream q is at a[q] + i * w; a set stores the low w bytes
 * of (R[val_reg] or 0) + val + i * val_step.
 */
enum { UB_LOOP_SET = 1, UB_LOOP_COPY, UB_LOOP_CMP, UB_LOOP_SUM16 };
enum { UB_REL_NE = 1, UB_REL_LT, UB_REL_LE, UB_REL_GT, UB_REL_GE };

struct ub_loop_addr {
	int8_t base, index;	/* BPF registers; index < 0: none */
	uint8_t scale;		/* index * 2^scale */
	int32_t disp;
};

struct ub_loop_test {
	uint8_t reg;		/* the IV */
	int64_t off, step;
	uint8_t rel;		/* UB_REL_*: stays while v REL b */
	bool w32;
	int8_t bound_reg;
	int64_t bound;
	uint8_t mem;		/* 0, or b is loaded: this many bytes */
};

struct ub_loop_idiom {
	uint8_t kind;		/* UB_LOOP_* */
	uint8_t w;		/* element width: 1, 2, 4, 8 */
	size_t latch;		/* the instruction that jumps back to x */
	struct ub_loop_addr a[2]; /* set, sum16: a[0]; copy: a[0] from, a[1] to */
	int8_t val_reg;		/* set: the value */
	int64_t val, val_step;
	int8_t acc_reg;		/* sum16: the sum */
	bool swap;
	uint8_t ntest;		/* index tests: 1 or 2 */
	struct ub_loop_test test[2];
	uint16_t temps;		/* bit per BPF register */
	uint8_t niv;
	struct { uint8_t reg; int64_t step; } iv[10];
};

bool ub_loop_idiom_find(const struct userbpf_prog *p, size_t x, struct ub_loop_idiom *out);

/* Called by generated code for callx with a helper id (c->callx_id). */
uint64_t ub_jit_callx_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			     uint64_t r5, struct userbpf_call *c);

/* Called by generated code for the legacy packet loads: the value in
 * network order, or 0 with UB_PENDING_EXIT0 set when outside the packet. */
uint64_t ub_jit_ld_pkt(uint64_t off, uint64_t size, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct userbpf_call *c);

/* Compiles prog (once) and runs it; used by prog.c for the JIT engine. */
int ub_jit_run(struct userbpf_prog *prog, struct userbpf_call *c, const uint64_t args[5],
	       uint64_t *ret);
/* Frees the code of prog. */
void ub_jit_free(struct userbpf_prog *prog);
/* Compiles prog now (jit_code, jit_len) without running it; 0 or -errno. */
int ub_jit_compile(struct userbpf_prog *prog);
/* Whether this build has a JIT for the CPU it runs on. */
bool ub_jit_available(void);
/* Constant blinding: the key of instruction i of a compile whose random
 * seed is seed, the same in every pass; no 16-bit half of it is zero, so
 * no half of a blinded value (an x86 imm32, an arm64 movz/movk) is the
 * program's own. */
uint64_t ub_jit_blind_key(uint64_t seed, size_t i);
/* The random seed of one blinded compile of prog: 0, or -EOPNOTSUPP
 * (logged) when the OS gives no random numbers: then the program gets no
 * JIT code rather than unblinded code, and the interpreter runs it. */
int ub_jit_blind_seed(const struct userbpf_prog *prog, uint64_t *seed);

#endif
