/* SPDX-License-Identifier: MIT */
/*
 * protos.c - Linux's helper prototypes as the verifier reads them, keyed
 * by Linux helper id.  The runtime's own prototype (ub_helper.proto) wins
 * when it has one; this table serves the helpers whose functions the map,
 * ringbuf and string layers register without one.
 */
#include <stddef.h>
#include "verifier/protos.h"

#define M(t) (1ull << (t))
#define GENERIC_MAPS (M(UB_MAP_HASH) | M(UB_MAP_ARRAY) | M(UB_MAP_PERCPU_HASH) |              \
		      M(UB_MAP_PERCPU_ARRAY) | M(UB_MAP_LRU_HASH) | M(UB_MAP_LRU_PERCPU_HASH) |  \
		      M(UB_MAP_LPM_TRIE))
#define ITER_MAPS (M(UB_MAP_HASH) | M(UB_MAP_ARRAY) | M(UB_MAP_PERCPU_HASH) |                 \
		   M(UB_MAP_PERCPU_ARRAY) | M(UB_MAP_LRU_HASH) | M(UB_MAP_LRU_PERCPU_HASH))

static const struct ub_vfy_hproto table[] = {
	{ 1, { UB_RET_MAP_VALUE_OR_NULL, { UB_ARG_MAP, UB_ARG_MAP_KEY } },
	  GENERIC_MAPS | M(UB_MAP_ARRAY_OF_MAPS) | M(UB_MAP_HASH_OF_MAPS) },
	{ 2, { UB_RET_INT, { UB_ARG_MAP, UB_ARG_MAP_KEY, UB_ARG_MAP_VALUE, UB_ARG_ANY } }, GENERIC_MAPS },
	{ 3, { UB_RET_INT, { UB_ARG_MAP, UB_ARG_MAP_KEY } }, GENERIC_MAPS },
	{ 4, { UB_RET_INT, { UB_ARG_MEM_UNINIT, UB_ARG_SIZE_OR_ZERO, UB_ARG_ANY } }, 0 },
	{ 5, { UB_RET_INT, { 0 } }, 0 },
	/* Linux declares only fmt and its size: the arguments may be unset */
	{ 6, { UB_RET_INT, { UB_ARG_MEM, UB_ARG_SIZE } }, 0 },
	{ 7, { UB_RET_INT, { 0 } }, 0 },
	{ 8, { UB_RET_INT, { 0 } }, 0 },
	{ 12, { UB_RET_VOID, { UB_ARG_CTX, UB_ARG_MAP, UB_ARG_ANY } }, M(UB_MAP_PROG_ARRAY) },
	{ 14, { UB_RET_INT, { 0 } }, 0 },
	{ 15, { UB_RET_INT, { 0 } }, 0 },
	{ 16, { UB_RET_INT, { UB_ARG_MEM_UNINIT, UB_ARG_SIZE } }, 0 },
	{ 25, { UB_RET_INT, { UB_ARG_CTX, UB_ARG_MAP, UB_ARG_ANY, UB_ARG_MEM, UB_ARG_SIZE_OR_ZERO } },
	  M(UB_MAP_PERF_EVENT_ARRAY) },
	{ 28, { UB_RET_INT, { UB_ARG_MEM_OR_NULL, UB_ARG_SIZE_OR_ZERO, UB_ARG_MEM_OR_NULL,
			      UB_ARG_SIZE_OR_ZERO, UB_ARG_ANY } }, 0 },
	{ 87, { UB_RET_INT, { UB_ARG_MAP, UB_ARG_MAP_VALUE, UB_ARG_ANY } },
	  M(UB_MAP_QUEUE) | M(UB_MAP_STACK) | M(UB_MAP_BLOOM_FILTER) },
	{ 88, { UB_RET_INT, { UB_ARG_MAP, UB_ARG_MAP_VALUE_UNINIT } }, M(UB_MAP_QUEUE) | M(UB_MAP_STACK) },
	{ 89, { UB_RET_INT, { UB_ARG_MAP, UB_ARG_MAP_VALUE_UNINIT } },
	  M(UB_MAP_QUEUE) | M(UB_MAP_STACK) | M(UB_MAP_BLOOM_FILTER) },
	{ 93, { UB_RET_VOID, { UB_ARG_SPIN_LOCK } }, 0 },
	{ 94, { UB_RET_VOID, { UB_ARG_SPIN_LOCK } }, 0 },
	{ 105, { UB_RET_INT, { UB_ARG_MEM, UB_ARG_SIZE, UB_ARG_ANY, UB_ARG_PTR_TO_LONG } }, 0 },
	{ 106, { UB_RET_INT, { UB_ARG_MEM, UB_ARG_SIZE, UB_ARG_ANY, UB_ARG_PTR_TO_LONG } }, 0 },
	{ 112, { UB_RET_INT, { UB_ARG_MEM_UNINIT, UB_ARG_SIZE_OR_ZERO, UB_ARG_ANY } }, 0 },
	{ 113, { UB_RET_INT, { UB_ARG_MEM_UNINIT, UB_ARG_SIZE_OR_ZERO, UB_ARG_ANY } }, 0 },
	{ 114, { UB_RET_INT, { UB_ARG_MEM_UNINIT, UB_ARG_SIZE_OR_ZERO, UB_ARG_ANY } }, 0 },
	{ 115, { UB_RET_INT, { UB_ARG_MEM_UNINIT, UB_ARG_SIZE_OR_ZERO, UB_ARG_ANY } }, 0 },
	{ 118, { UB_RET_INT, { 0 } }, 0 },
	{ 125, { UB_RET_INT, { 0 } }, 0 },
	{ 130, { UB_RET_INT, { UB_ARG_MAP, UB_ARG_MEM, UB_ARG_SIZE_OR_ZERO, UB_ARG_ANY } },
	  M(UB_MAP_RINGBUF) },
	{ 131, { UB_RET_RINGBUF_MEM_OR_NULL, { UB_ARG_MAP, UB_ARG_CONST_SIZE, UB_ARG_ANY } },
	  M(UB_MAP_RINGBUF) },
	{ 132, { UB_RET_VOID, { UB_ARG_RINGBUF_MEM, UB_ARG_ANY } }, 0 },
	{ 133, { UB_RET_VOID, { UB_ARG_RINGBUF_MEM, UB_ARG_ANY } }, 0 },
	{ 134, { UB_RET_INT, { UB_ARG_MAP, UB_ARG_ANY } }, M(UB_MAP_RINGBUF) },
	{ 160, { UB_RET_INT, { 0 } }, 0 },
	{ 164, { UB_RET_INT, { UB_ARG_MAP, UB_ARG_FUNC, UB_ARG_STACK_OR_NULL, UB_ARG_ANY } }, ITER_MAPS },
	{ 165, { UB_RET_INT, { UB_ARG_MEM_OR_NULL_W, UB_ARG_SIZE_OR_ZERO, UB_ARG_CONST_STR,
			       UB_ARG_MEM_OR_NULL, UB_ARG_SIZE_OR_ZERO } }, 0 },
	{ 169, { UB_RET_INT, { UB_ARG_TIMER, UB_ARG_MAP, UB_ARG_ANY } },
	  M(UB_MAP_HASH) | M(UB_MAP_ARRAY) | M(UB_MAP_LRU_HASH) },
	{ 170, { UB_RET_INT, { UB_ARG_TIMER, UB_ARG_FUNC } }, 0 },
	{ 171, { UB_RET_INT, { UB_ARG_TIMER, UB_ARG_ANY, UB_ARG_ANY } }, 0 },
	{ 172, { UB_RET_INT, { UB_ARG_TIMER } }, 0 },
	{ 181, { UB_RET_INT, { UB_ARG_ANY, UB_ARG_FUNC, UB_ARG_STACK_OR_NULL, UB_ARG_ANY } }, 0 },
	{ 182, { UB_RET_INT, { UB_ARG_MEM, UB_ARG_SIZE, UB_ARG_CONST_STR } }, 0 },
};

const struct ub_vfy_hproto *ub_vfy_hproto(uint32_t id)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].id == id)
			return &table[i];
	return NULL;
}

bool ub_vfy_map_helper_ok(uint32_t type, uint32_t id, const struct ub_vfy_hproto *hp)
{
	/* helper -> map: the types its prototype names */
	if (hp && hp->map_types && (type >= 64 || !(hp->map_types & M(type))))
		return false;
	/* map -> helper: maps some helpers own */
	switch (type) {
	case UB_MAP_PROG_ARRAY:
		return id == 12;
	case UB_MAP_PERF_EVENT_ARRAY:
		return id == 25 || id == 22 /* perf_event_read */ || id == 55 /* perf_event_read_value */ ||
		       id == 111 /* skb_output */ || id == 119 /* xdp_output */;
	case UB_MAP_RINGBUF:
		return id == 130 || id == 131 || id == 134;
	case UB_MAP_QUEUE: case UB_MAP_STACK:
		return id == 87 || id == 88 || id == 89;
	case UB_MAP_BLOOM_FILTER:
		return id == 87 || id == 89;
	case UB_MAP_ARRAY_OF_MAPS: case UB_MAP_HASH_OF_MAPS:
		return id == 1;
	default:
		return true;
	}
}
