/* SPDX-License-Identifier: MIT */
/*
 * hash.c - HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH, ARRAY_OF_MAPS and
 * HASH_OF_MAPS from user space and from the program side (the ops a
 * helper calls): Linux's flags and errors, get_next_key over all keys, a
 * full map, LRU eviction, per-CPU slots, map-in-map references, pins, and
 * failing allocations.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testlib.h"
#include "maps/map.h"

static struct userbpf_map *mk(struct userbpf_rt *rt, uint32_t type, uint32_t ks, uint32_t vs,
			      uint32_t max, uint32_t flags)
{
	struct userbpf_map_create_opts o = { .sz = sizeof(o), .map_flags = flags };

	return userbpf_map__create(rt, type, "h", ks, vs, max, &o);
}

#define EQ_ERR(name, got, want) TL_EQ_U64(name, (int64_t)(got), (int64_t)(want))

static void test_create(struct userbpf_rt *rt)
{
	struct userbpf_map *m;

	errno = 0;
	TL_CHECK("hash key_size 0 is EINVAL", !mk(rt, UB_MAP_HASH, 0, 4, 4, 0) && errno == EINVAL);
	TL_CHECK("hash value_size 0 is EINVAL", !mk(rt, UB_MAP_HASH, 4, 0, 4, 0) && errno == EINVAL);
	TL_CHECK("hash max_entries 0 is EINVAL", !mk(rt, UB_MAP_HASH, 4, 4, 0, 0) && errno == EINVAL);
	TL_CHECK("hash key_size + value_size 4194256 is E2BIG",
		 !mk(rt, UB_MAP_HASH, 4194252, 4, 4, 0) && errno == E2BIG);
	TL_CHECK("hash of 2^27+1 entries is E2BIG",
		 !mk(rt, UB_MAP_HASH, 4, 4, (1u << 27) + 1, 0) && errno == E2BIG);
	TL_CHECK("percpu hash value 32769 is E2BIG",
		 !mk(rt, UB_MAP_PERCPU_HASH, 4, 32769, 4, 0) && errno == E2BIG);
	TL_CHECK("hash mmapable is EINVAL",
		 !mk(rt, UB_MAP_HASH, 4, 4, 4, UB_F_MMAPABLE) && errno == EINVAL);
	TL_CHECK("hash no_common_lru is EINVAL",
		 !mk(rt, UB_MAP_HASH, 4, 4, 4, UB_F_NO_COMMON_LRU) && errno == EINVAL);
	TL_CHECK("lru no_prealloc is ENOTSUPP",
		 !mk(rt, UB_MAP_LRU_HASH, 4, 4, 4, UB_F_NO_PREALLOC) && errno == 524);
	m = mk(rt, UB_MAP_HASH, 4, 4, 4, UB_F_NO_PREALLOC);
	TL_CHECK("hash no_prealloc accepted", m != NULL);
	userbpf_map__free(m);
	m = mk(rt, UB_MAP_LRU_HASH, 4, 4, 4, UB_F_NO_COMMON_LRU);
	TL_CHECK("lru no_common_lru accepted", m != NULL);
	userbpf_map__free(m);
}

static void test_hash_flags(struct userbpf_rt *rt, uint32_t type, const char *tn)
{
	struct userbpf_map *m = mk(rt, type, 8, 12, 4, 0);
	uint64_t k = 7;
	uint8_t v[12] = { 1, 2, 3 }, out[12];
	char name[96];
	bool lru = type == UB_MAP_LRU_HASH;

#define N(s) (snprintf(name, sizeof(name), "%s %s", tn, s), name)
	TL_CHECK(N("create"), m != NULL);
	if (!m)
		return;
	EQ_ERR(N("update missing EXIST is ENOENT"), userbpf_map__update_elem(m, &k, v, UB_EXIST),
	       -ENOENT);
	EQ_ERR(N("update NOEXIST"), userbpf_map__update_elem(m, &k, v, UB_NOEXIST), 0);
	EQ_ERR(N("update NOEXIST again is EEXIST"),
	       userbpf_map__update_elem(m, &k, v, UB_NOEXIST), -EEXIST);
	v[0] = 9;
	EQ_ERR(N("update EXIST"), userbpf_map__update_elem(m, &k, v, UB_EXIST), 0);
	EQ_ERR(N("lookup"), userbpf_map__lookup_elem(m, &k, out, 0), 0);
	TL_CHECK(N("lookup sees the EXIST update"), !memcmp(out, v, 12));
	EQ_ERR(N("update flags 3 is EINVAL"), userbpf_map__update_elem(m, &k, v, 3), -EINVAL);
	EQ_ERR(N("update flags 8 is EINVAL"), userbpf_map__update_elem(m, &k, v, 8), -EINVAL);
	EQ_ERR(N("update F_LOCK without a lock is EINVAL"),
	       userbpf_map__update_elem(m, &k, v, UB_F_LOCK), -EINVAL);
	EQ_ERR(N("lookup F_LOCK without a lock is EINVAL"),
	       userbpf_map__lookup_elem(m, &k, out, UB_F_LOCK), -EINVAL);
	EQ_ERR(N("lookup flags 2 is EINVAL"), userbpf_map__lookup_elem(m, &k, out, 2), -EINVAL);
	/* Fill it. */
	for (uint64_t i = 100; i < 103; i++)
		userbpf_map__update_elem(m, &i, v, 0);
	k = 200;
	if (lru) {
		EQ_ERR(N("full lru takes a new key"), userbpf_map__update_elem(m, &k, v, 0), 0);
		uint64_t a, nx;
		int n = 0;
		for (int err = userbpf_map__get_next_key(m, NULL, &a); !err;
		     err = userbpf_map__get_next_key(m, &a, &nx), a = nx)
			n++;
		TL_EQ_U64(N("full lru stays at max_entries"), n, 4);
	} else {
		EQ_ERR(N("full hash refuses a new key with E2BIG"),
		       userbpf_map__update_elem(m, &k, v, 0), -E2BIG);
		k = 7;
		EQ_ERR(N("full hash replaces a key"), userbpf_map__update_elem(m, &k, v, 0), 0);
		EQ_ERR(N("full hash NOEXIST on a key is EEXIST"),
		       userbpf_map__update_elem(m, &k, v, UB_NOEXIST), -EEXIST);
		k = 201;
		EQ_ERR(N("full hash EXIST on a missing key is ENOENT"),
		       userbpf_map__update_elem(m, &k, v, UB_EXIST), -ENOENT);
	}
	k = lru ? 200 : 100;	/* an LRU map evicted one of 100..102 */
	EQ_ERR(N("lookup_and_delete"), userbpf_map__lookup_and_delete_elem(m, &k, out), 0);
	TL_CHECK(N("lookup_and_delete value"), !memcmp(out, v, 12));
	EQ_ERR(N("lookup after lookup_and_delete is ENOENT"), userbpf_map__lookup_elem(m, &k, out, 0),
	       -ENOENT);
	EQ_ERR(N("lookup_and_delete missing is ENOENT"),
	       userbpf_map__lookup_and_delete_elem(m, &k, out), -ENOENT);
	k = lru ? 7 : 101;
	EQ_ERR(N("delete"), userbpf_map__delete_elem(m, &k), 0);
	EQ_ERR(N("delete missing is ENOENT"), userbpf_map__delete_elem(m, &k), -ENOENT);
	k = 300;
	EQ_ERR(N("room again after delete"), userbpf_map__update_elem(m, &k, v, 0), 0);
	userbpf_map__freeze(m);
	EQ_ERR(N("frozen refuses update"), userbpf_map__update_elem(m, &k, v, 0), -EPERM);
	EQ_ERR(N("frozen refuses delete"), userbpf_map__delete_elem(m, &k), -EPERM);
	EQ_ERR(N("frozen still reads"), userbpf_map__lookup_elem(m, &k, out, 0), 0);
	userbpf_map__free(m);
#undef N
}

/* Many keys: get_next_key visits each once, in a stable order; a missing
 * key restarts from the first; the last one gives ENOENT. */
static void test_get_next_key(struct userbpf_rt *rt)
{
	enum { NK = 1000 };
	struct userbpf_map *m = mk(rt, UB_MAP_HASH, 4, 4, NK, 0);
	uint8_t *seen = calloc(NK, 1);
	uint32_t k, next, first = 0, n = 0, dup = 0, bad = 0, miss = 12345678;
	int err;

	TL_CHECK("gnk create", m != NULL);
	if (!m || !seen) {
		free(seen);
		userbpf_map__free(m);
		return;
	}
	EQ_ERR("gnk of an empty map is ENOENT", userbpf_map__get_next_key(m, NULL, &next),
	       -ENOENT);
	for (k = 0; k < NK; k++)
		userbpf_map__update_elem(m, &k, &k, 0);
	err = userbpf_map__get_next_key(m, NULL, &k);
	first = k;
	while (!err) {
		if (k >= NK)
			bad++;
		else if (seen[k]++)
			dup++;
		n++;
		err = userbpf_map__get_next_key(m, &k, &next);
		k = next;
	}
	TL_EQ_U64("gnk visits every key", n, NK);
	TL_EQ_U64("gnk visits no key twice", dup, 0);
	TL_EQ_U64("gnk gives only stored keys", bad, 0);
	EQ_ERR("gnk ends with ENOENT", err, -ENOENT);
	EQ_ERR("gnk of a missing key", userbpf_map__get_next_key(m, &miss, &next), 0);
	TL_EQ_U64("gnk of a missing key restarts at the first", next, first);
	/* Delete while iterating (the common "drain" loop). */
	n = 0;
	while (!userbpf_map__get_next_key(m, NULL, &k)) {
		if (userbpf_map__delete_elem(m, &k))
			break;
		n++;
	}
	TL_EQ_U64("drain by get_next_key + delete", n, NK);
	free(seen);
	userbpf_map__free(m);
}

/* The value's declared bpf_spin_lock and bpf_timer (the verifier's rule
 * for programs) travel with a pin: a second opening knows them; a timer
 * that does not fit, aligned, is refused at creation. */
static void test_field_pin(struct userbpf_rt *rt)
{
	struct ub_map_def d = { .type = UB_MAP_HASH, .key_size = 4, .value_size = 32,
				.max_entries = 4, .spin_lock_off = 0, .timer_off1 = 17,
				.name = "fields" };
	char dir[] = "/tmp/ub-fields-XXXXXX", path[64];
	struct userbpf_map *m = NULL, *m2 = NULL;

	if (!mkdtemp(dir)) {
		tl_fail("fields pin tmpdir", "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/m", dir);
	EQ_ERR("map with a declared lock and timer", ub_map_create(rt, &d, NULL, &m), 0);
	if (m && !userbpf_map__pin(m, path) && !ub_map_open(rt, path, &m2) && m2)
		TL_CHECK("the pin's second opening knows the lock at 0 and the timer at 16",
			 m2->def.spin_lock_off == 0 && m2->def.timer_off1 == 17);
	else
		tl_fail("the pin's second opening knows the lock at 0 and the timer at 16",
			"pin or open failed: %s", tl_last_log);
	ub_map_put(m2);
	ub_map_put(m);
	unlink(path);
	rmdir(dir);
	m = NULL;
	d.timer_off1 = 21; /* 20: not 8-byte aligned */
	EQ_ERR("a timer off its alignment is refused", ub_map_create(rt, &d, NULL, &m), -EINVAL);
	ub_map_put(m);
	m = NULL;
	d.timer_off1 = 25; /* 24 + 16 > 32 */
	EQ_ERR("a timer past the value is refused", ub_map_create(rt, &d, NULL, &m), -EINVAL);
	ub_map_put(m);
}

static void test_spin_lock(struct userbpf_rt *rt)
{
	struct ub_map_def d = { .type = UB_MAP_HASH, .key_size = 4, .value_size = 16,
				.max_entries = 4, .spin_lock_off = 4, .name = "lk" };
	struct userbpf_map *m = NULL;
	uint32_t k = 1, v[4] = { 11, 0xdead, 13, 14 }, out[4];

	EQ_ERR("spin lock hash create", ub_map_create(rt, &d, NULL, &m), 0);
	if (!m)
		return;
	EQ_ERR("F_LOCK update of a new key", ub_map_update_user(m, &k, v, UB_F_LOCK), 0);
	v[0] = 21;
	EQ_ERR("F_LOCK update in place", ub_map_update_user(m, &k, v, UB_F_LOCK | UB_EXIST), 0);
	EQ_ERR("F_LOCK lookup", ub_map_lookup_user(m, &k, out, UB_F_LOCK), 0);
	TL_CHECK("F_LOCK lookup copies the value, lock word zero",
		 out[0] == 21 && out[1] == 0 && out[2] == 13 && out[3] == 14);
	EQ_ERR("plain lookup of a locked value", ub_map_lookup_user(m, &k, out, 0), 0);
	TL_CHECK("plain lookup hides the lock word", out[1] == 0 && out[0] == 21);
	EQ_ERR("F_LOCK NOEXIST on a key is EEXIST",
	       ub_map_update_user(m, &k, v, UB_F_LOCK | UB_NOEXIST), -EEXIST);
	ub_map_put(m);
	d.type = UB_MAP_LRU_HASH;
	m = NULL;
	EQ_ERR("spin lock in an lru hash is EOPNOTSUPP", ub_map_create(rt, &d, NULL, &m),
	       -EOPNOTSUPP);
	ub_map_put(m);
}

static void test_lru(struct userbpf_rt *rt)
{
	struct userbpf_map *m = mk(rt, UB_MAP_LRU_HASH, 4, 8, 16, 0);
	uint64_t v = 0, out;
	uint32_t k, kept = 0, total = 0, next;
	cpu_set_t one;

	TL_CHECK("lru create", m != NULL);
	if (!m)
		return;
	/* One CPU, so the eviction order is the one this test expects. */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	for (k = 0; k < 16; k++) {
		v = k;
		userbpf_map__update_elem(m, &k, &v, 0);
	}
	for (k = 0; k < 8; k++)
		userbpf_map__lookup_elem(m, &k, &out, 0);
	for (k = 16; k < 24; k++) {
		v = k;
		EQ_ERR("lru insert past max_entries", userbpf_map__update_elem(m, &k, &v, 0), 0);
	}
	for (k = 0; k < 8; k++)
		kept += userbpf_map__lookup_elem(m, &k, &out, 0) == 0 && out == k;
	TL_EQ_U64("lru keeps the recently used keys", kept, 8);
	for (k = 16; k < 24; k++)
		kept += userbpf_map__lookup_elem(m, &k, &out, 0) == 0 && out == k;
	TL_EQ_U64("lru keeps the new keys", kept, 16);
	for (int err = userbpf_map__get_next_key(m, NULL, &k); !err;
	     err = userbpf_map__get_next_key(m, &k, &next), k = next)
		total++;
	TL_EQ_U64("lru holds max_entries keys", total, 16);
	/* Many more keys than room: always accepted. */
	int fails = 0;
	for (k = 1000; k < 5000; k++)
		fails += userbpf_map__update_elem(m, &k, &v, 0) != 0;
	TL_EQ_U64("lru takes 4000 new keys in 16 entries", fails, 0);
	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE && c < (int)userbpf_num_possible_cpus(); c++)
		CPU_SET(c, &one);
	sched_setaffinity(0, sizeof(one), &one);
	userbpf_map__free(m);
}

static void test_percpu(struct userbpf_rt *rt, uint32_t type, const char *tn)
{
	struct userbpf_map *m = mk(rt, type, 4, 4, 8, 0);
	unsigned n = userbpf_num_possible_cpus();
	size_t sz;
	uint8_t *v, *out;
	uint32_t k = 3, bad = 0, got, mine = 77, *p;
	char name[96];

#define N(s) (snprintf(name, sizeof(name), "%s %s", tn, s), name)
	TL_CHECK(N("create"), m != NULL);
	if (!m)
		return;
	sz = userbpf_map__user_value_size(m);
	TL_EQ_U64(N("value is 8 bytes a cpu"), sz, 8u * n);
	v = calloc(1, sz);
	out = calloc(1, sz);
	for (unsigned c = 0; c < n; c++) {
		uint32_t x = 100 + c;
		memcpy(v + 8 * c, &x, 4);
		memset(v + 8 * c + 4, 0xee, 4);	/* padding: kept, as Linux */
	}
	EQ_ERR(N("update"), userbpf_map__update_elem(m, &k, v, 0), 0);
	EQ_ERR(N("update F_LOCK is EINVAL"), ub_map_update_user(m, &k, v, UB_F_LOCK), -EINVAL);
	EQ_ERR(N("lookup"), userbpf_map__lookup_elem(m, &k, out, 0), 0);
	for (unsigned c = 0; c < n; c++) {
		memcpy(&got, out + 8 * c, 4);
		bad += got != 100 + c;
		memcpy(&got, out + 8 * c + 4, 4);
		bad += got != 0xeeeeeeee;
	}
	TL_EQ_U64(N("each cpu's slot, padding as written"), bad, 0);
	/* The program side: this CPU's slot only. */
	p = m->ops->lookup(m, &k);
	TL_CHECK(N("program lookup gives this cpu's slot"),
		 p && *p >= 100 && *p < 100 + n);
	EQ_ERR(N("program update"), m->ops->update(m, &k, &mine, 0), 0);
	userbpf_map__lookup_elem(m, &k, out, 0);
	bad = 0;
	unsigned changed = 0;
	for (unsigned c = 0; c < n; c++) {
		memcpy(&got, out + 8 * c, 4);
		changed += got == 77;
		bad += got != 77 && got != 100 + c;
	}
	TL_CHECK(N("program update writes one slot, keeps the others"), changed == 1 && !bad);
	k = 4;
	EQ_ERR(N("program update of a new key"), m->ops->update(m, &k, &mine, 0), 0);
	userbpf_map__lookup_elem(m, &k, out, 0);
	changed = bad = 0;
	for (unsigned c = 0; c < n; c++) {
		memcpy(&got, out + 8 * c, 4);
		changed += got == 77;
		bad += got != 77 && got != 0;
	}
	TL_CHECK(N("a new key's other slots are zero"), changed == 1 && !bad);
	free(v);
	free(out);
	userbpf_map__free(m);
#undef N
}

/* The program-side ops: a pointer into the element, valid until the
 * epoch section ends even when the key is replaced meanwhile. */
static void test_prog_side(struct userbpf_rt *rt)
{
	struct userbpf_map *m = mk(rt, UB_MAP_HASH, 4, 8, 4, 0);
	uint32_t k = 5, tok;
	uint64_t v = 1, *p;

	if (!m)
		return;
	TL_CHECK("prog lookup of a missing key is NULL", m->ops->lookup(m, &k) == NULL);
	EQ_ERR("prog update", m->ops->update(m, &k, &v, 0), 0);
	tok = ub_map_epoch_enter(m);
	TL_CHECK("epoch token", tok != 0);
	p = m->ops->lookup(m, &k);
	TL_CHECK("prog lookup", p && *p == 1);
	v = 2;
	for (int i = 0; i < 10; i++)
		userbpf_map__update_elem(m, &k, &v, 0);
	TL_CHECK("a held pointer keeps its value through replacements", p && *p == 1);
	ub_map_epoch_exit(m, tok);
	p = m->ops->lookup(m, &k);
	TL_CHECK("a new lookup sees the replacement", p && *p == 2);
	EQ_ERR("prog delete", m->ops->delete(m, &k), 0);
	EQ_ERR("prog delete missing", m->ops->delete(m, &k), -ENOENT);
	/* Replacing one key 100000 times recycles the elements. */
	int fails = 0;
	for (uint64_t i = 0; i < 100000; i++)
		fails += userbpf_map__update_elem(m, &k, &i, 0) != 0;
	TL_EQ_U64("100000 replacements recycle elements", fails, 0);
	/* A program section that retires more than the slack: updates go on
	 * (in place), new keys may get ENOMEM but never corrupt. */
	tok = ub_map_epoch_enter(m);
	fails = 0;
	for (uint64_t i = 0; i < 5000; i++)
		fails += m->ops->update(m, &k, &i, 0) != 0;
	ub_map_epoch_exit(m, tok);
	TL_EQ_U64("5000 replacements in one program run succeed", fails, 0);
	p = m->ops->lookup(m, &k);
	TL_CHECK("the last one is seen", p && *p == 4999);
	userbpf_map__free(m);
}

static void test_map_in_map(struct userbpf_rt *rt)
{
	struct userbpf_map *tmpl = mk(rt, UB_MAP_ARRAY, 4, 4, 8, 0);
	struct userbpf_map *in1 = mk(rt, UB_MAP_ARRAY, 4, 4, 8, 0);
	struct userbpf_map *bad = mk(rt, UB_MAP_ARRAY, 4, 4, 9, 0);
	struct userbpf_map *htmpl = mk(rt, UB_MAP_HASH, 4, 8, 16, 0);
	struct userbpf_map *hin = mk(rt, UB_MAP_HASH, 4, 8, 64, 0);
	struct userbpf_map_create_opts o = { .sz = sizeof(o), .inner_map = tmpl };
	struct userbpf_map *aom, *hom;
	uint32_t k = 0, id, got = 0, max = 2;
	int rc1;

	if (!tmpl || !in1 || !bad || !htmpl || !hin) {
		tl_fail("map-in-map setup", "cannot create maps");
		return;
	}
	TL_CHECK("array_of_maps without inner is EINVAL",
		 !userbpf_map__create(rt, UB_MAP_ARRAY_OF_MAPS, "o", 4, 4, 2, NULL) &&
			 errno == EINVAL);
	TL_CHECK("array_of_maps value_size 8 is EINVAL",
		 !userbpf_map__create(rt, UB_MAP_ARRAY_OF_MAPS, "o", 4, 8, 2, &o) && errno == EINVAL);
	aom = userbpf_map__create(rt, UB_MAP_ARRAY_OF_MAPS, "aom", 4, 4, max, &o);
	TL_CHECK("array_of_maps create", aom != NULL);
	if (!aom)
		return;
	id = userbpf_map__id(in1);
	rc1 = in1->refcnt;
	EQ_ERR("aom update", userbpf_map__update_elem(aom, &k, &id, 0), 0);
	TL_EQ_U64("aom holds a reference", in1->refcnt, rc1 + 1);
	EQ_ERR("aom lookup gives the id", userbpf_map__lookup_elem(aom, &k, &got, 0), 0);
	TL_EQ_U64("aom id", got, id);
	TL_CHECK("aom program lookup gives the map", aom->ops->lookup(aom, &k) == in1);
	k = 1;
	TL_CHECK("aom program lookup of an empty slot is NULL", aom->ops->lookup(aom, &k) == NULL);
	EQ_ERR("aom lookup of an empty slot is ENOENT", userbpf_map__lookup_elem(aom, &k, &got, 0),
	       -ENOENT);
	EQ_ERR("aom NOEXIST is EINVAL", userbpf_map__update_elem(aom, &k, &id, UB_NOEXIST), -EINVAL);
	id = userbpf_map__id(bad);
	EQ_ERR("aom inner of another size is EINVAL", userbpf_map__update_elem(aom, &k, &id, 0),
	       -EINVAL);
	id = 99999;
	EQ_ERR("aom unknown id is EBADF", userbpf_map__update_elem(aom, &k, &id, 0), -EBADF);
	k = 2;
	id = userbpf_map__id(in1);
	EQ_ERR("aom index past the end is E2BIG", userbpf_map__update_elem(aom, &k, &id, 0), -E2BIG);
	k = 0;
	EQ_ERR("aom delete", userbpf_map__delete_elem(aom, &k), 0);
	TL_EQ_U64("aom delete drops the reference", in1->refcnt, rc1);
	EQ_ERR("aom delete of an empty slot is ENOENT", userbpf_map__delete_elem(aom, &k), -ENOENT);
	userbpf_map__update_elem(aom, &k, &id, 0);
	TL_EQ_U64("aom gnk first", userbpf_map__get_next_key(aom, NULL, &got) == 0 && got == 0, 1);
	userbpf_map__free(aom);
	TL_EQ_U64("freeing the outer map drops its references", in1->refcnt, rc1);

	o.inner_map = htmpl;
	hom = userbpf_map__create(rt, UB_MAP_HASH_OF_MAPS, "hom", 4, 4, 4, &o);
	TL_CHECK("hash_of_maps create", hom != NULL);
	if (hom) {
		uint32_t key = 42;

		id = userbpf_map__id(hin);
		rc1 = hin->refcnt;
		EQ_ERR("hom update (hash inner, other max_entries)",
		       userbpf_map__update_elem(hom, &key, &id, 0), 0);
		key = 43;
		EQ_ERR("hom second key, same inner", userbpf_map__update_elem(hom, &key, &id, 0), 0);
		TL_EQ_U64("hom holds one reference per inner map", hin->refcnt, rc1 + 1);
		TL_CHECK("hom program lookup gives the map", hom->ops->lookup(hom, &key) == hin);
		EQ_ERR("hom lookup gives the id", userbpf_map__lookup_elem(hom, &key, &got, 0), 0);
		TL_EQ_U64("hom id", got, id);
		EQ_ERR("hom NOEXIST on a key is EEXIST",
		       userbpf_map__update_elem(hom, &key, &id, UB_NOEXIST), -EEXIST);
		id = userbpf_map__id(in1);
		EQ_ERR("hom array inner for a hash template is EINVAL",
		       userbpf_map__update_elem(hom, &key, &id, 0), -EINVAL);
		EQ_ERR("hom delete", userbpf_map__delete_elem(hom, &key), 0);
		TL_EQ_U64("hom keeps the reference while a key names it", hin->refcnt, rc1 + 1);
		key = 42;
		userbpf_map__delete_elem(hom, &key);
		TL_EQ_U64("hom drops it with the last key", hin->refcnt, rc1);
		TL_CHECK("hom program lookup of a missing key is NULL",
			 hom->ops->lookup(hom, &key) == NULL);
		id = userbpf_map__id(hin);
		userbpf_map__update_elem(hom, &key, &id, 0);
		userbpf_map__free(hom);
		TL_EQ_U64("freeing hom drops its references", hin->refcnt, rc1);
	}
	/* The template outlives the user's handle: the outer map holds it. */
	o.inner_map = tmpl;
	aom = userbpf_map__create(rt, UB_MAP_ARRAY_OF_MAPS, "aom2", 4, 4, 1, &o);
	userbpf_map__free(tmpl);
	k = 0;
	id = userbpf_map__id(in1);
	EQ_ERR("aom checks against a template the user freed",
	       aom ? userbpf_map__update_elem(aom, &k, &id, 0) : -1, 0);
	userbpf_map__free(in1);
	TL_CHECK("an inner map lives on in the outer map after the user frees it",
		 aom && aom->ops->lookup(aom, &k) != NULL);
	userbpf_map__free(aom);
	userbpf_map__free(bad);
	userbpf_map__free(htmpl);
	userbpf_map__free(hin);
}

static void test_pin(struct userbpf_rt *rt)
{
	char dir[] = "/tmp/ub-hash-XXXXXX", path[64];
	struct userbpf_map *m, *m2;
	uint64_t k, v, got = 0;
	int bad = 0;

	if (!mkdtemp(dir)) {
		tl_fail("hash pin tmpdir", "%s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/h", dir);
	m = mk(rt, UB_MAP_LRU_PERCPU_HASH, 8, 8, 64, 0);
	TL_CHECK("pin create", m != NULL);
	if (!m)
		return;
	size_t sz = userbpf_map__user_value_size(m);
	uint8_t *pv = calloc(1, sz), *po = calloc(1, sz);
	for (k = 0; k < 50; k++) {
		memcpy(pv, &k, 8);
		userbpf_map__update_elem(m, &k, pv, 0);
	}
	EQ_ERR("pin hash", userbpf_map__pin(m, path), 0);
	m2 = userbpf_map__open_pinned(rt, path);
	TL_CHECK("open pinned hash", m2 != NULL);
	if (m2) {
		for (k = 0; k < 50; k++)
			bad += userbpf_map__lookup_elem(m2, &k, po, 0) || memcmp(po, &k, 8);
		TL_EQ_U64("reopened hash holds every key", bad, 0);
		k = 1000;
		v = 31;
		memcpy(pv, &v, 8);
		userbpf_map__update_elem(m2, &k, pv, 0);
		EQ_ERR("write through the pin is seen live", userbpf_map__lookup_elem(m, &k, po, 0), 0);
		memcpy(&got, po, 8);
		TL_EQ_U64("live value", got, 31);
		userbpf_map__free(m2);
	}
	free(pv);
	free(po);
	userbpf_map__free(m);
	unlink(path);
	rmdir(dir);
}

/* Every allocation of creating and filling the maps fails in turn. */
static void test_alloc_failures(void)
{
	int bad = 0;

	for (long n = 1; n < 40; n++) {
		struct userbpf_rt *rt = tl_rt_new(n);
		struct userbpf_map *t, *h, *o;
		struct userbpf_map_create_opts oo = { .sz = sizeof(oo) };
		uint32_t k = 1, id;

		if (!rt)
			continue;
		t = mk(rt, UB_MAP_HASH, 4, 4, 4, 0);
		h = mk(rt, UB_MAP_HASH, 4, 4, 4, 0);
		oo.inner_map = t;
		o = t ? userbpf_map__create(rt, UB_MAP_HASH_OF_MAPS, "o", 4, 4, 4, &oo) : NULL;
		if (o && h) {
			id = userbpf_map__id(h);
			for (k = 0; k < 20; k++) {
				int err = userbpf_map__update_elem(o, &k, &id, 0);
				bad += err && err != -ENOMEM && err != -E2BIG;
			}
		}
		userbpf_map__free(o);
		userbpf_map__free(h);
		userbpf_map__free(t);
		userbpf_rt__free(rt);
	}
	TL_EQ_U64("failing allocations give clean errors", bad, 0);
}

int main(void)
{
	struct userbpf_rt *rt = tl_rt_new(0);

	test_create(rt);
	test_hash_flags(rt, UB_MAP_HASH, "hash");
	test_hash_flags(rt, UB_MAP_LRU_HASH, "lru_hash");
	test_get_next_key(rt);
	test_spin_lock(rt);
	test_field_pin(rt);
	test_lru(rt);
	test_percpu(rt, UB_MAP_PERCPU_HASH, "percpu_hash");
	test_percpu(rt, UB_MAP_LRU_PERCPU_HASH, "lru_percpu_hash");
	test_prog_side(rt);
	test_map_in_map(rt);
	test_pin(rt);
	test_alloc_failures();
	userbpf_rt__free(rt);
	return tl_exit();
}
