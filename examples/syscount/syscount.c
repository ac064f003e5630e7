/* syscount.c - counts the syscalls of the processes run under
 * `userbpf exec` and times them; at the end (SIGINT, SIGTERM or -d SECS)
 * prints the top N by count (or -L: by time) with their names, as
 * libbpf-tools' syscount does, and the latency histogram as a bar chart,
 * as BCC's print_log2_hist draws it:
 *
 *   SYSCALL                   COUNT    TOTAL (us)    AVG (us)
 *   getpid                     1000       812.345       0.812
 *
 *        usecs               : count    distribution
 *            0 -> 1          : 1203     |****************************************|
 *            2 -> 3          : 17       |                                        |
 *
 * Names come from the library's generated syscall table
 * (src/hooks/syscall_table.h, linked from libuserbpf.a), so every x86-64
 * and arm64 syscall has one.  The BPF side is syscount.bpf.c.
 *
 * Usage: syscount [-T N] [-L] [-N] [-p PID] [-d SECS] [--obj FILE] */
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
#include "hooks/syscall_table.h"
#include "syscount.h"

struct row {
	uint32_t nr;
	struct data_t d;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int by_count(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->d.count != y->d.count)
		return x->d.count < y->d.count ? 1 : -1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static int by_time(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->d.total_ns != y->d.total_ns)
		return x->d.total_ns < y->d.total_ns ? 1 : -1;
	return by_count(a, b);
}

static const char *sys_name(uint32_t nr, char *buf, size_t size)
{
	const struct ub_sys_desc *d = ub_sys_by_nr(nr);

	if (d)
		return d->name;
	snprintf(buf, size, "[%u]", nr);
	return buf;
}

/* The top `top` rows of the data map; returns how many were printed, or -1. */
static int print_table(int fd, int top, bool by_latency)
{
	struct row *rows = NULL;
	size_t n = 0, cap = 0;
	uint32_t key, next;
	uint32_t *prev = NULL;
	char buf[32];

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (n == cap) {
			struct row *r = realloc(rows, (cap ? cap * 2 : 64) * sizeof(*rows));

			if (!r) {
				free(rows);
				return -1;
			}
			rows = r;
			cap = cap ? cap * 2 : 64;
		}
		if (bpf_map_lookup_elem(fd, &key, &rows[n].d) == 0) {
			rows[n].nr = key;
			n++;
		}
	}
	if (n)
		qsort(rows, n, sizeof(*rows), by_latency ? by_time : by_count);
	printf("%-22s %8s %13s %11s\n", "SYSCALL", "COUNT", "TOTAL (us)", "AVG (us)");
	for (size_t i = 0; i < n && (int)i < top; i++) {
		const struct data_t *d = &rows[i].d;
		double avg = d->timed ? (double)d->total_ns / (double)d->timed / 1000.0 : 0.0;

		printf("%-22s %8llu %13.3f %11.3f\n", sys_name(rows[i].nr, buf, sizeof(buf)),
		       (unsigned long long)d->count, (double)d->total_ns / 1000.0, avg);
	}
	free(rows);
	return (int)(n < (size_t)top ? n : (size_t)top);
}

static void print_stars(uint64_t val, uint64_t val_max, int width)
{
	int stars = val_max ? (int)((val < val_max ? val : val_max) * (uint64_t)width / val_max) : 0;

	for (int i = 0; i < width; i++)
		putchar(i < stars ? '*' : ' ');
}

/* A log2 histogram as a bar chart: slot i counts values in [2^i, 2^(i+1)),
 * slot 0 also 0. */
static void print_log2_hist(const uint64_t *vals, int nslots, const char *unit)
{
	int idx_max = -1;
	uint64_t val_max = 0;

	for (int i = 0; i < nslots; i++) {
		if (vals[i])
			idx_max = i;
		if (vals[i] > val_max)
			val_max = vals[i];
	}
	if (idx_max < 0) {
		printf("(no %s recorded)\n", unit);
		return;
	}
	printf("%*s%-*s : count    distribution\n", 5, "", 19, unit);
	for (int i = 0; i <= idx_max; i++) {
		unsigned long long low = (1ULL << (i + 1)) >> 1, high = (1ULL << (i + 1)) - 1;

		if (low == high)
			low -= 1;
		printf("%10llu -> %-10llu : %-8llu |", low, high, (unsigned long long)vals[i]);
		print_stars(vals[i], val_max, 40);
		printf("|\n");
	}
}

static bool number(const char *s, long *v)
{
	char *end;

	*v = strtol(s, &end, 10);
	return *s && !*end && *v >= 0;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"Usage: %s [-T N] [-L] [-N] [-p PID] [-d SECS] [--obj FILE]\n"
		"Count and time the syscalls of processes run under `userbpf exec`.\n"
		"  -T N        print the top N syscalls (default 10)\n"
		"  -L          sort by total time instead of count\n"
		"  -N          histogram in nanoseconds (default: microseconds)\n"
		"  -p PID      only this process\n"
		"  -d SECS     stop after SECS seconds (default: at Ctrl-C)\n"
		"  --obj FILE  the BPF object (default: syscount.bpf.o beside this program)\n",
		argv0);
}

int main(int argc, char **argv)
{
	struct bpf_object *obj = NULL;
	struct bpf_link *links[4];
	struct sigaction sa;
	char objbuf[4096];
	const char *objpath = NULL;
	long top = 10, pid = 0, secs = 0;
	bool by_latency = false, hist_ns = false;
	size_t nlinks = 0;
	uint64_t vals[MAX_SLOTS];
	struct timespec t0, t;
	int hist_fd, err = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-L")) {
			by_latency = true;
		} else if (!strcmp(argv[i], "-N")) {
			hist_ns = true;
		} else if ((!strcmp(argv[i], "-T") || !strcmp(argv[i], "-p") ||
			    !strcmp(argv[i], "-d")) && i + 1 < argc) {
			long v;

			if (!number(argv[i + 1], &v)) {
				fprintf(stderr, "syscount: bad number '%s' for %s\n", argv[i + 1], argv[i]);
				return 2;
			}
			*(argv[i][1] == 'T' ? &top : argv[i][1] == 'p' ? &pid : &secs) = v;
			i++;
		} else if (!strcmp(argv[i], "--obj") && i + 1 < argc) {
			objpath = argv[++i];
		} else {
			usage(argv[0]);
			return !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ? 0 : 2;
		}
	}
	objpath = tool_obj_path(objpath, argv[0], "syscount.bpf.o", objbuf, sizeof(objbuf));
	obj = tool_open("syscount", objpath);
	if (!obj)
		goto out;
	{
		struct syscount_cfg *cfg = tool_rodata("syscount", obj, objpath, sizeof(*cfg));

		if (!cfg)
			goto out;
		cfg->target_pid = (uint32_t)pid;
		cfg->hist_ns = hist_ns;
	}
	if (tool_load_attach("syscount", obj, objpath, links, 4, &nlinks))
		goto out;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "syscount: attached; counting syscalls of processes under `userbpf exec`, "
			"printing the top %ld at the end (Ctrl-C to stop)\n", top);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		struct timespec d = { 0, 100 * 1000 * 1000 };

		nanosleep(&d, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (secs && t.tv_sec - t0.tv_sec >= secs)
			break;
	}
	/* the links go first, so the figures no longer move while printed */
	while (nlinks)
		bpf_link__destroy(links[--nlinks]);
	{
		time_t now = time(NULL);
		struct tm tm;
		char ts[16];

		localtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		printf("[%s]\n", ts);
	}
	if (print_table(bpf_object__find_map_fd_by_name(obj, "data"), (int)top, by_latency) < 0) {
		fprintf(stderr, "syscount: out of memory\n");
		goto out;
	}
	printf("\n");
	hist_fd = bpf_object__find_map_fd_by_name(obj, "hist");
	for (uint32_t i = 0; i < MAX_SLOTS; i++)
		if (bpf_map_lookup_elem(hist_fd, &i, &vals[i]))
			vals[i] = 0;
	print_log2_hist(vals, MAX_SLOTS, hist_ns ? "nsecs" : "usecs");
	fflush(stdout);
	err = 0;
out:
	while (nlinks)
		bpf_link__destroy(links[--nlinks]);
	bpf_object__close(obj);
	return err;
}
