/* SPDX-License-Identifier: MIT */
/*
 * agent.c - the in-process agent of syscall tracepoints, preloaded by
 * `userbpf exec` (LD_PRELOAD=libuserbpf-agent.so) into a process tree.
 *
 * How a traced syscall runs:
 *   0. At start-up, glibc's syscall sites (sites.c finds them) are
 *      rewritten into jumps to per-site stubs (emit_stub): an untraced
 *      syscall pays a jump and two compares; a traced one, exec/rt_sig*,
 *      or any after the links changed, calls ub_fast_syscall, which runs
 *      the programs.  syscall(2) is interposed likewise.
 *   1. A seccomp filter (filter.c) answers SECCOMP_RET_TRAP for syscalls
 *      that have links (plus the few the agent must see: execve, execveat,
 *      rt_sigprocmask, rt_sigaction), when issued from this image's code.
 *      Its mere presence costs every syscall ~40 ns, so it is installed
 *      only when a traced syscall may come from a site that was not
 *      rewritten (or for raw_syscalls, or USERBPF_FILTER=always).
 *   2. The kernel raises SIGSYS; on_sigsys() builds the tracepoint context
 *      as Linux lays it out, runs the sys_enter programs, re-issues the
 *      syscall through the trampoline (whose address range the filter
 *      allows), runs the sys_exit programs and stores the result in the
 *      interrupted context, and rewrites the site if it has glibc's shape.
 *   3. Links attached later: ROOT/generation is mapped read-only; a stub
 *      or a trap that sees it moved reloads the links and, when the filter
 *      is needed or new syscalls became traced, stacks a wider filter on
 *      every thread (TSYNC).  execve always reaches the agent, so a shell
 *      notices new links at its next command.
 *   4. A successful exec's sys_exit programs run in the new image (see
 *      do_exec and exec_exit).
 *   5. An exec of a static or setuid program, which no agent can follow,
 *      becomes an exec of `$USERBPF_CLI exec --ptrace` in the same
 *      process: the tracer runs it as its child (see exec_via_tracer).
 *
 * Async-signal safety: the handler never calls malloc or stdio.  Syscalls
 * go through the trampoline (ub_tramp_syscall); each reload gets a fresh
 * arena (mmap) that the runtime allocates from, and the old ones are kept
 * (programs of the previous epoch may still be running on other threads).
 * SIGSYS is installed with SA_NODEFER and an empty mask, so the signal
 * mask inside the handler is the application's; the agent keeps SIGSYS
 * out of every mask the application sets (rt_sigprocmask is emulated on
 * the saved context, rt_sigaction's sa_mask is cleaned), since a blocked
 * or ignored SIGSYS would kill the process at the next trap.
 *
 * This file is process-wide by nature (one signal handler, one filter
 * stack), so unlike the library it keeps its state in one static struct.
 * x86-64 only for now; elsewhere the agent loads and does nothing.
 */
#if defined(__linux__) && defined(__x86_64__)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <pthread.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include "core/core_internal.h"
#include "exec/exec_internal.h"
#include "exec/jit_internal.h"
#include "hooks/hooks.h"
#include "platform/platform.h"

#define NR_MAX 512
#define CLONE_VM_BIT 0x100
#define MAX_PROGS 64
#define MAX_CODE_RANGES 256
#define FEW_SITES 16		/* see find_code_ranges */

/* ---- the trampoline: the only place the agent issues syscalls from ---- */

long ub_tramp_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
extern char ub_tramp_start[], ub_tramp_end[];
__asm__(".text\n"
	".p2align 4\n"
	".globl ub_tramp_start\n.hidden ub_tramp_start\n"
	".globl ub_tramp_end\n.hidden ub_tramp_end\n"
	".globl ub_tramp_syscall\n.hidden ub_tramp_syscall\n"
	".type ub_tramp_syscall,@function\n"
	"ub_tramp_start:\n"
	"ub_tramp_syscall:\n"
	"\tmov %rdi, %rax\n"
	"\tmov %rsi, %rdi\n"
	"\tmov %rdx, %rsi\n"
	"\tmov %rcx, %rdx\n"
	"\tmov %r8, %r10\n"
	"\tmov %r9, %r8\n"
	"\tmov 8(%rsp), %r9\n"
	"\tsyscall\n"
	"\tret\n"
	"ub_tramp_end:\n"
	".size ub_tramp_syscall, ub_tramp_end - ub_tramp_syscall\n");

#define SYS6(nr, a, b, c, d, e, f) \
	ub_tramp_syscall((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#define SYS(nr, a, b, c) SYS6(nr, a, b, c, 0, 0, 0)

/* ---- state ---- */

struct arena {
	char *base;
	size_t used, size;
};

struct prog_ent {
	struct userbpf_prog *prog;
	struct ub_attach at;
	int nr;			/* native number; -1 for raw_syscalls */
	uint32_t ctx_size;
};

struct epoch {
	uint64_t gen;
	struct userbpf_rt *rt;
	struct prog_ent progs[MAX_PROGS];
	unsigned cnt;
	bool any_raw;
};

/* Pages of per-site stubs for rewritten syscall sites (see emit_stub):
 * each area starts with a data page the stubs read, rip-relative. */
#define MAX_STUB_AREAS 16
#define STUB_AREA_SIZE (64 * 1024)
#define STUB_SIZE 128
#define SITE_WIN_MAX 23		/* bytes between a site's mov and its syscall */
struct stub_area {
	uint8_t *base;
	size_t used;
};
struct stub_data {
	uint64_t seen_gen;	/* the generation of the links loaded */
	uint8_t want[NR_MAX];	/* 1: the stub calls the agent */
};

/* The kernel's struct sigaction on x86-64. */
struct k_sigaction {
	uint64_t handler, flags, restorer, mask;
};

static struct {
	bool active;
	bool quiet;			/* verifying: a refusal only means checked mode */
	char root[4096];
	char agent[4096];
	char cli[4096];			/* $USERBPF_CLI: the userbpf program, or "" */
	bool warned_untraced;		/* said once that a static exec runs untraced */
	char pipe_path[4200];
	char links_dir[4200];
	const volatile uint64_t *gen;	/* ROOT/generation, shared read-only */
	struct epoch *cur;		/* the links now: __atomic loads and stores */
	uint64_t lock;			/* pid << 32 | tid of the reloader, 0: free */
	uint64_t plock;			/* the same, for patching syscall sites */
	struct stub_area areas[MAX_STUB_AREAS];
	unsigned area_cnt;
	bool no_patch;			/* USERBPF_NO_PATCH=1: SIGSYS for every trap */
	bool filter_always;		/* USERBPF_FILTER=always (or no_patch) */
	uint8_t slow_nr[NR_MAX / 8];	/* never handed over by a stub */
	long (*real_syscall)(long, ...);	/* glibc's, see syscall() */
	bool batch;			/* start-up rewriting, see rewrite_site */
	struct stub_data sd;		/* the master copy of the stubs' data */
	/* syscalls issued from sites that were not rewritten (by guess) */
	uint8_t uncovered[NR_MAX / 8];
	bool uncovered_all;
	unsigned long sites_rewritten, sites_unknown;
	unsigned fork_gen;		/* bumped in a forked child: cached tids are stale */
	/* The process this state belongs to: a vfork child (posix_spawn)
	 * shares it with its parent, see reload(). */
	int owner;
	struct epoch *child_cur;	/* what such a child loaded, and its pid */
	int child_pid;
	unsigned long patched;
	struct ub_ip_range code[MAX_CODE_RANGES];
	size_t code_cnt;
	uint8_t filtered[NR_MAX / 8];	/* union of what our filters trap */
	bool filtered_all;
	struct k_sigaction app_sigsys;	/* the application's SIGSYS, as it sees it */
	int nr_execve, nr_execveat, nr_sigprocmask, nr_sigaction, nr_clone, nr_clone3;
} G;

static void publish_stub_data(void);

static __thread int in_agent __attribute__((tls_model("initial-exec")));
/* This thread's id, valid while tid_gen == G.fork_gen (a fork bumps it in
 * the child, see on_fork_child). */
static __thread int32_t tls_tid __attribute__((tls_model("initial-exec")));
static __thread unsigned tls_tid_gen __attribute__((tls_model("initial-exec")));
/* Set while a program runs once at load to get JIT-compiled (see
 * load_link): the helpers then do nothing. */

static size_t s_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static void agent_write_err(const char *msg)
{
	char buf[600];
	size_t n = 0, m = s_len(msg);
	const char *pre = "userbpf agent: ";

	for (size_t i = 0; pre[i] && n < sizeof(buf); i++)
		buf[n++] = pre[i];
	for (size_t i = 0; i < m && n < sizeof(buf) - 1; i++)
		buf[n++] = msg[i];
	buf[n++] = '\n';
	SYS(SYS_write, 2, buf, n);
}

static void agent_log(enum userbpf_log_level level, const char *msg, void *user)
{
	(void)user;
	if (level == USERBPF_LOG_WARN && !G.quiet)
		agent_write_err(msg);
}

/* ---- the arena allocator (one per epoch, never freed) ---- */

static void *arena_alloc(void *user, void *ptr, size_t osize, size_t nsize)
{
	struct arena *a = user;
	char *p;

	if (!nsize)
		return NULL;	/* freed with the epoch: never, see above */
	nsize = (nsize + 15) & ~(size_t)15;
	if (a->used + nsize > a->size) {
		size_t sz = nsize > (1u << 20) ? nsize : (1u << 20);
		long m = SYS6(SYS_mmap, 0, sz, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m < 0 && m > -4096)
			return NULL;
		a->base = (char *)m;
		a->used = 0;
		a->size = sz;
	}
	p = a->base + a->used;
	a->used += nsize;
	if (ptr && osize)
		memcpy(p, ptr, osize < nsize ? osize : nsize);
	return p;
}

/* ---- fault-safe access to the process's memory ---- */

static long self_pid(void)
{
	return SYS(SYS_getpid, 0, 0, 0);
}

static int32_t self_tid(void)
{
	unsigned g = __atomic_load_n(&G.fork_gen, __ATOMIC_RELAXED) + 1;

	if (tls_tid_gen != g) {
		tls_tid = (int32_t)SYS(SYS_gettid, 0, 0, 0);
		tls_tid_gen = g;
	}
	return tls_tid;
}

static void on_fork_child(void)
{
	__atomic_fetch_add(&G.fork_gen, 1, __ATOMIC_RELAXED);
	G.owner = (int)SYS(SYS_getpid, 0, 0, 0);
	__atomic_store_n(&G.child_cur, NULL, __ATOMIC_RELEASE);	/* ours now: reload */
}

static long safe_read(void *dst, uint64_t src, size_t n)
{
	struct iovec l = { dst, n }, r = { (void *)(uintptr_t)src, n };

	if (!n)
		return 0;
	return SYS6(SYS_process_vm_readv, self_pid(), &l, 1, &r, 1, 0);
}

static long safe_write(uint64_t dst, const void *src, size_t n)
{
	struct iovec l = { (void *)src, n }, r = { (void *)(uintptr_t)dst, n };

	if (!n)
		return 0;
	return SYS6(SYS_process_vm_writev, self_pid(), &l, 1, &r, 1, 0);
}

/* Reads up to n bytes, stopping at the first unreadable page. */
static long safe_read_partial(void *dst, uint64_t src, size_t n)
{
	size_t got = 0;

	while (got < n) {
		size_t chunk = 4096 - ((src + got) & 4095);
		long r;

		if (chunk > n - got)
			chunk = n - got;
		r = safe_read((char *)dst + got, src + got, chunk);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got ? (long)got : -EFAULT;
}

static int read_str(void *user, uint64_t addr, char *buf, size_t sz)
{
	long n;

	(void)user;
	if (!sz)
		return -EINVAL;
	n = safe_read_partial(buf, addr, sz - 1);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	return (int)s_len(buf);
}

/* ---- helpers with the tracee's meaning ---- */

#define UNUSED5 (void)r1; (void)r2; (void)r3; (void)r4; (void)r5

static uint64_t h_pid_tgid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   struct userbpf_call *c)
{
	UNUSED5;
	(void)c;
	return ((uint64_t)self_pid() << 32) | (uint32_t)self_tid();
}

static uint64_t h_uid_gid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			  struct userbpf_call *c)
{
	UNUSED5;
	(void)c;
	return ((uint64_t)(uint32_t)SYS(SYS_getgid, 0, 0, 0) << 32) |
	       (uint32_t)SYS(SYS_getuid, 0, 0, 0);
}

static uint64_t h_comm(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct userbpf_call *c)
{
	char comm[17] = { 0 };
	size_t n;

	(void)r3; (void)r4; (void)r5; (void)c;
	if (!r2)
		return (uint64_t)-EINVAL;
	SYS(SYS_prctl, PR_GET_NAME, comm, 0);
	n = s_len(comm) + 1;
	if (n > r2) {
		n = r2;
		comm[n - 1] = 0;
	}
	return safe_write(r1, comm, n) == (long)n ? 0 : (uint64_t)-EFAULT;
}

/* probe_read_user / probe_read_kernel / probe_read: dst gets zeroes on a fault */
static uint64_t h_probe_read(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct userbpf_call *c)
{
	static const char zero[256];

	(void)r4; (void)r5; (void)c;
	if (safe_read((void *)(uintptr_t)r1, r3, r2) == (long)r2)
		return 0;
	for (uint64_t off = 0; off < r2; off += sizeof(zero))
		safe_write(r1 + off, zero, r2 - off < sizeof(zero) ? r2 - off : sizeof(zero));
	return (uint64_t)-EFAULT;
}

/* probe_read_user_str / _kernel_str: up to size-1 bytes and a NUL; returns
 * the length with the NUL. */
static uint64_t h_probe_read_str(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				 uint64_t r5, struct userbpf_call *c)
{
	char buf[512];
	uint64_t done = 0;

	(void)r4; (void)r5; (void)c;
	if (!r2)
		return 0;
	while (done < r2) {
		size_t want = r2 - done - 1 < sizeof(buf) ? (size_t)(r2 - done - 1) : sizeof(buf);
		long n = want ? safe_read_partial(buf, r3 + done, want) : 0;
		size_t k = 0;

		if (n < 0) {
			if (!done)
				return (uint64_t)-EFAULT;
			n = 0;
		}
		while (k < (size_t)n && buf[k])
			k++;
		if (k < (size_t)n || (size_t)n < want || done + (uint64_t)n + 1 >= r2) {
			/* found the NUL, hit a fault, or filled size-1 bytes */
			buf[k < (size_t)n ? k : (size_t)n] = 0;
			k = k < (size_t)n ? k : (size_t)n;
			if (safe_write(r1 + done, buf, k + 1) != (long)(k + 1))
				return (uint64_t)-EFAULT;
			return done + k + 1;
		}
		if (safe_write(r1 + done, buf, (size_t)n) != n)
			return (uint64_t)-EFAULT;
		done += (uint64_t)n;
	}
	return done;
}

static uint64_t h_trace_printk(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			       uint64_t r5, struct userbpf_call *c)
{
	char fmt[512], msg[512], line[700], comm[17] = { 0 };
	uint64_t args[3] = { r3, r4, r5 };
	unsigned cpu = 0;
	long fd;
	int n;

	(void)c;
	if (!r2 || r2 > sizeof(fmt))
		return (uint64_t)-EINVAL;
	if (safe_read(fmt, r1, r2) != (long)r2)
		return (uint64_t)-EFAULT;
	n = ub_printk_format(msg, sizeof(msg), fmt, r2, args, read_str, NULL);
	if (n < 0)
		return (uint64_t)(int64_t)n;
	SYS(SYS_prctl, PR_GET_NAME, comm, 0);
	SYS(SYS_getcpu, &cpu, 0, 0);
	n = ub_trace_line(line, sizeof(line), comm, (int)self_tid(), cpu,
			  ub_os_monotonic_ns(), msg);
	fd = SYS(SYS_openat, AT_FDCWD, G.pipe_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		SYS(SYS_write, fd, line, n);	/* <= PIPE_BUF: atomic */
		SYS(SYS_close, fd, 0, 0);
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

/* ---- reading the links registry with raw syscalls ---- */

static long read_whole(struct userbpf_rt *rt, const char *path, char **out)
{
	long fd = SYS(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, len = 0;
	char *buf;

	if (fd < 0)
		return fd;
	buf = ub_malloc(rt, cap);
	for (;;) {
		long n;

		if (!buf) {
			SYS(SYS_close, fd, 0, 0);
			return -ENOMEM;
		}
		if (len == cap) {
			char *nb = ub_malloc(rt, cap * 2);

			if (nb)
				memcpy(nb, buf, len);
			buf = nb;
			cap *= 2;
			continue;
		}
		n = SYS(SYS_read, fd, buf + len, cap - len);
		if (n == -EINTR)
			continue;
		if (n < 0) {
			SYS(SYS_close, fd, 0, 0);
			return n;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	SYS(SYS_close, fd, 0, 0);
	*out = buf;
	return (long)len;
}

static void warnf(const char *fmt, ...) UB_PRINTF(1, 2);
static void warnf(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	agent_write_err(msg);
}

static void load_link(struct epoch *e, const char *path)
{
	struct ub_link_rec *r;
	struct userbpf_obj *obj;
	struct userbpf_prog *prog;
	struct ub_attach at;
	char why[160], *text, *data;
	long n;
	int err;

	if (e->cnt >= MAX_PROGS)
		return;
	r = ub_malloc(e->rt, sizeof(*r));
	if (!r)
		return;
	n = read_whole(e->rt, path, &text);
	if (n < 0 || ub_link_parse(text, (size_t)n, r))
		return;	/* half-removed or foreign file: not ours to judge */
	if (r->owner > 0 && SYS(SYS_kill, r->owner, 0, 0) == -ESRCH)
		return;	/* its attacher is gone */
	if (ub_attach_parse(r->attach, &at, why, sizeof(why))) {
		warnf("%s: attach point '%s': %s", path, r->attach, why[0] ? why : "not a syscall tracepoint");
		return;
	}
	n = read_whole(e->rt, r->obj, &data);
	if (n < 0) {
		warnf("%s: cannot read object '%s': %s", path, r->obj, strerror((int)-n));
		return;
	}
	{
		/* The attacher's maps, shared: every map is found by name in
		 * the link's folder. */
		struct userbpf_obj_opts oo = { .sz = sizeof(oo), .name = r->obj };

		if (r->maps[0]) {
			oo.pin_root_path = r->maps;
			oo.pin_all_maps = true;
		}
		obj = userbpf_obj__open_mem(e->rt, data, (size_t)n, &oo);
	}
	if (!obj || userbpf_obj__load(obj)) {
		warnf("%s: cannot load object '%s'", path, r->obj);
		return;
	}
	prog = userbpf_obj__find_prog(obj, r->prog);
	if (!prog) {
		warnf("%s: object '%s' has no program '%s'", path, r->obj, r->prog);
		return;
	}
	if (r->pin[0]) {
		/* Runs here count in the program's pin, for `prog show`. */
		struct userbpf_prog_pin *pin = userbpf_prog_pin__open(e->rt, r->pin);

		if (pin)
			userbpf_prog__set_stats(prog, userbpf_prog_pin__stats(pin));
	}
	{
		struct userbpf_verify_opts vo = { .sz = sizeof(vo) };

		vo.ctx_size = ub_attach_ctx_size(&at);
		G.quiet = true;
		err = userbpf_prog__verify(prog, &vo);
		G.quiet = false;
		/* Refused: it runs in the checked interpreter.  Accepted: the
		 * JIT compiles now, since compiling allocates and maps pages -
		 * not something to do in a SIGSYS handler. */
		if (!err)
			ub_jit_compile(prog);
	}
	e->progs[e->cnt] = (struct prog_ent){ prog, at, at.sys ? UB_SYS_NATIVE_NR(at.sys) : -1,
					      ub_attach_ctx_size(&at) };
	if (!at.sys)
		e->any_raw = true;
	e->cnt++;
}

static void scan_links(struct epoch *e)
{
	char buf[4096], path[4500];
	long fd = SYS(SYS_openat, AT_FDCWD, G.links_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	for (;;) {
		long n = SYS(SYS_getdents64, fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct { uint64_t ino; int64_t off; uint16_t reclen; uint8_t type; char name[]; }
				*d = (void *)(buf + off);
			size_t l = s_len(d->name);

			off += d->reclen;
			if (l < 6 || strcmp(d->name + l - 5, ".link"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", G.links_dir, d->name);
			load_link(e, path);
		}
	}
	SYS(SYS_close, fd, 0, 0);
}

/* ---- the filter ---- */

static void set_bit(uint8_t *b, int nr)
{
	if (nr >= 0 && nr < NR_MAX)
		b[nr / 8] |= (uint8_t)(1u << (nr % 8));
}

static bool has_bit(const uint8_t *b, int nr)
{
	return nr >= 0 && nr < NR_MAX && (b[nr / 8] >> (nr % 8)) & 1;
}

static int install_filter(const uint8_t *traced, bool all)
{
	static struct ub_cbpf insns[UB_FILTER_MAX];	/* under G.lock */
	struct ub_filter_spec s = { traced, NR_MAX, all,
				    { (uint64_t)(uintptr_t)ub_tramp_start,
				      (uint64_t)(uintptr_t)ub_tramp_end + 1 },
				    G.code, G.code_cnt };
	struct sock_fprog fp;
	int n = ub_filter_build(&s, insns, UB_FILTER_MAX);
	long r;

	if (n < 0)
		return n;
	fp.len = (unsigned short)n;
	fp.filter = (struct sock_filter *)insns;
	/* SPEC_ALLOW: a filter must not turn on the speculative store
	 * bypass mitigation for the whole process (it slows every load) */
	r = SYS(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_SPEC_ALLOW, &fp);
	if (r == -EACCES) {
		SYS6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
		r = SYS(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_SPEC_ALLOW, &fp);
	}
	if (r > 0)
		return -EBUSY;	/* thread r could not be synchronised */
	return (int)r;
}

/* ---- reloading (under the lock) ---- */

static bool lock_try_at(uint64_t *l)
{
	uint64_t me = ((uint64_t)self_pid() << 32) | (uint32_t)SYS(SYS_gettid, 0, 0, 0);
	uint64_t cur = 0;

	if (__atomic_compare_exchange_n(l, &cur, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return true;
	/* held by a thread of the process we were forked from: stale */
	if ((cur >> 32) != (me >> 32))
		return __atomic_compare_exchange_n(l, &cur, me, false, __ATOMIC_ACQUIRE,
						   __ATOMIC_RELAXED);
	return false;
}

static bool lock_try(void)
{
	return lock_try_at(&G.lock);
}

static void lock_drop(void)
{
	__atomic_store_n(&G.lock, 0, __ATOMIC_RELEASE);
}

static struct epoch *reload(void)
{
	struct arena boot = { 0 }, *ar;
	struct userbpf_rt_opts o = { .sz = sizeof(o) };
	struct epoch *e;
	uint8_t want[NR_MAX / 8] = { 0 }, traced[NR_MAX / 8] = { 0 };
	bool all, need;
	int err;

	in_agent++;
	ar = arena_alloc(&boot, NULL, 0, sizeof(*ar));
	if (!ar)
		goto fail;
	*ar = boot;
	o.alloc = arena_alloc;
	o.alloc_user = ar;
	o.log = agent_log;
	o.log_level = USERBPF_LOG_WARN;
	e = arena_alloc(ar, NULL, 0, sizeof(*e));
	if (!e)
		goto fail;
	memset(e, 0, sizeof(*e));
	e->gen = G.gen ? *G.gen : 0;
	e->rt = userbpf_rt__new(&o);
	if (!e->rt || set_helpers(e->rt))
		goto fail;
	scan_links(e);

	set_bit(want, G.nr_execve);
	set_bit(want, G.nr_execveat);
	set_bit(want, G.nr_sigprocmask);
	set_bit(want, G.nr_sigaction);
	for (unsigned i = 0; i < e->cnt; i++) {
		set_bit(want, e->progs[i].nr);
		set_bit(traced, e->progs[i].nr);
	}
	all = e->any_raw;
	/* A vfork child runs with its parent's memory, but a filter it
	 * installed would be its own: it keeps what it loaded to itself. */
	if (self_pid() != G.owner) {
		G.child_pid = (int)self_pid();
		__atomic_store_n(&G.child_cur, e, __ATOMIC_RELEASE);
		in_agent--;
		return e;
	}
	/* the filter only when a traced syscall may come from a site that
	 * was not rewritten (it costs every syscall ~30%, see ARCHITECTURE) */
	need = G.filter_always || all || G.filtered_all;
	for (int nr = 0; nr < NR_MAX; nr++)
		need |= has_bit(G.filtered, nr) ||
			(has_bit(traced, nr) && (G.uncovered_all || has_bit(G.uncovered, nr)));
	if (need) {
		bool wider = all && !G.filtered_all;

		for (int nr = 0; nr < NR_MAX && !wider; nr++)
			wider = has_bit(want, nr) && !has_bit(G.filtered, nr) && !G.filtered_all;
		if (wider) {
			for (size_t i = 0; i < sizeof(want); i++)
				want[i] |= G.filtered[i];
			err = install_filter(want, all || G.filtered_all);
			if (err) {
				warnf("cannot install the seccomp filter: %s", strerror(-err));
			} else {
				memcpy(G.filtered, want, sizeof(want));
				G.filtered_all = G.filtered_all || all;
			}
		}
	}
	__atomic_store_n(&G.cur, e, __ATOMIC_RELEASE);
	/* then the stubs: which syscalls they hand over, and the generation
	 * after which they stop asking for a reload */
	for (int nr = 0; nr < NR_MAX; nr++)
		G.sd.want[nr] = all || has_bit(want, nr);
	G.sd.seen_gen = e->gen;
	publish_stub_data();
	in_agent--;
	return e;
fail:
	in_agent--;
	warnf("cannot reload the links: out of memory");
	return NULL;
}

/* The links to run: reloaded first when the generation moved (and the
 * lock is free: else the previous ones).  A vfork child keeps its own
 * (see reload), found by its pid. */
static struct epoch *epoch_now(void)
{
	struct epoch *e = __atomic_load_n(&G.cur, __ATOMIC_ACQUIRE), *c;

	if (!G.gen || (e && *G.gen == e->gen))
		return e;
	c = __atomic_load_n(&G.child_cur, __ATOMIC_ACQUIRE);
	if (c && c->gen == *G.gen && G.child_pid == self_pid())
		return c;
	if (lock_try()) {
		struct epoch *ne = reload();

		lock_drop();
		if (ne)
			e = ne;
	}
	return e;
}

/* ---- running programs ---- */

static void run_one(struct prog_ent *p, void *ctx)
{
	struct userbpf_region reg = { ctx, p->ctx_size, false };
	struct userbpf_run_opts ro = { .sz = sizeof(ro) };
	uint64_t r0;

	ro.args[0] = (uint64_t)(uintptr_t)ctx;
	ro.regions = &reg;
	ro.region_cnt = 1;
	userbpf_prog__run(p->prog, &ro, &r0);
}

/* x86-64 struct pt_regs, for raw_tracepoint programs */
static void fill_pt_regs(uint64_t *pr, const greg_t *g, long nr)
{
	static const int map[21] = { REG_R15, REG_R14, REG_R13, REG_R12, REG_RBP, REG_RBX,
				     REG_R11, REG_R10, REG_R9,  REG_R8,  REG_RAX, REG_RCX,
				     REG_RDX, REG_RSI, REG_RDI, -1,      REG_RIP, -1,
				     REG_EFL, REG_RSP, -1 };

	for (int i = 0; i < 21; i++)
		pr[i] = map[i] >= 0 ? (uint64_t)g[map[i]] : 0;
	pr[15] = (uint64_t)nr;	/* orig_ax */
	pr[17] = 0x33;		/* cs */
	pr[20] = 0x2b;		/* ss */
}

static void run_progs(struct epoch *e, bool enter, long nr, const uint64_t a[6], long ret,
		      const greg_t *g)
{
	int32_t tid = -1;

	for (unsigned i = 0; i < e->cnt; i++) {
		struct prog_ent *p = &e->progs[i];
		enum ub_tp_kind k = p->at.kind;

		if (enter ? (k != UB_TP_SYS_ENTER && k != UB_TP_RAW_ENTER)
			  : (k != UB_TP_SYS_EXIT && k != UB_TP_RAW_EXIT))
			continue;
		if (p->nr >= 0 && p->nr != nr)
			continue;
		if (tid < 0)
			tid = self_tid();
		if (p->at.raw_tp) {
			uint64_t pr[21], rc[2];

			fill_pt_regs(pr, g, nr);
			rc[0] = (uint64_t)(uintptr_t)pr;
			rc[1] = enter ? (uint64_t)nr : (uint64_t)ret;
			run_one(p, rc);
		} else if (k == UB_TP_SYS_ENTER) {
			struct ub_tp_sys_enter c = { { 0, 0, 0, tid }, (int32_t)nr, 0, { 0 } };

			for (int j = 0; j < p->at.sys->nargs && j < 6; j++)
				c.args[j] = a[j];
			run_one(p, &c);
		} else if (k == UB_TP_RAW_ENTER) {
			struct ub_tp_raw_enter c = { { 0, 0, 0, tid }, nr,
						     { a[0], a[1], a[2], a[3], a[4], a[5] } };
			run_one(p, &c);
		} else if (k == UB_TP_SYS_EXIT) {
			struct ub_tp_sys_exit c = { { 0, 0, 0, tid }, (int32_t)nr, 0, ret };
			run_one(p, &c);
		} else {
			struct ub_tp_raw_exit c = { { 0, 0, 0, tid }, nr, ret };
			run_one(p, &c);
		}
	}
}

/* ---- syscalls that cannot simply be re-issued from the handler ---- */

#define SIGBIT(s) (1ull << ((s) - 1))
#define NEVER_BLOCKED (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP) | SIGBIT(SIGSYS))

static long emu_sigprocmask(ucontext_t *uc, const uint64_t a[6])
{
	uint64_t *mask = (uint64_t *)(void *)&uc->uc_sigmask, old = *mask, set = 0, nm;

	if (a[3] != 8)
		return -EINVAL;
	if (a[1] && safe_read(&set, a[1], 8) != 8)
		return -EFAULT;
	if (a[1]) {
		switch (a[0]) {
		case SIG_BLOCK:
			nm = old | set;
			break;
		case SIG_UNBLOCK:
			nm = old & ~set;
			break;
		case SIG_SETMASK:
			nm = set;
			break;
		default:
			return -EINVAL;
		}
	} else {
		nm = old;
	}
	if (a[2] && safe_write(a[2], &old, 8) != 8)
		return -EFAULT;
	*mask = nm & ~NEVER_BLOCKED;
	return 0;
}

static long emu_sigaction(const uint64_t a[6])
{
	struct k_sigaction act;

	if (a[3] != 8)
		return -EINVAL;
	if (a[0] == SIGSYS) {
		/* keep our handler; remember what the application wanted */
		struct k_sigaction old = G.app_sigsys;

		if (a[1] && safe_read(&act, a[1], sizeof(act)) != (long)sizeof(act))
			return -EFAULT;
		if (a[2] && safe_write(a[2], &old, sizeof(old)) != (long)sizeof(old))
			return -EFAULT;
		if (a[1])
			G.app_sigsys = act;
		return 0;
	}
	if (!a[1])
		return SYS6(SYS_rt_sigaction, a[0], 0, a[2], a[3], 0, 0);
	if (safe_read(&act, a[1], sizeof(act)) != (long)sizeof(act))
		return -EFAULT;
	act.mask &= ~SIGBIT(SIGSYS);
	return SYS6(SYS_rt_sigaction, a[0], &act, a[2], a[3], 0, 0);
}

#define EXEC_EXIT_ENV "USERBPF_EXEC_EXIT"	/* see do_exec */

static bool env_is(const char *e, const char *key)
{
	size_t n = s_len(key);

	return !strncmp(e, key, n) && e[n] == '=';
}

/* A program on sys_exit_NAME of this exec (or on raw sys_exit)? */
static bool exit_wanted(long nr)
{
	struct epoch *e = epoch_now();

	for (unsigned i = 0; e && i < e->cnt; i++) {
		enum ub_tp_kind k = e->progs[i].at.kind;

		if (k == UB_TP_RAW_EXIT || (k == UB_TP_SYS_EXIT && e->progs[i].nr == nr))
			return true;
	}
	return false;
}

/* ---- static and setuid programs: handed over to the ptrace tracer ----
 *
 * The agent cannot follow an exec of a static program (no loader to
 * preload into) or of a setuid/setgid one (the loader ignores
 * LD_PRELOAD), and an inherited filter is inert there.  Such an exec
 * becomes, in the same process, `$USERBPF_CLI exec --ptrace --argv0
 * ARGV0 -- PATH ARGS...`: the pid stays (the parent waits for it as
 * before), the CLI traces the program as its child and exits with its
 * status.  The sys_enter programs of the original exec have run by then
 * with its filename and argv; the tracer runs those of its child's exec
 * of PATH, and its sys_exit ones.  Without USERBPF_CLI the exec goes on
 * untraced, with one warning per process.  All file access is raw
 * syscalls from the trampoline: this may run in the SIGSYS handler.
 */

/* File access for ub_exe_fd_is_static, through the trampoline. */
static long raw_open(const char *path)
{
	return SYS(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
}

static long raw_pread(long fd, void *buf, size_t n, uint64_t off)
{
	return SYS6(SYS_pread64, fd, buf, n, off, 0, 0);
}

static void raw_close(long fd)
{
	SYS(SYS_close, fd, 0, 0);
}

static int fd_elf_static(long fd, int depth)
{
	static const struct ub_exe_io io = { raw_open, raw_pread, raw_close };

	return ub_exe_fd_is_static(&io, fd, depth);
}

/* Does this exec need the tracer?  A regular, executable file that is
 * static or setuid/setgid (as `userbpf exec` decides). */
static bool exec_needs_tracer(int dirfd, const char *path, bool empty_path)
{
	struct stat st;
	long fd;
	bool r = false;

	if (empty_path) {
		fd = dirfd;
	} else {
		if (SYS(SYS_faccessat, dirfd, path, X_OK))
			return false;	/* the exec fails by itself */
		fd = SYS(SYS_openat, dirfd, path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
	}
	if (!SYS(SYS_fstat, fd, &st, 0) && S_ISREG(st.st_mode))
		r = (st.st_mode & (S_ISUID | S_ISGID)) || fd_elf_static(fd, 0) == 1;
	if (fd != dirfd)
		SYS(SYS_close, fd, 0, 0);
	return r;
}

static char *s_put(char *d, const char *s)
{
	while (*s)
		*d++ = *s++;
	*d = 0;
	return d;
}

/* LD_PRELOAD's entries without the agent, into d ("" when none left). */
static char *preload_without_agent(char *d, const char *pre)
{
	size_t al = s_len(G.agent);
	char *start = d;

	while (*pre) {
		size_t n = strcspn(pre, ": ");

		if (n && (n != al || strncmp(pre, G.agent, n))) {
			if (d != start)
				*d++ = ':';
			memcpy(d, pre, n);
			d += n;
		}
		pre += n;
		if (*pre)
			pre++;
	}
	*d = 0;
	return d;
}

/* One line per process: path runs untraced, and why. */
static void warn_untraced(const char *path, const char *why)
{
	char msg[512], *d = msg;
	const char *mid = " is static or setuid and ", *end = ": it runs untraced";

	if (G.warned_untraced)
		return;
	G.warned_untraced = true;
	for (size_t i = 0; path[i] && i < 300; i++)
		*d++ = path[i];
	d = s_put(d, mid);
	d = s_put(d, why);
	s_put(d, end);
	agent_write_err(msg);
}

/* Execs the CLI's tracer in place of a static or setuid program when this
 * exec wants it; returns only when it did not happen (then the exec goes
 * on as it was asked). */
static void exec_via_tracer(long nr, uint64_t a[6])
{
	bool at = nr == G.nr_execveat;
	int dirfd = at ? (int)a[0] : AT_FDCWD;
	const char *path = (const char *)(uintptr_t)a[at ? 1 : 0];
	char **argv = (char **)(uintptr_t)a[at ? 2 : 1];
	char **envp = (char **)(uintptr_t)a[at ? 3 : 2];
	bool empty = at && (a[4] & AT_EMPTY_PATH) && path && !path[0];
	size_t na = 0, ne = 0, need = 0;
	long m, fdflags = -1;
	char **nargv, **nenv, *s;

	if (!path || (dirfd != AT_FDCWD && dirfd < 0))
		return;
	if (!exec_needs_tracer(dirfd, path, empty))
		return;
	if (!G.cli[0]) {
		warn_untraced(path, "USERBPF_CLI is not set");
		return;
	}
	for (; argv && argv[na]; na++)
		need += s_len(argv[na]) + 1;
	for (; envp && envp[ne]; ne++)
		need += s_len(envp[ne]) + 1;	/* LD_PRELOAD, rewritten: shorter */
	need += (na + ne + 16) * sizeof(char *) + s_len(path) + 64 + 3 * 4200 + 4096;
	m = SYS6(SYS_mmap, 0, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m < 0 && m > -4096)
		return;
	nargv = (char **)m;
	nenv = nargv + na + 8;
	s = (char *)(nenv + ne + 6);
	{
		size_t k = 0;

		nargv[k++] = G.cli;
		nargv[k++] = "exec";
		nargv[k++] = "--ptrace";
		nargv[k++] = "--argv0";
		nargv[k++] = na ? argv[0] : "";
		nargv[k++] = "--";
		/* the program's path, as the CLI resolves it (never on PATH) */
		nargv[k++] = s;
		if (path[0] == '/' || dirfd == AT_FDCWD) {
			if (path[0] != '/' && !strchr(path, '/'))
				s = s_put(s, "./");
			s = s_put(s, path) + 1;
		} else {
			s += sprintf(s, "/proc/self/fd/%d%s%s", dirfd, empty ? "" : "/",
				     empty ? "" : path) + 1;
			fdflags = SYS(SYS_fcntl, dirfd, F_GETFD, 0);
			if (fdflags > 0 && (fdflags & FD_CLOEXEC))
				SYS(SYS_fcntl, dirfd, F_SETFD, fdflags & ~FD_CLOEXEC);
		}
		for (size_t i = 1; i < na; i++)
			nargv[k++] = argv[i];
		nargv[k] = NULL;
	}
	{
		/* the CLI must not have the agent: LD_PRELOAD without it */
		size_t k = 0;

		for (size_t i = 0; i < ne; i++) {
			if (env_is(envp[i], "LD_PRELOAD")) {
				char *e = s;

				s = s_put(s, "LD_PRELOAD=");
				if (preload_without_agent(s, envp[i] + 11) != s) {
					nenv[k++] = e;
					s += s_len(s) + 1;
				} else {
					s = e;
				}
			} else if (!env_is(envp[i], "USERBPF_ROOT") && !env_is(envp[i], "USERBPF_AGENT") &&
				   !env_is(envp[i], "USERBPF_CLI") && !env_is(envp[i], EXEC_EXIT_ENV)) {
				nenv[k++] = envp[i];
			}
		}
		nenv[k++] = s;
		s += sprintf(s, "USERBPF_ROOT=%s", G.root) + 1;
		nenv[k++] = s;
		s += sprintf(s, "USERBPF_AGENT=%s", G.agent) + 1;
		nenv[k++] = s;
		sprintf(s, "USERBPF_CLI=%s", G.cli);
		nenv[k] = NULL;
	}
	SYS(SYS_execve, G.cli, nargv, nenv);
	/* the CLI could not be run: the program runs untraced, as it would */
	if (fdflags > 0 && (fdflags & FD_CLOEXEC))
		SYS(SYS_fcntl, dirfd, F_SETFD, fdflags);
	SYS(SYS_munmap, m, need, 0);
	warn_untraced(path, "USERBPF_CLI cannot be run");
}

/*
 * execve keeps the agent: LD_PRELOAD, USERBPF_ROOT, USERBPF_AGENT (and
 * USERBPF_CLI) go into the new image's environment when the application
 * dropped them.  A static or setuid program goes to the tracer instead
 * (exec_via_tracer).
 * A successful exec never returns to run its sys_exit programs, so when
 * there are some, USERBPF_EXEC_EXIT=PID:NR tells the new image's agent
 * to run them (ret 0) at start-up - see exec_exit().  A failed exec
 * returns here and its caller runs them with the error.
 */
static long do_exec(long nr, uint64_t a[6])
{
	int ei = nr == G.nr_execve ? 2 : 3;
	char **envp = (char **)(uintptr_t)a[ei];
	size_t n = 0, need, off;
	bool ok_pre = false, ok_root = false, ok_agent = false, ok_cli = !G.cli[0], marker = false;
	bool want_exit = exit_wanted(nr);
	const char *old_pre = NULL;
	char **ne;
	long m, r;

	exec_via_tracer(nr, a);
	for (; envp && envp[n]; n++) {
		if (env_is(envp[n], "LD_PRELOAD")) {
			old_pre = envp[n] + 11;
			ok_pre = strstr(old_pre, G.agent) != NULL;
		}
		ok_root |= env_is(envp[n], "USERBPF_ROOT");
		ok_agent |= env_is(envp[n], "USERBPF_AGENT");
		ok_cli |= env_is(envp[n], "USERBPF_CLI");
		marker |= env_is(envp[n], EXEC_EXIT_ENV);
	}
	if (ok_pre && ok_root && ok_agent && ok_cli && !marker && !want_exit)
		return SYS6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	need = (n + 6) * sizeof(char *) + 4 * 4200 + 64 + (old_pre ? s_len(old_pre) : 0);
	m = SYS6(SYS_mmap, 0, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m < 0 && m > -4096)
		return m;
	ne = (char **)m;
	off = (n + 6) * sizeof(char *);
	{
		size_t k = 0;
		char *s = (char *)m + off;

		for (size_t i = 0; i < n; i++)
			if (!env_is(envp[i], "LD_PRELOAD") && !env_is(envp[i], "USERBPF_ROOT") &&
			    !env_is(envp[i], "USERBPF_AGENT") && !env_is(envp[i], EXEC_EXIT_ENV) &&
			    (!G.cli[0] || !env_is(envp[i], "USERBPF_CLI")))
				ne[k++] = envp[i];
		ne[k++] = s;
		if (old_pre && old_pre[0] && !ok_pre)
			s += sprintf(s, "LD_PRELOAD=%s:%s", G.agent, old_pre) + 1;
		else if (ok_pre)
			s += sprintf(s, "LD_PRELOAD=%s", old_pre) + 1;
		else
			s += sprintf(s, "LD_PRELOAD=%s", G.agent) + 1;
		ne[k++] = s;
		s += sprintf(s, "USERBPF_ROOT=%s", G.root) + 1;
		ne[k++] = s;
		s += sprintf(s, "USERBPF_AGENT=%s", G.agent) + 1;
		if (G.cli[0]) {
			ne[k++] = s;
			s += sprintf(s, "USERBPF_CLI=%s", G.cli) + 1;
		}
		if (want_exit) {
			ne[k++] = s;
			sprintf(s, EXEC_EXIT_ENV "=%ld:%ld", self_pid(), nr);
		}
		ne[k] = NULL;
	}
	a[ei] = (uint64_t)m;
	r = SYS6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	SYS(SYS_munmap, m, need, 0);
	a[ei] = (uint64_t)(uintptr_t)envp;
	return r;
}

/* At start-up, after the links are loaded: the sys_exit programs of the
 * exec that started this image, if the previous image left the marker
 * (and it was this process's: a static program does not remove it). */
static void exec_exit(void)
{
	const char *m = getenv(EXEC_EXIT_ENV);
	struct epoch *e = __atomic_load_n(&G.cur, __ATOMIC_ACQUIRE);
	long pid = 0, nr = -1;

	if (!m)
		return;
	if (sscanf(m, "%ld:%ld", &pid, &nr) == 2 && pid == self_pid() && e &&
	    (nr == G.nr_execve || nr == G.nr_execveat)) {
		uint64_t a[6] = { 0 };
		greg_t g[NGREG] = { 0 };

		g[REG_RAX] = 0;
		run_progs(e, false, nr, a, 0, g);
	}
	unsetenv(EXEC_EXIT_ENV);
}

static long do_syscall(long nr, uint64_t a[6], ucontext_t *uc)
{
	if (nr == G.nr_sigprocmask)
		return emu_sigprocmask(uc, a);
	if (nr == G.nr_sigaction)
		return emu_sigaction(a);
	if (nr == G.nr_execve || nr == G.nr_execveat)
		return do_exec(nr, a);
	if (nr == G.nr_clone3) {
		uint64_t ca[6] = { 0 };	/* flags, pidfd, child_tid, parent_tid, exit_signal, stack */

		if (safe_read(ca, a[0], sizeof(ca)) != (long)sizeof(ca))
			return -EFAULT;
		/* a child on a new stack would return into this handler's
		 * frame: glibc falls back to clone, which the filter lets by */
		if ((ca[0] & 0x100) || ca[5])
			return -ENOSYS;
	}
	if (nr == G.nr_clone && a[1])
		return -EINVAL;	/* a new stack without CLONE_VM: see docs */
	if (nr == G.nr_clone || nr == G.nr_clone3) {
		long r = SYS6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);

		if (r == 0)
			on_fork_child();
		return r;
	}
	return SYS6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* ---- the fast path: syscall sites rewritten to call the agent ----
 *
 * A site `mov $NR, %eax; [instructions]; syscall` gets its first five
 * bytes (the mov) rewritten into `jmp stub` (e9 rel32): at start-up for
 * glibc's sites, while the process has one thread, with a plain store;
 * later, on a site's first trap, with one 16-byte atomic store (when the
 * bytes sit in one aligned 16-byte word: three sites in four).  The
 * bytes after the mov stay, so a thread that had already run it still
 * traps correctly.  The stub (emit_stub) either goes back to them or
 * steps over the red zone (a jmp pushes nothing, but our call would),
 * replays them and calls ub_fast_entry, which saves the registers a
 * syscall preserves (and the flags and xmm0-15), runs the programs and
 * the syscall, and returns the result in rax; the stub jumps back after
 * the syscall instruction.  Syscalls that change the stack or the signal
 * frame (clone*, fork, vfork, rt_sigreturn, rt_sigsuspend, sigaltstack,
 * exit*) keep the signal path.
 */
long ub_fast_syscall(uint64_t *r);
__asm__(".text\n"
	".globl ub_fast_entry\n.hidden ub_fast_entry\n"
	".type ub_fast_entry,@function\n"
	"ub_fast_entry:\n"
	"\tpushfq\n"
	"\tpush %rdi\n\tpush %rsi\n\tpush %rdx\n\tpush %r10\n\tpush %r8\n\tpush %r9\n\tpush %rax\n"
	"\tpush %rbp\n"
	"\tmov %rsp, %rbp\n"
	"\tand $-64, %rsp\n"
	"\tsub $256, %rsp\n"
	"\tmovaps %xmm0, 0(%rsp)\n\tmovaps %xmm1, 16(%rsp)\n\tmovaps %xmm2, 32(%rsp)\n"
	"\tmovaps %xmm3, 48(%rsp)\n\tmovaps %xmm4, 64(%rsp)\n\tmovaps %xmm5, 80(%rsp)\n"
	"\tmovaps %xmm6, 96(%rsp)\n\tmovaps %xmm7, 112(%rsp)\n\tmovaps %xmm8, 128(%rsp)\n"
	"\tmovaps %xmm9, 144(%rsp)\n\tmovaps %xmm10, 160(%rsp)\n\tmovaps %xmm11, 176(%rsp)\n"
	"\tmovaps %xmm12, 192(%rsp)\n\tmovaps %xmm13, 208(%rsp)\n\tmovaps %xmm14, 224(%rsp)\n"
	"\tmovaps %xmm15, 240(%rsp)\n"
	"\tlea 8(%rbp), %rdi\n"
	"\tcall ub_fast_syscall\n"
	"\tmovaps 0(%rsp), %xmm0\n\tmovaps 16(%rsp), %xmm1\n\tmovaps 32(%rsp), %xmm2\n"
	"\tmovaps 48(%rsp), %xmm3\n\tmovaps 64(%rsp), %xmm4\n\tmovaps 80(%rsp), %xmm5\n"
	"\tmovaps 96(%rsp), %xmm6\n\tmovaps 112(%rsp), %xmm7\n\tmovaps 128(%rsp), %xmm8\n"
	"\tmovaps 144(%rsp), %xmm9\n\tmovaps 160(%rsp), %xmm10\n\tmovaps 176(%rsp), %xmm11\n"
	"\tmovaps 192(%rsp), %xmm12\n\tmovaps 208(%rsp), %xmm13\n\tmovaps 224(%rsp), %xmm14\n"
	"\tmovaps 240(%rsp), %xmm15\n"
	"\tmov %rbp, %rsp\n"
	"\tpop %rbp\n"
	"\tadd $8, %rsp\n"
	"\tpop %r9\n\tpop %r8\n\tpop %r10\n\tpop %rdx\n\tpop %rsi\n\tpop %rdi\n"
	"\tpopfq\n"
	"\tret\n"
	".size ub_fast_entry, .-ub_fast_entry\n");
extern char ub_fast_entry[];

/* Syscalls whose child returns on another stack, or that change the
 * stack or the signal frame under a stub, keep the signal path. */
static void init_slow_nrs(void)
{
	static const char *const slow[] = { "clone", "clone3", "fork", "vfork",
					    "rt_sigreturn", "rt_sigsuspend", "sigaltstack",
					    "restart_syscall", "exit", "exit_group" };

	for (size_t i = 0; i < sizeof(slow) / sizeof(slow[0]); i++) {
		const struct ub_sys_desc *d = ub_sys_by_tp(slow[i]);

		if (d)
			set_bit(G.slow_nr, UB_SYS_NATIVE_NR(d));
	}
}

static bool patchable_nr(long nr)
{
	return nr >= 0 && nr < NR_MAX && !has_bit(G.slow_nr, (int)nr);
}

static int64_t rel32(uint64_t from_next, uint64_t to)
{
	return (int64_t)(to - from_next);
}

static bool in_rel32(uint64_t from_next, uint64_t to)
{
	int64_t d = rel32(from_next, to);

	return d >= INT32_MIN && d <= INT32_MAX;
}

/* What the stubs read: the agent's copy lives in G, each stub area's in
 * its first page (reached rip-relative); set_stub_data copies. */
static void set_stub_data(struct stub_data *d)
{
	memcpy(d->want, G.sd.want, sizeof(d->want));
	__atomic_store_n(&d->seen_gen, G.sd.seen_gen, __ATOMIC_RELEASE);
}

static void publish_stub_data(void)
{
	for (unsigned i = 0; i < G.area_cnt; i++)
		set_stub_data((struct stub_data *)(void *)G.areas[i].base);
}

/* A free stub slot within a rel32 jump of site (and of its return). */
static uint8_t *stub_alloc(uint64_t site, unsigned *idx)
{
	for (unsigned i = 0; i < G.area_cnt; i++) {
		struct stub_area *a = &G.areas[i];
		uint64_t st = (uint64_t)(uintptr_t)(a->base + a->used);

		if (a->used + STUB_SIZE <= STUB_AREA_SIZE && in_rel32(site + 5, st) &&
		    in_rel32(st + STUB_SIZE, site + 7)) {
			*idx = i;
			return a->base + a->used;
		}
	}
	if (G.area_cnt < MAX_STUB_AREAS) {
		uint64_t hint = (site & ~(uint64_t)0xffff) - (64ull << 20);
		long m = SYS6(SYS_mmap, hint, STUB_AREA_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m < 0 && m > -4096)
			return NULL;
		if (!in_rel32(site + 5, (uint64_t)m) ||
		    !in_rel32((uint64_t)m + STUB_AREA_SIZE, site + 7) ||
		    SYS(SYS_mprotect, m + 4096, STUB_AREA_SIZE - 4096,
			G.batch ? PROT_READ | PROT_WRITE | PROT_EXEC : PROT_READ | PROT_EXEC)) {
			SYS(SYS_munmap, m, STUB_AREA_SIZE, 0);
			return NULL;
		}
		set_stub_data((struct stub_data *)m);
		G.areas[G.area_cnt] = (struct stub_area){ (uint8_t *)m, 4096 };
		*idx = G.area_cnt;
		return G.areas[G.area_cnt++].base + 4096;
	}
	return NULL;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/*
 * The stub of the site whose `mov $nr,%eax` is at mov and whose syscall
 * is at sys, placed at st (area data page at d), into c (STUB_SIZE bytes):
 *
 *	movabs $generation, %r11; mov (%r11), %r11
 *	cmp d.seen_gen(%rip), %r11; jne slow	  links changed: reload
 *	cmpb $0, d.want+nr(%rip); jne slow	  traced, or exec/rt_sig*
 *	mov $nr, %eax; jmp mov+5		  untraced: the site's own code
 * slow:
 *	mov $nr, %eax; <the site's bytes from mov+5 to sys>
 *	lea -128(%rsp), %rsp			  step over the red zone
 *	movabs $ub_fast_entry, %r11; call *%r11
 *	lea 128(%rsp), %rsp; jmp sys+2
 * Only r11, which the syscall clobbers anyway, is used before the site's
 * instructions run (sites.c keeps r11 out of them).  Returns the length,
 * 0 when a rip-relative lea among them cannot reach its target from st.
 */
static size_t emit_stub(uint8_t *c, uint64_t st, const struct stub_data *d, uint64_t mov,
			uint64_t sys, long nr)
{
	static const uint8_t lea_dn[] = { 0x48, 0x8d, 0xa4, 0x24, 0x80, 0xff, 0xff, 0xff };
	static const uint8_t lea_up[] = { 0x48, 0x8d, 0xa4, 0x24, 0x80, 0x00, 0x00, 0x00 };
	uint64_t gp = (uint64_t)(uintptr_t)(G.gen ? (const volatile void *)G.gen : &d->seen_gen);
	uint64_t fe = (uint64_t)(uintptr_t)ub_fast_entry;
	size_t k = 0, j1, j2, win = (size_t)(sys - (mov + 5));

	c[k++] = 0x49, c[k++] = 0xbb, put64(c + k, gp), k += 8;
	c[k++] = 0x4d, c[k++] = 0x8b, c[k++] = 0x1b;
	c[k++] = 0x4c, c[k++] = 0x3b, c[k++] = 0x1d;
	put32(c + k, (uint32_t)rel32(st + k + 4, (uint64_t)(uintptr_t)&d->seen_gen)), k += 4;
	c[k++] = 0x75, j1 = k++;
	c[k++] = 0x80, c[k++] = 0x3d;
	put32(c + k, (uint32_t)rel32(st + k + 5, (uint64_t)(uintptr_t)&d->want[nr])), k += 4;
	c[k++] = 0x00;
	c[k++] = 0x75, j2 = k++;
	c[k++] = 0xb8, put32(c + k, (uint32_t)nr), k += 4;
	c[k++] = 0xe9, put32(c + k, (uint32_t)rel32(st + k + 4, mov + 5)), k += 4;
	c[j1] = (uint8_t)(k - j1 - 1);
	c[j2] = (uint8_t)(k - j2 - 1);
	c[k++] = 0xb8, put32(c + k, (uint32_t)nr), k += 4;
	if (!ub_site_copy(c + k, (const uint8_t *)(uintptr_t)(mov + 5), win, mov + 5, st + k))
		return 0;
	k += win;
	memcpy(c + k, lea_dn, 8), k += 8;
	c[k++] = 0x49, c[k++] = 0xbb, put64(c + k, fe), k += 8;
	c[k++] = 0x41, c[k++] = 0xff, c[k++] = 0xd3;
	memcpy(c + k, lea_up, 8), k += 8;
	c[k++] = 0xe9, put32(c + k, (uint32_t)rel32(st + k + 4, sys + 2)), k += 4;
	return k;
}

/*
 * Rewrites one site (its `mov $nr,%eax` at mov, its syscall at sys) into
 * a jump to a new stub.  At start-up (G.batch: one thread, stub areas and
 * image text writable already) with a plain store; later with one atomic
 * 16-byte store, so the five bytes must lie in one aligned 16-byte word: a
 * thread fetching them sees the mov or the jmp, never half of each.
 * Returns false when the site stays as it was.  Under G.plock.
 */
static bool rewrite_site(uint64_t mov, uint64_t sys, long nr)
{
	uint64_t word = mov & ~(uint64_t)15, old[2], neu[2];
	uint8_t *st, code[STUB_SIZE];
	unsigned ai;
	size_t k;

	if (!patchable_nr(nr) || sys - mov - 5 > SITE_WIN_MAX || (!G.batch && (mov & 15) > 11))
		return false;
	st = stub_alloc(mov, &ai);
	if (!st || !in_rel32(mov + 5, (uint64_t)(uintptr_t)st))
		return false;
	k = emit_stub(code, (uint64_t)(uintptr_t)st, (const struct stub_data *)(void *)G.areas[ai].base,
		      mov, sys, nr);
	if (!k)
		return false;
	/* other threads may be running the stubs before this one: keep X */
	if (!G.batch && SYS(SYS_mprotect, G.areas[ai].base + 4096, STUB_AREA_SIZE - 4096,
			    PROT_READ | PROT_WRITE | PROT_EXEC))
		return false;
	memcpy(st, code, k);
	if (!G.batch)
		SYS(SYS_mprotect, G.areas[ai].base + 4096, STUB_AREA_SIZE - 4096, PROT_READ | PROT_EXEC);
	G.areas[ai].used += STUB_SIZE;
	if (G.batch) {
		uint8_t *p = (uint8_t *)(uintptr_t)mov;

		p[0] = 0xe9;
		put32(p + 1, (uint32_t)rel32(mov + 5, (uint64_t)(uintptr_t)st));
		return true;
	}
	/* the site's page: writable for one store, executable throughout */
	if (SYS(SYS_mprotect, word & ~(uint64_t)4095, 4096, PROT_READ | PROT_WRITE | PROT_EXEC))
		return false;
	memcpy(old, (void *)(uintptr_t)word, 16);
	memcpy(neu, old, 16);
	{
		uint8_t *b = (uint8_t *)neu + (mov - word);

		b[0] = 0xe9;
		put32(b + 1, (uint32_t)rel32(mov + 5, (uint64_t)(uintptr_t)st));
	}
	__asm__ volatile("lock cmpxchg16b %0"
			 : "+m"(*(volatile uint64_t(*)[2])(uintptr_t)word), "+a"(old[0]), "+d"(old[1])
			 : "b"(neu[0]), "c"(neu[1])
			 : "memory", "cc");
	SYS(SYS_mprotect, word & ~(uint64_t)4095, 4096, PROT_READ | PROT_EXEC);
	return true;
}

/* A trapped site of glibc's shape `mov $NR,%eax; syscall` that start-up
 * did not rewrite (a library loaded later, or a word-straddling site when
 * threads ran): rewritten now, on its first trap. */
static void patch_site(uint64_t call_addr, long nr)
{
	uint64_t site = call_addr - 7;
	uint8_t code[7];
	uint32_t imm;

	if (G.no_patch)
		return;
	if (safe_read(code, site, 7) != 7 || code[0] != 0xb8 || code[5] != 0x0f || code[6] != 0x05)
		return;
	memcpy(&imm, code + 1, 4);
	if (imm != (uint32_t)nr || !lock_try_at(&G.plock))
		return;
	if (*(volatile uint8_t *)(uintptr_t)site == 0xb8 && rewrite_site(site, site + 5, nr))
		G.patched++;
	__atomic_store_n(&G.plock, 0, __ATOMIC_RELEASE);
}

/* ---- rewriting every known site at start-up ---- */

/* The sites of one image's code [lo, hi): in glibc (trusted), REWRITE
 * ones become stubs; the numbers of the others go to G.uncovered (a link
 * on one of them needs the seccomp filter). */
static void rewrite_range(uint64_t lo, uint64_t hi, bool trusted, struct ub_site *sites,
			  size_t cap)
{
	size_t n = ub_sites_scan((const uint8_t *)(uintptr_t)lo, hi - lo, lo, sites, cap);
	bool writable = trusted && !SYS(SYS_mprotect, lo, hi - lo, PROT_READ | PROT_WRITE | PROT_EXEC);

	for (size_t i = 0; i < n; i++) {
		struct ub_site *s = &sites[i];

		if (i >= cap) {
			G.uncovered_all = true;	/* not even looked at */
			break;
		}
		if (s->kind == UB_SITE_REWRITE && writable && rewrite_site(s->mov, s->sys, s->nr)) {
			G.sites_rewritten++;
			continue;
		}
		if (s->kind == UB_SITE_UNKNOWN)
			G.sites_unknown++;
		else
			set_bit(G.uncovered, s->nr);
	}
	if (writable)
		SYS(SYS_mprotect, lo, hi - lo, PROT_READ | PROT_EXEC);
}

static int thread_count(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Threads:", 8))
			n = atoi(line + 8);
	if (f)
		fclose(f);
	return n;
}

/* Every file-backed executable mapping but the agent's own and the
 * vdso's.  Only glibc's (libc.so.*, ld-linux-*) are rewritten: there the
 * byte scan finds exactly the real sites (bench/syscalls/sites_check.sh),
 * while other code may hold the same bytes in an immediate (a program
 * that writes machine code, say); their sites count as uncovered. */
static void rewrite_images(void)
{
	FILE *f;
	char line[4400], self[4096] = "";
	uint64_t me = (uint64_t)(uintptr_t)ub_tramp_start;
	struct ub_site *sites;
	size_t cap = 1u << 14;

	if (G.no_patch)
		return;
	G.batch = thread_count() == 1;
	sites = malloc(cap * sizeof(*sites));
	f = fopen("/proc/self/maps", "re");
	for (int pass = 0; f && sites && pass < 2; pass++) {
		rewind(f);
		while (fgets(line, sizeof(line), f)) {
			unsigned long lo, hi;
			char perms[8], *path = strchr(line, '/');

			if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[2] != 'x' ||
			    perms[0] != 'r' || !path)
				continue;
			path[strcspn(path, "\n")] = 0;
			if (pass == 0) {	/* first find the agent's file */
				if (me >= lo && me < hi)
					snprintf(self, sizeof(self), "%s", path);
				continue;
			}
			if (strcmp(path, self)) {
				const char *base = strrchr(path, '/') + 1;

				rewrite_range(lo, hi, !strncmp(base, "libc.so.", 8) ||
					      !strncmp(base, "ld-linux-", 9), sites, cap);
			}
		}
	}
	if (f)
		fclose(f);
	free(sites);
	if (G.batch)
		for (unsigned i = 0; i < G.area_cnt; i++)
			SYS(SYS_mprotect, G.areas[i].base + 4096, STUB_AREA_SIZE - 4096,
			    PROT_READ | PROT_EXEC);
	G.batch = false;
}

/* do_syscall for the stubs, which also hand over exec and rt_sig*
 * (reload wants them always): there is no signal frame to edit, so
 * rt_sigprocmask is issued with SIGSYS taken out of the set. */
static long fast_do_syscall(long nr, uint64_t a[6])
{
	if (nr == G.nr_sigprocmask && a[1] && a[3] == 8 && a[0] != SIG_UNBLOCK) {
		uint64_t set, keep = a[1];
		long r;

		if (safe_read(&set, a[1], 8) != 8)
			return -EFAULT;
		set &= ~SIGBIT(SIGSYS);
		a[1] = (uint64_t)(uintptr_t)&set;
		r = SYS6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		a[1] = keep;
		return r;
	}
	if (nr == G.nr_sigaction)
		return emu_sigaction(a);
	if (nr == G.nr_execve || nr == G.nr_execveat)
		return do_exec(nr, a);
	return SYS6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

long ub_fast_syscall(uint64_t *r)
{
	int saved_errno = errno;
	long nr = (long)r[0], ret;
	uint64_t a[6] = { r[6], r[5], r[4], r[3], r[2], r[1] };
	greg_t g[NGREG] = { 0 };
	struct epoch *e;

	if (in_agent)
		return SYS6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	g[REG_RDI] = (greg_t)a[0];
	g[REG_RSI] = (greg_t)a[1];
	g[REG_RDX] = (greg_t)a[2];
	g[REG_R10] = (greg_t)a[3];
	g[REG_R8] = (greg_t)a[4];
	g[REG_R9] = (greg_t)a[5];
	g[REG_RAX] = (greg_t)nr;
	e = epoch_now();
	if (e)
		run_progs(e, true, nr, a, 0, g);
	ret = fast_do_syscall(nr, a);
	if (e)
		run_progs(e, false, nr, a, ret, g);
	errno = saved_errno;
	return ret;
}

/*
 * glibc's syscall(): its number comes in a register, so no stub can know
 * it; the preloaded agent stands in for it (programs calling
 * syscall(SYS_gettid) are common).  A syscall the stubs would hand over
 * goes to the agent, one that keeps the signal path to glibc's, and the
 * rest straight to the kernel from the trampoline.
 */
__attribute__((visibility("default"))) long syscall(long nr, ...)
{
	uint64_t a[6];
	va_list ap;
	long ret;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, uint64_t);
	va_end(ap);
	if (G.active && !in_agent && !patchable_nr(nr) && nr >= 0 && nr < NR_MAX &&
	    G.real_syscall) {
		ret = G.real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		if (!ret && (nr == SYS_fork || (nr == G.nr_clone && !(a[0] & CLONE_VM_BIT))))
			on_fork_child();	/* no atfork handlers ran */
		return ret;
	}
	if (G.active && !in_agent && patchable_nr(nr) &&
	    (G.sd.want[nr] || (G.gen && *G.gen != G.sd.seen_gen))) {
		uint64_t r[7] = { (uint64_t)nr, a[5], a[4], a[3], a[2], a[1], a[0] };

		ret = ub_fast_syscall(r);
	} else {
		ret = SYS6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

/* ---- the handler ---- */

static void forward_sigsys(int sig, siginfo_t *si, void *uc)
{
	struct k_sigaction *h = &G.app_sigsys;

	if (h->handler == (uint64_t)(uintptr_t)SIG_IGN)
		return;
	if (h->handler == (uint64_t)(uintptr_t)SIG_DFL) {
		struct k_sigaction dfl = { 0 };

		SYS6(SYS_rt_sigaction, SIGSYS, &dfl, 0, 8, 0, 0);
		SYS(SYS_tgkill, self_pid(), SYS(SYS_gettid, 0, 0, 0), SIGSYS);
		return;
	}
	if (h->flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))(uintptr_t)h->handler)(sig, si, uc);
	else
		((void (*)(int))(uintptr_t)h->handler)(sig);
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	int saved_errno = errno;
	struct epoch *e;
	uint64_t a[6];
	long nr, ret;

	if (si->si_code != 1 /* SYS_SECCOMP */ || si->si_errno != UB_SECCOMP_DATA_TRAP) {
		forward_sigsys(sig, si, ucv);
		errno = saved_errno;
		return;
	}
	nr = si->si_syscall;
	a[0] = (uint64_t)g[REG_RDI];
	a[1] = (uint64_t)g[REG_RSI];
	a[2] = (uint64_t)g[REG_RDX];
	a[3] = (uint64_t)g[REG_R10];
	a[4] = (uint64_t)g[REG_R8];
	a[5] = (uint64_t)g[REG_R9];
	if (in_agent) {
		g[REG_RAX] = do_syscall(nr, a, uc);
		errno = saved_errno;
		return;
	}
	e = epoch_now();
	if (e)
		run_progs(e, true, nr, a, 0, g);
	ret = do_syscall(nr, a, uc);
	if (e)
		run_progs(e, false, nr, a, ret, g);
	g[REG_RAX] = ret;
	patch_site((uint64_t)(uintptr_t)si->si_call_addr, nr);
	errno = saved_errno;
}

/* ---- start-up, in every image the agent is preloaded into ---- */

static void find_code_ranges(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4400];
	struct ub_site sites[FEW_SITES + 1];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && G.code_cnt < MAX_CODE_RANGES) {
		unsigned long lo, hi;
		char perms[8];
		size_t n;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[2] != 'x')
			continue;
		if (strstr(line, "[vsyscall]"))
			continue;
		/* A file's code with few syscall instructions (any 0f 05, even
		 * inside another instruction): only the address after each,
		 * so the filter stays inert in a later image mapped at the same
		 * fixed addresses (a non-PIE program execing a static one). */
		if (perms[0] == 'r' && strchr(line, '/') &&
		    (n = ub_sites_scan((const uint8_t *)lo, hi - lo, lo, sites, FEW_SITES + 1)) <=
			    FEW_SITES &&
		    G.code_cnt + n + 1 < MAX_CODE_RANGES) {
			for (size_t i = 0; i < n; i++)
				G.code[G.code_cnt++] =
					(struct ub_ip_range){ sites[i].sys + 2, sites[i].sys + 3 };
			continue;
		}
		G.code[G.code_cnt++] = (struct ub_ip_range){ lo, hi };
	}
	fclose(f);
	if (!G.code_cnt)	/* no syscall instruction anywhere: trap none */
		G.code[G.code_cnt++] = (struct ub_ip_range){ 0, 0 };
}

static int native(const char *name)
{
	const struct ub_sys_desc *d = ub_sys_by_tp(name);

	return d ? UB_SYS_NATIVE_NR(d) : -1;
}

__attribute__((constructor)) static void ub_agent_init(void)
{
	const char *agent = getenv("USERBPF_AGENT");
	struct sigaction sa;
	sigset_t ss;
	char p[4200];
	int fd, err;

	if (!agent || !agent[0]) {
		Dl_info di;

		if (!dladdr((void *)ub_agent_init, &di) || !di.dli_fname)
			return;
		agent = di.dli_fname;
	}
	snprintf(G.agent, sizeof(G.agent), "%s", agent);
	if (getenv("USERBPF_CLI") && getenv("USERBPF_CLI")[0] == '/' &&
	    strlen(getenv("USERBPF_CLI")) < sizeof(G.cli))
		snprintf(G.cli, sizeof(G.cli), "%s", getenv("USERBPF_CLI"));
	err = ub_store_root(G.root, sizeof(G.root));
	if (err) {
		warnf("store root: %s; this process is not traced", strerror(-err));
		return;
	}
	setenv("USERBPF_ROOT", G.root, 1);
	setenv("USERBPF_AGENT", G.agent, 1);
	snprintf(G.pipe_path, sizeof(G.pipe_path), "%s/trace_pipe", G.root);
	snprintf(G.links_dir, sizeof(G.links_dir), "%s/links", G.root);
	snprintf(p, sizeof(p), "%s/generation", G.root);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		void *m = mmap(NULL, 8, PROT_READ, MAP_SHARED, fd, 0);

		if (m != MAP_FAILED)
			G.gen = m;
		close(fd);
	}
	G.nr_execve = native("execve");
	G.nr_execveat = native("execveat");
	G.nr_sigprocmask = native("rt_sigprocmask");
	G.nr_sigaction = native("rt_sigaction");
	G.nr_clone = native("clone");
	G.nr_clone3 = native("clone3");
	G.no_patch = getenv("USERBPF_NO_PATCH") && !strcmp(getenv("USERBPF_NO_PATCH"), "1");
	G.filter_always = G.no_patch ||
			  (getenv("USERBPF_FILTER") && !strcmp(getenv("USERBPF_FILTER"), "always"));
	G.owner = (int)getpid();
	init_slow_nrs();
	G.real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	find_code_ranges();
	G.app_sigsys.handler = (uint64_t)(uintptr_t)SIG_DFL;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL))
		return;
	sigemptyset(&ss);
	sigaddset(&ss, SIGSYS);
	sigprocmask(SIG_UNBLOCK, &ss, NULL);
	pthread_atfork(NULL, NULL, on_fork_child);
	G.active = true;
	/* the agent's own libc calls from here on must not be emulated */
	in_agent++;
	rewrite_images();
	if (lock_try()) {
		reload();
		lock_drop();
	}
	in_agent--;
	exec_exit();
}
#endif
