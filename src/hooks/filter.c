/* SPDX-License-Identifier: MIT */
/*
 * filter.c - the classic-BPF seccomp filter of the syscall-tracing agent,
 * and a small evaluator of it for tests.
 *
 * Shape (seccomp_data: nr at 0, arch at 4, instruction_pointer at 8,
 * args at 16):
 *   another arch, x32, rt_sigreturn, vfork, restart_syscall   -> ALLOW
 *   clone with CLONE_VM (a thread, or posix_spawn's vfork)     -> ALLOW
 *   nr not traced                                              -> ALLOW
 *   ip in the agent's trampoline                               -> ALLOW
 *   ip in this image's code (none given: anywhere)             -> TRAP
 *   otherwise                                                  -> ALLOW
 * Untraced syscalls thus cost a handful of cBPF instructions.  The code
 * ranges make a filter inherited across execve inert in the new image
 * (whose code lies elsewhere) until that image's agent installs its own,
 * so the dynamic loader's syscalls never meet a SIGSYS without a handler.
 */
#include <errno.h>
#include <string.h>
#include "hooks/hooks.h"

#define C_LD_ABS 0x20	/* BPF_LD | BPF_W | BPF_ABS */
#define C_JEQ 0x15	/* BPF_JMP | BPF_JEQ | BPF_K */
#define C_JGE 0x35
#define C_JSET 0x45
#define C_JA 0x05
#define C_RET 0x06

#define RET_ALLOW 0x7fff0000u
#define RET_TRAP (0x00030000u | UB_SECCOMP_DATA_TRAP)

#if defined(__aarch64__)
#define AUDIT_ARCH_NATIVE 0xc00000b7u
#else
#define AUDIT_ARCH_NATIVE 0xc000003eu
#endif
#define CLONE_VM_FLAG 0x100u

struct emit {
	struct ub_cbpf *p;
	size_t n, cap;
};

static void ins(struct emit *e, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (e->n < e->cap)
		e->p[e->n] = (struct ub_cbpf){ code, jt, jf, k };
	e->n++;
}

static int native_nr(const char *name)
{
	const struct ub_sys_desc *d = ub_sys_by_tp(name);

	return d ? UB_SYS_NATIVE_NR(d) : -1;
}

/* ip in [lo, hi) -> ret act; split at 4 GiB boundaries. */
static void range_blocks(struct emit *e, uint64_t lo, uint64_t hi, uint32_t act)
{
	while (lo < hi) {
		uint64_t h = lo >> 32, seg_end = (h + 1) << 32;
		uint64_t end = hi < seg_end && hi > lo ? hi : seg_end;
		bool has_top = end != seg_end;

		ins(e, C_LD_ABS, 0, 0, 12);
		ins(e, C_JEQ, 0, has_top ? 4 : 3, (uint32_t)h);
		ins(e, C_LD_ABS, 0, 0, 8);
		ins(e, C_JGE, 0, has_top ? 2 : 1, (uint32_t)lo);
		if (has_top)
			ins(e, C_JGE, 1, 0, (uint32_t)end);
		ins(e, C_RET, 0, 0, act);
		if (!seg_end)
			break;	/* wrapped past 2^64 */
		lo = seg_end;
	}
}

int ub_filter_build(const struct ub_filter_spec *s, struct ub_cbpf *out, size_t cap)
{
	struct emit e = { out, 0, cap };
	const char *always[] = { "rt_sigreturn", "vfork", "restart_syscall" };
	int clone_nr = native_nr("clone");
	size_t list_start, check;

	ins(&e, C_LD_ABS, 0, 0, 4);
	ins(&e, C_JEQ, 1, 0, AUDIT_ARCH_NATIVE);
	ins(&e, C_RET, 0, 0, RET_ALLOW);
	ins(&e, C_LD_ABS, 0, 0, 0);
#if !defined(__aarch64__)
	ins(&e, C_JSET, 0, 1, 0x40000000u);	/* x32 */
	ins(&e, C_RET, 0, 0, RET_ALLOW);
#endif
	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++) {
		int nr = native_nr(always[i]);

		if (nr < 0)
			continue;
		ins(&e, C_JEQ, 0, 1, (uint32_t)nr);
		ins(&e, C_RET, 0, 0, RET_ALLOW);
	}
	if (clone_nr >= 0) {
		ins(&e, C_JEQ, 0, 4, (uint32_t)clone_nr);
		ins(&e, C_LD_ABS, 0, 0, 16);
		ins(&e, C_JSET, 0, 1, CLONE_VM_FLAG);
		ins(&e, C_RET, 0, 0, RET_ALLOW);
		ins(&e, C_LD_ABS, 0, 0, 0);
	}
	list_start = e.n;
	if (!s->all) {
		size_t cnt = 0, k = 0;

		for (uint32_t nr = 0; nr < s->nr_max; nr++)
			cnt += (s->traced[nr / 8] >> (nr % 8)) & 1;
		check = list_start + 2 * cnt + 1;
		for (uint32_t nr = 0; nr < s->nr_max; nr++) {
			if (!((s->traced[nr / 8] >> (nr % 8)) & 1))
				continue;
			ins(&e, C_JEQ, 0, 1, nr);
			k = e.n + 1;
			ins(&e, C_JA, 0, 0, (uint32_t)(check - k));
		}
		ins(&e, C_RET, 0, 0, RET_ALLOW);
	}
	if (s->tramp.hi > s->tramp.lo)
		range_blocks(&e, s->tramp.lo, s->tramp.hi, RET_ALLOW);
	if (!s->code_cnt) {
		ins(&e, C_RET, 0, 0, RET_TRAP);
	} else {
		for (size_t i = 0; i < s->code_cnt; i++)
			range_blocks(&e, s->code[i].lo, s->code[i].hi, RET_TRAP);
		ins(&e, C_RET, 0, 0, RET_ALLOW);
	}
	if (e.n > cap || e.n > UB_FILTER_MAX)
		return -E2BIG;
	return (int)e.n;
}

uint32_t ub_filter_eval(const struct ub_cbpf *f, size_t n, uint32_t arch, int nr,
			uint64_t ip, const uint64_t args[6])
{
	uint32_t data[16];
	uint32_t a = 0;

	data[0] = (uint32_t)nr;
	data[1] = arch;
	data[2] = (uint32_t)ip;
	data[3] = (uint32_t)(ip >> 32);
	for (int i = 0; i < 6; i++) {
		data[4 + 2 * i] = (uint32_t)args[i];
		data[5 + 2 * i] = (uint32_t)(args[i] >> 32);
	}
	for (size_t pc = 0; pc < n; pc++) {
		const struct ub_cbpf *p = &f[pc];
		bool t;

		switch (p->code) {
		case C_LD_ABS:
			if (p->k % 4 || p->k >= sizeof(data))
				return 0xffffffffu;
			a = data[p->k / 4];
			continue;
		case C_RET:
			return p->k;
		case C_JA:
			pc += p->k;
			continue;
		case C_JEQ:
			t = a == p->k;
			break;
		case C_JGE:
			t = a >= p->k;
			break;
		case C_JSET:
			t = (a & p->k) != 0;
			break;
		default:
			return 0xffffffffu;
		}
		pc += t ? p->jt : p->jf;
	}
	return 0xffffffffu;
}
