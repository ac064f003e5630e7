/* SPDX-License-Identifier: MIT */
/*
 * lpm.c - LPM_TRIE: Linux's creation rules; the same random updates,
 * deletes, lookups and key walks on userbpf and on the kernel (bpf(2)),
 * answer by answer, for 4- and 16-byte keys; a million prefixes checked
 * against a per-length table, with lookup times for 1K and 1M prefixes;
 * lock-free readers beside a writer that recycles the node pool many
 * times (a value read inside a read section never changes under it); a
 * reader that never leaves makes the writer answer -ENOMEM, not reuse its
 * node; a pin shares the trie.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "maps/map.h"
#include "testlib.h"
#include "tl_kbpf.h"
#include "tl_rng.h"

/* ---- the kernel, when bpf() answers ------------------------------------- */

static int kernel_answers(void)
{
	int fd = kcreate(BPF_MAP_TYPE_LPM_TRIE, 8, 4, 1, BPF_F_NO_PREALLOC, 0);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static struct userbpf_map *lpm_new(struct userbpf_rt *rt, uint32_t ks, uint32_t vs, uint32_t me)
{
	struct userbpf_map_create_opts o = { .sz = sizeof(o), .map_flags = BPF_F_NO_PREALLOC };

	return userbpf_map__create(rt, BPF_MAP_TYPE_LPM_TRIE, "lpm", ks, vs, me, &o);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- creation ------------------------------------------------------------ */

static void test_create(struct userbpf_rt *rt, int kern)
{
	static const struct { uint32_t ks, vs, me, flags; uint64_t extra; int linux_err; } c[] = {
		{ 8, 4, 10, BPF_F_NO_PREALLOC, 0, 0 },
		{ 5, 4, 10, BPF_F_NO_PREALLOC, 0, 0 },
		{ 4, 4, 10, BPF_F_NO_PREALLOC, 0, -EINVAL },
		{ 260, 4, 10, BPF_F_NO_PREALLOC, 0, 0 },
		{ 261, 4, 10, BPF_F_NO_PREALLOC, 0, -EINVAL },
		{ 8, 4, 10, 0, 0, -EINVAL },
		{ 8, 0, 10, BPF_F_NO_PREALLOC, 0, -EINVAL },
		{ 8, 4, 0, BPF_F_NO_PREALLOC, 0, -EINVAL },
		{ 8, 4, 10, BPF_F_NO_PREALLOC, 1, -EINVAL },
		{ 8, 4, 10, BPF_F_NO_PREALLOC | BPF_F_RDONLY, 0, 0 },
		{ 8, 4, 10, BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED, 0, -EINVAL },
		{ 8, 4, 10, BPF_F_NO_PREALLOC | BPF_F_MMAPABLE, 0, -EINVAL },
		{ 8, 4, 10, BPF_F_NO_PREALLOC | BPF_F_RDONLY_PROG, 0, 0 },
		{ 20, 1000, 10000, BPF_F_NO_PREALLOC, 0, 0 },
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct userbpf_map_create_opts o = { .sz = sizeof(o), .map_flags = c[i].flags,
						     .map_extra = c[i].extra };
		struct userbpf_map *m = userbpf_map__create(rt, BPF_MAP_TYPE_LPM_TRIE, "c", c[i].ks,
							    c[i].vs, c[i].me, &o);
		int u = m ? 0 : -errno, k = c[i].linux_err;

		userbpf_map__free(m);
		if (kern) {
			k = kcreate(BPF_MAP_TYPE_LPM_TRIE, c[i].ks, c[i].vs, c[i].me, c[i].flags,
				    c[i].extra);
			if (k >= 0) {
				close(k);
				k = 0;
			}
		}
		if (u != k) {
			tl_fail("lpm create answers as Linux", "case %zu: userbpf %d, Linux %d", i, u,
				k);
			bad++;
		}
	}
	if (!bad)
		tl_ok(kern ? "lpm create answers as the kernel (14 definitions)"
			   : "lpm create answers as Linux 6.18 did (14 definitions)");
}

/* ---- the same random operations on both ------------------------------- */

#define KS_MAX (4 + 16)

static void rand_key(struct tl_rng *r, uint8_t *key, uint32_t dsize, int allow_bad)
{
	uint32_t pl = tl_rn(r, dsize * 8 + 1);

	if (allow_bad && tl_rn(r, 40) == 0)
		pl = dsize * 8 + 1 + tl_rn(r, 3);
	memcpy(key, &pl, 4);
	/* A small alphabet, so that prefixes share bits and collide. */
	for (uint32_t i = 0; i < dsize; i++) {
		static const uint8_t alpha[] = { 0x00, 0x0a, 0x80, 0xc0, 0xff, 0x10 };

		key[4 + i] = i < 2 || tl_rn(r, 3) ? alpha[tl_rn(r, 6)] : (uint8_t)tl_rnd(r);
	}
}

/* Walks both with get_next_key from NULL; 0 when the sequences agree. */
static int walk_diff(struct userbpf_map *m, int kfd, uint32_t ks, unsigned *count)
{
	uint8_t uk[KS_MAX], kk[KS_MAX], un[KS_MAX], kn[KS_MAX];
	int first = 1;

	*count = 0;
	for (unsigned i = 0; i < 100000; i++) {
		long u = userbpf_map__get_next_key(m, first ? NULL : uk, un);
		long k = kop(BPF_MAP_GET_NEXT_KEY, kfd, first ? NULL : kk, kn, 0);

		if (u != k || (!u && memcmp(un, kn, ks)))
			return 1;
		if (u)
			return 0;
		memcpy(uk, un, ks);
		memcpy(kk, kn, ks);
		first = 0;
		(*count)++;
	}
	return 1;
}

static void test_sequence(struct userbpf_rt *rt, uint32_t dsize, const char *name)
{
	struct tl_rng r = { 7 + dsize };
	uint32_t ks = 4 + dsize, me = 48;
	struct userbpf_map *m = lpm_new(rt, ks, 8, me);
	int kfd = kcreate(BPF_MAP_TYPE_LPM_TRIE, ks, 8, me, BPF_F_NO_PREALLOC, 0);
	unsigned ops = 30000, diffs = 0, walks = 0, longest = 0, hits = 0, enospc = 0;
	char msg[200] = "";

	if (!m || kfd < 0) {
		if (m)
			tl_skip(name, "bpf() does not answer (not root, or no BPF)");
		else
			tl_fail(name, "cannot create the map");
		userbpf_map__free(m);
		if (kfd >= 0)
			close(kfd);
		return;
	}
	for (unsigned i = 0; i < ops && diffs < 3; i++) {
		uint8_t key[KS_MAX], key2[KS_MAX], uo[8] = { 0 }, ko[8] = { 0 }, v[8];
		unsigned op = tl_rn(&r, 20);
		long u, k;

		rand_key(&r, key, dsize, 1);
		for (int j = 0; j < 8; j++)
			v[j] = (uint8_t)tl_rnd(&r);
		if (op < 8) {
			uint64_t fl = tl_rn(&r, 12) == 0 ? 3 + tl_rn(&r, 3) : tl_rn(&r, 3);

			u = userbpf_map__update_elem(m, key, v, fl);
			k = kop(BPF_MAP_UPDATE_ELEM, kfd, key, v, fl);
			enospc += k == -ENOSPC;
		} else if (op < 12) {
			u = userbpf_map__delete_elem(m, key);
			k = kop(BPF_MAP_DELETE_ELEM, kfd, key, NULL, 0);
		} else if (op < 18) {
			if (tl_rn(&r, 2)) {	/* an address: full length */
				uint32_t pl = dsize * 8;

				memcpy(key, &pl, 4);
			}
			u = userbpf_map__lookup_elem(m, key, uo, 0);
			k = kop(BPF_MAP_LOOKUP_ELEM, kfd, key, ko, 0);
			hits += u == 0;
		} else {
			uint8_t kn[KS_MAX];

			memset(key2, 0, sizeof(key2));
			memset(kn, 0, sizeof(kn));
			u = userbpf_map__get_next_key(m, key, key2);
			k = kop(BPF_MAP_GET_NEXT_KEY, kfd, key, kn, 0);
			if (!u && !k && memcmp(kn, key2, ks))
				k = 1000;	/* both found one, not the same */
		}
		if (u != k || memcmp(uo, ko, sizeof(uo))) {
			snprintf(msg, sizeof(msg), "op %u (kind %u): userbpf %ld, Linux %ld%s", i, op,
				 u, k, u == k ? " (values differ)" : "");
			diffs++;
		}
		if (i % 1000 == 999) {
			unsigned n;

			if (walk_diff(m, kfd, ks, &n)) {
				snprintf(msg, sizeof(msg), "after op %u the key walks differ", i);
				diffs++;
			}
			walks++;
			if (n > longest)
				longest = n;
		}
	}
	if (diffs)
		tl_fail(name, "%s", msg);
	else
		tl_ok(name);
	printf("# %s: %u operations (%u lookups hit, %u ENOSPC), %u full walks of up to %u keys, all as Linux\n",
	       name, ops, hits, enospc, walks, longest);
	close(kfd);
	userbpf_map__free(m);
}

struct k4 {
	uint32_t pl;
	uint8_t d[4];
};

static struct k4 mk4(uint32_t pl, uint32_t addr)
{
	struct k4 k = { pl, { (uint8_t)(addr >> 24), (uint8_t)(addr >> 16), (uint8_t)(addr >> 8),
			      (uint8_t)addr } };

	return k;
}

#define K4(pl, a, b, c, d) \
	mk4(pl, ((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

/* Without the kernel: the worked example of Linux's lpm_trie.c. */
static void test_semantics(struct userbpf_rt *rt)
{
	struct userbpf_map *m = lpm_new(rt, 8, 4, 16);
	struct k4 k[] = {
		{ 16, { 192, 168, 0, 0 } }, { 24, { 192, 168, 0, 0 } },
		{ 24, { 192, 168, 1, 0 } }, { 24, { 192, 168, 128, 0 } },
	}, q, nk;
	static const uint8_t walk[][3] = { { 24, 0, 0 }, { 24, 1, 0 }, { 24, 128, 0 }, { 16, 0, 0 } };
	uint32_t v, got = 0;
	int bad = 0;

	TL_CHECK("lpm create", m != NULL);
	if (!m)
		return;
	for (uint32_t i = 0; i < 4; i++) {
		v = 100 + i;
		bad += userbpf_map__update_elem(m, &k[i], &v, 0) != 0;
	}
	TL_EQ_U64("lpm four updates", bad, 0);
	q = K4(32, 192, 168, 1, 77);
	userbpf_map__lookup_elem(m, &q, &got, 0);
	TL_EQ_U64("192.168.1.77 finds 192.168.1.0/24", got, 102);
	q = K4(32, 192, 168, 200, 1);
	userbpf_map__lookup_elem(m, &q, &got, 0);
	TL_EQ_U64("192.168.200.1 finds 192.168.0.0/16", got, 100);
	q = K4(32, 10, 0, 0, 1);
	TL_EQ_U64("10.0.0.1 finds nothing", userbpf_map__lookup_elem(m, &q, &got, 0),
		  (uint64_t)-ENOENT);
	q = K4(20, 192, 168, 1, 77);
	userbpf_map__lookup_elem(m, &q, &got, 0);
	TL_EQ_U64("a /20 query stops at the /16", got, 100);
	bad = 0;
	for (int i = 0; i < 4; i++) {
		if (userbpf_map__get_next_key(m, i ? (void *)&nk : NULL, &nk) ||
		    nk.pl != walk[i][0] || nk.d[2] != walk[i][1])
			bad++;
	}
	TL_EQ_U64("get_next_key walks in post order (Linux's example)", bad, 0);
	TL_EQ_U64("after the last key ENOENT", userbpf_map__get_next_key(m, &nk, &nk),
		  (uint64_t)-ENOENT);
	TL_EQ_U64("delete 192.168.0.0/24", userbpf_map__delete_elem(m, &k[1]), 0);
	TL_EQ_U64("delete it again is ENOENT", userbpf_map__delete_elem(m, &k[1]),
		  (uint64_t)-ENOENT);
	q = K4(32, 192, 168, 0, 9);
	userbpf_map__lookup_elem(m, &q, &got, 0);
	TL_EQ_U64("192.168.0.9 now finds the /16", got, 100);
	v = 1;
	TL_EQ_U64("NOEXIST on an entry is EEXIST", userbpf_map__update_elem(m, &k[0], &v, BPF_NOEXIST),
		  (uint64_t)-EEXIST);
	TL_EQ_U64("EXIST on a missing prefix is ENOENT",
		  userbpf_map__update_elem(m, &k[1], &v, BPF_EXIST), (uint64_t)-ENOENT);
	q = K4(33, 1, 2, 3, 4);
	TL_EQ_U64("prefixlen 33 update is EINVAL", userbpf_map__update_elem(m, &q, &v, 0),
		  (uint64_t)-EINVAL);
	TL_CHECK("a NULL key is EFAULT, not a crash (update, delete, lookup)",
		 userbpf_map__update_elem(m, NULL, &v, 0) == -EFAULT &&
			 userbpf_map__delete_elem(m, NULL) == -EFAULT &&
			 userbpf_map__lookup_elem(m, NULL, &v, 0) == -EFAULT);
	TL_EQ_U64("lookup_and_delete is ENOTSUPP (524)",
		  userbpf_map__lookup_and_delete_elem(m, &q, &v), (uint64_t)-524);
	userbpf_map__free(m);

	/* Full: a new prefix is ENOSPC, replacing one is not. */
	m = lpm_new(rt, 8, 4, 2);
	if (!m)
		return;
	v = 1;
	userbpf_map__update_elem(m, &k[0], &v, 0);
	userbpf_map__update_elem(m, &k[1], &v, 0);
	TL_EQ_U64("a full trie refuses a new prefix with ENOSPC",
		  userbpf_map__update_elem(m, &k[2], &v, 0), (uint64_t)-ENOSPC);
	v = 2;
	TL_EQ_U64("a full trie replaces a value", userbpf_map__update_elem(m, &k[0], &v, 0), 0);
	/* Churn far past the pool: nodes are recycled. */
	bad = 0;
	userbpf_map__delete_elem(m, &k[1]);
	for (uint32_t i = 0; i < 20000; i++) {
		q = K4(8 + i % 25, (uint8_t)i, (uint8_t)(i >> 8), 7, 7);
		bad += userbpf_map__update_elem(m, &q, &i, BPF_NOEXIST) != 0 ||
		       userbpf_map__delete_elem(m, &q) != 0;
	}
	TL_EQ_U64("20000 insert+delete in a 2-entry trie never run out of nodes", bad, 0);
	userbpf_map__free(m);
}

/* ---- a million prefixes against a per-length table ------------------------ */

struct ref {
	uint64_t *keys;		/* (pl + 1) << 32 | masked address; 0: empty */
	uint32_t *vals;
	size_t mask;
};

static uint32_t pmask(uint32_t pl)
{
	return pl ? ~0u << (32 - pl) : 0;
}

static size_t ref_slot(const struct ref *t, uint64_t k)
{
	size_t h = (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & t->mask;

	while (t->keys[h] && t->keys[h] != k)
		h = (h + 1) & t->mask;
	return h;
}

static void ref_put(struct ref *t, uint32_t addr, uint32_t pl, uint32_t val)
{
	uint64_t k = ((uint64_t)(pl + 1) << 32) | (addr & pmask(pl));
	size_t h = ref_slot(t, k);

	t->keys[h] = k;
	t->vals[h] = val;
}

static int ref_get(const struct ref *t, uint32_t addr, uint32_t *val)
{
	for (int pl = 32; pl >= 0; pl--) {
		uint64_t k = ((uint64_t)(pl + 1) << 32) | (addr & pmask((uint32_t)pl));
		size_t h = ref_slot(t, k);

		if (t->keys[h]) {
			*val = t->vals[h];
			return 0;
		}
	}
	return -ENOENT;
}

static void test_big(struct userbpf_rt *rt, uint32_t n, const char *name)
{
	struct tl_rng r = { 1000 + n };
	struct userbpf_map *m = lpm_new(rt, 8, 4, n);
	struct ref t = { 0 };
	uint32_t *addrs = NULL, nq = 200000, bad = 0, hits = 0;
	uint64_t t0, t_ins, t_look, sink = 0;
	size_t cap = 1;

	while (cap < 2 * (size_t)n)
		cap <<= 1;
	t.keys = calloc(cap, sizeof(*t.keys));
	t.vals = calloc(cap, sizeof(*t.vals));
	t.mask = cap - 1;
	addrs = malloc(sizeof(*addrs) * n);
	if (!m || !t.keys || !t.vals || !addrs) {
		tl_fail(name, "out of memory or create failed");
		goto out;
	}
	t0 = now_ns();
	for (uint32_t i = 0; i < n; i++) {
		uint32_t addr = (uint32_t)tl_rnd(&r), pl = 8 + tl_rn(&r, 25);
		struct k4 k = mk4(pl, addr);

		addrs[i] = addr;
		if (userbpf_map__update_elem(m, &k, &i, 0)) {
			bad++;
			continue;
		}
		ref_put(&t, addr, pl, i);
	}
	t_ins = now_ns() - t0;
	/* The queries: half near inserted prefixes, half anywhere. */
	{
		uint32_t *q = malloc(sizeof(*q) * nq);

		if (!q) {
			tl_fail(name, "out of memory");
			goto out;
		}
		for (uint32_t i = 0; i < nq; i++)
			q[i] = i & 1 ? (uint32_t)tl_rnd(&r)
				     : addrs[tl_rn(&r, n)] ^ (uint32_t)(tl_rnd(&r) & 0xfff);
		for (uint32_t i = 0; i < nq; i++) {
			struct k4 k = mk4(32, q[i]);
			uint32_t got = 0, want = 0;
			int u = userbpf_map__lookup_elem(m, &k, &got, 0), w = ref_get(&t, q[i], &want);

			if (u != w || (!u && got != want))
				bad++;
			hits += !u;
		}
		/* Program-side lookups (a pointer, as the helper gets), timed. */
		t0 = now_ns();
		for (int rep = 0; rep < 3; rep++)
			for (uint32_t i = 0; i < nq; i++) {
				struct k4 k = mk4(32, q[i]);
				uint32_t *p = m->ops->lookup(m, &k);

				sink += p ? *p : 1;
			}
		t_look = now_ns() - t0;
		free(q);
	}
	if (bad)
		tl_fail(name, "%u answers differ from the per-length table", bad);
	else
		tl_ok(name);
	printf("# %s: %u prefixes inserted in %.0f ms (%.0f ns each); %u address queries, %u hit, all as the table; lookup %.0f ns (sink %llu)\n",
	       name, n, t_ins / 1e6, (double)t_ins / n, nq, hits, (double)t_look / (3.0 * nq),
	       (unsigned long long)(sink & 1));
out:
	free(t.keys);
	free(t.vals);
	free(addrs);
	userbpf_map__free(m);
}

/* ---- readers beside a writer ------------------------------------------------ */

struct rd {
	struct userbpf_map *m;
	_Atomic int *stop;
	unsigned seed;
	uint64_t lookups, wrong, changed;
};

/* Values say which prefix they belong to: (address, prefixlen). */
static void *reader(void *arg)
{
	struct rd *a = arg;
	struct tl_rng r = { a->seed };

	while (!atomic_load(a->stop)) {
		uint32_t addr = 0x0a000000u | (uint32_t)(tl_rnd(&r) & 0x00ffffffu), val[2];
		struct k4 k = mk4(32, addr);

		if (a->lookups & 1) {
			if (userbpf_map__lookup_elem(a->m, &k, val, 0))
				a->wrong++;	/* 10.0.0.0/8 is always there */
			else if (val[1] < 8 || val[1] > 32 || (addr & pmask(val[1])) != val[0])
				a->wrong++;
		} else {
			/* A program's view: the pointer stays good inside the section. */
			unsigned idx;
			void *sec = ub_lpm_read_lock(a->m, &idx);
			uint32_t *p = a->m->ops->lookup(a->m, &k), first[2];

			if (!p) {
				a->wrong++;
			} else {
				memcpy(first, p, 8);
				for (volatile int spin = 0; spin < 200; spin++)
					;
				if (memcmp(first, p, 8))
					a->changed++;
				if ((addr & pmask(first[1])) != first[0])
					a->wrong++;
			}
			ub_lpm_read_unlock(sec, idx);
		}
		a->lookups++;
	}
	return NULL;
}

static void test_concurrent(struct userbpf_rt *rt)
{
	const uint32_t me = 1024;
	struct userbpf_map *m = lpm_new(rt, 8, 8, me);
	_Atomic int stop = 0;
	struct rd a[2];
	pthread_t tid[2];
	struct tl_rng r = { 99 };
	uint32_t live[512], live_pl[512], nlive = 0, v[2], writes = 0, werr = 0;
	struct k4 k;

	if (!m) {
		tl_fail("lpm concurrent", "create");
		return;
	}
	k = mk4(8, 0x0a000000u);
	v[0] = 0x0a000000u;
	v[1] = 8;
	userbpf_map__update_elem(m, &k, v, 0);
	for (int i = 0; i < 2; i++) {
		a[i] = (struct rd){ .m = m, .stop = &stop, .seed = 5u + (unsigned)i };
		pthread_create(&tid[i], NULL, reader, &a[i]);
	}
	/* 200000 writes over at most 512 live prefixes: the 2050-node pool is
	 * recycled dozens of times under the readers. */
	for (uint32_t i = 0; i < 200000; i++) {
		if (nlive < 512 && (nlive < 256 || tl_rn(&r, 2))) {
			uint32_t pl = 9 + tl_rn(&r, 24);
			uint32_t addr = (0x0a000000u | (uint32_t)(tl_rnd(&r) & 0x00ffffffu)) & pmask(pl);

			k = mk4(pl, addr);
			v[0] = addr;
			v[1] = pl;
			if (userbpf_map__update_elem(m, &k, v, BPF_NOEXIST))
				continue;	/* already there */
			live[nlive] = addr;
			live_pl[nlive++] = pl;
		} else if (nlive) {
			uint32_t j = tl_rn(&r, nlive);

			k = mk4(live_pl[j], live[j]);
			werr += userbpf_map__delete_elem(m, &k) != 0;
			live[j] = live[--nlive];
			live_pl[j] = live_pl[nlive];
		}
		writes++;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	if (!a[0].wrong && !a[1].wrong && !a[0].changed && !a[1].changed && !werr)
		tl_ok("lpm: lock-free readers beside a writer recycling the pool");
	else
		tl_fail("lpm: lock-free readers beside a writer recycling the pool",
			"wrong %llu+%llu, changed in a section %llu+%llu, writer errors %u",
			(unsigned long long)a[0].wrong, (unsigned long long)a[1].wrong,
			(unsigned long long)a[0].changed, (unsigned long long)a[1].changed, werr);
	printf("# lpm concurrent: %u writes (pool of %u nodes), %llu lookups by 2 readers, %llu wrong, %llu changed inside a read section\n",
	       writes, 2 * me + 2, (unsigned long long)(a[0].lookups + a[1].lookups),
	       (unsigned long long)(a[0].wrong + a[1].wrong),
	       (unsigned long long)(a[0].changed + a[1].changed));
	userbpf_map__free(m);
}

/* A reader that never leaves (killed inside a lookup): no node it may
 * hold is reused; the writer says -ENOMEM instead. */
static void test_stuck_reader(struct userbpf_rt *rt)
{
	struct userbpf_map *m = lpm_new(rt, 8, 4, 2);
	unsigned idx;
	void *sec;
	uint32_t v = 1, i;
	int err = 0;
	uint64_t t0;

	if (!m)
		return;
	sec = ub_lpm_read_lock(m, &idx);
	t0 = now_ns();
	for (i = 0; i < 100 && !err; i++) {
		struct k4 k = mk4(16, i << 16);

		err = userbpf_map__update_elem(m, &k, &v, 0);
		if (!err)
			err = userbpf_map__delete_elem(m, &k);
	}
	TL_EQ_U64("lpm: a reader that never leaves makes the writer say ENOMEM", (uint64_t)err,
		  (uint64_t)-ENOMEM);
	printf("# lpm stuck reader: ENOMEM at write %u after %.1f s\n", i,
	       (now_ns() - t0) / 1e9);
	ub_lpm_read_unlock(sec, idx);
	{
		struct k4 k = mk4(16, 0x7f000000u);

		TL_EQ_U64("lpm: once it leaves, writes go on", userbpf_map__update_elem(m, &k, &v, 0),
			  0);
	}
	userbpf_map__free(m);
}

static void test_pin(struct userbpf_rt *rt)
{
	char dir[] = "/tmp/ub-lpm-XXXXXX", path[64];
	struct userbpf_map *m, *m2;
	struct k4 k = mk4(8, 0x0a000000u), q = mk4(32, 0x0a010203u);
	uint32_t v = 8, got = 0;

	if (!mkdtemp(dir)) {
		tl_fail("lpm pin", "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/t", dir);
	m = lpm_new(rt, 8, 4, 100);
	if (!m || userbpf_map__update_elem(m, &k, &v, 0) || userbpf_map__pin(m, path)) {
		tl_fail("lpm pin", "create, update or pin failed");
		userbpf_map__free(m);
		return;
	}
	m2 = userbpf_map__open_pinned(rt, path);
	TL_CHECK("lpm open pinned", m2 != NULL);
	if (m2) {
		TL_EQ_U64("the other mapping finds the /8", userbpf_map__lookup_elem(m2, &q, &got, 0), 0);
		k = mk4(16, 0x0a010000u);
		v = 16;
		userbpf_map__update_elem(m2, &k, &v, 0);
		userbpf_map__lookup_elem(m, &q, &got, 0);
		TL_EQ_U64("a /16 added through the other mapping is seen live", got, 16);
		userbpf_map__free(m2);
	}
	userbpf_map__free(m);
	unlink(path);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	struct userbpf_rt *rt = tl_rt_new(0);
	int kern = kernel_answers();

	(void)argv;
	if (!kern)
		tl_skip("lpm kernel comparison", "bpf() does not answer (not root, or no BPF)");
	test_create(rt, kern);
	test_sequence(rt, 4, "lpm: 30000 random operations on 4-byte keys as Linux");
	test_sequence(rt, 16, "lpm: 30000 random operations on 16-byte keys as Linux");
	test_semantics(rt);
	test_big(rt, 1000, "lpm: 1K prefixes agree with a per-length table");
	/* Any argument: 100K instead of 1M (slow emulators). */
	test_big(rt, argc > 1 ? 100000 : 1000000,
		 argc > 1 ? "lpm: 100K prefixes agree with a per-length table"
			  : "lpm: 1M prefixes agree with a per-length table");
	test_concurrent(rt);
	test_stuck_reader(rt);
	test_pin(rt);
	userbpf_rt__free(rt);
	return tl_exit();
}
