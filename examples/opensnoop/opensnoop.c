/* opensnoop.c - traces open and openat calls of the processes run under
 * `userbpf exec`, one line per call as libbpf-tools' opensnoop prints
 * them:
 *
 *   PID    COMM              FD ERR PATH
 *   4242   cat                3   0 /etc/hostname
 *   4243   cat               -1   2 /nonexistent
 *
 * Written against libbpf's API; the records come through a perf event
 * array (perf_buffer__new/poll), lost ones are counted on stderr.  The
 * BPF side is opensnoop.bpf.c.
 *
 * Usage: opensnoop [-x] [-T] [-U] [-e] [-p PID] [-n NAME] [-d SECS] [--obj FILE]
 * Stops at SIGINT, SIGTERM or after -d seconds. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "../common/tool.h"
#include <bpf/bpf.h>
#include "opensnoop.h"

struct state {
	bool time, print_uid, extended;
	const char *name;	/* only comms containing it; NULL: all */
	uint64_t lost;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_event(void *ctx, int cpu, void *data, __u32 size)
{
	struct state *st = ctx;
	struct open_event e;
	int fd, err;

	(void)cpu;
	if (size < sizeof(e))
		return;
	memcpy(&e, data, sizeof(e));
	e.comm[TASK_COMM_LEN - 1] = '\0';
	e.fname[NAME_MAX - 1] = '\0';
	if (st->name && !strstr(e.comm, st->name))
		return;
	fd = e.ret >= 0 ? e.ret : -1;
	err = e.ret >= 0 ? 0 : -e.ret;
	if (st->time) {
		time_t t = time(NULL);
		struct tm tm;
		char ts[16];

		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		printf("%-8s ", ts);
	}
	if (st->print_uid)
		printf("%-7u ", e.uid);
	printf("%-6u %-16s %3d %3d ", e.pid, e.comm, fd, err);
	if (st->extended)
		printf("%08o ", (unsigned)e.flags);
	printf("%s\n", e.fname);
	fflush(stdout);
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	struct state *st = ctx;

	st->lost += cnt;
	fprintf(stderr, "opensnoop: lost %llu events on CPU #%d\n", (unsigned long long)cnt, cpu);
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"Usage: %s [-x] [-T] [-U] [-e] [-p PID] [-n NAME] [-d SECS] [--obj FILE]\n"
		"Trace open and openat calls of processes run under `userbpf exec`.\n"
		"  -x          only failed opens\n"
		"  -T          include a time column (HH:MM:SS)\n"
		"  -U          include a UID column\n"
		"  -e          include the flags (octal)\n"
		"  -p PID      only this process\n"
		"  -n NAME     only processes whose comm contains NAME\n"
		"  -d SECS     stop after SECS seconds\n"
		"  --obj FILE  the BPF object (default: opensnoop.bpf.o beside this program)\n",
		argv0);
}

static bool number(const char *s, long *v)
{
	char *end;

	*v = strtol(s, &end, 10);
	return *s && !*end && *v >= 0;
}

int main(int argc, char **argv)
{
	struct state st = { 0 };
	struct bpf_object *obj = NULL;
	struct bpf_link *links[8];
	struct perf_buffer *pb = NULL;
	struct sigaction sa;
	char objbuf[4096];
	const char *objpath = NULL;
	long pid = 0, secs = 0;
	bool failed_only = false;
	size_t nlinks = 0;
	struct timespec t0, t;
	int err = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-x")) {
			failed_only = true;
		} else if (!strcmp(argv[i], "-T")) {
			st.time = true;
		} else if (!strcmp(argv[i], "-U")) {
			st.print_uid = true;
		} else if (!strcmp(argv[i], "-e")) {
			st.extended = true;
		} else if (!strcmp(argv[i], "-p") && i + 1 < argc) {
			if (!number(argv[++i], &pid)) {
				fprintf(stderr, "opensnoop: bad pid '%s'\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "-d") && i + 1 < argc) {
			if (!number(argv[++i], &secs)) {
				fprintf(stderr, "opensnoop: bad duration '%s'\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			st.name = argv[++i];
		} else if (!strcmp(argv[i], "--obj") && i + 1 < argc) {
			objpath = argv[++i];
		} else {
			usage(argv[0]);
			return !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ? 0 : 2;
		}
	}
	objpath = tool_obj_path(objpath, argv[0], "opensnoop.bpf.o", objbuf, sizeof(objbuf));
	obj = tool_open("opensnoop", objpath);
	if (!obj)
		goto out;
	/* the const volatile filters live in .rodata: set before load */
	{
		struct opensnoop_cfg *cfg = tool_rodata("opensnoop", obj, objpath, sizeof(*cfg));

		if (!cfg)
			goto out;
		cfg->target_pid = (uint32_t)pid;
		cfg->failed_only = failed_only;
	}
	if (tool_load_attach("opensnoop", obj, objpath, links, 8, &nlinks))
		goto out;
	pb = perf_buffer__new(bpf_object__find_map_fd_by_name(obj, "events"), 64, on_event,
			      on_lost, &st, NULL);
	if (!pb) {
		fprintf(stderr, "opensnoop: perf buffer: %s\n", strerror(errno));
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "opensnoop: attached; tracing open/openat of processes under `userbpf exec` (Ctrl-C to stop)\n");
	if (st.time)
		printf("%-8s ", "TIME");
	if (st.print_uid)
		printf("%-7s ", "UID");
	printf("%-6s %-16s %3s %3s ", "PID", "COMM", "FD", "ERR");
	if (st.extended)
		printf("%-8s ", "FLAGS");
	printf("%s\n", "PATH");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		int n = perf_buffer__poll(pb, 100);

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "opensnoop: polling: %s\n", strerror(-n));
			goto out;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (secs && t.tv_sec - t0.tv_sec >= secs)
			break;
	}
	perf_buffer__consume(pb);
	err = 0;
out:
	perf_buffer__free(pb);
	while (nlinks)
		bpf_link__destroy(links[--nlinks]);
	bpf_object__close(obj);
	return err;
}
