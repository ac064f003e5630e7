/* SPDX-License-Identifier: MIT */
/*
 * map_hash.c - HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH (and the
 * table under HASH_OF_MAPS, map_of_maps.c).
 *
 * Layout, all in the map's shared memory and addressed by offsets and
 * element indices only (another process maps it elsewhere):
 *
 *   hdr->type_state   struct hstate: seed, sizes, offsets, live count,
 *                     the LRU clock hand
 *   epoch block       reader slots (epoch.h)
 *   shards[nshards]   one per CPU: a free stack and three "limbo" stacks
 *                     of retired elements, by retire epoch mod 3
 *   buckets[nb]       {lock, head}: head is an element index + 1 (0: end);
 *                     nb = max_entries rounded up to a power of two
 *   elements[n]       {next, fnext, hash, live, ref} key value, with
 *                     n = max_entries + slack, all preallocated
 *
 * Readers (lookup, get_next_key, the user-side copy) take no lock: they
 * walk a bucket's chain with acquire loads inside an epoch critical
 * section.  Writers lock the bucket (a spin lock holding the writer's
 * pid, which another writer takes over when that process died), write a
 * whole new element and publish it with one release store: at the head
 * for a new key, in place of the old element (same successor) for a
 * replacement.  The element unlinked by a replacement or delete keeps its
 * `next`, so readers standing on it go on walking, and is retired to the
 * limbo list of its epoch; it is reused only two epochs later (epoch.h),
 * when no reader can hold it.  Free and limbo stacks link elements through
 * `fnext`, never `next`.  So a lookup only ever sees a value written
 * whole, and a pointer a program got stays valid and unchanged for the
 * rest of its run (which the executor brackets with ub_map_epoch_enter /
 * exit).  Exceptions, as on Linux: BPF_F_LOCK updates and a program's own
 * stores through the pointer write in place.
 *
 * Counting: `count` is the number of live elements.  A new key in a full
 * HASH gets -E2BIG; a full LRU map first evicts an element chosen by a
 * clock sweep (lookups set `ref`; the hand clears it and takes the first
 * unreferenced element), approximately the least recently used, as Linux.
 *
 * When no element is free (readers hold retired ones back), a writer
 * waits for the epoch to move: at most about a second from user space,
 * 0.1 s from a program, clearing the reader slots of dead processes.  A
 * program waits only for other threads' sections, not its own: so a run
 * that retires more elements than the pool has spare (64 + 8 per CPU +
 * max_entries / 8) goes on, but an element it replaced earlier in the
 * same run may then be reused under a pointer it still holds - Linux's
 * preallocated maps reuse elements at once, so programs that work there
 * work here.  If another reader is stuck in its section past the wait, a
 * program's replacement is written in place and a new key gets -ENOMEM;
 * user space gets -ENOMEM.
 *
 * Indices read from the shared memory are checked against the pool's
 * size, so a damaged pin cannot send a walk outside the mapping.
 *
 * kill -9 of a writer: every publish is one store, so the table stays
 * well formed; a bucket lock it held is taken over, an element it was
 * filling is lost to the pool, and the live count may be off by one.
 *
 * Timers (HASH, LRU_HASH): an element unlinked by a delete, a replacement
 * or an eviction hands its value to ub_timers_forget_value before it is
 * retired, so its bpf_timer is cancelled and freed with it, as on Linux.
 *
 * Per-CPU values: an element holds ncpus slots of value_size rounded up
 * to 8; a program sees its CPU's slot; user space all of them, padding
 * included (Linux stores and returns the padding user space wrote).
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include "maps/epoch.h"
#include "maps/map_hash.h"

#define UB_ENOTSUPP 524		/* the kernel's internal ENOTSUPP */

struct hstate {
	uint64_t seed;
	uint64_t off_epoch, off_shards, off_buckets, off_elems;	/* from m->data */
	uint32_t nbuckets, nelems, esize, val_off;
	uint32_t nshards, nslots;
	_Atomic uint32_t count;
	_Atomic uint32_t hand;
};
_Static_assert(sizeof(struct hstate) <= sizeof(((struct ub_map_hdr *)0)->type_state),
	       "hash state must fit the header");

struct shard {
	_Atomic uint64_t free;		/* (tag << 32) | index + 1 */
	_Atomic uint32_t limbo[3];	/* index + 1 */
	uint32_t pad[11];
};

struct bucket {
	_Atomic uint32_t lock;		/* 0, or the holder's pid */
	_Atomic uint32_t head;
};

struct helem {
	_Atomic uint32_t next;		/* bucket chain */
	_Atomic uint32_t fnext;		/* free / limbo stacks */
	_Atomic uint32_t hash;
	_Atomic uint8_t live, ref;
	uint16_t pad;
	/* key, then the value at val_off */
};

/* Process-local view (m->local). */
struct hlocal {
	struct hstate *st;
	struct ub_epoch *ep;
	struct shard *shards;
	struct bucket *buckets;
	uint8_t *elems;
	uint64_t seed;
	uint32_t self, ks, vs, esize, val_off, mask, nelems, nshards, ncpus, stride;
	bool percpu, lru, has_lock;
	void *ext;
};

struct layout {
	uint64_t off_epoch, off_shards, off_buckets, off_elems, total;
	uint32_t nbuckets, nelems, esize, val_off, nshards, nslots;
};

static bool is_lru(uint32_t t) { return t == UB_MAP_LRU_HASH || t == UB_MAP_LRU_PERCPU_HASH; }

static uint64_t up8(uint64_t v) { return (v + 7) & ~(uint64_t)7; }
static uint64_t up64(uint64_t v) { return (v + 63) & ~(uint64_t)63; }

static bool make_layout(const struct ub_map_def *d, unsigned ncpus, struct layout *l)
{
	uint64_t nb = 1, slack, vbytes, nelems;

	while (nb < d->max_entries)
		nb <<= 1;
	if (nb > (1u << 31))
		return false;
	slack = 64 + 8ull * ncpus + d->max_entries / 8;
	nelems = (uint64_t)d->max_entries + slack;
	if (nelems > 0xfffffff0u)
		return false;
	vbytes = up8(d->value_size);
	if (ub_map_is_percpu(d->type))
		vbytes *= ncpus;
	l->val_off = (uint32_t)(sizeof(struct helem) + up8(d->key_size));
	if (l->val_off + vbytes > 0xffffffffu)
		return false;
	l->esize = (uint32_t)(l->val_off + vbytes);
	l->nbuckets = (uint32_t)nb;
	l->nelems = (uint32_t)nelems;
	l->nshards = ncpus;
	l->nslots = 64 + 2 * ncpus;
	if (l->nslots > 1024)
		l->nslots = 1024;
	l->off_epoch = 0;
	l->off_shards = up64(ub_epoch_size(l->nslots));
	l->off_buckets = up64(l->off_shards + (uint64_t)ncpus * sizeof(struct shard));
	l->off_elems = up64(l->off_buckets + nb * sizeof(struct bucket));
	l->total = l->off_elems + nelems * l->esize;
	return true;
}

int ub_hash_check(struct userbpf_rt *rt, const struct ub_map_def *def)
{
	const uint32_t allowed = UB_F_NO_PREALLOC | UB_F_NO_COMMON_LRU | UB_F_RDONLY |
				 UB_F_WRONLY | UB_F_ZERO_SEED | UB_F_RDONLY_PROG |
				 UB_F_WRONLY_PROG;
	const char *name = def->name;
	bool lru = is_lru(def->type), percpu = ub_map_is_percpu(def->type);

	if (def->max_entries == 0 || def->key_size == 0 || def->value_size == 0) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "map '%.16s': a hash needs key_size, value_size and max_entries > 0 (got %u, %u, %u)",
		       name, def->key_size, def->value_size, def->max_entries);
		return -EINVAL;
	}
	if (def->map_flags & ~allowed) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': map_flags 0x%x do not apply to a hash",
		       name, def->map_flags & ~allowed);
		return -EINVAL;
	}
	if (lru && (def->map_flags & UB_F_NO_PREALLOC)) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': an LRU map is always preallocated",
		       name);
		return -UB_ENOTSUPP;
	}
	if (!lru && (def->map_flags & UB_F_NO_COMMON_LRU)) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': BPF_F_NO_COMMON_LRU needs an LRU map",
		       name);
		return -EINVAL;
	}
	/* Linux 6.x (measured): key and value with a 48-byte element
	 * header stay under one kmalloc (4 MiB); per-CPU values 32 KiB; at
	 * most 2^27 buckets. */
	if ((uint64_t)def->key_size + def->value_size + 48 >= (1u << 22) ||
	    (percpu && def->value_size > 32768)) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': key_size %u and value_size %u are too large",
		       name, def->key_size, def->value_size);
		return -E2BIG;
	}
	if (def->max_entries > (1u << 27)) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': %u entries are more than 2^27", name,
		       def->max_entries);
		return -E2BIG;
	}
	if (def->spin_lock_off >= 0 && def->type != UB_MAP_HASH) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': a %s cannot hold a bpf_spin_lock",
		       name, ub_map_type_name(def->type));
		return -EOPNOTSUPP;
	}
	return 0;
}

size_t ub_hash_data_size(const struct ub_map_def *def, unsigned ncpus)
{
	struct layout l;

	if (!make_layout(def, ncpus, &l) || l.total > ((uint64_t)1 << 40))
		return (size_t)-1;
	return (size_t)l.total;
}

static struct hstate *hstate(struct userbpf_map *m)
{
	return (struct hstate *)(void *)m->hdr->type_state;
}

static struct helem *elem(const struct hlocal *L, uint32_t idx1)
{
	return (struct helem *)(void *)(L->elems + (size_t)(idx1 - 1) * L->esize);
}

static uint8_t *ekey(struct helem *e)
{
	return (uint8_t *)(e + 1);
}

static uint8_t *evalue(const struct hlocal *L, struct helem *e)
{
	return (uint8_t *)e + L->val_off;
}

int ub_hash_init(struct userbpf_map *m)
{
	struct hstate *st = hstate(m);
	struct layout l;
	struct shard *sh;

	if (!make_layout(&m->def, m->ncpus, &l))
		return -E2BIG;
	memset(st, 0, sizeof(*st));
	if (m->def.map_flags & UB_F_ZERO_SEED)
		st->seed = 0;
	else
		st->seed = ub_os_random_seed() * 0x9e3779b97f4a7c15ull;
	st->off_epoch = l.off_epoch;
	st->off_shards = l.off_shards;
	st->off_buckets = l.off_buckets;
	st->off_elems = l.off_elems;
	st->nbuckets = l.nbuckets;
	st->nelems = l.nelems;
	st->esize = l.esize;
	st->val_off = l.val_off;
	st->nshards = l.nshards;
	st->nslots = l.nslots;
	ub_epoch_init((struct ub_epoch *)(void *)(m->data + l.off_epoch), l.nslots);
	/* Deal the elements to the shards' free stacks, in order. */
	sh = (struct shard *)(void *)(m->data + l.off_shards);
	for (uint32_t s = 0; s < l.nshards; s++) {
		uint32_t head = 0;

		for (uint64_t i = (uint64_t)l.nelems; i-- > 0;) {
			struct helem *e;

			if (i % l.nshards != s)
				continue;
			e = (struct helem *)(void *)(m->data + l.off_elems + i * l.esize);
			atomic_store_explicit(&e->fnext, head, memory_order_relaxed);
			head = (uint32_t)i + 1;
		}
		atomic_store(&sh[s].free, head);
	}
	return 0;
}

int ub_hash_attach(struct userbpf_map *m)
{
	struct hstate *st = hstate(m);
	struct layout l;
	struct hlocal *L;

	/* An opened pin: its state must be what this build lays out. */
	if (!make_layout(&m->def, m->ncpus, &l) || st->nbuckets != l.nbuckets ||
	    st->nelems != l.nelems || st->esize != l.esize || st->val_off != l.val_off ||
	    st->off_elems != l.off_elems || st->off_buckets != l.off_buckets ||
	    st->off_shards != l.off_shards || st->nshards != l.nshards ||
	    st->nslots != l.nslots) {
		ub_log(m->rt, USERBPF_LOG_WARN, "map '%s': the hash table's layout is damaged",
		       m->def.name);
		return -EINVAL;
	}
	L = ub_calloc(m->rt, 1, sizeof(*L));
	if (!L)
		return -ENOMEM;
	L->st = st;
	L->seed = st->seed;
	L->ep = (struct ub_epoch *)(void *)(m->data + st->off_epoch);
	L->shards = (struct shard *)(void *)(m->data + st->off_shards);
	L->buckets = (struct bucket *)(void *)(m->data + st->off_buckets);
	L->elems = m->data + st->off_elems;
	L->self = ub_epoch_self();
	L->ks = m->def.key_size;
	L->vs = m->def.value_size;
	L->esize = st->esize;
	L->val_off = st->val_off;
	L->mask = st->nbuckets - 1;
	L->nelems = st->nelems;
	L->nshards = st->nshards;
	L->ncpus = m->ncpus;
	L->stride = (uint32_t)ub_map_percpu_stride(m->def.value_size);
	L->percpu = ub_map_is_percpu(m->def.type);
	L->lru = is_lru(m->def.type);
	L->has_lock = m->def.spin_lock_off >= 0;
	m->local = L;
	m->epoch = L->ep;
	m->epoch_self = L->self;
	return 0;
}

void ub_hash_detach(struct userbpf_map *m)
{
	ub_free(m->rt, m->local);
	m->local = NULL;
	m->epoch = NULL;
}

void **ub_hash_ext(struct userbpf_map *m)
{
	return &((struct hlocal *)m->local)->ext;
}

/* ---- hashing ----------------------------------------------------------- */

/* The last n (< 8) bytes as one word, with overlapping loads. */
static uint64_t load_tail(const uint8_t *p, uint32_t n)
{
	uint32_t a, b;

	if (n >= 4) {
		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		return a | (uint64_t)b << 32;
	}
	if (!n)
		return 0;
	return p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16;
}

static uint32_t hash_key(const struct hlocal *L, const void *key)
{
	const uint8_t *p = key;
	uint32_t n = L->ks;
	uint64_t h = L->seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ull), v;

	while (n >= 8) {
		memcpy(&v, p, 8);
		h = (h ^ v) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	h = (h ^ load_tail(p, n)) * 0xff51afd7ed558ccdull;
	h ^= h >> 32;
	h *= 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(h ^ (h >> 29));
}

static bool key_eq(const uint8_t *a, const void *b, uint32_t n)
{
	uint64_t x, y;
	uint32_t x4, y4;

	if (n == 4) {
		memcpy(&x4, a, 4);
		memcpy(&y4, b, 4);
		return x4 == y4;
	}
	if (n == 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return x == y;
	}
	return !memcmp(a, b, n);
}

/* ---- bucket locks ------------------------------------------------------ */

static void bucket_lock(const struct hlocal *L, struct bucket *b)
{
	uint32_t spins = 0;

	for (;;) {
		uint32_t zero = 0, owner;

		if (atomic_compare_exchange_weak_explicit(&b->lock, &zero, L->self,
							  memory_order_acquire,
							  memory_order_relaxed))
			return;
		owner = atomic_load_explicit(&b->lock, memory_order_relaxed);
		if (!owner)
			continue;
		if (++spins < 128)
			continue;
		ub_epoch_yield();
		/* A holder that died (kill -9) never lets go: take over. */
		if (spins % 4096 == 0 && owner != L->self && ub_epoch_pid_dead(owner))
			atomic_compare_exchange_strong(&b->lock, &owner, 0);
	}
}

static void bucket_unlock(struct bucket *b)
{
	atomic_store_explicit(&b->lock, 0, memory_order_release);
}

/* ---- element pool ------------------------------------------------------ */

static uint32_t stack_pop(const struct hlocal *L, struct shard *s)
{
	uint64_t h = atomic_load_explicit(&s->free, memory_order_acquire);

	for (;;) {
		uint32_t idx = (uint32_t)h, nx;

		if (!idx || idx > L->nelems)
			return 0;
		nx = atomic_load_explicit(&elem(L, idx)->fnext, memory_order_relaxed);
		if (atomic_compare_exchange_weak_explicit(&s->free, &h,
							  ((h >> 32) + 1) << 32 | nx,
							  memory_order_acquire,
							  memory_order_acquire))
			return idx;
	}
}

static void stack_push_chain(const struct hlocal *L, struct shard *s, uint32_t first,
			     uint32_t last)
{
	uint64_t h = atomic_load_explicit(&s->free, memory_order_relaxed);

	do {
		atomic_store_explicit(&elem(L, last)->fnext, (uint32_t)h, memory_order_relaxed);
	} while (!atomic_compare_exchange_weak_explicit(&s->free, &h,
							 ((h >> 32) + 1) << 32 | first,
							 memory_order_release,
							 memory_order_relaxed));
}

/* Moves the retired elements that no reader can hold any more (retired
 * at epoch g-2 or before) to the shard's free stack. */
static bool shard_reclaim(const struct hlocal *L, struct shard *s, uint64_t g)
{
	uint32_t first = atomic_exchange(&s->limbo[(g + 1) % 3], 0), last, nx;
	uint64_t h;

	if (!first)
		return false;
	/* Usually the free stack is empty: the chain becomes it as it is. */
	h = atomic_load_explicit(&s->free, memory_order_relaxed);
	if ((uint32_t)h == 0 &&
	    atomic_compare_exchange_strong_explicit(&s->free, &h, ((h >> 32) + 1) << 32 | first,
						    memory_order_release, memory_order_relaxed))
		return true;
	for (last = first;
	     (nx = atomic_load_explicit(&elem(L, last)->fnext, memory_order_relaxed)) != 0 &&
	     nx <= L->nelems;)
		last = nx;
	stack_push_chain(L, s, first, last);
	return true;
}

static uint32_t my_shard(const struct hlocal *L)
{
	return ub_os_cpu() % L->nshards;
}

static uint32_t pool_get(const struct hlocal *L, uint32_t c)
{
	uint32_t idx;
	uint64_t g;

	idx = stack_pop(L, &L->shards[c]);
	if (idx)
		return idx;
	g = ub_epoch_now(L->ep);
	for (int round = 0; round < 3; round++) {
		if (shard_reclaim(L, &L->shards[c], g) && (idx = stack_pop(L, &L->shards[c])))
			return idx;
		g = ub_epoch_try_advance(L->ep, false, false, L->self);
	}
	for (uint32_t i = 1; i < L->nshards; i++) {
		struct shard *s = &L->shards[(c + i) % L->nshards];

		idx = stack_pop(L, s);
		if (!idx && shard_reclaim(L, s, g))
			idx = stack_pop(L, s);
		if (idx)
			return idx;
	}
	return 0;
}

/* Waits (bounded) until an element can be had.  A program's own
 * critical sections do not hold it back (see the top of the file). */
static bool pool_wait(const struct hlocal *L, uint64_t *deadline, bool user)
{
	uint64_t now = ub_os_monotonic_ns();

	if (!*deadline)
		*deadline = now + (user ? 1000000000ull : 100000000ull);
	while (now < *deadline) {
		uint64_t g = ub_epoch_try_advance(L->ep, true, !user, L->self);

		for (uint32_t i = 0; i < L->nshards; i++) {
			shard_reclaim(L, &L->shards[i], g);
			if (atomic_load_explicit(&L->shards[i].free, memory_order_relaxed) &
			    0xffffffffu)
				return true;
		}
		ub_epoch_yield();
		now = ub_os_monotonic_ns();
	}
	return false;
}

/* An unlinked element goes to the limbo list of the epoch now. */
static void retire(const struct hlocal *L, uint32_t idx, uint32_t shard)
{
	uint64_t g = ub_epoch_now(L->ep);
	_Atomic uint32_t *head = &L->shards[shard].limbo[g % 3];
	uint32_t h = atomic_load_explicit(head, memory_order_relaxed);
	struct helem *e = elem(L, idx);

	do {
		atomic_store_explicit(&e->fnext, h, memory_order_relaxed);
	} while (!atomic_compare_exchange_weak_explicit(head, &h, idx, memory_order_release,
							 memory_order_relaxed));
}

/* An element just unlinked (no bucket lock held), before it is retired:
 * the timer in its value, if any, goes (timer_helpers.c).  Before the
 * retire, so that the timer thread, which enters the map's epoch before it
 * lets go of the timer list, never holds an element past its reuse. */
static void unlinked(struct userbpf_map *m, const struct hlocal *L, struct helem *e)
{
	ub_timers_forget_value(m->rt, m, evalue(L, e));
}

/* ---- lookups ----------------------------------------------------------- */

static struct helem *find(const struct hlocal *L, struct bucket *b, const void *key,
			  uint32_t h)
{
	uint32_t i = atomic_load_explicit(&b->head, memory_order_acquire);

	while (i && i <= L->nelems) {
		struct helem *e = elem(L, i);

		if (atomic_load_explicit(&e->hash, memory_order_relaxed) == h &&
		    key_eq(ekey(e), key, L->ks))
			return e;
		i = atomic_load_explicit(&e->next, memory_order_acquire);
	}
	return NULL;
}

static void touch(const struct hlocal *L, struct helem *e)
{
	if (L->lru && !atomic_load_explicit(&e->ref, memory_order_relaxed))
		atomic_store_explicit(&e->ref, 1, memory_order_relaxed);
}

void *ub_hash_lookup(struct userbpf_map *m, const void *key)
{
	const struct hlocal *L = m->local;
	uint32_t h = hash_key(L, key);
	struct helem *e = find(L, &L->buckets[h & L->mask], key, h);

	if (!e)
		return NULL;
	touch(L, e);
	if (L->percpu)
		return evalue(L, e) + (size_t)(ub_os_cpu() % L->ncpus) * L->stride;
	return evalue(L, e);
}

static void copy_out(const struct userbpf_map *m, const struct hlocal *L, struct helem *e,
		     void *value, uint64_t flags)
{
	uint8_t *v = evalue(L, e);

	if (L->percpu) {
		/* Linux copies whole 8-byte-rounded slots, padding included. */
		memcpy(value, v, (size_t)L->ncpus * L->stride);
	} else if (flags & UB_F_LOCK) {
		uint32_t *l = (uint32_t *)(void *)(v + m->def.spin_lock_off);

		ub_map_spin_lock(l);
		ub_map_copy_value(m, value, v);
		ub_map_spin_unlock(l);
		memset((uint8_t *)value + m->def.spin_lock_off, 0, 4);
	} else {
		memcpy(value, v, L->vs);
		if (L->has_lock)
			memset((uint8_t *)value + m->def.spin_lock_off, 0, 4);
	}
}

int ub_hash_lookup_user(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	const struct hlocal *L = m->local;
	uint32_t h = hash_key(L, key), tok;
	struct helem *e;
	int err = -ENOENT;

	if (flags & ~(uint64_t)UB_F_LOCK)
		return -EINVAL;
	if ((flags & UB_F_LOCK) && !L->has_lock)
		return -EINVAL;
	tok = ub_epoch_enter(L->ep, L->self);
	e = find(L, &L->buckets[h & L->mask], key, h);
	if (e) {
		touch(L, e);
		copy_out(m, L, e, value, flags);
		err = 0;
	}
	ub_epoch_exit(L->ep, tok);
	return err;
}

int ub_hash_get_next_key(struct userbpf_map *m, const void *key, void *next_key)
{
	const struct hlocal *L = m->local;
	uint32_t b = 0, tok, i;
	int err = -ENOENT;

	tok = ub_epoch_enter(L->ep, L->self);
	if (key) {
		uint32_t h = hash_key(L, key);
		struct helem *e = find(L, &L->buckets[h & L->mask], key, h);

		/* Linux: the element after key in its bucket, else the first
		 * of the buckets after; a missing key restarts at the first. */
		if (e) {
			i = atomic_load_explicit(&e->next, memory_order_acquire);
			if (i && i <= L->nelems) {
				memcpy(next_key, ekey(elem(L, i)), L->ks);
				err = 0;
				goto out;
			}
			b = (h & L->mask) + 1;
		}
	}
	for (; b <= L->mask; b++) {
		i = atomic_load_explicit(&L->buckets[b].head, memory_order_acquire);
		if (i && i <= L->nelems) {
			memcpy(next_key, ekey(elem(L, i)), L->ks);
			err = 0;
			break;
		}
	}
out:
	ub_epoch_exit(L->ep, tok);
	return err;
}

/* ---- updates ----------------------------------------------------------- */

/* Finds key in a locked bucket; *linkp gets the word that points to it. */
static struct helem *find_locked(const struct hlocal *L, struct bucket *b, const void *key,
				 uint32_t h, _Atomic uint32_t **linkp, uint32_t *idxp)
{
	_Atomic uint32_t *link = &b->head;
	uint32_t i;

	while ((i = atomic_load_explicit(link, memory_order_relaxed)) != 0 && i <= L->nelems) {
		struct helem *e = elem(L, i);

		if (atomic_load_explicit(&e->hash, memory_order_relaxed) == h &&
		    key_eq(ekey(e), key, L->ks)) {
			*linkp = link;
			*idxp = i;
			return e;
		}
		link = &e->next;
	}
	return NULL;
}

/* Unlinks the element at *link (bucket locked). */
static void unlink_elem(const struct hlocal *L, _Atomic uint32_t *link, struct helem *e)
{
	atomic_store_explicit(link, atomic_load_explicit(&e->next, memory_order_relaxed),
			      memory_order_release);
	atomic_store_explicit(&e->live, 0, memory_order_relaxed);
	atomic_fetch_sub(&L->st->count, 1);
}

/* LRU: evicts about the least recently used element.  No lock held. */
static bool lru_evict(struct userbpf_map *m, const struct hlocal *L)
{
	for (uint64_t n = 0; n < 2ull * L->nelems + 2; n++) {
		uint32_t i = atomic_fetch_add_explicit(&L->st->hand, 1, memory_order_relaxed) %
				     L->nelems + 1;
		struct helem *e = elem(L, i);
		struct bucket *b;
		_Atomic uint32_t *link;
		uint32_t j;

		if (!atomic_load_explicit(&e->live, memory_order_relaxed))
			continue;
		if (atomic_load_explicit(&e->ref, memory_order_relaxed)) {
			atomic_store_explicit(&e->ref, 0, memory_order_relaxed);
			continue;
		}
		b = &L->buckets[atomic_load_explicit(&e->hash, memory_order_relaxed) & L->mask];
		bucket_lock(L, b);
		for (link = &b->head;
		     (j = atomic_load_explicit(link, memory_order_relaxed)) != 0 && j <= L->nelems;
		     link = &elem(L, j)->next) {
			if (j == i) {
				unlink_elem(L, link, e);
				bucket_unlock(b);
				unlinked(m, L, e);
				retire(L, i, my_shard(L));
				return true;
			}
		}
		bucket_unlock(b);
	}
	return false;
}

/* Claims room for one more live element: -E2BIG when a HASH is full;
 * 1 when an LRU map must evict first (nothing claimed). */
static int claim(const struct hlocal *L, uint32_t max)
{
	uint32_t c = atomic_load_explicit(&L->st->count, memory_order_relaxed);

	do {
		if (c >= max)
			return L->lru ? 1 : -E2BIG;
	} while (!atomic_compare_exchange_weak(&L->st->count, &c, c + 1));
	return 0;
}

/* Fills a fresh element's value. */
static void fill_value(const struct userbpf_map *m, const struct hlocal *L, struct helem *n,
		       struct helem *old, const void *value, bool user)
{
	uint8_t *v = evalue(L, n);

	if (!L->percpu) {
		memcpy(v, value, L->vs);
		if (L->has_lock)
			memset(v + m->def.spin_lock_off, 0, 4);
		return;
	}
	if (user) {
		memcpy(v, value, (size_t)L->ncpus * L->stride);
		return;
	}
	/* A program writes its CPU's slot; the others keep their values. */
	if (old)
		memcpy(v, evalue(L, old), (size_t)L->ncpus * L->stride);
	else
		memset(v, 0, (size_t)L->ncpus * L->stride);
	memcpy(v + (size_t)(ub_os_cpu() % L->ncpus) * L->stride, value, L->vs);
}

/* The update of every family member.  user: value carries every CPU's
 * slot and the caller may wait for free elements.  old32: for 4-byte
 * values, the value replaced (0: none). */
static long hash_update(struct userbpf_map *m, const void *key, const void *value,
			uint64_t flags, bool user, uint32_t *old32)
{
	const struct hlocal *L = m->local;
	uint64_t cmd = flags & ~(uint64_t)UB_F_LOCK, deadline = 0;
	uint32_t h, oidx, nidx, shard;
	struct bucket *b;
	struct helem *old, *n;
	_Atomic uint32_t *link;
	bool gave_up = false;
	int c;

	if (old32)
		*old32 = 0;
	if (cmd > UB_EXIST)
		return -EINVAL;
	if ((flags & UB_F_LOCK) && (!L->has_lock || L->percpu || L->lru))
		return -EINVAL;
	h = hash_key(L, key);
	b = &L->buckets[h & L->mask];
again:
	bucket_lock(L, b);
	old = find_locked(L, b, key, h, &link, &oidx);
	if (old && cmd == UB_NOEXIST) {
		bucket_unlock(b);
		return -EEXIST;
	}
	if (!old && cmd == UB_EXIST) {
		bucket_unlock(b);
		return -ENOENT;
	}
	if (old && (flags & UB_F_LOCK)) {
		uint32_t *l = (uint32_t *)(void *)(evalue(L, old) + m->def.spin_lock_off);

		ub_map_spin_lock(l);
		ub_map_copy_value(m, evalue(L, old), value);
		ub_map_spin_unlock(l);
		bucket_unlock(b);
		return 0;
	}
	if (!old) {
		c = claim(L, m->def.max_entries);
		if (c < 0) {
			bucket_unlock(b);
			return c;
		}
		if (c > 0) {
			bucket_unlock(b);
			if (!lru_evict(m, L))
				return -ENOMEM;
			goto again;
		}
	}
	shard = my_shard(L);
	nidx = pool_get(L, shard);
	if (!nidx) {
		if (old && gave_up) {
			/* Still nothing after waiting (another reader stuck in
			 * its section): a program's replacement is written in
			 * place, as Linux's preallocated maps do. */
			uint8_t *v = evalue(L, old);

			if (L->percpu)
				memcpy(v + (size_t)(ub_os_cpu() % L->ncpus) * L->stride, value, L->vs);
			else
				ub_map_copy_value(m, v, value);
			bucket_unlock(b);
			return 0;
		}
		if (!old)
			atomic_fetch_sub(&L->st->count, 1);
		bucket_unlock(b);
		if (gave_up)
			return -ENOMEM;
		if (!pool_wait(L, &deadline, user)) {
			if (user)
				return -ENOMEM;
			gave_up = true;
		}
		goto again;
	}
	n = elem(L, nidx);
	atomic_store_explicit(&n->hash, h, memory_order_relaxed);
	memcpy(ekey(n), key, L->ks);
	fill_value(m, L, n, old, value, user);
	atomic_store_explicit(&n->ref, 0, memory_order_relaxed);
	atomic_store_explicit(&n->live, 1, memory_order_relaxed);
	if (old) {
		if (old32)
			memcpy(old32, evalue(L, old), 4);
		atomic_store_explicit(&n->next, atomic_load_explicit(&old->next, memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(&old->live, 0, memory_order_relaxed);
		atomic_store_explicit(link, nidx, memory_order_release);
	} else {
		atomic_store_explicit(&n->next, atomic_load_explicit(&b->head, memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(&b->head, nidx, memory_order_release);
	}
	bucket_unlock(b);
	if (old) {
		unlinked(m, L, old);
		retire(L, oidx, shard);
	}
	return 0;
}

static long hash_update_prog(struct userbpf_map *m, const void *key, const void *value,
			     uint64_t flags)
{
	return hash_update(m, key, value, flags, false, NULL);
}

static int hash_update_user(struct userbpf_map *m, const void *key, const void *value,
			    uint64_t flags)
{
	return (int)hash_update(m, key, value, flags, true, NULL);
}

int ub_hash_update_u32(struct userbpf_map *m, const void *key, uint32_t value,
		       uint64_t flags, uint32_t *old)
{
	return (int)hash_update(m, key, &value, flags, true, old);
}

/* Delete, optionally copying the value out first (lookup_and_delete). */
static long hash_remove(struct userbpf_map *m, const void *key, void *value, uint32_t *old32)
{
	const struct hlocal *L = m->local;
	uint32_t h = hash_key(L, key), idx;
	struct bucket *b = &L->buckets[h & L->mask];
	_Atomic uint32_t *link;
	struct helem *e;

	if (old32)
		*old32 = 0;
	bucket_lock(L, b);
	e = find_locked(L, b, key, h, &link, &idx);
	if (!e) {
		bucket_unlock(b);
		return -ENOENT;
	}
	if (value)
		copy_out(m, L, e, value, 0);
	if (old32)
		memcpy(old32, evalue(L, e), 4);
	unlink_elem(L, link, e);
	bucket_unlock(b);
	unlinked(m, L, e);
	retire(L, idx, my_shard(L));
	return 0;
}

static long hash_delete(struct userbpf_map *m, const void *key)
{
	return hash_remove(m, key, NULL, NULL);
}

int ub_hash_delete_u32(struct userbpf_map *m, const void *key, uint32_t *old)
{
	return (int)hash_remove(m, key, NULL, old);
}

static int hash_lookup_and_delete(struct userbpf_map *m, const void *key, void *value)
{
	return (int)hash_remove(m, key, value, NULL);
}

int ub_hash_elem_at(struct userbpf_map *m, uint64_t addr, size_t size, void **value,
		    const void **key)
{
	const struct hlocal *L = m->local;
	uint64_t base = (uint64_t)(uintptr_t)L->elems, off, in;
	struct helem *e;

	if (L->percpu)
		return -EOPNOTSUPP;
	if (addr < base)
		return -EINVAL;
	off = addr - base;
	if (off / L->esize >= L->nelems)
		return -EINVAL;
	in = off % L->esize;
	if (in < L->val_off || in + size > (uint64_t)L->val_off + L->vs)
		return -EINVAL;
	e = elem(L, (uint32_t)(off / L->esize) + 1);
	*value = evalue(L, e);
	*key = ekey(e);
	return atomic_load(&e->live) ? 0 : -ENOENT;
}

#define HASH_OPS                                          \
	.check = ub_hash_check,                           \
	.data_size = ub_hash_data_size,                   \
	.init = ub_hash_init,                             \
	.attach = ub_hash_attach,                         \
	.detach = ub_hash_detach,                         \
	.lookup = ub_hash_lookup,                         \
	.update = hash_update_prog,                       \
	.delete = hash_delete,                            \
	.lookup_user = ub_hash_lookup_user,               \
	.update_user = hash_update_user,                  \
	.get_next_key = ub_hash_get_next_key,             \
	.lookup_and_delete = hash_lookup_and_delete

const struct ub_map_ops ub_map_hash_ops = { HASH_OPS };
const struct ub_map_ops ub_map_percpu_hash_ops = { HASH_OPS };
const struct ub_map_ops ub_map_lru_hash_ops = { HASH_OPS };
const struct ub_map_ops ub_map_lru_percpu_hash_ops = { HASH_OPS };

/* ---- read-side critical sections for the executor ---------------------- */

uint32_t ub_map_epoch_enter(struct userbpf_map *m)
{
	return m->epoch ? ub_epoch_enter(m->epoch, m->epoch_self) : 0;
}

void ub_map_epoch_exit(struct userbpf_map *m, uint32_t token)
{
	if (m->epoch)
		ub_epoch_exit(m->epoch, token);
}
