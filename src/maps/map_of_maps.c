/* SPDX-License-Identifier: MIT */
/*
 * map_of_maps.c - ARRAY_OF_MAPS and HASH_OF_MAPS.
 *
 * User space writes an inner map's id and reads the id back (4 bytes, as
 * Linux's value_size), ids of its own runtime; a program's lookup gets
 * the inner struct userbpf_map * (a "map pointer"), NULL when absent.  An
 * inner map must match the template the outer map was created with
 * (Linux's bpf_map_meta_equal: type, key and value size, flags, spin
 * lock; max_entries too for arrays unless the template has
 * BPF_F_INNER_MAP).  The template is kept in the outer map's shared
 * memory too, so a process that opens the pin checks against it.
 *
 * ARRAY_OF_MAPS slots are reference words (store/store.h): a pinned
 * inner map's store id, which any process that opens the outer map
 * resolves by opening the inner map's pin (the same shared memory, so
 * updates are live both ways), or a map id of the runtime that filled
 * the slot.  HASH_OF_MAPS keeps the same words in a table after its hash
 * table (map_hash.c's, with 4-byte values naming table entries).
 *
 * The outer map holds a reference to every inner map this handle stored,
 * in a process-local table (m->local, or the hash table's ext room).
 * Updates and deletes from user space are serialized by the caller, as
 * are map creation and freeing.  ARRAY_OF_MAPS reuses nothing of
 * map_array.c (references, not values); HASH_OF_MAPS is map_hash.c's
 * table with 4-byte values (entries of its reference table).
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include "maps/map_hash.h"
#include "store/store.h"

/* The inner template, as the outer map's shared memory keeps it. */
struct mim_tmpl {
	uint32_t magic;		/* MIM_TMPL_MAGIC once written */
	uint32_t type, key_size, value_size, max_entries, map_flags;
	int32_t spin_lock_off;
	uint32_t timer_off1;	/* 0 in templates written before it existed */
};
#define MIM_TMPL_MAGIC 0x4c504d54u	/* "TMPL" */
#define MIM_TMPL_SIZE 64		/* room kept for it */
_Static_assert(sizeof(struct mim_tmpl) <= MIM_TMPL_SIZE, "template record too large");

static void tmpl_write(struct mim_tmpl *t, const struct userbpf_map *inner)
{
	t->type = inner->def.type;
	t->key_size = inner->def.key_size;
	t->value_size = inner->def.value_size;
	t->max_entries = inner->def.max_entries;
	t->map_flags = inner->def.map_flags;
	t->spin_lock_off = inner->def.spin_lock_off;
	t->timer_off1 = inner->def.timer_off1;
	t->magic = MIM_TMPL_MAGIC;
}

static bool is_map_in_map(uint32_t t)
{
	return t == UB_MAP_ARRAY_OF_MAPS || t == UB_MAP_HASH_OF_MAPS;
}

static int check_value(struct userbpf_rt *rt, const struct ub_map_def *def)
{
	if (def->value_size != 4) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "map '%.16s': a map-in-map holds map ids: value_size must be 4, not %u",
		       def->name, def->value_size);
		return -EINVAL;
	}
	return 0;
}

/* The template must be a map that can live inside another. */
static struct mim_tmpl *shared_tmpl(struct userbpf_map *m);

/*
 * An opened pin has no template map: rebuild one from the shared record,
 * so that the verifier knows what a lookup in the outer map returns (as
 * Linux keeps inner_map_meta).  Best effort: without it, programs using
 * the map are not verified and run checked.
 */
static void tmpl_rebuild(struct userbpf_map *m)
{
	const struct mim_tmpl *t = shared_tmpl(m);
	struct ub_map_def def;
	struct userbpf_map *tm;

	if (t->magic != MIM_TMPL_MAGIC || is_map_in_map(t->type))
		return;
	memset(&def, 0, sizeof(def));
	def.type = t->type;
	def.key_size = t->key_size;
	def.value_size = t->value_size;
	def.max_entries = t->max_entries;
	def.map_flags = t->map_flags;
	def.spin_lock_off = t->spin_lock_off;
	def.timer_off1 = t->timer_off1;
	memcpy(def.name, m->def.name, sizeof(def.name));
	if (ub_map_create(m->rt, &def, NULL, &tm) == 0)
		m->inner_tmpl = tm;
}

static int check_tmpl(struct userbpf_map *m)
{
	if (!m->inner_tmpl)
		tmpl_rebuild(m);
	if (!m->inner_tmpl)
		return 0;	/* nothing to check against */
	if (is_map_in_map(m->inner_tmpl->def.type)) {
		ub_log(m->rt, USERBPF_LOG_WARN, "map '%s': a map-in-map cannot hold map-in-maps",
		       m->def.name);
		return -EINVAL;
	}
	return 0;
}

/* Whether inner may be stored in m (Linux's map_meta_equal). */
static int inner_ok(struct userbpf_map *m, struct userbpf_map *inner)
{
	struct mim_tmpl t;

	if (m->inner_tmpl) {
		tmpl_write(&t, m->inner_tmpl);
	} else {
		t = *shared_tmpl(m);
		if (t.magic != MIM_TMPL_MAGIC) {
			ub_log(m->rt, USERBPF_LOG_WARN, "map '%s': no inner map template", m->def.name);
			return -EINVAL;
		}
	}
	if (inner->def.type != t.type || inner->def.key_size != t.key_size ||
	    inner->def.value_size != t.value_size ||
	    inner->def.map_flags != t.map_flags ||
	    (inner->def.spin_lock_off >= 0) != (t.spin_lock_off >= 0) ||
	    inner->def.timer_off1 != t.timer_off1)
		goto bad;
	if ((t.type == UB_MAP_ARRAY || t.type == UB_MAP_PERCPU_ARRAY) &&
	    !(t.map_flags & UB_F_INNER_MAP) && inner->def.max_entries != t.max_entries)
		goto bad;
	return 0;
bad:
	ub_log(m->rt, USERBPF_LOG_WARN,
	       "map '%s': inner map '%s' (%s, %u/%u bytes, %u entries, flags 0x%x) does not match the template (%s, %u/%u, %u, 0x%x)",
	       m->def.name, inner->def.name, ub_map_type_name(inner->def.type),
	       inner->def.key_size, inner->def.value_size, inner->def.max_entries,
	       inner->def.map_flags, ub_map_type_name(t.type), t.key_size,
	       t.value_size, t.max_entries, t.map_flags);
	return -EINVAL;
}

static int get_inner(struct userbpf_map *m, const void *value, struct userbpf_map **out)
{
	uint32_t id;
	struct userbpf_map *inner;

	memcpy(&id, value, 4);
	inner = id ? ub_rt_id_get(m->rt, UB_OBJ_MAP, id) : NULL;
	if (!inner) {
		ub_log(m->rt, USERBPF_LOG_WARN, "map '%s': no map with id %u", m->def.name, id);
		return -EBADF;
	}
	*out = inner;
	return inner_ok(m, inner);
}

/* ---- ARRAY_OF_MAPS ----------------------------------------------------- */

static int aom_check(struct userbpf_rt *rt, const struct ub_map_def *def)
{
	int err = check_value(rt, def);

	if (err)
		return err;
	if (def->key_size != 4 || def->max_entries == 0) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "map '%.16s': an array of maps needs key_size 4 and max_entries > 0",
		       def->name);
		return -EINVAL;
	}
	if (def->map_flags & ~(uint32_t)(UB_F_RDONLY | UB_F_WRONLY)) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': map_flags 0x%x do not apply to an array of maps",
		       def->name, def->map_flags);
		return -EINVAL;
	}
	return 0;
}

/* Layout: the template record, then one reference word per slot. */
static size_t aom_data_size(const struct ub_map_def *def, unsigned ncpus)
{
	(void)ncpus;
	return MIM_TMPL_SIZE + (size_t)def->max_entries * 8;
}

static _Atomic uint64_t *aom_slot(struct userbpf_map *m, uint32_t i)
{
	return (_Atomic uint64_t *)(void *)(m->data + MIM_TMPL_SIZE + (size_t)i * 8);
}

/* Process-local: the inner maps this handle stored (a reference each),
 * and the cache of resolved store ids. */
struct aom_local {
	struct userbpf_map **held;
	_Atomic uint64_t *cache;
};

static int aom_init(struct userbpf_map *m)
{
	tmpl_write((struct mim_tmpl *)(void *)m->data, m->inner_tmpl);
	return 0;
}

static int aom_attach(struct userbpf_map *m)
{
	int err = check_tmpl(m);
	struct aom_local *l;

	if (err)
		return err;
	l = ub_calloc(m->rt, 1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->held = ub_calloc(m->rt, m->def.max_entries, sizeof(*l->held));
	l->cache = ub_calloc(m->rt, m->def.max_entries, sizeof(*l->cache));
	m->local = l;
	return l->held && l->cache ? 0 : -ENOMEM;
}

static void aom_detach(struct userbpf_map *m)
{
	struct aom_local *l = m->local;

	if (!l)
		return;
	for (uint32_t i = 0; l->held && i < m->def.max_entries; i++)
		ub_map_put(l->held[i]);
	ub_free(m->rt, l->held);
	ub_free(m->rt, l->cache);
	ub_free(m->rt, l);
	m->local = NULL;
}

static void *aom_lookup(struct userbpf_map *m, const void *key)
{
	struct aom_local *l = m->local;
	uint32_t i, id;
	uint64_t w;

	memcpy(&i, key, 4);
	if (i >= m->def.max_entries)
		return NULL;
	w = atomic_load_explicit(aom_slot(m, i), memory_order_acquire);
	if (!w)
		return NULL;
	id = ub_ref_resolve_cached(m->rt, UB_OBJ_MAP, w, &l->cache[i]);
	return id ? ub_rt_id_get(m->rt, UB_OBJ_MAP, id) : NULL;
}

static int aom_lookup_user(struct userbpf_map *m, const void *key, void *value,
			   uint64_t flags)
{
	uint32_t i, id;

	memcpy(&i, key, 4);
	if (flags)
		return -EINVAL;
	if (i >= m->def.max_entries)
		return -ENOENT;
	id = ub_ref_resolve(m->rt, UB_OBJ_MAP, atomic_load(aom_slot(m, i)));
	if (!id)
		return -ENOENT;
	memcpy(value, &id, 4);
	return 0;
}

/* Linux: only BPF_ANY; an index past the end is E2BIG. */
static int aom_update_user(struct userbpf_map *m, const void *key, const void *value,
			   uint64_t flags)
{
	struct aom_local *l = m->local;
	struct userbpf_map *inner = NULL;
	uint64_t w;
	uint32_t i;
	int err;

	memcpy(&i, key, 4);
	if (flags != UB_ANY)
		return -EINVAL;
	if (i >= m->def.max_entries)
		return -E2BIG;
	err = get_inner(m, value, &inner);
	if (err)
		return err;
	w = ub_ref_encode(m->rt, UB_OBJ_MAP, inner->id);
	if (!w)
		return -EBADF;
	ub_map_get(inner);
	atomic_store_explicit(aom_slot(m, i), w, memory_order_release);
	ub_map_put(l->held[i]);
	l->held[i] = inner;
	return 0;
}

static long aom_delete(struct userbpf_map *m, const void *key)
{
	struct aom_local *l = m->local;
	uint32_t i;

	memcpy(&i, key, 4);
	if (i >= m->def.max_entries)
		return -E2BIG;
	if (!atomic_exchange(aom_slot(m, i), 0))
		return -ENOENT;
	ub_map_put(l->held[i]);
	l->held[i] = NULL;
	return 0;
}

_Atomic uint64_t *ub_map_aom_slot(struct userbpf_map *m, uint32_t i)
{
	if (m->def.type != UB_MAP_ARRAY_OF_MAPS || i >= m->def.max_entries)
		return NULL;
	return aom_slot(m, i);
}

static int aom_get_next_key(struct userbpf_map *m, const void *key, void *next_key)
{
	uint32_t i, n = 0;

	if (key) {
		memcpy(&i, key, 4);
		if (i < m->def.max_entries) {
			if (i == m->def.max_entries - 1)
				return -ENOENT;
			n = i + 1;
		}
	}
	memcpy(next_key, &n, 4);
	return 0;
}

const struct ub_map_ops ub_map_array_of_maps_ops = {
	.check = aom_check,
	.data_size = aom_data_size,
	.init = aom_init,
	.attach = aom_attach,
	.detach = aom_detach,
	.lookup = aom_lookup,
	.delete = aom_delete,
	.lookup_user = aom_lookup_user,
	.update_user = aom_update_user,
	.get_next_key = aom_get_next_key,
};

/* ---- HASH_OF_MAPS ------------------------------------------------------ */

/*
 * The hash table (map_hash.c) holds 4-byte values; each is 1 + the index
 * of an entry of a table of reference words kept after it in shared
 * memory (after the template): one entry per inner map, counted by the
 * keys that name it, under a spin lock in shared memory.  An entry no key
 * names keeps its word, so that a program that read the index just before
 * the last key went still finds that map; such an entry is given to
 * another map only when no entry was never used (the table has
 * max_entries + 64).
 */
struct hom_ent {
	_Atomic uint64_t word;
	uint32_t keys;
	uint32_t pad;
};
struct hom_tab {
	uint32_t lock;
	uint32_t pad[15];
	struct hom_ent e[];
};

static uint32_t hom_nent(const struct ub_map_def *def)
{
	return def->max_entries + 64;
}

/* The inner maps this handle stored, each once (a reference) with the
 * number of its keys; and the cache of resolved entries. */
struct hom_refs {
	uint32_t n, cap;
	struct hom_ref {
		struct userbpf_map *map;
		uint64_t word;
		uint32_t keys;
	} *v;
	_Atomic uint64_t *cache;	/* one per table entry */
};

static int hom_check(struct userbpf_rt *rt, const struct ub_map_def *def)
{
	int err = check_value(rt, def);

	return err ? err : ub_hash_check(rt, def);
}

/* Layout: the hash table, the template, the table of references. */
static size_t hom_tmpl_off(const struct ub_map_def *def, unsigned ncpus)
{
	return (ub_hash_data_size(def, ncpus) + 63) & ~(size_t)63;
}

static size_t hom_data_size(const struct ub_map_def *def, unsigned ncpus)
{
	size_t n = ub_hash_data_size(def, ncpus);

	if (n == (size_t)-1)
		return n;
	return hom_tmpl_off(def, ncpus) + MIM_TMPL_SIZE + sizeof(struct hom_tab) +
	       (size_t)hom_nent(def) * sizeof(struct hom_ent);
}

static struct hom_tab *hom_tab(struct userbpf_map *m)
{
	return (struct hom_tab *)(void *)(m->data + hom_tmpl_off(&m->def, m->ncpus) +
					  MIM_TMPL_SIZE);
}

static int hom_init(struct userbpf_map *m)
{
	int err = ub_hash_init(m);

	if (!err)
		tmpl_write(shared_tmpl(m), m->inner_tmpl);
	return err;
}

static int hom_attach(struct userbpf_map *m)
{
	int err = check_tmpl(m);
	struct hom_refs *r;

	if (err)
		return err;
	err = ub_hash_attach(m);
	if (err)
		return err;
	r = ub_calloc(m->rt, 1, sizeof(*r));
	if (r)
		r->cache = ub_calloc(m->rt, hom_nent(&m->def), sizeof(*r->cache));
	if (!r || !r->cache) {
		ub_free(m->rt, r);
		ub_hash_detach(m);
		return -ENOMEM;
	}
	*ub_hash_ext(m) = r;
	return 0;
}

static void hom_detach(struct userbpf_map *m)
{
	struct hom_refs *r;

	if (!m->local)
		return;
	r = *ub_hash_ext(m);
	if (r) {
		for (uint32_t i = 0; i < r->n; i++)
			ub_map_put(r->v[i].map);
		ub_free(m->rt, r->v);
		ub_free(m->rt, r->cache);
		ub_free(m->rt, r);
	}
	ub_hash_detach(m);
}

static int refs_add(struct userbpf_map *m, struct userbpf_map *inner, uint64_t word)
{
	struct hom_refs *r = *ub_hash_ext(m);

	for (uint32_t i = 0; i < r->n; i++)
		if (r->v[i].word == word) {
			r->v[i].keys++;
			return 0;
		}
	if (r->n == r->cap) {
		uint32_t cap = r->cap ? 2 * r->cap : 8;
		struct hom_ref *v = ub_calloc(m->rt, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		if (r->n)
			memcpy(v, r->v, r->n * sizeof(*v));
		ub_free(m->rt, r->v);
		r->v = v;
		r->cap = cap;
	}
	ub_map_get(inner);
	r->v[r->n].map = inner;
	r->v[r->n].word = word;
	r->v[r->n].keys = 1;
	r->n++;
	return 0;
}

static void refs_drop(struct userbpf_map *m, uint64_t word)
{
	struct hom_refs *r = *ub_hash_ext(m);
	/* an entry this handle made may have become a store word since
	 * (store/refs.c's ub_ref_upgrade): the map it names, then */
	uint32_t id = (uint32_t)(word >> 32) == UB_REF_STORE ?
			      ub_rt_id_by_store(m->rt, UB_OBJ_MAP, (uint32_t)word) : 0;

	for (uint32_t i = 0; i < r->n; i++) {
		struct userbpf_map *inner = r->v[i].map;

		if (r->v[i].word != word && (!id || inner->id != id))
			continue;
		if (--r->v[i].keys == 0) {
			r->v[i] = r->v[--r->n];
			ub_map_put(inner);
		}
		return;
	}
}

/* An entry for word, counted once more: its index, or -ENOSPC. */
static int64_t ent_get(struct userbpf_map *m, uint64_t word)
{
	struct hom_tab *t = hom_tab(m);
	uint32_t n = hom_nent(&m->def), unused = n, free_ = n, i;
	int64_t ret = -ENOSPC;

	ub_map_spin_lock(&t->lock);
	for (i = 0; i < n; i++) {
		uint64_t w = atomic_load_explicit(&t->e[i].word, memory_order_relaxed);

		if (w == word)
			break;
		if (!w && unused == n)
			unused = i;
		if (w && !t->e[i].keys && free_ == n)
			free_ = i;
	}
	if (i == n)
		i = unused < n ? unused : free_;
	if (i < n) {
		atomic_store_explicit(&t->e[i].word, word, memory_order_release);
		t->e[i].keys++;
		ret = i;
	}
	ub_map_spin_unlock(&t->lock);
	return ret;
}

/* One key fewer for entry i; its word. */
static uint64_t ent_put(struct userbpf_map *m, uint32_t i)
{
	struct hom_tab *t = hom_tab(m);
	uint64_t w = 0;

	if (i >= hom_nent(&m->def))
		return 0;
	ub_map_spin_lock(&t->lock);
	if (t->e[i].keys)
		t->e[i].keys--;
	w = atomic_load_explicit(&t->e[i].word, memory_order_relaxed);
	ub_map_spin_unlock(&t->lock);
	return w;
}

/* The entry a hash value names, or NULL. */
static _Atomic uint64_t *ent_word(struct userbpf_map *m, uint32_t v)
{
	if (v == 0 || v > hom_nent(&m->def))
		return NULL;
	return &hom_tab(m)->e[v - 1].word;
}

static void *hom_lookup(struct userbpf_map *m, const void *key)
{
	const uint32_t *v = ub_hash_lookup(m, key);
	struct hom_refs *r = *ub_hash_ext(m);
	_Atomic uint64_t *w;
	uint32_t id;

	if (!v)
		return NULL;
	w = ent_word(m, *v);
	if (!w)
		return NULL;
	id = ub_ref_resolve_cached(m->rt, UB_OBJ_MAP, atomic_load_explicit(w, memory_order_acquire),
				   &r->cache[*v - 1]);
	return id ? ub_rt_id_get(m->rt, UB_OBJ_MAP, id) : NULL;
}

static int hom_lookup_user(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	uint32_t v = 0, id;
	_Atomic uint64_t *w;
	int err = ub_hash_lookup_user(m, key, &v, flags);

	if (err)
		return err;
	w = ent_word(m, v);
	id = w ? ub_ref_resolve(m->rt, UB_OBJ_MAP, atomic_load(w)) : 0;
	if (!id)
		return -ENOENT;
	memcpy(value, &id, 4);
	return 0;
}

static int hom_update_user(struct userbpf_map *m, const void *key, const void *value,
			   uint64_t flags)
{
	struct userbpf_map *inner = NULL;
	uint32_t old = 0;
	uint64_t w;
	int64_t i;
	int err;

	if (flags & UB_F_LOCK)
		return -EINVAL;
	err = get_inner(m, value, &inner);
	if (err)
		return err;
	w = ub_ref_encode(m->rt, UB_OBJ_MAP, inner->id);
	if (!w)
		return -EBADF;
	i = ent_get(m, w);
	if (i < 0)
		return (int)i;
	err = refs_add(m, inner, w);
	if (!err) {
		err = ub_hash_update_u32(m, key, (uint32_t)i + 1, flags, &old);
		if (err)
			refs_drop(m, w);
	}
	if (err) {
		ent_put(m, (uint32_t)i);
		return err;
	}
	if (old)
		refs_drop(m, ent_put(m, old - 1));
	return 0;
}

static long hom_delete(struct userbpf_map *m, const void *key)
{
	uint32_t old = 0;
	int err = ub_hash_delete_u32(m, key, &old);

	if (!err && old)
		refs_drop(m, ent_put(m, old - 1));
	return err;
}

_Atomic uint64_t *ub_map_hom_entry(struct userbpf_map *m, uint32_t i)
{
	if (m->def.type != UB_MAP_HASH_OF_MAPS || i >= hom_nent(&m->def))
		return NULL;
	return &hom_tab(m)->e[i].word;
}

_Atomic uint64_t *ub_map_hom_slot(struct userbpf_map *m, const void *key)
{
	uint32_t v = 0;

	if (m->def.type != UB_MAP_HASH_OF_MAPS || ub_hash_lookup_user(m, key, &v, 0))
		return NULL;
	return ent_word(m, v);
}

const struct ub_map_ops ub_map_hash_of_maps_ops = {
	.check = hom_check,
	.data_size = hom_data_size,
	.init = hom_init,
	.attach = hom_attach,
	.detach = hom_detach,
	.lookup = hom_lookup,
	.delete = hom_delete,
	.lookup_user = hom_lookup_user,
	.update_user = hom_update_user,
	.get_next_key = ub_hash_get_next_key,
};

static struct mim_tmpl *shared_tmpl(struct userbpf_map *m)
{
	size_t off = m->def.type == UB_MAP_ARRAY_OF_MAPS ? 0 : hom_tmpl_off(&m->def, m->ncpus);

	return (struct mim_tmpl *)(void *)(m->data + off);
}
