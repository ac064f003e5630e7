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
};

/* Byte kinds of the stack. */
enum { S_INVALID = 0, S_MISC, S_ZERO, S_SPILL };

struct vframe {
	struct vreg regs[11];
	uint8_t slot[VF_STACK];		/* byte kinds, index = 512 + offset */
	struct vreg spill[VF_STACK / 8];/* where the 8 bytes are S_SPILL */
	uint32_t callsite;		/* insn of the call that made it */
	uint32_t subprog;
};

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
};

/* A frame kept in a checkpoint: only the stack bytes in use. */
struct cframe {
	struct vreg regs[11];
	uint32_t callsite;
	uint16_t base;			/* bytes below it are S_INVALID */
	uint8_t *slot;			/* VF_STACK - base bytes, in the same block */
	struct vreg *spill;		/* (VF_STACK - base) / 8 slots */
};

struct ckpt {
	uint8_t nframes;
	struct cframe *fr[VF_FRAMES];
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
