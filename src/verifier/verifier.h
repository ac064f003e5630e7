/* SPDX-License-Identifier: MIT */
/*
 * verifier.h - the static safety proof: the interface that the loader, the
 * CLI and the tests use.
 *
 * ub_verify() explores every path of a decoded program from an entry
 * state, tracking for each register its type and, for numbers and the
 * variable part of pointers, signed and unsigned ranges in 64 and 32 bits
 * and a tnum (known bits), and for the stack a type per byte with spilled
 * registers kept whole.  It refuses a program at the first instruction
 * where some path could break a rule, with one line that says what to do.
 *
 * The entry state is Linux's (r1 = context, r10 = frame pointer) unless
 * the caller describes another; the PREVAIL test harness and hosts with
 * their own calling conventions do.
 */
#ifndef USERBPF_VERIFIER_H
#define USERBPF_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/core_internal.h"
#include "isa/isa_internal.h"

/* Register types, as Linux names them. */
enum ub_rtype {
	UB_T_NOT_INIT = 0,
	UB_T_SCALAR,
	UB_T_CTX,		/* the program's context */
	UB_T_STACK,		/* the frame: off is relative to r10 (<= 0) */
	UB_T_PACKET,		/* packet data: off from data */
	UB_T_PACKET_META,
	UB_T_PACKET_END,
	UB_T_MAP_PTR,		/* a map (lddw src=1) */
	UB_T_MAP_VALUE,		/* a map value: mem_size bytes */
	UB_T_MAP_VALUE_OR_NULL,
	UB_T_MEM,		/* memory of mem_size bytes (helpers, host regions) */
	UB_T_MEM_OR_NULL,
	UB_T_FUNC,		/* a code address (lddw src=4) */
	UB_T_MAP_PTR_OR_NULL,	/* an inner map looked up in a map of maps */
	UB_T_MAP_KEY,		/* a key handed to a callback: mem_size bytes, read-only */
	UB_T__COUNT,
};

/* Entry state of one register, for callers that start from a state other
 * than Linux's. */
struct ub_vfy_entry_reg {
	uint8_t reg;		/* 0..9 */
	uint8_t type;		/* enum ub_rtype */
	/* Scalars: ranges (when has_range) for the value; pointers: for the
	 * variable offset added to off. */
	bool has_srange, has_urange;
	int64_t smin, smax;
	uint64_t umin, umax;
	int32_t off;		/* pointers: fixed offset from the region's start
				 * (stack: from r10, so <= 0) */
	uint32_t mem_size;	/* MAP_VALUE / MEM: the region's size */
};

/* A context field (from the program type's descriptor). */
enum ub_ctx_kind { UB_CTX_READ = 1, UB_CTX_WRITE = 2, UB_CTX_DATA = 4, UB_CTX_DATA_END = 8,
		   UB_CTX_DATA_META = 16 };
struct ub_ctx_field {
	uint32_t off, size;
	uint32_t kind;		/* UB_CTX_* bits */
};

/*
 * A map the program may use.  Bytecode names maps by index into
 * ub_vfy_opts.maps: `lddw rX, IDX` with src_reg 1 (BPF_PSEUDO_MAP_FD) is a
 * pointer to map IDX; with src_reg 2 (BPF_PSEUDO_MAP_VALUE) the second
 * slot's imm is an offset and rX points that far into the map's value.
 */
struct ub_vfy_map {
	uint32_t type;        /* Linux BPF_MAP_TYPE_* number */
	uint32_t key_size, value_size, max_entries, flags;  /* flags: Linux map_flags */
	bool rdonly_prog;     /* program may not write values (frozen .rodata, BPF_F_RDONLY_PROG) */
	bool direct_value;    /* value addressable by lddw src=2 (array with 1+ entries; globals) */
	int32_t inner;        /* map-in-map: index (in the same table) of the inner template; -1 */
	/* 1 + the offset of the value's struct bpf_spin_lock / bpf_timer as
	 * BTF declares them, 0 when not declared (zeroed: none).  A declared
	 * one may not be loaded or stored directly, and the helpers must be
	 * given exactly its address, as on Linux; undeclared, the helpers
	 * take any fitting, aligned offset. */
	uint32_t lock_off1, timer_off1;
};

struct ub_vfy_opts {
	/* The context r1 points to: its size and fields; a byte outside every
	 * field cannot be accessed.  NULL: a context of ctx_size bytes,
	 * readable and writable everywhere (the bpf_conformance convention). */
	const struct ub_ctx_field *ctx_fields;
	size_t nctx_fields;
	uint32_t ctx_size;
	/* NULL: Linux's entry state.  Otherwise the listed registers start as
	 * described and all others (but r10) uninitialised. */
	const struct ub_vfy_entry_reg *entry;
	size_t nentry;
	/* Stack bytes [from, to) (offsets from r10, negative) that start
	 * initialised with unknown numbers (PREVAIL's s[...] pre-states). */
	const int32_t (*stack_init)[2];
	size_t nstack_init;
	uint32_t packet_size_min;	/* bytes of packet known to exist */
	bool strict;			/* Linux's unprivileged rules */
	bool div_by_zero_is_error;	/* refuse a divisor that may be 0 */
	bool check_return;		/* r0 must lie in [ret_min, ret_max] */
	int64_t ret_min, ret_max;
	int log_level;			/* 0: the refusal; 1: its path; 2: all */
	uint64_t max_insns;		/* processed-instruction budget; 0: 1M */
	/* The maps lddw src=1/2 name by index. */
	const struct ub_vfy_map *maps;
	size_t nmaps;
	/* Refuse reads of stack bytes no path wrote (PREVAIL's rule; strict
	 * mode always does).  A root loader on Linux reads them as unknown
	 * numbers. */
	bool uninit_stack_is_error;
};

/* Facts the JIT may use, one byte per instruction. */
enum {
	UB_FACT_ZEXT_NEEDED = 1,	/* an ALU32 result: zero-extend it */
	UB_FACT_CONST_DST = 2,		/* an ALU result that is the same number,
					 * consts[i], on every path */
	UB_FACT_INDEX_BOUNDED = 4,	/* `ptr += idx` / `ptr -= idx` (ALU64, register
					 * idx) into the stack, a map value or sized
					 * memory: on every path idx lies in
					 * [0, bounds[i]] (Spectre v1 clamps) */
	UB_FACT_SPECTRE_MASK = 8,	/* with INDEX_BOUNDED in strict mode: the clamp
					 * is required, not just wanted */
};

struct ub_vfy_result {
	bool accepted;
	size_t insn;			/* where it was refused */
	char reason[512];		/* one line a person can act on */
	char *log;			/* -v/-vv text; ub_malloc'ed, may be NULL */
	size_t log_len;
	uint64_t processed;		/* instructions processed */
	uint32_t max_stack;		/* deepest stack use over a call chain */
	uint8_t *facts;			/* cnt entries, UB_FACT_*; ub_malloc'ed */
	uint32_t *bounds;		/* cnt entries: the bound of UB_FACT_INDEX_BOUNDED
					 * (meaningless elsewhere); ub_malloc'ed */
	uint64_t *consts;		/* cnt entries: the number of UB_FACT_CONST_DST;
					 * ub_malloc'ed */
	bool exit_reachable;		/* some path reaches a final exit */
	uint32_t max_ctx_end;		/* end of the furthest context byte accessed
					 * (Linux's max_ctx_offset) */
};

/*
 * Verifies the decoded program d[cnt] (insns is the bytecode it came from,
 * for messages) against the runtime's helper prototypes.  Returns 0 with
 * res->accepted telling the verdict, or a negative errno when it could
 * not run (out of memory).  res is the caller's; free its parts with
 * ub_vfy_result_free().
 */
int ub_verify(struct userbpf_rt *rt, const struct ub_dinsn *d, const struct userbpf_insn *insns,
	      size_t cnt, const struct ub_vfy_opts *opts, struct ub_vfy_result *res);
void ub_vfy_result_free(struct userbpf_rt *rt, struct ub_vfy_result *res);

const char *ub_rtype_name(int type);

#endif
