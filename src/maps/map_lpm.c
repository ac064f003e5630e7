/* SPDX-License-Identifier: MIT */
/*
 * map_lpm.c - LPM_TRIE: longest-prefix match, with Linux's semantics
 * (kernel/bpf/lpm_trie.c): keys are {u32 prefixlen; u8 data[key_size-4]},
 * data in network order, compared bit by bit from the most significant bit
 * of data[0].  The trie is Linux's binary path-compressed trie: a node
 * holds a prefix and a value, "intermediate" nodes (flag IM) hold only a
 * prefix and always have two children, so a trie of n entries has at most
 * n - 1 of them.  get_next_key walks in post order (more specific prefixes
 * first), as Linux does.  BPF_F_NO_PREALLOC is required, as on Linux.
 *
 * Shared memory (offsets only; node index 0 is NULL):
 *
 *     struct lpm_shared      writer lock, root, counts, free lists,
 *                            grace-period index
 *     reader slots           one 64-byte line per CPU: lock[2], unlock[2]
 *     node pool              2 * max_entries + 2 nodes of node_size bytes
 *
 * Readers (lookup) never take a lock; writers (update, delete,
 * get_next_key) hold the spin lock in struct lpm_shared.  A writer never
 * changes a node a reader may see except its child links and its IM flag
 * (single atomic stores); a new or replacing node is filled in before one
 * release store publishes it, so a reader sees either the old or the new
 * trie, as under RCU.
 *
 * Reclamation (our own, independent of src/maps/epoch.c): SRCU-style
 * counters.  A reader adds 1 to lock[idx] of its CPU's slot (idx = the
 * current grace index), walks, then adds 1 to unlock[idx].  A writer puts
 * a node it unlinks on a pending list; pending nodes are recycled only
 * when the pool has no never-used or ready node left, and only after a
 * grace period: wait until the readers of the other index are gone, flip
 * the index, wait until the readers of the old index are gone (sum of
 * unlock == sum of lock, read in that order), then pending becomes ready.
 * Counters are 64-bit and only grow, so a reader that migrates between
 * CPUs is still counted.  The pool is sized so that a grace period is
 * needed only after 2 * max_entries allocations, and the free lists are
 * recycled in FIFO-like batches, so a node is reused long after it was
 * freed.  A reader killed inside a lookup leaves its count unbalanced: a
 * writer that then needs a grace period waits 2 s, logs, and answers
 * -ENOMEM rather than recycle memory a reader may hold.  The value pointer
 * a program gets from lookup stays valid until the node is recycled
 * (at least one grace period after it is unlinked); an executor that
 * wants Linux's exact guarantee holds a read section across the run
 * (ub_lpm_read_lock/unlock).
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include "maps/map.h"

#define LPM_IM 1u			/* intermediate node: no value */
#define LPM_DATA_MAX 256
#define LPM_GRACE_TIMEOUT_NS 2000000000ull

struct lpm_shared {
	uint32_t lock;
	_Atomic uint32_t root;
	uint32_t n_entries;
	uint32_t data_size;		/* key_size - 4 */
	uint32_t node_size;
	uint32_t pool_size;		/* nodes 1..pool_size */
	uint32_t next_fresh;		/* the next never-used node */
	uint32_t ready;			/* free list: safe to reuse */
	uint32_t pending;		/* free list: waits for a grace period */
	uint32_t nslots;
	_Atomic uint32_t gp_idx;	/* readers count under gp_idx & 1 */
	uint32_t pad;
	uint64_t gp_count;		/* grace periods done */
	uint64_t reserved[9];
};
_Static_assert(sizeof(struct lpm_shared) == 128, "lpm header is two lines");

struct lpm_slot {
	_Atomic uint64_t lock[2];
	_Atomic uint64_t unlock[2];
	uint64_t pad[4];
};

struct lpm_node {
	_Atomic uint32_t child[2];	/* child[0] links free lists too */
	uint32_t prefixlen;
	_Atomic uint32_t flags;
	uint8_t data[];			/* data_size bytes, then the value at
					 * value_off() */
};

static size_t align8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}

static size_t node_size_of(const struct ub_map_def *def)
{
	return align8(sizeof(struct lpm_node) + def->key_size - 4) + align8(def->value_size);
}

static size_t value_off(uint32_t data_size)
{
	return align8(sizeof(struct lpm_node) + data_size);
}

static uint64_t pool_nodes(const struct ub_map_def *def)
{
	return 2ull * def->max_entries + 2;
}

static size_t slots_off(void)
{
	return sizeof(struct lpm_shared);
}

static size_t pool_off(unsigned nslots)
{
	return slots_off() + (size_t)nslots * sizeof(struct lpm_slot);
}

static struct lpm_shared *sh(const struct userbpf_map *m)
{
	return (struct lpm_shared *)m->data;
}

static struct lpm_slot *slot_of(const struct userbpf_map *m, unsigned i)
{
	return (struct lpm_slot *)(m->data + slots_off()) + i;
}

/* Node i (1-based); NULL for 0 or out of the pool (a corrupt file). */
static struct lpm_node *node_at(const struct userbpf_map *m, uint32_t i)
{
	const struct lpm_shared *s = sh(m);

	if (!i || i > s->pool_size)
		return NULL;
	return (struct lpm_node *)(m->data + pool_off(s->nslots) +
				   (size_t)(i - 1) * s->node_size);
}

static void *node_value(const struct userbpf_map *m, struct lpm_node *n)
{
	return (uint8_t *)n + value_off(sh(m)->data_size);
}

/* ---- definition and layout ---------------------------------------------- */

static int lpm_check(struct userbpf_rt *rt, const struct ub_map_def *def)
{
	const uint32_t ok = UB_F_NO_PREALLOC | UB_F_RDONLY | UB_F_WRONLY | UB_F_RDONLY_PROG |
			    UB_F_WRONLY_PROG;

	if (def->max_entries == 0 || !(def->map_flags & UB_F_NO_PREALLOC) ||
	    (def->map_flags & ~ok) || def->key_size < 4 + 1 ||
	    def->key_size > 4 + LPM_DATA_MAX || def->value_size == 0 || def->extra) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "map '%.16s': an lpm_trie needs BPF_F_NO_PREALLOC, key_size 5..260 (4 + data), value_size > 0, max_entries > 0 and no map_extra (got key %u, value %u, entries %u, flags 0x%x)",
		       def->name, def->key_size, def->value_size, def->max_entries,
		       def->map_flags);
		return -EINVAL;
	}
	if (def->spin_lock_off >= 0) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': an lpm_trie cannot hold a bpf_spin_lock",
		       def->name);
		return -EOPNOTSUPP;
	}
	if (def->value_size > (1u << 22) || pool_nodes(def) >= UINT32_MAX) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': %u entries of %u bytes are too large",
		       def->name, def->max_entries, def->value_size);
		return -E2BIG;
	}
	return 0;
}

static size_t lpm_data_size(const struct ub_map_def *def, unsigned ncpus)
{
	uint64_t n = pool_nodes(def), sz = node_size_of(def);

	if (n > ((uint64_t)1 << 40) / sz)
		return (size_t)-1;
	return pool_off(ncpus) + (size_t)(n * sz);
}

static int lpm_init(struct userbpf_map *m)
{
	struct lpm_shared *s = sh(m);

	s->data_size = m->def.key_size - 4;
	s->node_size = (uint32_t)node_size_of(&m->def);
	s->pool_size = (uint32_t)pool_nodes(&m->def);
	s->next_fresh = 1;
	s->nslots = m->ncpus;
	return 0;
}

/* The shared header comes from a file: check it before trusting it. */
static int lpm_attach(struct userbpf_map *m)
{
	const struct lpm_shared *s = sh(m);

	if (s->data_size != m->def.key_size - 4 || s->node_size != node_size_of(&m->def) ||
	    s->pool_size != pool_nodes(&m->def) || s->nslots != m->hdr->ncpus ||
	    s->next_fresh == 0 || s->next_fresh > s->pool_size + 1 ||
	    atomic_load(&((struct lpm_shared *)s)->root) > s->pool_size) {
		ub_log(m->rt, USERBPF_LOG_WARN, "map '%s': the lpm_trie's shared header is damaged",
		       m->def.name);
		return -EINVAL;
	}
	return 0;
}

/* ---- bits ----------------------------------------------------------------- */

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static uint32_t load_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

/* How many leading bits of a and b agree, at most limit (both hold at
 * least limit bits). */
static uint32_t match_bits(const uint8_t *a, const uint8_t *b, uint32_t limit)
{
	uint32_t nb = (limit + 7) / 8, off = 0, got;

	for (; nb - off >= 8; off += 8) {
		uint64_t x = load_be64(a + off) ^ load_be64(b + off);

		if (x) {
			got = off * 8 + (uint32_t)__builtin_clzll(x);
			return got < limit ? got : limit;
		}
	}
	if (nb - off >= 4) {
		uint32_t x = load_be32(a + off) ^ load_be32(b + off);

		if (x) {
			got = off * 8 + (uint32_t)__builtin_clz(x);
			return got < limit ? got : limit;
		}
		off += 4;
	}
	for (; off < nb; off++) {
		uint32_t x = (uint32_t)(a[off] ^ b[off]);

		if (x) {
			got = off * 8 + (uint32_t)__builtin_clz(x) - 24;
			return got < limit ? got : limit;
		}
	}
	return limit;
}

static uint32_t key_prefixlen(const void *key)
{
	uint32_t pl;

	memcpy(&pl, key, 4);
	return pl;
}

static const uint8_t *key_data(const void *key)
{
	return (const uint8_t *)key + 4;
}

static uint32_t prefix_match(const struct lpm_node *n, const void *key)
{
	uint32_t kpl = key_prefixlen(key), limit = n->prefixlen < kpl ? n->prefixlen : kpl;

	return match_bits(n->data, key_data(key), limit);
}

static unsigned extract_bit(const uint8_t *data, uint32_t index)
{
	return (data[index / 8] >> (7 - index % 8)) & 1;
}

/* ---- the read side -------------------------------------------------------- */

static struct lpm_slot *read_lock(struct userbpf_map *m, unsigned *idx)
{
	struct lpm_slot *sl = slot_of(m, ub_os_cpu() % sh(m)->nslots);

	*idx = atomic_load_explicit(&sh(m)->gp_idx, memory_order_relaxed) & 1;
	atomic_fetch_add_explicit(&sl->lock[*idx], 1, memory_order_seq_cst);
	/* The count is visible before any link is read (Dekker with the
	 * writer's unlink; a locked RMW is a full barrier on x86). */
#if !defined(__x86_64__) && !defined(__i386__)
	atomic_thread_fence(memory_order_seq_cst);
#endif
	return sl;
}

static void read_unlock(struct lpm_slot *sl, unsigned idx)
{
	atomic_fetch_add_explicit(&sl->unlock[idx], 1, memory_order_seq_cst);
}

/* The longest prefix of key in the trie, or NULL.  Inside a read section. */
static struct lpm_node *lpm_find(struct userbpf_map *m, const void *key)
{
	struct lpm_shared *s = sh(m);
	uint32_t max = s->data_size * 8;
	struct lpm_node *found = NULL, *n;
	unsigned steps = 0;

	if (key_prefixlen(key) > max)
		return NULL;
	n = node_at(m, atomic_load_explicit(&s->root, memory_order_acquire));
	while (n && steps++ <= max) {
		uint32_t ml = prefix_match(n, key);

		if (ml == max) {
			if (n->prefixlen == max)	/* exact, full-length */
				found = n;
			break;
		}
		if (ml < n->prefixlen || n->prefixlen >= max)
			break;
		if (!(atomic_load_explicit(&n->flags, memory_order_relaxed) & LPM_IM))
			found = n;
		n = node_at(m, atomic_load_explicit(&n->child[extract_bit(key_data(key),
									   n->prefixlen)],
						    memory_order_acquire));
	}
	return found;
}

static void *lpm_lookup(struct userbpf_map *m, const void *key)
{
	unsigned idx;
	struct lpm_slot *sl;
	struct lpm_node *n;

	if (!key)
		return NULL;
	sl = read_lock(m, &idx);
	n = lpm_find(m, key);

	read_unlock(sl, idx);
	return n ? node_value(m, n) : NULL;
}

static int lpm_lookup_user(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	unsigned idx;
	struct lpm_slot *sl;
	struct lpm_node *n;

	if (!key)
		return -EFAULT;		/* bpf(2) cannot read a NULL key */
	if (flags)
		return -EINVAL;
	sl = read_lock(m, &idx);
	n = lpm_find(m, key);
	if (n)
		memcpy(value, node_value(m, n), m->def.value_size);
	read_unlock(sl, idx);
	return n ? 0 : -ENOENT;
}

/* ---- grace periods and the node pool (writer, under the lock) ---------- */

static bool idx_quiet(struct userbpf_map *m, unsigned idx)
{
	struct lpm_shared *s = sh(m);
	uint64_t locks = 0, unlocks = 0;

	for (unsigned i = 0; i < s->nslots; i++)
		unlocks += atomic_load_explicit(&slot_of(m, i)->unlock[idx], memory_order_seq_cst);
	atomic_thread_fence(memory_order_seq_cst);
	for (unsigned i = 0; i < s->nslots; i++)
		locks += atomic_load_explicit(&slot_of(m, i)->lock[idx], memory_order_seq_cst);
	return locks == unlocks;
}

static bool wait_quiet(struct userbpf_map *m, unsigned idx)
{
	uint64_t start = 0;

	for (unsigned spins = 0; !idx_quiet(m, idx); spins++) {
		if (spins == 64)
			start = ub_os_monotonic_ns();
		else if (spins > 64 && ub_os_monotonic_ns() - start > LPM_GRACE_TIMEOUT_NS)
			return false;
	}
	return true;
}

/* Waits until no reader that may have seen an unlinked node is left. */
static bool synchronize(struct userbpf_map *m)
{
	struct lpm_shared *s = sh(m);
	unsigned cur = atomic_load(&s->gp_idx) & 1;

	atomic_thread_fence(memory_order_seq_cst);
	if (!wait_quiet(m, cur ^ 1))
		return false;
	atomic_store_explicit(&s->gp_idx, cur ^ 1, memory_order_seq_cst);
	if (!wait_quiet(m, cur))
		return false;
	s->gp_count++;
	return true;
}

static uint32_t pop_list(struct userbpf_map *m, uint32_t *head)
{
	uint32_t i = *head;
	struct lpm_node *n = node_at(m, i);

	if (!n) {
		*head = 0;
		return 0;
	}
	*head = atomic_load_explicit(&n->child[0], memory_order_relaxed);
	return i;
}

static void push_list(struct userbpf_map *m, uint32_t *head, uint32_t i)
{
	atomic_store_explicit(&node_at(m, i)->child[0], *head, memory_order_relaxed);
	*head = i;
}

static uint32_t node_alloc(struct userbpf_map *m)
{
	struct lpm_shared *s = sh(m);

	if (s->ready)
		return pop_list(m, &s->ready);
	if (s->next_fresh <= s->pool_size)
		return s->next_fresh++;
	if (!s->pending)
		return 0;
	if (!synchronize(m)) {
		ub_log(m->rt, USERBPF_LOG_WARN,
		       "map '%s': a reader of the lpm_trie has not left for %llu ms (killed inside a lookup?); not reusing memory",
		       m->def.name, (unsigned long long)(LPM_GRACE_TIMEOUT_NS / 1000000));
		return 0;
	}
	s->ready = s->pending;
	s->pending = 0;
	return pop_list(m, &s->ready);
}

/* A node no reader has seen goes back at once; an unlinked one waits. */
static void node_free_unseen(struct userbpf_map *m, uint32_t i)
{
	push_list(m, &sh(m)->ready, i);
}

static void node_retire(struct userbpf_map *m, uint32_t i)
{
	push_list(m, &sh(m)->pending, i);
}

static uint32_t index_of(const struct userbpf_map *m, const struct lpm_node *n)
{
	return (uint32_t)(((const uint8_t *)n - (m->data + pool_off(sh(m)->nslots))) /
			  sh(m)->node_size) + 1;
}

/* ---- the write side -------------------------------------------------------- */

/* Linux's trie_check_add_elem: a new element under BPF_EXIST is ENOENT, a
 * full trie ENOSPC. */
static long check_add(struct lpm_shared *s, const struct userbpf_map *m, uint64_t flags)
{
	if (flags == UB_EXIST)
		return -ENOENT;
	if (s->n_entries == m->def.max_entries)
		return -ENOSPC;
	s->n_entries++;
	return 0;
}

static long lpm_update(struct userbpf_map *m, const void *key, const void *value,
		       uint64_t flags)
{
	struct lpm_shared *s = sh(m);
	uint32_t max = s->data_size * 8, kpl, new_i, im_i, ml = 0;
	struct lpm_node *nn, *im, *n;
	_Atomic uint32_t *slot;
	unsigned steps = 0;
	long err = 0;

	if (!key || !value)
		return -EFAULT;
	kpl = key_prefixlen(key);
	if (flags > UB_EXIST)
		return -EINVAL;
	if (kpl > max)
		return -EINVAL;
	ub_map_spin_lock(&s->lock);
	new_i = node_alloc(m);
	nn = node_at(m, new_i);
	if (!nn) {
		err = -ENOMEM;
		goto out;
	}
	atomic_store_explicit(&nn->child[0], 0, memory_order_relaxed);
	atomic_store_explicit(&nn->child[1], 0, memory_order_relaxed);
	atomic_store_explicit(&nn->flags, 0, memory_order_relaxed);
	nn->prefixlen = kpl;
	memcpy(nn->data, key_data(key), s->data_size);
	memcpy(node_value(m, nn), value, m->def.value_size);

	slot = &s->root;
	while ((n = node_at(m, atomic_load_explicit(slot, memory_order_relaxed))) &&
	       steps++ <= max) {
		ml = prefix_match(n, key);
		if (n->prefixlen != ml || n->prefixlen == kpl || n->prefixlen >= max)
			break;
		slot = &n->child[extract_bit(key_data(key), n->prefixlen)];
	}
	if (!n) {
		err = check_add(s, m, flags);
		if (!err)
			atomic_store_explicit(slot, new_i, memory_order_release);
		goto out;
	}
	if (n->prefixlen == ml && n->prefixlen == kpl) {
		/* The same prefix: the new node takes the old one's place. */
		if (!(atomic_load_explicit(&n->flags, memory_order_relaxed) & LPM_IM)) {
			if (flags == UB_NOEXIST) {
				err = -EEXIST;
				goto out;
			}
		} else {
			err = check_add(s, m, flags);
			if (err)
				goto out;
		}
		atomic_store_explicit(&nn->child[0],
				      atomic_load_explicit(&n->child[0], memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(&nn->child[1],
				      atomic_load_explicit(&n->child[1], memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(slot, new_i, memory_order_release);
		node_retire(m, index_of(m, n));
		goto out;
	}
	err = check_add(s, m, flags);
	if (err)
		goto out;
	if (ml == kpl) {
		/* The new prefix covers n: it goes above it. */
		atomic_store_explicit(&nn->child[extract_bit(n->data, ml)], index_of(m, n),
				      memory_order_relaxed);
		atomic_store_explicit(slot, new_i, memory_order_release);
		goto out;
	}
	/* They part at bit ml: an intermediate node holds both. */
	im_i = node_alloc(m);
	im = node_at(m, im_i);
	if (!im) {
		s->n_entries--;
		err = -ENOMEM;
		goto out;
	}
	im->prefixlen = ml;
	atomic_store_explicit(&im->flags, LPM_IM, memory_order_relaxed);
	memcpy(im->data, n->data, s->data_size);
	if (extract_bit(key_data(key), ml)) {
		atomic_store_explicit(&im->child[0], index_of(m, n), memory_order_relaxed);
		atomic_store_explicit(&im->child[1], new_i, memory_order_relaxed);
	} else {
		atomic_store_explicit(&im->child[0], new_i, memory_order_relaxed);
		atomic_store_explicit(&im->child[1], index_of(m, n), memory_order_relaxed);
	}
	atomic_store_explicit(slot, im_i, memory_order_release);
out:
	if (err && nn)
		node_free_unseen(m, new_i);
	ub_map_spin_unlock(&s->lock);
	return err;
}

static long lpm_delete(struct userbpf_map *m, const void *key)
{
	struct lpm_shared *s = sh(m);
	uint32_t max = s->data_size * 8, kpl, ml = 0, c0, c1;
	_Atomic uint32_t *trim, *trim2;
	struct lpm_node *n, *parent = NULL;
	unsigned steps = 0;
	long err = 0;

	if (!key)
		return -EFAULT;
	kpl = key_prefixlen(key);
	if (kpl > max)
		return -EINVAL;
	ub_map_spin_lock(&s->lock);
	trim = trim2 = &s->root;
	while ((n = node_at(m, atomic_load_explicit(trim, memory_order_relaxed))) &&
	       steps++ <= max) {
		ml = prefix_match(n, key);
		if (n->prefixlen != ml || n->prefixlen == kpl || n->prefixlen >= max)
			break;
		parent = n;
		trim2 = trim;
		trim = &n->child[extract_bit(key_data(key), n->prefixlen)];
	}
	if (!n || n->prefixlen != kpl || n->prefixlen != ml ||
	    (atomic_load_explicit(&n->flags, memory_order_relaxed) & LPM_IM)) {
		err = -ENOENT;
		goto out;
	}
	s->n_entries--;
	c0 = atomic_load_explicit(&n->child[0], memory_order_relaxed);
	c1 = atomic_load_explicit(&n->child[1], memory_order_relaxed);
	if (c0 && c1) {
		/* Two children: the node stays, as an intermediate one. */
		atomic_store_explicit(&n->flags, LPM_IM, memory_order_release);
		goto out;
	}
	if (parent && (atomic_load_explicit(&parent->flags, memory_order_relaxed) & LPM_IM) &&
	    !c0 && !c1) {
		/* A leaf under an intermediate node: the sibling replaces both. */
		uint32_t p0 = atomic_load_explicit(&parent->child[0], memory_order_relaxed);
		uint32_t p1 = atomic_load_explicit(&parent->child[1], memory_order_relaxed);

		atomic_store_explicit(trim2, p0 == index_of(m, n) ? p1 : p0,
				      memory_order_release);
		node_retire(m, index_of(m, parent));
		node_retire(m, index_of(m, n));
		goto out;
	}
	atomic_store_explicit(trim, c0 ? c0 : c1, memory_order_release);
	node_retire(m, index_of(m, n));
out:
	ub_map_spin_unlock(&s->lock);
	return err;
}

static void copy_key(const struct userbpf_map *m, void *out, const struct lpm_node *n)
{
	memcpy(out, &n->prefixlen, 4);
	memcpy((uint8_t *)out + 4, n->data, sh(m)->data_size);
}

/* Post order: more specific prefixes before less specific ones.  Under
 * the writer lock, so the walk sees one trie. */
static int lpm_get_next_key(struct userbpf_map *m, const void *key, void *next_key)
{
	struct lpm_shared *s = sh(m);
	uint32_t max = s->data_size * 8, stack[8 * LPM_DATA_MAX + 1], kpl = 0;
	struct lpm_node *n, *next = NULL, *search_root;
	int sp = -1, err = 0;
	unsigned steps = 0;

	ub_map_spin_lock(&s->lock);
	search_root = node_at(m, atomic_load_explicit(&s->root, memory_order_relaxed));
	if (!search_root) {
		err = -ENOENT;
		goto out;
	}
	if (!key || (kpl = key_prefixlen(key)) > max)
		goto leftmost;
	for (n = search_root; n && sp < (int)max;) {
		uint32_t ml;

		stack[++sp] = index_of(m, n);
		ml = prefix_match(n, key);
		if (n->prefixlen != ml || n->prefixlen == kpl || n->prefixlen >= max)
			break;
		n = node_at(m, atomic_load_explicit(&n->child[extract_bit(key_data(key),
									   n->prefixlen)],
						    memory_order_relaxed));
	}
	if (!n || n->prefixlen != kpl || prefix_match(n, key) != kpl ||
	    (atomic_load_explicit(&n->flags, memory_order_relaxed) & LPM_IM))
		goto leftmost;
	/* Found: the next node in post order. */
	n = node_at(m, stack[sp]);
	while (sp > 0) {
		struct lpm_node *parent = node_at(m, stack[sp - 1]);

		if (atomic_load_explicit(&parent->child[0], memory_order_relaxed) ==
		    index_of(m, n)) {
			search_root = node_at(m, atomic_load_explicit(&parent->child[1],
								      memory_order_relaxed));
			if (search_root)
				goto leftmost;
		}
		if (!(atomic_load_explicit(&parent->flags, memory_order_relaxed) & LPM_IM)) {
			next = parent;
			goto copy;
		}
		n = parent;
		sp--;
	}
	err = -ENOENT;
	goto out;
leftmost:
	/* The leftmost non-intermediate node under search_root. */
	for (n = search_root; n && steps++ <= max + 1;) {
		if (atomic_load_explicit(&n->flags, memory_order_relaxed) & LPM_IM) {
			n = node_at(m, atomic_load_explicit(&n->child[0], memory_order_relaxed));
		} else {
			next = n;
			n = node_at(m, atomic_load_explicit(&n->child[0], memory_order_relaxed));
			if (!n)
				n = node_at(m, atomic_load_explicit(&next->child[1],
								    memory_order_relaxed));
		}
	}
	if (!next) {
		err = -ENOENT;
		goto out;
	}
copy:
	copy_key(m, next_key, next);
out:
	ub_map_spin_unlock(&s->lock);
	return err;
}

static int lpm_lookup_and_delete(struct userbpf_map *m, const void *key, void *value)
{
	(void)m;
	(void)key;
	(void)value;
	return -UB_ENOTSUPP;
}

void *ub_lpm_read_lock(struct userbpf_map *m, unsigned *idx)
{
	return read_lock(m, idx);
}

void ub_lpm_read_unlock(void *section, unsigned idx)
{
	read_unlock(section, idx);
}

const struct ub_map_ops ub_map_lpm_trie_ops = {
	.check = lpm_check,
	.data_size = lpm_data_size,
	.init = lpm_init,
	.attach = lpm_attach,
	.lookup = lpm_lookup,
	.update = lpm_update,
	.delete = lpm_delete,
	.lookup_user = lpm_lookup_user,
	.get_next_key = lpm_get_next_key,
	.lookup_and_delete = lpm_lookup_and_delete,
};
