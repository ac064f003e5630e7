/* SPDX-License-Identifier: MIT */
/*
 * fuzz_prog.c - libFuzzer target: arbitrary bytes as instructions.
 * Decodes, validates, disassembles and runs them in checked mode with a
 * budget: unverified bytecode must never touch memory outside the stack
 * and the registered region, and never hang.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include "userbpf/userbpf.h"

static void quiet(enum userbpf_log_level l, const char *m, void *u)
{
	(void)l; (void)m; (void)u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log = quiet };
	struct userbpf_rt *rt;
	struct userbpf_prog *prog;
	struct userbpf_insn insns[512];
	size_t cnt = size / 8;
	uint8_t mem[64] = { 0 };
	char text[256];

	if (cnt > 512)
		cnt = 512;
	memcpy(insns, data, cnt * 8);
	for (size_t i = 0; i < cnt;) {
		int n = userbpf_disasm_insn(insns + i, cnt - i, text, sizeof(text));
		i += n > 0 ? (size_t)n : 1;
	}
	rt = userbpf_rt__new(&o);
	if (!rt)
		return 0;
	prog = userbpf_prog__load(rt, insns, cnt, NULL);
	if (prog) {
		struct userbpf_region r = { mem, sizeof(mem), true };
		struct userbpf_run_opts ro = { .sz = sizeof(ro), .regions = &r, .region_cnt = 1,
					       .insn_budget = 100000 };
		uint64_t ret;

		ro.args[0] = (uint64_t)(uintptr_t)mem;
		userbpf_prog__run(prog, &ro, &ret);
	}
	userbpf_prog__free(prog);
	userbpf_rt__free(rt);
	return 0;
}
