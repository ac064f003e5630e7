/* SPDX-License-Identifier: MIT */
/*
 * map_array.c - ARRAY, PERCPU_ARRAY and PROG_ARRAY.
 *
 * Elements are preallocated and never move, so a lookup is an index check
 * and an address: lock-free by construction.  Elements are value_size
 * rounded up to 8 bytes, as Linux lays them out; a per-CPU array keeps
 * element i's slot for CPU c at (i * ncpus + c).  A PROG_ARRAY holds
 * references (store/store.h): a pinned program's store id, which any
 * process that opens the map resolves by loading the program from its
 * pin, or a program id of the runtime that filled the slot.
 *
 * An update of an ARRAY element cancels and frees the bpf_timer in it,
 * as Linux's array_map_update_elem frees the old value's special fields
 * after the copy (helpers/timer_helpers.c; one atomic load of the map's
 * timer count when it has none).
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include "exec/exec_internal.h"
#include "maps/map.h"
#include "maps/map_array.h"
#include "store/store.h"

static size_t elem_size(const struct userbpf_map *m)
{
	return ub_map_percpu_stride(m->def.value_size);
}

static int array_check(struct userbpf_rt *rt, const struct ub_map_def *def)
{
	if (def->key_size != 4 || def->value_size == 0 || def->max_entries == 0) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "map '%.16s': an array needs key_size 4, value_size > 0 and max_entries > 0 (got %u, %u, %u)",
		       def->name, def->key_size, def->value_size, def->max_entries);
		return -EINVAL;
	}
	if (def->map_flags & (UB_F_NO_PREALLOC | UB_F_NO_COMMON_LRU)) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': arrays are always preallocated",
		       def->name);
		return -EINVAL;
	}
	return 0;
}

static size_t array_data_size(const struct ub_map_def *def, unsigned ncpus)
{
	(void)ncpus;
	return (size_t)def->max_entries * ub_map_percpu_stride(def->value_size);
}

static size_t percpu_data_size(const struct ub_map_def *def, unsigned ncpus)
{
	return (size_t)def->max_entries * ub_map_percpu_stride(def->value_size) * ncpus;
}

static void *array_lookup(struct userbpf_map *m, const void *key)
{
	uint32_t i;

	memcpy(&i, key, 4);
	if (i >= m->def.max_entries)
		return NULL;
	return m->data + (size_t)i * elem_size(m);
}

static void *percpu_slot(struct userbpf_map *m, uint32_t i, unsigned cpu)
{
	return ub_percpu_array_at(m, i, cpu);
}

static void *percpu_lookup(struct userbpf_map *m, const void *key)
{
	uint32_t i;

	memcpy(&i, key, 4);
	if (i >= m->def.max_entries)
		return NULL;
	return percpu_slot(m, i, ub_os_cpu() % m->ncpus);
}

/* Linux: every element exists, so NOEXIST fails; an index past the end
 * is E2BIG. */
static long array_check_update(const struct userbpf_map *m, uint32_t i, uint64_t flags)
{
	if ((flags & ~(uint64_t)UB_F_LOCK) > UB_EXIST)
		return -EINVAL;
	if (i >= m->def.max_entries)
		return -E2BIG;
	if ((flags & ~(uint64_t)UB_F_LOCK) == UB_NOEXIST)
		return -EEXIST;
	return 0;
}

static long array_update(struct userbpf_map *m, const void *key, const void *value,
			 uint64_t flags)
{
	uint32_t i;
	uint8_t *v;
	long err;

	memcpy(&i, key, 4);
	err = array_check_update(m, i, flags);
	if (err)
		return err;
	v = m->data + (size_t)i * elem_size(m);
	if (flags & UB_F_LOCK) {
		uint32_t *l = (uint32_t *)(v + m->def.spin_lock_off);

		ub_map_spin_lock(l);
		ub_map_copy_value(m, v, value);
		ub_map_spin_unlock(l);
	} else {
		ub_map_copy_value(m, v, value);
	}
	/* Relaxed is enough: an init that this does not see is ordered
	 * after the update, and inits whatever the copy left. */
	if (atomic_load_explicit(&m->ntimers, memory_order_relaxed))
		ub_timers_forget_value(m->rt, m, v);
	return 0;
}

static long percpu_update(struct userbpf_map *m, const void *key, const void *value,
			  uint64_t flags)
{
	uint32_t i;
	long err;

	memcpy(&i, key, 4);
	err = array_check_update(m, i, flags);
	if (err)
		return err;
	if (flags & UB_F_LOCK)
		return -EINVAL;
	memcpy(percpu_slot(m, i, ub_os_cpu() % m->ncpus), value, m->def.value_size);
	return 0;
}

static int percpu_lookup_user(struct userbpf_map *m, const void *key, void *value,
			      uint64_t flags)
{
	size_t stride = elem_size(m);
	uint32_t i;

	memcpy(&i, key, 4);
	if (flags)
		return -EINVAL;
	if (i >= m->def.max_entries)
		return -ENOENT;
	/* Whole slots, padding included: Linux keeps the bytes user space
	 * wrote there. */
	for (unsigned c = 0; c < m->ncpus; c++)
		memcpy((uint8_t *)value + c * stride, percpu_slot(m, i, c), stride);
	return 0;
}

static int percpu_update_user(struct userbpf_map *m, const void *key, const void *value,
			      uint64_t flags)
{
	size_t stride = elem_size(m);
	uint32_t i;
	long err;

	memcpy(&i, key, 4);
	err = array_check_update(m, i, flags);
	if (err)
		return (int)err;
	if (flags & UB_F_LOCK)
		return -EINVAL;
	for (unsigned c = 0; c < m->ncpus; c++)
		memcpy(percpu_slot(m, i, c), (const uint8_t *)value + c * stride, stride);
	return 0;
}

static long array_delete(struct userbpf_map *m, const void *key)
{
	(void)m;
	(void)key;
	return -EINVAL;
}

static int array_get_next_key(struct userbpf_map *m, const void *key, void *next_key)
{
	uint32_t i, n;

	if (!key) {
		n = 0;
	} else {
		memcpy(&i, key, 4);
		if (i >= m->def.max_entries)
			n = 0;
		else if (i == m->def.max_entries - 1)
			return -ENOENT;
		else
			n = i + 1;
	}
	memcpy(next_key, &n, 4);
	return 0;
}

static void *array_direct_value(struct userbpf_map *m)
{
	return m->data;
}

const struct ub_map_ops ub_map_array_ops = {
	.check = array_check,
	.data_size = array_data_size,
	.lookup = array_lookup,
	.update = array_update,
	.delete = array_delete,
	.get_next_key = array_get_next_key,
	.direct_value = array_direct_value,
};

const struct ub_map_ops ub_map_percpu_array_ops = {
	.check = array_check,
	.data_size = percpu_data_size,
	.lookup = percpu_lookup,
	.update = percpu_update,
	.delete = array_delete,
	.lookup_user = percpu_lookup_user,
	.update_user = percpu_update_user,
	.get_next_key = array_get_next_key,
};

/* ---- PROG_ARRAY --------------------------------------------------------- */

/*
 * A slot is a 64-bit reference word (store/store.h): a pinned program's
 * store id, which every process resolves by loading the program from the
 * store, or a program id tagged with the runtime it belongs to.  User
 * space reads and writes the program ids of its own runtime; m->local is
 * the per-slot cache of resolved store ids.
 */
static int prog_array_check(struct userbpf_rt *rt, const struct ub_map_def *def)
{
	if (def->key_size != 4 || def->value_size != 4 || def->max_entries == 0) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "map '%.16s': a prog_array needs key_size 4, value_size 4 and max_entries > 0",
		       def->name);
		return -EINVAL;
	}
	return 0;
}

static size_t prog_array_data_size(const struct ub_map_def *def, unsigned ncpus)
{
	(void)ncpus;
	return (size_t)def->max_entries * 8;
}

static _Atomic uint64_t *prog_slot(struct userbpf_map *m, uint32_t i)
{
	return (_Atomic uint64_t *)(void *)(m->data + (size_t)i * 8);
}

static int prog_array_attach(struct userbpf_map *m)
{
	m->local = ub_calloc(m->rt, m->def.max_entries, sizeof(_Atomic uint64_t));
	return m->local ? 0 : -ENOMEM;
}

static void prog_array_detach(struct userbpf_map *m)
{
	ub_free(m->rt, m->local);
	m->local = NULL;
}

static int prog_array_lookup_user(struct userbpf_map *m, const void *key, void *value,
				  uint64_t flags)
{
	uint32_t i, id;

	memcpy(&i, key, 4);
	if (flags)
		return -EINVAL;
	if (i >= m->def.max_entries)
		return -ENOENT;
	id = ub_ref_resolve(m->rt, UB_OBJ_PROG, atomic_load(prog_slot(m, i)));
	if (!id)
		return -ENOENT;
	memcpy(value, &id, 4);
	return 0;
}

/* User side: the value is a program id of this runtime. */
static int prog_array_update_user(struct userbpf_map *m, const void *key, const void *value,
				  uint64_t flags)
{
	uint32_t i, id;
	uint64_t w;
	long err;

	memcpy(&i, key, 4);
	memcpy(&id, value, 4);
	err = array_check_update(m, i, flags);
	if (err)
		return (int)err;
	if (flags & UB_F_LOCK)
		return -EINVAL;
	w = ub_ref_encode(m->rt, UB_OBJ_PROG, id);
	if (!w)
		return -EINVAL;
	atomic_store(prog_slot(m, i), w);
	return 0;
}

static long prog_array_delete(struct userbpf_map *m, const void *key)
{
	uint32_t i;

	memcpy(&i, key, 4);
	if (i >= m->def.max_entries)
		return -E2BIG;
	return atomic_exchange(prog_slot(m, i), 0) ? 0 : -ENOENT;
}

struct userbpf_prog *ub_map_prog_array_get(struct userbpf_map *m, uint32_t i)
{
	uint64_t w;
	uint32_t id;

	if (m->def.type != UB_MAP_PROG_ARRAY || i >= m->def.max_entries)
		return NULL;
	w = atomic_load_explicit(prog_slot(m, i), memory_order_acquire);
	if (!w)
		return NULL;
	id = ub_ref_resolve_cached(m->rt, UB_OBJ_PROG, w, (_Atomic uint64_t *)m->local + i);
	return id ? ub_rt_id_get(m->rt, UB_OBJ_PROG, id) : NULL;
}

_Atomic uint64_t *ub_map_prog_array_slot(struct userbpf_map *m, uint32_t i)
{
	if (m->def.type != UB_MAP_PROG_ARRAY || i >= m->def.max_entries)
		return NULL;
	return prog_slot(m, i);
}

const struct ub_map_ops ub_map_prog_array_ops = {
	.check = prog_array_check,
	.data_size = prog_array_data_size,
	.attach = prog_array_attach,
	.detach = prog_array_detach,
	.delete = prog_array_delete,
	.lookup_user = prog_array_lookup_user,
	.update_user = prog_array_update_user,
	.get_next_key = array_get_next_key,
};
