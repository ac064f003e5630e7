/* SPDX-License-Identifier: MIT */
/*
 * verifier.c - the verifier's rules, one small program each: what it must
 * accept, what it must refuse, and that each refusal names the instruction
 * and says what to do.  Programs are written in the bpf_conformance
 * assembly (userbpf_asm).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "testlib.h"
#include "exec/exec_internal.h"
#include "verifier/verifier.h"

static struct userbpf_rt *rt;

struct vcase {
	const char *name;
	const char *src;
	int accept;
	const char *msg;	/* substring of the refusal, with "insn N:" */
	int entry;		/* 0 Linux, 1 r1=mem(64) r2=64, 2 packet r1/r2 */
	bool div0;
	uint64_t budget;
};

static bool uninit_err;	/* unwritten stack is an error (PREVAIL; strict) */

static void run_case(const struct vcase *c)
{
	struct userbpf_insn *insns = NULL;
	struct ub_dinsn *d = NULL;
	size_t cnt = 0, bad = 0;
	char err[256], why[256];
	struct ub_vfy_entry_reg mem[2] = {
		{ .reg = 1, .type = UB_T_MEM, .mem_size = 64 },
		{ .reg = 2, .type = UB_T_SCALAR, .has_srange = 1, .has_urange = 1, .smin = 64, .smax = 64, .umin = 64, .umax = 64 },
	};
	struct ub_vfy_entry_reg pkt[2] = {
		{ .reg = 1, .type = UB_T_PACKET },
		{ .reg = 2, .type = UB_T_PACKET_END },
	};
	struct ub_vfy_opts o = { .div_by_zero_is_error = c->div0, .max_insns = c->budget,
				 .uninit_stack_is_error = uninit_err };
	struct ub_vfy_result r;

	if (c->entry == 1) {
		o.entry = mem;
		o.nentry = 2;
	} else if (c->entry == 2) {
		o.entry = pkt;
		o.nentry = 2;
	} else if (c->entry == 3) {
		/* packet, with one initialised stack byte to load a number from */
		static const int32_t init[1][2] = { { -1, 0 } };
		o.entry = pkt;
		o.nentry = 2;
		o.stack_init = init;
		o.nstack_init = 1;
	}
	if (userbpf_asm(c->src, &insns, &cnt, err, sizeof(err))) {
		tl_fail(c->name, "asm: %s", err);
		return;
	}
	d = malloc(cnt * sizeof(*d));
	if (!d || ub_decode_prog(insns, cnt, d, &bad, why, sizeof(why))) {
		tl_fail(c->name, "decode: insn %zu: %s", bad, why);
		free(insns);
		free(d);
		return;
	}
	if (ub_verify(rt, d, insns, cnt, &o, &r)) {
		tl_fail(c->name, "ub_verify failed to run");
	} else if (c->accept && !r.accepted) {
		tl_fail(c->name, "refused: %s", r.reason);
	} else if (!c->accept && r.accepted) {
		tl_fail(c->name, "accepted, expected: %s", c->msg);
	} else if (!c->accept && !strstr(r.reason, c->msg)) {
		tl_fail(c->name, "reason '%s' lacks '%s'", r.reason, c->msg);
	} else {
		tl_ok(c->name);
	}
	ub_vfy_result_free(rt, &r);
	free(insns);
	free(d);
}

static uint64_t h_maybe_null(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
			     struct userbpf_call *call)
{
	(void)a; (void)b; (void)c; (void)d; (void)e; (void)call;
	return 0;
}

int main(void)
{
	static const struct vcase cases[] = {
		{ "accept: return a constant", "mov %r0, 0\nexit\n", 1, NULL, 0, 0, 0 },
		{ "refuse: r0 unset at exit", "exit\n", 0, "insn 0: exit: R0 is not set at exit", 0, 0, 0 },
		{ "refuse: r2 read before written", "mov %r0, %r2\nexit\n", 0, "insn 0: r0 = r2: R2 is read before any path writes it", 0, 0, 0 },
		{ "accept: unwritten stack reads as a number for root (as Linux)", "ldxdw %r0, [%r10-8]\nexit\n", 1, NULL, 0, 0, 0 },
		{ "accept: spill and fill a pointer", "stxdw [%r10-8], %r1\nldxdw %r2, [%r10-8]\nldxb %r0, [%r2]\nexit\n", 1, NULL, 1, 0, 0 },
		{ "refuse: stack out of the frame", "stw [%r10-516], 1\nmov %r0, 0\nexit\n", 0, "outside the 512-byte frame", 0, 0, 0 },
		{ "refuse: write to r10", "mov %r10, 0\nmov %r0, 0\nexit\n", 0, "insn 0: r10 = 0: R10 is the read-only frame pointer", 0, 0, 0 },
		{ "refuse: dereference a number", "mov %r1, 5\nldxw %r0, [%r1]\nexit\n", 0, "insn 1: r0 = *(u32 *)(r1 + 0): R1 is a number, not a pointer", 0, 0, 0 },
		{ "accept: read inside memory", "ldxdw %r0, [%r1+56]\nexit\n", 1, NULL, 1, 0, 0 },
		{ "refuse: read past memory", "ldxdw %r0, [%r1+57]\nexit\n", 0, "insn 0: r0 = *(u64 *)(r1 + 57): read of 8 bytes at [57, 65) is outside the 64 bytes", 1, 0, 0 },
		{ "accept: index bounded by a compare", "ldxb %r3, [%r1]\njgt %r3, 63, +3\nadd %r1, %r3\nldxb %r0, [%r1]\nexit\nmov %r0, 0\nexit\n", 1, NULL, 1, 0, 0 },
		{ "refuse: index not bounded", "ldxb %r3, [%r1]\njgt %r3, 64, +3\nadd %r1, %r3\nldxb %r0, [%r1]\nexit\nmov %r0, 0\nexit\n", 0, "insn 3:", 1, 0, 0 },
		{ "accept: packet access after data_end check", "mov %r3, %r1\nadd %r3, 14\njgt %r3, %r2, +2\nldxb %r0, [%r1+13]\nexit\nmov %r0, 0\nexit\n", 1, NULL, 2, 0, 0 },
		{ "refuse: packet access past the check", "mov %r3, %r1\nadd %r3, 14\njgt %r3, %r2, +2\nldxb %r0, [%r1+14]\nexit\nmov %r0, 0\nexit\n", 0, "not proved inside the packet: compare data + 15 with data_end first", 2, 0, 0 },
		{ "refuse: packet access without a check", "ldxb %r0, [%r1]\nexit\n", 0, "insn 0:", 2, 0, 0 },
		{ "accept: bounded loop", "mov %r1, 0\nadd %r1, 1\njlt %r1, 100, -2\nmov %r0, %r1\nexit\n", 1, NULL, 0, 0, 0 },
		{ "refuse: infinite loop", "mov %r0, 0\njeq %r0, 0, -1\nexit\n", 0, "infinite loop", 0, 0, 0 },
		{ "refuse, quickly: a loop whose state never repeats", "mov %r0, 0\nadd %r0, 2\njne %r0, 9, -2\nexit\n", 0, "instructions processed without finishing", 0, 0, 300000 },
		{ "refuse: loop beyond the budget", "mov %r1, 0\nadd %r1, 1\njne %r1, 0, -2\nmov %r0, 0\nexit\n", 0, "instructions processed without finishing", 0, 0, 20000 },
		{ "refuse: unreachable instruction", "mov %r0, 0\nexit\nmov %r0, 1\nexit\n", 0, "insn 2: r0 = 1: instruction 2 is unreachable", 0, 0, 0 },
		{ "refuse: arithmetic other than +/- on a pointer", "mul %r1, 2\nmov %r0, 0\nexit\n", 0, "only + and - apply to pointers", 0, 0, 0 },
		{ "refuse: subtraction from a stack pointer (as Linux)", "mov %r3, %r10\nsub %r3, 8\nmov %r0, 0\nexit\n", 0, "subtraction from a stack pointer is not allowed", 0, 0, 0 },
		{ "refuse: legacy packet load in a called function (as Linux)", "mov %r6, %r1\ncall local f\nexit\nf:\nldabsb 0\nexit\n", 0, "legacy packet loads are not allowed in called functions", 0, 0, 0 },
		{ "refuse: 32-bit pointer addition (as Linux, even for root)", "add32 %r1, 2\nmov %r0, 0\nexit\n", 0, "32-bit arithmetic on a pointer", 0, 0, 0 },
		{ "refuse: 32-bit data_end - data is a number for root (as Linux; clang >= 15 emits it), which bounds no packet access", "mov %r3, %r2\nsub32 %r3, %r1\njlt %r3, 14, +2\nldxb %r0, [%r1+0]\nexit\nmov %r0, 0\nexit\n", 0, "not proved inside the packet", 2, 0, 0 },
		{ "accept: 32-bit number - pointer is a number for root", "mov %r3, 7\nsub32 %r3, %r1\nmov %r0, %r3\nand %r0, 1\nexit\n", 1, NULL, 2, 0, 0 },
		{ "accept: packet range learned through a variable offset", "ldxb %r4, [%r10-1]\nand %r4, 15\nadd %r1, %r4\nmov %r4, %r1\nadd %r4, 16\njgt %r4, %r2, +2\nldxb %r0, [%r1+15]\nexit\nmov %r0, 0\nexit\n", 1, NULL, 3, 0, 0 },
		{ "refuse: ...but not past it", "ldxb %r4, [%r10-1]\nand %r4, 15\nadd %r1, %r4\nmov %r4, %r1\nadd %r4, 16\njgt %r4, %r2, +2\nldxb %r0, [%r1+16]\nexit\nmov %r0, 0\nexit\n", 0, "past the variable offset is not proved inside the packet", 3, 0, 0 },
		{ "refuse: possible division by zero when forbidden", "ldxb %r2, [%r1]\nmov %r0, 10\ndiv %r0, %r2\nexit\n", 0, "R2 may be 0 here", 1, 1, 0 },
		{ "accept: possible division by zero, BPF semantics", "ldxb %r2, [%r1]\nmov %r0, 10\ndiv %r0, %r2\nexit\n", 1, NULL, 1, 0, 0 },
		{ "refuse: shift by 64", "mov %r0, 1\nlsh %r0, 64\nexit\n", 0, "invalid shift by 64", 0, 0, 0 },
		{ "refuse: 9 frames", "call local f\nmov %r0, 0\nexit\nf:\ncall local f\nexit\n", 0, "the limit is 8", 0, 0, 0 },
		{ "refuse: recursion, even on a path no run takes (as Linux)", "mov %r0, 0\njeq %r0, 1, +1\nja +1\ncall local f\nexit\nf:\ncall local f\nexit\n", 0, "the calls can nest more than 8 frames deep", 0, 0, 0 },
		{ "accept: bpf2bpf call keeps r6-r9", "mov %r6, 7\ncall local f\nmov %r0, %r6\nexit\nf:\nmov %r0, 1\nexit\n", 1, NULL, 0, 0, 0 },
		{ "refuse: callee reads caller's r6", "mov %r6, 7\ncall local f\nmov %r0, 0\nexit\nf:\nmov %r0, %r6\nexit\n", 0, "R6 is read before any path writes it", 0, 0, 0 },
		{ "refuse: combined stack over 512", "stdw [%r10-400], 0\ncall local f\nmov %r0, 0\nexit\nf:\nstdw [%r10-200], 0\nmov %r0, 0\nexit\n", 0, "the limit is 512", 0, 0, 0 },
		{ "refuse: tail call without the context", "mov %r1, 0\nmov %r2, 0\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit\n", 0, "argument 1 of bpf_tail_call must be the context pointer", 0, 0, 0 },
		{ "refuse: tail call without a prog array", "mov %r2, 0\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit\n", 0, "argument 2 of bpf_tail_call must be a map", 0, 0, 0 },
		{ "refuse: helper clobbers r1-r5", "call 5\nmov %r0, %r1\nexit\n", 0, "R1 is read before any path writes it", 0, 0, 0 },
		{ "refuse: unknown helper", "call 2000\nmov %r0, 0\nexit\n", 0, "helper 2000 is not available", 0, 0, 0 },
		{ "refuse: misaligned atomic", "stdw [%r10-16], 0\nmov %r1, 1\nlock add [%r10-12], %r1\nmov %r0, 0\nexit\n", 0, "misaligned atomic", 0, 0, 0 },
		{ "accept: atomic on initialised stack", "stdw [%r10-8], 0\nmov %r1, 1\nlock fetch add [%r10-8], %r1\nmov %r0, %r1\nexit\n", 1, NULL, 0, 0, 0 },
		{ "accept: a bound learned on a copy applies to the original", "ldxb %r3, [%r1]\nmov %r4, %r3\njgt %r4, 63, +3\nadd %r1, %r3\nldxb %r0, [%r1]\nexit\nmov %r0, 0\nexit\n", 1, NULL, 1, 0, 0 },
		{ "accept: ...and to a spilled copy", "ldxb %r3, [%r1]\nstxdw [%r10-8], %r3\njgt %r3, 63, +4\nldxdw %r5, [%r10-8]\nadd %r1, %r5\nldxb %r0, [%r1]\nexit\nmov %r0, 0\nexit\n", 1, NULL, 1, 0, 0 },
		{ "refuse: a copy changed after the link is not bounded", "ldxb %r3, [%r1]\nmov %r4, %r3\nadd %r3, 1\njgt %r4, 63, +3\nadd %r1, %r3\nldxb %r0, [%r1]\nexit\nmov %r0, 0\nexit\n", 0, "insn 5:", 1, 0, 0 },
		{ "accept: returns a pointer (root)", "mov %r0, %r10\nexit\n", 1, NULL, 0, 0, 0 },
		{ "refuse: callee's frame pointer stored in the caller's frame", "mov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 0\nexit\nf:\nstxdw [%r1], %r10\nmov %r0, 0\nexit\n", 0, "insn 5: *(u64 *)(r1 + 0) = r10: stores a pointer to a callee's stack frame into its caller's frame", 0, 0, 0 },
		{ "accept: dead branch not explored", "mov %r1, 5\njeq %r1, 5, +1\nldxdw %r0, [%r10-8]\nmov %r0, 0\nexit\n", 1, NULL, 0, 0, 0 },
		{ "accept: sdiv, movsx, bswap (v4)", "mov %r0, -7\nsdiv %r0, 2\nmovsx832 %r1, %r0\nbswap32 %r1\nexit\n", 1, NULL, 0, 0, 0 },
	};
	struct userbpf_rt_opts ro = { .sz = sizeof(ro), .log = tl_log };

	rt = userbpf_rt__new(&ro);
	if (!rt)
		return 1;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	{
		static const struct vcase c = { "refuse: uninitialised stack read (PREVAIL's rule)",
			"ldxdw %r0, [%r10-8]\nexit\n", 0,
			"insn 0: r0 = *(u64 *)(r10 - 8): reads stack byte -8 from r10, which no path has written", 0, 0, 0 };
		uninit_err = true;
		run_case(&c);
		uninit_err = false;
	}

	/* A helper whose result may be NULL: a host helper with a prototype. */
	userbpf_rt__set_helper(rt, 1000, "maybe_null", h_maybe_null);
	rt->helpers[1000].has_proto = true;
	rt->helpers[1000].proto = (struct ub_helper_proto){ UB_RET_MEM_OR_NULL, { 0 } };
	{
		static const struct vcase nc[] = {
			{ "refuse: NULL not checked", "call 1000\nldxb %r0, [%r0]\nexit\n", 0,
			  "insn 1: r0 = *(u8 *)(r0 + 0): R0 may be NULL here: check the result of maybe_null (insn 0) before dereferencing it", 0, 0, 0 },
			{ "refuse: arithmetic before the NULL check", "call 1000\nadd %r0, 1\nmov %r0, 0\nexit\n", 0, "may be NULL: check the result of maybe_null (insn 0) against 0 first", 0, 0, 0 },
			{ "accept: a NULL check covers copies", "call 1000\nmov %r6, %r0\njeq %r6, 0, +2\nmov %r0, 0\nexit\nmov %r0, 0\nexit\n", 1, NULL, 0, 0, 0 },
		};
		for (size_t i = 0; i < sizeof(nc) / sizeof(nc[0]); i++)
			run_case(&nc[i]);
	}
	userbpf_rt__free(rt);
	return tl_exit();
}
