/* SPDX-License-Identifier: MIT */
/*
 * seccomp_cost.c - what an untraced syscall pays for a seccomp filter on
 * this kernel: N getpid calls (and N open/close pairs) in a child per
 * configuration, lowest ns/op of REPS runs:
 *   none          no filter
 *   allow         a one-instruction RET_ALLOW filter
 *   allow+spec    the same with SECCOMP_FILTER_FLAG_SPEC_ALLOW
 *   ip-load       ALLOW after loading instruction_pointer: the kernel's
 *                 action cache cannot prove it constant, so it runs
 *   agent         the agent's filter (filter.c) trapping mkdirat+the four
 *                 the agent always traps, code ranges from /proc/self/maps
 *   agent x3      three of them stacked (a shell, its child, a grandchild)
 * and the Speculation_Store_Bypass line each child sees.
 *
 *   seccomp_cost [N] [REPS]
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "hooks/hooks.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int install(struct sock_filter *f, unsigned n, unsigned flags)
{
	struct sock_fprog fp = { (unsigned short)n, f };

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fp);
}

static int install_agent_filter(void)
{
	static struct ub_cbpf insns[UB_FILTER_MAX];
	static struct ub_ip_range code[96];
	uint8_t traced[64] = { 0 };
	const char *names[] = { "mkdirat", "execve", "execveat", "rt_sigprocmask", "rt_sigaction" };
	struct ub_filter_spec s = { traced, 512, false, { 0x1000, 0x2000 }, code, 0 };
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4400];
	int n;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int nr = UB_SYS_NATIVE_NR(ub_sys_by_tp(names[i]));

		traced[nr / 8] |= (uint8_t)(1u << (nr % 8));
	}
	while (f && fgets(line, sizeof(line), f) && s.code_cnt < 96) {
		unsigned long lo, hi;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && perms[2] == 'x')
			code[s.code_cnt++] = (struct ub_ip_range){ lo, hi };
	}
	if (f)
		fclose(f);
	n = ub_filter_build(&s, insns, UB_FILTER_MAX);
	if (n < 0)
		return n;
	return install((struct sock_filter *)insns, (unsigned)n,
		       SECCOMP_FILTER_FLAG_SPEC_ALLOW);
}

static void ssb(char *out, size_t sz)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];

	snprintf(out, sz, "?");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Speculation_Store_Bypass:", 25)) {
			snprintf(out, sz, "%s", line + 26 + strspn(line + 26, " \t"));
			out[strcspn(out, "\n")] = 0;
		}
	if (f)
		fclose(f);
}

/* Runs in a child; writes "getpid_ns openclose_ns ssb" to fd. */
static void child(int mode, long n, int fd)
{
	struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_filter ipload[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	char buf[256], s[64];
	double t0, t1, t2;
	int r = 0;

	switch (mode) {
	case 1: r = install(allow, 1, 0); break;
	case 2: r = install(allow, 1, SECCOMP_FILTER_FLAG_SPEC_ALLOW); break;
	case 3: r = install(ipload, 2, SECCOMP_FILTER_FLAG_SPEC_ALLOW); break;
	case 4: r = install_agent_filter(); break;
	case 5:
		for (int i = 0; i < 3 && !r; i++)
			r = install_agent_filter();
		break;
	}
	if (r) {
		dprintf(fd, "- - install:%s\n", strerror(r < 0 && r != -1 ? -r : errno));
		_exit(1);
	}
	ssb(s, sizeof(s));
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_getpid);
	t1 = now_ns();
	for (long i = 0; i < n / 4; i++)
		close(open("/dev/null", O_RDONLY));
	t2 = now_ns();
	snprintf(buf, sizeof(buf), "%.1f %.1f %s\n", (t1 - t0) / n, (t2 - t1) / (n / 4), s);
	if (write(fd, buf, strlen(buf)) < 0)
		_exit(1);
	_exit(0);
}

int main(int argc, char **argv)
{
	static const char *name[] = { "none", "allow", "allow+spec", "ip-load", "agent", "agent x3" };
	enum { MODES = 6 };
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	double best[MODES][2];
	char ssbs[MODES][64];

	for (int m = 0; m < MODES; m++)
		best[m][0] = best[m][1] = 1e18, ssbs[m][0] = 0;
	for (int r = 0; r < reps; r++)
		for (int m = 0; m < MODES; m++) {
			int p[2], st;
			char buf[256] = { 0 };
			double g, o;
			pid_t pid;

			if (pipe(p))
				return 1;
			pid = fork();
			if (!pid) {
				close(p[0]);
				child(m, n, p[1]);
			}
			close(p[1]);
			if (read(p[0], buf, sizeof(buf) - 1) < 0)
				buf[0] = 0;
			close(p[0]);
			waitpid(pid, &st, 0);
			if (sscanf(buf, "%lf %lf %63[^\n]", &g, &o, ssbs[m]) != 3) {
				snprintf(ssbs[m], sizeof(ssbs[m]), "%s", buf);
				continue;
			}
			if (g < best[m][0])
				best[m][0] = g;
			if (o < best[m][1])
				best[m][1] = o;
		}
	printf("%-12s %10s %8s %14s %8s  %s\n", "filter", "getpid ns", "slower", "open+close ns",
	       "slower", "Speculation_Store_Bypass");
	for (int m = 0; m < MODES; m++)
		printf("%-12s %10.1f %+7.1f%% %14.1f %+7.1f%%  %s\n", name[m], best[m][0],
		       (best[m][0] / best[0][0] - 1) * 100, best[m][1],
		       (best[m][1] / best[0][1] - 1) * 100, ssbs[m]);
	return 0;
}
