/* SPDX-License-Identifier: MIT */
/*
 * fastpath.c - the agent without a seccomp filter, and exec's exit:
 *   - sites.c's classification of syscall sites, on byte sequences taken
 *     from glibc (and on shapes it must refuse);
 *   - end to end (this program re-run as the traced workload, --child
 *     MODE): links on syscalls whose every site was rewritten at start-up
 *     leave the process without a filter (Seccomp: 0), yet gettid issued
 *     through syscall(2) and getppid through glibc's wrapper are traced;
 *     USERBPF_FILTER=always and USERBPF_NO_PATCH=1 put the filter back
 *     with the same trace; a link on read (whose glibc sites are not
 *     rewritten) attached while such a process runs brings the filter;
 *   - sys_exit_execve / sys_exit_execveat: a failed execve reports its
 *     error in the calling image, a successful execve and execveat (glibc's
 *     fexecve) report 0 from the new image, as the traced thread's pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "testlib.h"
#include "hooks/hooks.h"
#include "sh.h"

extern char **environ;

/* ---- the traced workloads ---- */

static int child_fast(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8))
			printf("child %s", line);
	if (f)
		fclose(f);
	/* three gettid: two through syscall(2), one through glibc's wrapper
	 * (a sanitizer runtime may add its own) */
	printf("child gettid=%ld same=%d\n", (long)syscall(SYS_gettid),
	       syscall(SYS_gettid) == gettid());
	printf("child getppid=%ld getpid_ok=%d\n", (long)getppid(), getpid() == (pid_t)syscall(SYS_getpid));
	return 0;
}

/* late DIR: runs under a link on gettid (no filter), until DIR/go
 * appears (the test attaches late.bpf.c's link on read first), then
 * reads 7 bytes three times. */
static int child_late(const char *dir)
{
	char path[300], buf[8], line[256];
	int fd = open("/dev/zero", O_RDONLY), n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/go", dir);
	printf("child late started fd=%d\n", fd);
	fflush(stdout);
	for (int i = 0; i < 3000 && access(path, F_OK); i++)
		usleep(10000);
	for (int i = 0; i < 3; i++)
		n += read(fd, buf, 7) == 7;
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8))
			printf("child late %s", line);
	if (f)
		fclose(f);
	printf("child late reads=%d\n", n);
	return 0;
}

/* exec1: a failed execve, then fexecve (execveat) of this program as
 * exec2, which execve()s it as exec3. */
static int child_exec(const char *self, int step)
{
	char *bad[] = { "/nonexistent/ubh-x", NULL };
	char *next[] = { (char *)self, "--child", step == 1 ? "exec2" : "exec3", NULL };

	printf("child exec%d pid=%ld\n", step, (long)getpid());
	fflush(stdout);
	if (step == 3)
		return 0;
	if (step == 1) {
		int fd = open(self, O_RDONLY | O_CLOEXEC);

		execve(bad[0], bad, environ);
		printf("child failed errno=%d\n", errno);
		fflush(stdout);
		fexecve(fd, next, environ);
		return 3;
	}
	execve(self, next, environ);
	return 4;
}

/* ---- unit checks ---- */

static void site_check(const char *name, const uint8_t *code, size_t len, enum ub_site_kind kind,
		       int nr, size_t mov)
{
	struct ub_site s[4];
	size_t n = ub_sites_scan(code, len, 0x1000, s, 4);

	if (n == 1 && s[0].kind == kind && s[0].nr == nr && s[0].sys == 0x1000 + len - 2 &&
	    (kind != UB_SITE_REWRITE || s[0].mov == 0x1000 + mov))
		tl_ok(name);
	else
		tl_fail(name, "%zu sites, kind %d nr %d mov %#llx", n, n ? (int)s[0].kind : -1,
			n ? s[0].nr : -1, n ? (unsigned long long)s[0].mov : 0);
}

static void test_sites(void)
{
	/* glibc 2.36's getpid, __open64_nocancel's tail and sendto's */
	static const uint8_t getpid_[] = { 0xb8, 0x27, 0, 0, 0, 0x0f, 0x05 };
	static const uint8_t open_[] = { 0x89, 0xf2, 0xb8, 0x01, 0x01, 0, 0, 0x48, 0x89, 0xfe,
					 0xbf, 0x9c, 0xff, 0xff, 0xff, 0x0f, 0x05 };
	static const uint8_t sendto_[] = { 0x44, 0x8b, 0x54, 0x24, 0x28, 0x48, 0x8b, 0x54, 0x24,
					   0x18, 0xb8, 0x2c, 0, 0, 0, 0x48, 0x8b, 0x74, 0x24,
					   0x10, 0x8b, 0x7c, 0x24, 0x08, 0x0f, 0x05 };
	/* mov $231,%r8d; mov %r8d,%eax: the b8 belongs to another mov */
	static const uint8_t rex_[] = { 0x41, 0xb8, 0xe7, 0, 0, 0, 0x44, 0x89, 0xc0, 0x0f, 0x05 };
	static const uint8_t read_[] = { 0x31, 0xc0, 0x0f, 0x05 };
	/* mov 0(%rip),%rsi between: a load the stub would have to move */
	static const uint8_t rip_[] = { 0xb8, 1, 0, 0, 0, 0x48, 0x8b, 0x35, 0, 0, 0, 0, 0x0f, 0x05 };
	/* pthread_create's rt_sigprocmask: lea sigall_set(%rip),%rsi between;
	 * a mutex's: lea 0x8f0(%rbx),%rsi */
	static const uint8_t lea_[] = { 0xb8, 0x0e, 0, 0, 0, 0x48, 0x8d, 0x35, 0xdd, 0x78, 0x11, 0,
					0x0f, 0x05 };
	static const uint8_t leab_[] = { 0xb8, 0x0e, 0, 0, 0, 0x48, 0x8d, 0xb3, 0xf0, 0x08, 0, 0,
					 0x0f, 0x05 };
	uint8_t moved[7];
	int32_t disp = 0;
	/* mov %r11,%rdx between: r11 is the stub's */
	static const uint8_t r11_[] = { 0xb8, 1, 0, 0, 0, 0x4c, 0x89, 0xda, 0x0f, 0x05 };
	/* mov 8(%rsp),%eax between: eax written */
	static const uint8_t eax_[] = { 0xb8, 1, 0, 0, 0, 0x8b, 0x44, 0x24, 0x08, 0x0f, 0x05 };
	static const uint8_t dyn_[] = { 0x48, 0x89, 0xf8, 0x0f, 0x05 };
	/* glibc's getentropy: mov $318,%r9d; ...; mov %r9d,%eax; sub; syscall */
	static const uint8_t reg_[] = { 0x41, 0xb9, 0x3e, 0x01, 0, 0, 0x4c, 0x89, 0xc6, 0x31, 0xd2,
					0x44, 0x89, 0xc8, 0x48, 0x29, 0xfe, 0x0f, 0x05 };
	static const uint8_t two[] = { 0xb8, 0x27, 0, 0, 0, 0x0f, 0x05, 0x90, 0x0f, 0x05, 0x0f };
	struct ub_site s[1];

	site_check("sites: mov $nr,%eax; syscall is rewritten", getpid_, sizeof(getpid_),
		   UB_SITE_REWRITE, 39, 0);
	site_check("sites: register moves between mov and syscall", open_, sizeof(open_),
		   UB_SITE_REWRITE, 257, 2);
	site_check("sites: stack loads between mov and syscall", sendto_, sizeof(sendto_),
		   UB_SITE_REWRITE, 44, 10);
	site_check("sites: a b8 after a REX prefix is not rewritten, only guessed", rex_,
		   sizeof(rex_), UB_SITE_GUESSED, 231, 0);
	site_check("sites: xor %eax,%eax; syscall is read, not rewritten", read_, sizeof(read_),
		   UB_SITE_GUESSED, 0, 0);
	site_check("sites: a rip-relative load between is refused", rip_, sizeof(rip_),
		   UB_SITE_GUESSED, 1, 0);
	site_check("sites: a rip-relative lea between is taken", lea_, sizeof(lea_),
		   UB_SITE_REWRITE, 14, 0);
	site_check("sites: a lea from a register between is taken", leab_, sizeof(leab_),
		   UB_SITE_REWRITE, 14, 0);
	TL_CHECK("sites: a copied lea still reaches its target",
		 ub_site_copy(moved, lea_ + 5, 7, 0x7f0000001005ull, 0x7f0000801005ull) &&
		 (memcpy(&disp, moved + 3, 4), disp == 0x1178dd - 0x800000) && moved[0] == 0x48 &&
		 moved[1] == 0x8d && moved[2] == 0x35);
	TL_CHECK("sites: a lea copied out of reach is refused",
		 !ub_site_copy(moved, lea_ + 5, 7, 0x7f0000001005ull, 0x7f0100001005ull));
	site_check("sites: r11 between is refused", r11_, sizeof(r11_), UB_SITE_GUESSED, 1, 0);
	site_check("sites: eax written between is refused", eax_, sizeof(eax_), UB_SITE_GUESSED, 1, 0);
	site_check("sites: a number from a register is unknown", dyn_, sizeof(dyn_),
		   UB_SITE_UNKNOWN, -1, 0);
	site_check("sites: a number hoisted into another register is guessed", reg_, sizeof(reg_),
		   UB_SITE_GUESSED, 318, 0);
	TL_EQ_U64("sites: every syscall counted, the first cap kept",
		  ub_sites_scan(two, sizeof(two), 0, s, 1), 2);
	TL_CHECK("sites: a syscall cut at the end is not one",
		 ub_sites_scan(two, sizeof(two), 0, NULL, 0) == 2);
	TL_EQ_U64("sites: instruction lengths", ub_site_insn_len(sendto_, 5) +
		  ub_site_insn_len(open_ + 7, 3) + ub_site_insn_len(open_ + 10, 5), 5 + 3 + 5);
}

/* ---- end to end (the agent is x86-64 only) ---- */

#if defined(__linux__) && defined(__x86_64__)

static const char *build;
static char tmpdir[] = "/tmp/ubf-XXXXXX";

/* Whether the agent would count a site for nr as not rewritten in this
 * program's images (the traced child is this program): a guessed one in
 * glibc's, any in the others' (a sanitizer runtime has its own). */
static int site_uncovered(int nr)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4400];
	int found = 0;

	while (f && fgets(line, sizeof(line), f)) {
		static struct ub_site s[1 << 14];
		unsigned long lo, hi;
		char perms[8], *path = strchr(line, '/'), *base;
		bool glibc;
		size_t n;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[2] != 'x' ||
		    perms[0] != 'r' || !path)
			continue;
		base = strrchr(path, '/') + 1;
		glibc = !strncmp(base, "libc.so.", 8) || !strncmp(base, "ld-linux-", 9);
		n = ub_sites_scan((const uint8_t *)lo, hi - lo, lo, s, 1 << 14);
		for (size_t i = 0; i < n && i < (1 << 14); i++)
			found |= s[i].nr == nr && (s[i].kind == UB_SITE_GUESSED ||
						   (!glibc && s[i].kind == UB_SITE_REWRITE));
	}
	if (f)
		fclose(f);
	return found;
}

static void test_fast(const char *self)
{
	static char out[1 << 16];
	const char *env[] = { "", "USERBPF_FILTER=always ", "USERBPF_NO_PATCH=1 " };
	const char *tag[] = { "", " (USERBPF_FILTER=always)", " (USERBPF_NO_PATCH=1)" };
	char obj[300], name[200], want[200];
	bool uncovered = site_uncovered(UB_SYS_NATIVE_NR(ub_sys_by_tp("gettid"))) ||
			 site_uncovered(UB_SYS_NATIVE_NR(ub_sys_by_tp("getppid")));
	int rc;

	snprintf(obj, sizeof(obj), "%s/fast.o", tmpdir);
	if (sh(out, sizeof(out), "clang -O2 -g -target bpf -c %s/tests/hooks/progs/fast.bpf.c -o %s 2>&1",
	       getenv("UB_ROOT") ? getenv("UB_ROOT") : ".", obj)) {
		tl_skip("fast path", "clang -target bpf failed");
		return;
	}
	for (int i = 0; i < 3; i++) {
		char *pp;
		long ppid;

		rc = sh(out, sizeof(out), "%s%s/userbpf run %s -- %s --child fast 2>&1", env[i], build,
			obj, self);
		pp = strstr(out, "child getppid=");
		ppid = pp ? atol(pp + 14) : -1;
		snprintf(name, sizeof(name), "fast path: syscall(SYS_gettid) traced, results right%s", tag[i]);
		if (rc == 0 && count_lines(out, "bpf_trace_printk: fast gettid\n") >= 3 &&
		    strstr(out, "same=1") && strstr(out, "getpid_ok=1"))
			tl_ok(name);
		else
			tl_fail(name, "rc %d:\n%s", rc, out);
		snprintf(want, sizeof(want), "bpf_trace_printk: fast getppid ret=%ld\n", ppid);
		snprintf(name, sizeof(name), "fast path: sys_exit_getppid's ret%s", tag[i]);
		TL_CHECK(name, ppid > 0 && count_lines(out, want) == 1);
		/* a gettid or getppid site that is not rewritten (a sanitizer
		 * runtime's own) calls for the filter */
		snprintf(name, sizeof(name), "fast path: %s%s",
			 i ? "the seccomp filter is installed" :
			 uncovered ? "the filter is installed: a traced site is not rewritten" :
			 "no seccomp filter while every traced site is rewritten", tag[i]);
		TL_CHECK(name, strstr(out, i || uncovered ? "child Seccomp:\t2" : "child Seccomp:\t0"));
	}
}

/* A link on a syscall with sites that were not rewritten, attached while
 * the workload runs without a filter: the filter comes then.  (Both
 * `userbpf run` read the trace pipe: a line reaches one of them.) */
static void test_late(const char *self)
{
	static char out[1 << 16];
	char root[4096], bld[4096], want[100], *p;
	int rc, fd;

	/* the commands run in tmpdir */
	if (!realpath(getenv("UB_ROOT") ? getenv("UB_ROOT") : ".", root) || !realpath(build, bld)) {
		tl_fail("late filter", "realpath: %s", strerror(errno));
		return;
	}

	if (!site_uncovered(UB_SYS_NATIVE_NR(ub_sys_by_tp("read")))) {
		tl_skip("late filter", "every read site of this libc is rewritten: no filter is due");
		return;
	}
	rc = sh(out, sizeof(out),
		"cd %s && clang -O2 -g -target bpf -c %s/tests/hooks/progs/late.bpf.c -o late.o 2>&1 && "
		"{ %s/userbpf run fast.o -- %s --child late %s >late.out 2>&1 & P=$!; "
		"  i=0; until grep -qs started late.out || [ $i -gt 3000 ]; do sleep 0.01; i=$((i+1)); done; "
		"  %s/userbpf run late.o >late2.out 2>&1 & R=$!; "
		"  i=0; until [ $(ls links | wc -l) -ge 3 ] || [ $i -gt 3000 ]; do sleep 0.01; i=$((i+1)); done; "
		"  touch go; wait $P; rc=$?; sleep 0.3; kill $R; wait $R; cat late.out late2.out; exit $rc; }",
		tmpdir, root, bld, self, tmpdir, bld);
	p = strstr(out, "started fd=");
	fd = p ? atoi(p + 11) : -1;
	snprintf(want, sizeof(want), "bpf_trace_printk: late read fd=%d\n", fd);
	if (rc == 0 && fd >= 0 && strstr(out, "child late reads=3") && count_lines(out, want) == 3 &&
	    strstr(out, "child late Seccomp:\t2"))
		tl_ok("late filter: a link on read attached later installs the filter and traces");
	else
		tl_fail("late filter: a link on read attached later installs the filter and traces",
			"rc %d, want '%s' 3 times:\n%s", rc, want, out);
}

static void test_exec_exit(const char *self)
{
	static char out[1 << 16];
	char obj[300], want[200], *p;
	long pid;
	int rc;

	snprintf(obj, sizeof(obj), "%s/exec.o", tmpdir);
	if (sh(out, sizeof(out), "clang -O2 -g -target bpf -c %s/tests/hooks/progs/exec.bpf.c -o %s 2>&1",
	       getenv("UB_ROOT") ? getenv("UB_ROOT") : ".", obj)) {
		tl_skip("exec exit", "clang -target bpf failed");
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		const char *tag = pass ? " (USERBPF_FILTER=always)" : "";
		char name[200];

		rc = sh(out, sizeof(out), "%s%s/userbpf run %s -- %s --child exec1 2>&1",
			pass ? "USERBPF_FILTER=always " : "", build, obj, self);
		p = strstr(out, "child exec1 pid=");
		pid = p ? atol(p + 16) : -1;
		snprintf(name, sizeof(name), "exec: the chain ran (failed execve, fexecve, execve)%s", tag);
		TL_CHECK(name, rc == 0 && strstr(out, "child failed errno=2") && strstr(out, "child exec3"));
		snprintf(want, sizeof(want), "exit_execve ret=-2 pid=%ld\n", pid);
		snprintf(name, sizeof(name), "exec: a failed execve's exit has its error%s", tag);
		if (pid > 0 && count_lines(out, want) == 1)
			tl_ok(name);
		else
			tl_fail(name, "want '%s' once in:\n%s", want, out);
		snprintf(want, sizeof(want), "exit_execveat ret=0 pid=%ld\n", pid);
		snprintf(name, sizeof(name), "exec: a successful execveat's exit comes from the new image%s", tag);
		if (pid > 0 && count_lines(out, want) == 1)
			tl_ok(name);
		else
			tl_fail(name, "want '%s' once in:\n%s", want, out);
		snprintf(want, sizeof(want), "exit_execve ret=0 pid=%ld\n", pid);
		snprintf(name, sizeof(name), "exec: a successful execve's exit comes from the new image%s", tag);
		if (pid > 0 && count_lines(out, want) == 1 && count_lines(out, "exit_execve ret") == 2 &&
		    count_lines(out, "exit_execveat ret") == 1)
			tl_ok(name);
		else
			tl_fail(name, "want '%s' once, 3 exits in all:\n%s", want, out);
	}
	/* the marker left for the new image is not for a later process */
	rc = sh(out, sizeof(out), "%s/userbpf run %s -- sh -c 'env | grep -c USERBPF_EXEC_EXIT' 2>&1",
		build, obj);
	TL_CHECK("exec: the new image does not keep the marker", strstr(out, "\n0\n") || !strncmp(out, "0\n", 2));
}
#endif

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--child") && !strcmp(argv[2], "fast"))
		return child_fast();
	if (argc == 4 && !strcmp(argv[1], "--child") && !strcmp(argv[2], "late"))
		return child_late(argv[3]);
	if (argc == 3 && !strcmp(argv[1], "--child") && !strncmp(argv[2], "exec", 4)) {
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		self[n > 0 ? n : 0] = 0;
		return child_exec(self, atoi(argv[2] + 4));
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	test_sites();
#if defined(__linux__) && defined(__x86_64__)
	build = getenv("UB_BUILD");
	if (!build) {
		tl_skip("end to end", "UB_BUILD is not set (run through tests/run.sh)");
	} else if (!mkdtemp(tmpdir)) {
		tl_fail("end to end", "mkdtemp: %s", strerror(errno));
	} else {
		char self[4096], cmd[300];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		self[n > 0 ? n : 0] = 0;
		setenv("USERBPF_ROOT", tmpdir, 1);
		test_fast(self);
		test_late(self);
		test_exec_exit(self);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd))
			tl_fail("cleanup", "%s", cmd);
	}
#else
	tl_skip("end to end", "the agent supports x86-64 Linux only for now");
#endif
	return tl_exit();
}
