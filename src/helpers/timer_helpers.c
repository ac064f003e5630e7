/* SPDX-License-Identifier: MIT */
/*
 * timer_helpers.c - bpf_timer_init, bpf_timer_set_callback,
 * bpf_timer_start and bpf_timer_cancel.
 *
 * A struct bpf_timer (16 bytes in a map value) holds, in its first 8
 * bytes, this process's struct ub_timer: timers are per process, as their
 * callbacks are code of a program loaded here.  Each runtime has one timer
 * thread, started by the first timer armed; it sleeps until the earliest
 * deadline and runs the callback (map, key, value) in the interpreter, in
 * a run of its own, as Linux runs it in softirq context.  Timers live in
 * ARRAY map values (the key of an element is its index); other map types
 * answer -EOPNOTSUPP.  A program or map that goes away takes its timers
 * with it (ub_timers_forget).
 */
#include <errno.h>
#include <string.h>
#include "exec/exec_internal.h"
#include "helpers/helpers_internal.h"
#include "maps/map.h"
#include "platform/platform.h"

#if !defined(_WIN32)
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

enum { TIMER_F_ABS = 1 };	/* BPF_F_TIMER_ABS */

struct ub_timer {
	struct userbpf_map *map;	/* not a reference: the map forgets us */
	uint32_t key;			/* the element's index */
	void *value;			/* the element */
	struct userbpf_prog *prog;	/* the callback's program, or NULL */
	uint64_t fn;			/* its code address (lddw src=4) */
	uint64_t due;			/* CLOCK_MONOTONIC ns */
	bool armed, running;
	struct ub_timer *next;
};

struct ub_timers {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started, stop;
	pthread_t runner;		/* the thread while it runs a callback */
	struct ub_timer *list;		/* owned */
};

static struct ub_timers *timers_of(struct userbpf_rt *rt)
{
	struct ub_timers *t = atomic_load((_Atomic(struct ub_timers *) *)&rt->timers);

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

static void *timer_thread(void *arg)
{
	struct userbpf_rt *rt = arg;
	struct ub_timers *t = rt->timers;

	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		struct ub_timer *next = NULL;
		uint64_t now = ub_os_monotonic_ns();

		for (struct ub_timer *x = t->list; x; x = x->next)
			if (x->armed && x->prog && (!next || x->due < next->due))
				next = x;
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
		next->running = true;
		t->runner = pthread_self();
		{
			uint32_t key = next->key;
			uint64_t args[5] = { (uint64_t)(uintptr_t)next->map, (uint64_t)(uintptr_t)&key,
					     (uint64_t)(uintptr_t)next->value, 0, 0 }, r0;
			struct userbpf_region regs[2] = {
				{ &key, sizeof(key), false },
				{ next->value, next->map->def.value_size, true },
			};
			struct userbpf_prog *prog = next->prog;
			uint64_t fn = next->fn;

			pthread_mutex_unlock(&t->lock);
			ub_prog_run_at(prog, fn, args, regs, 2, &r0);
			pthread_mutex_lock(&t->lock);
		}
		next->running = false;
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
	while (t->list) {
		struct ub_timer *x = t->list;

		t->list = x->next;
		ub_free(rt, x);
	}
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	ub_free(rt, t);
	rt->timers = NULL;
}

/* A program or map is going away: its timers stop (waiting for a running
 * callback) and, for a map, are freed with the values they live in. */
void ub_timers_forget(struct userbpf_rt *rt, const struct userbpf_prog *prog,
		      const struct userbpf_map *map)
{
	struct ub_timers *t = rt->timers;
	struct ub_timer **pp;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	for (;;) {
		bool busy = false;

		for (struct ub_timer *x = t->list; x; x = x->next)
			if (x->running && (x->prog == prog || x->map == map) &&
			    !pthread_equal(t->runner, pthread_self()))
				busy = true;
		if (!busy)
			break;
		pthread_cond_wait(&t->cond, &t->lock);
	}
	for (pp = &t->list; *pp;) {
		struct ub_timer *x = *pp;

		if (prog && x->prog == prog) {
			x->prog = NULL;
			x->armed = false;
		}
		if (map && x->map == map) {
			*pp = x->next;
			ub_free(rt, x);
			continue;
		}
		pp = &x->next;
	}
	pthread_mutex_unlock(&t->lock);
}

/* The timer behind a struct bpf_timer, or NULL when not initialised. */
static struct ub_timer *timer_at(uint64_t addr)
{
	return atomic_load((_Atomic(struct ub_timer *) *)(uintptr_t)addr);
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
	struct ub_timer *x, *none = NULL;
	size_t stride;
	uint64_t data;

	(void)r4; (void)r5;
	if (!m || !timer_arg_ok(c, r1))
		return (uint64_t)-EFAULT;
	if (r3 != 0 && r3 != 1 && r3 != 7)
		return (uint64_t)-EINVAL;
	if (m->def.type != UB_MAP_ARRAY)
		return (uint64_t)-EOPNOTSUPP;
	stride = ub_map_percpu_stride(m->def.value_size);
	data = (uint64_t)(uintptr_t)m->data;
	if (r1 < data || r1 + 16 > data + stride * m->def.max_entries) {
		userbpf_call__abort(c, -EINVAL, "the bpf_timer is not in a value of that map");
		return (uint64_t)-EINVAL;
	}
	t = timers_of(c->rt);
	x = t ? ub_calloc(c->rt, 1, sizeof(*x)) : NULL;
	if (!x)
		return (uint64_t)-ENOMEM;
	x->map = m;
	x->key = (uint32_t)((r1 - data) / stride);
	x->value = (void *)(uintptr_t)(data + (uint64_t)x->key * stride);
	if (!atomic_compare_exchange_strong((_Atomic(struct ub_timer *) *)(uintptr_t)r1, &none, x)) {
		ub_free(c->rt, x);
		return (uint64_t)-EBUSY;
	}
	pthread_mutex_lock(&t->lock);
	x->next = t->list;
	t->list = x;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

static uint64_t h_timer_set_callback(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				     uint64_t r5, struct userbpf_call *c)
{
	struct ub_timer *x;
	struct ub_timers *t = c->rt->timers;

	(void)r3; (void)r4; (void)r5;
	if (!timer_arg_ok(c, r1))
		return (uint64_t)-EFAULT;
	x = timer_at(r1);
	if (!x || !t)
		return (uint64_t)-EINVAL;
	pthread_mutex_lock(&t->lock);
	/* The callback is code of the program running now. */
	x->prog = (struct userbpf_prog *)c->prog;
	x->fn = r2;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

static uint64_t h_timer_start(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			      struct userbpf_call *c)
{
	struct ub_timers *t = c->rt->timers;
	struct ub_timer *x;
	int err = 0;

	(void)r4; (void)r5;
	if (!timer_arg_ok(c, r1))
		return (uint64_t)-EFAULT;
	x = timer_at(r1);
	if (!x || !t || (r3 & ~(uint64_t)TIMER_F_ABS))
		return (uint64_t)-EINVAL;
	pthread_mutex_lock(&t->lock);
	if (!x->prog) {
		err = -EINVAL;	/* no callback yet */
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
	struct ub_timers *t = c->rt->timers;
	struct ub_timer *x;
	int ret;

	(void)r2; (void)r3; (void)r4; (void)r5;
	if (!timer_arg_ok(c, r1))
		return (uint64_t)-EFAULT;
	x = timer_at(r1);
	if (!x || !t)
		return (uint64_t)-EINVAL;
	pthread_mutex_lock(&t->lock);
	if (x->running && pthread_equal(t->runner, pthread_self())) {
		pthread_mutex_unlock(&t->lock);
		return (uint64_t)-EDEADLK;
	}
	ret = x->armed;
	x->armed = false;
	while (x->running)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
	return (uint64_t)ret;
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

/* Windows: no timers yet (the table is empty, so programs using them are
 * refused at load, naming the helper). */
const struct ub_helper_def ub_timer_helper_defs[] = {
	{ 0, NULL },
};
#endif
