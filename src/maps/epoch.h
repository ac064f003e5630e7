/* SPDX-License-Identifier: MIT */
/*
 * epoch.h - epoch-based reclamation for maps whose elements are unlinked
 * while lock-free readers may still hold them (the hash families).
 *
 * The whole state lives in the map's shared memory, so readers and
 * writers in several processes take part:
 *
 *     global      the epoch, a counter that only grows
 *     slots[]     one 64-byte word per reader in a critical section:
 *                 0 when free, else (epoch << 22 | pid), the epoch the
 *                 reader saw when it entered and its process id
 *
 * A reader claims a free slot (starting at its CPU's) with the current
 * epoch, reads, and frees the slot.  The epoch moves from G to G+1 only
 * when every claimed slot shows G.  An element unlinked and then retired
 * at epoch E (read after the unlink) can be reused once the epoch is E+2:
 * every reader that could have seen it had entered at E or before, and
 * left before the epoch could pass E+1.  Retired elements wait in three
 * lists per shard, by E mod 3 (see map_hash.c).
 *
 * A reader never waits for writers; a writer never waits for a reader
 * unless it asks to (when no element is free), and then at most a bounded
 * time, clearing slots of processes that died inside a critical section
 * (kill -9).  Each slot also names the thread holding it (the address of
 * a thread-local byte, with the pid), so that a writer inside its own
 * section can tell its own slots from others'.
 */
#ifndef USERBPF_MAP_EPOCH_H
#define USERBPF_MAP_EPOCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define UB_EPOCH_PID_BITS 22
#define UB_EPOCH_PID_MASK ((1u << UB_EPOCH_PID_BITS) - 1)

struct ub_epoch_slot {
	_Atomic uint64_t word;		/* 0, or epoch << 22 | pid */
	_Atomic uint64_t owner;		/* the holder thread's tag, or 0 */
	uint64_t pad[6];
};

/* In shared memory; 64-aligned. */
struct ub_epoch {
	_Atomic uint64_t global;
	_Atomic uint32_t hwm;		/* slots[0..hwm) have ever been claimed */
	uint32_t nslots;
	uint64_t pad[6];
	struct ub_epoch_slot slots[];
};

/* Bytes of an epoch block with nslots slots. */
static inline size_t ub_epoch_size(uint32_t nslots)
{
	return sizeof(struct ub_epoch) + (size_t)nslots * sizeof(struct ub_epoch_slot);
}
void ub_epoch_init(struct ub_epoch *e, uint32_t nslots);
/* The id this process announces in slots (nonzero, 22 bits). */
uint32_t ub_epoch_self(void);

/* Read side.  enter returns a token for exit (slot + 1). */
uint32_t ub_epoch_enter(struct ub_epoch *e, uint32_t self);
void ub_epoch_exit(struct ub_epoch *e, uint32_t token);

/* Write side.  The epoch now (after a full fence: call it after the
 * unlink that retires an element). */
uint64_t ub_epoch_now(struct ub_epoch *e);
/* Moves the epoch on when every reader has seen it; with reap, frees the
 * slots of processes that no longer exist.  Returns the epoch after.
 * self_too: also when the only readers behind are this thread's own
 * sections (a program that retires more elements in one run than the
 * pool has spare; see map_hash.c). */
uint64_t ub_epoch_try_advance(struct ub_epoch *e, bool reap, bool self_too, uint32_t self);

/* Gives the CPU away for a moment (waits). */
void ub_epoch_yield(void);
/* Whether the process with this (22-bit) id is gone. */
bool ub_epoch_pid_dead(uint32_t pid);

#endif
