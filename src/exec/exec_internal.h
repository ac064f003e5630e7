/* SPDX-License-Identifier: MIT */
/*
 * exec_internal.h - loaded programs and the state of one run.
 *
 * A program is decoded once at load (src/isa) into an array of
 * struct ub_dinsn with helper addresses resolved; the executors read only
 * that array.  struct userbpf_call is the state of one invocation: the
 * memory checked mode may touch, the tail-call count, a pending abort.
 */
#ifndef USERBPF_EXEC_INTERNAL_H
#define USERBPF_EXEC_INTERNAL_H

#include "core/core_internal.h"
#include "isa/isa_internal.h"

#define UB_STACK_SIZE 512	/* bytes per frame, as Linux's MAX_BPF_STACK */
#define UB_MAX_FRAMES 8		/* as Linux's MAX_CALL_FRAMES */
#define UB_MAX_TAIL_CALLS 33	/* as Linux's MAX_TAIL_CALL_CNT */

struct userbpf_prog {
	struct userbpf_rt *rt;
	char *name;			/* owned */
	struct userbpf_insn *insns;	/* owned copy of the bytecode */
	struct ub_dinsn *d;		/* owned, one per slot */
	size_t cnt;
	uint16_t entry_regs;
	bool trusted;			/* proved safe: runs without checks */
	bool jit_blind;			/* constant blinding asked at load */
	uint32_t verified_mem;		/* verified for r1 = this many bytes, r2 = it */
	uint32_t max_ctx_end;		/* verified: end of the furthest context byte
					 * it touches (Linux's max_ctx_offset) */
	/* What the verifier proved, for the JIT (src/exec/jit_internal.h
	 * says how each back end uses it), or NULL: per instruction (cnt
	 * entries) UB_FACT_* bits, and for UB_FACT_INDEX_BOUNDED the bound.
	 * Not owned: whoever sets them keeps them alive while the program
	 * may still be compiled. */
	const uint8_t *facts;
	const uint32_t *fact_bound;
	const uint64_t *fact_const;	/* for UB_FACT_CONST_DST: the number */
	uint8_t *vfy_facts;		/* owned: the verifier's, which facts points to */
	uint32_t *vfy_bounds;		/* owned: the verifier's, which fact_bound points to */
	uint64_t *vfy_consts;		/* owned: the verifier's, which fact_const points to */
	void *jit_code;			/* sealed pages (W^X), or NULL */
	size_t jit_size;
	size_t jit_len;			/* bytes of code in jit_code */
	int jit_err;			/* the JIT refused this program */
	struct userbpf_map **maps;	/* owned array of references */
	size_t map_cnt;
	uint32_t id;			/* the runtime's id */
	const struct userbpf_prog_type *type; /* the runtime's copy, or NULL */
	uint32_t prog_flags;		/* load flags */
	struct userbpf_prog_stats *stats; /* counted runs, or NULL; not owned */
};

struct userbpf_call {
	struct userbpf_rt *rt;
	const struct userbpf_prog *prog;  /* the program running now */
	const struct ub_dinsn *pc;	  /* the instruction being run */
	const struct userbpf_region *user_regions; /* the caller's */
	size_t user_region_cnt;
	struct userbpf_region *regions;	  /* added by helpers; owned */
	size_t region_cnt, region_cap;
	int pending;			  /* nonzero: abort or tail call */
	int abort_err;
	struct userbpf_prog *tail_target;
	uint32_t tail_cnt;
	uint64_t prng;			  /* bpf_get_prandom_u32 state */
	uint64_t tail_ctx;		  /* r1 handed to a pending tail call */
	bool fast;			  /* running without checks: tail calls
					   * may reach trusted programs only */
	uint64_t jit_rsp;		  /* JIT: stack of the entry frame */
	uint64_t callx_id;		  /* JIT: helper id for callx */
	uint64_t budget;		  /* instructions left; 0: none */
	uint64_t executed;
	void *user;
	const uint8_t *pkt;
	size_t pkt_len;
	const struct ub_dinsn *entry;	  /* interpreter: start here, not at 0 */
	uint8_t *stack_lo, *stack_hi;	  /* interpreter: its stack frames */
	bool in_jit;			  /* the JIT runs this call */
	struct userbpf_ctx_header *ctx_hdr; /* before r1's context, or NULL */
};

/*
 * Sets up a call for prog: every field written one by one, so that the
 * compiler emits plain stores (a memset of the struct became `rep stos`,
 * a third of a run's fixed cost).  A new field must be set here; the
 * assertion below catches one that grows the struct (not one that fits
 * in padding: look for a gap before adding a small field).
 */
static inline void ub_call_init(struct userbpf_call *c, struct userbpf_rt *rt,
				const struct userbpf_prog *prog)
{
	c->rt = rt;
	c->prog = prog;
	c->pc = NULL;
	c->user_regions = NULL;
	c->user_region_cnt = 0;
	c->regions = NULL;
	c->region_cnt = 0;
	c->region_cap = 0;
	c->pending = 0;
	c->abort_err = 0;
	c->tail_target = NULL;
	c->tail_cnt = 0;
	c->prng = 0;
	c->tail_ctx = 0;
	c->fast = false;
	c->jit_rsp = 0;
	c->callx_id = 0;
	c->budget = 0;
	c->executed = 0;
	c->user = NULL;
	c->pkt = NULL;
	c->pkt_len = 0;
	c->entry = NULL;
	c->stack_lo = NULL;
	c->stack_hi = NULL;
	c->in_jit = false;
	c->ctx_hdr = NULL;
}
_Static_assert(sizeof(struct userbpf_call) == 26 * sizeof(void *),
	       "a field was added to struct userbpf_call: set it in ub_call_init()");

enum { UB_PENDING_ABORT = 1, UB_PENDING_TAIL = 2,
       UB_PENDING_EXIT0 = 4 /* a packet load fell outside: r0 = 0, stop */ };

/* Interpreter entry points: checked (bounds every access, counts the
 * budget) and fast (for proved-safe programs); each with computed-goto and
 * switch dispatch built from the same source (interp_loop.h). */
typedef int (*ub_interp_fn)(struct userbpf_call *c, const uint64_t args[5],
			    uint64_t *ret);
int ub_interp_checked_goto(struct userbpf_call *c, const uint64_t args[5], uint64_t *ret);
int ub_interp_fast_goto(struct userbpf_call *c, const uint64_t args[5], uint64_t *ret);
int ub_interp_checked_switch(struct userbpf_call *c, const uint64_t args[5], uint64_t *ret);
int ub_interp_fast_switch(struct userbpf_call *c, const uint64_t args[5], uint64_t *ret);

/* Internal knob for tests: which dispatch the interpreter uses. */
enum ub_dispatch { UB_DISPATCH_GOTO, UB_DISPATCH_SWITCH };
int ub_prog_run_dispatch(struct userbpf_prog *prog, const struct userbpf_run_opts *opts,
			 enum ub_dispatch dispatch, uint64_t *ret);
/* Runs the program `repeat` times in one invocation set-up (a test run's
 * loop, as Linux's bpf_test_run): r0 of the last run in *ret, the time of
 * all runs in *elapsed_ns (may be NULL).  0 or a negative errno. */
int ub_prog_run_n(struct userbpf_prog *prog, const struct userbpf_run_opts *opts,
		  enum ub_dispatch dispatch, uint32_t repeat, uint64_t *ret, uint64_t *elapsed_ns);

/* Loads a program; pseudo_ok allows the lddw forms whose imm the object
 * loader has already resolved to a map or value address. */
struct userbpf_prog *ub_prog_load(struct userbpf_rt *rt, const struct userbpf_insn *insns,
				  size_t cnt, const struct userbpf_prog_opts *opts,
				  bool pseudo_ok, int *err);

/*
 * The legacy packet loads (LD_ABS/LD_IND), for every engine: size bytes at
 * offset off of the run's packet, in network order.  Returns false when
 * the bytes lie outside the packet: Linux then ends the program with 0.
 */
static inline bool ub_pkt_load(const struct userbpf_call *c, int64_t off, unsigned size,
			       uint64_t *val)
{
	const uint8_t *p;

	if (off < 0 || !c->pkt || (uint64_t)off + size > c->pkt_len)
		return false;
	p = c->pkt + off;
	*val = size == 1 ? p[0] : size == 2 ? (uint64_t)((p[0] << 8) | p[1]) :
	       ((uint64_t)p[0] << 24) | ((uint64_t)p[1] << 16) | ((uint64_t)p[2] << 8) | p[3];
	return true;
}

/*
 * For helpers that call back into the program (bpf_loop,
 * bpf_for_each_map_elem, timers): runs the function at code address fn (a
 * lddw src=4 value) of the running program with r1..r5 = args, in a new
 * frame; the caller's stack stays reachable through pointers.  Returns 0
 * with r0 in *ret, or a negative errno (the run is then aborted).
 */
int ub_call_callback(struct userbpf_call *c, uint64_t fn, const uint64_t args[5],
		     uint64_t *ret);

/*
 * Runs the program's function at code address fn (lddw src=4) as a run of
 * its own, in the interpreter (fast when the program is trusted, else
 * checked with regs), with r1..r5 = args: timer callbacks.
 */
int ub_prog_run_at(struct userbpf_prog *prog, uint64_t fn, const uint64_t args[5],
		   const struct userbpf_region *regs, size_t nregs, uint64_t *ret);

/* Reports a run-time fault at the current instruction and returns err. */
int ub_run_fault(struct userbpf_call *c, int err, const char *fmt, ...) UB_PRINTF(3, 4);

/* Checked mode: is [addr, addr+size) inside a registered region? */
bool ub_call_mem_ok(const struct userbpf_call *c, uint64_t addr, size_t size,
		    bool write);

#endif
