/* SPDX-License-Identifier: MIT */
/*
 * scalar.h - the numeric domain of the verifier.
 *
 * A scalar is described by a tnum (which bits are known, and their values)
 * together with unsigned and signed ranges, in 64 bits and for the low 32
 * bits.  Each operation computes all of them; ub_sc_sync() then lets each
 * part sharpen the others, and reports a contradiction (an empty set: the
 * path cannot happen).  Every function here must be sound: the result
 * contains every concrete result of the operation on members of the inputs
 * (tests/verifier/domain.c checks this on random samples).
 */
#ifndef USERBPF_VERIFIER_SCALAR_H
#define USERBPF_VERIFIER_SCALAR_H

#include <stdbool.h>
#include <stdint.h>

struct ub_tnum {
	uint64_t v;	/* known bit values */
	uint64_t m;	/* unknown bits */
};

struct ub_sc {
	struct ub_tnum t;
	uint64_t umin, umax;
	int64_t smin, smax;
	uint32_t u32min, u32max;
	int32_t s32min, s32max;
};

struct ub_tnum ub_tn_const(uint64_t v);
struct ub_tnum ub_tn_unknown(void);
struct ub_tnum ub_tn_range(uint64_t min, uint64_t max);
bool ub_tn_is_const(struct ub_tnum a);
bool ub_tn_in(struct ub_tnum a, struct ub_tnum b);	/* b within a */
struct ub_tnum ub_tn_intersect(struct ub_tnum a, struct ub_tnum b);
struct ub_tnum ub_tn_union(struct ub_tnum a, struct ub_tnum b);

struct ub_sc ub_sc_unknown(void);
struct ub_sc ub_sc_const(uint64_t v);
/* Values of `bits` (8, 16, 32) zero-extended, unknown otherwise. */
struct ub_sc ub_sc_unknown_bits(unsigned bits);
bool ub_sc_is_const(const struct ub_sc *s);
/* Sharpens each part from the others; false when the set is empty. */
bool ub_sc_sync(struct ub_sc *s);
/* s within o (o covers s). */
bool ub_sc_in(const struct ub_sc *o, const struct ub_sc *s);
/* The smallest description covering both (join). */
struct ub_sc ub_sc_join(const struct ub_sc *a, const struct ub_sc *b);

/*
 * dst = dst OP src for an ALU operation (RFC 9669 op nibble: 0x00 add ...
 * 0xc0 arsh; 0xb0 mov; 0x80 neg), in 64 bits (w64) or 32 bits (result
 * zero-extended).  Division and modulo follow BPF (x/0 = 0, x%0 = x).
 */
struct ub_sc ub_sc_alu(unsigned op, bool w64, const struct ub_sc *dst, const struct ub_sc *src);
/* Sign extension of the low `bits` (8, 16, 32) to 64 or 32 bits. */
struct ub_sc ub_sc_sext(const struct ub_sc *s, unsigned bits, bool w64);
/* Truncation to the low `bits` (zero-extended). */
struct ub_sc ub_sc_trunc(const struct ub_sc *s, unsigned bits);
/* Byte swaps: le/be/bswap of width bits. */
struct ub_sc ub_sc_swap(const struct ub_sc *s, unsigned bits, bool swap);

/*
 * Refines a and b for the branch where `a OP b` holds (OP: the jump op
 * nibble 0x10 jeq .. 0xd0 jsle; w64 false for JMP32).  Returns false when
 * the branch cannot be taken.  The caller passes copies.
 */
bool ub_sc_branch(unsigned op, bool w64, bool taken, struct ub_sc *a, struct ub_sc *b);

/* Does the comparison have a known outcome?  1 always, 0 never, -1 unknown. */
int ub_sc_cmp_known(unsigned op, bool w64, const struct ub_sc *a, const struct ub_sc *b);

#endif
