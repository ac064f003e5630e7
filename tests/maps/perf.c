/* SPDX-License-Identifier: MIT */
/*
 * perf.c - PERF_EVENT_ARRAY: creation rules and element errors (the kernel
 * where it answers); each ring's header page as perf_event_mmap_page;
 * PERF_RECORD_SAMPLE records {header, u32 size counting the padding, raw
 * bytes padded with zeros}; records that wrap arrive whole; a full ring
 * answers -ENOSPC and the next record that fits is preceded by one
 * PERF_RECORD_LOST whose count is exactly the refusals; a producer thread
 * against a slow consumer; producers sharing a ring; a pin.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "maps/map.h"
#include "maps/wake.h"
#include "testlib.h"
#include "tl_kbpf.h"
#include "tl_rng.h"

static struct userbpf_map *pe_new(struct userbpf_rt *rt, uint32_t n, uint64_t pages)
{
	struct userbpf_map_create_opts o = { .sz = sizeof(o), .map_extra = pages };

	return userbpf_map__create(rt, BPF_MAP_TYPE_PERF_EVENT_ARRAY, "pe", 4, 4, n, &o);
}

/* Ring i's header page: after page 0, rings of (1 + pages) pages. */
static uint8_t *ring_page(struct userbpf_map *m, uint32_t i, uint32_t pages)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (uint8_t *)m->hdr + pg + (size_t)i * (1 + pages) * pg;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void test_create(struct userbpf_rt *rt, int kern)
{
	unsigned ncpus = userbpf_num_possible_cpus();
	struct userbpf_map *m = pe_new(rt, 0, 0);
	uint32_t key = 0, v = 7, next = 9;
	long u, k;

	TL_CHECK("perf_event_array with max_entries 0", m != NULL);
	if (!m)
		return;
	TL_EQ_U64("max_entries 0 means one ring per CPU (as libbpf asks)",
		  userbpf_map__max_entries(m), ncpus);
	userbpf_map__free(m);
	TL_CHECK("key_size 8 refused",
		 !userbpf_map__create(rt, BPF_MAP_TYPE_PERF_EVENT_ARRAY, "x", 8, 4, 2, NULL) &&
			 errno == EINVAL);
	TL_CHECK("value_size 8 refused",
		 !userbpf_map__create(rt, BPF_MAP_TYPE_PERF_EVENT_ARRAY, "x", 4, 8, 2, NULL) &&
			 errno == EINVAL);
	TL_CHECK("map_extra (pages) not a power of 2 refused", !pe_new(rt, 2, 3) && errno == EINVAL);
	if (kern) {
		int fd = kcreate(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 8, 4, 2, 0, 0);

		TL_EQ_U64("the kernel refuses key_size 8 too", fd, (uint64_t)-EINVAL);
	}
	m = pe_new(rt, 2, 1);
	if (!m)
		return;
	/* Element operations: Linux's where the kernel can say. */
	u = userbpf_map__lookup_elem(m, &key, &v, 0);
	k = -524;
	if (kern) {
		int fd = kcreate(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2, 0, 0);

		k = kop(BPF_MAP_LOOKUP_ELEM, fd, &key, &v, 0);
		key = 5;
		TL_EQ_U64("delete past the end is E2BIG, as the kernel",
			  userbpf_map__delete_elem(m, &key), kop(BPF_MAP_DELETE_ELEM, fd, &key, NULL, 0));
		TL_EQ_U64("get_next_key of the last is ENOENT, as the kernel",
			  (key = 1, userbpf_map__get_next_key(m, &key, &next)),
			  kop(BPF_MAP_GET_NEXT_KEY, fd, &key, &next, 0));
		key = 0;
		close(fd);
	}
	TL_EQ_U64("lookup is ENOTSUPP (524), as the kernel", u, k);
	TL_EQ_U64("update of slot 0", userbpf_map__update_elem(m, &key, &v, 0), 0);
	TL_EQ_U64("update NOEXIST is EINVAL (fd arrays)", userbpf_map__update_elem(m, &key, &v, 1),
		  (uint64_t)-EINVAL);
	TL_EQ_U64("delete of slot 0", userbpf_map__delete_elem(m, &key), 0);
	TL_EQ_U64("delete of an empty slot is ENOENT", userbpf_map__delete_elem(m, &key),
		  (uint64_t)-ENOENT);
	key = 2;
	TL_EQ_U64("update past the end is E2BIG", userbpf_map__update_elem(m, &key, &v, 0),
		  (uint64_t)-E2BIG);
	userbpf_map__free(m);
}

/* ---- records -------------------------------------------------------------- */

struct got {
	unsigned samples, lost_records, bad;
	uint64_t lost;
	uint32_t size[8];
	uint8_t data[8][64];
	int cpu;
};

static void on_sample(void *ctx, int cpu, void *data, uint32_t size)
{
	struct got *g = ctx;

	if (g->samples < 8) {
		g->size[g->samples] = size;
		memcpy(g->data[g->samples], data, size < 64 ? size : 64);
	}
	g->cpu = cpu;
	g->samples++;
}

static void on_lost(void *ctx, int cpu, uint64_t n)
{
	struct got *g = ctx;

	(void)cpu;
	g->lost += n;
	g->lost_records++;
}

static void test_records(struct userbpf_rt *rt)
{
	struct userbpf_map *m = pe_new(rt, 2, 1);
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct got g = { 0 };
	static const uint8_t zero[16];
	uint8_t *hp;
	unsigned fills = 0, refused = 0;

	if (!m) {
		tl_fail("perf records", "create");
		return;
	}
	hp = ring_page(m, 1, 1);
	TL_EQ_U64("data_offset is one page", rd64(hp + 1040), pg);
	TL_EQ_U64("data_size is map_extra pages", rd64(hp + 1048), pg);
	TL_EQ_U64("output 5 bytes to ring 1", ub_perf_output(m, 1, "hello", 5), 0);
	TL_EQ_U64("data_head moved by 8 + round_up(4 + 5, 8)", rd64(hp + 1024), 24);
	{
		uint32_t type;
		uint16_t misc, size;

		memcpy(&type, hp + pg, 4);
		memcpy(&misc, hp + pg + 4, 2);
		memcpy(&size, hp + pg + 6, 2);
		TL_CHECK("the record is PERF_RECORD_SAMPLE (9) of 24 bytes", type == 9 && size == 24);
		(void)misc;
	}
	TL_EQ_U64("consume ring 1", ub_perf_consume(m, 1, on_sample, on_lost, &g), 1);
	TL_CHECK("sample: size counts the padding (12), bytes then zeros",
		 g.size[0] == 12 && !memcmp(g.data[0], "hello", 5) && !memcmp(g.data[0] + 5, zero, 7));
	TL_EQ_U64("data_tail follows", rd64(hp + 1032), 24);
	TL_EQ_U64("index past the end is E2BIG", ub_perf_output(m, 2, "x", 1), (uint64_t)-E2BIG);
	TL_EQ_U64("flags beyond the index are EINVAL", ub_perf_output(m, 1ull << 32, "x", 1),
		  (uint64_t)-EINVAL);
	TL_EQ_U64("a sample perf's u16 size cannot describe is E2BIG",
		  ub_perf_output(m, 0, zero, 70000), (uint64_t)-E2BIG);
	{
		long r = ub_perf_output(m, BPF_F_CURRENT_CPU, "cpu", 3);
		unsigned cpu = (unsigned)sched_getcpu();

		if (cpu < 2) {
			memset(&g, 0, sizeof(g));
			TL_CHECK("BPF_F_CURRENT_CPU writes this CPU's ring",
				 r == 0 && ub_perf_consume(m, cpu, on_sample, on_lost, &g) == 1 &&
					 g.cpu == (int)cpu);
		} else {
			TL_EQ_U64("BPF_F_CURRENT_CPU past max_entries is E2BIG", r, (uint64_t)-E2BIG);
		}
	}
	/* Fill ring 0 (one page), then refuse 10 more, then drain. */
	while (ub_perf_output(m, 0, "0123456789abcdef", 16) == 0)
		fills++;
	for (int i = 0; i < 10; i++)
		refused += ub_perf_output(m, 0, "z", 1) == -ENOSPC;
	TL_EQ_U64("a full ring answers ENOSPC", refused, 10);
	memset(&g, 0, sizeof(g));
	ub_perf_consume(m, 0, on_sample, on_lost, &g);
	TL_CHECK("all that fit arrive, nothing reported lost yet", g.samples == fills && g.lost == 0);
	memset(&g, 0, sizeof(g));
	TL_EQ_U64("the next record fits", ub_perf_output(m, 0, "next", 4), 0);
	TL_EQ_U64("consume: a LOST record and the sample", ub_perf_consume(m, 0, on_sample, on_lost, &g),
		  2);
	TL_CHECK("PERF_RECORD_LOST counts the 11 refusals (the fill's last + 10)",
		 g.lost_records == 1 && g.lost == 11 && g.samples == 1);
	printf("# perf: a %zu-byte ring took %u samples of 16 bytes (32 each), then refused 11, reported in one LOST record\n",
	       pg, fills);
	userbpf_map__free(m);
}

/* Seeded patterns, as in ringbuf.c. */
static void fill(uint8_t *p, size_t n, uint64_t tag)
{
	struct tl_rng r = { tag };

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)tl_rnd(&r);
}

struct wrapctx {
	uint64_t next, bad, got;
};

static void wrap_sample(void *ctx, int cpu, void *data, uint32_t size)
{
	struct wrapctx *w = ctx;
	uint8_t want[2048];
	uint64_t tag;
	uint32_t len;

	(void)cpu;
	memcpy(&tag, data, 8);
	memcpy(&len, (uint8_t *)data + 8, 4);
	if (tag != w->next || len > size || len < 12) {
		w->bad++;
	} else {
		fill(want, len - 12, tag);
		if (memcmp((uint8_t *)data + 12, want, len - 12))
			w->bad++;
	}
	w->next++;
	w->got++;
}

static void test_wrap(struct userbpf_rt *rt)
{
	struct userbpf_map *m = pe_new(rt, 1, 1);
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct tl_rng r = { 9 };
	struct wrapctx w = { 0 };
	uint64_t wrapped = 0, n = 20000;
	uint8_t rec[2048];

	if (!m)
		return;
	for (uint64_t seq = 0; seq < n; seq++) {
		uint32_t len = 12 + tl_rn(&r, 1000);
		uint64_t head = rd64(ring_page(m, 0, 1) + 1024);
		uint64_t total = 8 + ((len + 4 + 7) & ~7ull);

		memcpy(rec, &seq, 8);
		memcpy(rec + 8, &len, 4);
		fill(rec + 12, len - 12, seq);
		while (ub_perf_output(m, 0, rec, len) == -ENOSPC) {
			ub_perf_consume(m, 0, wrap_sample, NULL, &w);
			head = rd64(ring_page(m, 0, 1) + 1024);
		}
		/* the output above after a refusal carries a LOST record first */
		if ((head % pg) + total > pg)
			wrapped++;
		if (tl_rn(&r, 3) == 0)
			ub_perf_consume(m, 0, wrap_sample, NULL, &w);
	}
	ub_perf_consume(m, 0, wrap_sample, NULL, &w);
	if (!w.bad && w.got == n && wrapped > 100)
		tl_ok("perf: records that wrap across the end arrive whole and in order");
	else
		tl_fail("perf: records that wrap across the end arrive whole and in order",
			"%llu bad, %llu of %llu, %llu wrapped", (unsigned long long)w.bad,
			(unsigned long long)w.got, (unsigned long long)n, (unsigned long long)wrapped);
	printf("# perf wrap: %llu samples of 12..1011 bytes through a %zu-byte ring, about %llu across the end, all checked\n",
	       (unsigned long long)n, pg, (unsigned long long)wrapped);
	userbpf_map__free(m);
}

/* ---- threads ------------------------------------------------------------------ */

struct prod {
	struct userbpf_map *m;
	uint32_t id, n;
	int mode;		/* 0: no retry, 1: waits for room, 2: retries */
	uint64_t ok, refused, enospc;
	uint8_t *okmap;
};

struct cons {
	struct userbpf_map *m;
	_Atomic int *done;
	unsigned slow;
	uint64_t got[2], last[2], bad, lost;
	uint8_t *seen[2];
};

static void *producer(void *arg)
{
	struct prod *p = arg;

	for (uint32_t i = 0; i < p->n; i++) {
		uint32_t rec[6] = { p->id, i, i * 7, i * 13, ~i, p->id ^ i };
		long r;

		if (p->mode == 1) {
			/* Room as a perf reader sees it: data_size - (head - tail). */
			const uint8_t *hp = ring_page(p->m, 0, 4);

			while (atomic_load((_Atomic uint64_t *)(hp + 1024)) -
				       atomic_load((_Atomic uint64_t *)(hp + 1032)) + 40 >
			       rd64(hp + 1048))
				sched_yield();
		}
		while ((r = ub_perf_output(p->m, 0, rec, sizeof(rec))) == -ENOSPC) {
			p->enospc++;
			if (p->mode != 2)
				break;
			sched_yield();
		}
		if (r == 0) {
			p->ok++;
			p->okmap[i] = 1;
		} else {
			p->refused++;
		}
	}
	return NULL;
}

static void cons_sample(void *ctx, int cpu, void *data, uint32_t size)
{
	struct cons *c = ctx;
	uint32_t rec[6];

	(void)cpu;
	memcpy(rec, data, sizeof(rec));
	if (size != 28 || rec[0] > 1 || rec[2] != rec[1] * 7 || rec[4] != ~rec[1] ||
	    (c->got[rec[0]] && rec[1] <= c->last[rec[0]]) || c->seen[rec[0]][rec[1]]) {
		c->bad++;
		return;
	}
	c->seen[rec[0]][rec[1]] = 1;
	c->last[rec[0]] = rec[1];
	c->got[rec[0]]++;
	for (volatile unsigned s = 0; s < c->slow; s++)
		;
}

static void cons_lost(void *ctx, int cpu, uint64_t n)
{
	(void)cpu;
	((struct cons *)ctx)->lost += n;
}

static void *consumer(void *arg)
{
	struct cons *c = arg;

	while (!atomic_load(c->done))
		ub_perf_consume(c->m, 0, cons_sample, cons_lost, c);
	ub_perf_consume(c->m, 0, cons_sample, cons_lost, c);
	return NULL;
}

static void run_threads(struct userbpf_rt *rt, unsigned nprod, uint32_t n, int mode,
			unsigned slow, const char *name)
{
	struct userbpf_map *m = pe_new(rt, 1, 4);
	struct prod p[2];
	struct cons c = { 0 };
	pthread_t pt[2], ct;
	_Atomic int done = 0;
	uint64_t ok = 0, refused = 0, got = 0, mismatch = 0, enospc = 0;
	struct got flush = { 0 };

	if (!m) {
		tl_fail(name, "create");
		return;
	}
	c.m = m;
	c.done = &done;
	c.slow = slow;
	for (unsigned i = 0; i < nprod; i++) {
		p[i] = (struct prod){ .m = m, .id = i, .n = n, .mode = mode };
		p[i].okmap = calloc(n, 1);
		c.seen[i] = calloc(n, 1);
	}
	pthread_create(&ct, NULL, consumer, &c);
	for (unsigned i = 0; i < nprod; i++)
		pthread_create(&pt[i], NULL, producer, &p[i]);
	for (unsigned i = 0; i < nprod; i++)
		pthread_join(pt[i], NULL);
	atomic_store(&done, 1);
	pthread_join(ct, NULL);
	/* A last record brings out a loss count still pending. */
	ub_perf_output(m, 0, "flush", 5);
	ub_perf_consume(m, 0, on_sample, on_lost, &flush);
	c.lost += flush.lost;
	for (unsigned i = 0; i < nprod; i++) {
		ok += p[i].ok;
		refused += p[i].refused;
		enospc += p[i].enospc;
		got += c.got[i];
		for (uint32_t j = 0; j < n; j++)
			mismatch += p[i].okmap[j] != c.seen[i][j];
		free(p[i].okmap);
		free(c.seen[i]);
	}
	/* Every ENOSPC is a lost record, as perf counts them. */
	if (!c.bad && !mismatch && got == ok && c.lost == enospc &&
	    (mode == 1 ? enospc == 0 : mode == 2 ? refused == 0 && got == (uint64_t)nprod * n
						: refused > 0))
		tl_ok(name);
	else
		tl_fail(name, "%llu bad, %llu mismatched, got %llu of %llu, lost reported %llu, ENOSPC %llu, given up %llu",
			(unsigned long long)c.bad, (unsigned long long)mismatch,
			(unsigned long long)got, (unsigned long long)ok, (unsigned long long)c.lost,
			(unsigned long long)enospc, (unsigned long long)refused);
	printf("# %s: %u producer(s) x %u samples, 4-page ring: %llu delivered in order, %llu given up, %llu ENOSPC answers, %llu reported in LOST records\n",
	       name, nprod, n, (unsigned long long)got, (unsigned long long)refused,
	       (unsigned long long)enospc, (unsigned long long)c.lost);
	userbpf_map__free(m);
}

static void test_pin(struct userbpf_rt *rt)
{
	char dir[] = "/tmp/ub-perf-XXXXXX", path[64];
	struct userbpf_map *m, *m2;
	struct got g = { 0 };

	if (!mkdtemp(dir)) {
		tl_fail("perf pin", "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/pe", dir);
	m = pe_new(rt, 2, 1);
	if (!m || userbpf_map__pin(m, path)) {
		tl_fail("perf pin", "create or pin failed");
		userbpf_map__free(m);
		return;
	}
	m2 = userbpf_map__open_pinned(rt, path);
	TL_CHECK("perf open pinned", m2 != NULL);
	if (m2) {
		TL_EQ_U64("the reopened map has 2 rings", userbpf_map__max_entries(m2), 2);
		ub_perf_output(m, 1, "pinned", 6);
		TL_EQ_U64("the other mapping consumes it", ub_perf_consume(m2, 1, on_sample, on_lost, &g), 1);
		TL_CHECK("whole", !memcmp(g.data[0], "pinned", 6));
		userbpf_map__free(m2);
	}
	userbpf_map__free(m);
	unlink(path);
	rmdir(dir);
}

static void nop_sample(void *ctx, int cpu, void *data, uint32_t size)
{
	(void)ctx; (void)cpu; (void)data; (void)size;
}

/* The wake-up word (maps/wake.h): one for all rings, bumped by an output
 * only while the consumer is armed; a refused output does not wake. */
static void test_wake(struct userbpf_rt *rt)
{
	struct userbpf_map *m = pe_new(rt, 2, 1);
	struct ub_wake *w;
	uint64_t big[64] = { 0 };
	uint32_t s0;
	int n = 0;

	if (!m) {
		tl_fail("perf wake", "create");
		return;
	}
	w = ub_perf_wake(m);
	s0 = atomic_load(&w->seq);
	TL_CHECK("perf wake: empty rings are not ready", !ub_perf_ready(m));
	ub_perf_output(m, 1, "abcd", 4);
	TL_CHECK("perf wake: nobody armed: no wake, but ready",
		 atomic_load(&w->seq) == s0 && ub_perf_ready(m));
	ub_perf_consume(m, 1, nop_sample, NULL, NULL);
	ub_wake_arm(w);
	ub_perf_output(m, 0, "abcd", 4);
	TL_CHECK("perf wake: armed: output to any ring wakes once and disarms",
		 atomic_load(&w->seq) == s0 + 1 && atomic_load(&w->armed) == 0);
	ub_perf_output(m, 1, "abcd", 4);
	TL_CHECK("perf wake: the next output does not", atomic_load(&w->seq) == s0 + 1);
	while (ub_perf_output(m, 0, big, sizeof(big)) == 0 && n < 1000)
		n++;
	ub_wake_arm(w);
	TL_CHECK("perf wake: a refused output (-ENOSPC) does not wake",
		 ub_perf_output(m, 0, big, sizeof(big)) == -ENOSPC && atomic_load(&w->seq) == s0 + 1);
	ub_wake_disarm(w);
	userbpf_map__free(m);
}

int main(void)
{
	struct userbpf_rt *rt = tl_rt_new(0);
	int fd = kcreate(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2, 0, 0), kern = fd >= 0;

	if (fd >= 0)
		close(fd);
	else
		tl_skip("perf kernel comparison", "bpf() does not answer (not root, or no BPF)");
	test_create(rt, kern);
	test_records(rt);
	test_wrap(rt);
	run_threads(rt, 1, 100000, 1, 0,
		    "perf: a producer that waits for room, a consumer at once: nothing lost");
	run_threads(rt, 1, 200000, 0, 3000,
		    "perf: overloaded (slow consumer): LOST counts are exactly the refusals");
	run_threads(rt, 2, 100000, 2, 0,
		    "perf: two producers retrying on one ring: all in order, LOST counts every ENOSPC");
	test_pin(rt);
	test_wake(rt);
	userbpf_rt__free(rt);
	return tl_exit();
}
