/* SPDX-License-Identifier: MIT */
/*
 * store.h - what src/store lends the rest of the library: store ids, the
 * store-wide identity of pinned maps and programs, and the references
 * that PROG_ARRAY and map-in-map slots hold in shared memory.
 *
 * A store id is the inode of an object's file (the id `map show` and
 * `prog show` print).  When a slot first names an object it is registered
 * as a hard link ROOT/.maps/.ids/<id>, so that any process can find the
 * object by id alone, and so that it lives on while slots may name it, as
 * a kernel object lives while a prog_array or map-in-map holds it.  (The
 * registry is never pruned.)
 *
 * A slot is one 64-bit word:
 *     0                              empty
 *     UB_REF_STORE << 32 | store id  a pinned object, for every process
 *     rt->nonce << 32 | id           an object of one runtime (its id);
 *                                    empty to every other runtime
 * A runtime resolves a store id into one of its own objects lazily, the
 * first time a slot is read: the live object with that store id, else
 * the map opened or the program loaded from the registry, which the
 * runtime then owns until userbpf_rt__free().
 */
#ifndef USERBPF_STORE_H
#define USERBPF_STORE_H

#include <stdatomic.h>
#include <stdint.h>
#include "core/core_internal.h"

#define UB_REF_STORE 0xffffffffu

struct userbpf_map;

/* The word for object `id` of this runtime (of kind): a store word when
 * the object is pinned in the store (registering it), else a runtime
 * word.  0 when id names no live object of that kind. */
uint64_t ub_ref_encode(struct userbpf_rt *rt, int kind, uint32_t id);
/* The id of the object of kind a word names, in this runtime (opened or
 * loaded from the store the first time), or 0. */
uint32_t ub_ref_resolve(struct userbpf_rt *rt, int kind, uint64_t word);
/* The same through a process-local cache word per slot (zeroed at
 * first), so that the hot path (tail calls, lookups from programs) costs
 * two loads once a store id is resolved. */
uint32_t ub_ref_resolve_cached(struct userbpf_rt *rt, int kind, uint64_t word,
			       _Atomic uint64_t *cache);
/* The store id a word names: 0, -ENOENT (empty, or another runtime's
 * object), -EXDEV (an object of this runtime that is not in the store). */
int ub_ref_store_id(struct userbpf_rt *rt, int kind, uint64_t word, uint32_t *sid);

/* Rewrites every slot of this runtime's PROG_ARRAY and map-in-map maps
 * that holds one of its objects by runtime id into a store word,
 * where the object has come into the store since (a program pinned after
 * the object loader filled the slots). */
void ub_ref_upgrade(struct userbpf_rt *rt);

/* A map's store id (its file's, registered); -ENOENT when it is not
 * pinned, -EOVERFLOW when the inode does not fit 32 bits, -EXDEV when
 * the pin lies on another file system than the store. */
int ub_store_map_id(struct userbpf_map *m, uint32_t *sid);

/* A program pinned at real (or loaded from there; fd: the open file, or
 * -1): its store id, registered once a slot names it. */
void ub_store_note_prog(struct userbpf_rt *rt, uint32_t id, const char *real, intptr_t fd);

/* store.c: registers the object pinned at real path (whose inode is
 * ino) as ROOT/.maps/.ids/<ino>; *sid = ino. */
int ub_store_register(const char *real, uint64_t ino, uint32_t *sid);
/* The registry path of a store id. */
int ub_store_ref_path(uint32_t sid, char *buf, size_t size);
/* USERBPF_PIN_MAP / _PROG / _NONE for a real path, or -errno. */
int ub_store_kind_of(const char *real);
/* The inode of an open file (fd) or of a path (fd < 0): 0 or -errno. */
int ub_store_ino(intptr_t fd, const char *path, uint64_t *ino);

#endif
