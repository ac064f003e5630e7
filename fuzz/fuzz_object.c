/* SPDX-License-Identifier: MIT */
/*
 * fuzz_object.c - libFuzzer target: arbitrary bytes as an ELF object.
 * Opens, loads and runs every program (checked mode, with a budget).
 * Any crash, leak or sanitizer report is a bug in src/object or below.
 */
#include <stdint.h>
#include <stddef.h>
#include "userbpf/userbpf.h"

static void quiet(enum userbpf_log_level l, const char *m, void *u)
{
	(void)l; (void)m; (void)u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log = quiet };
	struct userbpf_rt *rt = userbpf_rt__new(&o);
	struct userbpf_obj_opts oo = { .sz = sizeof(oo), .entry_regs = 6 };
	struct userbpf_obj *obj;
	uint8_t mem[64] = { 0 };

	if (!rt)
		return 0;
	obj = userbpf_obj__open_mem(rt, data, size, &oo);
	if (obj && userbpf_obj__load(obj) == 0) {
		for (size_t i = 0; i < userbpf_obj__prog_cnt(obj); i++) {
			struct userbpf_region r = { mem, sizeof(mem), true };
			struct userbpf_run_opts ro = { .sz = sizeof(ro), .regions = &r,
						       .region_cnt = 1, .insn_budget = 100000 };
			uint64_t ret;

			ro.args[0] = (uint64_t)(uintptr_t)mem;
			ro.args[1] = sizeof(mem);
			userbpf_prog__run(userbpf_obj__prog(obj, i), &ro, &ret);
		}
	}
	userbpf_obj__close(obj);
	userbpf_rt__free(rt);
	return 0;
}
