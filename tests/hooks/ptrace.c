/* SPDX-License-Identifier: MIT */
/*
 * ptrace.c - the ptrace tracer (src/hooks/ptrace.c) end to end, through
 * the CLI: `userbpf exec` of a statically linked workload
 * (progs/pt_work.c, gcc -static) with getpid counted into maps by
 * progs/pt_count.bpf.c - exact counts for sys_enter and sys_exit, the
 * tracee's tgid, tid and comm seen by the helpers, threads, fork and exec
 * followed, exit statuses; `exec --ptrace` of a dynamic program (the agent
 * must not count a second time); PTRACE_SYSCALL mode; links attached while
 * the tracee runs; `exec --pid` on a running process, which goes on and
 * exits normally after the detach; the trace pipe and contexts of
 * progs/ctx.bpf.c through `userbpf run`; bad command lines.  And the
 * hand-over: a dynamic shell under the agent that runs a static or setuid
 * program execs the CLI's tracer in its place (same pid), so the counts
 * from that grandchild are exact and its status reaches the shell;
 * without USERBPF_CLI it runs untraced with one warning.
 *
 * The test attaches the links itself (maps pinned, as the compat layer
 * does), so it reads the counts from its own copy of the maps.  Every
 * child runs under a deadline: a hang is a failure, never a stuck test.
 */
#include "testlib.h"

#if defined(__linux__) && defined(__x86_64__)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "hooks/hooks.h"
#include "userbpf/userbpf.h"

static const char *build, *src_root;
/* ctx.bpf.c prints only paths under /tmp/ubh */
static char tmpdir[] = "/tmp/ubhpt-XXXXXX";
static char ub[600], wstatic[600], wdyn[600], root[700];
static struct userbpf_map *m_counts, *m_tids;
static char links[4][4200];
static size_t nlinks;
static struct ub_link_rec rec;

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Starts argv with stdout and stderr into FILE (NULL: /dev/null). */
static pid_t start(char *const argv[], const char *out)
{
	pid_t p = fork();

	if (p == 0) {
		int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(126);
	}
	return p;
}

/* Waits for p at most ms; kills it after.  Returns the shell-style
 * status, or -1 on the deadline. */
static int wait_for(pid_t p, long ms)
{
	int st;

	for (long t = 0; t <= ms; t += 10) {
		pid_t w = waitpid(p, &st, WNOHANG);

		if (w == p)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		msleep(10);
	}
	kill(p, SIGKILL);
	waitpid(p, &st, 0);
	return -1;
}

static int run(char *const argv[], const char *out, long ms)
{
	pid_t p = start(argv, out);

	return p < 0 ? -2 : wait_for(p, ms);
}

static uint64_t count(uint32_t k)
{
	uint64_t v = 0;

	if (userbpf_map__lookup_elem(m_counts, &k, &v, 0))
		return (uint64_t)-1;
	return v;
}

/* Distinct tids in the tids map, and their sum. */
static unsigned tid_count(uint64_t *sum)
{
	uint32_t k, next;
	unsigned n = 0;
	bool first = true;

	*sum = 0;
	while (!userbpf_map__get_next_key(m_tids, first ? NULL : &k, &next)) {
		uint64_t v = 0;

		userbpf_map__lookup_elem(m_tids, &next, &v, 0);
		*sum += v;
		n++;
		k = next;
		first = false;
	}
	return n;
}

static void reset(void)
{
	uint64_t zero = 0, sum;
	uint32_t k;

	for (k = 0; k < 8; k++)
		userbpf_map__update_elem(m_counts, &k, &zero, 0);
	while (tid_count(&sum)) {
		if (userbpf_map__get_next_key(m_tids, NULL, &k) || userbpf_map__delete_elem(m_tids, &k))
			break;
	}
}

/* The State: value of /proc/PID/status, in buf; NULL when unreadable. */
static char *proc_status(pid_t pid, char *buf, size_t sz)
{
	char p[64];
	FILE *f;
	size_t n;
	char *s;

	snprintf(p, sizeof(p), "/proc/%ld/status", (long)pid);
	f = fopen(p, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, sz - 1, f);
	fclose(f);
	buf[n] = 0;
	s = strstr(buf, "State:");
	if (!s)
		return NULL;
	s += 6;
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool file_has(const char *path, const char *needle)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, needle) != NULL;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* One link per program of pt_count.o. */
static int link_both(void)
{
	static const char *const progs[][2] = {
		{ "on_enter", "syscalls/sys_enter_getpid" },
		{ "on_exit", "syscalls/sys_exit_getpid" },
		{ "on_clone_exit", "syscalls/sys_exit_clone" },
		{ "on_clone3_exit", "syscalls/sys_exit_clone3" },
	};

	for (size_t i = 0; i < 4; i++) {
		int err;

		snprintf(rec.prog, sizeof(rec.prog), "%s", progs[i][0]);
		snprintf(rec.attach, sizeof(rec.attach), "%s", progs[i][1]);
		err = ub_link_create(root, &rec, links[i], sizeof(links[i]));
		if (err)
			return err;
		nlinks = i + 1;
	}
	return 0;
}

static void unlink_all(void)
{
	for (size_t i = 0; i < nlinks; i++)
		ub_link_remove(root, links[i]);
	nlinks = 0;
}

static void check_counts(const char *what, uint64_t n, unsigned want_tids)
{
	char name[200];
	uint64_t sum;
	unsigned t = tid_count(&sum);

	snprintf(name, sizeof(name), "%s: sys_enter and sys_exit counted exactly (%llu)", what,
		 (unsigned long long)n);
	if (count(0) == n && count(1) == n)
		tl_ok(name);
	else
		tl_fail(name, "enter %llu, exit %llu", (unsigned long long)count(0),
			(unsigned long long)count(1));
	snprintf(name, sizeof(name), "%s: helpers give the tracee's tgid, tid and comm", what);
	if (count(2) == n && count(3) == n && count(4) == n)
		tl_ok(name);
	else
		tl_fail(name, "ret==tgid %llu, common_pid==tid %llu, comm %llu of %llu",
			(unsigned long long)count(2), (unsigned long long)count(3),
			(unsigned long long)count(4), (unsigned long long)n);
	snprintf(name, sizeof(name), "%s: %u thread(s) seen", what, want_tids);
	if (t == want_tids && sum == n)
		tl_ok(name);
	else
		tl_fail(name, "%u tids, %llu calls", t, (unsigned long long)sum);
}

static void test_exec(void)
{
	char out[800];
	int rc;

	snprintf(out, sizeof(out), "%s/out", tmpdir);
	reset();
	rc = run((char *[]){ ub, "exec", "--", wstatic, "getpid", "1000", "3", NULL }, out, 30000);
	TL_CHECK("exec static: the tracee's exit status comes back (3)", rc == 3);
	check_counts("exec static", 1001, 1);	/* +1: its own pid first */

	reset();
	rc = run((char *[]){ ub, "exec", "--", wstatic, "threads", "4", "500", NULL }, out, 30000);
	TL_CHECK("exec static threads: exit 0", rc == 0 && file_has(out, "threads bad=0"));
	check_counts("exec static threads", 2001, 5);
	if (count(5) == 4 && count(6) == 4 && !count(7))
		tl_ok("exec static threads: sys_exit_clone* in each new thread (ret 0) and its creator");
	else
		tl_fail("exec static threads: sys_exit_clone* in each new thread (ret 0) and its creator",
			"%llu with ret 0, %llu with ret > 0, %llu failed", (unsigned long long)count(5),
			(unsigned long long)count(6), (unsigned long long)count(7));

	reset();
	rc = run((char *[]){ ub, "exec", "--", wstatic, "spawn", "300", NULL }, out, 30000);
	TL_CHECK("exec static fork+exec: the child's status through the parent (3)", rc == 3);
	check_counts("exec static fork+exec", 602, 2);
	TL_CHECK("exec static fork: sys_exit of fork's clone in the child (0) and the parent",
		 count(5) == 1 && count(6) == 1);

	reset();
	rc = run((char *[]){ ub, "exec", "--", wstatic, "pspawn", "200", NULL }, out, 30000);
	TL_CHECK("exec static posix_spawn (vfork): the child's status (3)", rc == 3);
	check_counts("exec static posix_spawn (vfork)", 202, 2);

	reset();
	rc = run((char *[]){ ub, "exec", "--ptrace", "--", wdyn, "getpid", "700", NULL }, out, 30000);
	TL_CHECK("exec --ptrace dynamic: exit 0", rc == 0);
	check_counts("exec --ptrace dynamic (agent not preloaded too)", 701, 1);

	reset();
	setenv("USERBPF_PTRACE_NO_FILTER", "1", 1);
	rc = run((char *[]){ ub, "exec", "--", wstatic, "getpid", "400", NULL }, out, 30000);
	unsetenv("USERBPF_PTRACE_NO_FILTER");
	TL_CHECK("exec static, PTRACE_SYSCALL stops: exit 0", rc == 0);
	check_counts("exec static, PTRACE_SYSCALL stops", 401, 1);

	{
		/* setuid: LD_PRELOAD would be ignored, the tracer takes it */
		char suid[700];

		snprintf(suid, sizeof(suid), "%s/pt_work_suid", tmpdir);
		reset();
		if (sh("cp %s %s && chmod u+s %s", wdyn, suid, suid)) {
			tl_skip("exec setuid", "cannot make a setuid copy");
		} else {
			rc = run((char *[]){ ub, "exec", "--", suid, "getpid", "300", NULL }, out,
				 30000);
			TL_CHECK("exec setuid: exit 0", rc == 0);
			check_counts("exec setuid (the tracer, not the agent)", 301, 1);
		}
	}

	rc = run((char *[]){ ub, "exec", "--ptrace", "--", "/bin/sh", "-c", "kill -TERM $$", NULL },
		 out, 30000);
	TL_CHECK("exec --ptrace: a tracee killed by SIGTERM gives 143", rc == 143);
	rc = run((char *[]){ ub, "exec", "--ptrace", "--", "/nonexistent/cmd", NULL }, out, 30000);
	TL_CHECK("exec --ptrace: a missing command gives 127 and names it",
		 rc == 127 && file_has(out, "/nonexistent/cmd"));
}

/* Entries of the tid that made exactly n of them: 1 if there is one. */
static bool tid_with(uint64_t n)
{
	uint32_t k, next;
	bool first = true;

	while (!userbpf_map__get_next_key(m_tids, first ? NULL : &k, &next)) {
		uint64_t v = 0;

		userbpf_map__lookup_elem(m_tids, &next, &v, 0);
		if (v == n)
			return true;
		k = next;
		first = false;
	}
	return false;
}

/* The agent hands an exec of a static or setuid program to the tracer. */
static void test_agent_handover(void)
{
	char out[800], cmd[2000], suid[700];
	int rc;

	snprintf(out, sizeof(out), "%s/out_ho", tmpdir);
	reset();
	snprintf(cmd, sizeof(cmd), "%s getpid 1000 3; echo status=$?", wstatic);
	rc = run((char *[]){ ub, "exec", "--", "/bin/sh", "-c", cmd, NULL }, out, 30000);
	TL_CHECK("agent hand-over: the static grandchild's status reaches the shell (3)",
		 rc == 0 && file_has(out, "status=3"));
	if (count(4) == 1001 && count(0) == count(1) && count(2) == count(1) && tid_with(1001))
		tl_ok("agent hand-over: the static grandchild's getpid counted exactly (1001), "
		      "with its own tgid and tid");
	else
		tl_fail("agent hand-over: the static grandchild's getpid counted exactly (1001)",
			"comm pt_work %llu, enter %llu, exit %llu, ret==tgid %llu",
			(unsigned long long)count(4), (unsigned long long)count(0),
			(unsigned long long)count(1), (unsigned long long)count(2));
	TL_CHECK("agent hand-over: no warning", !file_has(out, "untraced"));

	/* the same through the seccomp filter and SIGSYS handler */
	reset();
	setenv("USERBPF_FILTER", "always", 1);
	rc = run((char *[]){ ub, "exec", "--", "/bin/sh", "-c", cmd, NULL }, out, 30000);
	unsetenv("USERBPF_FILTER");
	TL_CHECK("agent hand-over, filter always: status 3 and 1001 counted exactly",
		 rc == 0 && file_has(out, "status=3") && count(4) == 1001 && count(0) == count(1) &&
		 tid_with(1001));

	/* the static program forks and execs itself: the tracer follows */
	reset();
	snprintf(cmd, sizeof(cmd), "%s spawn 300; echo status=$?", wstatic);
	rc = run((char *[]){ ub, "exec", "--", "/bin/sh", "-c", cmd, NULL }, out, 30000);
	TL_CHECK("agent hand-over, fork+exec inside: status 3 reaches the shell",
		 rc == 0 && file_has(out, "status=3"));
	TL_CHECK("agent hand-over, fork+exec inside: 602 counted over 2 tids",
		 count(4) == 602 && count(0) == count(1) && tid_with(301));

	/* a setuid copy of the dynamic workload: the tracer, not the agent too */
	snprintf(suid, sizeof(suid), "%s/pt_work_suid2", tmpdir);
	reset();
	if (sh("cp %s %s && chmod u+s %s", wdyn, suid, suid)) {
		tl_skip("agent hand-over setuid", "cannot make a setuid copy");
	} else {
		snprintf(cmd, sizeof(cmd), "%s getpid 300 4; echo status=$?", suid);
		rc = run((char *[]){ ub, "exec", "--", "/bin/sh", "-c", cmd, NULL }, out, 30000);
		TL_CHECK("agent hand-over setuid: status 4 reaches the shell",
			 rc == 0 && file_has(out, "status=4"));
		TL_CHECK("agent hand-over setuid: 301 counted once (not by the agent as well)",
			 count(4) == 301 && count(0) == count(1) && tid_with(301));
	}

	/* execveat(fd, "", AT_EMPTY_PATH) on an O_CLOEXEC fd (fexecve), from
	 * the dynamic workload under the agent (its first getpid: 1) */
	reset();
	rc = run((char *[]){ ub, "exec", "--", wdyn, "fexec", wstatic, "pt_work", "getpid", "200",
			     "5", NULL }, out, 30000);
	TL_CHECK("agent hand-over fexecve (execveat, O_CLOEXEC fd): status 5", rc == 5);
	TL_CHECK("agent hand-over fexecve: 1 + 200 counted in two tids",
		 count(0) == 202 && count(1) == 202 && tid_with(201) && tid_with(1));

	/* a non-PIE dynamic program (code at 0x400000, as the static one's;
	 * 1 MiB of nops make its code cover the other's) with the agent's
	 * filter: the inherited filter must stay inert in the static program
	 * the tracer runs */
	reset();
	if (sh("printf '.section .note.GNU-stack,\"\",@progbits\\n.text\\n"
	       ".fill 1048576,1,0x90\\n' | gcc -O2 -no-pie -pthread -o "
	       "%s/pt_work_nopie %s/tests/hooks/progs/pt_work.c -x assembler -", tmpdir, src_root)) {
		tl_skip("agent hand-over from a non-PIE program", "gcc -no-pie failed");
	} else {
		snprintf(cmd, sizeof(cmd), "%s/pt_work_nopie", tmpdir);
		setenv("USERBPF_FILTER", "always", 1);
		rc = run((char *[]){ ub, "exec", "--", cmd, "fexec", wstatic, "pt_work", "getpid",
				     "200", "5", NULL }, out, 30000);
		unsetenv("USERBPF_FILTER");
		TL_CHECK("agent hand-over from a non-PIE program, filter always: status 5, "
			 "1 + 200 counted in two tids",
			 rc == 5 && count(0) == 202 && count(1) == 202 && tid_with(201) &&
			 tid_with(1));
	}

	/* without USERBPF_CLI: untraced, one warning naming the program */
	reset();
	snprintf(cmd, sizeof(cmd), "%s getpid 50 3; %s getpid 50 3; echo status=$?", wstatic,
		 wstatic);
	{
		char pre[700];

		snprintf(pre, sizeof(pre), "%s/libuserbpf-agent.so", build);
		setenv("LD_PRELOAD", pre, 1);
		unsetenv("USERBPF_CLI");
		rc = run((char *[]){ "/bin/sh", "-c", cmd, NULL }, out, 30000);
		unsetenv("LD_PRELOAD");
	}
	snprintf(cmd, sizeof(cmd), "%s is static or setuid and USERBPF_CLI is not set", wstatic);
	TL_CHECK("no USERBPF_CLI: the static program runs untraced, its status reaches the shell",
		 rc == 0 && file_has(out, "status=3") && count(4) == 0);
	TL_CHECK("no USERBPF_CLI: a warning naming the program", file_has(out, cmd));
}

/* Waits (at most 10 s) for path to exist. */
static bool wait_file(const char *path)
{
	for (int i = 0; i < 1000; i++) {
		if (!access(path, F_OK))
			return true;
		msleep(10);
	}
	return false;
}

static void test_late_links(void)
{
	char flag[800], out[800];
	pid_t tracer;
	int rc;

	/* no link at start: the filter stops execve only; links come later */
	unlink_all();
	reset();
	snprintf(flag, sizeof(flag), "%s/late.flag", tmpdir);
	snprintf(out, sizeof(out), "%s/late.out", tmpdir);
	tracer = start((char *[]){ ub, "exec", "--", wstatic, "loop", flag, NULL }, out);
	if (!wait_file(flag)) {
		tl_fail("exec static: links attached later", "the workload did not start");
		kill(tracer, SIGKILL);
		wait_for(tracer, 1000);
		return;
	}
	link_both();
	msleep(500);
	{
		/* the workload's pid: the tracer's child */
		char cmd[200];
		FILE *p;
		long wpid = -1;

		snprintf(cmd, sizeof(cmd), "pgrep -P %ld", (long)tracer);
		p = popen(cmd, "r");
		if (p) {
			if (fscanf(p, "%ld", &wpid) != 1)
				wpid = -1;
			pclose(p);
		}
		if (wpid > 0) {
			uint64_t ca, cb, cc;

			/* job control under the tracer: stopped, nothing runs;
			 * continued, it runs again */
			kill((pid_t)wpid, SIGSTOP);
			msleep(200);
			ca = count(0);
			msleep(200);
			cb = count(0);
			kill((pid_t)wpid, SIGCONT);
			msleep(300);
			cc = count(0);
			if (ca == cb && cc > cb)
				tl_ok("exec static: SIGSTOP stops the tracee, SIGCONT continues it");
			else
				tl_fail("exec static: SIGSTOP stops the tracee, SIGCONT continues it",
					"getpid counted %llu, %llu while stopped, %llu after",
					(unsigned long long)ca, (unsigned long long)cb,
					(unsigned long long)cc);
			kill((pid_t)wpid, SIGUSR1);
		} else {
			kill(tracer, SIGKILL);
		}
	}
	rc = wait_for(tracer, 20000);
	TL_CHECK("exec static: links attached later are run (every syscall stops since)",
		 count(0) > 10 && count(1) > 10 && count(2) == count(1));
	TL_CHECK("exec static: the workload ends normally (5)", rc == 5);

	/* SIGTERM sent to `userbpf exec` reaches the command */
	unlink(flag);
	tracer = start((char *[]){ ub, "exec", "--", wstatic, "loop", flag, NULL }, out);
	if (wait_file(flag))
		kill(tracer, SIGTERM);
	rc = wait_for(tracer, 20000);
	TL_CHECK("exec static: SIGTERM of userbpf is passed to the command (143)", rc == 143);
}

static void test_pid(void)
{
	char flag[800], out[800], name[200];
	pid_t w, tracer;
	uint64_t c1, c2, sum;
	unsigned tids;
	int rc, wrc;

	if (!nlinks)
		link_both();
	reset();
	snprintf(flag, sizeof(flag), "%s/pid.flag", tmpdir);
	snprintf(out, sizeof(out), "%s/pid.out", tmpdir);
	w = start((char *[]){ wdyn, "loop", flag, NULL }, NULL);
	if (!wait_file(flag)) {
		tl_fail("exec --pid", "the workload did not start");
		kill(w, SIGKILL);
		wait_for(w, 1000);
		return;
	}
	snprintf(name, sizeof(name), "%ld", (long)w);
	tracer = start((char *[]){ ub, "exec", "--pid", name, NULL }, out);
	msleep(500);
	kill(w, SIGUSR2);	/* a third thread, started while traced */
	msleep(300);
	/* job control stays the process's: stopped while traced, detached
	 * stopped, then continued */
	kill(w, SIGSTOP);
	msleep(200);
	kill(tracer, SIGTERM);
	rc = wait_for(tracer, 10000);
	c1 = count(0);
	tids = tid_count(&sum);
	TL_CHECK("exec --pid: SIGTERM detaches, exit 0", rc == 0);
	{
		char st[2048], *p;

		msleep(100);
		p = proc_status(w, st, sizeof(st));
		TL_CHECK("exec --pid: a process stopped while traced stays stopped after the detach",
			 p && !strncmp(p, "T (stopped)", 11));
		kill(w, SIGCONT);
	}
	if (c1 > 20 && count(1) > 20 && count(2) == count(1) && count(3) == c1 && tids == 3)
		tl_ok("exec --pid: the threads' getpid seen with their tids and tgid (one started later)");
	else
		tl_fail("exec --pid: the threads' getpid seen with their tids and tgid (one started later)",
			"enter %llu, exit %llu, ret==tgid %llu, tid ok %llu, %u tids",
			(unsigned long long)c1, (unsigned long long)count(1),
			(unsigned long long)count(2), (unsigned long long)count(3), tids);
	msleep(300);
	c2 = count(0);
	TL_CHECK("exec --pid: nothing counted after the detach", c2 == c1);
	kill(w, SIGUSR1);
	wrc = wait_for(w, 10000);
	TL_CHECK("exec --pid: the process goes on and exits normally after the detach (5)",
		 wrc == 5);

	/* a process that exits while traced: the tracer ends by itself */
	reset();
	unlink(flag);
	w = start((char *[]){ wstatic, "loop", flag, NULL }, NULL);
	if (!wait_file(flag)) {
		tl_fail("exec --pid static", "the workload did not start");
		kill(w, SIGKILL);
		wait_for(w, 1000);
		return;
	}
	snprintf(name, sizeof(name), "%ld", (long)w);
	tracer = start((char *[]){ ub, "exec", "--pid", name, NULL }, out);
	msleep(500);
	kill(w, SIGUSR1);
	wrc = wait_for(w, 10000);
	rc = wait_for(tracer, 10000);
	TL_CHECK("exec --pid: a traced process exits normally (5), the tracer with 0",
		 wrc == 5 && rc == 0 && count(0) > 0);

	rc = run((char *[]){ ub, "exec", "--pid", "abc", NULL }, out, 10000);
	TL_CHECK("exec --pid abc: usage error (2)", rc == 2 && file_has(out, "abc"));
	rc = run((char *[]){ ub, "exec", "--pid", "999999999", NULL }, out, 10000);
	TL_CHECK("exec --pid of no process: exit 1, named", rc == 1 && file_has(out, "999999999"));
	rc = run((char *[]){ ub, "exec", "--pid", "1", "--", "true", NULL }, out, 10000);
	TL_CHECK("exec --pid with a command: usage error (2)", rc == 2);
}

static void test_run_ctx(void)
{
	char obj[800], out[800], dir[800], want[1200], line[900];
	int rc, nr_open = UB_SYS_NATIVE_NR(ub_sys_by_tp("openat"));

	snprintf(obj, sizeof(obj), "%s/ctx.o", tmpdir);
	if (sh("clang -O2 -g -target bpf -c %s/tests/hooks/progs/ctx.bpf.c -o %s 2>/dev/null",
	       src_root, obj)) {
		tl_skip("run ctx.o on a static program", "clang -target bpf failed");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/ubh", tmpdir);
	mkdir(dir, 0700);
	snprintf(line, sizeof(line), "%s/file", dir);
	close(open(line, O_CREAT | O_WRONLY, 0600));
	snprintf(out, sizeof(out), "%s/ctx.out", tmpdir);
	rc = run((char *[]){ ub, "run", obj, "--", wstatic, "ctx", dir, NULL }, out, 30000);
	TL_CHECK("run ctx.o -- static: exit 0", rc == 0);
	snprintf(want, sizeof(want), "bpf_trace_printk: openat nr=%d pid_ok=1 path=%s/file\n",
		 nr_open, dir);
	TL_CHECK("run static: sys_enter_openat's filename read from the tracee (probe_read_user_str)",
		 file_has(out, want));
	{
		static char buf[1 << 16];
		FILE *f = fopen(out, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		char *pp, *tp;

		if (f)
			fclose(f);
		buf[n] = 0;
		pp = strstr(buf, "child-ppid ");
		tp = strstr(buf, "child-tid ");
		snprintf(want, sizeof(want), "getppid nr=%d ret=%ld\n",
			 UB_SYS_NATIVE_NR(ub_sys_by_tp("getppid")), pp ? atol(pp + 11) : -1);
		TL_CHECK("run static: sys_exit_getppid's ret", pp && strstr(buf, want));
		snprintf(want, sizeof(want), "pt_work-%ld ", tp ? atol(tp + 10) : -1);
		snprintf(line, sizeof(line), "gettid tid=%ld same=1\n", tp ? atol(tp + 10) : -1);
		TL_CHECK("run static: trace_pipe line names the tracee's comm and tid",
			 tp && strstr(buf, want) && strstr(buf, line));
	}
}

int main(void)
{
	struct userbpf_rt *rt = NULL;
	struct userbpf_obj *obj = NULL;
	char cmd[2000], objpath[800];
	int err;

	setvbuf(stdout, NULL, _IONBF, 0);
	build = getenv("UB_BUILD");
	src_root = getenv("UB_ROOT") ? getenv("UB_ROOT") : ".";
	if (!build) {
		tl_skip("ptrace", "UB_BUILD is not set (run through tests/run.sh)");
		return tl_exit();
	}
	if (!mkdtemp(tmpdir)) {
		tl_fail("ptrace", "mkdtemp: %s", strerror(errno));
		return tl_exit();
	}
	snprintf(ub, sizeof(ub), "%s/userbpf", build);
	snprintf(wstatic, sizeof(wstatic), "%s/pt_work", tmpdir);
	snprintf(wdyn, sizeof(wdyn), "%s/pt_work_dyn", tmpdir);
	snprintf(root, sizeof(root), "%s/root", tmpdir);
	snprintf(objpath, sizeof(objpath), "%s/pt_count.o", tmpdir);
	setenv("USERBPF_ROOT", root, 1);
	snprintf(cmd, sizeof(cmd), "%s/libuserbpf-agent.so", build);
	setenv("USERBPF_AGENT", cmd, 1);
	if (sh("gcc -O2 -static -pthread -o %s %s/tests/hooks/progs/pt_work.c 2>/dev/null", wstatic,
	       src_root)) {
		tl_skip("ptrace", "gcc -static failed: no static C library here");
		goto out;
	}
	if (sh("gcc -O2 -pthread -o %s %s/tests/hooks/progs/pt_work.c", wdyn, src_root) ||
	    sh("clang -O2 -g -target bpf -I/usr/include/$(gcc -dumpmachine) -c "
	       "%s/tests/hooks/progs/pt_count.bpf.c -o %s 2>/dev/null", src_root, objpath)) {
		tl_skip("ptrace", "cannot build the workload or clang -target bpf failed");
		goto out;
	}
	TL_CHECK("the workload is static, the other dynamic",
		 ub_elf_is_static(wstatic) == 1 && ub_elf_is_static(wdyn) == 0);
	rt = userbpf_rt__new(NULL);
	if (!rt || ub_hooks_stub_helpers(rt) || ub_store_root(root, sizeof(root))) {
		tl_fail("ptrace", "runtime or store root");
		goto out;
	}
	obj = userbpf_obj__open_file(rt, objpath, NULL);
	if (!obj || userbpf_obj__load(obj)) {
		tl_fail("ptrace", "cannot load %s", objpath);
		goto out;
	}
	m_counts = userbpf_obj__find_map(obj, "counts");
	m_tids = userbpf_obj__find_map(obj, "tids");
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.obj, sizeof(rec.obj), "%s", objpath);
	rec.owner = (long)getpid();
	err = ub_link_pin_maps(obj, root, rec.maps, sizeof(rec.maps));
	if (!m_counts || !m_tids || err || link_both()) {
		tl_fail("ptrace", "maps or links: %s", strerror(err < 0 ? -err : EINVAL));
		goto out;
	}
	test_exec();
	test_agent_handover();
	test_pid();
	test_late_links();
	unlink_all();
	test_run_ctx();
out:
	unlink_all();
	if (rec.maps[0])
		ub_link_unpin_maps(rec.maps);
	userbpf_obj__close(obj);
	userbpf_rt__free(rt);
	sh("rm -rf %s", tmpdir);
	return tl_exit();
}

#else
int main(void)
{
	tl_skip("ptrace", "the tracer supports x86-64 Linux only for now");
	return tl_exit();
}
#endif
