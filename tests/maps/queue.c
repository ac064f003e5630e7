/* SPDX-License-Identifier: MIT */
/*
 * queue.c - QUEUE and STACK: Linux's creation rules and element errors,
 * compared with the kernel (bpf(2)) where it answers; the same random
 * sequence of push/pop/peek on both, answer by answer; threads pushing
 * and popping at once lose and duplicate nothing; a pin shares the map.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "testlib.h"
#include "tl_kbpf.h"
#include "tl_rng.h"

/* ---- the kernel, when bpf() answers ------------------------------------- */

static int kernel_answers(void)
{
	int fd = kcreate(BPF_MAP_TYPE_QUEUE, 0, 4, 1, 0, 0);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int ub_create_err(struct userbpf_rt *rt, uint32_t type, uint32_t ks, uint32_t vs,
			 uint32_t me, uint32_t flags, uint64_t extra)
{
	struct userbpf_map_create_opts o = { .sz = sizeof(o), .map_flags = flags,
					     .map_extra = extra };
	struct userbpf_map *m = userbpf_map__create(rt, type, "q", ks, vs, me, &o);

	if (!m)
		return -errno;
	userbpf_map__free(m);
	return 0;
}

static void test_create(struct userbpf_rt *rt, int kern)
{
	static const struct { uint32_t ks, vs, me, flags; uint64_t extra; } c[] = {
		{ 0, 4, 4, 0, 0 }, { 4, 4, 4, 0, 0 }, { 0, 0, 4, 0, 0 }, { 0, 4, 0, 0, 0 },
		{ 0, 4, 4, BPF_F_NO_PREALLOC, 0 }, { 0, 4, 4, 0, 1 }, { 0, 4, 4, BPF_F_RDONLY, 0 },
		{ 0, 4, 4, BPF_F_WRONLY_PROG, 0 }, { 0, 4, 4, BPF_F_ZERO_SEED, 0 },
		{ 0, 4, 4, BPF_F_MMAPABLE, 0 }, { 0, 4, 4, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG, 0 },
		{ 0, 100, 1000, 0, 0 },
	};
	int bad = 0;

	for (unsigned t = 0; t < 2; t++) {
		uint32_t type = t ? BPF_MAP_TYPE_STACK : BPF_MAP_TYPE_QUEUE;

		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			int u = ub_create_err(rt, type, c[i].ks, c[i].vs, c[i].me, c[i].flags,
					      c[i].extra);
			int k;

			if (!kern) {
				/* Linux's answers, recorded from 6.18. */
				static const int want[] = { 0, -EINVAL, -EINVAL, -EINVAL, -EINVAL,
							    -EINVAL, 0, 0, -EINVAL, -EINVAL,
							    -EINVAL, 0 };
				k = want[i];
			} else {
				k = kcreate(type, c[i].ks, c[i].vs, c[i].me, c[i].flags, c[i].extra);
				if (k >= 0) {
					close(k);
					k = 0;
				}
			}
			if (u != k) {
				tl_fail("queue/stack create answers as Linux",
					"type %u case %zu: userbpf %d, Linux %d", type, i, u, k);
				bad++;
			}
		}
	}
	if (!bad)
		tl_ok("queue/stack create answers as Linux (24 definitions)");
}

/* ---- one random sequence on both ---------------------------------------- */

enum { OP_PUSH, OP_POP, OP_PEEK, OP_KEYED, OP_DELETE, OP_NEXT };

static void test_sequence(struct userbpf_rt *rt, uint32_t type, const char *name)
{
	struct tl_rng r = { 42 + type };
	struct userbpf_map *m = userbpf_map__create(rt, type, "seq", 0, 12, 7, NULL);
	int kfd = kcreate(type, 0, 12, 7, 0, 0);
	unsigned ops = 20000, diffs = 0, pops_ok = 0;
	char msg[160] = "";

	if (!m || kfd < 0) {
		if (m && kfd < 0)
			tl_skip(name, "bpf() does not answer (not root, or no BPF)");
		else
			tl_fail(name, "cannot create the map");
		userbpf_map__free(m);
		return;
	}
	for (unsigned i = 0; i < ops && diffs < 5; i++) {
		uint8_t v[12], uo[12], ko[12], key[12] = { 0 };
		long u = 0, k = 0;
		unsigned op = tl_rn(&r, 12);
		uint64_t fl;

		for (int j = 0; j < 12; j++)
			v[j] = (uint8_t)tl_rnd(&r);
		memset(uo, 0, sizeof(uo));
		memset(ko, 0, sizeof(ko));
		switch (op < 5 ? OP_PUSH : op < 8 ? OP_POP : op < 10 ? OP_PEEK : op - 7) {
		case OP_PUSH:
			fl = tl_rn(&r, 8) == 0 ? tl_rn(&r, 6) : tl_rn(&r, 3) == 0 ? BPF_EXIST : 0;
			u = userbpf_map__update_elem(m, NULL, v, fl);
			k = kop(BPF_MAP_UPDATE_ELEM, kfd, NULL, v, fl);
			break;
		case OP_POP:
			u = userbpf_map__lookup_and_delete_elem(m, NULL, uo);
			k = kop(BPF_MAP_LOOKUP_AND_DELETE_ELEM, kfd, NULL, ko, 0);
			pops_ok += u == 0;
			break;
		case OP_PEEK:
			fl = tl_rn(&r, 10) == 0 ? BPF_F_LOCK : 0;
			u = userbpf_map__lookup_elem(m, NULL, uo, fl);
			k = kop(BPF_MAP_LOOKUP_ELEM, kfd, NULL, ko, fl);
			break;
		case OP_KEYED:
			u = userbpf_map__lookup_elem(m, key, uo, 0);
			k = kop(BPF_MAP_LOOKUP_ELEM, kfd, key, ko, 0);
			break;
		case OP_DELETE:
			u = userbpf_map__delete_elem(m, NULL);
			k = kop(BPF_MAP_DELETE_ELEM, kfd, NULL, NULL, 0);
			break;
		default:
			u = userbpf_map__get_next_key(m, NULL, key);
			k = kop(BPF_MAP_GET_NEXT_KEY, kfd, NULL, key, 0);
			break;
		}
		if (u != k || memcmp(uo, ko, sizeof(uo))) {
			snprintf(msg, sizeof(msg), "op %u (kind %u): userbpf %ld, Linux %ld%s", i, op,
				 u, k, u == k ? " (values differ)" : "");
			diffs++;
		}
	}
	if (diffs)
		tl_fail(name, "%s", msg);
	else
		tl_ok(name);
	printf("# %s: %u operations, %u successful pops, same answers and values as Linux\n",
	       name, ops, pops_ok);
	close(kfd);
	userbpf_map__free(m);
}

/* Without the kernel: the orders themselves. */
static void test_order(struct userbpf_rt *rt)
{
	struct userbpf_map *q = userbpf_map__create(rt, BPF_MAP_TYPE_QUEUE, "q", 0, 4, 3, NULL);
	struct userbpf_map *s = userbpf_map__create(rt, BPF_MAP_TYPE_STACK, "s", 0, 4, 3, NULL);
	uint32_t v, got[4] = { 0 };
	int bad = 0;

	TL_CHECK("queue and stack create", q && s);
	if (!q || !s)
		goto out;
	for (v = 1; v <= 3; v++) {
		bad += userbpf_map__update_elem(q, NULL, &v, 0) != 0;
		bad += userbpf_map__update_elem(s, NULL, &v, 0) != 0;
	}
	TL_EQ_U64("pushes into room succeed", bad, 0);
	v = 4;
	TL_EQ_U64("push into a full queue is E2BIG", userbpf_map__update_elem(q, NULL, &v, 0),
		  (uint64_t)-E2BIG);
	TL_EQ_U64("push BPF_EXIST into a full queue", userbpf_map__update_elem(q, NULL, &v, BPF_EXIST), 0);
	TL_EQ_U64("push BPF_EXIST into a full stack", userbpf_map__update_elem(s, NULL, &v, BPF_EXIST), 0);
	TL_EQ_U64("push BPF_NOEXIST is EINVAL", userbpf_map__update_elem(q, NULL, &v, BPF_NOEXIST),
		  (uint64_t)-EINVAL);
	userbpf_map__lookup_elem(q, NULL, &got[0], 0);
	TL_EQ_U64("queue peek is the oldest left (1 was overwritten)", got[0], 2);
	for (int i = 0; i < 3; i++)
		userbpf_map__lookup_and_delete_elem(q, NULL, &got[i]);
	TL_CHECK("queue pops in FIFO order", got[0] == 2 && got[1] == 3 && got[2] == 4);
	for (int i = 0; i < 3; i++)
		userbpf_map__lookup_and_delete_elem(s, NULL, &got[i]);
	TL_CHECK("stack pops in LIFO order, oldest overwritten",
		 got[0] == 4 && got[1] == 3 && got[2] == 2);
	TL_EQ_U64("empty queue pop is ENOENT", userbpf_map__lookup_and_delete_elem(q, NULL, &v),
		  (uint64_t)-ENOENT);
	TL_EQ_U64("empty stack peek is ENOENT", userbpf_map__lookup_elem(s, NULL, &v, 0),
		  (uint64_t)-ENOENT);
	TL_EQ_U64("a key for key_size 0 is EINVAL", userbpf_map__update_elem(q, &v, &v, 0),
		  (uint64_t)-EINVAL);
	userbpf_map__freeze(q);
	TL_EQ_U64("a frozen queue refuses push", userbpf_map__update_elem(q, NULL, &v, 0),
		  (uint64_t)-EPERM);
out:
	userbpf_map__free(q);
	userbpf_map__free(s);
}

/* ---- threads ----------------------------------------------------------------- */

#define TH_N 2
#define TH_PER 50000

struct th {
	struct userbpf_map *m;
	unsigned id;
	uint64_t popped_sum, popped, full;
};

static void *pusher(void *arg)
{
	struct th *t = arg;

	for (uint32_t i = 0; i < TH_PER; i++) {
		uint64_t v = ((uint64_t)t->id << 32) | i;

		while (userbpf_map__update_elem(t->m, NULL, &v, 0) == -E2BIG) {
			t->full++;
			sched_yield();
		}
	}
	return NULL;
}

static void *popper(void *arg)
{
	struct th *t = arg;

	while (t->popped < TH_PER) {
		uint64_t v;

		if (userbpf_map__lookup_and_delete_elem(t->m, NULL, &v) == 0) {
			t->popped_sum += (uint32_t)v;
			t->popped++;
		} else {
			sched_yield();
		}
	}
	return NULL;
}

static void test_threads(struct userbpf_rt *rt, uint32_t type, const char *name)
{
	struct userbpf_map *m = userbpf_map__create(rt, type, "th", 0, 8, 64, NULL);
	pthread_t tid[2 * TH_N];
	struct th t[2 * TH_N];
	uint64_t sum = 0, want = (uint64_t)TH_N * TH_PER * (TH_PER - 1) / 2, n = 0, full = 0;
	uint64_t v;

	if (!m) {
		tl_fail(name, "create");
		return;
	}
	memset(t, 0, sizeof(t));
	for (unsigned i = 0; i < 2 * TH_N; i++) {
		t[i].m = m;
		t[i].id = i;
		pthread_create(&tid[i], NULL, i < TH_N ? pusher : popper, &t[i]);
	}
	for (unsigned i = 0; i < 2 * TH_N; i++)
		pthread_join(tid[i], NULL);
	for (unsigned i = 0; i < 2 * TH_N; i++) {
		sum += t[i].popped_sum;
		n += t[i].popped;
		full += t[i].full;
	}
	if (n == (uint64_t)TH_N * TH_PER && sum == want &&
	    userbpf_map__lookup_elem(m, NULL, &v, 0) == -ENOENT)
		tl_ok(name);
	else
		tl_fail(name, "popped %llu (sum %llu), want %u (sum %llu)", (unsigned long long)n,
			(unsigned long long)sum, TH_N * TH_PER, (unsigned long long)want);
	printf("# %s: %u pushers, %u poppers, %u values each through 64 slots, %llu pushes found it full\n",
	       name, TH_N, TH_N, TH_PER, (unsigned long long)full);
	userbpf_map__free(m);
}

static void test_pin(struct userbpf_rt *rt)
{
	char dir[] = "/tmp/ub-queue-XXXXXX", path[64];
	struct userbpf_map *m, *m2;
	uint32_t v = 5, got = 0;

	if (!mkdtemp(dir)) {
		tl_fail("queue pin", "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/q", dir);
	m = userbpf_map__create(rt, BPF_MAP_TYPE_QUEUE, "pq", 0, 4, 4, NULL);
	if (!m || userbpf_map__pin(m, path)) {
		tl_fail("queue pin", "create or pin failed");
		userbpf_map__free(m);
		return;
	}
	m2 = userbpf_map__open_pinned(rt, path);
	TL_CHECK("queue open pinned", m2 != NULL);
	if (m2) {
		userbpf_map__update_elem(m, NULL, &v, 0);
		TL_EQ_U64("the other mapping pops what one pushed",
			  userbpf_map__lookup_and_delete_elem(m2, NULL, &got), 0);
		TL_EQ_U64("popped value", got, 5);
		TL_EQ_U64("and the first sees it gone", userbpf_map__lookup_elem(m, NULL, &got, 0),
			  (uint64_t)-ENOENT);
		userbpf_map__free(m2);
	}
	userbpf_map__free(m);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	struct userbpf_rt *rt = tl_rt_new(0);
	int kern = kernel_answers();

	if (!kern)
		tl_skip("queue/stack kernel comparison", "bpf() does not answer (not root, or no BPF)");
	test_create(rt, kern);
	test_sequence(rt, BPF_MAP_TYPE_QUEUE, "queue: 20000 random operations as Linux");
	test_sequence(rt, BPF_MAP_TYPE_STACK, "stack: 20000 random operations as Linux");
	test_order(rt);
	test_threads(rt, BPF_MAP_TYPE_QUEUE, "queue: threads lose and duplicate nothing");
	test_threads(rt, BPF_MAP_TYPE_STACK, "stack: threads lose and duplicate nothing");
	test_pin(rt);
	userbpf_rt__free(rt);
	return tl_exit();
}
