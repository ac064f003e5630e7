/* SPDX-License-Identifier: MIT */
/*
 * syscall_table.h - the generated syscall table (syscall_table.c, written by
 * tools/gen/gen_syscalls.py) and the tracepoint context layouts it implies.
 *
 * The context of syscalls/sys_enter_NAME, as Linux's tracefs format files
 * give it: the common trace-event header (8 bytes), int __syscall_nr at 8,
 * then argument i as an 8-byte field at 16 + 8*i.  sys_exit_NAME: the
 * header, __syscall_nr at 8, long ret at 16.  raw_syscalls/sys_enter: the
 * header, long id at 8, unsigned long args[6] at 16; raw_syscalls/sys_exit:
 * the header, long id at 8, long ret at 16.
 */
#ifndef USERBPF_HOOKS_SYSCALL_TABLE_H
#define USERBPF_HOOKS_SYSCALL_TABLE_H

#include <stdint.h>
#include <stddef.h>

struct ub_sys_desc {
	const char *name;	/* the __NR_ name: "openat" */
	const char *tp;		/* tracepoint suffix ("openat"), NULL: none on Linux */
	int16_t nr_x86_64;	/* -1: not on x86-64 */
	int16_t nr_arm64;	/* -1: not on arm64 */
	int8_t nargs;		/* tracepoint fields; -1 when tp is NULL */
	const char *args[6];	/* field names, as tracefs */
	const char *types[6];	/* field types, as tracefs */
};

extern const struct ub_sys_desc ub_sys_table[];
extern const unsigned ub_sys_table_cnt;

/* The common trace-event header of every tracepoint context. */
struct ub_trace_common {
	uint16_t common_type;
	uint8_t common_flags;
	uint8_t common_preempt_count;
	int32_t common_pid;
};

/* syscalls/sys_enter_NAME (64 bytes: room for six arguments). */
struct ub_tp_sys_enter {
	struct ub_trace_common h;
	int32_t syscall_nr;
	int32_t pad;
	uint64_t args[6];
};

/* syscalls/sys_exit_NAME */
struct ub_tp_sys_exit {
	struct ub_trace_common h;
	int32_t syscall_nr;
	int32_t pad;
	int64_t ret;
};

/* raw_syscalls/sys_enter */
struct ub_tp_raw_enter {
	struct ub_trace_common h;
	int64_t id;
	uint64_t args[6];
};

/* raw_syscalls/sys_exit */
struct ub_tp_raw_exit {
	struct ub_trace_common h;
	int64_t id;
	int64_t ret;
};

/* Native syscall numbers of this build's architecture. */
#if defined(__aarch64__)
#define UB_SYS_NATIVE_NR(d) ((d)->nr_arm64)
#else
#define UB_SYS_NATIVE_NR(d) ((d)->nr_x86_64)
#endif

/* The entry whose tracepoint suffix (or, failing that, name) is `name`;
 * NULL when none. */
const struct ub_sys_desc *ub_sys_by_tp(const char *name);
/* The entry whose native number is nr; NULL when none. */
const struct ub_sys_desc *ub_sys_by_nr(long nr);

#endif
