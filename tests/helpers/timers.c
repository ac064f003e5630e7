/* SPDX-License-Identifier: MIT */
/*
 * timers.c - bpf_timer: a timer armed by a program fires its callback
 * once, on the element it lives in (key and value); init twice is EBUSY;
 * a far timer cancelled never fires and cancel reports it was armed;
 * freeing the program stops its timers.  In ARRAY values
 * (progs/timer.bpf.c), where an update of the element (BPF_ANY or
 * BPF_EXIST, by user space, by a program, by the timer's own callback
 * after re-arming it) cancels and frees its timer, as Linux's
 * array_map_update_elem does: it never fires, the element inits a new one
 * at once, an update that fails (BPF_NOEXIST) or of another element
 * leaves it, and an update racing the callback returns after it; the
 * answers expected are Linux 6.18's (timer.bpf.c run once through libbpf).
 * An ARRAY without timers updates as before and never counts one.  In
 * HASH and LRU_HASH values
 * (progs/timer_hash.bpf.c), where a timer also goes with its element:
 * deleted (by user space, by the program, by its own callback), replaced
 * by an update (either side) or evicted (LRU), the element's timer never
 * fires, and a new element at the same place starts without one.  A
 * PERCPU_HASH cannot hold one (progs/bad_timer_percpu.bpf.c: refused, as
 * by Linux).  A stress of arms
 * racing deletes, and closing the object with hash timers armed, are for
 * ASan and the timer thread's join to judge.  The hash and LRU answers
 * expected here are Linux 6.18's (timer_hash.bpf.c run once through
 * libbpf: the same return codes, fires and survivors).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "testlib.h"
#include "maps/map.h"

struct elem {
	uint64_t t[2];
	uint64_t fired, key_seen;
};

/* arm's context: key, op, delay in microseconds (0: 1 ms) */
static int64_t run_us(struct userbpf_prog *p, uint32_t key, uint32_t op, uint32_t us)
{
	uint32_t ctx[4] = { key, op, us, 0 };
	struct userbpf_test_run_opts o = { .sz = sizeof(o), .ctx_in = ctx, .ctx_size_in = 16 };

	if (userbpf_prog__test_run(p, &o))
		return -1000 - errno;
	return (int32_t)o.retval;
}

static int64_t run(struct userbpf_prog *p, uint32_t key, uint32_t op)
{
	return run_us(p, key, op, 0);
}

/* harm's context: key, op, map (0 ht, 1 lt), delay in microseconds */
static int64_t hrun(struct userbpf_prog *p, uint32_t key, uint32_t op, uint32_t which,
		    uint32_t us)
{
	uint32_t ctx[4] = { key, op, which, us };
	struct userbpf_test_run_opts o = { .sz = sizeof(o), .ctx_in = ctx, .ctx_size_in = 16 };

	if (userbpf_prog__test_run(p, &o))
		return -1000 - errno;
	return (int32_t)o.retval;
}

static uint64_t fires(struct userbpf_map *f, uint32_t i)
{
	uint64_t v = 0;

	userbpf_map__lookup_elem(f, &i, &v, 0);
	return v;
}

static bool has(struct userbpf_map *m, uint32_t key)
{
	struct elem e;

	return userbpf_map__lookup_elem(m, &key, &e, 0) == 0;
}

/* Waits (up to about a second) until fires[i] reaches n; its value. */
static uint64_t wait_fires(struct userbpf_map *f, uint32_t i, uint64_t n)
{
	for (int k = 0; k < 200 && fires(f, i) < n; k++)
		usleep(5000);
	return fires(f, i);
}

static struct elem get(struct userbpf_map *m, uint32_t key)
{
	struct elem e;

	memset(&e, 0, sizeof(e));
	userbpf_map__lookup_elem(m, &key, &e, 0);
	return e;
}

/* clang on UB_ROOT/tests/helpers/progs/NAME into path; 0 on success. */
static int build(const char *root, const char *name, const char *path)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "clang -O2 -g -target bpf -I%s/include -I/usr/include/$(gcc -dumpmachine) -c %s/tests/helpers/progs/%s -o %s",
		 root, root, name, path);
	return system(cmd);
}

/* A timer in a PERCPU_HASH value: refused, as by Linux. */
static void percpu_timer(struct userbpf_rt *rt, const char *root, const char *path)
{
	struct userbpf_obj *obj;
	struct userbpf_prog *pp;

	if (build(root, "bad_timer_percpu.bpf.c", path)) {
		tl_fail("percpu hash: bad_timer_percpu.bpf.c builds", "clang failed");
		return;
	}
	obj = userbpf_obj__open_file(rt, path, NULL);
	pp = obj && !userbpf_obj__load(obj) ? userbpf_obj__find_prog(obj, "parm") : NULL;
	if (!pp) {
		tl_fail("percpu hash: bad_timer_percpu.bpf.c loads", "%s", tl_last_log);
	} else {
		TL_CHECK("percpu hash: a timer in its value is refused by the verifier",
			 userbpf_prog__verify(pp, NULL) != 0);
		TL_EQ_U64("percpu hash: and bpf_timer_init says EOPNOTSUPP",
			  (uint64_t)hrun(pp, 1, 0, 0, 0), (uint64_t)-EOPNOTSUPP);
	}
	userbpf_obj__close(obj);
}

static uint32_t ntimers(struct userbpf_map *m)
{
	return atomic_load(&m->ntimers);
}

/* An ARRAY without timers: updates as before (values, flags, bounds) and
 * never counts a timer, so its update path stays one load. */
static void array_plain(struct userbpf_rt *rt)
{
	struct userbpf_map *a = userbpf_map__create(rt, 2, "plain", 4, 12, 4, NULL);
	uint8_t v[12], got[12];
	uint32_t k;
	int bad = 0;

	if (!a) {
		tl_fail("array without timers: created", "%s", tl_last_log);
		return;
	}
	for (uint32_t i = 0; i < 20000; i++) {
		k = i % 4;
		memset(v, (int)(i & 0xff), sizeof(v));
		bad += userbpf_map__update_elem(a, &k, v, i % 2 ? 2 : 0) != 0;	/* EXIST, ANY */
		bad += userbpf_map__lookup_elem(a, &k, got, 0) != 0 || memcmp(v, got, sizeof(v));
	}
	TL_EQ_U64("array without timers: 20000 updates (ANY, EXIST) read back", bad, 0);
	k = 1;
	TL_EQ_U64("array without timers: NOEXIST is EEXIST",
		  (uint64_t)userbpf_map__update_elem(a, &k, v, 1), (uint64_t)-EEXIST);
	k = 4;
	TL_EQ_U64("array without timers: past the end is E2BIG",
		  (uint64_t)userbpf_map__update_elem(a, &k, v, 0), (uint64_t)-E2BIG);
	TL_EQ_U64("array without timers: no timer counted", ntimers(a), 0);
	userbpf_map__free(a);
}

/* ARRAY: an update of an element cancels and frees its timer (Linux). */
static void array_updates(struct userbpf_prog *p, struct userbpf_map *m, struct userbpf_map *f,
			  struct userbpf_map *seen)
{
	struct elem zero;
	uint32_t key, n;
	int64_t s[6];

	memset(&zero, 0, sizeof(zero));
	TL_EQ_U64("array: key 4 armed at 30 ms", run_us(p, 4, 0, 30000), 0);
	n = ntimers(m);
	key = 4;
	TL_EQ_U64("array: key 4 updated by user space (BPF_ANY)",
		  userbpf_map__update_elem(m, &key, &zero, 0), 0);
	TL_EQ_U64("array: ... which freed its timer (one fewer counted)", ntimers(m), n - 1);
	TL_EQ_U64("array: key 5 armed at 30 ms", run_us(p, 5, 0, 30000), 0);
	TL_EQ_U64("array: key 5 updated by the program (BPF_EXIST)", run(p, 5, 4), 0);
	TL_EQ_U64("array: key 6 armed at 30 ms", run_us(p, 6, 0, 30000), 0);
	key = 6;
	TL_EQ_U64("array: key 6 updated with BPF_NOEXIST: EEXIST",
		  (uint64_t)userbpf_map__update_elem(m, &key, &zero, 1), (uint64_t)-EEXIST);
	n = ntimers(m);
	key = 7;
	TL_EQ_U64("array: key 7 (no timer) updated", userbpf_map__update_elem(m, &key, &zero, 2), 0);
	TL_EQ_U64("array: ... which leaves the count", ntimers(m), n);
	usleep(120000);
	TL_EQ_U64("array: the timer of the element updated by user space never fired", fires(f, 4), 0);
	TL_EQ_U64("array: the timer of the element updated by the program never fired", fires(f, 5), 0);
	TL_EQ_U64("array: the program's update took its value", get(m, 5).fired, 100);
	TL_EQ_U64("array: a failed update (NOEXIST) left the timer: it fired once", fires(f, 6), 1);

	/* the element starts without a timer, and inits one at once */
	TL_EQ_U64("array: start after the update: EINVAL (no timer)",
		  (uint64_t)run(p, 5, 5), (uint64_t)-EINVAL);
	TL_EQ_U64("array: init after a user space update: 0, not EBUSY", run(p, 4, 2), 0);
	TL_EQ_U64("array: init, set_callback, start after a program's update", run(p, 5, 0), 0);
	TL_EQ_U64("array: the new timer fired once", wait_fires(f, 5, 1), 1);

	/* a callback re-arms its timer, then replaces its own element */
	TL_EQ_U64("array: key 7 armed (1 ms) with a callback that updates its element",
		  run(p, 7, 6), 0);
	wait_fires(f, 7, 2);
	usleep(30000);
	for (uint32_t i = 0; i < 6; i++) {
		s[i] = -1000;
		userbpf_map__lookup_elem(seen, &i, &s[i], 0);
	}
	TL_CHECK("array: in the callback: re-arm 0, update 0, start after it EINVAL",
		 s[0] == 0 && s[1] == 0 && s[2] == -EINVAL);
	TL_CHECK("array: ... then init, set_callback, start of a new timer: 0, 0, 0",
		 s[3] == 0 && s[4] == 0 && s[5] == 0);
	TL_EQ_U64("array: the re-armed timer never fired again; the new one once (2 runs)",
		  fires(f, 7), 2);
	TL_EQ_U64("array: the new timer's callback ran on the updated value", get(m, 7).fired, 51);

	/* an update waits for the callback running on its element's timer
	 * (Linux's hrtimer_cancel), and it never runs again */
	{
		uint32_t i6 = 6;
		int64_t started = 0;
		uint64_t at_return;
		int k;

		TL_EQ_U64("array: key 8 armed (1 ms) with a slow callback", run(p, 8, 7), 0);
		for (k = 0; k < 400 && !started; k++) {
			usleep(500);
			userbpf_map__lookup_elem(seen, &i6, &started, 0);
		}
		key = 8;
		TL_EQ_U64("array: key 8 updated while its callback runs",
			  userbpf_map__update_elem(m, &key, &zero, 0), 0);
		at_return = fires(f, 8);
		usleep(20000);
		TL_CHECK("array: the update returned after the callback (seen running, then done)",
			 started == 1 && at_return == 1);
		TL_EQ_U64("array: and it did not run again", fires(f, 8), 1);
	}

	/* updates racing callbacks: each update returns after a callback of
	 * its element's timer that runs meanwhile (ASan for the rest) */
	{
		uint64_t snap[12] = { 0 };
		int armed = 0, late = 0;

		for (int i = 0; i < 400; i++) {
			key = 8 + (uint32_t)(i % 4);
			armed += run_us(p, key, 0, (uint32_t)(i % 3) * 40 + 1) == 0;
			if (i % 3 == 2)
				usleep(40);
			if (i % 2)
				userbpf_map__update_elem(m, &key, &zero, 0);
			else
				run(p, key, 4);
			snap[key] = fires(f, key);
		}
		usleep(30000);
		for (key = 8; key < 12; key++)
			late += fires(f, key) != snap[key];
		TL_CHECK("array: 400 arms racing updates: all armed", armed == 400);
		TL_EQ_U64("array: no callback ran after the update of its element returned", late, 0);
	}
}

static void hash_timers(const char *root)
{
	char obj_path[] = "/tmp/ub-timerh-XXXXXX";
	struct userbpf_rt *rt;
	struct userbpf_obj *obj;
	struct userbpf_prog *p;
	struct userbpf_map *ht, *lt, *f;
	struct elem zero;
	uint64_t before;
	uint32_t key, survivors = 0;
	int fd = mkstemp(obj_path);

	if (fd < 0) {
		tl_fail("hash timers", "mkstemp");
		return;
	}
	close(fd);
	memset(&zero, 0, sizeof(zero));
	if (build(root, "timer_hash.bpf.c", obj_path)) {
		tl_fail("hash timers", "clang -target bpf failed on timer_hash.bpf.c");
		unlink(obj_path);
		return;
	}
	rt = tl_rt_new(0);
	obj = userbpf_obj__open_file(rt, obj_path, NULL);
	TL_CHECK("hash: timer object loads", obj && !userbpf_obj__load(obj));
	p = obj ? userbpf_obj__find_prog(obj, "harm") : NULL;
	ht = obj ? userbpf_obj__find_map(obj, "ht") : NULL;
	lt = obj ? userbpf_obj__find_map(obj, "lt") : NULL;
	f = obj ? userbpf_obj__find_map(obj, "fires") : NULL;
	if (!p || !ht || !lt || !f) {
		tl_fail("hash: programs and maps found", "%s", tl_last_log);
		goto out;
	}
	TL_EQ_U64("hash: program with timers in HASH and LRU_HASH values verifies",
		  userbpf_prog__verify(p, NULL), 0);

	/* fires once, with the element's own key */
	TL_EQ_U64("hash: init, set_callback, start 1 ms", hrun(p, 5, 0, 0, 1000), 0);
	TL_EQ_U64("hash: the callback ran once", wait_fires(f, 0, 1), 1);
	usleep(20000);
	TL_CHECK("hash: on its element, with its key",
		 get(ht, 5).fired == 1 && get(ht, 5).key_seen == 5 && fires(f, 3) == 5 &&
		 fires(f, 0) == 1);
	TL_EQ_U64("hash: init twice is EBUSY", (uint64_t)hrun(p, 5, 2, 0, 0), (uint64_t)-EBUSY);
	TL_EQ_U64("hash: a timer 10 s away", hrun(p, 6, 0, 0, 10000000), 0);
	TL_EQ_U64("hash: cancel says it was armed", hrun(p, 6, 1, 0, 0), 1);
	TL_EQ_U64("hash: cancel again says it was not", hrun(p, 6, 1, 0, 0), 0);
	key = 7;
	userbpf_map__update_elem(ht, &key, &zero, 0);
	TL_EQ_U64("hash: cancel of an uninitialised timer is EINVAL",
		  (uint64_t)hrun(p, 7, 1, 0, 0), (uint64_t)-EINVAL);

	/* a timer goes with its element */
	before = fires(f, 0);
	TL_EQ_U64("hash: key 8 armed at 30 ms", hrun(p, 8, 0, 0, 30000), 0);
	key = 8;
	TL_EQ_U64("hash: key 8 deleted by user space", userbpf_map__delete_elem(ht, &key), 0);
	TL_EQ_U64("hash: key 9 armed at 30 ms", hrun(p, 9, 0, 0, 30000), 0);
	TL_EQ_U64("hash: key 9 deleted by the program", hrun(p, 9, 3, 0, 0), 0);
	TL_EQ_U64("hash: key 10 armed at 30 ms", hrun(p, 10, 0, 0, 30000), 0);
	key = 10;
	TL_EQ_U64("hash: key 10 replaced by user space's update",
		  userbpf_map__update_elem(ht, &key, &zero, 0), 0);
	TL_EQ_U64("hash: key 11 armed at 30 ms", hrun(p, 11, 0, 0, 30000), 0);
	TL_EQ_U64("hash: key 11 replaced by the program's update", hrun(p, 11, 4, 0, 0), 0);
	usleep(120000);
	TL_EQ_U64("hash: no timer of a deleted or replaced element fired", fires(f, 0), before);
	TL_EQ_U64("hash: the program's update took its value", get(ht, 11).fired, 100);
	key = 8;
	userbpf_map__update_elem(ht, &key, &zero, 0);
	TL_EQ_U64("hash: an element inserted again has no timer (start: EINVAL)",
		  (uint64_t)hrun(p, 8, 5, 0, 1000), (uint64_t)-EINVAL);
	TL_EQ_U64("hash: ... and its init is not EBUSY", hrun(p, 8, 2, 0, 0), 0);
	TL_EQ_U64("hash: a replaced element's successor inits afresh", hrun(p, 10, 2, 0, 0), 0);

	/* a callback that deletes its own element */
	TL_EQ_U64("hash: a callback deleting its own element, armed", hrun(p, 12, 6, 0, 1000), 0);
	TL_EQ_U64("hash: it ran once", wait_fires(f, 2, 1), 1);
	usleep(10000);
	TL_CHECK("hash: and its element is gone", !has(ht, 12));

	/* LRU: evicted elements' timers never fire, the others do */
	{
		int bad = 0;

		for (key = 1; key <= 4; key++)
			bad += hrun(p, key, 0, 1, 60000) != 0;
		TL_EQ_U64("lru: keys 1..4 armed at 60 ms (init, set_callback, start)", bad, 0);
	}
	for (key = 100; key < 102; key++)
		userbpf_map__update_elem(lt, &key, &zero, 0);
	for (key = 1; key <= 4; key++)
		survivors += has(lt, key);
	TL_CHECK("lru: two new keys in a full map evicted some of the armed", survivors < 4);
	usleep(150000);
	TL_EQ_U64("lru: exactly the surviving elements' timers fired", fires(f, 1), survivors);
	{
		int bad = 0;

		for (key = 1; key <= 4; key++)
			bad += has(lt, key) && (get(lt, key).fired != 1 || get(lt, key).key_seen != key);
		TL_EQ_U64("lru: each survivor's callback ran on it once, with its key", bad, 0);
	}


	/* arms racing deletes: no callback on a deleted element (ASan) */
	before = fires(f, 0);
	{
		int armed = 0;

		for (int i = 0; i < 400; i++) {
			key = 20 + (uint32_t)(i % 8);
			armed += hrun(p, key, 0, 0, (uint32_t)(i % 3) * 50) == 0;
			if (i % 2)
				userbpf_map__delete_elem(ht, &key);
			else
				hrun(p, key, 3, 0, 0);
		}
		usleep(30000);
		{
			uint64_t after = fires(f, 0);

			usleep(30000);
			TL_CHECK("hash: 400 arms racing deletes: no more fires than arms, none late",
				 after - before <= (uint64_t)armed && fires(f, 0) == after);
		}
	}

	/* closing with hash timers armed stops them */
	TL_EQ_U64("hash: armed at 1 ms before the close", hrun(p, 30, 0, 0, 1000), 0);
	TL_EQ_U64("hash: armed at 5 ms before the close", hrun(p, 31, 0, 0, 5000), 0);
out:
	userbpf_obj__close(obj);
	usleep(10000);
	percpu_timer(rt, root, obj_path);
	userbpf_rt__free(rt);
	unlink(obj_path);
}

int main(void)
{
	const char *root = getenv("UB_ROOT");
	char cmd[1024], obj_path[] = "/tmp/ub-timer-XXXXXX";
	struct userbpf_rt *rt;
	struct userbpf_obj *obj;
	struct userbpf_prog *p;
	struct userbpf_map *m, *f, *seen;
	int fd;

	if (!root) {
		tl_skip("timers", "UB_ROOT is not set (run through tests/run.sh)");
		return 0;
	}
	fd = mkstemp(obj_path);
	if (fd < 0)
		return 1;
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "clang -O2 -g -target bpf -I%s/include -I/usr/include/$(gcc -dumpmachine) -c %s/tests/helpers/progs/timer.bpf.c -o %s",
		 root, root, obj_path);
	if (system(cmd)) {
		tl_skip("timers", "clang -target bpf failed");
		unlink(obj_path);
		return 0;
	}
	rt = tl_rt_new(0);
	obj = userbpf_obj__open_file(rt, obj_path, NULL);
	TL_CHECK("timer object loads", obj && !userbpf_obj__load(obj));
	p = obj ? userbpf_obj__find_prog(obj, "arm") : NULL;
	m = obj ? userbpf_obj__find_map(obj, "timers") : NULL;
	f = obj ? userbpf_obj__find_map(obj, "fires") : NULL;
	seen = obj ? userbpf_obj__find_map(obj, "seen") : NULL;
	if (!p || !m || !f || !seen)
		return tl_exit();
	TL_EQ_U64("program with timers verifies", userbpf_prog__verify(p, NULL), 0);
	TL_EQ_U64("init, set_callback, start 1 ms", run(p, 2, 0), 0);
	for (int i = 0; i < 200 && get(m, 2).fired == 0; i++)
		usleep(5000);
	usleep(20000);
	TL_EQ_U64("the callback ran once", get(m, 2).fired, 1);
	TL_EQ_U64("with the element's key", get(m, 2).key_seen, 2);
	TL_EQ_U64("other elements untouched", get(m, 1).fired, 0);
	TL_EQ_U64("init twice is EBUSY", (uint64_t)run(p, 2, 2), (uint64_t)-EBUSY);
	TL_EQ_U64("a timer 10 s away", run(p, 3, 3), 0);
	TL_EQ_U64("cancel says it was armed", run(p, 3, 1), 1);
	TL_EQ_U64("cancel again says it was not", run(p, 3, 1), 0);
	TL_EQ_U64("cancel of an uninitialised timer is EINVAL", (uint64_t)run(p, 0, 1), (uint64_t)-EINVAL);
	array_updates(p, m, f, seen);
	array_plain(rt);
	TL_EQ_U64("re-armed at 1 ms", run(p, 1, 0), 0);
	/* Freeing the program with a timer armed stops it (ASan and the
	 * timer thread's join in userbpf_rt__free would catch a callback
	 * into freed code). */
	userbpf_obj__close(obj);
	usleep(20000);
	userbpf_rt__free(rt);
	unlink(obj_path);
	hash_timers(root);
	return tl_exit();
}
