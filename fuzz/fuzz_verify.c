/* SPDX-License-Identifier: MIT */
/*
 * fuzz_verify.c - libFuzzer target: soundness of the verifier.
 *
 * The input is a 4-byte header and then instructions (8 bytes each, at
 * most 512):
 *   byte 0: bits 0-1 the program type (xdp, sched_cls, socket_filter, mem),
 *           bit 2 strict (Linux's unprivileged rules)
 *   byte 1: "mem" type: the memory size, 1 + byte * 2
 *   bytes 2-3: the seed of the run inputs (packet, context, map contents)
 * Programs name the maps of tests/verifier/sf_oracle.h by index (lddw
 * src 1 or 2, imm = index).  Each program is verified; an accepted one
 * runs in checked mode with the memory the verifier assumed and then in
 * the fast interpreter and the JIT (tests/verifier/sf_oracle.h).  Any fault,
 * forbidden write, leaked ring buffer record or difference between the
 * engines aborts: the verifier accepted something it should not have.
 *
 * soundness --corpus DIR writes accepted generated programs in this
 * format, a good seed corpus:
 *   build/fuzz/fuzz_verify -max_total_time=3600 -timeout=10 corpus/
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../tests/verifier/sf_oracle.h"

#define FV_MAX_INSNS 512

/* bpf_loop as the runtime's, with at most 64 calls: a fuzzed program may
 * ask for 1 << 23 calls of its callback, which is sound but slow. */
static uint64_t fv_loop(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			struct userbpf_call *c)
{
	uint64_t i;

	(void)r5;
	if (r4)
		return (uint64_t)-EINVAL;
	if (r1 > 64)
		return (uint64_t)-E2BIG;
	for (i = 0; i < r1; i++) {
		uint64_t args[5] = { i, r3, 0, 0, 0 }, ret;

		if (ub_call_callback(c, r2, args, &ret))
			return 0;
		if (ret)
			return i + 1;
	}
	return i;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sf_env *env;
	static struct userbpf_insn insns[FV_MAX_INSNS];
	struct sf_case c;
	struct sf_result r;
	size_t cnt;

	if (!env) {
		char why[256];

		env = calloc(1, sizeof(*env));
		if (!env || sf_env_init(env, why, sizeof(why)) ||
		    userbpf_rt__set_helper(env->rt, 181, "bpf_loop", fv_loop)) {
			fprintf(stderr, "fuzz_verify: setup: %s\n", env ? why : "out of memory");
			abort();
		}
	}
	if (size < 4 + 8)
		return 0;
	cnt = (size - 4) / 8;
	if (cnt > FV_MAX_INSNS)
		cnt = FV_MAX_INSNS;
	memcpy(insns, data + 4, cnt * 8);
	memset(&c, 0, sizeof(c));
	c.insns = insns;
	c.cnt = cnt;
	c.type = data[0] % SF__NTYPES;
	c.strict = (data[0] & 4) != 0;
	c.mem_size = 1 + 2u * data[1];
	c.input_seed = (uint64_t)data[2] | (uint64_t)data[3] << 8;
	c.variants = 2;
	/* A budget of 50k processed instructions (not 1M): a mutated loop
	 * counter makes a loop the verifier explores to the budget, seconds
	 * under the sanitizers, and a refusal tells nothing. */
	c.max_insns = 50000;
	switch (sf_check(env, &c, &r)) {
	case SF_REFUSED:
	case SF_CLEAN:
		return 0;
	default:
		fprintf(stderr, "fuzz_verify: accepted %s%s program (%zu slots) fails: %s: %s\n",
			sf_type_name[c.type], c.strict ? " (strict)" : "", cnt,
			sf_outcome_name[r.outcome], r.reason);
		abort();
	}
}
