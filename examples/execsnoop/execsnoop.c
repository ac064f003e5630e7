/* execsnoop.c - traces execve calls of the processes run under
 * `userbpf exec`, one line each, as libbpf-tools' execsnoop prints them:
 *
 *   PCOMM            PID    PPID   RET ARGS
 *   true             4242   4241     0 /bin/true a b
 *
 * Written against libbpf's API (open, load, attach every program, a ring
 * buffer on the "events" map); the BPF side is execsnoop.bpf.c.
 *
 * RET: on Linux sys_exit_execve fires for every execve.  Under userbpf a
 * successful execve never returns to the image that called it, so only a
 * failed one sends its return record.  An entry is therefore held until
 * its return record comes, the same process execs again (the previous one
 * succeeded), or PENDING_MS pass without a record (it succeeded); failed
 * ones are shown with -x only, as libbpf-tools does.  PCOMM is the comm
 * after the exec: for a successful one the basename of the filename (what
 * the kernel sets), otherwise the caller's.
 *
 * Usage: execsnoop [-x] [-T] [-U] [-q] [-u UID] [--obj FILE]
 * Stops at SIGINT or SIGTERM, printing what it still holds. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "../common/tool.h"
#include <bpf/bpf.h>
#include "execsnoop.h"

#define PENDING_MS 200
#define MAX_PENDING 256

struct pending {
	struct exec_event e;
	uint64_t seen_ms;	/* CLOCK_MONOTONIC when it came */
	bool settled;		/* its return value is known: ret */
	int ret;
	char when[16];		/* HH:MM:SS when it came */
};

struct state {
	bool fails, time, print_uid, quote;
	int ppids_fd;
	struct pending *pend[MAX_PENDING]; /* oldest first */
	size_t npend;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Field 4 of /proc/PID/stat, or 0. */
static uint32_t proc_ppid(uint32_t pid)
{
	char path[64], buf[512], *p;
	unsigned long pp = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && sscanf(p + 1, " %*c %lu", &pp) != 1)
		pp = 0;
	fclose(f);
	return (uint32_t)pp;
}

static void print_args(const struct exec_event *e, bool quote)
{
	uint32_t size = e->args_size < FULL_MAX_ARGS_ARR ? e->args_size : FULL_MAX_ARGS_ARR;
	int n = 0;

	for (uint32_t i = 0; i < size && n < e->args_count && n < MAX_ARGS; n++) {
		const char *a = &e->args[i];
		size_t len = strnlen(a, size - i);

		if (n)
			putchar(' ');
		if (quote) {
			putchar('"');
			for (size_t j = 0; j < len; j++) {
				if (a[j] == '"' || a[j] == '\\')
					putchar('\\');
				putchar(a[j]);
			}
			putchar('"');
		} else {
			fwrite(a, 1, len, stdout);
		}
		i += (uint32_t)len + 1;
	}
	if (e->args_count > MAX_ARGS)
		fputs(" ...", stdout);
}

/* Prints one exec (ret is its return value). */
static void emit(struct state *st, struct pending *p, int ret)
{
	struct exec_event *e = &p->e;
	char comm[TASK_COMM_LEN];

	if (ret < 0 && !st->fails)
		return;
	if (!e->ppid) {
		uint32_t pp = 0;

		if (bpf_map_lookup_elem(st->ppids_fd, &e->pid, &pp) == 0)
			e->ppid = pp;
	}
	memcpy(comm, e->comm, sizeof(comm));
	comm[TASK_COMM_LEN - 1] = '\0';
	if (ret == 0) {	/* the kernel names the new image after its file */
		const char *base = strrchr(e->args, '/');

		snprintf(comm, sizeof(comm), "%.15s", base ? base + 1 : e->args);
	}
	if (st->time)
		printf("%-8s ", p->when);
	if (st->print_uid)
		printf("%-6u ", e->uid);
	printf("%-16s %-6u %-6u %3d ", comm, e->pid, e->ppid, ret);
	print_args(e, st->quote);
	putchar('\n');
	fflush(stdout);
}

/*
 * Prints the held execs in the order they came, from the oldest, while
 * the oldest is settled: its return value came, or (all, or PENDING_MS
 * passed) it succeeded.
 */
static void flush(struct state *st, bool all)
{
	uint64_t now = now_ms();
	size_t n = 0;

	while (n < st->npend) {
		struct pending *p = st->pend[n];

		if (!p->settled && !all && now - p->seen_ms < PENDING_MS)
			break;
		emit(st, p, p->settled ? p->ret : 0);
		free(p);
		n++;
	}
	memmove(st->pend, st->pend + n, (st->npend - n) * sizeof(st->pend[0]));
	st->npend -= n;
}

/* The newest unsettled exec of pid, or NULL. */
static struct pending *find(struct state *st, uint32_t pid)
{
	for (size_t i = st->npend; i-- > 0;)
		if (st->pend[i]->e.pid == pid && !st->pend[i]->settled)
			return st->pend[i];
	return NULL;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct state *st = ctx;
	struct pending *p;
	uint32_t kind, pid;

	if (size < 8)
		return 0;
	memcpy(&kind, data, 4);
	memcpy(&pid, (char *)data + 4, 4);
	if (kind == EV_RET && size >= sizeof(struct ret_event)) {
		const struct ret_event *r = data;

		p = find(st, pid);
		if (p) {
			p->settled = true;
			p->ret = r->retval;
		}
	} else if (kind == EV_EXEC && size >= sizeof(struct exec_event)) {
		time_t t = time(NULL);
		struct tm tm;

		/* the same process again: its previous exec succeeded */
		p = find(st, pid);
		if (p) {
			p->settled = true;
			p->ret = 0;
		}
		if (st->npend == MAX_PENDING)
			flush(st, true);
		p = malloc(sizeof(*p));
		if (!p)
			return -ENOMEM;
		memcpy(&p->e, data, sizeof(p->e));
		p->e.args[FULL_MAX_ARGS_ARR - 1] = '\0';
		p->settled = false;
		p->ret = 0;
		p->seen_ms = now_ms();
		localtime_r(&t, &tm);
		strftime(p->when, sizeof(p->when), "%H:%M:%S", &tm);
		if (!p->e.ppid)	/* while the process is surely still there */
			p->e.ppid = proc_ppid(pid);
		st->pend[st->npend++] = p;
	}
	flush(st, false);
	return 0;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"Usage: %s [-x] [-T] [-U] [-q] [-u UID] [--obj FILE]\n"
		"Trace execve calls of processes run under `userbpf exec`.\n"
		"  -x          include failed execs\n"
		"  -T          include a time column (HH:MM:SS)\n"
		"  -U          include a UID column\n"
		"  -q          quote the arguments\n"
		"  -u UID      only this user's execs\n"
		"  --obj FILE  the BPF object (default: execsnoop.bpf.o beside this program)\n",
		argv0);
}

int main(int argc, char **argv)
{
	struct state st = { .ppids_fd = -1 };
	struct bpf_object *obj = NULL;
	struct bpf_link *links[16];
	struct ring_buffer *rb = NULL;
	struct sigaction sa;
	char objbuf[4096];
	const char *objpath = NULL;
	long uid = -1;
	size_t nlinks = 0;
	int err = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-x")) {
			st.fails = true;
		} else if (!strcmp(argv[i], "-T")) {
			st.time = true;
		} else if (!strcmp(argv[i], "-U")) {
			st.print_uid = true;
		} else if (!strcmp(argv[i], "-q")) {
			st.quote = true;
		} else if (!strcmp(argv[i], "-u") && i + 1 < argc) {
			char *end;

			uid = strtol(argv[++i], &end, 10);
			if (*end || uid < 0) {
				fprintf(stderr, "execsnoop: bad uid '%s'\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--obj") && i + 1 < argc) {
			objpath = argv[++i];
		} else {
			usage(argv[0]);
			return !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ? 0 : 2;
		}
	}
	objpath = tool_obj_path(objpath, argv[0], "execsnoop.bpf.o", objbuf, sizeof(objbuf));
	obj = tool_open("execsnoop", objpath);
	if (!obj)
		goto out;
	if (uid >= 0) {
		uint32_t *target = tool_rodata("execsnoop", obj, objpath, sizeof(*target));

		if (!target)
			goto out;
		*target = (uint32_t)uid;
	}
	if (tool_load_attach("execsnoop", obj, objpath, links, 16, &nlinks))
		goto out;
	st.ppids_fd = bpf_object__find_map_fd_by_name(obj, "ppids");
	rb = ring_buffer__new(bpf_object__find_map_fd_by_name(obj, "events"), on_event, &st, NULL);
	if (!rb) {
		fprintf(stderr, "execsnoop: ring buffer: %s\n", strerror(errno));
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "execsnoop: attached; tracing execve of processes under `userbpf exec` (Ctrl-C to stop)\n");
	if (st.time)
		printf("%-8s ", "TIME");
	if (st.print_uid)
		printf("%-6s ", "UID");
	printf("%-16s %-6s %-6s %3s %s\n", "PCOMM", "PID", "PPID", "RET", "ARGS");
	fflush(stdout);
	while (!stop) {
		int n = ring_buffer__poll(rb, 50);

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "execsnoop: polling: %s\n", strerror(-n));
			goto out;
		}
		flush(&st, false);
	}
	ring_buffer__consume(rb);
	flush(&st, true);
	err = 0;
out:
	for (size_t i = 0; i < st.npend; i++)
		free(st.pend[i]);
	ring_buffer__free(rb);
	while (nlinks)
		bpf_link__destroy(links[--nlinks]);
	bpf_object__close(obj);
	return err;
}
