/* SPDX-License-Identifier: MIT */
/*
 * hooks.h - syscall tracepoints: what the CLI, the preloaded agent
 * (src/hooks/agent/) and the tests share.
 *
 *   - attach points: a SEC name ("tracepoint/syscalls/sys_enter_openat",
 *     "tp/...", "raw_tracepoint/sys_enter", "tracepoint/raw_syscalls/...")
 *     parsed into a kind and a syscall (tp.c);
 *   - the links registry in the store root (links.c): ROOT/links/<id>.link
 *     files naming object, program and attach point, and ROOT/generation,
 *     a counter bumped on every change so running agents notice;
 *   - bpf_trace_printk's formatting and the trace_pipe line (printk.c);
 *   - the seccomp filter the agent installs (filter.c): SECCOMP_RET_TRAP
 *     for the traced syscalls issued from this image's code, ALLOW for the
 *     rest and for the agent's own re-issue trampoline.
 */
#ifndef USERBPF_HOOKS_H
#define USERBPF_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hooks/syscall_table.h"
#include "userbpf/userbpf.h"

/* ---- attach points ---- */

enum ub_tp_kind {
	UB_TP_SYS_ENTER = 0,	/* syscalls/sys_enter_NAME */
	UB_TP_SYS_EXIT,		/* syscalls/sys_exit_NAME */
	UB_TP_RAW_ENTER,	/* raw_syscalls/sys_enter, raw_tracepoint/sys_enter */
	UB_TP_RAW_EXIT,		/* raw_syscalls/sys_exit, raw_tracepoint/sys_exit */
};

struct ub_attach {
	enum ub_tp_kind kind;
	const struct ub_sys_desc *sys;	/* syscalls/...: the syscall; else NULL */
	bool raw_tp;			/* raw_tracepoint/: r1 = u64 args[2] */
	char canon[96];			/* "syscalls/sys_enter_openat" */
};

/*
 * Parses a SEC name or an attach point ("syscalls/sys_enter_openat").
 * Returns 0, -ENOENT when it is not a syscall tracepoint at all, or -EINVAL
 * with `why` filled when it names one we do not know (an unknown syscall).
 */
int ub_attach_parse(const char *sec, struct ub_attach *a, char *why, size_t why_sz);
/* Bytes of context the program sees for this kind of attach point. */
uint32_t ub_attach_ctx_size(const struct ub_attach *a);

struct userbpf_rt;
/*
 * Registers the tracing helpers (probe_read*, trace_printk, current
 * pid/uid/comm) as stubs that fail with -ENOTSUP, so that a runtime outside
 * a traced process (the CLI checking an object before attaching it) loads
 * the same programs the agent will.  Returns 0 or a negative errno.
 */
int ub_hooks_stub_helpers(struct userbpf_rt *rt);
/*
 * The same helpers served for real by a hook (the agent in the traced
 * process, the ptrace tracer beside it): Linux's ids 4, 6, 14-16, 45,
 * 112-115 with their prototypes, each id's function from f (a NULL one
 * answers -ENOTSUP).  Returns 0 or a negative errno.
 */
struct ub_task_helpers {
	userbpf_helper_fn probe_read;		/* probe_read, _user, _kernel */
	userbpf_helper_fn probe_read_str;	/* probe_read_str, _user_str, _kernel_str */
	userbpf_helper_fn trace_printk;
	userbpf_helper_fn pid_tgid, uid_gid, comm;	/* get_current_* */
};
int ub_hooks_set_task_helpers(struct userbpf_rt *rt, const struct ub_task_helpers *f);

/* ---- the store root and the links registry ---- */

#define UB_LINK_FIELD_MAX 4096
struct ub_link_rec {
	char obj[UB_LINK_FIELD_MAX];	/* absolute path of the object file */
	char prog[256];			/* program (function) name */
	char attach[96];		/* canonical attach point */
	long owner;			/* pid of the process that made it */
	/* Where the object's maps are pinned, one file per map name, so that
	 * every traced process (and the attacher) shares them; "" : none. */
	char maps[UB_LINK_FIELD_MAX];
	/* The program's pin (src/store), whose run statistics every traced
	 * process bumps, so `prog show` counts runs; "" : none. */
	char pin[UB_LINK_FIELD_MAX];
};

/* Parses the text of a .link file (key=value lines).  Returns 0 or -EINVAL. */
int ub_link_parse(const char *text, size_t len, struct ub_link_rec *r);
/* Formats a .link file into buf.  Returns its length or -ENAMETOOLONG. */
int ub_link_format(const struct ub_link_rec *r, char *buf, size_t sz);

#if !defined(_WIN32)
/*
 * The store root: $USERBPF_ROOT, else $XDG_RUNTIME_DIR/userbpf, else
 * /tmp/userbpf-UID; created 0700 with its links/ folder, generation file
 * and trace_pipe FIFO.  Returns 0 or a negative errno.
 */
int ub_store_root(char *buf, size_t sz);
/* Writes ROOT/links/<pid>-<n>.link atomically and bumps the generation.
 * path receives the file's path.  Returns 0 or a negative errno. */
int ub_link_create(const char *root, const struct ub_link_rec *r, char *path, size_t sz);
/*
 * Pins every map of a loaded object as DIR/NAME, DIR being a new folder
 * ROOT/.objmaps/<pid>-<n>, so that the programs of its links share them
 * with the attacher (a map pinned already gets a second name there).
 * dir receives the folder.  Returns 0 or a negative errno.
 */
struct userbpf_obj;
struct userbpf_prog;
int ub_link_pin_maps(struct userbpf_obj *obj, const char *root, char *dir, size_t sz);
/*
 * Pins prog as ROOT/.progs/<pid>-<n>-NAME (type from its SEC name) for a
 * link to name: its statistics count the runs in traced processes.  path
 * receives the pin.  Returns 0 or a negative errno.
 */
int ub_link_pin_prog(struct userbpf_prog *prog, const char *sec, const char *root, char *path,
		     size_t sz);
/* Removes such a folder and the map names in it. */
void ub_link_unpin_maps(const char *dir);
/* Removes a link file and bumps the generation. */
int ub_link_remove(const char *root, const char *path);
/* Adds one to ROOT/generation.  Returns 0 or a negative errno. */
int ub_generation_bump(const char *root);
#endif

/* ---- bpf_trace_printk ---- */

/* Reads a NUL-terminated string of the traced process at addr into buf
 * (at most sz bytes with the NUL); returns its length or a negative errno. */
typedef int (*ub_read_str_fn)(void *user, uint64_t addr, char *buf, size_t sz);

/*
 * Formats as bpf_trace_printk does: %d %i %u %x %X %o %c %s %p %%, with
 * l/ll/h, flags '-' and '0' and a width; at most three arguments.  The
 * result is NUL-terminated and cut to sz.  Returns the length, or -EINVAL
 * for a format the kernel refuses (unknown conversion, more than three
 * arguments, no NUL within fmt_size).
 */
int ub_printk_format(char *out, size_t sz, const char *fmt, size_t fmt_size,
		     const uint64_t args[3], ub_read_str_fn rd, void *user);
/* One line of the kernel's trace_pipe:
 * "            bash-1234    [001] ...21 12345.678901: bpf_trace_printk: msg\n".
 * Returns its length (cut to sz). */
int ub_trace_line(char *out, size_t sz, const char *comm, int pid, unsigned cpu,
		  uint64_t ts_ns, const char *msg);

/* ---- the seccomp filter ---- */

struct ub_cbpf {	/* struct sock_filter */
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

struct ub_ip_range { uint64_t lo, hi; };	/* [lo, hi) */

#define UB_FILTER_MAX 4096	/* BPF_MAXINSNS */
#define UB_SECCOMP_DATA_TRAP 0x5542 /* SECCOMP_RET_DATA of our traps: "UB" */

struct ub_filter_spec {
	const uint8_t *traced;	/* bitmap of native syscall numbers to trap */
	uint32_t nr_max;	/* bits in traced */
	bool all;		/* raw_syscalls: trap every syscall */
	struct ub_ip_range tramp;	/* always allowed */
	const struct ub_ip_range *code;	/* trap only from these; none: anywhere */
	size_t code_cnt;
};

/*
 * Builds the filter into out (room for cap instructions).  Syscalls the
 * agent must never see are allowed whatever `traced` says: rt_sigreturn,
 * vfork, restart_syscall, and clone with CLONE_VM (a new thread or a
 * vfork: it cannot be re-issued from a signal handler).  Returns the
 * instruction count or -E2BIG.
 */
int ub_filter_build(const struct ub_filter_spec *s, struct ub_cbpf *out, size_t cap);
/* Runs a filter built above on (nr, ip, args) - for tests: returns the
 * seccomp action (SECCOMP_RET_*), or 0xffffffff for a malformed filter. */
uint32_t ub_filter_eval(const struct ub_cbpf *f, size_t n, uint32_t arch, int nr,
			uint64_t ip, const uint64_t args[6]);

/* ---- the ptrace tracer (ptrace.c): static and setuid binaries, --pid ---- */

struct ub_ptrace_opts {
	const char *root;	/* store root; NULL: ub_store_root() */
	/* the tracer's messages and memory (userbpf_rt_opts' meaning) */
	userbpf_log_fn log;	/* NULL: warnings to stderr */
	void *log_user;
	enum userbpf_log_level log_level;	/* 0: warnings */
	userbpf_alloc_fn alloc;
	void *alloc_user;
	bool no_filter;		/* exec: PTRACE_SYSCALL stops instead of a filter */
	uint64_t *stops;	/* out (optional): ptrace stops handled */
};

/* ---- static executables (exe.c) ---- */
struct ub_exe_io {
	long (*open)(const char *path);	/* read-only: an fd or a negative errno */
	long (*pread)(long fd, void *buf, size_t n, uint64_t off);
	void (*close)(long fd);
};
/*
 * 1 when the file open at fd is an ELF without PT_INTERP, or a script
 * whose interpreter is one (depth: scripts followed so far, 0 at first);
 * 0 otherwise (dynamic, not an ELF, unreadable).  Async-signal safe when
 * io is.
 */
int ub_exe_fd_is_static(const struct ub_exe_io *io, long fd, int depth);

/*
 * 1 when path (or a script's interpreter) is an ELF without PT_INTERP - a
 * static binary the agent cannot be preloaded into; 0 otherwise (dynamic,
 * or not an ELF); a negative errno when it cannot be read.
 */
int ub_elf_is_static(const char *path);
/*
 * Runs path with argv (environment: this process's) under the tracer: a
 * seccomp filter stops the traced syscalls (PTRACE_EVENT_SECCOMP), the
 * programs of the links run here with the tracee's pid, comm and memory;
 * forks, clones and execs are followed, links attached later are loaded.
 * Waits for every tracee.  Returns the command's status as a shell gives
 * it (code, or 128 + signal; 127/126 when it could not be run), or a
 * negative errno when tracing could not start.  SIGINT/SIGTERM/SIGHUP sent
 * to this process by another one are passed on to the command.
 */
int ub_ptrace_exec(const struct ub_ptrace_opts *o, const char *path, char *const argv[]);
/*
 * Takes in the running process pid: every thread, and the threads and
 * processes it starts, stop at every syscall (PTRACE_SYSCALL; no filter
 * can be put into a running process) and the programs of the links run
 * for the traced ones.  Returns 0 when the process has exited, or when a
 * SIGINT/SIGTERM/SIGHUP of this process detached every thread (the
 * process goes on unharmed); a negative errno when it cannot be traced.
 */
int ub_ptrace_attach(const struct ub_ptrace_opts *o, int pid);

/* ---- syscall sites in machine code (sites.c, x86-64) ---- */

#define UB_SITE_NR_MAX 512
enum ub_site_kind {
	UB_SITE_REWRITE,	/* `mov $nr,%eax`, listed instructions, syscall */
	UB_SITE_GUESSED,	/* another shape; nr is a guess */
	UB_SITE_UNKNOWN,	/* the number comes from elsewhere; nr = -1 */
};
struct ub_site {
	uint64_t mov;		/* REWRITE: address of the mov (b8 imm32) */
	uint64_t sys;		/* address of the syscall instruction (0f 05) */
	int nr;
	enum ub_site_kind kind;
};
/*
 * Classifies every `syscall` in code[0, len), which lives at addr; the
 * first cap go to out, in address order.  Returns how many there are.
 */
size_t ub_sites_scan(const uint8_t *code, size_t len, uint64_t addr, struct ub_site *out,
		     size_t cap);
/* Length of one instruction a REWRITE site may hold between its mov and
 * its syscall (no eax or r11 written, nothing rip-relative but lea), 0
 * for any other. */
size_t ub_site_insn_len(const uint8_t *p, size_t room);
/* Copies a REWRITE site's instructions [src, src+len), which sit at
 * address from, to dst, to run at address to: a rip-relative lea gets its
 * displacement moved.  Returns false when it no longer reaches. */
bool ub_site_copy(uint8_t *dst, const uint8_t *src, size_t len, uint64_t from, uint64_t to);

#endif
