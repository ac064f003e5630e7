/* SPDX-License-Identifier: MIT */
/*
 * tp.c - syscall tracepoint attach points: SEC names to (kind, syscall),
 * and the lookups of the generated syscall table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "hooks/hooks.h"

const struct ub_sys_desc *ub_sys_by_tp(const char *name)
{
	for (unsigned i = 0; i < ub_sys_table_cnt; i++)
		if (ub_sys_table[i].tp && !strcmp(ub_sys_table[i].tp, name))
			return &ub_sys_table[i];
	for (unsigned i = 0; i < ub_sys_table_cnt; i++)
		if (!strcmp(ub_sys_table[i].name, name))
			return &ub_sys_table[i];
	return NULL;
}

const struct ub_sys_desc *ub_sys_by_nr(long nr)
{
	for (unsigned i = 0; i < ub_sys_table_cnt; i++)
		if (UB_SYS_NATIVE_NR(&ub_sys_table[i]) == nr)
			return &ub_sys_table[i];
	return NULL;
}

static const char *skip_prefix(const char *s, const char *p)
{
	size_t n = strlen(p);

	return strncmp(s, p, n) ? NULL : s + n;
}

int ub_attach_parse(const char *sec, struct ub_attach *a, char *why, size_t why_sz)
{
	const char *rest, *p;

	memset(a, 0, sizeof(*a));
	if (why_sz)
		why[0] = 0;
	if (!sec)
		return -ENOENT;
	if ((p = skip_prefix(sec, "raw_tracepoint/")) || (p = skip_prefix(sec, "raw_tp/"))) {
		a->raw_tp = true;
		if (!strcmp(p, "sys_enter"))
			a->kind = UB_TP_RAW_ENTER;
		else if (!strcmp(p, "sys_exit"))
			a->kind = UB_TP_RAW_EXIT;
		else
			return -ENOENT;
		snprintf(a->canon, sizeof(a->canon), "raw_tracepoint/%s", p);
		return 0;
	}
	rest = sec;
	if ((p = skip_prefix(sec, "tracepoint/")) || (p = skip_prefix(sec, "tp/")))
		rest = p;
	if ((p = skip_prefix(rest, "raw_syscalls/"))) {
		if (!strcmp(p, "sys_enter"))
			a->kind = UB_TP_RAW_ENTER;
		else if (!strcmp(p, "sys_exit"))
			a->kind = UB_TP_RAW_EXIT;
		else {
			snprintf(why, why_sz, "raw_syscalls has sys_enter and sys_exit only, not '%s'", p);
			return -EINVAL;
		}
		snprintf(a->canon, sizeof(a->canon), "raw_syscalls/%s", p);
		return 0;
	}
	if (!(p = skip_prefix(rest, "syscalls/")))
		return -ENOENT;
	if ((rest = skip_prefix(p, "sys_enter_"))) {
		a->kind = UB_TP_SYS_ENTER;
	} else if ((rest = skip_prefix(p, "sys_exit_"))) {
		a->kind = UB_TP_SYS_EXIT;
	} else {
		snprintf(why, why_sz, "'%s' is neither sys_enter_NAME nor sys_exit_NAME", p);
		return -EINVAL;
	}
	a->sys = ub_sys_by_tp(rest);
	if (!a->sys || !a->sys->tp) {
		snprintf(why, why_sz, "Linux has no syscall tracepoint for '%s'", rest);
		return -EINVAL;
	}
	if (UB_SYS_NATIVE_NR(a->sys) < 0) {
		snprintf(why, why_sz, "syscall '%s' does not exist on this architecture", rest);
		return -EINVAL;
	}
	snprintf(a->canon, sizeof(a->canon), "syscalls/sys_%s_%s",
		 a->kind == UB_TP_SYS_ENTER ? "enter" : "exit", a->sys->tp);
	return 0;
}

uint32_t ub_attach_ctx_size(const struct ub_attach *a)
{
	if (a->raw_tp)
		return 16;	/* struct bpf_raw_tracepoint_args: regs, id or ret */
	switch (a->kind) {
	case UB_TP_SYS_ENTER:
		/* the format's fields only: Linux refuses to attach a program
		 * that reads past them (PERF_EVENT_IOC_SET_BPF: EACCES) */
		return 16 + 8 * (uint32_t)(a->sys->nargs > 0 ? a->sys->nargs : 0);
	case UB_TP_SYS_EXIT:
		return (uint32_t)sizeof(struct ub_tp_sys_exit);
	case UB_TP_RAW_ENTER:
		return (uint32_t)sizeof(struct ub_tp_raw_enter);
	case UB_TP_RAW_EXIT:
		return (uint32_t)sizeof(struct ub_tp_raw_exit);
	}
	return 0;
}

#include "core/core_internal.h"

static uint64_t h_stub(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct userbpf_call *c)
{
	(void)r1; (void)r2; (void)r3; (void)r4; (void)r5; (void)c;
	return (uint64_t)-ENOTSUP;
}

/* The task helpers of syscall tracepoints: Linux's ids, names and
 * prototypes, each served by one of struct ub_task_helpers' functions. */
enum { T_READ, T_READ_STR, T_PRINTK, T_PID_TGID, T_UID_GID, T_COMM };

int ub_hooks_set_task_helpers(struct userbpf_rt *rt, const struct ub_task_helpers *f)
{
#define MEM_READ { UB_RET_INT, { UB_ARG_MEM_UNINIT, UB_ARG_SIZE_OR_ZERO, UB_ARG_ANY } }
	static const struct {
		uint32_t id;
		const char *name;
		int role;
		struct ub_helper_proto proto;
	} h[] = {
		{ 4, "bpf_probe_read", T_READ, MEM_READ },
		{ 6, "bpf_trace_printk", T_PRINTK,
		  { UB_RET_INT, { UB_ARG_MEM, UB_ARG_SIZE } } },	/* 0-3 more, any */
		{ 14, "bpf_get_current_pid_tgid", T_PID_TGID, { UB_RET_INT, { 0 } } },
		{ 15, "bpf_get_current_uid_gid", T_UID_GID, { UB_RET_INT, { 0 } } },
		{ 16, "bpf_get_current_comm", T_COMM,
		  { UB_RET_INT, { UB_ARG_MEM_UNINIT, UB_ARG_SIZE } } },
		{ 45, "bpf_probe_read_str", T_READ_STR, MEM_READ },
		{ 112, "bpf_probe_read_user", T_READ, MEM_READ },
		{ 113, "bpf_probe_read_kernel", T_READ, MEM_READ },
		{ 114, "bpf_probe_read_user_str", T_READ_STR, MEM_READ },
		{ 115, "bpf_probe_read_kernel_str", T_READ_STR, MEM_READ },
	};
#undef MEM_READ

	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		const userbpf_helper_fn fns[] = {
			[T_READ] = f ? f->probe_read : NULL, [T_READ_STR] = f ? f->probe_read_str : NULL,
			[T_PRINTK] = f ? f->trace_printk : NULL, [T_PID_TGID] = f ? f->pid_tgid : NULL,
			[T_UID_GID] = f ? f->uid_gid : NULL, [T_COMM] = f ? f->comm : NULL,
		};
		int err = userbpf_rt__set_helper(rt, h[i].id, h[i].name,
						 fns[h[i].role] ? fns[h[i].role] : h_stub);

		if (err)
			return err;
		rt->helpers[h[i].id].has_proto = true;
		rt->helpers[h[i].id].proto = h[i].proto;
	}
	return 0;
}

int ub_hooks_stub_helpers(struct userbpf_rt *rt)
{
	return ub_hooks_set_task_helpers(rt, NULL);
}
