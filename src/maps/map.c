/* SPDX-License-Identifier: MIT */
/*
 * map.c - what every map shares: creation in shared memory, opening a pin,
 * pinning, references, and the user-side element operations with Linux's
 * flag, freeze and error rules.  The families (map_*.c) fill in the ops.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include "maps/map.h"

static const struct {
	uint32_t type;
	const char *name;
} type_names[] = {
	{ UB_MAP_HASH, "hash" }, { UB_MAP_ARRAY, "array" },
	{ UB_MAP_PROG_ARRAY, "prog_array" }, { UB_MAP_PERF_EVENT_ARRAY, "perf_event_array" },
	{ UB_MAP_PERCPU_HASH, "percpu_hash" }, { UB_MAP_PERCPU_ARRAY, "percpu_array" },
	{ UB_MAP_STACK_TRACE, "stack_trace" }, { UB_MAP_LRU_HASH, "lru_hash" },
	{ UB_MAP_LRU_PERCPU_HASH, "lru_percpu_hash" }, { UB_MAP_LPM_TRIE, "lpm_trie" },
	{ UB_MAP_ARRAY_OF_MAPS, "array_of_maps" }, { UB_MAP_HASH_OF_MAPS, "hash_of_maps" },
	{ UB_MAP_QUEUE, "queue" }, { UB_MAP_STACK, "stack" }, { UB_MAP_RINGBUF, "ringbuf" },
	{ UB_MAP_BLOOM_FILTER, "bloom_filter" },
};

const char *ub_map_type_name(uint32_t type)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return NULL;
}

uint32_t ub_map_type_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (!strcmp(type_names[i].name, name))
			return type_names[i].type;
	return 0;
}

/* Families register here; a weak reference would hide a missing file, so
 * each one is listed by name. */
const struct ub_map_ops *ub_map_ops_of(uint32_t type)
{
	switch (type) {
	case UB_MAP_ARRAY: return &ub_map_array_ops;
	case UB_MAP_PERCPU_ARRAY: return &ub_map_percpu_array_ops;
	case UB_MAP_PROG_ARRAY: return &ub_map_prog_array_ops;
	case UB_MAP_HASH: return &ub_map_hash_ops;
	case UB_MAP_PERCPU_HASH: return &ub_map_percpu_hash_ops;
	case UB_MAP_LRU_HASH: return &ub_map_lru_hash_ops;
	case UB_MAP_LRU_PERCPU_HASH: return &ub_map_lru_percpu_hash_ops;
	case UB_MAP_ARRAY_OF_MAPS: return &ub_map_array_of_maps_ops;
	case UB_MAP_HASH_OF_MAPS: return &ub_map_hash_of_maps_ops;
	case UB_MAP_LPM_TRIE: return &ub_map_lpm_trie_ops;
	case UB_MAP_QUEUE: return &ub_map_queue_ops;
	case UB_MAP_STACK: return &ub_map_stack_ops;
	case UB_MAP_BLOOM_FILTER: return &ub_map_bloom_ops;
	case UB_MAP_RINGBUF: return &ub_map_ringbuf_ops;
	case UB_MAP_PERF_EVENT_ARRAY: return &ub_map_perf_event_array_ops;
	default: return NULL;
	}
}

bool ub_map_is_percpu(uint32_t type)
{
	return type == UB_MAP_PERCPU_HASH || type == UB_MAP_PERCPU_ARRAY ||
	       type == UB_MAP_LRU_PERCPU_HASH;
}

size_t ub_map_user_value_size(const struct userbpf_map *m)
{
	if (ub_map_is_percpu(m->def.type))
		return ub_map_percpu_stride(m->def.value_size) * m->ncpus;
	return m->def.value_size;
}

void ub_map_spin_lock(uint32_t *lock)
{
	_Atomic uint32_t *l = (_Atomic uint32_t *)lock;

	for (;;) {
		uint32_t zero = 0;

		if (atomic_compare_exchange_weak_explicit(l, &zero, 1, memory_order_acquire,
							  memory_order_relaxed))
			return;
		while (atomic_load_explicit(l, memory_order_relaxed))
			;
	}
}

void ub_map_spin_unlock(uint32_t *lock)
{
	atomic_store_explicit((_Atomic uint32_t *)lock, 0, memory_order_release);
}

void ub_map_copy_value(const struct userbpf_map *m, void *dst, const void *src)
{
	int32_t off = m->def.spin_lock_off;

	if (off < 0) {
		memcpy(dst, src, m->def.value_size);
		return;
	}
	memcpy(dst, src, (size_t)off);
	memcpy((uint8_t *)dst + off + 4, (const uint8_t *)src + off + 4,
	       m->def.value_size - (size_t)off - 4);
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Common checks, Linux's: sizes nonzero where the family needs them,
 * name characters, flags it knows. */
static int check_def(struct userbpf_rt *rt, const struct ub_map_def *def,
		     const struct ub_map_ops **opsp)
{
	const struct ub_map_ops *ops = ub_map_ops_of(def->type);
	const char *tname = ub_map_type_name(def->type);
	const uint32_t known = UB_F_NO_PREALLOC | UB_F_NO_COMMON_LRU | UB_F_RDONLY |
			       UB_F_WRONLY | UB_F_ZERO_SEED | UB_F_RDONLY_PROG |
			       UB_F_WRONLY_PROG | UB_F_MMAPABLE | UB_F_INNER_MAP;

	if (!ops) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': type %u%s%s%s is not supported",
		       def->name, def->type, tname ? " (" : "", tname ? tname : "",
		       tname ? ")" : "");
		return -EINVAL;
	}
	if (def->map_flags & ~known) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': unknown map_flags 0x%x", def->name,
		       def->map_flags & ~known);
		return -EINVAL;
	}
	if ((def->map_flags & UB_F_RDONLY_PROG) && (def->map_flags & UB_F_WRONLY_PROG)) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "map '%.16s': BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG exclude each other",
		       def->name);
		return -EINVAL;
	}
	if (def->spin_lock_off >= 0 &&
	    ((uint64_t)def->spin_lock_off + 4 > def->value_size || def->spin_lock_off % 4)) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': bpf_spin_lock at %d lies outside the value",
		       def->name, def->spin_lock_off);
		return -EINVAL;
	}
	if (def->timer_off1 &&
	    ((uint64_t)def->timer_off1 - 1 + 16 > def->value_size || (def->timer_off1 - 1) % 8)) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "map '%.16s': bpf_timer at %u does not fit, 8-byte aligned, in the value",
		       def->name, def->timer_off1 - 1);
		return -EINVAL;
	}
	*opsp = ops;
	return ops->check ? ops->check(rt, def) : 0;
}

static int map_attach(struct userbpf_map *m)
{
	int err;

	m->hdr = m->shm.base;
	m->data = (uint8_t *)m->shm.base + m->hdr->data_off;
	m->ncpus = m->hdr->ncpus;
	err = m->ops->attach ? m->ops->attach(m) : 0;
	if (err)
		return err;
	m->id = ub_rt_id_add(m->rt, UB_OBJ_MAP, m);
	return m->id ? 0 : -ENOMEM;
}

static void map_free(struct userbpf_map *m)
{
	struct userbpf_rt *rt;

	if (!m)
		return;
	rt = m->rt;
	ub_timers_forget(rt, NULL, m);
	if (m->id)
		ub_rt_id_del(rt, m->id);
	if (m->hdr && m->ops && m->ops->detach)
		m->ops->detach(m);
	if (m->inner_tmpl)
		ub_map_put(m->inner_tmpl);
	if (m->shm.base)
		ub_os_shm_close(&m->shm);
	ub_free(rt, m->pin_path);
	ub_free(rt, m);
}

int ub_map_create(struct userbpf_rt *rt, const struct ub_map_def *def,
		  struct userbpf_map *inner_tmpl, struct userbpf_map **out)
{
	const struct ub_map_ops *ops;
	struct userbpf_map *m;
	unsigned ncpus = ub_os_ncpus();
	size_t data_off = align_up(sizeof(struct ub_map_hdr), 64), dsize, total;
	int err;

	*out = NULL;
	err = check_def(rt, def, &ops);
	if (err)
		return err;
	if ((def->type == UB_MAP_ARRAY_OF_MAPS || def->type == UB_MAP_HASH_OF_MAPS) &&
	    !inner_tmpl) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': a map-in-map needs an inner map",
		       def->name);
		return -EINVAL;
	}
	dsize = ops->data_size(def, ncpus);
	if (dsize == (size_t)-1 || dsize > ((size_t)1 << 40)) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': %u entries of %u+%u bytes are too large",
		       def->name, def->max_entries, def->key_size, def->value_size);
		return -E2BIG;
	}
	total = align_up(data_off + dsize, 4096);
	m = ub_calloc(rt, 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->rt = rt;
	m->ops = ops;
	m->def = *def;
	m->refcnt = 1;
	m->shm.handle = -1;
	err = ub_os_shm_create(total, &m->shm);
	if (err) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': cannot get %zu bytes of shared memory: %s",
		       def->name, total, userbpf_strerror(err));
		goto fail;
	}
	{
		struct ub_map_hdr *h = m->shm.base;

		h->magic = UB_MAP_MAGIC;
		h->version = UB_MAP_VERSION;
		h->hdr_size = sizeof(*h);
		h->region_size = total;
		h->data_off = data_off;
		h->type = def->type;
		h->key_size = def->key_size;
		h->value_size = def->value_size;
		h->max_entries = def->max_entries;
		h->map_flags = def->map_flags;
		h->ncpus = ncpus;
		h->spin_lock_off = def->spin_lock_off;
		h->timer_off1 = def->timer_off1;
		h->extra = def->extra;
		memcpy(h->name, def->name, sizeof(h->name));
		m->hdr = h;
		m->data = (uint8_t *)h + data_off;
		m->ncpus = ncpus;
	}
	if (inner_tmpl) {
		ub_map_get(inner_tmpl);
		m->inner_tmpl = inner_tmpl;
	}
	err = ops->init ? ops->init(m) : 0;
	if (!err)
		err = map_attach(m);
	if (err)
		goto fail;
	*out = m;
	return 0;
fail:
	map_free(m);
	return err;
}

int ub_map_open(struct userbpf_rt *rt, const char *path, struct userbpf_map **out)
{
	struct userbpf_map *m;
	const struct ub_map_hdr *h;
	int err;

	*out = NULL;
	m = ub_calloc(rt, 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->rt = rt;
	m->refcnt = 1;
	m->shm.handle = -1;
	err = ub_os_shm_open(path, &m->shm);
	if (err) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: cannot open pinned map: %s", path,
		       userbpf_strerror(err));
		goto fail;
	}
	h = m->shm.base;
	err = -EINVAL;
	if (m->shm.size < sizeof(*h) || h->magic != UB_MAP_MAGIC) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: not a userbpf map", path);
		goto fail;
	}
	if (h->version != UB_MAP_VERSION || h->hdr_size != sizeof(*h)) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: map format version %u, this build reads %u", path,
		       h->version, UB_MAP_VERSION);
		goto fail;
	}
	m->def.type = h->type;
	m->def.key_size = h->key_size;
	m->def.value_size = h->value_size;
	m->def.max_entries = h->max_entries;
	m->def.map_flags = h->map_flags;
	m->def.spin_lock_off = h->spin_lock_off;
	m->def.timer_off1 = h->timer_off1;
	m->def.extra = h->extra;
	memcpy(m->def.name, h->name, sizeof(m->def.name));
	m->def.name[UB_MAP_NAME_LEN - 1] = 0;
	if (check_def(rt, &m->def, &m->ops) || h->data_off % 64 || h->data_off < sizeof(*h) ||
	    h->region_size != m->shm.size || h->ncpus == 0 ||
	    h->data_off + m->ops->data_size(&m->def, h->ncpus) > m->shm.size) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: the map's header does not match its size", path);
		goto fail;
	}
	m->readonly = !m->shm.writable;
	m->pin_path = ub_strdup(rt, path);
	err = -ENOMEM;
	if (!m->pin_path)
		goto fail;
	err = map_attach(m);
	if (err)
		goto fail;
	*out = m;
	return 0;
fail:
	map_free(m);
	return err;
}

int ub_map_pin(struct userbpf_map *m, const char *path)
{
	int err;
	char *p;

	if (m->pin_path) {
		/* A second name for the same file, as bpffs allows. */
		err = userbpf_store__link(m->pin_path, path);
		if (err)
			ub_log(m->rt, USERBPF_LOG_WARN, "%s: cannot pin map '%s' (pinned at %s): %s",
			       path, m->def.name, m->pin_path, userbpf_strerror(err));
		return err;
	}
	p = ub_strdup(m->rt, path);
	if (!p)
		return -ENOMEM;
	err = ub_os_shm_link(&m->shm, path);
	if (err) {
		ub_log(m->rt, USERBPF_LOG_WARN, "%s: cannot pin map '%s': %s", path, m->def.name,
		       userbpf_strerror(err));
		ub_free(m->rt, p);
		return err;
	}
	m->pin_path = p;
	return 0;
}

void ub_map_get(struct userbpf_map *m)
{
	m->refcnt++;
}

void ub_map_put(struct userbpf_map *m)
{
	if (m && --m->refcnt == 0)
		map_free(m);
}

static int check_user_write(struct userbpf_map *m)
{
	if (m->readonly || (m->def.map_flags & UB_F_RDONLY))
		return -EPERM;
	if (m->hdr->frozen)
		return -EPERM;
	return 0;
}

int ub_map_lookup_user(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	const void *v;

	if (m->def.map_flags & UB_F_WRONLY)
		return -EPERM;
	if (flags & ~(uint64_t)UB_F_LOCK)
		return -EINVAL;
	if ((flags & UB_F_LOCK) && m->def.spin_lock_off < 0)
		return -EINVAL;
	if (m->ops->lookup_user)
		return m->ops->lookup_user(m, key, value, flags);
	if (!m->ops->lookup)
		return -EOPNOTSUPP;
	v = m->ops->lookup(m, key);
	if (!v)
		return -ENOENT;
	if (flags & UB_F_LOCK) {
		uint32_t *l = (uint32_t *)((uint8_t *)v + m->def.spin_lock_off);

		ub_map_spin_lock(l);
		ub_map_copy_value(m, value, v);
		ub_map_spin_unlock(l);
		memset((uint8_t *)value + m->def.spin_lock_off, 0, 4);
	} else {
		memcpy(value, v, m->def.value_size);
	}
	return 0;
}

int ub_map_update_user(struct userbpf_map *m, const void *key, const void *value,
		       uint64_t flags)
{
	int err = check_user_write(m);
	uint64_t cmd = flags & ~(uint64_t)UB_F_LOCK;

	if (err)
		return err;
	if (cmd > UB_EXIST)
		return -EINVAL;
	if ((flags & UB_F_LOCK) && m->def.spin_lock_off < 0)
		return -EINVAL;
	if (m->ops->update_user)
		return m->ops->update_user(m, key, value, flags);
	if (!m->ops->update)
		return -EOPNOTSUPP;
	return (int)m->ops->update(m, key, value, flags);
}

int ub_map_delete_user(struct userbpf_map *m, const void *key)
{
	int err = check_user_write(m);

	if (err)
		return err;
	if (!m->ops->delete)
		return -EINVAL;
	return (int)m->ops->delete(m, key);
}

int ub_map_get_next_key(struct userbpf_map *m, const void *key, void *next_key)
{
	if (m->def.map_flags & UB_F_WRONLY)
		return -EPERM;
	if (!m->ops->get_next_key)
		return -EINVAL;
	return m->ops->get_next_key(m, key, next_key);
}

int ub_map_lookup_and_delete_user(struct userbpf_map *m, const void *key, void *value)
{
	int err = check_user_write(m);

	if (err)
		return err;
	if (m->ops->lookup_and_delete)
		return m->ops->lookup_and_delete(m, key, value);
	if (m->ops->pop && !key)
		return (int)m->ops->pop(m, value);
	return -EOPNOTSUPP;
}

/*
 * Batches, as BPF_MAP_*_BATCH: the batch cursor is a key.  in_batch NULL
 * starts from the first element; out_batch receives the cursor to go on
 * from.  Copies at most *count elements and sets *count to how many; when
 * the walk reaches the end it returns -ENOENT (with what it copied).  With
 * del, each element is deleted after it is copied.
 */
int ub_map_lookup_batch(struct userbpf_map *m, const void *in_batch, void *out_batch,
			void *keys, void *values, uint32_t *count, uint64_t elem_flags, bool del)
{
	size_t ks = m->def.key_size, vs = ub_map_user_value_size(m);
	uint32_t want = *count, n = 0;
	const void *prev = in_batch;
	int err = 0;

	*count = 0;
	if (!ks || !m->ops->get_next_key || (elem_flags & ~(uint64_t)UB_F_LOCK))
		return -EINVAL;
	if (!want)
		return -EINVAL;
	while (n < want) {
		uint8_t *k = (uint8_t *)keys + (size_t)n * ks;

		err = ub_map_get_next_key(m, prev, k);
		if (err)
			break;
		err = ub_map_lookup_user(m, k, (uint8_t *)values + (size_t)n * vs, elem_flags);
		if (err == -ENOENT) {	/* deleted under us: skip it */
			memcpy(out_batch, k, ks);
			prev = out_batch;
			continue;
		}
		if (err)
			break;
		memcpy(out_batch, k, ks);
		if (del) {
			err = ub_map_delete_user(m, k);
			if (err)
				break;
			/* after a delete the walk restarts, as Linux's does */
			prev = NULL;
		} else {
			prev = out_batch;
		}
		n++;
	}
	*count = n;
	return err;
}

int ub_map_update_batch(struct userbpf_map *m, const void *keys, const void *values,
			uint32_t *count, uint64_t elem_flags)
{
	size_t ks = m->def.key_size, vs = ub_map_user_value_size(m);
	uint32_t want = *count, n;
	int err = 0;

	for (n = 0; n < want; n++) {
		err = ub_map_update_user(m, (const uint8_t *)keys + (size_t)n * ks,
					 (const uint8_t *)values + (size_t)n * vs, elem_flags);
		if (err)
			break;
	}
	*count = n;
	return err;
}

int ub_map_delete_batch(struct userbpf_map *m, const void *keys, uint32_t *count)
{
	size_t ks = m->def.key_size;
	uint32_t want = *count, n;
	int err = 0;

	for (n = 0; n < want; n++) {
		err = ub_map_delete_user(m, (const uint8_t *)keys + (size_t)n * ks);
		if (err)
			break;
	}
	*count = n;
	return err;
}

/* ---- the public API -------------------------------------------------- */

struct userbpf_map *userbpf_map__create(struct userbpf_rt *rt, uint32_t type,
					const char *name, uint32_t key_size,
					uint32_t value_size, uint32_t max_entries,
					const struct userbpf_map_create_opts *opts)
{
	struct ub_map_def def = { .type = type, .key_size = key_size,
				  .value_size = value_size, .max_entries = max_entries,
				  .spin_lock_off = -1 };
	struct userbpf_map *m = NULL;
	int err;

	if (!rt)
		return ub_err_ptr(-EINVAL);
	if (name)
		snprintf(def.name, sizeof(def.name), "%s", name);
	if (OPTS_HAS(opts, map_flags))
		def.map_flags = opts->map_flags;
	if (OPTS_HAS(opts, map_extra))
		def.extra = opts->map_extra;
	err = ub_map_create(rt, &def, OPTS_HAS(opts, inner_map) ? opts->inner_map : NULL, &m);
	return err ? ub_err_ptr(err) : m;
}

struct userbpf_map *userbpf_map__open_pinned(struct userbpf_rt *rt, const char *path)
{
	struct userbpf_map *m = NULL;
	int err;

	if (!rt || !path)
		return ub_err_ptr(-EINVAL);
	err = ub_map_open(rt, path, &m);
	return err ? ub_err_ptr(err) : m;
}

int userbpf_map__pin(struct userbpf_map *map, const char *path)
{
	if (!map || !path)
		return ub_err(-EINVAL);
	return ub_err(ub_map_pin(map, path));
}

void userbpf_map__free(struct userbpf_map *map)
{
	ub_map_put(map);
}

int userbpf_map__lookup_elem(struct userbpf_map *map, const void *key, void *value,
			     uint64_t flags)
{
	return ub_err(ub_map_lookup_user(map, key, value, flags));
}

int userbpf_map__update_elem(struct userbpf_map *map, const void *key, const void *value,
			     uint64_t flags)
{
	return ub_err(ub_map_update_user(map, key, value, flags));
}

int userbpf_map__delete_elem(struct userbpf_map *map, const void *key)
{
	return ub_err(ub_map_delete_user(map, key));
}

int userbpf_map__get_next_key(struct userbpf_map *map, const void *key, void *next_key)
{
	return ub_err(ub_map_get_next_key(map, key, next_key));
}

int userbpf_map__lookup_and_delete_elem(struct userbpf_map *map, const void *key, void *value)
{
	return ub_err(ub_map_lookup_and_delete_user(map, key, value));
}

int userbpf_map__freeze(struct userbpf_map *map)
{
	if (map->readonly)
		return ub_err(-EPERM);
	atomic_store((_Atomic uint32_t *)&map->hdr->frozen, 1);
	return 0;
}

bool userbpf_map__is_frozen(const struct userbpf_map *map)
{
	return map->hdr->frozen != 0;
}

uint32_t userbpf_map__type(const struct userbpf_map *map) { return map->def.type; }
const char *userbpf_map__name(const struct userbpf_map *map) { return map->def.name; }
uint32_t userbpf_map__key_size(const struct userbpf_map *map) { return map->def.key_size; }
uint32_t userbpf_map__value_size(const struct userbpf_map *map) { return map->def.value_size; }
uint32_t userbpf_map__max_entries(const struct userbpf_map *map) { return map->def.max_entries; }
uint32_t userbpf_map__flags(const struct userbpf_map *map) { return map->def.map_flags; }
uint32_t userbpf_map__id(const struct userbpf_map *map) { return map->id; }
const char *userbpf_map__pin_path(const struct userbpf_map *map) { return map->pin_path; }
size_t userbpf_map__user_value_size(const struct userbpf_map *map)
{
	return ub_map_user_value_size(map);
}
unsigned userbpf_num_possible_cpus(void) { return ub_os_ncpus(); }

int userbpf_map__lookup_batch(struct userbpf_map *map, const void *in_batch, void *out_batch,
			      void *keys, void *values, uint32_t *count, uint64_t elem_flags)
{
	if (!map || !out_batch || !keys || !values || !count)
		return ub_err(-EINVAL);
	return ub_err(ub_map_lookup_batch(map, in_batch, out_batch, keys, values, count,
					  elem_flags, false));
}

int userbpf_map__lookup_and_delete_batch(struct userbpf_map *map, const void *in_batch,
					 void *out_batch, void *keys, void *values,
					 uint32_t *count, uint64_t elem_flags)
{
	if (!map || !out_batch || !keys || !values || !count)
		return ub_err(-EINVAL);
	return ub_err(ub_map_lookup_batch(map, in_batch, out_batch, keys, values, count,
					  elem_flags, true));
}

int userbpf_map__update_batch(struct userbpf_map *map, const void *keys, const void *values,
			      uint32_t *count, uint64_t elem_flags)
{
	if (!map || !keys || !values || !count)
		return ub_err(-EINVAL);
	return ub_err(ub_map_update_batch(map, keys, values, count, elem_flags));
}

int userbpf_map__delete_batch(struct userbpf_map *map, const void *keys, uint32_t *count)
{
	if (!map || !keys || !count)
		return ub_err(-EINVAL);
	return ub_err(ub_map_delete_batch(map, keys, count));
}
