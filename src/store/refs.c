/* SPDX-License-Identifier: MIT */
/*
 * refs.c - references from shared map slots to programs and maps: the
 * words PROG_ARRAY and ARRAY_OF_MAPS slots hold (store.h), made from a
 * runtime's objects and resolved back into another runtime's, loading a
 * pinned program or opening a pinned map the first time a process meets
 * its store id.  The objects loaded that way belong to the runtime (a
 * list here) until userbpf_rt__free(); they cannot belong to the map
 * handle that met them, since a program may refer back to that map.
 *
 * Threads: a program run resolves a slot it meets for the first time,
 * while other threads of the runtime may run programs or load others.
 * The id table is safe for that (core/rt.c); resolving takes
 * rt->refs_lock (a spin lock: it is taken once per store id and runtime),
 * and the program pin paths noted for registration have their own lock,
 * never held while taking another.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include "exec/exec_internal.h"
#include "maps/map.h"
#include "store/store.h"

struct ub_store_refs {
	/* what resolution loaded: UB_OBJ_PROG, a struct userbpf_prog_pin
	 * (owning the program); UB_OBJ_MAP, a map reference.  Under
	 * rt->refs_lock. */
	size_t n, cap;
	struct ub_store_ref {
		int kind;
		void *obj;
	} *v;
	/* where this runtime's programs are pinned, to register them in the
	 * store when a slot first names them.  Under rt->paths_lock. */
	size_t np, pcap;
	struct ub_prog_path {
		uint32_t id;
		bool registered;
		char *path;	/* owned */
	} *p;
};

static void lock(uint32_t *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			;
}

static void unlock(uint32_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* rt->refs, made on first use (by whichever thread gets there first). */
static struct ub_store_refs *refs_of(struct userbpf_rt *rt)
{
	struct ub_store_refs *r = __atomic_load_n(&rt->refs, __ATOMIC_ACQUIRE), *none = NULL;

	if (r)
		return r;
	r = ub_calloc(rt, 1, sizeof(*r));
	if (r && !__atomic_compare_exchange_n(&rt->refs, &none, r, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE)) {
		ub_free(rt, r);
		r = none;
	}
	return r;
}

void ub_store_refs_free(struct userbpf_rt *rt)
{
	struct ub_store_refs *r = rt->refs;

	if (!r)
		return;
	rt->refs = NULL;
	/* programs first: they hold references to maps */
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].kind == UB_OBJ_PROG)
			userbpf_prog_pin__close(r->v[i].obj);
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].kind == UB_OBJ_MAP)
			ub_map_put(r->v[i].obj);
	for (size_t i = 0; i < r->np; i++)
		ub_free(rt, r->p[i].path);
	ub_free(rt, r->v);
	ub_free(rt, r->p);
	ub_free(rt, r);
}

/* Grows an array of n elements of size sz to hold one more. */
static int grow(struct userbpf_rt *rt, void **arr, size_t n, size_t *cap, size_t sz)
{
	size_t c = *cap ? 2 * *cap : 8;
	void *v;

	if (n < *cap)
		return 0;
	v = ub_calloc(rt, c, sz);
	if (!v)
		return -ENOMEM;
	if (n)
		memcpy(v, *arr, n * sz);
	ub_free(rt, *arr);
	*arr = v;
	*cap = c;
	return 0;
}

/* Keeps what resolution loaded (rt->refs_lock held). */
static int refs_keep(struct userbpf_rt *rt, int kind, void *obj)
{
	struct ub_store_refs *r = refs_of(rt);

	if (!r || grow(rt, (void **)&r->v, r->n, &r->cap, sizeof(*r->v)))
		return -ENOMEM;
	r->v[r->n].kind = kind;
	r->v[r->n].obj = obj;
	r->n++;
	return 0;
}

void ub_store_note_prog(struct userbpf_rt *rt, uint32_t id, const char *real, intptr_t fd)
{
	struct ub_store_refs *r;
	uint64_t ino;
	char *path;

	if (ub_store_ino(fd, real, &ino) || !ino || ino >= UB_REF_STORE)
		return;
	r = refs_of(rt);
	path = r ? ub_strdup(rt, real) : NULL;
	if (!path)
		return;
	lock(&rt->paths_lock);
	if (grow(rt, (void **)&r->p, r->np, &r->pcap, sizeof(*r->p))) {
		ub_free(rt, path);
	} else {
		r->p[r->np].id = id;
		r->p[r->np].registered = false;
		r->p[r->np].path = path;
		r->np++;
		path = NULL;
	}
	unlock(&rt->paths_lock);
	if (!path)
		ub_rt_id_set_store(rt, id, (uint32_t)ino);
}

/* A program's store id, registered: 0 when it has none or registering
 * fails (a pin on another file system than the store). */
static uint32_t prog_store_id(struct userbpf_rt *rt, uint32_t id)
{
	uint32_t sid = ub_rt_id_store(rt, id), got, ret = 0;
	struct ub_store_refs *r = __atomic_load_n(&rt->refs, __ATOMIC_ACQUIRE);

	if (!sid || !r)
		return 0;
	lock(&rt->paths_lock);
	for (size_t i = r->np; i-- > 0;) {
		struct ub_prog_path *e = &r->p[i];

		if (e->id != id)
			continue;
		if (!e->registered && ub_store_register(e->path, sid, &got) == 0)
			e->registered = true;
		ret = e->registered ? sid : 0;
		break;
	}
	unlock(&rt->paths_lock);
	return ret;
}

int ub_store_map_id(struct userbpf_map *m, uint32_t *sid)
{
	uint64_t ino, named;
	uint32_t known = ub_rt_id_store(m->rt, m->id);
	int err;

	if (known) {
		*sid = known;
		return 0;
	}
	if (!m->pin_path)
		return -ENOENT;
	/* The file mapped, which the pin must still name. */
	err = ub_store_ino(m->shm.handle, m->pin_path, &ino);
	if (!err)
		err = ub_store_ino(-1, m->pin_path, &named);
	if (!err && named != ino)
		err = -ENOENT;	/* the pin now names another file */
	if (!err)
		err = ub_store_register(m->pin_path, ino, sid);
	if (!err)
		ub_rt_id_set_store(m->rt, m->id, *sid);
	return err;
}

static uint32_t store_id_of(struct userbpf_rt *rt, int kind, uint32_t id)
{
	uint32_t sid = 0;

	if (kind == UB_OBJ_PROG)
		return prog_store_id(rt, id);
	{
		struct userbpf_map *m = ub_rt_id_get(rt, UB_OBJ_MAP, id);

		if (!m || ub_store_map_id(m, &sid))
			sid = 0;
	}
	return sid;
}

uint64_t ub_ref_encode(struct userbpf_rt *rt, int kind, uint32_t id)
{
	uint32_t sid;

	if (!id || !ub_rt_id_get(rt, kind, id))
		return 0;
	sid = store_id_of(rt, kind, id);
	return sid ? (uint64_t)UB_REF_STORE << 32 | sid : (uint64_t)rt->nonce << 32 | id;
}

/* Brings the object with store id sid into this runtime: its id, or 0. */
static uint32_t load_store_id(struct userbpf_rt *rt, int kind, uint32_t sid)
{
	char path[4096];
	int err = ub_store_ref_path(sid, path, sizeof(path)), k;

	if (err)
		return 0;
	k = ub_store_kind_of(path);
	if (k != (kind == UB_OBJ_PROG ? USERBPF_PIN_PROG : USERBPF_PIN_MAP)) {
		ub_log(rt, USERBPF_LOG_WARN, "store id %u: %s", sid,
		       k < 0 ? "no such object in the store" : "not the kind of object the slot holds");
		return 0;
	}
	if (kind == UB_OBJ_MAP) {
		struct userbpf_map *m;

		if (ub_map_open(rt, path, &m))
			return 0;
		if (refs_keep(rt, UB_OBJ_MAP, m)) {
			ub_map_put(m);
			return 0;
		}
		ub_rt_id_set_store(rt, m->id, sid);
		return m->id;
	} else {
		struct userbpf_prog_pin *pin = userbpf_prog_pin__open(rt, path);
		struct userbpf_prog *prog = pin ? userbpf_prog_pin__load(pin) : NULL;

		if (!prog || refs_keep(rt, UB_OBJ_PROG, pin)) {
			userbpf_prog_pin__close(pin);
			return 0;
		}
		/* A program proved safe may be entered from a fast run (and
		 * the JIT); one the verifier refuses still serves checked runs. */
		userbpf_prog__verify(prog, NULL);
		ub_rt_id_set_store(rt, prog->id, sid);
		return prog->id;
	}
}

/* The object with store id sid in this runtime, brought in if need be.
 * Resolving never runs a program, so a thread never waits for itself. */
static uint32_t resolve_store(struct userbpf_rt *rt, int kind, uint32_t sid)
{
	uint32_t rid = ub_rt_id_by_store(rt, kind, sid);

	if (rid)
		return rid;
	lock(&rt->refs_lock);
	rid = ub_rt_id_by_store(rt, kind, sid);	/* another thread's, meanwhile */
	if (!rid)
		rid = load_store_id(rt, kind, sid);
	unlock(&rt->refs_lock);
	return rid;
}

uint32_t ub_ref_resolve(struct userbpf_rt *rt, int kind, uint64_t word)
{
	uint32_t tag = (uint32_t)(word >> 32), id = (uint32_t)word;

	if (!word)
		return 0;
	if (tag == rt->nonce)
		return ub_rt_id_get(rt, kind, id) ? id : 0;
	if (tag != UB_REF_STORE || !id)
		return 0;
	return resolve_store(rt, kind, id);
}

uint32_t ub_ref_resolve_cached(struct userbpf_rt *rt, int kind, uint64_t word,
			       _Atomic uint64_t *cache)
{
	uint32_t sid = (uint32_t)word, rid;
	uint64_t c;

	if ((uint32_t)(word >> 32) != UB_REF_STORE)
		return ub_ref_resolve(rt, kind, word);
	/* cache: store id << 32 | our id (0: it could not be resolved) */
	c = atomic_load_explicit(cache, memory_order_acquire);
	if ((uint32_t)(c >> 32) == sid) {
		rid = (uint32_t)c;
		if (!rid || ub_rt_id_get(rt, kind, rid))
			return rid;
	}
	rid = ub_ref_resolve(rt, kind, word);
	/* release: whoever reads it sees the object whole */
	atomic_store_explicit(cache, (uint64_t)sid << 32 | rid, memory_order_release);
	return rid;
}

int ub_ref_store_id(struct userbpf_rt *rt, int kind, uint64_t word, uint32_t *sid)
{
	uint32_t tag = (uint32_t)(word >> 32), id = (uint32_t)word;

	if (word && tag == UB_REF_STORE) {
		*sid = id;
		return 0;
	}
	if (!word || tag != rt->nonce || !ub_rt_id_get(rt, kind, id))
		return -ENOENT;
	*sid = store_id_of(rt, kind, id);
	return *sid ? 0 : -EXDEV;
}

/* A PROG_ARRAY's or ARRAY_OF_MAPS's slot i (HASH_OF_MAPS: entry i of
 * its table) and the kind it names; NULL past the end or for another
 * type. */
static _Atomic uint64_t *ref_slot(struct userbpf_map *m, uint32_t i, int *kind)
{
	*kind = m->def.type == UB_MAP_PROG_ARRAY ? UB_OBJ_PROG : UB_OBJ_MAP;
	switch (m->def.type) {
	case UB_MAP_PROG_ARRAY: return ub_map_prog_array_slot(m, i);
	case UB_MAP_ARRAY_OF_MAPS: return ub_map_aom_slot(m, i);
	case UB_MAP_HASH_OF_MAPS: return ub_map_hom_entry(m, i);
	default: return NULL;
	}
}

void ub_ref_upgrade(struct userbpf_rt *rt)
{
	for (uint32_t mid = ub_rt_id_next(rt, UB_OBJ_MAP, 0); mid;
	     mid = ub_rt_id_next(rt, UB_OBJ_MAP, mid)) {
		struct userbpf_map *m = ub_rt_id_get(rt, UB_OBJ_MAP, mid);
		int kind;

		if (!m || m->readonly || (m->def.type != UB_MAP_PROG_ARRAY &&
				    m->def.type != UB_MAP_ARRAY_OF_MAPS &&
				    m->def.type != UB_MAP_HASH_OF_MAPS))
			continue;
		for (uint32_t i = 0;; i++) {
			_Atomic uint64_t *slot = ref_slot(m, i, &kind);
			uint64_t w;
			uint32_t sid;

			if (!slot)
				break;
			w = atomic_load(slot);
			if (!w || (uint32_t)(w >> 32) != rt->nonce ||
			    !ub_rt_id_get(rt, kind, (uint32_t)w))
				continue;
			sid = store_id_of(rt, kind, (uint32_t)w);
			/* unless another writer got there first */
			if (sid)
				atomic_compare_exchange_strong(slot, &w,
							       (uint64_t)UB_REF_STORE << 32 | sid);
		}
	}
}

int userbpf_map__lookup_ref(struct userbpf_map *map, const void *key, uint64_t *id)
{
	uint64_t w = 0;
	uint32_t i, sid = 0;
	int kind = UB_OBJ_MAP, err;

	if (!map || !key || !id)
		return ub_err(-EINVAL);
	if (map->def.map_flags & UB_F_WRONLY)
		return ub_err(-EPERM);
	memcpy(&i, key, 4);
	switch (map->def.type) {
	case UB_MAP_PROG_ARRAY:
	case UB_MAP_ARRAY_OF_MAPS: {
		_Atomic uint64_t *slot = ref_slot(map, i, &kind);	/* i: the key */

		err = slot ? 0 : -ENOENT;
		if (slot)
			w = atomic_load(slot);
		break;
	}
	case UB_MAP_HASH_OF_MAPS: {
		_Atomic uint64_t *slot = ub_map_hom_slot(map, key);

		err = slot ? 0 : -ENOENT;
		if (slot)
			w = atomic_load(slot);
		break;
	}
	default:
		err = -EINVAL;
	}
	if (!err)
		err = ub_ref_store_id(map->rt, kind, w, &sid);
	if (!err)
		*id = sid;
	return ub_err(err);
}
