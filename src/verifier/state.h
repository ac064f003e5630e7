/* SPDX-License-Identifier: MIT */
/*
 * state.h - the abstract machine state the verifier explores: registers,
 * frames with a per-byte stack and spilled registers, and the checkpoints
 * kept at prune points.
 */
#ifndef USERBPF_VERIFIER_STATE_H
#define USERBPF_VERIFIER_STATE_H

#include "verifier/verifier.h"
#include "verifier/scalar.h"

#define VF_STACK 512
#define VF_FRAMES 8
#define VF_TRAIL 64		/* branch decisions kept for -v */

struct vreg {
	uint8_t type;		/* enum ub_rtype */
	uint8_t frameno;	/* UB_T_STACK: the frame pointed into */
	int32_t off;		/* pointers: fixed offset */
	struct ub_sc v;		/* scalar value, or the variable offset */
	uint32_t id;		/* _OR_NULL: shared by copies; packet: range group */
	uint32_t range;		/* packet: bytes proved inside, from data */
	uint32_t mem_size;	/* MAP_VALUE, MEM */
	uint32_t origin;	/* insn that made it (for messages) */
	uint32_t ref;		/* acquired memory (ringbuf): its reference id */
	uint16_t map;		/* MAP_PTR, MAP_VALUE(_OR_NULL): 1 + index into opts->maps */
};

/* Byte kinds of the stack. */
enum { S_INVALID = 0, S_MISC, S_ZERO, S_SPILL };

/* Callback frames (bpf_loop, bpf_for_each_map_elem, timers). */
enum { CB_NONE = 0, CB_SYNC, CB_ASYNC };

struct cbsnap;

struct vframe {
	struct vreg regs[11];
	struct cbsnap *snap;		/* CB_SYNC: the callers at the last entry (counted) */
	uint32_t epoch;			/* CB_SYNC: which entry of the callback this is */
	uint8_t cb;			/* CB_* */
	uint8_t slot[VF_STACK];		/* byte kinds, index = 512 + offset */
	struct vreg spill[VF_STACK / 8];/* where the 8 bytes are S_SPILL */
	uint32_t callsite;		/* insn of the call that made it */
	uint32_t subprog;
};

/*
 * A synchronous callback is called 0..N times at its helper call.  The
 * snapshot keeps the caller frames as they were at the last entry (widened
 * with each new entry) and the callback's entry registers: a return that
 * the snapshot covers needs no further call, one it does not is joined
 * into it and explored again, which terminates since joins only widen.
 * Immutable once made; shared by reference count.
 */
struct cbsnap {
	int refcnt;
	uint8_t nframes;		/* caller frames */
	uint8_t nrefs;			/* references held at entry */
	uint32_t target;		/* the callback's first instruction */
	struct vreg args[6];		/* the callback's r0..r5 at entry */
	struct vframe *fr[VF_FRAMES];
};

#define VF_REFS 16

struct ckpt;

struct vstate {
	uint32_t insn;
	uint8_t nframes;
	struct vframe *fr[VF_FRAMES];
	struct ckpt *parent;		/* the last checkpoint on this path */
	uint32_t since_insns;		/* since the last checkpoint on this path */
	uint32_t since_jmps;
	uint16_t ntrail;
	uint32_t trail[VF_TRAIL];	/* insn << 1 | taken */
	uint8_t nrefs;			/* ringbuf reservations held */
	uint32_t refs[VF_REFS];		/* their reference ids */
	uint32_t ref_insn[VF_REFS];	/* where each was made */
	uint16_t lock_map;		/* bpf_spin_lock held: 1 + map, 0 none */
	uint32_t lock_off;
};

/* A frame kept in a checkpoint: only the stack bytes in use. */
struct cframe {
	struct vreg regs[11];
	uint32_t callsite;
	uint32_t epoch;
	uint8_t cb;
	uint16_t base;			/* bytes below it are S_INVALID */
	uint8_t *slot;			/* VF_STACK - base bytes, in the same block */
	struct vreg *spill;		/* (VF_STACK - base) / 8 slots */
};

struct ckpt {
	uint8_t nframes;
	struct cframe *fr[VF_FRAMES];
	uint8_t nrefs;
	uint32_t refs[VF_REFS];
	uint16_t lock_map;
	uint32_t lock_off;
	uint64_t hash;			/* of the whole state, for loop detection */
	uint32_t hit, miss;		/* pruning statistics, for eviction */
	uint32_t insn;
	bool live;			/* in the hash table of unfinished ones */
	struct ckpt *hnext;		/* hash chain (unfinished) */
	struct ckpt *next;		/* same insn (finished) */
	struct ckpt *parent;
	int branches;			/* paths below still being explored */
};

#endif
