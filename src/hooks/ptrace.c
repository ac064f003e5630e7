/* SPDX-License-Identifier: MIT */
/*
 * ptrace.c - the syscall tracer that runs in the userbpf process, for what
 * the preloaded agent cannot reach: static binaries (no dynamic loader to
 * preload into), setuid ones (the loader ignores LD_PRELOAD) and processes
 * already running (`userbpf exec --pid`).
 *
 * Two ways in, one loop:
 *   - ub_ptrace_exec: fork; the child waits until the tracer has seized it,
 *     installs a seccomp filter answering SECCOMP_RET_TRACE for the traced
 *     syscall numbers (plus execve/execveat) and execs.  Each traced
 *     syscall is one PTRACE_EVENT_SECCOMP stop, where the sys_enter
 *     programs run; when sys_exit programs want it, the tracee resumes with
 *     PTRACE_SYSCALL for that one syscall and its exit-stop runs them.
 *     Untraced syscalls never stop.
 *   - ub_ptrace_attach: PTRACE_SEIZE every thread of /proc/PID/task (no
 *     filter can be put into a running process), PTRACE_INTERRUPT, then
 *     PTRACE_SYSCALL stops on every syscall; programs run for the traced
 *     numbers only.  SIGINT/SIGTERM/SIGHUP detach every thread cleanly.
 * Forks, vforks, clones and execs are followed (PTRACE_O_TRACE*); new
 * threads and processes are seized by the kernel and show up in waitpid.
 *
 * Links attached later: ROOT/generation is mapped; when it moves the links
 * are reloaded.  An installed filter cannot widen, so when a new link asks
 * for a syscall the filter does not trace, every tracee switches to
 * PTRACE_SYSCALL stops (correct, slower).
 *
 * Programs run here, in the tracer: their helpers take the tracee's
 * meaning through the run's user pointer (struct task): pid/tgid, uid/gid
 * and comm come from /proc/TID, probe_read_user(_str) reads the tracee's
 * memory through process_vm_readv, bpf_trace_printk writes ROOT/trace_pipe
 * with the tracee's comm and tid.
 *
 * The tracer owns the process's waiting: it reaps every child (waitpid
 * -1), and blocks SIGCHLD, SIGINT, SIGTERM and SIGHUP while it runs,
 * taking them with sigwaitinfo (so a signal can never be lost between a
 * check and a wait); the mask is restored on return.
 *
 * x86-64 Linux only for now (the registers and the filter's arch).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "hooks/hooks.h"
#include "userbpf/userbpf.h"

#if defined(__linux__) && !defined(_WIN32)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static long libc_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static long libc_pread(long fd, void *buf, size_t n, uint64_t off)
{
	return pread((int)fd, buf, n, (off_t)off);
}

static void libc_close(long fd)
{
	close((int)fd);
}

int ub_elf_is_static(const char *path)
{
	static const struct ub_exe_io io = { libc_open, libc_pread, libc_close };
	long fd = libc_open(path);
	int r;

	if (fd < 0)
		return (int)fd;
	r = ub_exe_fd_is_static(&io, fd, 0);
	libc_close(fd);
	return r;
}
#else
int ub_elf_is_static(const char *path)
{
	(void)path;
	return -ENOTSUP;
}
#endif

#if defined(__linux__) && defined(__x86_64__)
#include <signal.h>
#include <stdlib.h>
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include "core/core_internal.h"
#include "exec/exec_internal.h"
#include "exec/jit_internal.h"
#include "platform/platform.h"

#define NR_MAX 512
#define AUDIT_ARCH_X86_64_ 0xc000003eu

/* PTRACE_GET_SYSCALL_INFO (Linux 5.3), spelled out: <linux/ptrace.h>
 * and <sys/ptrace.h> do not mix everywhere. */
#define PT_GET_SYSCALL_INFO 0x420e
enum { PSI_NONE = 0, PSI_ENTRY = 1, PSI_EXIT = 2, PSI_SECCOMP = 3 };
struct psi {
	uint8_t op;
	uint8_t pad[3];
	uint32_t arch;
	uint64_t ip, sp;
	union {
		struct { uint64_t nr, args[6]; } entry;
		struct { int64_t rval; uint8_t is_error; } exit;
		struct { uint64_t nr, args[6]; uint32_t ret_data; } seccomp;
	} u;
};

#define OPT_COMMON (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | \
		    PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC)

struct prog_ent {
	struct userbpf_prog *prog;
	struct ub_attach at;
	int nr;			/* native number; -1 for raw_syscalls */
	uint32_t ctx_size;
};

struct thr {
	int tid;
	int tgid;		/* 0: not read yet */
	bool in_sys;		/* between a syscall's entry and its exit-stop */
	bool ran_enter;		/* its sys_enter programs ran */
	bool started;		/* stopped once already, or seized running */
	long nr;
	uint64_t args[6];
};

struct tracer {
	const struct ub_ptrace_opts *o;
	struct userbpf_rt *rt;	/* tables, programs, log; owned */
	char root[4096], pipe_path[4200], links_dir[4200];
	const volatile uint64_t *gen;	/* ROOT/generation, mapped; NULL: none */
	uint64_t loaded_gen;
	bool loaded, quiet;
	/* the links now: owned objects and their programs */
	struct userbpf_obj **objs;
	struct userbpf_prog_pin **pins;
	size_t obj_cnt, obj_cap, pin_cap;
	struct prog_ent *progs;
	size_t prog_cnt, prog_cap;
	uint8_t want_enter[NR_MAX / 8], want_exit[NR_MAX / 8];
	bool raw_enter, raw_exit;
	/* the seccomp filter of the exec mode; none in the attach mode */
	bool have_filter, filter_all;
	uint8_t filtered[NR_MAX / 8];
	bool all_stops;		/* resume with PTRACE_SYSCALL always */
	struct thr *th;
	size_t th_cnt, th_cap;
	int main_pid, main_status;
	bool main_done, detaching;
	uintptr_t stk_lo, stk_hi;	/* this thread's stack: where programs' own memory lies */
	uint64_t stops;
};

/* What a helper learns from the run's user pointer. */
struct task {
	struct tracer *tr;
	struct thr *t;
};

static void tr_log(enum userbpf_log_level level, const char *msg, void *user)
{
	struct tracer *tr = user;

	if (tr->quiet && level == USERBPF_LOG_WARN)
		return;
	if (tr->o->log)
		tr->o->log(level, msg, tr->o->log_user);
	else if (level <= USERBPF_LOG_WARN)
		fprintf(stderr, "userbpf: %s\n", msg);
}

static bool has_bit(const uint8_t *b, long nr)
{
	return nr >= 0 && nr < NR_MAX && (b[nr / 8] >> (nr % 8)) & 1;
}

static void set_bit(uint8_t *b, long nr)
{
	if (nr >= 0 && nr < NR_MAX)
		b[nr / 8] |= (uint8_t)(1u << (nr % 8));
}

static int native(const char *name)
{
	const struct ub_sys_desc *d = ub_sys_by_tp(name);

	return d ? UB_SYS_NATIVE_NR(d) : -1;
}

/* ---- the tracee's memory and identity ---- */

/* Reads up to n bytes of the tracee, page by page, stopping at the first
 * unreadable one; returns the bytes read. */
static size_t tracee_read(int tid, void *dst, uint64_t src, size_t n)
{
	size_t got = 0;

	while (got < n) {
		size_t chunk = 4096 - ((src + got) & 4095);
		struct iovec l, r;
		ssize_t k;

		if (chunk > n - got)
			chunk = n - got;
		l = (struct iovec){ (char *)dst + got, chunk };
		r = (struct iovec){ (void *)(uintptr_t)(src + got), chunk };
		k = process_vm_readv(tid, &l, 1, &r, 1, 0);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return got;
}

/* Reads /proc/TID/FILE into buf (NUL-terminated); returns its length or -1. */
static ssize_t proc_read(int tid, const char *file, char *buf, size_t sz)
{
	char p[64];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/%s", tid, file);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sz - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

/* The first number after "key:" in /proc/TID/status; -1 when missing. */
static long status_field(int tid, const char *key)
{
	char buf[2048], *p;
	size_t kl = strlen(key);

	if (proc_read(tid, "status", buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == ':')
			return strtol(p + kl + 1, NULL, 10);
	return -1;
}

static int thr_tgid(struct thr *t)
{
	if (!t->tgid) {
		long g = status_field(t->tid, "Tgid");

		t->tgid = g > 0 ? (int)g : t->tid;
	}
	return t->tgid;
}

static void thr_comm(const struct thr *t, char comm[16])
{
	char buf[64];
	ssize_t n = proc_read(t->tid, "comm", buf, sizeof(buf));

	memset(comm, 0, 16);
	if (n <= 0)
		return;
	if (buf[n - 1] == '\n')
		buf[--n] = 0;
	memcpy(comm, buf, (size_t)n < 15 ? (size_t)n : 15);
}

/* ---- helpers with the tracee's meaning ---- */

#define UNUSED5 (void)r1; (void)r2; (void)r3; (void)r4; (void)r5

static struct task *task_of(struct userbpf_call *c)
{
	return userbpf_call__user(c);
}

static uint64_t h_pid_tgid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   struct userbpf_call *c)
{
	struct task *k = task_of(c);

	UNUSED5;
	if (!k)
		return (uint64_t)-EINVAL;
	return ((uint64_t)(uint32_t)thr_tgid(k->t) << 32) | (uint32_t)k->t->tid;
}

static uint64_t h_uid_gid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			  struct userbpf_call *c)
{
	struct task *k = task_of(c);
	long uid, gid;

	UNUSED5;
	if (!k)
		return (uint64_t)-EINVAL;
	uid = status_field(k->t->tid, "Uid");	/* the real ids, as Linux */
	gid = status_field(k->t->tid, "Gid");
	if (uid < 0 || gid < 0)
		return (uint64_t)-EINVAL;
	return ((uint64_t)(uint32_t)gid << 32) | (uint32_t)uid;
}

static uint64_t h_comm(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct userbpf_call *c)
{
	struct task *k = task_of(c);
	char comm[16];
	size_t n;

	(void)r3; (void)r4; (void)r5;
	if (!r2 || !k)
		return (uint64_t)-EINVAL;
	thr_comm(k->t, comm);
	n = strlen(comm) + 1;
	if (n > r2)
		n = (size_t)r2;
	memcpy((void *)(uintptr_t)r1, comm, n);
	((char *)(uintptr_t)r1)[n - 1] = 0;
	return 0;
}

/* probe_read / _user / _kernel: the tracee's memory; dst zeroed on a fault */
static uint64_t h_probe_read(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct userbpf_call *c)
{
	struct task *k = task_of(c);

	(void)r4; (void)r5;
	if (!r2)
		return 0;
	if (k && tracee_read(k->t->tid, (void *)(uintptr_t)r1, r3, (size_t)r2) == r2)
		return 0;
	memset((void *)(uintptr_t)r1, 0, (size_t)r2);
	return (uint64_t)-EFAULT;
}

/* probe_read_str / _user_str / _kernel_str: up to size-1 bytes and a NUL;
 * returns the length with the NUL. */
static uint64_t h_probe_read_str(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				 uint64_t r5, struct userbpf_call *c)
{
	struct task *k = task_of(c);
	char *dst = (char *)(uintptr_t)r1;
	uint64_t done = 0;

	(void)r4; (void)r5;
	if (!r2)
		return 0;
	while (k && done + 1 < r2) {
		size_t want = 4096 - ((r3 + done) & 4095), got;
		void *nul;

		if (want > r2 - 1 - done)
			want = (size_t)(r2 - 1 - done);
		got = tracee_read(k->t->tid, dst + done, r3 + done, want);
		nul = memchr(dst + done, 0, got);
		if (nul)
			return (uint64_t)((char *)nul - dst) + 1;
		done += got;
		if (got < want)
			break;
	}
	if (!k || (!done && r2 > 1)) {
		memset(dst, 0, (size_t)r2);
		return (uint64_t)-EFAULT;
	}
	dst[done] = 0;
	return done + 1;
}

/* %s of bpf_trace_printk: the program's own memory (its stack, maps,
 * context) lies in the tracer; any other address is the tracee's. */
static int printk_str(void *user, uint64_t addr, char *buf, size_t sz)
{
	struct userbpf_call *c = user;
	struct task *k = task_of(c);
	size_t n;

	if (!sz)
		return -EINVAL;
	if ((addr >= k->tr->stk_lo && addr < k->tr->stk_hi) || ub_call_mem_ok(c, addr, 1, false)) {
		const char *s = (const char *)(uintptr_t)addr;

		for (n = 0; n + 1 < sz && s[n] && (ub_call_mem_ok(c, addr + n, 1, false) ||
						   (addr + n >= k->tr->stk_lo && addr + n < k->tr->stk_hi));
		     n++)
			buf[n] = s[n];
		buf[n] = 0;
		return (int)n;
	}
	n = tracee_read(k->t->tid, buf, addr, sz - 1);
	if (!n)
		return -EFAULT;
	buf[n] = 0;
	return (int)strlen(buf);
}

static uint64_t h_trace_printk(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			       uint64_t r5, struct userbpf_call *c)
{
	struct task *k = task_of(c);
	char fmt[512], msg[512], line[700], comm[16];
	uint64_t args[3] = { r3, r4, r5 };
	sigset_t pipe_set, old;
	int n, fd, cpu;

	if (!k || !r2 || r2 > sizeof(fmt))
		return (uint64_t)-EINVAL;
	memcpy(fmt, (const void *)(uintptr_t)r1, (size_t)r2);	/* verified program memory */
	n = ub_printk_format(msg, sizeof(msg), fmt, (size_t)r2, args, printk_str, c);
	if (n < 0)
		return (uint64_t)(int64_t)n;
	thr_comm(k->t, comm);
	cpu = sched_getcpu();
	n = ub_trace_line(line, sizeof(line), comm, k->t->tid, cpu > 0 ? (unsigned)cpu : 0,
			  ub_os_monotonic_ns(), msg);
	fd = open(k->tr->pipe_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		/* a reader gone between open and write must not kill the tracer */
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
		if (write(fd, line, (size_t)n) < 0 && errno == EPIPE) {
			struct timespec zero = { 0, 0 };

			sigtimedwait(&pipe_set, NULL, &zero);
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		close(fd);
	}
	return (uint64_t)n;
}

static int set_helpers(struct userbpf_rt *rt)
{
	static const struct ub_task_helpers f = {
		.probe_read = h_probe_read, .probe_read_str = h_probe_read_str,
		.trace_printk = h_trace_printk, .pid_tgid = h_pid_tgid, .uid_gid = h_uid_gid,
		.comm = h_comm,
	};

	return ub_hooks_set_task_helpers(rt, &f);
}

/* ---- the links ---- */

static void drop_links(struct tracer *tr)
{
	for (size_t i = 0; i < tr->obj_cnt; i++) {
		userbpf_obj__close(tr->objs[i]);
		userbpf_prog_pin__close(tr->pins[i]);
	}
	tr->obj_cnt = 0;
	tr->prog_cnt = 0;
	memset(tr->want_enter, 0, sizeof(tr->want_enter));
	memset(tr->want_exit, 0, sizeof(tr->want_exit));
	tr->raw_enter = tr->raw_exit = false;
}

static bool grow(struct tracer *tr, void **arr, size_t *cap, size_t cnt, size_t esz)
{
	void *n;

	if (cnt < *cap)
		return true;
	n = ub_calloc(tr->rt, *cap ? *cap * 2 : 8, esz);
	if (!n)
		return false;
	if (cnt)
		memcpy(n, *arr, cnt * esz);
	ub_free(tr->rt, *arr);
	*arr = n;
	*cap = *cap ? *cap * 2 : 8;
	return true;
}

static void load_link(struct tracer *tr, const char *path)
{
	struct ub_link_rec *r = ub_malloc(tr->rt, sizeof(*r));
	struct userbpf_obj_opts oo = { .sz = sizeof(oo) };
	struct userbpf_obj *obj = NULL;
	struct userbpf_prog_pin *pin = NULL;
	struct userbpf_prog *prog;
	struct ub_attach at;
	char why[160], *text = NULL;
	FILE *f;
	size_t n;

	if (!r)
		return;
	text = ub_malloc(tr->rt, 3 * UB_LINK_FIELD_MAX + 1024);
	f = text ? fopen(path, "re") : NULL;
	if (!f)
		goto out;	/* removed meanwhile */
	n = fread(text, 1, 3 * UB_LINK_FIELD_MAX + 1024, f);
	fclose(f);
	if (ub_link_parse(text, n, r))
		goto out;	/* half-removed or foreign file: not ours to judge */
	if (r->owner > 0 && kill((pid_t)r->owner, 0) && errno == ESRCH)
		goto out;	/* its attacher is gone */
	if (ub_attach_parse(r->attach, &at, why, sizeof(why))) {
		ub_log(tr->rt, USERBPF_LOG_WARN, "%s: attach point '%s': %s", path, r->attach,
		       why[0] ? why : "not a syscall tracepoint");
		goto out;
	}
	if (!grow(tr, (void **)&tr->objs, &tr->obj_cap, tr->obj_cnt, sizeof(*tr->objs)) ||
	    !grow(tr, (void **)&tr->pins, &tr->pin_cap, tr->obj_cnt, sizeof(*tr->pins)) ||
	    !grow(tr, (void **)&tr->progs, &tr->prog_cap, tr->prog_cnt, sizeof(*tr->progs)))
		goto out;
	if (r->maps[0]) {
		/* the attacher's maps, shared by name */
		oo.pin_root_path = r->maps;
		oo.pin_all_maps = true;
	}
	obj = userbpf_obj__open_file(tr->rt, r->obj, &oo);
	if (!obj || userbpf_obj__load(obj)) {
		ub_log(tr->rt, USERBPF_LOG_WARN, "%s: cannot load object '%s'", path, r->obj);
		goto out;
	}
	prog = userbpf_obj__find_prog(obj, r->prog);
	if (!prog) {
		ub_log(tr->rt, USERBPF_LOG_WARN, "%s: object '%s' has no program '%s'", path,
		       r->obj, r->prog);
		goto out;
	}
	if (r->pin[0]) {
		pin = userbpf_prog_pin__open(tr->rt, r->pin);
		if (pin)
			userbpf_prog__set_stats(prog, userbpf_prog_pin__stats(pin));
	}
	{
		struct userbpf_verify_opts vo = { .sz = sizeof(vo) };

		vo.ctx_size = ub_attach_ctx_size(&at);
		/* refused: it runs in the checked interpreter */
		tr->quiet = true;
		if (!userbpf_prog__verify(prog, &vo))
			ub_jit_compile(prog);
		tr->quiet = false;
	}
	tr->objs[tr->obj_cnt] = obj;
	tr->pins[tr->obj_cnt++] = pin;
	obj = NULL;
	pin = NULL;
	tr->progs[tr->prog_cnt++] = (struct prog_ent){ prog, at,
						       at.sys ? UB_SYS_NATIVE_NR(at.sys) : -1,
						       ub_attach_ctx_size(&at) };
	if (at.kind == UB_TP_SYS_ENTER)
		set_bit(tr->want_enter, UB_SYS_NATIVE_NR(at.sys));
	else if (at.kind == UB_TP_SYS_EXIT)
		set_bit(tr->want_exit, UB_SYS_NATIVE_NR(at.sys));
	else if (at.kind == UB_TP_RAW_ENTER)
		tr->raw_enter = true;
	else
		tr->raw_exit = true;
out:
	userbpf_prog_pin__close(pin);
	userbpf_obj__close(obj);
	ub_free(tr->rt, text);
	ub_free(tr->rt, r);
}

/* Does the filter stop every syscall some program wants? */
static bool filter_covers(const struct tracer *tr)
{
	if (tr->filter_all)
		return true;
	if (tr->raw_enter || tr->raw_exit)
		return false;
	for (int nr = 0; nr < NR_MAX; nr++)
		if ((has_bit(tr->want_enter, nr) || has_bit(tr->want_exit, nr)) &&
		    !has_bit(tr->filtered, nr))
			return false;
	return true;
}

static void reload(struct tracer *tr)
{
	DIR *d;
	struct dirent *e;
	char path[4500];

	drop_links(tr);
	tr->loaded_gen = tr->gen ? *tr->gen : 0;
	tr->loaded = true;
	d = opendir(tr->links_dir);
	if (d) {
		while ((e = readdir(d))) {
			size_t l = strlen(e->d_name);

			if (l < 6 || strcmp(e->d_name + l - 5, ".link"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", tr->links_dir, e->d_name);
			load_link(tr, path);
		}
		closedir(d);
	}
	if (tr->have_filter && !tr->all_stops && !filter_covers(tr)) {
		ub_log(tr->rt, USERBPF_LOG_INFO,
		       "a new link traces a syscall the seccomp filter does not stop: "
		       "every syscall now stops (PTRACE_SYSCALL)");
		tr->all_stops = true;
		/* running threads switch at their next stop: make one now */
		for (size_t i = 0; i < tr->th_cnt; i++)
			ptrace(PTRACE_INTERRUPT, tr->th[i].tid, 0, 0);
	}
}

static void maybe_reload(struct tracer *tr)
{
	if (!tr->loaded || (tr->gen && *tr->gen != tr->loaded_gen))
		reload(tr);
}

/* ---- running programs ---- */

static void run_one(struct tracer *tr, struct thr *t, struct prog_ent *p, void *ctx)
{
	struct userbpf_region reg = { ctx, p->ctx_size, false };
	struct userbpf_run_opts ro = { .sz = sizeof(ro) };
	struct task k = { tr, t };
	uint64_t r0;

	ro.args[0] = (uint64_t)(uintptr_t)ctx;
	ro.regions = &reg;
	ro.region_cnt = 1;
	ro.user = &k;
	userbpf_prog__run(p->prog, &ro, &r0);
}

/* x86-64 struct pt_regs from user_regs_struct (same order), for
 * raw_tracepoint programs. */
static bool get_pt_regs(int tid, uint64_t pr[21])
{
	struct user_regs_struct u;

	if (ptrace(PTRACE_GETREGS, tid, 0, &u))
		return false;
	pr[0] = u.r15, pr[1] = u.r14, pr[2] = u.r13, pr[3] = u.r12, pr[4] = u.rbp;
	pr[5] = u.rbx, pr[6] = u.r11, pr[7] = u.r10, pr[8] = u.r9, pr[9] = u.r8;
	pr[10] = u.rax, pr[11] = u.rcx, pr[12] = u.rdx, pr[13] = u.rsi, pr[14] = u.rdi;
	pr[15] = u.orig_rax, pr[16] = u.rip, pr[17] = u.cs, pr[18] = u.eflags;
	pr[19] = u.rsp, pr[20] = u.ss;
	return true;
}

static void run_progs(struct tracer *tr, struct thr *t, bool enter, long ret)
{
	uint64_t pr[21];
	bool have_regs = false;

	for (size_t i = 0; i < tr->prog_cnt; i++) {
		struct prog_ent *p = &tr->progs[i];
		enum ub_tp_kind k = p->at.kind;

		if (enter ? (k != UB_TP_SYS_ENTER && k != UB_TP_RAW_ENTER)
			  : (k != UB_TP_SYS_EXIT && k != UB_TP_RAW_EXIT))
			continue;
		if (p->nr >= 0 && p->nr != t->nr)
			continue;
		if (p->at.raw_tp) {
			uint64_t rc[2];

			if (!have_regs && !(have_regs = get_pt_regs(t->tid, pr)))
				continue;
			rc[0] = (uint64_t)(uintptr_t)pr;
			rc[1] = enter ? (uint64_t)t->nr : (uint64_t)ret;
			run_one(tr, t, p, rc);
		} else if (k == UB_TP_SYS_ENTER) {
			struct ub_tp_sys_enter c = { { 0, 0, 0, t->tid }, (int32_t)t->nr, 0, { 0 } };

			for (int j = 0; j < p->at.sys->nargs && j < 6; j++)
				c.args[j] = t->args[j];
			run_one(tr, t, p, &c);
		} else if (k == UB_TP_RAW_ENTER) {
			struct ub_tp_raw_enter c = { { 0, 0, 0, t->tid }, t->nr, { 0 } };

			memcpy(c.args, t->args, sizeof(c.args));
			run_one(tr, t, p, &c);
		} else if (k == UB_TP_SYS_EXIT) {
			struct ub_tp_sys_exit c = { { 0, 0, 0, t->tid }, (int32_t)t->nr, 0, ret };

			run_one(tr, t, p, &c);
		} else {
			struct ub_tp_raw_exit c = { { 0, 0, 0, t->tid }, t->nr, ret };

			run_one(tr, t, p, &c);
		}
	}
}

static bool wants_exit(const struct tracer *tr, long nr)
{
	return tr->raw_exit || has_bit(tr->want_exit, nr);
}

static bool wants_enter(const struct tracer *tr, long nr)
{
	return tr->raw_enter || has_bit(tr->want_enter, nr);
}

/* ---- threads ---- */

static struct thr *thr_find(struct tracer *tr, int tid)
{
	for (size_t i = 0; i < tr->th_cnt; i++)
		if (tr->th[i].tid == tid)
			return &tr->th[i];
	return NULL;
}

static struct thr *thr_add(struct tracer *tr, int tid, int tgid)
{
	struct thr *t = thr_find(tr, tid);

	if (t)
		return t;
	if (!grow(tr, (void **)&tr->th, &tr->th_cap, tr->th_cnt, sizeof(*tr->th)))
		return NULL;
	t = &tr->th[tr->th_cnt++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->tgid = tgid;
	t->nr = -1;
	return t;
}

static void thr_del(struct tracer *tr, int tid)
{
	struct thr *t = thr_find(tr, tid);

	if (t)
		*t = tr->th[--tr->th_cnt];
}

/* ---- the stops ---- */

static void resume(struct tracer *tr, struct thr *t, int sig)
{
	long req = tr->all_stops || (t && t->in_sys) ? PTRACE_SYSCALL : PTRACE_CONT;
	int tid = t ? t->tid : 0;

	if (tr->detaching) {
		ptrace(PTRACE_DETACH, tid, 0, (void *)(uintptr_t)sig);
		thr_del(tr, tid);
		return;
	}
	ptrace(req, tid, 0, (void *)(uintptr_t)sig);
}

static void syscall_entry(struct tracer *tr, struct thr *t, long nr, const uint64_t args[6])
{
	if (tr->all_stops && t->in_sys && t->ran_enter && t->nr == nr)
		return;	/* the seccomp stop after an entry-stop: done already */
	t->nr = nr;
	memcpy(t->args, args, sizeof(t->args));
	maybe_reload(tr);
	if (wants_enter(tr, nr))
		run_progs(tr, t, true, 0);
	t->ran_enter = true;
	t->in_sys = tr->all_stops || wants_exit(tr, nr);
}

static void on_syscall_stop(struct tracer *tr, struct thr *t)
{
	struct psi si;

	memset(&si, 0, sizeof(si));
	if (ptrace(PT_GET_SYSCALL_INFO, t->tid, (void *)sizeof(si), &si) <= 0)
		return;
	if (si.op == PSI_ENTRY || si.op == PSI_SECCOMP) {
		/* entry and seccomp share the layout of nr and args */
		syscall_entry(tr, t, (long)si.u.entry.nr, si.u.entry.args);
	} else if (si.op == PSI_EXIT) {
		if (t->ran_enter && t->nr >= 0) {
			maybe_reload(tr);
			if (wants_exit(tr, t->nr))
				run_progs(tr, t, false, (long)si.u.exit.rval);
		}
		t->in_sys = false;
		t->ran_enter = false;
	}
}

/*
 * A new thread or process returns from clone/fork/vfork before its first
 * stop, without an exit-stop (the kernel clears syscall tracing in a
 * child), while Linux's sys_exit tracepoint fires there with ret 0: run
 * the sys_exit programs now, from the registers it returns with.
 */
static void child_returns(struct tracer *tr, struct thr *t)
{
	static const char *const forks[] = { "clone", "clone3", "fork", "vfork" };
	struct user_regs_struct u;

	maybe_reload(tr);
	if (!tr->raw_exit && !tr->prog_cnt)
		return;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &u))
		return;
	for (size_t i = 0; i < sizeof(forks) / sizeof(forks[0]); i++) {
		if ((long)u.orig_rax != native(forks[i]) || !wants_exit(tr, (long)u.orig_rax))
			continue;
		t->nr = (long)u.orig_rax;
		run_progs(tr, t, false, (long)u.rax);
		t->nr = -1;
		return;
	}
}

static bool is_group_stop_sig(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void on_wait(struct tracer *tr, int pid, int st)
{
	struct thr *t;
	int sig, ev;

	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		thr_del(tr, pid);
		if (pid == tr->main_pid) {
			tr->main_done = true;
			tr->main_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		return;
	}
	if (!WIFSTOPPED(st))
		return;
	tr->stops++;
	t = thr_add(tr, pid, 0);	/* a new child may stop before its parent's event */
	if (!t) {
		ptrace(PTRACE_DETACH, pid, 0, 0);
		return;
	}
	sig = WSTOPSIG(st);
	ev = (st >> 16) & 0xff;
	if (!t->started) {
		t->started = true;
		if (ev == PTRACE_EVENT_STOP && !tr->detaching)
			child_returns(tr, t);
	}
	if (sig == (SIGTRAP | 0x80)) {
		if (!tr->detaching)
			on_syscall_stop(tr, t);
		resume(tr, t, 0);
	} else if (ev == PTRACE_EVENT_SECCOMP) {
		if (!tr->detaching)
			on_syscall_stop(tr, t);
		resume(tr, t, 0);
	} else if (ev == PTRACE_EVENT_STOP) {
		if (is_group_stop_sig(sig) && !tr->detaching)
			ptrace(PTRACE_LISTEN, pid, 0, 0);	/* job control stays the process's */
		else
			resume(tr, t, 0);
	} else if (ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK ||
		   ev == PTRACE_EVENT_CLONE) {
		unsigned long child = 0;

		if (!ptrace(PTRACE_GETEVENTMSG, pid, 0, &child) && child)
			thr_add(tr, (int)child, 0);
		t = thr_find(tr, pid);	/* the table may have moved */
		resume(tr, t, 0);
	} else if (ev == PTRACE_EVENT_EXEC) {
		unsigned long former = 0;

		/* a thread other than the leader exec'd: it took the leader's
		 * tid, and is inside that syscall */
		if (!ptrace(PTRACE_GETEVENTMSG, pid, 0, &former) && (int)former != pid) {
			struct thr *old = thr_find(tr, (int)former);

			if (old) {
				struct thr keep = *old;

				thr_del(tr, (int)former);
				t = thr_find(tr, pid);
				if (t) {
					keep.tid = pid;
					*t = keep;
				}
			}
		}
		if (t)
			t->tgid = pid;
		resume(tr, t, 0);
	} else {
		resume(tr, t, sig);	/* signal-delivery-stop: deliver it */
	}
}

/* ---- the loop ---- */

static int setup(struct tracer *tr, const struct ub_ptrace_opts *o)
{
	struct userbpf_rt_opts ro = { .sz = sizeof(ro) };
	pthread_attr_t a;
	char p[4200];
	int fd, err;

	memset(tr, 0, sizeof(*tr));
	tr->o = o;
	ro.alloc = o->alloc;
	ro.alloc_user = o->alloc_user;
	ro.log = tr_log;
	ro.log_user = tr;
	ro.log_level = o->log_level ? o->log_level : USERBPF_LOG_WARN;
	tr->rt = userbpf_rt__new(&ro);
	if (!tr->rt)
		return -errno;
	err = set_helpers(tr->rt);
	if (err)
		return err;
	if (o->root)
		snprintf(tr->root, sizeof(tr->root), "%s", o->root);
	else if ((err = ub_store_root(tr->root, sizeof(tr->root))))
		return err;
	snprintf(tr->pipe_path, sizeof(tr->pipe_path), "%s/trace_pipe", tr->root);
	snprintf(tr->links_dir, sizeof(tr->links_dir), "%s/links", tr->root);
	snprintf(p, sizeof(p), "%s/generation", tr->root);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		void *m = mmap(NULL, 8, PROT_READ, MAP_SHARED, fd, 0);

		if (m != MAP_FAILED)
			tr->gen = m;
		close(fd);
	}
	/* the programs' stacks (interpreter and JIT) lie on this thread's */
	if (!pthread_getattr_np(pthread_self(), &a)) {
		void *lo;
		size_t sz;

		if (!pthread_attr_getstack(&a, &lo, &sz)) {
			tr->stk_lo = (uintptr_t)lo;
			tr->stk_hi = (uintptr_t)lo + sz;
		}
		pthread_attr_destroy(&a);
	}
	return 0;
}

static void teardown(struct tracer *tr)
{
	if (!tr->rt)
		return;
	drop_links(tr);
	ub_free(tr->rt, tr->objs);
	ub_free(tr->rt, tr->pins);
	ub_free(tr->rt, tr->progs);
	ub_free(tr->rt, tr->th);
	if (tr->gen)
		munmap((void *)(uintptr_t)tr->gen, 8);
	userbpf_rt__free(tr->rt);
	tr->rt = NULL;
}

static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

/* Starts detaching: every thread is interrupted, and detached at its
 * next stop (resume() sees tr->detaching). */
static void begin_detach(struct tracer *tr)
{
	tr->detaching = true;
	for (size_t i = 0; i < tr->th_cnt; i++)
		ptrace(PTRACE_INTERRUPT, tr->th[i].tid, 0, 0);
}

/* Waits for stops and handles them until no tracee is left.  A stop
 * signal detaches (attach mode) or is passed on to the command (exec
 * mode, when a process sent it: the terminal's reach the command too). */
static void loop(struct tracer *tr, bool attach)
{
	const struct timespec tick = { 0, 100 * 1000 * 1000 };
	sigset_t set;
	siginfo_t si;

	stop_signals(&set);
	for (;;) {
		int st, pid;

		while ((pid = waitpid(-1, &st, __WALL | WNOHANG)) > 0) {
			on_wait(tr, pid, st);
			if (attach && !tr->th_cnt)
				return;	/* every thread gone or detached */
		}
		if (pid < 0 && errno == ECHILD)
			return;
		if (attach && !tr->th_cnt)
			return;
		/* a tracee that makes no traced syscall never stops: look
		 * at the links now and then all the same */
		if (sigtimedwait(&set, &si, &tick) < 0) {
			if (errno == EAGAIN && !tr->detaching)
				maybe_reload(tr);
			continue;
		}
		if (si.si_signo == SIGCHLD)
			continue;
		if (attach) {
			if (!tr->detaching)
				begin_detach(tr);
		} else if (si.si_code <= 0 && tr->main_pid > 0 && !tr->main_done) {
			kill(tr->main_pid, si.si_signo);
		}
	}
}

/* The filter of the exec mode: RET_TRACE for the traced numbers (all of
 * them for raw_syscalls programs) and for execve/execveat, ALLOW else. */
static int build_filter(struct tracer *tr, struct sock_filter *f, size_t cap)
{
	size_t n = 0;
#define EMIT(c, t, e, kk)                                            \
	do {                                                         \
		if (n >= cap)                                        \
			return -E2BIG;                               \
		f[n++] = (struct sock_filter)BPF_JUMP(c, kk, t, e); \
	} while (0)

	set_bit(tr->filtered, native("execve"));
	set_bit(tr->filtered, native("execveat"));
	for (int nr = 0; nr < NR_MAX; nr++)
		if (has_bit(tr->want_enter, nr) || has_bit(tr->want_exit, nr))
			set_bit(tr->filtered, nr);
	tr->filter_all = tr->raw_enter || tr->raw_exit;
	EMIT(BPF_LD | BPF_W | BPF_ABS, 0, 0, 4);			/* arch */
	EMIT(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64_);
	EMIT(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
	EMIT(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0);			/* nr */
	EMIT(BPF_JMP | BPF_JGE | BPF_K, 0, 1, 0x40000000u);	/* x32 */
	EMIT(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
	if (tr->filter_all) {
		EMIT(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRACE);
	} else {
		for (int nr = 0; nr < NR_MAX; nr++) {
			if (!has_bit(tr->filtered, nr))
				continue;
			EMIT(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (uint32_t)nr);
			EMIT(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRACE);
		}
		EMIT(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
	}
#undef EMIT
	return (int)n;
}

int ub_ptrace_exec(const struct ub_ptrace_opts *o, const char *path, char *const argv[])
{
	const size_t fcap = 2 * NR_MAX + 16;
	struct sock_filter *filt = NULL;	/* owned */
	struct tracer tr;
	sigset_t set, old;
	int go[2] = { -1, -1 }, res[2] = { -1, -1 }, n = 0, err, child_err = 0;
	pid_t pid;

	err = setup(&tr, o);
	if (err)
		goto out_free;
	reload(&tr);
	if (!o->no_filter) {
		filt = ub_calloc(tr.rt, fcap, sizeof(*filt));
		n = filt ? build_filter(&tr, filt, fcap) : -ENOMEM;
		if (n < 0) {
			err = n;
			goto out_free;
		}
		tr.have_filter = true;
	} else {
		tr.all_stops = true;
	}
	if (pipe2(go, O_CLOEXEC) || pipe2(res, O_CLOEXEC)) {
		err = -errno;
		goto out;
	}
	stop_signals(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		goto out;
	}
	if (!pid) {
		/* the child: wait to be seized, then filter and exec */
		struct sock_fprog fp = { (unsigned short)n, filt };
		char c;
		int e;

		sigprocmask(SIG_SETMASK, &old, NULL);
		close(go[1]);
		close(res[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		if (n > 0) {
			long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
					 SECCOMP_FILTER_FLAG_SPEC_ALLOW, &fp);

			if (r && errno == EACCES) {
				/* without CAP_SYS_ADMIN: setuid bits no longer apply
				 * (they would not under a non-root ptrace either) */
				prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
				r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
					    SECCOMP_FILTER_FLAG_SPEC_ALLOW, &fp);
			}
			if (r) {
				e = -errno;
				if (write(res[1], &e, sizeof(e)) < 0)
					_exit(126);
				_exit(126);
			}
		}
		execv(path, argv);
		e = errno;
		if (write(res[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(e == ENOENT ? 127 : 126);
	}
	close(go[0]);
	go[0] = -1;
	close(res[1]);
	res[1] = -1;
	tr.main_pid = pid;
	if (ptrace(PTRACE_SEIZE, pid, 0,
		   (void *)(uintptr_t)(OPT_COMMON | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL))) {
		err = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		ub_log(tr.rt, USERBPF_LOG_WARN, "cannot trace '%s': PTRACE_SEIZE: %s", path,
		       strerror(-err));
		goto out;
	}
	if (thr_add(&tr, pid, pid))
		thr_find(&tr, pid)->started = true;
	if (write(go[1], "g", 1) != 1) {
		err = -errno;
		kill(pid, SIGKILL);
	}
	close(go[1]);
	go[1] = -1;
	loop(&tr, false);
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* the exec's outcome: nothing read means it happened (CLOEXEC) */
	if (read(res[0], &child_err, sizeof(child_err)) == (ssize_t)sizeof(child_err)) {
		if (child_err < 0)
			ub_log(tr.rt, USERBPF_LOG_WARN, "cannot install the seccomp filter: %s",
			       strerror(-child_err));
		else
			ub_log(tr.rt, USERBPF_LOG_WARN, "cannot run '%s': %s", path,
			       strerror(child_err));
	}
	if (!err)
		err = tr.main_done ? tr.main_status : 1;
	if (o->stops)
		*o->stops = tr.stops;
out:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (res[i] >= 0)
			close(res[i]);
	}
out_free:
	if (tr.rt)
		ub_free(tr.rt, filt);
	teardown(&tr);
	return err;
}

/* Seizes every thread of pid, again until a pass finds no new one (a
 * thread may start one before it is seized).  Returns how many. */
static int seize_all(struct tracer *tr, int pid)
{
	char p[64];
	int added;

	snprintf(p, sizeof(p), "/proc/%d/task", pid);
	do {
		DIR *d = opendir(p);
		struct dirent *e;

		added = 0;
		if (!d)
			return -errno;
		while ((e = readdir(d))) {
			int tid = atoi(e->d_name);

			if (tid <= 0 || thr_find(tr, tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(uintptr_t)OPT_COMMON)) {
				if (errno == ESRCH)
					continue;	/* exited meanwhile */
				closedir(d);
				return -errno;
			}
			if (!thr_add(tr, tid, pid)) {
				ptrace(PTRACE_DETACH, tid, 0, 0);
				closedir(d);
				return -ENOMEM;
			}
			thr_find(tr, tid)->started = true;	/* not a new child */
			ptrace(PTRACE_INTERRUPT, tid, 0, 0);
			added++;
		}
		closedir(d);
	} while (added);
	return (int)tr->th_cnt;
}

int ub_ptrace_attach(const struct ub_ptrace_opts *o, int pid)
{
	struct tracer tr;
	sigset_t set, old;
	int err;

	if (pid <= 0)
		return -EINVAL;
	err = setup(&tr, o);
	if (err)
		goto out;
	reload(&tr);
	tr.all_stops = true;	/* no filter: every syscall stops */
	stop_signals(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	err = seize_all(&tr, pid);
	if (err < 0) {
		ub_log(tr.rt, USERBPF_LOG_WARN, "cannot trace process %d: %s", pid, strerror(-err));
		if (tr.th_cnt)
			begin_detach(&tr);
	} else if (!err) {
		err = -ESRCH;
		ub_log(tr.rt, USERBPF_LOG_WARN, "process %d has no threads to trace", pid);
	} else {
		err = 0;
	}
	if (tr.th_cnt)
		loop(&tr, true);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (o->stops)
		*o->stops = tr.stops;
out:
	teardown(&tr);
	return err;
}

#else
int ub_ptrace_exec(const struct ub_ptrace_opts *o, const char *path, char *const argv[])
{
	(void)o; (void)path; (void)argv;
	return -ENOTSUP;
}

int ub_ptrace_attach(const struct ub_ptrace_opts *o, int pid)
{
	(void)o; (void)pid;
	return -ENOTSUP;
}
#endif
