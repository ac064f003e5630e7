/* SPDX-License-Identifier: MIT */
/*
 * stress.c - several threads at once on each hash family, HASH_OF_MAPS's
 * table and an ARRAY: lookups (program side inside an epoch section, and
 * user side), updates with random flags from both sides, deletes and
 * lookup_and_deletes, for about STRESS_MS per map (argument 1 overrides).
 *
 * Values are (key, seq, check) with check a hash of both: a reader that
 * ever sees a value not written whole by some writer, a key's value under
 * another key, an error Linux would not give, or (at the end) a table
 * whose walk disagrees with its lookups, fails the test.  `make check`
 * also runs it under ThreadSanitizer (check-tsan), which must stay quiet.
 * The ARRAY writes in place, so its values carry a bpf_spin_lock and both
 * sides use BPF_F_LOCK.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "testlib.h"
#include "tl_rng.h"
#include "maps/map.h"

#define NTHREADS 4
#define KEYS 96
#define MAX_ENTRIES 64

struct val {
	uint32_t lock, pad;	/* the ARRAY's bpf_spin_lock; unused elsewhere */
	uint64_t key, seq, check;
};

static uint64_t check_of(uint64_t key, uint64_t seq)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull ^ seq;

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

struct shared {
	struct userbpf_map *m;
	bool percpu, array, full_ok;
	unsigned ms, ncpus;
	_Atomic uint64_t ops, bad, reads, writes;
	char why[256];
	_Atomic int why_set;
};

static void note_bad(struct shared *s, const char *fmt, uint64_t a, uint64_t b)
{
	int z = 0;

	atomic_fetch_add(&s->bad, 1);
	if (atomic_compare_exchange_strong(&s->why_set, &z, 1))
		snprintf(s->why, sizeof(s->why), fmt, (unsigned long long)a, (unsigned long long)b);
}

/* A value slot: zero (a per-CPU slot nobody wrote) or written whole. */
static void check_val(struct shared *s, const struct val *v, uint64_t key, bool zero_ok)
{
	if (zero_ok && !v->key && !v->seq && !v->check)
		return;
	if (v->key != key)
		note_bad(s, "key %llu holds the value of key %llu", key, v->key);
	else if (v->check != check_of(v->key, v->seq))
		note_bad(s, "key %llu: torn value (seq %llu)", key, v->seq);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct targ {
	struct shared *s;
	unsigned id;
};

static void *worker(void *p)
{
	struct targ *t = p;
	struct shared *s = t->s;
	struct userbpf_map *m = s->m;
	struct tl_rng r = { 1000 + t->id };
	size_t usz = ub_map_user_value_size(m);
	uint8_t *buf = calloc(1, usz), *in = calloc(1, usz);
	uint64_t end = now_ms() + s->ms, seq = (uint64_t)t->id << 40, n = 0;
	uint64_t lockf = s->array ? UB_F_LOCK : 0;

	while (buf && in && (n & 63 || now_ms() < end)) {
		uint32_t op = tl_rn(&r, 20);
		uint64_t key = tl_rn(&r, s->array ? MAX_ENTRIES : KEYS);
		uint8_t kb[8];
		int err;

		memset(kb, 0, sizeof(kb));
		memcpy(kb, &key, s->array ? 4 : 8);
		n++;
		if (op < 8) {
			/* A program's lookup: a pointer, read inside a section. */
			uint32_t tok = ub_map_epoch_enter(m);
			const struct val *v = s->array ? NULL : m->ops->lookup(m, kb);

			if (v) {
				struct val copy = *v;

				check_val(s, &copy, key, s->percpu);
				/* The value must not change under the reader. */
				if (memcmp(&copy, v, sizeof(copy)))
					note_bad(s, "key %llu changed under a reader (seq %llu)", key,
						 copy.seq);
			}
			ub_map_epoch_exit(m, tok);
			atomic_fetch_add_explicit(&s->reads, 1, memory_order_relaxed);
		} else if (op < 12) {
			err = ub_map_lookup_user(m, kb, buf, lockf);
			if (err && err != -ENOENT)
				note_bad(s, "user lookup gave %lld (key %llu)", (uint64_t)err, key);
			if (!err) {
				if (s->percpu)
					for (unsigned c = 0; c < s->ncpus; c++)
						check_val(s, (struct val *)(buf + c * sizeof(struct val)),
							  key, true);
				else	/* an array slot nobody wrote yet is zero */
					check_val(s, (struct val *)buf, key, s->array);
			}
			atomic_fetch_add_explicit(&s->reads, 1, memory_order_relaxed);
		} else if (op < 17) {
			uint64_t flags = s->array ? UB_F_LOCK : tl_rn(&r, 3);
			struct val v = { .key = key, .seq = ++seq };

			v.check = check_of(key, v.seq);

			if (op == 16 && !s->array) {
				/* A program's update (its CPU's slot), outside a
				 * section as the helper may be. */
				err = (int)m->ops->update(m, kb, &v, flags);
			} else {
				for (unsigned c = 0; c < (s->percpu ? s->ncpus : 1); c++)
					memcpy(in + c * sizeof(v), &v, sizeof(v));
				err = ub_map_update_user(m, kb, in, flags);
			}
			if (err && !(err == -EEXIST && flags == UB_NOEXIST) &&
			    !(err == -ENOENT && flags == UB_EXIST) && !(err == -E2BIG && s->full_ok))
				note_bad(s, "update flags %llu gave %lld", flags, (uint64_t)err);
			atomic_fetch_add_explicit(&s->writes, 1, memory_order_relaxed);
		} else if (!s->array) {
			err = op < 19 ? ub_map_delete_user(m, kb)
				      : ub_map_lookup_and_delete_user(m, kb, buf);
			if (err && err != -ENOENT)
				note_bad(s, "delete gave %lld (key %llu)", (uint64_t)err, key);
			if (!err && op == 19 && !s->percpu)
				check_val(s, (struct val *)buf, key, false);
			atomic_fetch_add_explicit(&s->writes, 1, memory_order_relaxed);
		}
	}
	atomic_fetch_add(&s->ops, n);
	free(buf);
	free(in);
	return NULL;
}

/* After the threads: the walk and the lookups agree, values are whole,
 * and there are no more keys than entries. */
static void final_check(struct shared *s)
{
	struct userbpf_map *m = s->m;
	size_t usz = ub_map_user_value_size(m);
	uint8_t *buf = calloc(1, usz);
	uint64_t key = 0, next = 0, n = 0;
	int err;

	if (s->array) {
		free(buf);
		return;
	}
	for (err = ub_map_get_next_key(m, NULL, &next); !err && n <= 2 * KEYS;
	     err = ub_map_get_next_key(m, &key, &next)) {
		key = next;
		n++;
		if (key >= KEYS)
			note_bad(s, "walk gave key %llu (of %llu)", key, KEYS);
		else if (ub_map_lookup_user(m, &key, buf, 0))
			note_bad(s, "walked key %llu cannot be looked up (%llu)", key, 0);
		else if (!s->percpu)
			check_val(s, (struct val *)buf, key, false);
	}
	if (n > MAX_ENTRIES)
		note_bad(s, "%llu keys in %llu entries", n, MAX_ENTRIES);
	free(buf);
}

static void run(struct userbpf_rt *rt, uint32_t type, const char *name, unsigned ms)
{
	struct ub_map_def d = { .type = type, .key_size = 8, .value_size = sizeof(struct val),
				.max_entries = MAX_ENTRIES, .spin_lock_off = -1 };
	struct shared *s = calloc(1, sizeof(*s));
	pthread_t th[NTHREADS];
	struct targ ta[NTHREADS];
	char tn[128];
	int err;

	if (!s)
		return;
	snprintf(d.name, sizeof(d.name), "stress");
	if (type == UB_MAP_ARRAY) {
		d.key_size = 4;
		d.spin_lock_off = 0;
	}
	err = ub_map_create(rt, &d, NULL, &s->m);
	snprintf(tn, sizeof(tn), "stress %s create", name);
	if (err) {
		tl_fail(tn, "%s", strerror(-err));
		free(s);
		return;
	}
	s->percpu = ub_map_is_percpu(type);
	s->array = type == UB_MAP_ARRAY;
	s->full_ok = type == UB_MAP_HASH || type == UB_MAP_PERCPU_HASH;
	s->ms = ms;
	s->ncpus = s->m->ncpus;
	for (unsigned i = 0; i < NTHREADS; i++) {
		ta[i].s = s;
		ta[i].id = i + 1;
		pthread_create(&th[i], NULL, worker, &ta[i]);
	}
	for (unsigned i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	final_check(s);
	snprintf(tn, sizeof(tn), "stress %s: %d threads, %.0f kops/s (%llu reads, %llu writes), values whole",
		 name, NTHREADS, (double)atomic_load(&s->ops) / ms,
		 (unsigned long long)atomic_load(&s->reads),
		 (unsigned long long)atomic_load(&s->writes));
	if (atomic_load(&s->bad))
		tl_fail(tn, "%llu bad: first: %s", (unsigned long long)atomic_load(&s->bad), s->why);
	else
		tl_ok(tn);
	ub_map_put(s->m);
	free(s);
}

int main(int argc, char **argv)
{
	struct userbpf_rt *rt = tl_rt_new(0);
	unsigned ms = argc > 1 ? (unsigned)atoi(argv[1]) : 300;

	run(rt, UB_MAP_HASH, "hash", ms);
	run(rt, UB_MAP_PERCPU_HASH, "percpu_hash", ms);
	run(rt, UB_MAP_LRU_HASH, "lru_hash", ms);
	run(rt, UB_MAP_LRU_PERCPU_HASH, "lru_percpu_hash", ms);
	run(rt, UB_MAP_ARRAY, "array (F_LOCK)", ms);
	userbpf_rt__free(rt);
	return tl_exit();
}
