/* SPDX-License-Identifier: MIT */
/*
 * rt.c - the runtime object: allocator hook, log callback, error funnel and
 * the helper table.  Every other object of the library belongs to a runtime.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/core_internal.h"
#include "platform/platform.h"
#include "progtypes/progtypes.h"

static void *default_alloc(void *user, void *ptr, size_t osize, size_t nsize)
{
	(void)user;
	(void)osize;
	if (nsize == 0) {
		free(ptr);
		return NULL;
	}
	return realloc(ptr, nsize);
}

static void default_log(enum userbpf_log_level level, const char *msg, void *user)
{
	(void)user;
	(void)level;
	fprintf(stderr, "userbpf: %s\n", msg);
}

/* Header before each block: its size, padded to keep 16-byte alignment. */
#define UB_HDR 16

void *ub_malloc(struct userbpf_rt *rt, size_t size)
{
	unsigned char *p;

	if (size > SIZE_MAX - UB_HDR)
		return NULL;
	p = rt->alloc(rt->alloc_user, NULL, 0, size + UB_HDR);
	if (!p)
		return NULL;
	memcpy(p, &size, sizeof(size));
	return p + UB_HDR;
}

void *ub_calloc(struct userbpf_rt *rt, size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = ub_malloc(rt, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void ub_free(struct userbpf_rt *rt, void *ptr)
{
	unsigned char *p = ptr;
	size_t size;

	if (!p)
		return;
	p -= UB_HDR;
	memcpy(&size, p, sizeof(size));
	rt->alloc(rt->alloc_user, p, size + UB_HDR, 0);
}

char *ub_strdup(struct userbpf_rt *rt, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = ub_malloc(rt, n);

	if (d)
		memcpy(d, s, n);
	return d;
}

void ub_vlog(struct userbpf_rt *rt, enum userbpf_log_level level, const char *fmt,
	     va_list ap)
{
	char buf[1024];

	if (!rt || level > rt->log_level || !rt->log)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	rt->log(level, buf, rt->log_user);
}

void ub_log(struct userbpf_rt *rt, enum userbpf_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ub_vlog(rt, level, fmt, ap);
	va_end(ap);
}

int ub_err(int err)
{
	if (err < 0)
		errno = -err;
	return err;
}

void *ub_err_ptr(int err)
{
	errno = err < 0 ? -err : err;
	return NULL;
}

struct userbpf_rt *userbpf_rt__new(const struct userbpf_rt_opts *opts)
{
	userbpf_alloc_fn alloc = default_alloc;
	void *alloc_user = NULL;
	struct userbpf_rt *rt;
	int err;

	if (opts && opts->sz < sizeof(size_t))
		return ub_err_ptr(-EINVAL);
	if (OPTS_HAS(opts, alloc_user) && opts->alloc) {
		alloc = opts->alloc;
		alloc_user = opts->alloc_user;
	}
	rt = alloc(alloc_user, NULL, 0, sizeof(*rt));
	if (!rt)
		return ub_err_ptr(-ENOMEM);
	memset(rt, 0, sizeof(*rt));
	rt->alloc = alloc;
	rt->alloc_user = alloc_user;
	rt->log = default_log;
	rt->log_level = USERBPF_LOG_WARN;
	if (OPTS_HAS(opts, log_user) && opts->log) {
		rt->log = opts->log;
		rt->log_user = opts->log_user;
	}
	if (OPTS_HAS(opts, log_level))
		rt->log_level = opts->log_level;
	/* Tags this runtime's ids in shared PROG_ARRAY and map-in-map slots
	 * (store/refs.c), so that no other runtime reads them as its own:
	 * the seed and the address mixed (splitmix64), never 0 (an empty
	 * slot) nor ~0u (a store id's tag). */
	{
		uint64_t z = ub_os_random_seed() ^ (uint64_t)(uintptr_t)rt;

		do {
			z += 0x9e3779b97f4a7c15ull;
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			rt->nonce = (uint32_t)((z ^ (z >> 31)) >> 32);
		} while (rt->nonce == 0 || rt->nonce == 0xffffffffu);
	}
	if (!(OPTS_HAS(opts, no_default_helpers) && opts->no_default_helpers)) {
		err = ub_helpers_install_defaults(rt);
		if (err) {
			userbpf_rt__free(rt);
			return ub_err_ptr(err);
		}
	}
	err = ub_progtypes_install_builtin(rt);
	if (err) {
		userbpf_rt__free(rt);
		return ub_err_ptr(err);
	}
	return rt;
}

static void ids_free(struct userbpf_rt *rt);

void userbpf_rt__free(struct userbpf_rt *rt)
{
	if (!rt)
		return;
	ub_store_refs_free(rt);	/* programs and maps it loaded, first */
	for (uint32_t i = 0; i < rt->helper_cap; i++)
		ub_free(rt, rt->helpers[i].name);
	ub_free(rt, rt->helpers);
	ub_timers_free(rt);
	ids_free(rt);
	ub_progtypes_free(rt);
	rt->alloc(rt->alloc_user, rt, sizeof(*rt), 0);
}

/* Linux numbers helpers densely from 0; ids above this are host-defined
 * and still fit, the table just grows. */
#define UB_MAX_HELPER_ID 65535u

int userbpf_rt__set_helper(struct userbpf_rt *rt, uint32_t id, const char *name,
			   userbpf_helper_fn fn)
{
	char *copy;

	if (!rt || !name || !fn || id > UB_MAX_HELPER_ID)
		return ub_err(-EINVAL);
	if (id >= rt->helper_cap) {
		uint32_t cap = rt->helper_cap ? rt->helper_cap : 256;
		struct ub_helper *h;

		while (cap <= id)
			cap *= 2;
		h = ub_calloc(rt, cap, sizeof(*h));
		if (!h)
			return ub_err(-ENOMEM);
		if (rt->helper_cap)
			memcpy(h, rt->helpers, rt->helper_cap * sizeof(*h));
		ub_free(rt, rt->helpers);
		rt->helpers = h;
		rt->helper_cap = cap;
	}
	copy = ub_strdup(rt, name);
	if (!copy)
		return ub_err(-ENOMEM);
	ub_free(rt, rt->helpers[id].name);
	rt->helpers[id].name = copy;
	rt->helpers[id].fn = fn;
	rt->helpers[id].has_proto = false;
	return 0;
}

const struct ub_helper *ub_rt_helper(const struct userbpf_rt *rt, uint32_t id)
{
	if (id >= rt->helper_cap || !rt->helpers[id].fn)
		return NULL;
	return &rt->helpers[id];
}

void userbpf_rt__set_tail_resolver(struct userbpf_rt *rt, userbpf_tail_fn fn,
				   void *user)
{
	if (!rt)
		return;
	rt->tail_fn = fn;
	rt->tail_user = user;
}

const char *userbpf_strerror(int err)
{
	if (err < 0)
		err = -err;
	return strerror(err);
}

/*
 * The id table.  Writers (add, del, set_store) take rt->ids_lock: a program
 * run may add objects too, resolving a map slot's store id (store/refs.c),
 * while user space loads others.  Readers take nothing: an array that the
 * table outgrows is kept (chained through the slot before its first entry)
 * until the runtime is freed, and the array is published before the count
 * that covers it, so a reader sees a count its array holds.
 */
static void ids_lock(struct userbpf_rt *rt)
{
	while (__atomic_exchange_n(&rt->ids_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&rt->ids_lock, __ATOMIC_RELAXED))
			;
}

static void ids_unlock(struct userbpf_rt *rt)
{
	__atomic_store_n(&rt->ids_lock, 0, __ATOMIC_RELEASE);
}

/* An entry's fields as a reader sees them: a writer may change it. */
static int e_kind(const struct ub_rt_obj *e)
{
	return __atomic_load_n(&e->kind, __ATOMIC_ACQUIRE);
}

static void *e_obj(const struct ub_rt_obj *e)
{
	return __atomic_load_n(&e->obj, __ATOMIC_RELAXED);
}

static uint32_t e_store(const struct ub_rt_obj *e)
{
	/* acquire: set once the object is whole (store/refs.c finds objects
	 * by store id, lock-free) */
	return __atomic_load_n(&e->store_id, __ATOMIC_ACQUIRE);
}

static uint32_t ids_count(const struct userbpf_rt *rt, const struct ub_rt_obj **objs)
{
	uint32_t n = __atomic_load_n(&rt->nobjs, __ATOMIC_ACQUIRE);

	*objs = __atomic_load_n(&rt->objs, __ATOMIC_ACQUIRE);
	return n;
}

/* Frees every array of the table (the runtime is going away). */
static void ids_free(struct userbpf_rt *rt)
{
	struct ub_rt_obj *blk = rt->objs ? rt->objs - 1 : NULL;

	while (blk) {
		struct ub_rt_obj *next = blk->obj;

		ub_free(rt, blk);
		blk = next;
	}
	rt->objs = NULL;
}

uint32_t ub_rt_id_add(struct userbpf_rt *rt, int kind, void *obj)
{
	uint32_t id = 0;

	ids_lock(rt);
	if (rt->nobjs == rt->objs_cap) {
		uint32_t cap = rt->objs_cap ? rt->objs_cap * 2 : 16;
		/* slot 0 links to the array this one replaces */
		struct ub_rt_obj *blk = ub_calloc(rt, (size_t)cap + 1, sizeof(*blk));

		if (!blk)
			goto out;
		if (rt->nobjs)
			memcpy(blk + 1, rt->objs, rt->nobjs * sizeof(*blk));
		blk->obj = rt->objs ? rt->objs - 1 : NULL;
		__atomic_store_n(&rt->objs, blk + 1, __ATOMIC_RELEASE);
		rt->objs_cap = cap;
	}
	__atomic_store_n(&rt->objs[rt->nobjs].obj, obj, __ATOMIC_RELAXED);
	__atomic_store_n(&rt->objs[rt->nobjs].store_id, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&rt->objs[rt->nobjs].kind, kind, __ATOMIC_RELEASE);
	id = rt->nobjs + 1;
	__atomic_store_n(&rt->nobjs, id, __ATOMIC_RELEASE);
out:
	ids_unlock(rt);
	return id;
}

void ub_rt_id_del(struct userbpf_rt *rt, uint32_t id)
{
	ids_lock(rt);
	if (id >= 1 && id <= rt->nobjs) {
		__atomic_store_n(&rt->objs[id - 1].kind, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&rt->objs[id - 1].obj, NULL, __ATOMIC_RELAXED);
		__atomic_store_n(&rt->objs[id - 1].store_id, 0, __ATOMIC_RELAXED);
	}
	ids_unlock(rt);
}

void *ub_rt_id_get(const struct userbpf_rt *rt, int kind, uint32_t id)
{
	const struct ub_rt_obj *o;
	uint32_t n = ids_count(rt, &o);

	if (id < 1 || id > n || e_kind(&o[id - 1]) != kind)
		return NULL;
	return e_obj(&o[id - 1]);
}

uint32_t ub_rt_id_next(const struct userbpf_rt *rt, int kind, uint32_t after)
{
	const struct ub_rt_obj *o;
	uint32_t n = ids_count(rt, &o);

	for (uint32_t id = after + 1; id <= n; id++)
		if (e_kind(&o[id - 1]) == kind)
			return id;
	return 0;
}

void ub_rt_id_set_store(struct userbpf_rt *rt, uint32_t id, uint32_t store_id)
{
	ids_lock(rt);
	if (id >= 1 && id <= rt->nobjs && rt->objs[id - 1].kind)
		__atomic_store_n(&rt->objs[id - 1].store_id, store_id, __ATOMIC_RELEASE);
	ids_unlock(rt);
}

uint32_t ub_rt_id_store(const struct userbpf_rt *rt, uint32_t id)
{
	const struct ub_rt_obj *o;
	uint32_t n = ids_count(rt, &o);

	return id >= 1 && id <= n ? e_store(&o[id - 1]) : 0;
}

uint32_t ub_rt_id_by_store(const struct userbpf_rt *rt, int kind, uint32_t store_id)
{
	const struct ub_rt_obj *o;
	uint32_t n = ids_count(rt, &o);

	if (!store_id)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (e_kind(&o[i]) == kind && e_store(&o[i]) == store_id)
			return i + 1;
	return 0;
}

bool ub_rt_id_has(const struct userbpf_rt *rt, int kind, const void *obj)
{
	const struct ub_rt_obj *o;
	uint32_t n = ids_count(rt, &o);

	for (uint32_t i = 0; i < n; i++)
		if (e_kind(&o[i]) == kind && e_obj(&o[i]) == obj)
			return true;
	return false;
}

void userbpf_rt__set_trace(struct userbpf_rt *rt, userbpf_trace_fn fn, void *user)
{
	if (rt) {
		rt->trace_fn = fn;
		rt->trace_user = user;
	}
}
