/* SPDX-License-Identifier: MIT */
/*
 * helpers.c - the default helper table, keyed by Linux helper id.
 *
 * Time, random numbers and the CPU number live here; map_helpers.c and
 * str_helpers.c hold the others.  All register the same way, through
 * userbpf_rt__set_helper(), which a host application uses too.
 */
#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include "core/core_internal.h"
#include "exec/exec_internal.h"
#include "helpers/helper_names.h"
#include "helpers/helpers_internal.h"
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

int ub_helpers_install_defaults(struct userbpf_rt *rt)
{
	static const struct ub_helper_def defaults[] = {
		{ 5, h_ktime_get_ns },
		{ 7, h_get_prandom_u32 },
		{ 8, h_get_smp_processor_id },
		{ 118, h_jiffies64 },
		{ 125, h_ktime_get_boot_ns },
		{ 160, h_ktime_get_coarse_ns },
		{ 0, NULL },
	};
	const struct ub_helper_def *const tables[] = { defaults, ub_map_helper_defs,
						       ub_str_helper_defs, ub_task_helper_defs,
						       ub_timer_helper_defs };
	char name[64];

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (const struct ub_helper_def *d = tables[t]; d->fn; d++) {
			int err;

			snprintf(name, sizeof(name), "bpf_%s", linux_names[d->id]);
			err = userbpf_rt__set_helper(rt, d->id, name, d->fn);
			if (err)
				return err;
		}
	}
	return 0;
}
