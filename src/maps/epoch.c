/* SPDX-License-Identifier: MIT */
/*
 * epoch.c - epoch-based reclamation in shared memory (see epoch.h for the
 * scheme and the argument why it is safe).
 */
#include <errno.h>
#include <string.h>
#include "maps/epoch.h"
#include "platform/platform.h"
#ifdef _WIN32
#include <windows.h>
#else
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#endif

void ub_epoch_init(struct ub_epoch *e, uint32_t nslots)
{
	atomic_store(&e->global, 1);
	atomic_store(&e->hwm, 0);
	e->nslots = nslots;
	for (uint32_t i = 0; i < nslots; i++)
		atomic_store(&e->slots[i].word, 0);
}

/* Only its address is used: one per thread. */
static _Thread_local char thread_tag;

static uint64_t my_tag(void)
{
	return (uint64_t)(uintptr_t)&thread_tag;
}

uint32_t ub_epoch_self(void)
{
#ifdef _WIN32
	uint32_t pid = (uint32_t)GetCurrentProcessId();
#else
	uint32_t pid = (uint32_t)getpid();
#endif
	pid &= UB_EPOCH_PID_MASK;
	return pid ? pid : 1;
}

void ub_epoch_yield(void)
{
#ifdef _WIN32
	SwitchToThread();
#else
	sched_yield();
#endif
}

bool ub_epoch_pid_dead(uint32_t pid)
{
#ifdef _WIN32
	(void)pid;
	return false;
#else
	return kill((pid_t)pid, 0) == -1 && errno == ESRCH;
#endif
}

uint32_t ub_epoch_enter(struct ub_epoch *e, uint32_t self)
{
	uint32_t n = e->nslots, i = ub_os_cpu() % n, tries = 0;

	for (;;) {
		struct ub_epoch_slot *s = &e->slots[i];
		uint64_t g = atomic_load_explicit(&e->global, memory_order_relaxed);
		uint64_t zero = 0;

		/* seq_cst: the claim is ordered before every read that
		 * follows (the fence a writer pairs with in try_advance). */
		if (atomic_load_explicit(&s->word, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_strong(&s->word, &zero,
						   g << UB_EPOCH_PID_BITS | self)) {
			uint32_t h = atomic_load_explicit(&e->hwm, memory_order_relaxed);

			atomic_store_explicit(&s->owner, my_tag(), memory_order_relaxed);

			while (h <= i && !atomic_compare_exchange_weak(&e->hwm, &h, i + 1))
				;
			/* The epoch moved while we claimed: announce the new
			 * one (we have read nothing yet), so that we do not
			 * hold writers back. */
			uint64_t g2 = atomic_load(&e->global);
			if (g2 != g)
				atomic_store(&s->word, g2 << UB_EPOCH_PID_BITS | self);
			return i + 1;
		}
		i = i + 1 == n ? 0 : i + 1;
		if (++tries % n == 0)
			ub_epoch_yield();
	}
}

void ub_epoch_exit(struct ub_epoch *e, uint32_t token)
{
	if (token) {
		atomic_store_explicit(&e->slots[token - 1].owner, 0, memory_order_relaxed);
		atomic_store_explicit(&e->slots[token - 1].word, 0, memory_order_release);
	}
}

uint64_t ub_epoch_now(struct ub_epoch *e)
{
	atomic_thread_fence(memory_order_seq_cst);
	return atomic_load(&e->global);
}

uint64_t ub_epoch_try_advance(struct ub_epoch *e, bool reap, bool self_too, uint32_t self)
{
	uint64_t g, want;
	uint32_t hwm;

	atomic_thread_fence(memory_order_seq_cst);
	g = atomic_load(&e->global);
	hwm = atomic_load(&e->hwm);
	if (hwm > e->nslots)
		hwm = e->nslots;
	for (uint32_t i = 0; i < hwm; i++) {
		uint64_t w = atomic_load_explicit(&e->slots[i].word, memory_order_acquire);

		if (!w || w >> UB_EPOCH_PID_BITS == g)
			continue;
		/* Our own slot: its owner word can only hold our tag while
		 * we hold it (we clear it before we leave). */
		if (self_too && (w & UB_EPOCH_PID_MASK) == self &&
		    atomic_load_explicit(&e->slots[i].owner, memory_order_relaxed) == my_tag())
			continue;
		if (reap && ub_epoch_pid_dead((uint32_t)(w & UB_EPOCH_PID_MASK)) &&
		    atomic_compare_exchange_strong(&e->slots[i].word, &w, 0))
			continue;
		return g;
	}
	want = g;
	if (atomic_compare_exchange_strong(&e->global, &want, g + 1))
		return g + 1;
	return want;
}
