/* SPDX-License-Identifier: MIT */
/*
 * x86_inline.c - the JIT inlines bpf_map_lookup_elem on ARRAY maps named
 * in the same block: the helper's address is absent from the code, and
 * results equal the interpreter's for keys inside, at and past the end,
 * for element sizes that are and are not powers of two; a lookup whose
 * map comes through a jump, or on a hash map, still calls the helper.
 */
#include <string.h>
#include "testlib.h"
#include "exec/exec_internal.h"

#define I(c, d, s, o, i) ((struct userbpf_insn){ (c), (d), (s), (o), (i) })

static bool code_has(const struct userbpf_prog *p, uint64_t v)
{
	const uint8_t *c = p->jit_code;

	for (size_t i = 0; c && i + 8 <= p->jit_size; i++)
		if (!memcmp(c + i, &v, 8))
			return true;
	return false;
}

static uint64_t run(struct userbpf_prog *p, enum userbpf_engine e, uint32_t key)
{
	struct userbpf_run_opts o = { .sz = sizeof(o), .engine = e };
	uint64_t r = 0;

	o.args[0] = key;
	userbpf_prog__run(p, &o, &r);
	return r;
}

int main(void)
{
	struct userbpf_rt *rt = tl_rt_new(0);
	/* key = r1 (entry arg) stored to the stack; v = lookup; return v ?
	 * *(u32 *)v + 1 : 0.  Entry regs r1 only. */
	const struct userbpf_insn prog[] = {
		I(0x63, 10, 1, -4, 0), I(0xbf, 2, 10, 0, 0), I(0x07, 2, 0, 0, -4),
		I(0x18, 1, 1, 0, 0), I(0, 0, 0, 0, 0), I(0x85, 0, 0, 0, 1),
		I(0x15, 0, 0, 2, 0), I(0x61, 0, 0, 0, 0), I(0x07, 0, 0, 0, 1),
		I(0x95, 0, 0, 0, 0),
	};
	const uint32_t sizes[][2] = { { 4, 8 }, { 12, 5 }, { 64, 1 }, { 4, 100000 } };
	uint64_t helper = (uint64_t)(uintptr_t)ub_rt_helper(rt, 1)->fn;

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct userbpf_map *m = userbpf_map__create(rt, 2, "a", 4, sizes[s][0], sizes[s][1], NULL);
		struct userbpf_prog_opts po = { .sz = sizeof(po), .maps = &m, .map_cnt = 1 };
		struct userbpf_prog *p = m ? userbpf_prog__load(rt, prog, 10, &po) : NULL;
		uint8_t val[64];
		char name[128];
		int bad = 0;

		if (!p) {
			tl_fail("inline setup", "map or program failed");
			continue;
		}
		userbpf_prog__set_trusted(p, true);
		for (uint32_t k = 0; k < sizes[s][1] && k < 64; k++) {
			memset(val, 0, sizeof(val));
			memcpy(val, &k, 4);
			val[0] ^= 0x5a;
			userbpf_map__update_elem(m, &k, val, 0);
		}
		for (uint32_t k = 0; k < sizes[s][1] + 3 && k < 70; k++)
			bad += run(p, USERBPF_ENGINE_JIT, k) != run(p, USERBPF_ENGINE_INTERPRETER, k);
		bad += run(p, USERBPF_ENGINE_JIT, 0xffffffffu) != 0;
		snprintf(name, sizeof(name), "value %u x %u entries: JIT equals interpreter, in and past range",
			 sizes[s][0], sizes[s][1]);
		TL_EQ_U64(name, bad, 0);
		snprintf(name, sizeof(name), "value %u x %u entries: lookup inlined (no helper call)",
			 sizes[s][0], sizes[s][1]);
		TL_CHECK(name, p->jit_code && !code_has(p, helper));
		userbpf_prog__free(p);
		userbpf_map__free(m);
	}
	{
		struct userbpf_map *h = userbpf_map__create(rt, 1, "h", 4, 4, 8, NULL);
		struct userbpf_prog_opts po = { .sz = sizeof(po), .maps = &h, .map_cnt = 1 };
		struct userbpf_prog *p = h ? userbpf_prog__load(rt, prog, 10, &po) : NULL;

		if (p) {
			userbpf_prog__set_trusted(p, true);
			run(p, USERBPF_ENGINE_JIT, 1);
			TL_CHECK("a hash map lookup still calls the helper", p->jit_code && code_has(p, helper));
		}
		userbpf_prog__free(p);
		userbpf_map__free(h);
	}
	userbpf_rt__free(rt);
	return tl_exit();
}
