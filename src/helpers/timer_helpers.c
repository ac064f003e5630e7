/* SPDX-License-Identifier: MIT */
/*
 * timer_helpers.c - bpf_timer_init, bpf_timer_set_callback,
 * bpf_timer_start and bpf_timer_cancel.
 *
 * Timers are per process (their callbacks are code of a program loaded
 * here), so they are not kept in the map value, which is shared memory
 * that user space and other processes write too: each runtime keeps a
 * registry of its timers, found by the address of their struct bpf_timer
 * (16 bytes in a map value, left as the program wrote it) and by the
 * value they live in.  One timer thread per runtime, started by the first
 * timer armed, sleeps until the earliest deadline and runs the callback
 * (map, key, value) in the interpreter, in a run of its own, as Linux runs
 * it in softirq context.
 *
 * Timers live in ARRAY, HASH and LRU_HASH values, as on Linux (the
 * per-CPU families answer -EOPNOTSUPP).  The key a callback gets is the
 * element's index (ARRAY) or the element's own key (the hash families).
 * A timer goes with what it lives in, as on Linux: a hash element
 * deleted, replaced by an update, or evicted (LRU) cancels and frees its
 * timer (map_hash.c calls ub_timers_forget_value between the unlink and
 * the retire); so does an update of an ARRAY element (BPF_ANY/BPF_EXIST,
 * from user space or a program: map_array.c calls it after the copy, as
 * Linux's array_map_update_elem frees the old value's special fields);
 * and so does a map or a program that goes away (ub_timers_forget).  Each
 * map counts the timers in its values (ntimers), so the update and delete
 * paths of a map that has none pay one atomic load.
 *
 * A callback that runs meanwhile finishes first.  For a hash element the
 * timer thread holds the map's epoch section across the callback, so the
 * element it was started for is not reused under it.  An ARRAY element's
 * update waits for the callback, as Linux's hrtimer_cancel does, unless
 * it is the timer thread's own doing (a callback updating an element:
 * Linux then defers the cancel to a workqueue and does not wait either).
 * A timer dropped while its callback runs (the callback deleting or
 * updating its own element, say) is freed by the timer thread once the
 * callback returns; if the callback re-armed it first, it does not fire
 * again, and the element can init a new timer at once.
 *
 * Not covered: an element of a pinned map deleted or updated by another
 * process (or through another runtime's handle) keeps this runtime's
 * timer, which then fires on whatever the element's memory holds by then
 * (Linux's timers are per map, not per process).  A hash element's delete
 * does not wait for its running callback (the epoch keeps its memory).
 */
#include <errno.h>
#include <string.h>
#include "exec/exec_internal.h"
#include "helpers/helpers_internal.h"
#include "maps/map.h"
#include "maps/map_hash.h"
#include "platform/platform.h"

#if !defined(_WIN32)
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

enum { TIMER_F_ABS = 1 };	/* BPF_F_TIMER_ABS */

#define TIMER_BUCKETS 256	/* of each index; a power of 2 */

struct ub_timer {
	struct userbpf_map *map;	/* not a reference: the map forgets us */
	uint64_t addr;			/* of the struct bpf_timer */
	void *value;			/* the element */
	const void *key;		/* its key: in the element (hash), or &idx */
	uint32_t idx;			/* ARRAY: the element's index */
	bool hash;			/* in a hash family's value */
	struct userbpf_prog *prog;	/* the callback's program, or NULL */
	uint64_t fn;			/* its code address (lddw src=4) */
	uint64_t due;			/* CLOCK_MONOTONIC ns */
	bool armed;
	bool dead;			/* dropped while its callback ran */
	struct ub_timer *anext;		/* in by_addr[] */
	struct ub_timer *vnext;		/* in by_value[] */
};

struct ub_timers {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started, stop;
	pthread_t runner;		/* the thread while it runs a callback */
	struct ub_timer *current;	/* the timer whose callback runs, or NULL */
	uint64_t runs;			/* callbacks finished */
	struct ub_timer *by_addr[TIMER_BUCKETS];	/* owned */
	struct ub_timer *by_value[TIMER_BUCKETS];	/* the same timers */
};

static unsigned bucket_of(uint64_t a)
{
	return (unsigned)(((a >> 3) * 0x9e3779b97f4a7c15ull) >> 56) & (TIMER_BUCKETS - 1);
}

static struct ub_timers *timers_get(struct userbpf_rt *rt)
{
	return atomic_load((_Atomic(struct ub_timers *) *)&rt->timers);
}

static struct ub_timers *timers_of(struct userbpf_rt *rt)
{
	struct ub_timers *t = timers_get(rt);

	if (t)
		return t;
	t = ub_calloc(rt, 1, sizeof(*t));
	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	{
		struct ub_timers *none = NULL;

		if (!atomic_compare_exchange_strong((_Atomic(struct ub_timers *) *)&rt->timers,
						    &none, t)) {
			pthread_mutex_destroy(&t->lock);
			pthread_cond_destroy(&t->cond);
			ub_free(rt, t);
			t = none;
		}
	}
	return t;
}

/* The timer whose struct bpf_timer is at addr, or NULL (lock held). */
static struct ub_timer *find_addr(struct ub_timers *t, uint64_t addr)
{
	struct ub_timer *x = t->by_addr[bucket_of(addr)];

	while (x && x->addr != addr)
		x = x->anext;
	return x;
}

/* The timer in the value at value of map, or NULL (lock held). */
static struct ub_timer *find_value(struct ub_timers *t, const struct userbpf_map *map,
				   const void *value)
{
	struct ub_timer *x = t->by_value[bucket_of((uint64_t)(uintptr_t)value)];

	while (x && (x->value != value || x->map != map))
		x = x->vnext;
	return x;
}

static void insert(struct ub_timers *t, struct ub_timer *x)
{
	unsigned a = bucket_of(x->addr), v = bucket_of((uint64_t)(uintptr_t)x->value);

	x->anext = t->by_addr[a];
	t->by_addr[a] = x;
	x->vnext = t->by_value[v];
	t->by_value[v] = x;
}

/* Takes x out of the registry and frees it, or, when its callback runs
 * now, leaves that to the timer thread (lock held). */
static void drop(struct userbpf_rt *rt, struct ub_timers *t, struct ub_timer *x)
{
	struct ub_timer **pp;

	for (pp = &t->by_addr[bucket_of(x->addr)]; *pp != x; pp = &(*pp)->anext)
		;
	*pp = x->anext;
	for (pp = &t->by_value[bucket_of((uint64_t)(uintptr_t)x->value)]; *pp != x;
	     pp = &(*pp)->vnext)
		;
	*pp = x->vnext;
	atomic_fetch_sub(&x->map->ntimers, 1);
	x->armed = false;
	if (t->current == x)
		x->dead = true;
	else
		ub_free(rt, x);
}

/* The armed timer due first, or NULL (lock held). */
static struct ub_timer *earliest(struct ub_timers *t)
{
	struct ub_timer *next = NULL;

	for (unsigned b = 0; b < TIMER_BUCKETS; b++)
		for (struct ub_timer *x = t->by_addr[b]; x; x = x->anext)
			if (x->armed && x->prog && (!next || x->due < next->due))
				next = x;
	return next;
}

static void *timer_thread(void *arg)
{
	struct userbpf_rt *rt = arg;
	struct ub_timers *t = rt->timers;

	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		struct ub_timer *next = earliest(t);
		uint64_t now = ub_os_monotonic_ns();

		if (!next) {
			pthread_cond_wait(&t->cond, &t->lock);
			continue;
		}
		if (next->due > now) {
			struct timespec ts;
			uint64_t wait = next->due - now;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (time_t)(wait / 1000000000u);
			ts.tv_nsec += (long)(wait % 1000000000u);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&t->cond, &t->lock, &ts);
			continue;
		}
		next->armed = false;
		t->current = next;
		t->runner = pthread_self();
		{
			struct userbpf_map *m = next->map;
			uint32_t ks = next->hash ? m->def.key_size : 4;
			uint64_t args[5] = { (uint64_t)(uintptr_t)m, (uint64_t)(uintptr_t)next->key,
					     (uint64_t)(uintptr_t)next->value, 0, 0 }, r0;
			struct userbpf_region regs[2] = {
				{ (void *)(uintptr_t)next->key, ks, false },
				{ next->value, m->def.value_size, true },
			};
			/* Entered before the lock goes: a delete of the
			 * element now waits for the lock, and retires it only
			 * after, so the epoch keeps it for the callback. */
			uint32_t tok = ub_map_epoch_enter(m);

			pthread_mutex_unlock(&t->lock);
			ub_prog_run_at(next->prog, next->fn, args, regs, 2, &r0);
			ub_map_epoch_exit(m, tok);
			pthread_mutex_lock(&t->lock);
		}
		t->current = NULL;
		t->runs++;
		if (next->dead)
			ub_free(rt, next);
		pthread_cond_broadcast(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

void ub_timers_free(struct userbpf_rt *rt)
{
	struct ub_timers *t = rt->timers;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	if (t->started)
		pthread_join(t->thread, NULL);
	for (unsigned b = 0; b < TIMER_BUCKETS; b++)
		while (t->by_addr[b]) {
			struct ub_timer *x = t->by_addr[b];

			t->by_addr[b] = x->anext;
			ub_free(rt, x);
		}
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	ub_free(rt, t);
	rt->timers = NULL;
}

/* Waits until no callback of prog or map runs, unless the one running is
 * this thread's (lock held). */
static void wait_idle(struct ub_timers *t, const struct userbpf_prog *prog,
		      const struct userbpf_map *map)
{
	while (t->current && ((prog && t->current->prog == prog) ||
			      (map && t->current->map == map)) &&
	       !pthread_equal(t->runner, pthread_self()))
		pthread_cond_wait(&t->cond, &t->lock);
}

/* A program or map is going away: its timers stop (waiting for a running
 * callback) and, for a map, are freed with the values they live in. */
void ub_timers_forget(struct userbpf_rt *rt, const struct userbpf_prog *prog,
		      const struct userbpf_map *map)
{
	struct ub_timers *t = timers_get(rt);

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	wait_idle(t, prog, map);
	for (unsigned b = 0; b < TIMER_BUCKETS; b++)
		for (struct ub_timer *x = t->by_addr[b], *nx; x; x = nx) {
			nx = x->anext;
			if (prog && x->prog == prog) {
				x->prog = NULL;
				x->armed = false;
			}
			if (map && x->map == map)
				drop(rt, t, x);
		}
	pthread_mutex_unlock(&t->lock);
}

void ub_timers_forget_value(struct userbpf_rt *rt, const struct userbpf_map *map,
			    const void *value)
{
	struct ub_timers *t;
	struct ub_timer *x;

	/* Pairs with the increment in h_timer_init: either it sees the
	 * element unlinked, or this sees the count and takes the lock. */
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load(&((struct userbpf_map *)map)->ntimers))
		return;
	t = timers_get(rt);
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	x = find_value(t, map, value);
	if (x) {
		/* ARRAY: a callback of it running on another thread finishes
		 * first, as with Linux's hrtimer_cancel (x may be freed once
		 * it has: only t->current and t->runs are looked at). */
		bool wait = map->def.type == UB_MAP_ARRAY && t->current == x &&
			    !pthread_equal(t->runner, pthread_self());
		uint64_t runs = t->runs;

		drop(rt, t, x);
		while (wait && t->current == x && t->runs == runs)
			pthread_cond_wait(&t->cond, &t->lock);
	}
	pthread_mutex_unlock(&t->lock);
}

static bool timer_arg_ok(struct userbpf_call *c, uint64_t addr)
{
	if (addr & 7 || !ub_helper_mem_ok(c, addr, 16, true)) {
		userbpf_call__abort(c, -EFAULT, "the bpf_timer lies outside the program's memory");
		return false;
	}
	return true;
}

/* bpf_timer_init(timer, map, flags): flags is the clock (CLOCK_REALTIME,
 * CLOCK_MONOTONIC or CLOCK_BOOTTIME; deadlines are kept on the monotonic
 * clock); -EBUSY when it was initialised already. */
static uint64_t h_timer_init(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct userbpf_call *c)
{
	struct userbpf_map *m = ub_helper_map(c, r2);
	struct ub_timers *t;
	struct ub_timer *x;
	void *value = NULL;
	const void *key = NULL;
	uint32_t idx = 0;
	bool hash;
	int err = 0;

	(void)r4; (void)r5;
	if (!m || !timer_arg_ok(c, r1))
		return (uint64_t)-EFAULT;
	if (r3 != 0 && r3 != 1 && r3 != 7)
		return (uint64_t)-EINVAL;
	hash = m->def.type == UB_MAP_HASH || m->def.type == UB_MAP_LRU_HASH;
	if (m->def.type != UB_MAP_ARRAY && !hash)
		return (uint64_t)-EOPNOTSUPP;
	if (!hash) {
		size_t stride = ub_map_percpu_stride(m->def.value_size);
		uint64_t data = (uint64_t)(uintptr_t)m->data;

		if (r1 < data || r1 + 16 > data + stride * m->def.max_entries ||
		    (r1 - data) % stride + 16 > m->def.value_size) {
			userbpf_call__abort(c, -EINVAL, "the bpf_timer is not in a value of that map");
			return (uint64_t)-EINVAL;
		}
		idx = (uint32_t)((r1 - data) / stride);
		value = (void *)(uintptr_t)(data + (uint64_t)idx * stride);
	} else if (ub_hash_elem_at(m, r1, 16, &value, &key) == -EINVAL) {
		userbpf_call__abort(c, -EINVAL, "the bpf_timer is not in a value of that map");
		return (uint64_t)-EINVAL;
	}
	t = timers_of(c->rt);
	x = t ? ub_calloc(c->rt, 1, sizeof(*x)) : NULL;
	if (!x)
		return (uint64_t)-ENOMEM;
	x->map = m;
	x->addr = r1;
	x->value = value;
	x->idx = idx;
	x->key = hash ? key : (const void *)&x->idx;
	x->hash = hash;
	/* Counted before the element's liveness is read: see
	 * ub_timers_forget_value. */
	atomic_fetch_add(&m->ntimers, 1);
	pthread_mutex_lock(&t->lock);
	if (find_addr(t, r1))
		err = -EBUSY;
	else if (hash && ub_hash_elem_at(m, r1, 16, &value, &key))
		err = -EINVAL;	/* deleted meanwhile: never reachable again */
	if (err) {
		atomic_fetch_sub(&m->ntimers, 1);
		ub_free(c->rt, x);
	} else {
		insert(t, x);
	}
	pthread_mutex_unlock(&t->lock);
	return (uint64_t)(int64_t)err;
}

static uint64_t h_timer_set_callback(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				     uint64_t r5, struct userbpf_call *c)
{
	struct ub_timers *t = timers_get(c->rt);
	struct ub_timer *x;
	int err = 0;

	(void)r3; (void)r4; (void)r5;
	if (!timer_arg_ok(c, r1))
		return (uint64_t)-EFAULT;
	if (!t)
		return (uint64_t)-EINVAL;
	pthread_mutex_lock(&t->lock);
	x = find_addr(t, r1);
	if (!x) {
		err = -EINVAL;
	} else {
		/* The callback is code of the program running now. */
		x->prog = (struct userbpf_prog *)c->prog;
		x->fn = r2;
	}
	pthread_mutex_unlock(&t->lock);
	return (uint64_t)(int64_t)err;
}

static uint64_t h_timer_start(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			      struct userbpf_call *c)
{
	struct ub_timers *t = timers_get(c->rt);
	struct ub_timer *x;
	int err = 0;

	(void)r4; (void)r5;
	if (!timer_arg_ok(c, r1))
		return (uint64_t)-EFAULT;
	if (!t || (r3 & ~(uint64_t)TIMER_F_ABS))
		return (uint64_t)-EINVAL;
	pthread_mutex_lock(&t->lock);
	x = find_addr(t, r1);
	if (!x || !x->prog) {
		err = -EINVAL;	/* not initialised, or no callback yet */
	} else {
		x->due = (r3 & TIMER_F_ABS) ? r2 : ub_os_monotonic_ns() + r2;
		x->armed = true;
		if (!t->started) {
			if (pthread_create(&t->thread, NULL, timer_thread, c->rt))
				err = -EAGAIN;
			else
				t->started = true;
		}
		pthread_cond_broadcast(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
	return (uint64_t)(int64_t)err;
}

/* Returns 1 when the timer was armed, 0 when not; -EDEADLK from its own
 * callback, as Linux. */
static uint64_t h_timer_cancel(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			       uint64_t r5, struct userbpf_call *c)
{
	struct ub_timers *t = timers_get(c->rt);
	struct ub_timer *x;
	int ret;

	(void)r2; (void)r3; (void)r4; (void)r5;
	if (!timer_arg_ok(c, r1))
		return (uint64_t)-EFAULT;
	if (!t)
		return (uint64_t)-EINVAL;
	pthread_mutex_lock(&t->lock);
	x = find_addr(t, r1);
	if (!x) {
		ret = -EINVAL;
	} else if (t->current == x && pthread_equal(t->runner, pthread_self())) {
		ret = -EDEADLK;
	} else {
		ret = x->armed;
		x->armed = false;
		/* a callback running now finishes first (x may be dropped
		 * meanwhile: only t->current is looked at) */
		while (t->current == x)
			pthread_cond_wait(&t->cond, &t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return (uint64_t)(int64_t)ret;
}

const struct ub_helper_def ub_timer_helper_defs[] = {
	{ 169, h_timer_init },
	{ 170, h_timer_set_callback },
	{ 171, h_timer_start },
	{ 172, h_timer_cancel },
	{ 0, NULL },
};
#else
void ub_timers_free(struct userbpf_rt *rt)
{
	(void)rt;
}

void ub_timers_forget(struct userbpf_rt *rt, const struct userbpf_prog *prog,
		      const struct userbpf_map *map)
{
	(void)rt;
	(void)prog;
	(void)map;
}

void ub_timers_forget_value(struct userbpf_rt *rt, const struct userbpf_map *map,
			    const void *value)
{
	(void)rt;
	(void)map;
	(void)value;
}

/* Windows: no timers yet (the table is empty, so programs using them are
 * refused at load, naming the helper). */
const struct ub_helper_def ub_timer_helper_defs[] = {
	{ 0, NULL },
};
#endif
