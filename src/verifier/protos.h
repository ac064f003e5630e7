/* SPDX-License-Identifier: MIT */
/*
 * protos.h - Linux's prototypes of the helpers the verifier knows by id,
 * for runtimes that registered a function without a prototype (or none
 * yet), with the map types each helper accepts and its callback kind.
 */
#ifndef USERBPF_VERIFIER_PROTOS_H
#define USERBPF_VERIFIER_PROTOS_H

#include <stdbool.h>
#include <stdint.h>
#include "core/core_internal.h"

/* Linux map types (enum bpf_map_type) the verifier tells apart. */
enum {
	UB_MAP_HASH = 1, UB_MAP_ARRAY = 2, UB_MAP_PROG_ARRAY = 3, UB_MAP_PERF_EVENT_ARRAY = 4,
	UB_MAP_PERCPU_HASH = 5, UB_MAP_PERCPU_ARRAY = 6, UB_MAP_LRU_HASH = 9,
	UB_MAP_LRU_PERCPU_HASH = 10, UB_MAP_LPM_TRIE = 11, UB_MAP_ARRAY_OF_MAPS = 12,
	UB_MAP_HASH_OF_MAPS = 13, UB_MAP_QUEUE = 22, UB_MAP_STACK = 23, UB_MAP_RINGBUF = 27,
	UB_MAP_BLOOM_FILTER = 30,
};

/* Helper ids with a callback argument. */
enum { UB_H_LOOKUP = 1, UB_H_TAIL_CALL = 12, UB_H_SPIN_LOCK = 93, UB_H_SPIN_UNLOCK = 94,
       UB_H_FOR_EACH = 164, UB_H_TIMER_INIT = 169, UB_H_TIMER_SET_CB = 170, UB_H_LOOP = 181 };

struct ub_vfy_hproto {
	uint32_t id;
	struct ub_helper_proto p;
	uint64_t map_types;	/* bit N: map type N accepted (0: no map argument) */
};

/* The prototype of Linux helper id, or NULL when the table lacks it. */
const struct ub_vfy_hproto *ub_vfy_hproto(uint32_t id);
/* May a map of `type` be used with helper id at all (Linux's
 * check_map_func_compatibility, both directions)? */
bool ub_vfy_map_helper_ok(uint32_t type, uint32_t id, const struct ub_vfy_hproto *hp);

#endif
