/* SPDX-License-Identifier: MIT */
/*
 * map_array.h - where a PERCPU_ARRAY keeps its slots, for map_array.c and
 * for the JIT, which inlines lookups (exec/jit_x86_64.c): element i's
 * slot for CPU c lies at data + i * row + c * slot, slot being the value
 * rounded up to 8 bytes and row ncpus slots, as Linux lays them out.
 */
#ifndef UB_MAP_ARRAY_H
#define UB_MAP_ARRAY_H

#include "maps/map.h"

/* Bytes from one CPU's slot of an element to the next CPU's. */
static inline size_t ub_percpu_array_slot(const struct userbpf_map *m)
{
	return ub_map_percpu_stride(m->def.value_size);
}

/* Bytes from element i's slots to element i + 1's. */
static inline size_t ub_percpu_array_row(const struct userbpf_map *m)
{
	return ub_percpu_array_slot(m) * m->ncpus;
}

/* Element i's slot for CPU cpu (both in range). */
static inline void *ub_percpu_array_at(const struct userbpf_map *m, uint32_t i, unsigned cpu)
{
	return m->data + (size_t)i * ub_percpu_array_row(m) + (size_t)cpu * ub_percpu_array_slot(m);
}

#endif
