/* SPDX-License-Identifier: MIT */
/*
 * progtypes.h - program types inside the library: the runtime's registry
 * (progtype.c) and the built-in types (builtin.c), which register through
 * the public userbpf_rt__register_prog_type() like any host's.
 */
#ifndef USERBPF_PROGTYPES_H
#define USERBPF_PROGTYPES_H

#include "core/core_internal.h"

/* Registers xdp, socket_filter, sched_cls, sched_act, tracepoint,
 * raw_tracepoint and syscall. */
int ub_progtypes_install_builtin(struct userbpf_rt *rt);
/* What a test run hands back as ctx_out of a context of type t, made in
 * place: for the __sk_buff types, Linux's fields only (the rest zeroed);
 * for xdp_md, the packet pointers as offsets, as Linux gives them. */
void ub_progtypes_ctx_out(const struct userbpf_prog_type *t, void *ctx, size_t size);
/* Frees the registry. */
void ub_progtypes_free(struct userbpf_rt *rt);
/* Is helper id allowed for programs of type t (NULL: any type)? */
bool ub_progtype_allows_helper(const struct userbpf_prog_type *t, uint32_t id);

#endif
