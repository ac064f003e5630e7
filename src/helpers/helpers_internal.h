/* SPDX-License-Identifier: MIT */
/*
 * helpers_internal.h - what the helper files share: their tables of
 * defaults, and the argument checks helpers need when a program runs in
 * checked mode (it has proved nothing, so pointers are bounded here).
 */
#ifndef USERBPF_HELPERS_INTERNAL_H
#define USERBPF_HELPERS_INTERNAL_H

#include "core/core_internal.h"

struct userbpf_map;

/* One default helper; tables end with fn == NULL.  Their prototypes are
 * Linux's, which the verifier keeps (src/verifier/protos.c). */
struct ub_helper_def {
	uint32_t id;
	userbpf_helper_fn fn;
};

extern const struct ub_helper_def ub_map_helper_defs[];	/* map_helpers.c */
extern const struct ub_helper_def ub_str_helper_defs[];	/* str_helpers.c */
extern const struct ub_helper_def ub_task_helper_defs[];	/* task_helpers.c */
extern const struct ub_helper_def ub_timer_helper_defs[];	/* timer_helpers.c */

/* May the run read (or write) [addr, addr+size)?  Always true for a
 * verified run; otherwise the stack and the run's regions. */
bool ub_helper_mem_ok(struct userbpf_call *c, uint64_t addr, size_t size, bool write);
/* r as a map: checked against the runtime's maps unless the run is
 * verified; NULL (and the run aborted) when it is not one. */
struct userbpf_map *ub_helper_map(struct userbpf_call *c, uint64_t r);

#endif
