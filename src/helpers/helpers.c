/* SPDX-License-Identifier: MIT */
/*
 * helpers.c - the default helper table, keyed by Linux helper id.
 *
 * Only helpers that need no maps or hooks live here for now: time, random
 * numbers, the CPU number and tail calls.  Map, string and event helpers
 * arrive with their layers and register the same way, through
 * userbpf_rt__set_helper(), which a host application uses too.
 */
#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include "core/core_internal.h"
#include "exec/exec_internal.h"
#include "helpers/helper_names.h"
#include "platform/platform.h"

static const char *const linux_names[] = {
#define UB_X_NAME(id, name) [id] = #name,
	UB_HELPER_NAMES(UB_X_NAME)
#undef UB_X_NAME
};

const char *ub_helper_linux_name(uint32_t id)
{
	if (id >= sizeof(linux_names) / sizeof(linux_names[0]))
		return NULL;
	return linux_names[id];
}

#define UNUSED5 (void)r1; (void)r2; (void)r3; (void)r4; (void)r5

static uint64_t h_ktime_get_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			       uint64_t r5, struct userbpf_call *c)
{
	UNUSED5;
	(void)c;
	return ub_os_monotonic_ns();
}

static uint64_t h_ktime_get_boot_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				    uint64_t r5, struct userbpf_call *c)
{
	UNUSED5;
	(void)c;
	return ub_os_boottime_ns();
}

static uint64_t h_ktime_get_coarse_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				      uint64_t r5, struct userbpf_call *c)
{
	UNUSED5;
	(void)c;
	return ub_os_coarse_ns();
}

static uint64_t h_jiffies64(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			    uint64_t r5, struct userbpf_call *c)
{
	UNUSED5;
	(void)c;
	return ub_os_monotonic_ns() / 4000000; /* HZ=250, as Debian's kernels */
}

static uint64_t h_get_smp_processor_id(uint64_t r1, uint64_t r2, uint64_t r3,
				       uint64_t r4, uint64_t r5, struct userbpf_call *c)
{
	UNUSED5;
	(void)c;
	return ub_os_cpu();
}

/* xorshift64* on a state kept per run; seeded from the OS at the first
 * call, so the stream is not shared between threads. */
static uint64_t h_get_prandom_u32(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				  uint64_t r5, struct userbpf_call *c)
{
	UNUSED5;
	if (!c->prng)
		c->prng = ub_os_random_seed() | 1;
	c->prng ^= c->prng >> 12;
	c->prng ^= c->prng << 25;
	c->prng ^= c->prng >> 27;
	return (uint32_t)((c->prng * 0x2545F4914F6CDD1Dull) >> 32);
}

/* bpf_tail_call(ctx, prog_array, index): asks the runtime's resolver for
 * the target; the executor switches programs when the helper returns. */
static uint64_t h_tail_call(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			    uint64_t r5, struct userbpf_call *c)
{
	struct userbpf_prog *t = NULL;

	(void)r1; (void)r4; (void)r5;
	if (c->tail_cnt >= UB_MAX_TAIL_CALLS)
		return (uint64_t)-ENOENT;
	if (c->rt->tail_fn)
		t = c->rt->tail_fn((void *)(uintptr_t)r2, (uint32_t)r3, c->rt->tail_user);
	/* As on Linux, a tail call that cannot happen returns and the
	 * program goes on; an unchecked run may only enter trusted code. */
	if (!t || (c->fast && !t->trusted))
		return (uint64_t)-ENOENT;
	c->tail_cnt++;
	c->tail_target = t;
	c->tail_ctx = r1;
	c->pending |= UB_PENDING_TAIL;
	return 0;
}

int ub_helpers_install_defaults(struct userbpf_rt *rt)
{
	static const struct {
		uint32_t id;
		userbpf_helper_fn fn;
		struct ub_helper_proto proto;
	} defaults[] = {
		{ 5, h_ktime_get_ns, { UB_RET_INT, { 0 } } },
		{ 7, h_get_prandom_u32, { UB_RET_INT, { 0 } } },
		{ 8, h_get_smp_processor_id, { UB_RET_INT, { 0 } } },
		/* r2: a BPF_MAP_TYPE_PROG_ARRAY map; r0 is unset after (Linux: RET_VOID) */
		{ 12, h_tail_call, { UB_RET_VOID, { UB_ARG_CTX, UB_ARG_MAP, UB_ARG_ANY } } },
		{ 118, h_jiffies64, { UB_RET_INT, { 0 } } },
		{ 125, h_ktime_get_boot_ns, { UB_RET_INT, { 0 } } },
		{ 160, h_ktime_get_coarse_ns, { UB_RET_INT, { 0 } } },
	};
	char name[64];

	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		int err;

		snprintf(name, sizeof(name), "bpf_%s", linux_names[defaults[i].id]);
		err = userbpf_rt__set_helper(rt, defaults[i].id, name, defaults[i].fn);
		if (err)
			return err;
		rt->helpers[defaults[i].id].has_proto = true;
		rt->helpers[defaults[i].id].proto = defaults[i].proto;
	}
	return 0;
}
