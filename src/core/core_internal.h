/* SPDX-License-Identifier: MIT */
/*
 * core_internal.h - the runtime object and the services every layer uses:
 * the allocator hook, the log, and the helper table.
 *
 * Nothing here is global: all of it hangs off struct userbpf_rt, which the
 * host creates.  Inside the library, errors are negative errno values; the
 * public functions turn them into errno/NULL through ub_err()/ub_err_ptr().
 */
#ifndef USERBPF_CORE_INTERNAL_H
#define USERBPF_CORE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "userbpf/userbpf.h"

#if defined(__GNUC__)
#if defined(__MINGW32__)
#define UB_PRINTF(a, b) __attribute__((format(gnu_printf, a, b)))
#else
#define UB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#endif
#define UB_LIKELY(x) __builtin_expect(!!(x), 1)
#define UB_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define UB_PRINTF(a, b)
#define UB_LIKELY(x) (x)
#define UB_UNLIKELY(x) (x)
#endif

/* Options structs grow at their end: read the fields the caller's size
 * covers, default the rest. */
#define OPTS_HAS(opts, field)                                                  \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +         \
				      sizeof((opts)->field))

/* Helper prototypes, as the verifier reads them (Linux's arg types). */
enum ub_arg_type {
	UB_ARG_NONE = 0,	/* not an argument */
	UB_ARG_ANY,		/* any initialised value */
	UB_ARG_CTX,		/* the context pointer */
	UB_ARG_MAP,		/* a map */
	UB_ARG_MAP_KEY,		/* readable memory of the map's key size */
	UB_ARG_MAP_VALUE,	/* readable memory of the map's value size */
	UB_ARG_MEM,		/* readable, initialised memory; size in the next arg */
	UB_ARG_MEM_UNINIT,	/* writable memory; size in the next arg */
	UB_ARG_SIZE,		/* a constant-bounded size > 0 */
	UB_ARG_SIZE_OR_ZERO,	/* a constant-bounded size >= 0 */
	UB_ARG_FUNC,		/* a callback (lddw src=4) */
	/* with maps (the map is the helper's UB_ARG_MAP argument) */
	UB_ARG_MAP_VALUE_UNINIT,/* writable memory of the map's value size */
	UB_ARG_MEM_OR_NULL,	/* as UB_ARG_MEM, or the constant 0 */
	UB_ARG_CONST_SIZE,	/* a known constant size > 0 */
	UB_ARG_RINGBUF_MEM,	/* memory from bpf_ringbuf_reserve, released here */
	UB_ARG_PTR_TO_LONG,	/* 8 writable bytes */
	UB_ARG_CONST_STR,	/* a string in a read-only map value */
	UB_ARG_STACK_OR_NULL,	/* a stack pointer or 0, handed to a callback */
	UB_ARG_SPIN_LOCK,	/* a struct bpf_spin_lock in a map value */
	UB_ARG_TIMER,		/* a struct bpf_timer in a map value */
	UB_ARG_MEM_OR_NULL_W,	/* writable memory or 0; size in the next arg */
};
enum ub_ret_type { UB_RET_INT = 0, UB_RET_VOID, UB_RET_MAP_VALUE_OR_NULL, UB_RET_MEM_OR_NULL,
		   UB_RET_RINGBUF_MEM_OR_NULL };
struct ub_helper_proto {
	uint8_t ret;		/* enum ub_ret_type */
	uint8_t args[5];	/* enum ub_arg_type */
};

/* Objects the runtime numbers, as the kernel gives programs and maps ids.
 * Ids start at 1 and are not reused while the runtime lives. */
enum ub_obj_kind { UB_OBJ_NONE = 0, UB_OBJ_PROG = 1, UB_OBJ_MAP = 2 };
struct ub_rt_obj {
	int kind;
	void *obj;	/* not owned */
	uint32_t store_id;	/* its store id (src/store/refs.c), 0: none known */
};

struct ub_helper {
	userbpf_helper_fn fn;
	char *name;	/* owned */
	bool has_proto;	/* without one, arguments are not checked */
	struct ub_helper_proto proto;
};

struct userbpf_rt {
	userbpf_alloc_fn alloc;
	void *alloc_user;
	userbpf_log_fn log;
	void *log_user;
	enum userbpf_log_level log_level;
	struct ub_helper *helpers;	/* indexed by Linux helper id; owned */
	uint32_t helper_cap;
	userbpf_tail_fn tail_fn;
	void *tail_user;
	userbpf_trace_fn trace_fn;	/* bpf_trace_printk's sink, or NULL */
	void *trace_user;
	struct ub_prog_types *prog_types; /* progtypes/progtype.c; owned */
	struct ub_timers *timers;	/* helpers/timer_helpers.c; owned, made lazily */
	struct ub_rt_obj *objs;		/* id - 1 -> object; owned array, and
					 * the ones it replaced (rt.c) */
	uint32_t nobjs, objs_cap;
	uint32_t ids_lock;		/* writers of the id table */
	uint32_t refs_lock;		/* store/refs.c: resolving store ids */
	uint32_t paths_lock;		/* store/refs.c: program pin paths */
	uint32_t nonce;			/* tags this runtime's ids in shared map slots */
	struct ub_store_refs *refs;	/* store/refs.c: objects resolved from store
					 * ids; owned, made lazily */
};

/* Allocation through the runtime's hook.  ub_free accepts NULL.  The size
 * of each block is kept in a small header so callers need not track it. */
void *ub_malloc(struct userbpf_rt *rt, size_t size);
void *ub_calloc(struct userbpf_rt *rt, size_t n, size_t size);
void ub_free(struct userbpf_rt *rt, void *ptr);
char *ub_strdup(struct userbpf_rt *rt, const char *s);

void ub_log(struct userbpf_rt *rt, enum userbpf_log_level level, const char *fmt,
	    ...) UB_PRINTF(3, 4);
void ub_vlog(struct userbpf_rt *rt, enum userbpf_log_level level, const char *fmt,
	     va_list ap);

/* The error funnel of the public API: errno = -err, then return value. */
int ub_err(int err);
void *ub_err_ptr(int err);

/* Reads the whole file at path into memory from ub_malloc (*data, owned
 * by the caller).  Returns 0 or a negative errno. */
int ub_read_file(struct userbpf_rt *rt, const char *path, uint8_t **data, size_t *len);

/* The id table: add returns the new id, or 0 when out of memory.  Safe
 * to read while another thread adds (see rt.c). */
uint32_t ub_rt_id_add(struct userbpf_rt *rt, int kind, void *obj);
void ub_rt_id_del(struct userbpf_rt *rt, uint32_t id);
/* The object of that kind with that id, or NULL. */
void *ub_rt_id_get(const struct userbpf_rt *rt, int kind, uint32_t id);
/* The first id above `after` that holds an object of that kind, or 0. */
uint32_t ub_rt_id_next(const struct userbpf_rt *rt, int kind, uint32_t after);
/* Is obj a live object of that kind?  (Checked mode validates pointers a
 * program hands to helpers with it.) */
bool ub_rt_id_has(const struct userbpf_rt *rt, int kind, const void *obj);
/* The store id (src/store/refs.c) of object id: set, read (0: none), and
 * the live object of that kind with that store id (its id, or 0). */
void ub_rt_id_set_store(struct userbpf_rt *rt, uint32_t id, uint32_t store_id);
uint32_t ub_rt_id_store(const struct userbpf_rt *rt, uint32_t id);
uint32_t ub_rt_id_by_store(const struct userbpf_rt *rt, int kind, uint32_t store_id);
/* Frees the objects the runtime resolved from store ids (refs.c). */
void ub_store_refs_free(struct userbpf_rt *rt);

/* Linux's name of helper id ("bpf_ktime_get_ns"), or NULL when unknown. */
const char *ub_helper_linux_name(uint32_t id);
/* The runtime's helper for id, or NULL. */
const struct ub_helper *ub_rt_helper(const struct userbpf_rt *rt, uint32_t id);
/* bpf_timer (helpers/timer_helpers.c): stops the runtime's timer thread
 * and frees its timers; forgets the timers of a program or a map that is
 * going away (either may be NULL). */
struct userbpf_map;
void ub_timers_free(struct userbpf_rt *rt);
void ub_timers_forget(struct userbpf_rt *rt, const struct userbpf_prog *prog,
		      const struct userbpf_map *map);
/* A hash map's element (its value at value) was unlinked and is about to
 * be retired, or an ARRAY element was updated: its timer, if it has one,
 * is cancelled and freed (a callback running now finishes first: on
 * memory the epoch still keeps (hash), or waited for (ARRAY)). */
void ub_timers_forget_value(struct userbpf_rt *rt, const struct userbpf_map *map,
			    const void *value);

/* Installs the default helpers (src/helpers). */
int ub_helpers_install_defaults(struct userbpf_rt *rt);

#endif
