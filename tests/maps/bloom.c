/* SPDX-License-Identifier: MIT */
/*
 * bloom.c - BLOOM_FILTER: Linux's creation rules and element errors,
 * compared with the kernel; with BPF_F_ZERO_SEED the kernel and userbpf
 * hash alike, so the same pushes give the same answers to the same peeks,
 * false positives included; no false negatives; the measured false-
 * positive rate against (1 - e^(-kn/m))^k; threads pushing at once; a pin
 * shares the filter and its seed.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "testlib.h"
#include "tl_kbpf.h"
#include "tl_rng.h"

static int kernel_answers(void)
{
	int fd = kcreate(BPF_MAP_TYPE_BLOOM_FILTER, 0, 4, 1, 0, 0);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static struct userbpf_map *bloom_new(struct userbpf_rt *rt, uint32_t vs, uint32_t me,
				     uint32_t flags, uint64_t extra)
{
	struct userbpf_map_create_opts o = { .sz = sizeof(o), .map_flags = flags,
					     .map_extra = extra };

	return userbpf_map__create(rt, BPF_MAP_TYPE_BLOOM_FILTER, "bloom", 0, vs, me, &o);
}

static void test_create(struct userbpf_rt *rt, int kern)
{
	static const struct { uint32_t ks, vs, me, flags; uint64_t extra; int linux_err; } c[] = {
		{ 0, 4, 100, 0, 0, 0 }, { 4, 4, 100, 0, 0, -EINVAL }, { 0, 0, 100, 0, 0, -EINVAL },
		{ 0, 4, 0, 0, 0, -EINVAL }, { 0, 4, 100, 0, 15, 0 }, { 0, 4, 100, 0, 16, -EINVAL },
		{ 0, 4, 100, 0, 1ull << 32, -EINVAL }, { 0, 4, 100, BPF_F_NO_PREALLOC, 0, -EINVAL },
		{ 0, 4, 100, BPF_F_ZERO_SEED, 0, 0 }, { 0, 4, 100, BPF_F_RDONLY_PROG, 0, 0 },
		{ 0, 4, 100, BPF_F_MMAPABLE, 0, -EINVAL }, { 0, 3, 100000, 0, 3, 0 },
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct userbpf_map_create_opts o = { .sz = sizeof(o), .map_flags = c[i].flags,
						     .map_extra = c[i].extra };
		struct userbpf_map *m = userbpf_map__create(rt, BPF_MAP_TYPE_BLOOM_FILTER, "c",
							    c[i].ks, c[i].vs, c[i].me, &o);
		int u = m ? 0 : -errno, k = c[i].linux_err;

		userbpf_map__free(m);
		if (kern) {
			k = kcreate(BPF_MAP_TYPE_BLOOM_FILTER, c[i].ks, c[i].vs, c[i].me, c[i].flags,
				    c[i].extra);
			if (k >= 0) {
				close(k);
				k = 0;
			}
		}
		if (u != k) {
			tl_fail("bloom create answers as Linux", "case %zu: userbpf %d, Linux %d", i,
				u, k);
			bad++;
		}
	}
	if (!bad)
		tl_ok(kern ? "bloom create answers as the kernel (12 definitions)"
			   : "bloom create answers as Linux 6.18 did (12 definitions)");
}

/* One user-side operation, on userbpf or on the kernel. */
static long do_op(struct userbpf_map *m, int kfd, int cmd, const void *key, void *val,
		  uint64_t fl)
{
	if (kfd >= 0)	/* delete takes no value: bpf(2) checks the unused fields */
		return kop(cmd, kfd, key, cmd == BPF_MAP_DELETE_ELEM ? NULL : val, fl);
	switch (cmd) {
	case BPF_MAP_LOOKUP_ELEM: return userbpf_map__lookup_elem(m, key, val, fl);
	case BPF_MAP_UPDATE_ELEM: return userbpf_map__update_elem(m, key, val, fl);
	case BPF_MAP_DELETE_ELEM: return userbpf_map__delete_elem(m, key);
	case BPF_MAP_GET_NEXT_KEY: return userbpf_map__get_next_key(m, key, val);
	default: return userbpf_map__lookup_and_delete_elem(m, key, val);
	}
}

static void test_errors(struct userbpf_rt *rt, int kern)
{
	static uint32_t keybuf;
	static const struct {
		int cmd;
		const void *key;
		uint64_t flags;
		long linux_err;
	} c[] = {
		{ BPF_MAP_LOOKUP_ELEM, NULL, 0, -ENOENT },	/* nothing pushed yet */
		{ BPF_MAP_UPDATE_ELEM, NULL, BPF_EXIST, -EINVAL },
		{ BPF_MAP_UPDATE_ELEM, NULL, BPF_NOEXIST, -EINVAL },
		{ BPF_MAP_UPDATE_ELEM, NULL, BPF_F_LOCK, -EINVAL },
		{ BPF_MAP_UPDATE_ELEM, &keybuf, 0, -EINVAL },
		{ BPF_MAP_LOOKUP_ELEM, &keybuf, 0, -EINVAL },
		{ BPF_MAP_LOOKUP_ELEM, NULL, BPF_F_LOCK, -EINVAL },
		{ BPF_MAP_DELETE_ELEM, NULL, 0, -EOPNOTSUPP },
		{ BPF_MAP_GET_NEXT_KEY, NULL, 0, -EOPNOTSUPP },
		{ BPF_MAP_LOOKUP_AND_DELETE_ELEM, NULL, 0, -524 },
		{ BPF_MAP_UPDATE_ELEM, NULL, 0, 0 },
		{ BPF_MAP_LOOKUP_ELEM, NULL, 0, 0 },		/* pushed: maybe there */
	};
	struct userbpf_map *m = bloom_new(rt, 4, 100, 0, 0);
	int kfd = kern ? kcreate(BPF_MAP_TYPE_BLOOM_FILTER, 0, 4, 100, 0, 0) : -1, bad = 0;

	if (!m) {
		tl_fail("bloom element errors", "create");
		return;
	}
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint32_t uv = 0xabcd, kv = 0xabcd;
		long u = do_op(m, -1, c[i].cmd, c[i].key, &uv, c[i].flags);
		long k = kfd >= 0 ? do_op(NULL, kfd, c[i].cmd, c[i].key, &kv, c[i].flags)
				  : c[i].linux_err;

		if (u != k) {
			tl_fail("bloom element errors as Linux", "case %zu (cmd %d): userbpf %ld, Linux %ld",
				i, c[i].cmd, u, k);
			bad++;
		}
	}
	if (!bad)
		tl_ok(kfd >= 0 ? "bloom element errors as the kernel (12 cases)"
			       : "bloom element errors as Linux 6.18 did (12 cases)");
	if (kfd >= 0)
		close(kfd);
	userbpf_map__free(m);
}

/* ZERO_SEED: the kernel's bit array and ours are the same, answer for
 * answer, when the hashes and the sizing are Linux's. */
static void test_same_bits(struct userbpf_rt *rt, uint32_t vs, uint32_t me, uint32_t k,
			   const char *name)
{
	struct tl_rng r = { 3 + vs + k };
	struct userbpf_map *m = bloom_new(rt, vs, me, BPF_F_ZERO_SEED, k);
	int kfd = kcreate(BPF_MAP_TYPE_BLOOM_FILTER, 0, vs, me, BPF_F_ZERO_SEED, k);
	uint8_t v[64];
	unsigned probes = 20000, diffs = 0, fp = 0;

	if (!m || kfd < 0) {
		if (m)
			tl_skip(name, "bpf() does not answer (not root, or no BPF)");
		else
			tl_fail(name, "create");
		userbpf_map__free(m);
		return;
	}
	for (uint32_t i = 0; i < me; i++) {
		for (uint32_t j = 0; j < vs; j++)
			v[j] = (uint8_t)tl_rnd(&r);
		userbpf_map__update_elem(m, NULL, v, 0);
		kop(BPF_MAP_UPDATE_ELEM, kfd, NULL, v, 0);
	}
	for (unsigned i = 0; i < probes; i++) {
		long u, kk;

		for (uint32_t j = 0; j < vs; j++)
			v[j] = (uint8_t)tl_rnd(&r);
		u = userbpf_map__lookup_elem(m, NULL, v, 0);
		kk = kop(BPF_MAP_LOOKUP_ELEM, kfd, NULL, v, 0);
		diffs += u != kk;
		fp += kk == 0;
	}
	if (diffs)
		tl_fail(name, "%u of %u answers differ", diffs, probes);
	else
		tl_ok(name);
	printf("# %s: %u pushes, %u fresh probes, %u false positives in both\n", name, me, probes,
	       fp);
	close(kfd);
	userbpf_map__free(m);
}

/* A little arithmetic without libm. */
static double powi(double b, uint64_t e)
{
	double r = 1;

	for (; e; e >>= 1, b *= b)
		if (e & 1)
			r *= b;
	return r;
}

static double sqrt_d(double x)
{
	double g = x > 1 ? x : 1;

	for (int i = 0; i < 60; i++)
		g = 0.5 * (g + x / g);
	return g;
}

/* No false negatives; the false-positive rate near the theory,
 * (1 - (1 - 1/m)^(kn))^k, about (1 - e^(-kn/m))^k. */
static void test_rate(struct userbpf_rt *rt, uint32_t n, uint32_t k)
{
	struct tl_rng r = { 11 + k };
	struct userbpf_map *m = bloom_new(rt, 8, n, 0, k);
	uint32_t kk = k ? k : 5, fneg = 0, fp = 0, probes = 200000;
	double bits, theory, rate, sigma;
	char name[96];
	uint64_t nbits;

	snprintf(name, sizeof(name), "bloom k=%u n=%u: no false negatives, false positives as theory",
		 kk, n);
	if (!m) {
		tl_fail(name, "create");
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t v = tl_rnd(&r) | 1;	/* odd: pushed */

		userbpf_map__update_elem(m, NULL, &v, 0);
	}
	r.s = 11 + k;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t v = tl_rnd(&r) | 1;

		fneg += userbpf_map__lookup_elem(m, NULL, &v, 0) != 0;
	}
	for (uint32_t i = 0; i < probes; i++) {
		uint64_t v = tl_rnd(&r) & ~1ull;	/* even: never pushed */

		fp += userbpf_map__lookup_elem(m, NULL, &v, 0) == 0;
	}
	/* Linux's size: n*k*7/5 bits, up to a power of 2. */
	nbits = 64;
	while (nbits < (uint64_t)n * kk / 5 * 7)
		nbits <<= 1;
	bits = (double)nbits;
	theory = powi(1 - powi(1 - 1 / bits, (uint64_t)kk * n), kk);
	rate = (double)fp / probes;
	sigma = sqrt_d(theory * (1 - theory) / probes);
	if (fneg == 0 && (rate > theory ? rate - theory : theory - rate) <= 5 * sigma + 0.1 * theory)
		tl_ok(name);
	else
		tl_fail(name, "%u false negatives; rate %.5f, theory %.5f (sigma %.5f)", fneg, rate,
			theory, sigma);
	printf("# bloom k=%u n=%u m=%llu bits: %u false negatives; false positives %.4f%% measured, %.4f%% in theory\n",
	       kk, n, (unsigned long long)nbits, fneg, 100 * rate, 100 * theory);
	userbpf_map__free(m);
}

struct th {
	struct userbpf_map *m;
	uint64_t base;
};

static void *pusher(void *arg)
{
	struct th *t = arg;

	for (uint64_t i = 0; i < 20000; i++) {
		uint64_t v = t->base + i;

		userbpf_map__update_elem(t->m, NULL, &v, 0);
	}
	return NULL;
}

static void test_threads(struct userbpf_rt *rt)
{
	struct userbpf_map *m = bloom_new(rt, 8, 80000, 0, 0);
	pthread_t tid[4];
	struct th t[4];
	uint32_t miss = 0;

	if (!m) {
		tl_fail("bloom threads", "create");
		return;
	}
	for (int i = 0; i < 4; i++) {
		t[i] = (struct th){ m, (uint64_t)i << 40 };
		pthread_create(&tid[i], NULL, pusher, &t[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(tid[i], NULL);
	for (int i = 0; i < 4; i++)
		for (uint64_t j = 0; j < 20000; j++) {
			uint64_t v = ((uint64_t)i << 40) + j;

			miss += userbpf_map__lookup_elem(m, NULL, &v, 0) != 0;
		}
	TL_EQ_U64("bloom: 4 threads push 80000 values at once, none is lost", miss, 0);
	userbpf_map__free(m);
}

static void test_pin(struct userbpf_rt *rt)
{
	char dir[] = "/tmp/ub-bloom-XXXXXX", path[64];
	struct userbpf_map *m, *m2;
	uint32_t hits = 0;

	if (!mkdtemp(dir)) {
		tl_fail("bloom pin", "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/b", dir);
	m = bloom_new(rt, 4, 1000, 0, 0);
	if (!m || userbpf_map__pin(m, path)) {
		tl_fail("bloom pin", "create or pin failed");
		userbpf_map__free(m);
		return;
	}
	m2 = userbpf_map__open_pinned(rt, path);
	TL_CHECK("bloom open pinned", m2 != NULL);
	if (m2) {
		for (uint32_t v = 0; v < 500; v++)
			userbpf_map__update_elem(m, NULL, &v, 0);
		for (uint32_t v = 0; v < 500; v++)
			hits += userbpf_map__lookup_elem(m2, NULL, &v, 0) == 0;
		TL_EQ_U64("the other mapping finds all 500 pushes (same seed)", hits, 500);
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
		tl_skip("bloom kernel comparison", "bpf() does not answer (not root, or no BPF)");
	test_create(rt, kern);
	test_errors(rt, kern);
	test_same_bits(rt, 4, 1000, 0, "bloom: same answers as the kernel (ZERO_SEED, 4-byte values, jhash2)");
	test_same_bits(rt, 7, 3000, 3, "bloom: same answers as the kernel (ZERO_SEED, 7-byte values, jhash)");
	test_same_bits(rt, 40, 500, 1, "bloom: same answers as the kernel (ZERO_SEED, 40-byte values, k=1)");
	test_rate(rt, 10000, 0);
	test_rate(rt, 100000, 3);
	test_rate(rt, 5000, 1);
	test_rate(rt, 200000, 8);
	test_threads(rt);
	test_pin(rt);
	userbpf_rt__free(rt);
	return tl_exit();
}
