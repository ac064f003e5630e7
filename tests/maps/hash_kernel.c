/* SPDX-License-Identifier: MIT */
/*
 * hash_kernel.c - the hash families against the Linux kernel: the same map
 * is created with bpf(BPF_MAP_CREATE) and with userbpf, the same seeded
 * random sequence of update (with random flags), delete, lookup,
 * lookup_and_delete and get_next_key is applied to both, and every return
 * code and the final contents must be equal.  Also creation errors.
 * Skips, saying so, when bpf() does not answer.
 *
 * LRU maps are driven with fewer keys than entries, on one CPU, so that
 * neither side evicts (their eviction choices are allowed to differ).
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testlib.h"
#include "tl_rng.h"
#include "maps/map.h"
#if defined(__linux__)
#include <linux/bpf.h>
#include <sys/syscall.h>
#include "tl_kbpf.h"

static int k_next(int fd, const void *key, void *next)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.next_key = (uint64_t)(uintptr_t)next;
	return (int)kbpf(BPF_MAP_GET_NEXT_KEY, &a);
}

struct entry {
	uint8_t kv[600];
};

static size_t g_ks;
static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, g_ks);
}

/* Both maps' contents, sorted by key, key then value. */
static size_t dump(int fd, struct userbpf_map *m, uint32_t ks, size_t vsz, struct entry *out,
		   size_t cap)
{
	uint8_t key[64], next[64];
	size_t n = 0;
	int err;

	for (err = fd >= 0 ? k_next(fd, NULL, next) : userbpf_map__get_next_key(m, NULL, next);
	     !err && n < cap;
	     err = fd >= 0 ? k_next(fd, key, next) : userbpf_map__get_next_key(m, key, next)) {
		memcpy(key, next, ks);
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(out[n].kv, key, ks);
		if (fd >= 0)
			kop(BPF_MAP_LOOKUP_ELEM, fd, key, out[n].kv + ks, 0);
		else
			userbpf_map__lookup_elem(m, key, out[n].kv + ks, 0);
		n++;
	}
	(void)vsz;
	g_ks = ks;
	qsort(out, n, sizeof(out[0]), cmp_key);
	return n;
}

struct cfg {
	const char *name;
	uint32_t type, ks, vs, max, flags, keyspace, ops;
};

static void run(struct userbpf_rt *rt, const struct cfg *c, uint64_t seed, int *skipped)
{
	struct tl_rng r = { seed };
	struct userbpf_map_create_opts o = { .sz = sizeof(o), .map_flags = c->flags };
	struct userbpf_map *m;
	int fd, same = 0, differ = 0, first_diff = -1;
	size_t vsz, nk, nu;
	uint8_t key[64], v[4096], kv[4096], uv[4096];
	struct entry *ke, *ue;
	char name[128];
	static const uint64_t flag_set[] = { 0, 0, 0, 1, 2, 4, 3, 5 };

	if (*skipped)
		return;
	fd = kcreate(c->type, c->ks, c->vs, c->max, c->flags, 0);
	if (fd < 0) {
		snprintf(name, sizeof(name), "kernel diff %s", c->name);
		tl_skip(name, "bpf(BPF_MAP_CREATE) does not answer here");
		*skipped = fd == -EPERM || fd == -ENOSYS;
		return;
	}
	m = userbpf_map__create(rt, c->type, "d", c->ks, c->vs, c->max, &o);
	if (!m) {
		snprintf(name, sizeof(name), "kernel diff %s create", c->name);
		tl_fail(name, "userbpf refused a map the kernel made: %s", strerror(errno));
		close(fd);
		return;
	}
	vsz = userbpf_map__user_value_size(m);
	for (uint32_t i = 0; i < c->ops; i++) {
		uint32_t op = tl_rn(&r, 10), kn = tl_rn(&r, c->keyspace);
		uint64_t fl = flag_set[tl_rn(&r, 8)];
		int kr, ur;

		memset(key, 0, sizeof(key));
		memcpy(key, &kn, c->ks < 4 ? c->ks : 4);
		if (c->ks > 4)
			key[c->ks - 1] = (uint8_t)(kn * 7);
		for (size_t j = 0; j < vsz; j++)
			v[j] = (uint8_t)tl_rnd(&r);
		/* Per-CPU padding is not stored: zero it on both sides. */
		memset(kv, 0xcc, sizeof(kv));
		memset(uv, 0xcc, sizeof(uv));
		switch (op) {
		case 0: case 1: case 2: case 3:
			kr = (int)kop(BPF_MAP_UPDATE_ELEM, fd, key, v, fl);
			ur = userbpf_map__update_elem(m, key, v, fl);
			break;
		case 4: case 5:
			kr = (int)kop(BPF_MAP_DELETE_ELEM, fd, key, NULL, 0);
			ur = userbpf_map__delete_elem(m, key);
			break;
		case 6: case 7:
			kr = (int)kop(BPF_MAP_LOOKUP_ELEM, fd, key, kv, 0);
			ur = userbpf_map__lookup_elem(m, key, uv, 0);
			if (!kr && !ur && memcmp(kv, uv, vsz))
				kr = 1000;	/* a difference in the value */
			break;
		case 8:
			kr = (int)kop(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, key, kv, 0);
			ur = userbpf_map__lookup_and_delete_elem(m, key, uv);
			if (!kr && !ur && memcmp(kv, uv, vsz))
				kr = 1000;
			break;
		default:
			/* Orders differ; only "is there a first key" must agree. */
			kr = k_next(fd, NULL, kv);
			ur = userbpf_map__get_next_key(m, NULL, uv);
			break;
		}
		if (kr == ur) {
			same++;
		} else {
			if (first_diff < 0) {
				snprintf(name, sizeof(name), "kernel diff %s op %u", c->name, i);
				tl_fail(name, "op %u key %u flags %llu: kernel %d, userbpf %d (seed %llu)",
					op, kn, (unsigned long long)fl, kr, ur,
					(unsigned long long)seed);
				first_diff = (int)i;
			}
			differ++;
		}
	}
	ke = calloc(c->max + 1, sizeof(*ke));
	ue = calloc(c->max + 1, sizeof(*ue));
	nk = dump(fd, NULL, c->ks, vsz, ke, c->max + 1);
	nu = dump(-1, m, c->ks, vsz, ue, c->max + 1);
	snprintf(name, sizeof(name), "kernel diff %s: %u ops, return codes equal", c->name, c->ops);
	if (differ)
		tl_fail(name, "%d equal, %d differ", same, differ);
	else
		tl_ok(name);
	snprintf(name, sizeof(name), "kernel diff %s: final contents equal (%zu keys)", c->name, nk);
	if (nk != nu)
		tl_fail(name, "kernel has %zu keys, userbpf %zu", nk, nu);
	else {
		size_t bad = 0;

		for (size_t i = 0; i < nk; i++)
			bad += memcmp(ke[i].kv, ue[i].kv, c->ks + vsz) != 0;
		if (bad)
			tl_fail(name, "%zu of %zu entries differ", bad, nk);
		else
			tl_ok(name);
	}
	free(ke);
	free(ue);
	userbpf_map__free(m);
	close(fd);
}

/* Creation errors: the same definitions refused (or taken) by both. */
static void create_errors(struct userbpf_rt *rt, int *skipped)
{
	static const struct cfg bad[] = {
		{ "hash key 0", BPF_MAP_TYPE_HASH, 0, 4, 4, 0, 0, 0 },
		{ "hash value 0", BPF_MAP_TYPE_HASH, 4, 0, 4, 0, 0, 0 },
		{ "hash max 0", BPF_MAP_TYPE_HASH, 4, 4, 0, 0, 0, 0 },
		{ "hash key 513", BPF_MAP_TYPE_HASH, 513, 4, 4, 0, 0, 0 },
		{ "hash key 4194251", BPF_MAP_TYPE_HASH, 4194251, 4, 1, 0, 0, 0 },
		{ "hash key 4194252", BPF_MAP_TYPE_HASH, 4194252, 4, 1, 0, 0, 0 },
		{ "hash value 4194252", BPF_MAP_TYPE_HASH, 4, 4194252, 1, 0, 0, 0 },
		{ "percpu key 4194252", BPF_MAP_TYPE_PERCPU_HASH, 4194252, 4, 1, 0, 0, 0 },
		{ "hash 2^27+1 entries", BPF_MAP_TYPE_HASH, 4, 4, (1u << 27) + 1, BPF_F_NO_PREALLOC, 0, 0 },
		{ "array_of_maps value 8", BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 8, 4, 0, 0, 0 },
		{ "hash_of_maps key 0", BPF_MAP_TYPE_HASH_OF_MAPS, 0, 4, 4, 0, 0, 0 },
		{ "hash mmapable", BPF_MAP_TYPE_HASH, 4, 4, 4, BPF_F_MMAPABLE, 0, 0 },
		{ "hash no_common_lru", BPF_MAP_TYPE_HASH, 4, 4, 4, BPF_F_NO_COMMON_LRU, 0, 0 },
		{ "hash no_prealloc", BPF_MAP_TYPE_HASH, 4, 4, 4, BPF_F_NO_PREALLOC, 0, 0 },
		{ "hash rdonly_prog|wronly_prog", BPF_MAP_TYPE_HASH, 4, 4, 4,
		  BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG, 0, 0 },
		{ "hash inner_map flag", BPF_MAP_TYPE_HASH, 4, 4, 4, BPF_F_INNER_MAP, 0, 0 },
		{ "lru no_prealloc", BPF_MAP_TYPE_LRU_HASH, 4, 4, 4, BPF_F_NO_PREALLOC, 0, 0 },
		{ "lru no_common_lru", BPF_MAP_TYPE_LRU_HASH, 4, 4, 4, BPF_F_NO_COMMON_LRU, 0, 0 },
		{ "percpu value 32768", BPF_MAP_TYPE_PERCPU_HASH, 4, 32768, 4, 0, 0, 0 },
		{ "percpu value 32769", BPF_MAP_TYPE_PERCPU_HASH, 4, 32769, 4, 0, 0, 0 },
		{ "hash zero_seed", BPF_MAP_TYPE_HASH, 4, 4, 4, BPF_F_ZERO_SEED, 0, 0 },
	};
	int same = 0;

	if (*skipped)
		return;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct cfg *c = &bad[i];
		struct userbpf_map_create_opts o = { .sz = sizeof(o), .map_flags = c->flags };
		int kr = kcreate(c->type, c->ks, c->vs, c->max, c->flags, 0), ur;
		struct userbpf_map *m = userbpf_map__create(rt, c->type, "e", c->ks, c->vs, c->max, &o);
		char name[128];

		ur = m ? 0 : -errno;
		if (kr >= 0) {
			close(kr);
			kr = 0;
		}
		userbpf_map__free(m);
		snprintf(name, sizeof(name), "kernel create %s: both %d", c->name, kr);
		if (kr == ur) {
			tl_ok(name);
			same++;
		} else {
			tl_fail(name, "kernel %d, userbpf %d", kr, ur);
		}
	}
}

int main(int argc, char **argv)
{
	struct userbpf_rt *rt = tl_rt_new(0);
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
	int skipped = 0, fd;
	cpu_set_t one;
	static const struct cfg cfgs[] = {
		{ "hash 4/8 max 64", BPF_MAP_TYPE_HASH, 4, 8, 64, 0, 100, 20000 },
		{ "hash 6/13 max 16 (full)", BPF_MAP_TYPE_HASH, 6, 13, 16, 0, 40, 20000 },
		{ "hash no_prealloc 8/16", BPF_MAP_TYPE_HASH, 8, 16, 32, BPF_F_NO_PREALLOC, 64, 10000 },
		{ "percpu_hash 4/12 max 32", BPF_MAP_TYPE_PERCPU_HASH, 4, 12, 32, 0, 50, 10000 },
		{ "lru_hash 4/8", BPF_MAP_TYPE_LRU_HASH, 4, 8, 4096, 0, 200, 20000 },
		{ "lru_percpu_hash 4/4", BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 4, 4096, 0, 200, 10000 },
		{ "lru_hash no_common_lru", BPF_MAP_TYPE_LRU_HASH, 8, 8, 4096,
		  BPF_F_NO_COMMON_LRU, 100, 10000 },
	};

	fd = kcreate(BPF_MAP_TYPE_HASH, 4, 4, 4, 0, 0);
	if (fd < 0) {
		tl_skip("kernel diff", "bpf(BPF_MAP_CREATE) does not answer here (not root, or no BPF)");
		userbpf_rt__free(rt);
		return tl_exit();
	}
	close(fd);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	create_errors(rt, &skipped);
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++)
		run(rt, &cfgs[i], seed + i, &skipped);
	userbpf_rt__free(rt);
	return tl_exit();
}
#else
int main(void)
{
	tl_skip("kernel diff", "not Linux");
	return tl_exit();
}
#endif
