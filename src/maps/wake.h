/* SPDX-License-Identifier: MIT */
/*
 * wake.h - waking a ring buffer's or perf buffer's consumer from a
 * producer in any process that maps the buffer (private to src/maps and
 * the consumers in src/compat/events.c).
 *
 * As in the kernel, the consumer says in the shared memory that it is
 * about to sleep, and producers wake it only then:
 *
 *   consumer                              producer, after a commit
 *     s = seq                               (commit: a seq_cst RMW/store)
 *     armed = 1          (seq_cst)          if (armed && xchg(armed, 0))
 *     data committed?    (seq_cst) -> go        seq++, FUTEX_WAKE(&seq)
 *     FUTEX_WAIT(&seq, s, timeout)
 *
 * Every access above is seq_cst, so either the consumer's check sees the
 * commit or the producer's load sees armed (Dekker); exactly one producer
 * clears armed and pays the syscall.  The producer's fast path when no one
 * sleeps is one load of a line the consumer writes once per sleep.  The
 * word is a shared futex (no FUTEX_PRIVATE_FLAG): the kernel keys it by
 * file page, so it works across processes and mappings, for memfd maps
 * inherited over fork and pinned files alike, without a path, an fd or a
 * thread in the producer (which may be a traced process, inside the
 * agent's signal handler).  epoll users get an eventfd fed by a thread of
 * the consumer (events.c).  Not Linux: producers never wake anyone and
 * consumers poll.
 */
#ifndef USERBPF_MAPS_WAKE_H
#define USERBPF_MAPS_WAKE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#ifdef __linux__
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* In the buffer's shared memory; zero: no consumer sleeping. */
struct ub_wake {
	_Atomic uint32_t armed;	/* the consumer is about to sleep */
	_Atomic uint32_t seq;	/* the futex word: bumped at each wake */
};

static inline void ub_wake_kick(struct ub_wake *w)
{
	atomic_fetch_add_explicit(&w->seq, 1, memory_order_seq_cst);
#ifdef __linux__
	syscall(SYS_futex, &w->seq, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
#endif
}

/* After a commit (itself seq_cst): wakes a sleeping consumer; force
 * (BPF_RB_FORCE_WAKEUP) wakes even one that did not say so. */
static inline void ub_wake_producer(struct ub_wake *w, bool force)
{
	if (!force && !atomic_load_explicit(&w->armed, memory_order_seq_cst))
		return;
	if (atomic_exchange_explicit(&w->armed, 0, memory_order_seq_cst) || force)
		ub_wake_kick(w);
}

/* The consumer: about to check for data one last time and sleep on the
 * value returned. */
static inline uint32_t ub_wake_arm(struct ub_wake *w)
{
	uint32_t s = atomic_load_explicit(&w->seq, memory_order_seq_cst);

	atomic_store_explicit(&w->armed, 1, memory_order_seq_cst);
	return s;
}

/* The consumer is awake again: producers need not call. */
static inline void ub_wake_disarm(struct ub_wake *w)
{
	if (atomic_load_explicit(&w->armed, memory_order_relaxed))
		atomic_store_explicit(&w->armed, 0, memory_order_relaxed);
}

#endif
