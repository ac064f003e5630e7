/* SPDX-License-Identifier: MIT */
/*
 * ringbuf.c - RINGBUF: Linux's creation rules and element errors
 * (compared with the kernel); the record header (len, BUSY and DISCARD
 * bits, pg_off) and query; reserve/submit/discard order; records that
 * wrap across the end of the data area arrive whole; a producer whose
 * bursts fit the ring loses nothing; an overloaded ring drops exactly the
 * records whose reservation failed; several producer threads at once; a
 * pin shares the ring between two mappings; producers wake a consumer
 * only when it armed its wake-up word (and by the flags), through any
 * mapping.
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

static struct userbpf_map *rb_new(struct userbpf_rt *rt, uint32_t size)
{
	return userbpf_map__create(rt, BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, size, NULL);
}

static void test_create(struct userbpf_rt *rt, int kern)
{
	static const struct { uint32_t ks, vs, me, flags; uint64_t extra; int linux_err; } c[] = {
		{ 0, 0, 4096, 0, 0, 0 }, { 0, 0, 3 * 4096, 0, 0, -EINVAL },
		{ 0, 0, 2048, 0, 0, -EINVAL }, { 4, 0, 4096, 0, 0, -EINVAL },
		{ 0, 4, 4096, 0, 0, -EINVAL }, { 0, 0, 0, 0, 0, -EINVAL },
		{ 0, 0, 4096, BPF_F_NO_PREALLOC, 0, -EINVAL }, { 0, 0, 4096, 0, 1, -EINVAL },
		{ 0, 0, 4096, BPF_F_RDONLY_PROG, 0, -EINVAL }, { 0, 0, 1u << 20, 0, 0, 0 },
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct userbpf_map_create_opts o = { .sz = sizeof(o), .map_flags = c[i].flags,
						     .map_extra = c[i].extra };
		struct userbpf_map *m = userbpf_map__create(rt, BPF_MAP_TYPE_RINGBUF, "c", c[i].ks,
							    c[i].vs, c[i].me, &o);
		int u = m ? 0 : -errno, k = c[i].linux_err;

		userbpf_map__free(m);
		if (kern) {
			k = kcreate(BPF_MAP_TYPE_RINGBUF, c[i].ks, c[i].vs, c[i].me, c[i].flags,
				    c[i].extra);
			if (k >= 0) {
				close(k);
				k = 0;
			}
		}
		if (u != k) {
			tl_fail("ringbuf create answers as Linux", "case %zu: userbpf %d, Linux %d", i,
				u, k);
			bad++;
		}
	}
	if (!bad)
		tl_ok(kern ? "ringbuf create answers as the kernel (10 definitions)"
			   : "ringbuf create answers as Linux 6.18 did (10 definitions)");
}

static void test_elem_errors(struct userbpf_rt *rt, int kern)
{
	struct userbpf_map *m = rb_new(rt, 4096);
	int kfd = kern ? kcreate(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, 0) : -1, bad = 0;
	uint32_t key = 0, v = 0;
	long u[6], k[6] = { -524, -524, -524, -524, -524, -EINVAL };

	if (!m) {
		tl_fail("ringbuf element errors", "create");
		return;
	}
	u[0] = userbpf_map__lookup_elem(m, NULL, &v, 0);
	u[1] = userbpf_map__update_elem(m, NULL, &v, 0);
	u[2] = userbpf_map__delete_elem(m, NULL);
	u[3] = userbpf_map__get_next_key(m, NULL, &key);
	u[4] = userbpf_map__lookup_and_delete_elem(m, NULL, &v);
	u[5] = userbpf_map__lookup_elem(m, &key, &v, 0);
	if (kfd >= 0) {
		k[0] = kop(BPF_MAP_LOOKUP_ELEM, kfd, NULL, &v, 0);
		k[1] = kop(BPF_MAP_UPDATE_ELEM, kfd, NULL, &v, 0);
		k[2] = kop(BPF_MAP_DELETE_ELEM, kfd, NULL, NULL, 0);
		k[3] = kop(BPF_MAP_GET_NEXT_KEY, kfd, NULL, &key, 0);
		k[4] = kop(BPF_MAP_LOOKUP_AND_DELETE_ELEM, kfd, NULL, &v, 0);
		k[5] = kop(BPF_MAP_LOOKUP_ELEM, kfd, &key, &v, 0);
		close(kfd);
	}
	for (int i = 0; i < 6; i++)
		if (u[i] != k[i]) {
			tl_fail("ringbuf element errors as Linux", "case %d: userbpf %ld, Linux %ld", i,
				u[i], k[i]);
			bad++;
		}
	if (!bad)
		tl_ok("ringbuf element errors as Linux (ENOTSUPP, EINVAL for a key)");
	userbpf_map__free(m);
}

/* ---- records ------------------------------------------------------------- */

struct seen {
	unsigned n;
	uint8_t buf[8][64];
	size_t len[8];
};

static int keep(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;

	if (s->n < 8) {
		memcpy(s->buf[s->n], data, size < 64 ? size : 64);
		s->len[s->n] = size;
	}
	s->n++;
	return 0;
}

static void test_records(struct userbpf_rt *rt)
{
	struct userbpf_map *m = rb_new(rt, 4096);
	struct seen s = { 0 };
	uint8_t *a, *b;
	uint32_t hdr[2];

	if (!m) {
		tl_fail("ringbuf records", "create");
		return;
	}
	TL_EQ_U64("output 5 bytes", ub_ringbuf_output(m, "hello", 5, 0), 0);
	TL_EQ_U64("output 8 bytes", ub_ringbuf_output(m, "12345678", 8, BPF_RB_NO_WAKEUP), 0);
	TL_EQ_U64("query AVAIL_DATA: 16 + 16", ub_ringbuf_query(m, BPF_RB_AVAIL_DATA), 32);
	TL_EQ_U64("query RING_SIZE", ub_ringbuf_query(m, BPF_RB_RING_SIZE), 4096);
	TL_EQ_U64("query PROD_POS", ub_ringbuf_query(m, BPF_RB_PROD_POS), 32);
	TL_EQ_U64("query CONS_POS", ub_ringbuf_query(m, BPF_RB_CONS_POS), 0);
	TL_EQ_U64("query of an unknown flag is 0", ub_ringbuf_query(m, 99), 0);
	TL_EQ_U64("output with a bad flag is EINVAL", ub_ringbuf_output(m, "x", 1, 4),
		  (uint64_t)-EINVAL);
	TL_CHECK("reserve with flags is NULL", ub_ringbuf_reserve(m, 8, 1) == NULL);
	TL_CHECK("reserve larger than the ring is NULL", ub_ringbuf_reserve(m, 4096, 0) == NULL);
	a = ub_ringbuf_reserve(m, 3, 0);
	b = ub_ringbuf_reserve(m, 4, 0);
	TL_CHECK("two reservations", a && b && b == a + 16);
	if (!a || !b)
		goto out;
	memcpy(hdr, a - 8, 8);
	TL_EQ_U64("a reserved record's len carries BUSY", hdr[0], 3u | (1u << 31));
	TL_EQ_U64("its pg_off counts pages from the ring's start (3: data page 0)", hdr[1], 3);
	memcpy(a, "AAA", 3);
	memcpy(b, "BBBB", 4);
	ub_ringbuf_submit(b, 0);
	TL_EQ_U64("consume stops at the busy record (2 before it)", ub_ringbuf_consume(m, keep, &s),
		  2);
	TL_CHECK("records in order, lengths as written",
		 s.len[0] == 5 && !memcmp(s.buf[0], "hello", 5) && s.len[1] == 8);
	TL_EQ_U64("CONS_POS after", ub_ringbuf_query(m, BPF_RB_CONS_POS), 32);
	ub_ringbuf_discard(a, 0);
	memcpy(hdr, a - 8, 8);
	TL_EQ_U64("a discarded record's len carries DISCARD", hdr[0], 3u | (1u << 30));
	s.n = 0;
	TL_EQ_U64("the discarded one is skipped", ub_ringbuf_consume(m, keep, &s), 1);
	TL_CHECK("the submitted one follows", s.len[0] == 4 && !memcmp(s.buf[0], "BBBB", 4));
	TL_EQ_U64("AVAIL_DATA is 0 at the end", ub_ringbuf_query(m, BPF_RB_AVAIL_DATA), 0);
	/* Fill: 4096 bytes hold 4096/16 records of 8 bytes. */
	{
		unsigned n = 0;

		while (ub_ringbuf_output(m, "12345678", 8, 0) == 0)
			n++;
		/* Linux keeps new_prod - cons <= mask: the last 8 bytes stay free. */
		TL_EQ_U64("a full ring holds 255 records of 8+8 (as Linux)", n, 255);
		TL_EQ_U64("then output is EAGAIN", ub_ringbuf_output(m, "1", 1, 0), (uint64_t)-EAGAIN);
		s.n = 0;
		TL_EQ_U64("and consume empties it", ub_ringbuf_consume(m, keep, &s), 255);
	}
out:
	userbpf_map__free(m);
}

/* A record is a seeded pattern: its size and bytes come from (id, seq). */
static void fill(uint8_t *p, size_t n, uint64_t tag)
{
	struct tl_rng r = { tag };

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i % 8 == 0 ? tl_rnd(&r) : (uint64_t)p[i - 1] + 1);
}

static int check_pattern(const uint8_t *p, size_t n, uint64_t tag)
{
	uint8_t want[4096];

	if (n > sizeof(want))
		return 1;
	fill(want, n, tag);
	return memcmp(p, want, n) != 0;
}

struct wrapctx {
	uint64_t *expect;	/* tags of submitted records, in order */
	uint64_t nexp, got, bad;
};

static int wrap_cb(void *ctx, void *data, size_t size)
{
	struct wrapctx *w = ctx;
	uint64_t tag;

	memcpy(&tag, data, 8);
	if (size < 8 || w->got >= w->nexp || tag != w->expect[w->got] ||
	    check_pattern((uint8_t *)data + 8, size - 8, tag))
		w->bad++;
	w->got++;
	return 0;
}

static void test_wrap(struct userbpf_rt *rt)
{
	const unsigned n = 20000;
	struct userbpf_map *m = rb_new(rt, 4096);
	struct wrapctx w = { 0 };
	struct tl_rng r = { 77 };
	uint64_t wrapped = 0, discarded = 0;

	w.expect = malloc(n * sizeof(*w.expect));
	if (!m || !w.expect) {
		tl_fail("ringbuf wrap", "create");
		goto out;
	}
	for (uint64_t seq = 0; seq < n; seq++) {
		uint32_t size = 8 + tl_rn(&r, 1500);
		uint64_t prod = ub_ringbuf_query(m, BPF_RB_PROD_POS);
		uint8_t *p = ub_ringbuf_reserve(m, size, 0);

		while (!p) {
			ub_ringbuf_consume(m, wrap_cb, &w);
			prod = ub_ringbuf_query(m, BPF_RB_PROD_POS);
			p = ub_ringbuf_reserve(m, size, 0);
		}
		if ((prod & 4095) + 8 + size > 4096)
			wrapped++;	/* the sample crosses the end of the data area */
		memcpy(p, &seq, 8);
		fill(p + 8, size - 8, seq);
		if (tl_rn(&r, 4)) {
			w.expect[w.nexp++] = seq;
			ub_ringbuf_submit(p, 0);
		} else {
			discarded++;
			ub_ringbuf_discard(p, 0);
		}
		if (tl_rn(&r, 3) == 0)
			ub_ringbuf_consume(m, wrap_cb, &w);
	}
	ub_ringbuf_consume(m, wrap_cb, &w);
	if (w.bad == 0 && w.got == w.nexp && wrapped > 100)
		tl_ok("ringbuf: records that wrap across the end arrive whole and in order");
	else
		tl_fail("ringbuf: records that wrap across the end arrive whole and in order",
			"%llu bad, %llu of %llu arrived, %llu wrapped", (unsigned long long)w.bad,
			(unsigned long long)w.got, (unsigned long long)w.nexp,
			(unsigned long long)wrapped);
	printf("# ringbuf wrap: %u records of 16..1515 bytes in 4 KiB, %llu crossed the end, %llu discarded and skipped, %llu checked byte for byte\n",
	       n, (unsigned long long)wrapped, (unsigned long long)discarded,
	       (unsigned long long)w.got);
out:
	free(w.expect);
	userbpf_map__free(m);
}

/* Bursts that fit: nothing is lost. */
static void test_fits(struct userbpf_rt *rt)
{
	struct userbpf_map *m = rb_new(rt, 16384);
	struct tl_rng r = { 5 };
	uint64_t sent = 0, fails = 0;
	struct wrapctx w = { 0 };

	w.expect = malloc(200000 * sizeof(*w.expect));
	if (!m || !w.expect) {
		tl_fail("ringbuf fits", "create");
		goto out;
	}
	for (unsigned burst = 0; burst < 2000; burst++) {
		uint64_t room = 16384 - 8;	/* the most a ring holds */

		for (;;) {
			uint32_t size = 8 + tl_rn(&r, 200);
			uint64_t len = (size + 8 + 7) & ~7u;
			uint8_t rec[256];

			if (len > room || sent >= 200000)
				break;
			room -= len;
			memcpy(rec, &sent, 8);
			fill(rec + 8, size - 8, sent);
			if (ub_ringbuf_output(m, rec, size, 0))
				fails++;
			else
				w.expect[w.nexp++] = sent;
			sent++;
		}
		ub_ringbuf_consume(m, wrap_cb, &w);
	}
	if (!fails && !w.bad && w.got == sent)
		tl_ok("ringbuf: a producer whose bursts fit the ring loses nothing");
	else
		tl_fail("ringbuf: a producer whose bursts fit the ring loses nothing",
			"%llu failed, %llu bad, %llu of %llu arrived", (unsigned long long)fails,
			(unsigned long long)w.bad, (unsigned long long)w.got,
			(unsigned long long)sent);
	printf("# ringbuf fits: %llu records in 2000 bursts of up to 16 KiB, 0 lost\n",
	       (unsigned long long)sent);
out:
	free(w.expect);
	userbpf_map__free(m);
}

/* ---- threads ------------------------------------------------------------------ */

#define PROD_MAX 4

struct prod {
	struct userbpf_map *m;
	uint32_t id, n, size;
	int mode;		/* 0: no retry, 1: waits for room, 2: retries */
	uint64_t ok, drops, retries;
	uint8_t *okmap;		/* 1 where output succeeded */
};

struct cons {
	struct userbpf_map *m;
	_Atomic int *done;
	uint64_t got[PROD_MAX], last[PROD_MAX], bad, slow;
	uint8_t *seen[PROD_MAX];
};

static void *producer(void *arg)
{
	struct prod *p = arg;
	uint8_t rec[64];

	for (uint32_t i = 0; i < p->n; i++) {
		uint32_t hdr[2] = { p->id, i };

		memcpy(rec, hdr, 8);
		memset(rec + 8, (int)(p->id * 31 + i), p->size - 8);
		if (p->mode == 1)
			while (ub_ringbuf_query(p->m, BPF_RB_AVAIL_DATA) + ((p->size + 15) & ~7u) >
			       ub_ringbuf_query(p->m, BPF_RB_RING_SIZE) - 8)
				sched_yield();
		if (p->mode == 2)
			while (ub_ringbuf_output(p->m, rec, p->size, 0) == -EAGAIN) {
				p->retries++;
				sched_yield();
			}
		if (p->mode == 2 || ub_ringbuf_output(p->m, rec, p->size, 0) == 0) {
			p->ok++;
			p->okmap[i] = 1;
		} else {
			p->drops++;
		}
	}
	return NULL;
}

static int cons_cb(void *ctx, void *data, size_t size)
{
	struct cons *c = ctx;
	uint32_t hdr[2];
	const uint8_t *d = data;

	memcpy(hdr, data, 8);
	if (hdr[0] >= PROD_MAX || (c->got[hdr[0]] && hdr[1] <= c->last[hdr[0]]) ||
	    c->seen[hdr[0]][hdr[1]]) {
		c->bad++;
		return 0;
	}
	for (size_t i = 8; i < size; i++)
		if (d[i] != (uint8_t)(hdr[0] * 31 + hdr[1])) {
			c->bad++;
			break;
		}
	c->seen[hdr[0]][hdr[1]] = 1;
	c->last[hdr[0]] = hdr[1];
	c->got[hdr[0]]++;
	for (volatile unsigned s = 0; s < c->slow; s++)
		;
	return 0;
}

static void *consumer(void *arg)
{
	struct cons *c = arg;

	while (!atomic_load(c->done))
		ub_ringbuf_consume(c->m, cons_cb, c);
	ub_ringbuf_consume(c->m, cons_cb, c);
	return NULL;
}

/* nprod producers of n records each, one consumer; slow makes it slower. */
static void run_threads(struct userbpf_rt *rt, unsigned nprod, uint32_t n, int mode,
			unsigned slow, const char *name)
{
	struct userbpf_map *m = rb_new(rt, 16384);
	struct prod p[PROD_MAX];
	struct cons c = { 0 };
	pthread_t pt[PROD_MAX], ct;
	_Atomic int done = 0;
	uint64_t ok = 0, drops = 0, got = 0, mismatch = 0;

	if (!m) {
		tl_fail(name, "create");
		return;
	}
	c.m = m;
	c.done = &done;
	c.slow = slow;
	for (unsigned i = 0; i < nprod; i++) {
		p[i] = (struct prod){ .m = m, .id = i, .n = n, .size = 16 + 8 * (i % 3),
				     .mode = mode };
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
	for (unsigned i = 0; i < nprod; i++) {
		ok += p[i].ok;
		drops += p[i].drops;
		got += c.got[i];
		for (uint32_t j = 0; j < n; j++)
			mismatch += p[i].okmap[j] != c.seen[i][j];
		free(p[i].okmap);
		free(c.seen[i]);
	}
	if (!c.bad && !mismatch && got == ok && ok + drops == (uint64_t)nprod * n &&
	    (mode == 0 ? drops > 0 : drops == 0))
		tl_ok(name);
	else
		tl_fail(name, "%llu bad, %llu mismatched, got %llu, ok %llu, drops %llu",
			(unsigned long long)c.bad, (unsigned long long)mismatch,
			(unsigned long long)got, (unsigned long long)ok, (unsigned long long)drops);
	printf("# %s: %u producer(s) x %u records, 16 KiB ring: %llu delivered in order, %llu dropped (output said EAGAIN), exactly those missing; %llu retries\n",
	       name, nprod, n, (unsigned long long)got, (unsigned long long)drops,
	       (unsigned long long)(p[0].retries + (nprod > 1 ? p[1].retries : 0) +
				    (nprod > 2 ? p[2].retries + p[3].retries : 0)));
	userbpf_map__free(m);
}

static void test_pin(struct userbpf_rt *rt)
{
	char dir[] = "/tmp/ub-rb-XXXXXX", path[64];
	struct userbpf_map *m, *m2;
	struct seen s = { 0 };

	if (!mkdtemp(dir)) {
		tl_fail("ringbuf pin", "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/rb", dir);
	m = rb_new(rt, 4096);
	if (!m || ub_ringbuf_output(m, "before", 6, 0) || userbpf_map__pin(m, path)) {
		tl_fail("ringbuf pin", "create, output or pin failed");
		userbpf_map__free(m);
		return;
	}
	m2 = userbpf_map__open_pinned(rt, path);
	TL_CHECK("ringbuf open pinned", m2 != NULL);
	if (m2) {
		/* After the pin the first handle's double mapping moves to the file. */
		TL_EQ_U64("output after the pin", ub_ringbuf_output(m, "after", 5, 0), 0);
		TL_EQ_U64("the other mapping consumes both", ub_ringbuf_consume(m2, keep, &s), 2);
		TL_CHECK("in order, whole", s.len[0] == 6 && !memcmp(s.buf[0], "before", 6) &&
						    s.len[1] == 5 && !memcmp(s.buf[1], "after", 5));
		TL_EQ_U64("and the first sees the consumer position",
			  ub_ringbuf_query(m, BPF_RB_CONS_POS), 32);
		/* Wrap through the second mapping, consume through the first. */
		for (int i = 0; i < 300; i++) {
			uint64_t v = (uint64_t)i;

			ub_ringbuf_output(m2, &v, 8, 0);
			s.n = 0;
			if (ub_ringbuf_consume(m, keep, &s) != 1 || memcmp(s.buf[0], &v, 8))
				break;
			if (i == 299)
				tl_ok("records go round the ring between two mappings");
		}
		userbpf_map__free(m2);
	}
	userbpf_map__free(m);
	unlink(path);
	rmdir(dir);
}

static uint32_t seq_of(struct userbpf_map *m)
{
	return atomic_load(&ub_ringbuf_wake(m)->seq);
}

/* The wake-up word (maps/wake.h), one commit at a time. */
static void test_wake(struct userbpf_rt *rt)
{
	char dir[] = "/tmp/ub-rbw-XXXXXX", path[64];
	struct userbpf_map *m = rb_new(rt, 4096), *m2 = NULL;
	struct seen s = { 0 };
	struct ub_wake *w;
	uint32_t s0;
	void *p;

	if (!m) {
		tl_fail("ringbuf wake", "create");
		return;
	}
	w = ub_ringbuf_wake(m);
	s0 = seq_of(m);
	TL_CHECK("wake: empty ring is not ready", !ub_ringbuf_ready(m));
	ub_ringbuf_output(m, "a", 1, 0);
	TL_CHECK("wake: no consumer armed: output does not wake", seq_of(m) == s0);
	TL_CHECK("wake: a committed record is ready", ub_ringbuf_ready(m));
	ub_ringbuf_consume(m, keep, &s);
	TL_EQ_U64("wake: arm returns the current seq", ub_wake_arm(w), s0);
	ub_ringbuf_output(m, "b", 1, BPF_RB_NO_WAKEUP);
	TL_CHECK("wake: BPF_RB_NO_WAKEUP does not wake and leaves the consumer armed",
		 seq_of(m) == s0 && atomic_load(&w->armed) == 1);
	ub_ringbuf_output(m, "c", 1, 0);
	TL_CHECK("wake: armed: output wakes once and disarms",
		 seq_of(m) == s0 + 1 && atomic_load(&w->armed) == 0);
	ub_ringbuf_output(m, "d", 1, 0);
	TL_CHECK("wake: then the next output does not", seq_of(m) == s0 + 1);
	ub_ringbuf_output(m, "e", 1, BPF_RB_FORCE_WAKEUP);
	TL_CHECK("wake: BPF_RB_FORCE_WAKEUP wakes even unarmed", seq_of(m) == s0 + 2);
	ub_ringbuf_consume(m, keep, &s);
	ub_wake_arm(w);
	p = ub_ringbuf_reserve(m, 8, 0);
	TL_CHECK("wake: a reserved (BUSY) record is not ready", p && !ub_ringbuf_ready(m));
	if (p)
		ub_ringbuf_submit(p, 0);
	TL_CHECK("wake: submit (the sample alone) finds the word and wakes", seq_of(m) == s0 + 3);
	ub_wake_arm(w);
	p = ub_ringbuf_reserve(m, 8, 0);
	if (p)
		ub_ringbuf_discard(p, 0);
	TL_CHECK("wake: discard wakes too (the consumer position moves)", seq_of(m) == s0 + 4);
	ub_ringbuf_consume(m, keep, &s);
	/* Through a pin: the first handle's mapping moves to the file, and a
	 * second process-wide mapping sees the same word. */
	if (mkdtemp(dir)) {
		snprintf(path, sizeof(path), "%s/rb", dir);
		if (!userbpf_map__pin(m, path))
			m2 = userbpf_map__open_pinned(rt, path);
		TL_CHECK("wake: pin and open again", m2 != NULL);
		if (m2) {
			uint32_t s1 = seq_of(m2);

			ub_wake_arm(ub_ringbuf_wake(m2));
			p = ub_ringbuf_reserve(m, 8, 0);
			if (p)
				ub_ringbuf_submit(p, 0);
			TL_CHECK("wake: a submit through one mapping wakes the consumer armed in the other",
				 seq_of(m2) == s1 + 1 && ub_ringbuf_ready(m2));
			userbpf_map__free(m2);
		}
		unlink(path);
		rmdir(dir);
	}
	userbpf_map__free(m);
}

int main(void)
{
	struct userbpf_rt *rt = tl_rt_new(0);
	int fd = kcreate(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, 0), kern = fd >= 0;

	if (fd >= 0)
		close(fd);
	else
		tl_skip("ringbuf kernel comparison", "bpf() does not answer (not root, or no BPF)");
	test_create(rt, kern);
	test_elem_errors(rt, kern);
	test_records(rt);
	test_wrap(rt);
	test_fits(rt);
	run_threads(rt, 1, 200000, 1, 0,
		    "ringbuf: a producer that waits for room, a consumer at once: nothing lost");
	run_threads(rt, 1, 200000, 0, 2000,
		    "ringbuf: overloaded (slow consumer): drops are exactly the EAGAINs");
	run_threads(rt, 4, 50000, 2, 0,
		    "ringbuf: four producers retrying, one consumer: all delivered, each in order");
	run_threads(rt, 4, 50000, 0, 0,
		    "ringbuf: four producers overloading: drops are exactly the EAGAINs");
	test_pin(rt);
	test_wake(rt);
	userbpf_rt__free(rt);
	return tl_exit();
}
