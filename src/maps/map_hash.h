/* SPDX-License-Identifier: MIT */
/*
 * map_hash.h - what map_hash.c lends to map_of_maps.c: the hash table's
 * ops for HASH_OF_MAPS, whose values are 4-byte map ids, with updates and
 * deletes that say which value they replaced or removed (so that the
 * outer map can drop its reference to the inner one); and to the timer
 * helpers, which element a struct bpf_timer lies in.
 */
#ifndef USERBPF_MAP_HASH_H
#define USERBPF_MAP_HASH_H

#include "maps/map.h"

int ub_hash_check(struct userbpf_rt *rt, const struct ub_map_def *def);
size_t ub_hash_data_size(const struct ub_map_def *def, unsigned ncpus);
int ub_hash_init(struct userbpf_map *m);
int ub_hash_attach(struct userbpf_map *m);
void ub_hash_detach(struct userbpf_map *m);
void *ub_hash_lookup(struct userbpf_map *m, const void *key);
int ub_hash_lookup_user(struct userbpf_map *m, const void *key, void *value, uint64_t flags);
int ub_hash_get_next_key(struct userbpf_map *m, const void *key, void *next_key);

/* Update / delete (user side) of a map with 4-byte values; *old gets the
 * value replaced or removed, 0 when there was none. */
int ub_hash_update_u32(struct userbpf_map *m, const void *key, uint32_t value,
		       uint64_t flags, uint32_t *old);
int ub_hash_delete_u32(struct userbpf_map *m, const void *key, uint32_t *old);

/* Timers (helpers/timer_helpers.c): whether [addr, addr+size) lies inside
 * the value of an element of m (0), and whether that element is live
 * (-ENOENT when not); value and key get the element's.  -EINVAL when addr
 * is not in a value, -EOPNOTSUPP for the per-CPU families. */
int ub_hash_elem_at(struct userbpf_map *m, uint64_t addr, size_t size, void **value,
		    const void **key);

/* Process-local room for the family built on top (map_of_maps.c). */
void **ub_hash_ext(struct userbpf_map *m);

#endif
