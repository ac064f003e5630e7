/* SPDX-License-Identifier: MIT */
/*
 * kattach.c - the kernel side of the syscall benchmark: loads every
 * tracepoint/syscalls/... program of OBJ into the kernel with raw bpf()
 * (the instructions as userbpf's loader links them), attaches each to its
 * tracepoint through perf_event_open + PERF_EVENT_IOC_SET_BPF, as libbpf
 * does, runs CMD, and detaches.  Exit 3 when bpf() does not answer.
 *
 *   kattach OBJ -- CMD ARGS...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "userbpf/userbpf.h"

int main(int argc, char **argv)
{
	struct userbpf_rt *rt = userbpf_rt__new(NULL);
	struct userbpf_obj *obj;
	int fds[16], nfd = 0, st;
	static char log[65536];
	pid_t pid;

	if (argc < 4 || strcmp(argv[2], "--") || !rt)
		return 2;
	obj = userbpf_obj__open_file(rt, argv[1], NULL);
	if (!obj || userbpf_obj__load(obj)) {
		fprintf(stderr, "kattach: cannot load %s\n", argv[1]);
		return 2;
	}
	for (size_t i = 0; i < userbpf_obj__prog_cnt(obj) && nfd < 16; i++) {
		const char *sec = userbpf_obj__prog_section(obj, i), *tp = strstr(sec, "syscalls/");
		struct userbpf_prog *p = userbpf_obj__prog(obj, i);
		union bpf_attr a;
		struct perf_event_attr pa;
		char path[256];
		FILE *f;
		int pfd, efd, id = -1;

		if (!tp)
			continue;
		memset(&a, 0, sizeof(a));
		a.prog_type = BPF_PROG_TYPE_TRACEPOINT;
		a.insns = (uint64_t)(uintptr_t)userbpf_prog__insns(p);
		a.insn_cnt = (uint32_t)userbpf_prog__insn_cnt(p);
		a.license = (uint64_t)(uintptr_t)"GPL";
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = sizeof(log);
		a.log_level = 1;
		pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
		if (pfd < 0) {
			fprintf(stderr, "kattach: bpf(BPF_PROG_LOAD) of %s: %s\n%s", sec, strerror(errno), log);
			return errno == EPERM || errno == ENOSYS ? 3 : 1;
		}
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/id", tp);
		f = fopen(path, "r");
		if (!f || fscanf(f, "%d", &id) != 1) {
			fprintf(stderr, "kattach: %s: cannot read the tracepoint id\n", path);
			return 3;
		}
		fclose(f);
		memset(&pa, 0, sizeof(pa));
		pa.type = PERF_TYPE_TRACEPOINT;
		pa.size = sizeof(pa);
		pa.config = (uint64_t)id;
		pa.sample_period = 1;
		pa.wakeup_events = 1;
		efd = (int)syscall(SYS_perf_event_open, &pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
		if (efd < 0 || ioctl(efd, PERF_EVENT_IOC_SET_BPF, pfd) || ioctl(efd, PERF_EVENT_IOC_ENABLE, 0)) {
			fprintf(stderr, "kattach: attaching %s: %s\n", sec, strerror(errno));
			return 3;
		}
		fds[nfd++] = efd;
	}
	pid = fork();
	if (!pid) {
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
	userbpf_obj__close(obj);
	userbpf_rt__free(rt);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
