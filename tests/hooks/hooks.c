/* SPDX-License-Identifier: MIT */
/*
 * hooks.c - syscall tracepoints: the generated table, attach points, the
 * seccomp filter (evaluated here), bpf_trace_printk's format and the link
 * files; then, end to end, `userbpf run` on this very program re-run as a
 * traced workload (--child MODE): the openat/getppid/gettid contexts, many
 * threads with signals while every syscall traps (raw_tracepoint/sys_exit),
 * untraced syscalls, and bad objects.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testlib.h"
#include "hooks/hooks.h"
#include "sh.h"

/* ---- the traced workloads (run as: hooks_hooks --child MODE) ---- */

#define NTHREADS 4
#define NITER 3000

static volatile sig_atomic_t sig_seen;
static pid_t expect_ppid;
static uid_t expect_uid;

static void on_usr1(int sig)
{
	(void)sig;
	if (getppid() == expect_ppid)	/* a traced syscall inside a handler */
		sig_seen++;
}

static void *thread_main(void *arg)
{
	long bad = 0;

	(void)arg;
	printf("child-tid %ld\n", (long)syscall(SYS_gettid));
	/* every syscall traps (raw_tracepoint/sys_exit); getppid, which
	 * prints a line, only now and then */
	for (int i = 0; i < NITER; i++) {
		if (getuid() != expect_uid || (i % 1000 == 0 && getppid() != expect_ppid))
			bad++;
		if (i % 500 == 0)
			sched_yield();
	}
	return (void *)bad;
}

static int child_threads(void)
{
	pthread_t t[NTHREADS];
	struct sigaction sa;
	long bad = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigfillset(&sa.sa_mask);	/* the agent must keep SIGSYS out of it */
	sigaction(SIGUSR1, &sa, NULL);
	expect_ppid = getppid();
	expect_uid = getuid();
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, thread_main, NULL))
			return 2;
	for (int i = 0; i < 20; i++) {
		kill(getpid(), SIGUSR1);
		usleep(1000);
	}
	for (int i = 0; i < NTHREADS; i++) {
		void *r;

		pthread_join(t[i], &r);
		bad += (long)r;
	}
	printf("threads bad=%ld signals=%d\n", bad, (int)sig_seen);
	return bad ? 1 : 0;
}

static int child_ctx(const char *dir)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_RDONLY);
	printf("opened %s fd_ok=%d\n", path, fd >= 0);
	printf("child-ppid %ld\n", (long)getppid());
	printf("child-tid %ld\n", (long)syscall(SYS_gettid));
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Untraced syscalls keep their meaning next to traced ones. */
static int child_untraced(void)
{
	char buf[64], path[] = "/tmp/ubh-untraced-XXXXXX";
	int fd = mkstemp(path), p[2], st, ok = 1;
	sigset_t s, old;
	pid_t k;

	ok &= fd >= 0 && write(fd, "hello", 5) == 5 && lseek(fd, 0, SEEK_SET) == 0 &&
	      read(fd, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5);
	close(fd);
	unlink(path);
	ok &= getpid() == (pid_t)syscall(SYS_getpid);
	ok &= pipe(p) == 0 && write(p[1], "x", 1) == 1 && read(p[0], buf, 1) == 1 && buf[0] == 'x';
	close(p[0]);
	close(p[1]);
	/* sigprocmask is emulated: what the program sets, it reads back */
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	ok &= sigprocmask(SIG_BLOCK, &s, &old) == 0;
	ok &= sigprocmask(SIG_SETMASK, NULL, &s) == 0 && sigismember(&s, SIGUSR2);
	ok &= sigprocmask(SIG_SETMASK, &old, NULL) == 0;
	k = fork();
	if (k == 0)
		_exit(getppid() > 0 ? 7 : 1);
	ok &= k > 0 && waitpid(k, &st, 0) == k && WIFEXITED(st) && WEXITSTATUS(st) == 7;
	ok &= system("exit 5") >> 8 == 5;	/* posix_spawn through clone(CLONE_VM) */
	errno = 0;
	ok &= open("/nonexistent/x", O_RDONLY) < 0 && errno == ENOENT;
	printf("untraced ok=%d\n", ok);
	return ok ? 0 : 1;
}

/* ---- unit checks ---- */

static void test_table(void)
{
	const struct ub_sys_desc *o = ub_sys_by_tp("openat"), *e = ub_sys_by_tp("execve");
	const struct ub_sys_desc *st = ub_sys_by_tp("newfstat");
	unsigned with_tp = 0, both = 0;
	int dup = 0, bad = 0;

	TL_CHECK("table openat numbers", o && o->nr_x86_64 == 257 && o->nr_arm64 == 56);
	TL_CHECK("table openat fields", o && o->nargs == 4 && !strcmp(o->args[1], "filename") &&
					     !strcmp(o->types[1], "const char *"));
	TL_CHECK("table execve fields", e && e->nargs == 3 && !strcmp(e->args[0], "filename") &&
					     !strcmp(e->args[1], "argv") && !strcmp(e->args[2], "envp"));
	TL_CHECK("table tracepoint alias newfstat is fstat", st && !strcmp(st->name, "fstat") &&
								 st->nr_x86_64 == 5 && st->nr_arm64 == 80);
	TL_CHECK("table by nr", ub_sys_by_nr(UB_SYS_NATIVE_NR(o)) == o);
	for (unsigned i = 0; i < ub_sys_table_cnt; i++) {
		const struct ub_sys_desc *d = &ub_sys_table[i];

		with_tp += d->tp != NULL;
		both += d->nr_x86_64 >= 0 && d->nr_arm64 >= 0;
		if (d->nargs > 6 || (d->tp && d->nargs < 0) || (d->nr_x86_64 < 0 && d->nr_arm64 < 0))
			bad++;
		for (unsigned j = i + 1; j < ub_sys_table_cnt; j++) {
			const struct ub_sys_desc *f = &ub_sys_table[j];

			if ((d->nr_x86_64 >= 0 && d->nr_x86_64 == f->nr_x86_64) ||
			    (d->nr_arm64 >= 0 && d->nr_arm64 == f->nr_arm64))
				dup++;
		}
	}
	if (ub_sys_table_cnt > 350 && with_tp > 300 && both > 250 && !dup && !bad)
		tl_ok("table covers every syscall, numbers unique per arch");
	else
		tl_fail("table covers every syscall, numbers unique per arch",
			"%u entries, %u with tracepoints, %u on both, %d duplicate numbers, %d bad",
			ub_sys_table_cnt, with_tp, both, dup, bad);
}

static void test_attach(void)
{
	struct ub_attach a;
	char why[160];

	TL_CHECK("attach tracepoint/syscalls/sys_enter_execve",
		 !ub_attach_parse("tracepoint/syscalls/sys_enter_execve", &a, why, sizeof(why)) &&
		 a.kind == UB_TP_SYS_ENTER && !strcmp(a.canon, "syscalls/sys_enter_execve") &&
		 ub_attach_ctx_size(&a) == 40);
	TL_CHECK("attach tp/syscalls/sys_exit_openat",
		 !ub_attach_parse("tp/syscalls/sys_exit_openat", &a, why, sizeof(why)) &&
		 a.kind == UB_TP_SYS_EXIT && ub_attach_ctx_size(&a) == 24);
	TL_CHECK("attach tracepoint/raw_syscalls/sys_enter",
		 !ub_attach_parse("tracepoint/raw_syscalls/sys_enter", &a, why, sizeof(why)) &&
		 a.kind == UB_TP_RAW_ENTER && !a.sys && ub_attach_ctx_size(&a) == 64);
	TL_CHECK("attach raw_tracepoint/sys_exit",
		 !ub_attach_parse("raw_tracepoint/sys_exit", &a, why, sizeof(why)) &&
		 a.kind == UB_TP_RAW_EXIT && a.raw_tp && ub_attach_ctx_size(&a) == 16);
	TL_CHECK("attach canonical name parses back",
		 !ub_attach_parse("syscalls/sys_enter_newfstat", &a, why, sizeof(why)) &&
		 !strcmp(a.sys->name, "fstat"));
	TL_CHECK("attach unknown syscall is refused with a reason",
		 ub_attach_parse("tracepoint/syscalls/sys_enter_nosuchcall", &a, why, sizeof(why)) ==
			 -EINVAL && strstr(why, "nosuchcall"));
	TL_CHECK("attach other sections are not ours",
		 ub_attach_parse("xdp", &a, why, sizeof(why)) == -ENOENT &&
		 ub_attach_parse("tracepoint/sched/sched_switch", &a, why, sizeof(why)) == -ENOENT);
}

static void test_filter(void)
{
	static struct ub_cbpf f[UB_FILTER_MAX];
	uint8_t traced[64] = { 0 };
	struct ub_ip_range code[2] = { { 0x7f0000001000ull, 0x7f0000009000ull },
				       { 0x55550000f000ull, 0x555600001000ull } };
	struct ub_filter_spec s = { traced, 512, false, { 0x7f0000002000ull, 0x7f0000002040ull },
				    code, 2 };
	uint64_t args[6] = { 0 }, clone_vm[6] = { 0x100 };
	int nr_open = UB_SYS_NATIVE_NR(ub_sys_by_tp("openat"));
	int nr_getpid = UB_SYS_NATIVE_NR(ub_sys_by_tp("getpid"));
	int nr_clone = UB_SYS_NATIVE_NR(ub_sys_by_tp("clone"));
	int nr_sigret = UB_SYS_NATIVE_NR(ub_sys_by_tp("rt_sigreturn"));
#if defined(__aarch64__)
	uint32_t arch = 0xc00000b7u;
#else
	uint32_t arch = 0xc000003eu;
#endif
	const uint32_t TRAP = 0x00030000u | UB_SECCOMP_DATA_TRAP, ALLOW = 0x7fff0000u;
	int n;

	traced[nr_open / 8] |= 1 << (nr_open % 8);
	traced[nr_clone / 8] |= 1 << (nr_clone % 8);
	traced[nr_sigret / 8] |= 1 << (nr_sigret % 8);
	n = ub_filter_build(&s, f, UB_FILTER_MAX);
	TL_CHECK("filter builds", n > 0 && n < 200);
	if (n <= 0)
		return;
	TL_EQ_U64("filter traps a traced syscall from code", ub_filter_eval(f, n, arch, nr_open, 0x7f0000001234ull, args), TRAP);
	TL_EQ_U64("filter traps across a 4 GiB boundary", ub_filter_eval(f, n, arch, nr_open, 0x555600000010ull, args), TRAP);
	TL_EQ_U64("filter allows an untraced syscall", ub_filter_eval(f, n, arch, nr_getpid, 0x7f0000001234ull, args), ALLOW);
	TL_EQ_U64("filter allows the trampoline", ub_filter_eval(f, n, arch, nr_open, 0x7f0000002010ull, args), ALLOW);
	TL_EQ_U64("filter allows code of another image (after execve)", ub_filter_eval(f, n, arch, nr_open, 0x7f0000009000ull, args), ALLOW);
	TL_EQ_U64("filter allows clone with CLONE_VM", ub_filter_eval(f, n, arch, nr_clone, 0x7f0000001234ull, clone_vm), ALLOW);
	TL_EQ_U64("filter traps clone without CLONE_VM", ub_filter_eval(f, n, arch, nr_clone, 0x7f0000001234ull, args), TRAP);
	TL_EQ_U64("filter never traps rt_sigreturn", ub_filter_eval(f, n, arch, nr_sigret, 0x7f0000001234ull, args), ALLOW);
	TL_EQ_U64("filter allows another arch", ub_filter_eval(f, n, 0x40000003u, nr_open, 0x7f0000001234ull, args), ALLOW);
	s.all = true;
	s.code_cnt = 0;
	n = ub_filter_build(&s, f, UB_FILTER_MAX);
	TL_EQ_U64("filter raw_syscalls traps everything", ub_filter_eval(f, n, arch, nr_getpid, 0x1234ull, args), TRAP);
	TL_CHECK("filter too small a buffer is -E2BIG", ub_filter_build(&s, f, 3) == -E2BIG);
}

static int rd_str(void *user, uint64_t addr, char *buf, size_t sz)
{
	(void)user;
	snprintf(buf, sz, "%s", (const char *)(uintptr_t)addr);
	return (int)strlen(buf);
}

static void test_printk(void)
{
	char out[256], line[512];
	uint64_t a[3] = { (uint64_t)-5, 255, (uint64_t)(uintptr_t)"str" };
	const char f1[] = "a=%d b=%x c=%s %%";
	const char f2[] = "%5d|%-4u|%08lx|";
	const char f3[] = "%d %d %d %d";
	const char f4[] = "%q";
	uint64_t b[3] = { 42, 7, 0xabc };
	uint64_t c[3] = { 'Z', 0, 0 };
	int n;

	n = ub_printk_format(out, sizeof(out), f1, sizeof(f1), a, rd_str, NULL);
	TL_CHECK("printk %d %x %s %%", n > 0 && !strcmp(out, "a=-5 b=ff c=str %"));
	n = ub_printk_format(out, sizeof(out), f2, sizeof(f2), b, rd_str, NULL);
	TL_CHECK("printk widths and flags", n == 20 && !strcmp(out, "   42|7   |00000abc|"));
	n = ub_printk_format(out, sizeof(out), "%c", 3, c, rd_str, NULL);
	TL_CHECK("printk %c", n == 1 && out[0] == 'Z');
	TL_CHECK("printk refuses a fourth argument", ub_printk_format(out, sizeof(out), f3, sizeof(f3), b, rd_str, NULL) == -EINVAL);
	TL_CHECK("printk refuses an unknown conversion", ub_printk_format(out, sizeof(out), f4, sizeof(f4), b, rd_str, NULL) == -EINVAL);
	TL_CHECK("printk refuses a format without NUL", ub_printk_format(out, sizeof(out), "abc", 3, b, rd_str, NULL) == -EINVAL);
	n = ub_trace_line(line, sizeof(line), "bash", 1234, 1, 12345678901234ull, "Hello\n");
	TL_CHECK("trace line in trace_pipe's shape",
		 n > 0 && !strcmp(line, "            bash-1234    [001] ...21 12345.678901: bpf_trace_printk: Hello\n"));
}

static void test_links(void)
{
	struct ub_link_rec r, back;
	char buf[8192];
	int n;

	memset(&r, 0, sizeof(r));
	strcpy(r.obj, "/a/b.o");
	strcpy(r.prog, "hello");
	strcpy(r.attach, "syscalls/sys_enter_execve");
	r.owner = 42;
	n = ub_link_format(&r, buf, sizeof(buf));
	TL_CHECK("link format and parse round trip",
		 n > 0 && !ub_link_parse(buf, (size_t)n, &back) && !strcmp(back.obj, r.obj) &&
		 !strcmp(back.prog, r.prog) && !strcmp(back.attach, r.attach) && back.owner == 42);
	TL_CHECK("link without a program is refused", ub_link_parse("obj=/x\nattach=y\n", 16, &back) == -EINVAL);
}

/* ---- end to end ---- */

static const char *build;
static char tmpdir[] = "/tmp/ubh-XXXXXX";

static void test_end_to_end(const char *self)
{
	static char out[4 << 20];
	char obj[300], line[512], dir[300];
	int rc;

	snprintf(obj, sizeof(obj), "%s/ctx.o", tmpdir);
	rc = sh(out, sizeof(out), "clang -O2 -g -target bpf -c %s/tests/hooks/progs/ctx.bpf.c -o %s 2>&1",
		getenv("UB_ROOT") ? getenv("UB_ROOT") : ".", obj);
	if (rc) {
		tl_skip("end to end", "clang -target bpf failed");
		return;
	}
	setenv("USERBPF_ROOT", tmpdir, 1);

	/* contexts: openat's filename, getppid's return value, gettid's pid */
	snprintf(dir, sizeof(dir), "%s/ubh", tmpdir);
	mkdir(dir, 0700);
	snprintf(line, sizeof(line), "%s/file", dir);
	close(open(line, O_CREAT | O_WRONLY, 0600));
	rc = sh(out, sizeof(out), "%s/userbpf run %s -- %s --child ctx %s 2>&1", build, obj, self, dir);
	{
		char want[512], *pp = strstr(out, "child-ppid "), *tp = strstr(out, "child-tid ");
		long ppid = pp ? atol(pp + 11) : -1, tid = tp ? atol(tp + 10) : -1;
		int nr_open = UB_SYS_NATIVE_NR(ub_sys_by_tp("openat"));
		int nr_ppid = UB_SYS_NATIVE_NR(ub_sys_by_tp("getppid"));

		TL_CHECK("run exits with the command's status", rc == 0);
		snprintf(want, sizeof(want), "bpf_trace_printk: openat nr=%d pid_ok=1 path=%s/file\n",
			 nr_open, dir);
		if (strstr(out, want) && count_lines(out, "path=") == 1)
			tl_ok("sys_enter_openat: filename read with probe_read_user_str");
		else
			tl_fail("sys_enter_openat: filename read with probe_read_user_str", "want '%s' once in:\n%s", want, out);
		snprintf(want, sizeof(want), "bpf_trace_printk: getppid nr=%d ret=%ld\n", nr_ppid, ppid);
		if (ppid > 0 && strstr(out, want))
			tl_ok("sys_exit_getppid: ret is the syscall's result");
		else
			tl_fail("sys_exit_getppid: ret is the syscall's result", "want '%s' in:\n%s", want, out);
		snprintf(want, sizeof(want), "-%-7ld [", tid);
		snprintf(line, sizeof(line), "gettid tid=%ld same=1\n", tid);
		if (tid > 0 && strstr(out, want) && strstr(out, line))
			tl_ok("common_pid and get_current_pid_tgid are the thread's");
		else
			tl_fail("common_pid and get_current_pid_tgid are the thread's", "tid %ld in:\n%s", tid, out);
	}

	/* threads and signals while every syscall traps: through rewritten
	 * syscall sites (the default), and through SIGSYS alone */
	for (int pass = 0; pass < 2; pass++) {
		const char *how = pass ? "USERBPF_NO_PATCH=1 " : "";
		const char *tag = pass ? " (signal path only)" : "";
		char name[160];

		rc = sh(out, sizeof(out), "%s%s/userbpf run %s -- %s --child threads 2>&1", how, build, obj, self);
		{
			int tids = count_lines(out, "child-tid ");
			int seen = 0, same = count_lines(out, "same=1"), diff = count_lines(out, "same=0");
			char *tp = out;

			while ((tp = strstr(tp, "child-tid "))) {
				long t = atol(tp + 10);

				snprintf(line, sizeof(line), "gettid tid=%ld same=1", t);
				seen += t > 0 && strstr(out, line) != NULL;
				tp += 10;
			}
			snprintf(name, sizeof(name),
				 "threads: results right, each thread seen with its own tid%s", tag);
			if (rc == 0 && strstr(out, "threads bad=0") && tids == NTHREADS &&
			    seen == NTHREADS && same >= NTHREADS && !diff)
				tl_ok(name);
			else
				tl_fail(name, "rc %d, %d tids, %d seen, %d same, %d different:\n%.3000s",
					rc, tids, seen, same, diff, out);
			snprintf(name, sizeof(name), "signals: handlers run and their traced syscalls work%s",
				 tag);
			if (strstr(out, "signals=20"))
				tl_ok(name);
			else
				tl_fail(name, "not 20 signals seen");
		}
	}

	rc = sh(out, sizeof(out), "%s/userbpf run %s -- %s --child untraced 2>&1", build, obj, self);
	if (rc == 0 && strstr(out, "untraced ok=1"))
		tl_ok("untraced syscalls keep their meaning");
	else
		tl_fail("untraced syscalls keep their meaning", "rc %d:\n%.3000s", rc, out);

	rc = sh(out, sizeof(out), "%s/userbpf run %s -- sh -c 'exit 42' 2>&1", build, obj);
	TL_CHECK("run passes the command's exit status", rc == 42);

	/* bad objects */
	snprintf(line, sizeof(line), "%s/garbage.o", tmpdir);
	{
		FILE *f = fopen(line, "w");

		if (f) {
			fputs("this is not an ELF file\n", f);
			fclose(f);
		}
	}
	rc = sh(out, sizeof(out), "%s/userbpf run %s -- true 2>&1", build, line);
	if (rc == 1 && strstr(out, "garbage.o") && count_lines(out, "Error:") == 1)
		tl_ok("a bad object gives one clear error, exit 1");
	else
		tl_fail("a bad object gives one clear error, exit 1", "rc %d: %s", rc, out);
	rc = sh(out, sizeof(out), "clang -O2 -g -target bpf -c %s/tests/hooks/progs/bad_sec.bpf.c -o %s/bad_sec.o 2>&1 && "
		"%s/userbpf run %s/bad_sec.o -- true 2>&1", getenv("UB_ROOT") ? getenv("UB_ROOT") : ".",
		tmpdir, build, tmpdir);
	if (rc == 1 && strstr(out, "sys_enter_nosuchcall") && strstr(out, "no syscall tracepoint"))
		tl_ok("an unknown syscall tracepoint is named in the error");
	else
		tl_fail("an unknown syscall tracepoint is named in the error", "rc %d: %s", rc, out);
	rc = sh(out, sizeof(out), "%s/userbpf run %s/nonexistent.o 2>&1", build, tmpdir);
	TL_CHECK("a missing object file: exit 1, named", rc == 1 && strstr(out, "nonexistent.o"));
	sh(out, sizeof(out), "ls %s/links | wc -l", tmpdir);
	TL_CHECK("run removes its links", atoi(out) == 0);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--child") && !strcmp(argv[2], "ctx"))
		return child_ctx(argv[3]);
	if (argc == 3 && !strcmp(argv[1], "--child") && !strcmp(argv[2], "threads"))
		return child_threads();
	if (argc == 3 && !strcmp(argv[1], "--child") && !strcmp(argv[2], "untraced"))
		return child_untraced();
	setvbuf(stdout, NULL, _IONBF, 0);
	test_table();
	test_attach();
	test_filter();
	test_printk();
	test_links();
#if defined(__linux__) && defined(__x86_64__)
	build = getenv("UB_BUILD");
	if (!build) {
		tl_skip("end to end", "UB_BUILD is not set (run through tests/run.sh)");
	} else if (!mkdtemp(tmpdir)) {
		tl_fail("end to end", "mkdtemp: %s", strerror(errno));
	} else {
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		self[n > 0 ? n : 0] = 0;
		test_end_to_end(self);
		{
			char cmd[300];

			snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
			if (system(cmd))
				tl_fail("cleanup", "%s", cmd);
		}
	}
#else
	tl_skip("end to end", "the agent supports x86-64 Linux only for now");
#endif
	return tl_exit();
}
