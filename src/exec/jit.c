/* SPDX-License-Identifier: MIT */
/*
 * jit.c - the JIT driver: picks the back end for this CPU, puts its code
 * in pages that are never writable and executable at once, runs it, and
 * finishes what generated code hands back (helper aborts, tail calls).
 */
#include <errno.h>
#include <string.h>
#include "exec/jit_internal.h"
#include "platform/platform.h"

#define PAGE 4096

uint64_t ub_jit_blind_key(uint64_t seed, size_t i)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ull * (i + 1); /* splitmix64 */

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	for (int hw = 0; hw < 4; hw++)
		if (!((z >> (16 * hw)) & 0xffff))
			z |= (uint64_t)(0x5bd1u + 0x1e99u * (unsigned)hw) << (16 * hw);
	return z;
}

int ub_jit_blind_seed(const struct userbpf_prog *prog, uint64_t *seed)
{
	if (!ub_os_random(seed, sizeof(*seed)))
		return 0;
	ub_log(prog->rt, USERBPF_LOG_WARN,
	       "prog '%s': no random numbers for constant blinding; the interpreter runs it",
	       prog->name);
	return -EOPNOTSUPP;
}

bool ub_jit_available(void)
{
	/* x86-64 on every OS: Windows gets the Win64 calling convention
	 * (jit_compile sets o.win64). */
#if defined(__x86_64__)
	return true;
#elif defined(__aarch64__) && !defined(_WIN32)
	return true;
#else
	return false;
#endif
}

int ub_jit_compile(struct userbpf_prog *prog)
{
	struct ub_jit_opts o = { .blind = prog->jit_blind };
	struct ub_jit_out out = { 0 };
	size_t size;
	void *mem;
	int err;

	if (prog->jit_err)
		return prog->jit_err;
#if defined(_WIN32)
	o.win64 = true;
#endif
#if defined(__x86_64__)
	err = ub_jit_x86_64(prog, &o, &out);
#elif defined(__aarch64__)
	err = ub_jit_arm64(prog, &o, &out);
#else
	(void)o;
	err = -EOPNOTSUPP;
#endif
	if (err)
		goto fail;
	size = (out.len + PAGE - 1) & ~(size_t)(PAGE - 1);
	mem = ub_os_code_alloc(size);
	if (!mem) {
		err = -ENOMEM;
		goto fail;
	}
	memcpy(mem, out.code, out.len);
	err = ub_os_code_seal(mem, size);
	if (err) {
		ub_os_code_free(mem, size);
		goto fail;
	}
	ub_free(prog->rt, out.code);
	prog->jit_code = mem;
	prog->jit_size = size;
	prog->jit_len = out.len;
	ub_log(prog->rt, USERBPF_LOG_DEBUG, "prog '%s': %zu instructions JIT-compiled to %zu bytes",
	       prog->name, prog->cnt, out.len);
	return 0;
fail:
	ub_free(prog->rt, out.code);
	if (err != -ENOMEM)
		prog->jit_err = err; /* do not try again for every run */
	if (err == -EOPNOTSUPP)
		ub_log(prog->rt, USERBPF_LOG_DEBUG,
		       "prog '%s': the JIT does not handle this program; the interpreter runs it",
		       prog->name);
	return err;
}

void ub_jit_free(struct userbpf_prog *prog)
{
	if (prog && prog->jit_code) {
		ub_os_code_free(prog->jit_code, prog->jit_size);
		prog->jit_code = NULL;
	}
}

int ub_jit_functions(const struct userbpf_prog *prog, bool *entry)
{
	size_t n = prog->cnt;

	entry[0] = true;
	/* Helpers that call back into the program run callbacks in the
	 * interpreter, which needs interpreter code addresses. */
	for (size_t i = 0; i < n; i++) {
		uint16_t op = prog->d[i].op;

		if (op == UB_OP_CALL &&
		    (prog->insns[i].imm == 164 || prog->insns[i].imm == 170 ||
		     prog->insns[i].imm == 181))
			return -EOPNOTSUPP;
		if (op != UB_OP_CALL_LOCAL && op != UB_OP_LDDW_CODE)
			continue;
		if (prog->d[i].off == 0)
			return -EOPNOTSUPP;
		entry[prog->d[i].off] = true;
	}
	for (size_t i = 1; i < n; i++) {
		if (!entry[i])
			continue;
		for (size_t k = i; k < n; k++)
			if (prog->d[k].op == UB_OP_CALL && prog->insns[k].imm == 12)
				return -EOPNOTSUPP;
		break;
	}
	return 0;
}

uint64_t ub_jit_callx_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct userbpf_call *c)
{
	const struct ub_helper *h = ub_rt_helper(c->rt, (uint32_t)c->callx_id);

	if (!h) {
		userbpf_call__abort(c, -EINVAL, "callx target is neither a helper nor code");
		return 0;
	}
	return h->fn(r1, r2, r3, r4, r5, c);
}

uint64_t ub_jit_ld_pkt(uint64_t off, uint64_t size, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct userbpf_call *c)
{
	uint64_t v;

	(void)r3; (void)r4; (void)r5;
	if (!ub_pkt_load(c, (int32_t)(uint32_t)off, (unsigned)size, &v)) {
		c->pending |= UB_PENDING_EXIT0;
		return 0;
	}
	return v;
}

int ub_jit_run(struct userbpf_prog *prog, struct userbpf_call *c, const uint64_t args[5],
	       uint64_t *ret)
{
	uint64_t a[5];
	int err;

	memcpy(a, args, sizeof(a));
	if (!prog->jit_code) {
		err = ub_jit_compile(prog);
		if (err)
			return err; /* the caller may fall back to the interpreter */
	}
	for (;;) {
		ub_jit_entry entry;
		uint64_t r0;

		if (!prog->jit_code) {
			err = ub_jit_compile(prog);
			if (err == -EOPNOTSUPP) {
				/* e.g. a tail call reached a program only the
				 * interpreter runs */
				c->prog = prog;
				c->in_jit = false;
				return ub_interp_fast_goto(c, a, ret);
			}
			if (err)
				return err;
		}
		entry = (ub_jit_entry)(uintptr_t)prog->jit_code;
		c->prog = prog;
		c->in_jit = true;
		r0 = entry(a[0], a[1], a[2], a[3], a[4], c);
		c->in_jit = false;
		if (!c->pending) {
			*ret = r0;
			return 0;
		}
		if (c->pending & UB_PENDING_ABORT)
			return c->abort_err;
		if (c->pending & UB_PENDING_EXIT0) {
			c->pending = 0;
			*ret = 0;
			return 0;
		}
		/* A tail call: the helper counted and checked it. */
		c->pending = 0;
		prog = c->tail_target;
		c->tail_target = NULL;
		memset(a, 0, sizeof(a));
		a[0] = c->tail_ctx;
	}
}
