/* SPDX-License-Identifier: MIT */
/*
 * map_ringbuf.c - RINGBUF, as Linux's kernel/bpf/ringbuf.c: one
 * multi-producer, single-consumer ring of variable-length records.
 *
 * The map's file is laid out as Linux lays out the ring's pages, counted
 * from the start of the file:
 *
 *     page 0        struct ub_map_hdr; type_state holds the producers'
 *                   spin lock, the mask and pending_pos (Linux's meta page)
 *     page 1        consumer_pos (u64), written by the consumer only;
 *                   at byte 64 the consumer's wake-up word (wake.h)
 *     page 2        producer_pos (u64), written under the lock
 *     page 3...     the data area, max_entries bytes (a power-of-2 multiple
 *                   of the page size)
 *
 * so that a record header's pg_off (pages from the start) is Linux's.  Each
 * process maps the file a second time: pages 0-2, then the data area
 * twice back to back (mmap MAP_FIXED of the same file range), so that a
 * record that wraps past the end is contiguous for the producer and the
 * consumer, and so that submit/discard, which get only the sample, find
 * the consumer page from the record's pg_off as Linux does.
 * After a pin moves the map to a new file (ub_os_shm_link), the double
 * mapping follows on its next use.  Windows: not supported (-EOPNOTSUPP
 * at create).
 *
 * Records: an 8-byte header {u32 len | BUSY bit 31 | DISCARD bit 30,
 * u32 pg_off}, the sample, padding to 8.  A producer reserves under the
 * spin lock (advancing producer_pos with the record still BUSY), fills it
 * in without the lock, then clears BUSY (submit) or sets DISCARD
 * (discard) with one atomic exchange.  The consumer reads records in
 * order up to the first BUSY one.  pending_pos (Linux 6.8) keeps a
 * producer from wrapping onto a record still being written even when the
 * consumer position moves past it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include "maps/map.h"
#include "maps/wake.h"
#ifndef _WIN32
#include <sys/mman.h>
#include <unistd.h>
#endif

#define RB_MAX_RECORD (UINT32_MAX / 4)

struct rb_state {
	uint32_t lock;
	uint32_t page;		/* the page size the file was laid out with */
	uint64_t mask;		/* data bytes - 1 */
	uint64_t pending_pos;	/* first record that may still be BUSY */
};

_Static_assert(sizeof(struct rb_state) <= sizeof(((struct ub_map_hdr *)0)->type_state),
	       "ringbuf state fits the header");

/* The wake-up word's offset in the consumer page (its own cache line). */
#define RB_WAKE_OFF 64

/* This process's second mapping: pages 0-2 at base, the data area twice
 * after them at area. */
struct rb_local {
	uint8_t *base;			/* 3 * page + 2 * size bytes */
	uint8_t *area;			/* = base + 3 * page */
	_Atomic intptr_t fd;		/* the file it maps (m->shm.handle) */
};

struct rb_hdr {
	_Atomic uint32_t len;
	uint32_t pg_off;
};

static size_t page_size(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return 4096;	/* always; sysconf would cost submit ~10 ns (rec_wake) */
#elif !defined(_WIN32)
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (size_t)p : 4096;
#else
	return 4096;
#endif
}

/* Where map.c puts the family data (from the file's start). */
static size_t doff(void)
{
	return (sizeof(struct ub_map_hdr) + 63) & ~(size_t)63;
}

static struct rb_state *rs(struct userbpf_map *m)
{
	return (struct rb_state *)m->hdr->type_state;
}

static _Atomic uint64_t *cons_pos(struct userbpf_map *m)
{
	return (_Atomic uint64_t *)((uint8_t *)m->hdr + rs(m)->page);
}

static _Atomic uint64_t *prod_pos(struct userbpf_map *m)
{
	return (_Atomic uint64_t *)((uint8_t *)m->hdr + 2 * (size_t)rs(m)->page);
}

static int rb_check(struct userbpf_rt *rt, const struct ub_map_def *def)
{
	size_t pg = page_size();

#ifdef _WIN32
	(void)pg;
	ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': ringbuf maps are not supported on Windows",
	       def->name);
	return -EOPNOTSUPP;
#else
	if (def->key_size || def->value_size || def->map_flags || def->extra ||
	    def->max_entries == 0 || (def->max_entries & (def->max_entries - 1)) ||
	    def->max_entries % pg) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "map '%.16s': a ringbuf needs key_size 0, value_size 0, no flags and max_entries a power-of-2 multiple of %zu (got %u)",
		       def->name, pg, def->max_entries);
		return -EINVAL;
	}
	return 0;
#endif
}

static size_t rb_data_size(const struct ub_map_def *def, unsigned ncpus)
{
	(void)ncpus;
	return 3 * page_size() - doff() + def->max_entries;
}

static int rb_init(struct userbpf_map *m)
{
	rs(m)->page = (uint32_t)page_size();
	rs(m)->mask = m->def.max_entries - 1;
	return 0;
}

#ifndef _WIN32
/* Maps pages 0-2 and the data area twice at l->base (reserving the
 * range first). */
static int rb_map(struct userbpf_map *m, struct rb_local *l)
{
	size_t size = m->def.max_entries, off = 3 * (size_t)rs(m)->page;
	int prot = PROT_READ | (m->shm.writable ? PROT_WRITE : 0);
	int fd = (int)m->shm.handle;
	uint8_t *b = l->base, *a;

	if (!b) {
		void *p = mmap(NULL, off + 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -errno;
		b = p;
	}
	a = b + off;
	if (mmap(b, off, prot, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ||
	    mmap(a, size, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)off) == MAP_FAILED ||
	    mmap(a + size, size, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)off) == MAP_FAILED) {
		int err = -errno;

		if (!l->base)
			munmap(b, off + 2 * size);
		return err;
	}
	l->base = b;
	l->area = a;
	atomic_store(&l->fd, m->shm.handle);
	return 0;
}
#endif

static int rb_attach(struct userbpf_map *m)
{
#ifdef _WIN32
	(void)m;
	return -EOPNOTSUPP;
#else
	struct rb_local *l;
	int err;

	if (rs(m)->page != page_size() || rs(m)->mask != m->def.max_entries - 1 ||
	    m->hdr->data_off != doff() || m->shm.handle < 0) {
		ub_log(m->rt, USERBPF_LOG_WARN,
		       "map '%s': the ringbuf's header does not match this machine's layout",
		       m->def.name);
		return -EINVAL;
	}
	l = ub_calloc(m->rt, 1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	err = rb_map(m, l);
	if (err) {
		ub_log(m->rt, USERBPF_LOG_WARN, "map '%s': cannot map the ring twice: %s",
		       m->def.name, userbpf_strerror(err));
		ub_free(m->rt, l);
		return err;
	}
	m->local = l;
	return 0;
#endif
}

static void rb_detach(struct userbpf_map *m)
{
	struct rb_local *l = m->local;

	if (!l)
		return;
#ifndef _WIN32
	munmap(l->base, 3 * (size_t)rs(m)->page + 2 * (size_t)m->def.max_entries);
#endif
	ub_free(m->rt, l);
	m->local = NULL;
}

/* The double mapping, remapped if a pin moved the map to a new file. */
static uint8_t *rb_area(struct userbpf_map *m)
{
	struct rb_local *l = m->local;

	if (!l)
		return NULL;
#ifndef _WIN32
	if (atomic_load_explicit(&l->fd, memory_order_relaxed) != m->shm.handle &&
	    rb_map(m, l))
		return NULL;
#endif
	return l->area;
}

static uint32_t rec_len(uint32_t len)
{
	return ((len & ~(UB_RINGBUF_BUSY_BIT | UB_RINGBUF_DISCARD_BIT)) + UB_RINGBUF_HDR_SZ + 7) &
	       ~7u;
}

void *ub_ringbuf_reserve(struct userbpf_map *m, uint64_t size, uint64_t flags)
{
	struct rb_state *s;
	uint64_t len, cons, prod, pend, new_prod;
	uint8_t *area;
	struct rb_hdr *h;

	if (flags || m->def.type != UB_MAP_RINGBUF || size > RB_MAX_RECORD)
		return NULL;
	s = rs(m);
	len = (size + UB_RINGBUF_HDR_SZ + 7) & ~(uint64_t)7;
	if (len > s->mask + 1 || m->readonly)
		return NULL;
	area = rb_area(m);
	if (!area)
		return NULL;
	cons = atomic_load_explicit(cons_pos(m), memory_order_acquire);
	ub_map_spin_lock(&s->lock);
	pend = s->pending_pos;
	prod = atomic_load_explicit(prod_pos(m), memory_order_relaxed);
	new_prod = prod + len;
	while (pend < prod) {
		uint32_t hl = atomic_load_explicit(&((struct rb_hdr *)(area + (pend & s->mask)))->len,
						   memory_order_acquire);

		if (hl & UB_RINGBUF_BUSY_BIT)
			break;
		pend += rec_len(hl);
	}
	s->pending_pos = pend;
	if (new_prod - cons > s->mask || new_prod - pend > s->mask) {
		ub_map_spin_unlock(&s->lock);
		return NULL;
	}
	h = (struct rb_hdr *)(area + (prod & s->mask));
	atomic_store_explicit(&h->len, (uint32_t)size | UB_RINGBUF_BUSY_BIT, memory_order_relaxed);
	h->pg_off = (uint32_t)((3 * (uint64_t)s->page + (prod & s->mask)) / s->page);
	/* seq_cst, as the commit: see wake.h */
	atomic_store_explicit(prod_pos(m), new_prod, memory_order_seq_cst);
	ub_map_spin_unlock(&s->lock);
	return (uint8_t *)h + UB_RINGBUF_HDR_SZ;
}

/* The consumer page's wake-up word, from a record header in this
 * process's second mapping: its pg_off counts pages from base (Linux's
 * bpf_ringbuf_restore_from_rec). */
static struct ub_wake *rec_wake(struct rb_hdr *h)
{
	size_t pg = page_size();
	uint8_t *b = (uint8_t *)((uintptr_t)h & ~(uintptr_t)(pg - 1)) - (size_t)h->pg_off * pg;

	return (struct ub_wake *)(b + pg + RB_WAKE_OFF);
}

/* Publishes (or drops) a record, then wakes a consumer that sleeps,
 * unless BPF_RB_NO_WAKEUP; BPF_RB_FORCE_WAKEUP wakes it in any case. */
static void rb_commit(void *sample, bool discard, uint64_t flags)
{
	struct rb_hdr *h = (struct rb_hdr *)((uint8_t *)sample - UB_RINGBUF_HDR_SZ);
	uint32_t len = atomic_load_explicit(&h->len, memory_order_relaxed) ^ UB_RINGBUF_BUSY_BIT;
	struct ub_wake *w = rec_wake(h);

	if (discard)
		len |= UB_RINGBUF_DISCARD_BIT;
	atomic_exchange_explicit(&h->len, len, memory_order_seq_cst);
	if (!(flags & UB_RB_NO_WAKEUP))
		ub_wake_producer(w, flags & UB_RB_FORCE_WAKEUP);
}

void ub_ringbuf_submit(void *sample, uint64_t flags)
{
	rb_commit(sample, false, flags);
}

void ub_ringbuf_discard(void *sample, uint64_t flags)
{
	rb_commit(sample, true, flags);
}

long ub_ringbuf_output(struct userbpf_map *m, const void *data, uint64_t size, uint64_t flags)
{
	void *rec;

	if (flags & ~(uint64_t)(UB_RB_NO_WAKEUP | UB_RB_FORCE_WAKEUP))
		return -EINVAL;
	rec = ub_ringbuf_reserve(m, size, 0);
	if (!rec)
		return -EAGAIN;
	memcpy(rec, data, size);
	rb_commit(rec, false, flags);
	return 0;
}

uint64_t ub_ringbuf_query(struct userbpf_map *m, uint64_t flags)
{
	if (m->def.type != UB_MAP_RINGBUF)
		return 0;
	switch (flags) {
	case UB_RB_AVAIL_DATA: {
		uint64_t c = atomic_load_explicit(cons_pos(m), memory_order_acquire);

		return atomic_load_explicit(prod_pos(m), memory_order_acquire) - c;
	}
	case UB_RB_RING_SIZE:
		return rs(m)->mask + 1;
	case UB_RB_CONS_POS:
		return atomic_load_explicit(cons_pos(m), memory_order_acquire);
	case UB_RB_PROD_POS:
		return atomic_load_explicit(prod_pos(m), memory_order_acquire);
	default:
		return 0;
	}
}

int ub_ringbuf_consume(struct userbpf_map *m, ub_ringbuf_sample_fn fn, void *ctx)
{
	uint64_t cons, prod, mask;
	uint8_t *area;
	bool got_new;
	int cnt = 0;

	if (m->def.type != UB_MAP_RINGBUF)
		return -EINVAL;
	if (m->readonly)
		return -EPERM;
	area = rb_area(m);
	if (!area)
		return -ENOMEM;
	mask = rs(m)->mask;
	cons = atomic_load_explicit(cons_pos(m), memory_order_acquire);
	do {
		got_new = false;
		prod = atomic_load_explicit(prod_pos(m), memory_order_acquire);
		while (cons < prod) {
			struct rb_hdr *h = (struct rb_hdr *)(area + (cons & mask));
			uint32_t len = atomic_load_explicit(&h->len, memory_order_acquire);
			uint32_t n = len & ~(UB_RINGBUF_BUSY_BIT | UB_RINGBUF_DISCARD_BIT);

			if (len & UB_RINGBUF_BUSY_BIT)
				return cnt;
			if (rec_len(len) > prod - cons)
				return -EINVAL;		/* a damaged ring */
			got_new = true;
			cons += rec_len(len);
			if (!(len & UB_RINGBUF_DISCARD_BIT)) {
				int err = fn(ctx, (uint8_t *)h + UB_RINGBUF_HDR_SZ, n);

				if (err < 0) {
					atomic_store_explicit(cons_pos(m), cons,
							      memory_order_release);
					return err;
				}
				cnt++;
			}
			atomic_store_explicit(cons_pos(m), cons, memory_order_release);
		}
	} while (got_new);
	return cnt;
}

struct ub_wake *ub_ringbuf_wake(struct userbpf_map *m)
{
	return (struct ub_wake *)((uint8_t *)m->hdr + rs(m)->page + RB_WAKE_OFF);
}

bool ub_ringbuf_ready(struct userbpf_map *m)
{
	uint8_t *area = rb_area(m);
	uint64_t cons, prod;
	uint32_t len;

	if (!area)
		return false;
	cons = atomic_load_explicit(cons_pos(m), memory_order_relaxed);
	prod = atomic_load_explicit(prod_pos(m), memory_order_seq_cst);
	if (cons >= prod)
		return false;
	len = atomic_load_explicit(&((struct rb_hdr *)(area + (cons & rs(m)->mask)))->len,
				   memory_order_seq_cst);
	return !(len & UB_RINGBUF_BUSY_BIT);
}

/* bpf(2) answers ENOTSUPP for every element operation on a ringbuf; a key
 * for key_size 0 is EINVAL before that. */
static int rb_lookup_user(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	(void)m;
	(void)value;
	(void)flags;
	return key ? -EINVAL : -UB_ENOTSUPP;
}

static int rb_update_user(struct userbpf_map *m, const void *key, const void *value,
			  uint64_t flags)
{
	(void)m;
	(void)value;
	(void)flags;
	return key ? -EINVAL : -UB_ENOTSUPP;
}

static long rb_delete(struct userbpf_map *m, const void *key)
{
	(void)m;
	return key ? -EINVAL : -UB_ENOTSUPP;
}

static int rb_get_next_key(struct userbpf_map *m, const void *key, void *next_key)
{
	(void)m;
	(void)next_key;
	return key ? -EINVAL : -UB_ENOTSUPP;
}

static int rb_lookup_and_delete(struct userbpf_map *m, const void *key, void *value)
{
	(void)m;
	(void)value;
	return key ? -EINVAL : -UB_ENOTSUPP;
}

const struct ub_map_ops ub_map_ringbuf_ops = {
	.check = rb_check,
	.data_size = rb_data_size,
	.init = rb_init,
	.attach = rb_attach,
	.detach = rb_detach,
	.delete = rb_delete,
	.lookup_user = rb_lookup_user,
	.update_user = rb_update_user,
	.get_next_key = rb_get_next_key,
	.lookup_and_delete = rb_lookup_and_delete,
};
