/* SPDX-License-Identifier: MIT */
/*
 * wake.c - consumers woken by producers in another process: a ring buffer
 * and a perf event array pinned here, opened again (bpf_obj_get) for
 * ring_buffer__new / perf_buffer__new, and filled by forked children that
 * open the pins with their own runtime.  Checks: poll() returns promptly
 * on data (each record carries the time it was written: the latency is
 * measured) and loses nothing; the epoll fd turns readable when a record
 * comes and not otherwise; reserve+submit (the sample-only path) wakes as
 * output does; BPF_RB_NO_WAKEUP does not wake; a second ring added with
 * ring_buffer__add wakes poll; an idle poll honours its timeout and burns
 * no CPU (getrusage); a signal handler interrupts poll(-1) (-EINTR).  Also prints the producer's cost with and without a
 * sleeping consumer.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "maps/map.h"
#include "maps/wake.h"
#include "testlib.h"

#define NREC 200

struct rec {
	uint64_t ts;	/* CLOCK_MONOTONIC ns when written */
	uint64_t seq;
};

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

/* What the consumer saw. */
struct seen {
	uint64_t lat[NREC * 2];
	int n, bad_order;
	uint64_t next[64];	/* per ring: a perf array's rings are read one by one */
};

static void note(struct seen *s, int ring, const void *data, size_t size)
{
	struct rec r;

	/* perf's raw size counts the padding to 8: 20 for our 16 */
	if (size < sizeof(r) || s->n >= NREC * 2) {
		s->bad_order++;
		return;
	}
	memcpy(&r, data, sizeof(r));
	ring &= 63;
	if (r.seq < s->next[ring])
		s->bad_order++;
	s->next[ring] = r.seq + 1;
	s->lat[s->n++] = now_ns() - r.ts;
}

static int on_rb(void *ctx, void *data, size_t size)
{
	note(ctx, 0, data, size);
	return 0;
}

static void on_pb(void *ctx, int cpu, void *data, __u32 size)
{
	note(ctx, cpu, data, size);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median and 99th percentile, in microseconds. */
static void lat_stats(struct seen *s, double *med, double *p99, double *max)
{
	if (!s->n) {
		*med = *p99 = *max = -1;
		return;
	}
	qsort(s->lat, (size_t)s->n, sizeof(s->lat[0]), cmp_u64);
	*med = (double)s->lat[s->n / 2] / 1000.0;
	*p99 = (double)s->lat[(s->n * 99) / 100] / 1000.0;
	*max = (double)s->lat[s->n - 1] / 1000.0;
}

enum how { OUTPUT, RESERVE, NOWAKE, PERF };

/* The producer: opens the pin with its own runtime and writes n records,
 * delay_us apart (so that the consumer is asleep at each). */
static pid_t producer(const char *pin, enum how how, int n, unsigned delay_us, int start_ms)
{
	pid_t pid;

	fflush(stdout);		/* the child must not print our lines again */
	pid = fork();

	if (pid)
		return pid;
	{
		struct userbpf_rt *rt = userbpf_rt__new(NULL);
		struct userbpf_map *m = rt ? userbpf_map__open_pinned(rt, pin) : NULL;
		int rc = 0;

		if (!m)
			_exit(2);
		usleep((useconds_t)start_ms * 1000);
		for (int i = 0; i < n; i++) {
			struct rec r;

			usleep(delay_us);
			r.seq = (uint64_t)i;
			r.ts = now_ns();
			if (how == PERF) {
				rc |= ub_perf_output(m, (uint64_t)i % m->def.max_entries, &r,
						     sizeof(r)) != 0;
			} else if (how == RESERVE && i % 2) {
				void *p = ub_ringbuf_reserve(m, sizeof(r), 0);

				if (!p) {
					rc = 1;
					continue;
				}
				memcpy(p, &r, sizeof(r));
				ub_ringbuf_submit(p, 0);
			} else {
				rc |= ub_ringbuf_output(m, &r, sizeof(r),
							how == NOWAKE ? UB_RB_NO_WAKEUP : 0) != 0;
			}
		}
		userbpf_map__free(m);
		userbpf_rt__free(rt);
		_exit(rc);
	}
}

static bool reap(pid_t pid)
{
	int st;

	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* NREC records from another process through poll(): all of them, in
 * order, each soon after it was written. */
static void test_poll_latency(const char *name, const char *pin, enum how how, void *buf,
			      struct seen *s)
{
	uint64_t deadline = now_ns() + 20000000000ull;
	double med, p99, max;
	pid_t pid;

	memset(s, 0, sizeof(*s));
	pid = producer(pin, how, NREC, 2000, 0);
	while (s->n < NREC && now_ns() < deadline) {
		int r = how == PERF ? perf_buffer__poll(buf, 1000) : ring_buffer__poll(buf, 1000);

		if (r < 0)
			break;
	}
	TL_CHECK(name, reap(pid) && s->n == NREC && !s->bad_order);
	lat_stats(s, &med, &p99, &max);
	printf("# %s: %d records, wake latency median %.1f us, p99 %.1f us, max %.1f us\n", name,
	       s->n, med, p99, max);
	if (med < 0 || med > 500)
		tl_fail("  ... with a median wake latency under 500 us", "%.1f us", med);
	else
		tl_ok("  ... with a median wake latency under 500 us");
}

static void tl_check_fmt(bool cond, const char *fmt, ...)
{
	char name[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (cond)
		tl_ok(name);
	else
		tl_fail(name, "condition false");
}

static int consume(void *buf, bool perf)
{
	return perf ? perf_buffer__consume(buf) : ring_buffer__consume(buf);
}

/* An idle poll: returns 0 after its timeout, using next to no CPU. */
static void test_idle(const char *name, void *buf, bool perf)
{
	uint64_t t0 = now_ns(), c0 = cpu_ns(), wall, cpu;
	int r = perf ? perf_buffer__poll(buf, 200) : ring_buffer__poll(buf, 200);

	wall = now_ns() - t0;
	cpu = cpu_ns() - c0;
	printf("# %s: returned %d after %.1f ms, CPU %.2f ms\n", name, r, (double)wall / 1e6,
	       (double)cpu / 1e6);
	TL_CHECK(name, r == 0 && wall >= 195000000ull && wall < 400000000ull &&
			       cpu < 5000000ull);
}

/* The epoll fd: readable when a record comes (latency measured), not
 * before. */
static void test_epoll(const char *pin, void *buf, bool perf, struct seen *s)
{
	int efd = perf ? perf_buffer__epoll_fd(buf) : ring_buffer__epoll_fd(buf);
	int idle = 0, spurious = 0;
	const char *kind = perf ? "perf" : "ring";
	struct epoll_event ev;
	double med, p99, max;
	uint64_t c0, cpu;
	pid_t pid;

	tl_check_fmt(efd >= 0, "%s: epoll_fd is an fd", kind);
	if (efd < 0)
		return;
	memset(s, 0, sizeof(*s));
	consume(buf, perf);
	c0 = cpu_ns();
	idle = epoll_wait(efd, &ev, 1, 200);
	cpu = cpu_ns() - c0;
	printf("# %s: epoll_wait on an idle buffer: %d after 200 ms, CPU %.2f ms\n", kind, idle,
	       (double)cpu / 1e6);
	tl_check_fmt(idle == 0 && cpu < 5000000ull,
		     "%s: epoll fd stays quiet while nothing comes (200 ms, no CPU)", kind);
	pid = producer(pin, perf ? PERF : OUTPUT, 50, 3000, 0);
	while (s->n < 50) {
		int r = epoll_wait(efd, &ev, 1, 2000);

		if (r <= 0)
			break;
		if (consume(buf, perf) == 0)
			spurious++;
	}
	tl_check_fmt(reap(pid) && s->n == 50 && !s->bad_order,
		     "%s: epoll fd turns readable for each record from a forked producer (50)", kind);
	lat_stats(s, &med, &p99, &max);
	printf("# %s epoll: %d records, %d empty wake-ups, latency median %.1f us, p99 %.1f us, max %.1f us\n",
	       kind, s->n, spurious, med, p99, max);
	tl_check_fmt(med >= 0 && med < 500, "%s:   ... with a median latency under 500 us", kind);
	tl_check_fmt(epoll_wait(efd, &ev, 1, 50) == 0, "%s: epoll fd quiet again once consumed",
		     kind);
}

/* BPF_RB_NO_WAKEUP: the record waits for poll's timeout. */
static void test_nowake(const char *pin, struct ring_buffer *rb, struct seen *s)
{
	uint64_t t0;
	pid_t pid;
	int r;

	memset(s, 0, sizeof(*s));
	ring_buffer__consume(rb);
	pid = producer(pin, NOWAKE, 1, 0, 20);
	t0 = now_ns();
	r = ring_buffer__poll(rb, 300);
	t0 = now_ns() - t0;
	printf("# NO_WAKEUP: poll returned %d after %.1f ms\n", r, (double)t0 / 1e6);
	TL_CHECK("BPF_RB_NO_WAKEUP does not wake poll; the record comes at the timeout",
		 reap(pid) && r == 1 && s->n == 1 && t0 >= 290000000ull);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* poll(-1) returns -EINTR when a signal handler runs, even one installed
 * with SA_RESTART (libbpf's epoll_wait does), so that a tool's Ctrl-C
 * handler ends its loop. */
static void test_eintr(const char *name, void *buf, bool perf)
{
	struct sigaction sa, old;
	pid_t parent = getpid(), pid;
	uint64_t t0 = now_ns();
	int r, e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, &old);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		usleep(100000);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	r = perf ? perf_buffer__poll(buf, -1) : ring_buffer__poll(buf, -1);
	e = errno;
	t0 = now_ns() - t0;
	reap(pid);
	sigaction(SIGUSR1, &old, NULL);
	printf("# %s: %d (%s) after %.1f ms\n", name, r, strerror(e), (double)t0 / 1e6);
	TL_CHECK(name, r == -EINTR && e == EINTR);
}

/* ring_buffer__add: a record in the second ring wakes poll. */
static void test_two_rings(const char *pin2, struct ring_buffer *rb, struct seen *s)
{
	uint64_t t0;
	pid_t pid;
	int r;

	memset(s, 0, sizeof(*s));
	pid = producer(pin2, OUTPUT, 1, 0, 50);
	t0 = now_ns();
	r = ring_buffer__poll(rb, 2000);
	t0 = now_ns() - t0;
	printf("# second ring: poll returned %d after %.1f ms (record written at 50 ms)\n", r,
	       (double)t0 / 1e6);
	TL_CHECK("a record in a ring added later wakes poll at once", reap(pid) && r == 1 &&
		 s->n == 1 && t0 < 1000000000ull);
}

/* The producer's cost: output + consume per record, with no consumer
 * asleep (the fast path: one more load) and with one armed before each
 * record (a futex wake each). */
static void producer_cost(struct userbpf_map *m)
{
	const int n = 200000;
	struct rec r = { 0, 0 };
	uint64_t t0, quiet, armed;
	struct seen s;

	memset(&s, 0, sizeof(s));
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		ub_ringbuf_output(m, &r, sizeof(r), 0);
		if (i % 512 == 511)
			ub_ringbuf_consume(m, (ub_ringbuf_sample_fn)on_rb, &s);
	}
	quiet = now_ns() - t0;
	ub_ringbuf_consume(m, (ub_ringbuf_sample_fn)on_rb, &s);
	t0 = now_ns();
	for (int i = 0; i < n / 10; i++) {
		ub_wake_arm(ub_ringbuf_wake(m));
		ub_ringbuf_output(m, &r, sizeof(r), 0);
		if (i % 512 == 511)
			ub_ringbuf_consume(m, (ub_ringbuf_sample_fn)on_rb, &s);
	}
	armed = now_ns() - t0;
	ub_ringbuf_consume(m, (ub_ringbuf_sample_fn)on_rb, &s);
	printf("# producer cost: output %.0f ns per record with no consumer asleep, %.0f ns when it wakes one (futex wake)\n",
	       (double)quiet / n, (double)armed / (n / 10));
}

int main(void)
{
	char dir[] = "/tmp/ubwake-XXXXXX", pin[64], pin2[64], pinp[64];
	struct userbpf_rt *rt = userbpf_rt__new(NULL);
	struct userbpf_map *m = NULL, *m2 = NULL, *mp = NULL;
	struct ring_buffer *rb = NULL;
	struct perf_buffer *pb = NULL;
	static struct seen s;
	int fd = -1, fd2 = -1, fdp = -1;

	alarm(120);
	if (!rt || !mkdtemp(dir)) {
		tl_fail("setup", "runtime or temp dir: %s", strerror(errno));
		return tl_exit();
	}
	snprintf(pin, sizeof(pin), "%s/rb", dir);
	snprintf(pin2, sizeof(pin2), "%s/rb2", dir);
	snprintf(pinp, sizeof(pinp), "%s/pb", dir);
	m = userbpf_map__create(rt, UB_MAP_RINGBUF, "rb", 0, 0, 64 * 1024, NULL);
	m2 = userbpf_map__create(rt, UB_MAP_RINGBUF, "rb2", 0, 0, 4096, NULL);
	mp = userbpf_map__create(rt, UB_MAP_PERF_EVENT_ARRAY, "pb", 4, 4, 0, NULL);
	if (!m || !m2 || !mp || userbpf_map__pin(m, pin) || userbpf_map__pin(m2, pin2) ||
	    userbpf_map__pin(mp, pinp)) {
		tl_fail("setup", "maps: %s", strerror(errno));
		goto out;
	}
	fd = bpf_obj_get(pin);
	fd2 = bpf_obj_get(pin2);
	fdp = bpf_obj_get(pinp);
	rb = fd >= 0 ? ring_buffer__new(fd, on_rb, &s, NULL) : NULL;
	pb = fdp >= 0 ? perf_buffer__new(fdp, 8, on_pb, NULL, &s, NULL) : NULL;
	if (!rb || !pb || fd2 < 0) {
		tl_fail("setup", "ring_buffer__new / perf_buffer__new: %s", strerror(errno));
		goto out;
	}
	test_idle("ring_buffer__poll(200) on an idle ring: 0 at the timeout, no CPU", rb, false);
	test_poll_latency("ring_buffer__poll wakes on each output from another process (200)",
			  pin, OUTPUT, rb, &s);
	test_poll_latency("ring_buffer__poll wakes on reserve+submit from another process (200)",
			  pin, RESERVE, rb, &s);
	test_nowake(pin, rb, &s);
	test_eintr("ring_buffer__poll(-1) is -EINTR after a signal handler (SA_RESTART)", rb,
		   false);
	test_idle("perf_buffer__poll(200) on idle rings: 0 at the timeout, no CPU", pb, true);
	test_poll_latency("perf_buffer__poll wakes on each output from another process (200)",
			  pinp, PERF, pb, &s);
	test_eintr("perf_buffer__poll(-1) is -EINTR after a signal handler (SA_RESTART)", pb,
		   true);
	TL_CHECK("ring_buffer__add a second ring", ring_buffer__add(rb, fd2, on_rb, &s) == 0);
	test_two_rings(pin2, rb, &s);
	test_epoll(pin, rb, false, &s);
	test_epoll(pinp, pb, true, &s);
	test_idle("ring_buffer__poll(200) with the epoll feeder running: no CPU", rb, false);
	producer_cost(m);
out:
	ring_buffer__free(rb);
	perf_buffer__free(pb);
	userbpf_map__free(m);
	userbpf_map__free(m2);
	userbpf_map__free(mp);
	userbpf_rt__free(rt);
	unlink(pin);
	unlink(pin2);
	unlink(pinp);
	rmdir(dir);
	return tl_exit();
}
