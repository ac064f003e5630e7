/* SPDX-License-Identifier: MIT */
/*
 * events.c - libbpf's attach, link, ring buffer and perf buffer calls.
 *
 * Attaching a syscall tracepoint program writes a link into the store
 * (src/hooks/links.c), as the kernel keeps attachments system-wide: every
 * process under `userbpf exec` runs it from then on.  Before the first
 * link, the object's maps are pinned in a folder the link names, so the
 * traced processes and this one share them (a ring buffer filled there is
 * read here).  An object opened from memory is written to the store first,
 * since traced processes load it from a file.
 *
 * Consumers: records are read straight from the map's shared memory
 * (ub_ringbuf_consume, ub_perf_consume).  Producers in any process wake
 * a consumer that said it sleeps through a futex word in that memory
 * (src/maps/wake.h): poll() arms the words of its maps, checks once more
 * and sleeps in futex_waitv until a producer bumps one or the timeout
 * passes.  epoll_fd() gives an epoll set holding an eventfd; the first
 * call starts a feeder thread that sleeps on the same words and counts
 * their bumps into the eventfd, and each consume() re-arms the words, so
 * the set turns readable when a record comes, as libbpf's does.
 */
#if !defined(_WIN32)
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "bpf/libbpf.h"
#include "compat/compat.h"
#include "hooks/hooks.h"
#include "maps/map.h"
#include "maps/wake.h"
#include "object/object_internal.h"

static int ret_err(int err)
{
	if (err < 0)
		errno = -err;
	return err;
}

static void *ret_null(int err)
{
	errno = err < 0 ? -err : err;
	return NULL;
}

/* ---- links ---------------------------------------------------------------- */

struct bpf_link {
	struct bpf_object *obj;
	char root[PATH_MAX];
	char path[PATH_MAX + 64];	/* the link file */
	char pin[PATH_MAX];		/* the program's pin (run statistics) */
	int fd;
};

/* The object as a file traced processes can load. */
static int object_file(struct bpf_object *o, const char *root, char *out, size_t sz)
{
	FILE *f;
	int n;

	if (o->path) {
		n = snprintf(out, sz, "%s", o->path);
		return n < 0 || (size_t)n >= sz ? -ENAMETOOLONG : 0;
	}
	if (!o->mem || !o->maps_dir[0])
		return -EINVAL;
	/* In the maps' folder, under the object's own name: the name gives
	 * the global data maps theirs ("NAME.rodata"). */
	{
		const char *name = bpf_object__name(o), *b = name;

		for (const char *c = name; *c; c++)
			if (*c == '/')
				b = c + 1;
		n = snprintf(out, sz, "%s/%s%s", o->maps_dir, b,
			     strstr(b, ".o") ? "" : ".o");
	}
	(void)root;
	if (n < 0 || (size_t)n >= sz)
		return -ENAMETOOLONG;
	f = fopen(out, "wb");
	if (!f)
		return -errno;
	if (fwrite(o->mem, 1, o->mem_size, f) != o->mem_size) {
		fclose(f);
		unlink(out);
		return -EIO;
	}
	fclose(f);
	o->path = strdup(out);
	return o->path ? 0 : -ENOMEM;
}

static struct bpf_link *attach_at(const struct bpf_program *p, const char *point)
{
	struct bpf_object *o = p ? p->obj : NULL;
	struct ub_link_rec *rec;
	struct ub_attach at;
	struct bpf_link *l;
	char why[160];
	int err;

	if (!o || p->fd < 0)
		return ret_null(-EINVAL);
	err = ub_attach_parse(point, &at, why, sizeof(why));
	if (err) {
		fprintf(stderr, "libbpf: prog '%s': cannot attach to '%s': %s\n",
			bpf_program__name(p), point,
			err == -ENOENT ? "not a syscall tracepoint" : why);
		return ret_null(err == -ENOENT ? -EOPNOTSUPP : err);
	}
	l = calloc(1, sizeof(*l));
	rec = calloc(1, sizeof(*rec));
	if (!l || !rec) {
		free(l);
		free(rec);
		return ret_null(-ENOMEM);
	}
	err = ub_store_root(l->root, sizeof(l->root));
	if (!err && !o->maps_dir[0])
		err = ub_link_pin_maps(o->uobj, l->root, o->maps_dir, sizeof(o->maps_dir));
	if (err)
		o->maps_dir[0] = 0;
	if (!err)
		err = object_file(o, l->root, rec->obj, sizeof(rec->obj));
	if (!err)
		err = ub_link_pin_prog(ub_compat_prog(p), bpf_program__section_name(p), l->root,
				       l->pin, sizeof(l->pin));
	if (!err)
		snprintf(rec->pin, sizeof(rec->pin), "%s", l->pin);
	if (!err) {
		snprintf(rec->prog, sizeof(rec->prog), "%s", bpf_program__name(p));
		snprintf(rec->attach, sizeof(rec->attach), "%s", at.canon);
		snprintf(rec->maps, sizeof(rec->maps), "%s", o->maps_dir);
		rec->owner = (long)getpid();
		err = ub_link_create(l->root, rec, l->path, sizeof(l->path));
	}
	free(rec);
	if (!err) {
		l->fd = ub_compat_fd_new(UB_COMPAT_LINK, l);
		if (l->fd < 0) {
			err = l->fd;
			ub_link_remove(l->root, l->path);
		}
	}
	if (err) {
		if (l->pin[0])
			unlink(l->pin);
		free(l);
		return ret_null(err);
	}
	l->obj = o;
	o->links++;
	return l;
}

struct bpf_link *bpf_program__attach(const struct bpf_program *p)
{
	return attach_at(p, bpf_program__section_name(p));
}

struct bpf_link *bpf_program__attach_tracepoint(const struct bpf_program *p,
						const char *category, const char *name)
{
	char point[128];

	if (!category || !name)
		return ret_null(-EINVAL);
	snprintf(point, sizeof(point), "%s/%s", category, name);
	return attach_at(p, point);
}

int bpf_link__destroy(struct bpf_link *l)
{
	int err;

	if (!l)
		return 0;
	err = ub_link_remove(l->root, l->path);
	if (l->pin[0])
		unlink(l->pin);
	ub_compat_fd_close(l->fd);
	l->obj->links--;
	free(l);
	return err == -ENOENT ? 0 : ret_err(err);
}

int bpf_link__fd(const struct bpf_link *l)
{
	return l ? l->fd : ret_err(-EINVAL);
}

/* A second name for the link file, as bpffs keeps a link alive. */
int bpf_link__pin(struct bpf_link *l, const char *path)
{
	char real[PATH_MAX];
	int err;

	if (!l || !path)
		return ret_err(-EINVAL);
	err = userbpf_store__path(path, real, sizeof(real), USERBPF_STORE_MKDIR);
	if (!err && link(l->path, real))
		err = -errno;
	return ret_err(err);
}

/* ---- waiting for producers (maps/wake.h) ---------------------------------- */

#ifndef __NR_futex_waitv
#define __NR_futex_waitv 449
#endif
#define MAX_WORDS (FUTEX_WAITV_MAX - 1)	/* and the feeder's stop word */

/* The wake-up words of a consumer's maps, and its epoll set: an eventfd
 * that a feeder thread (started by the first epoll_fd call) writes each
 * time a producer bumps a word. */
struct waiter {
	struct ub_wake **w;	/* owned array; the words live in the maps */
	size_t n;
	int epfd, efd;
	bool feeding;		/* the feeder runs (in process owner) */
	pid_t owner;		/* a child of fork has no feeder to stop */
	pthread_t feeder;
	uint32_t *seen;		/* owned: the feeder's last values of w[i]->seq */
	_Atomic uint32_t stop;	/* private futex word: the feeder ends */
};

static int waiter_init(struct waiter *wt)
{
	struct epoll_event ev = { .events = EPOLLIN };

	*wt = (struct waiter){ .epfd = -1, .efd = -1 };
	wt->epfd = epoll_create1(EPOLL_CLOEXEC);
	wt->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wt->epfd < 0 || wt->efd < 0 || epoll_ctl(wt->epfd, EPOLL_CTL_ADD, wt->efd, &ev)) {
		int err = -errno;

		if (wt->epfd >= 0)
			close(wt->epfd);
		if (wt->efd >= 0)
			close(wt->efd);
		wt->epfd = wt->efd = -1;
		return err;
	}
	return 0;
}

static void signal_efd(struct waiter *wt)
{
	uint64_t one = 1;
	ssize_t r = write(wt->efd, &one, sizeof(one));

	(void)r;	/* EAGAIN: the count is full, so readable already */
}

static void drain_efd(struct waiter *wt)
{
	uint64_t n;

	if (wt->feeding) {
		ssize_t r = read(wt->efd, &n, sizeof(n));

		(void)r;	/* one read takes the whole count; EAGAIN: none */
	}
}

/* Waits until one of v[0..n) no longer holds its value, a wake, the
 * deadline (CLOCK_MONOTONIC; NULL: none) or a signal (-EINTR).  One word:
 * FUTEX_WAIT_BITSET, always with a deadline (a day away for none), so that
 * a signal handler interrupts it even with SA_RESTART, as it does
 * epoll_wait in libbpf's poll.  Several: futex_waitv (Linux 5.16; a
 * handler with SA_RESTART restarts it), before that the first word in
 * slices of 1 ms. */
static int wait_words(struct futex_waitv *v, size_t n, const struct timespec *deadline)
{
	struct timespec t;
	long r;

	if (n > 1) {
		r = syscall(__NR_futex_waitv, v, (unsigned)n, 0, deadline, CLOCK_MONOTONIC);
		if (r >= 0 || errno != ENOSYS)
			return r < 0 && errno == EINTR ? -EINTR : 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	if (n > 1) {
		t.tv_nsec += 1000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000;
		}
	} else {
		t.tv_sec += 86400;
	}
	if (deadline && (deadline->tv_sec < t.tv_sec ||
			 (deadline->tv_sec == t.tv_sec && deadline->tv_nsec < t.tv_nsec)))
		t = *deadline;
	r = syscall(SYS_futex, (void *)(uintptr_t)v[0].uaddr,
		    FUTEX_WAIT_BITSET | (v[0].flags & FUTEX_PRIVATE_FLAG), (uint32_t)v[0].val, &t,
		    NULL, FUTEX_BITSET_MATCH_ANY);
	return r < 0 && errno == EINTR ? -EINTR : 0;
}

static void set_word(struct futex_waitv *v, _Atomic uint32_t *word, uint32_t val, bool private)
{
	*v = (struct futex_waitv){ .val = val, .uaddr = (uint64_t)(uintptr_t)word,
				   .flags = FUTEX_32 | (private ? FUTEX_PRIVATE_FLAG : 0) };
}

/* The feeder: turns wake-ups (bumps of the shared words, by producers in
 * any process) into eventfd counts for epoll. */
static void *feed(void *arg)
{
	struct waiter *wt = arg;
	struct futex_waitv v[MAX_WORDS + 1];

	while (!atomic_load(&wt->stop)) {
		bool bumped = false;

		for (size_t i = 0; i < wt->n; i++)
			set_word(&v[i], &wt->w[i]->seq, wt->seen[i], false);
		set_word(&v[wt->n], &wt->stop, 0, true);
		wait_words(v, wt->n + 1, NULL);
		for (size_t i = 0; i < wt->n; i++) {
			uint32_t s = atomic_load(&wt->w[i]->seq);

			bumped |= s != wt->seen[i];
			wt->seen[i] = s;
		}
		if (bumped)
			signal_efd(wt);
	}
	return NULL;
}

static void feeder_stop(struct waiter *wt)
{
	if (!wt->feeding)
		return;
	if (wt->owner != getpid()) {
		wt->feeding = false;
		return;
	}
	atomic_store(&wt->stop, 1);
	syscall(SYS_futex, &wt->stop, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	pthread_join(wt->feeder, NULL);
	wt->feeding = false;
	atomic_store(&wt->stop, 0);
}

/* Arms every word; true when ready() then finds data (the words stay
 * armed: a producer may call in vain once). */
static bool arm_all(struct waiter *wt, uint32_t *vals, bool (*ready)(void *), void *arg)
{
	for (size_t i = 0; i < wt->n; i++) {
		uint32_t s = ub_wake_arm(wt->w[i]);

		if (vals)
			vals[i] = s;
	}
	return ready(arg);
}

static void disarm_all(struct waiter *wt)
{
	for (size_t i = 0; i < wt->n; i++)
		ub_wake_disarm(wt->w[i]);
}

static int feeder_start(struct waiter *wt, bool (*ready)(void *), void *arg)
{
	uint32_t *seen = realloc(wt->seen, (wt->n ? wt->n : 1) * sizeof(*seen));
	int err;

	if (!seen)
		return -ENOMEM;
	wt->seen = seen;
	for (size_t i = 0; i < wt->n; i++)
		seen[i] = atomic_load(&wt->w[i]->seq);
	err = -pthread_create(&wt->feeder, NULL, feed, wt);
	if (err)
		return err;
	wt->feeding = true;
	wt->owner = getpid();
	/* seen before armed: a wake from now on reaches the eventfd */
	if (arm_all(wt, NULL, ready, arg))
		signal_efd(wt);
	return 0;
}

/* After a consume: with the feeder, arm the words so that the next record
 * makes the epoll fd readable (at once if one came meanwhile). */
static void rearm_for_epoll(struct waiter *wt, bool (*ready)(void *), void *arg)
{
	if (wt->feeding && arm_all(wt, NULL, ready, arg)) {
		disarm_all(wt);
		signal_efd(wt);
	}
}

static int waiter_add(struct waiter *wt, struct ub_wake *w)
{
	struct ub_wake **n;

	for (size_t i = 0; i < wt->n; i++)
		if (wt->w[i] == w)
			return 0;
	if (wt->n == MAX_WORDS)
		return -E2BIG;
	n = realloc(wt->w, (wt->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	wt->w = n;
	wt->w[wt->n++] = w;
	return 0;
}

static void waiter_fini(struct waiter *wt)
{
	feeder_stop(wt);
	if (wt->epfd >= 0)
		close(wt->epfd);
	if (wt->efd >= 0)
		close(wt->efd);
	free(wt->w);
	free(wt->seen);
}

static void deadline_of(int timeout_ms, struct timespec *d)
{
	clock_gettime(CLOCK_MONOTONIC, d);
	d->tv_sec += timeout_ms / 1000;
	d->tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (d->tv_nsec >= 1000000000) {
		d->tv_sec++;
		d->tv_nsec -= 1000000000;
	}
}

static bool passed(const struct timespec *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > d->tv_sec || (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec);
}

/* epoll_fd(): the waiter's epoll set, starting its feeder thread the
 * first time; or libbpf's error convention. */
static int waiter_epoll_fd(struct waiter *wt, bool (*ready)(void *), void *arg)
{
	int err = wt->feeding ? 0 : feeder_start(wt, ready, arg);

	return err ? ret_err(err) : wt->epfd;
}

/* poll(): consume() until it finds records or timeout_ms passes (-1:
 * never), sleeping on the words in between.  Returns consume()'s count
 * or a negative errno (-EINTR: a signal handler ran, as libbpf). */
static int wait_poll(struct waiter *wt, int timeout_ms, int (*consume)(void *),
		     bool (*ready)(void *), void *arg)
{
	struct futex_waitv v[MAX_WORDS];
	uint32_t vals[MAX_WORDS];
	struct timespec d;
	int err = 0;

	if (timeout_ms >= 0)
		deadline_of(timeout_ms, &d);
	for (;;) {
		int n = consume(arg);

		if (n != 0 || (timeout_ms >= 0 && passed(&d)))
			return n;
		if (!arm_all(wt, vals, ready, arg)) {
			for (size_t i = 0; i < wt->n; i++)
				set_word(&v[i], &wt->w[i]->seq, vals[i], false);
			err = wait_words(v, wt->n, timeout_ms >= 0 ? &d : NULL);
		}
		disarm_all(wt);
		if (err)
			return ret_err(err);
	}
}

/* ---- ring buffers --------------------------------------------------------- */

struct rb_ent {
	struct userbpf_map *map;
	ring_buffer_sample_fn fn;
	void *ctx;
};

struct ring_buffer {
	struct rb_ent *ents;	/* owned */
	size_t cnt;
	struct waiter wt;
};

static bool rb_ready(void *arg)
{
	struct ring_buffer *rb = arg;

	for (size_t i = 0; i < rb->cnt; i++)
		if (ub_ringbuf_ready(rb->ents[i].map))
			return true;
	return false;
}

int ring_buffer__add(struct ring_buffer *rb, int map_fd, ring_buffer_sample_fn fn, void *ctx)
{
	struct userbpf_map *m = ub_compat_fd_get(map_fd, UB_COMPAT_MAP);
	bool feeding;
	struct rb_ent *n;
	int err;

	if (!rb || !fn)
		return ret_err(-EINVAL);
	if (!m)
		return ret_err(-EBADF);
	if (m->def.type != UB_MAP_RINGBUF) {
		fprintf(stderr, "libbpf: ringbuf: map '%s' is not a BPF_MAP_TYPE_RINGBUF\n",
			m->def.name);
		return ret_err(-EINVAL);
	}
	if (m->readonly)
		return ret_err(-EPERM);
	n = realloc(rb->ents, (rb->cnt + 1) * sizeof(*n));
	if (!n)
		return ret_err(-ENOMEM);
	rb->ents = n;
	/* the feeder reads the words: stop it while they change */
	feeding = rb->wt.feeding;
	feeder_stop(&rb->wt);
	err = waiter_add(&rb->wt, ub_ringbuf_wake(m));
	if (!err)
		rb->ents[rb->cnt++] = (struct rb_ent){ m, fn, ctx };
	if (feeding) {
		int e2 = feeder_start(&rb->wt, rb_ready, rb);

		err = err ? err : e2;
	}
	return ret_err(err);
}

struct ring_buffer *ring_buffer__new(int map_fd, ring_buffer_sample_fn fn, void *ctx,
				     const struct ring_buffer_opts *opts)
{
	struct ring_buffer *rb = calloc(1, sizeof(*rb));
	int err;

	(void)opts;
	if (!rb)
		return ret_null(-ENOMEM);
	err = waiter_init(&rb->wt);
	if (err) {
		free(rb);
		return ret_null(err);
	}
	if (ring_buffer__add(rb, map_fd, fn, ctx)) {
		err = -errno;
		ring_buffer__free(rb);
		return ret_null(err);
	}
	return rb;
}

void ring_buffer__free(struct ring_buffer *rb)
{
	if (!rb)
		return;
	waiter_fini(&rb->wt);
	free(rb->ents);
	free(rb);
}

/* Records consumed over every ring (INT_MAX at most), or the first
 * callback error. */
int ring_buffer__consume(struct ring_buffer *rb)
{
	long total = 0;

	if (!rb)
		return ret_err(-EINVAL);
	drain_efd(&rb->wt);
	for (size_t i = 0; i < rb->cnt; i++) {
		int n = ub_ringbuf_consume(rb->ents[i].map, rb->ents[i].fn, rb->ents[i].ctx);

		if (n < 0)
			return ret_err(n);
		total += n;
	}
	rearm_for_epoll(&rb->wt, rb_ready, rb);
	return total > INT_MAX ? INT_MAX : (int)total;
}

static int rb_consume(void *arg)
{
	return ring_buffer__consume(arg);
}

int ring_buffer__poll(struct ring_buffer *rb, int timeout_ms)
{
	if (!rb)
		return ret_err(-EINVAL);
	return wait_poll(&rb->wt, timeout_ms, rb_consume, rb_ready, rb);
}

/* The epoll set turns readable when a record comes (the feeder starts
 * here: poll() alone needs no thread). */
int ring_buffer__epoll_fd(const struct ring_buffer *crb)
{
	struct ring_buffer *rb = (struct ring_buffer *)crb;	/* ours: not const */

	return rb ? waiter_epoll_fd(&rb->wt, rb_ready, rb) : ret_err(-EINVAL);
}

/* ---- perf buffers --------------------------------------------------------- */

struct perf_buffer {
	struct userbpf_map *map;
	perf_buffer_sample_fn sample;
	perf_buffer_lost_fn lost;
	void *ctx;
	struct waiter wt;
};

static bool pb_ready(void *arg)
{
	return ub_perf_ready(((struct perf_buffer *)arg)->map);
}

struct perf_buffer *perf_buffer__new(int map_fd, size_t page_cnt, perf_buffer_sample_fn sample,
				     perf_buffer_lost_fn lost, void *ctx,
				     const struct perf_buffer_opts *opts)
{
	struct userbpf_map *m = ub_compat_fd_get(map_fd, UB_COMPAT_MAP);
	struct perf_buffer *pb;
	int err;

	(void)opts;
	(void)page_cnt;	/* the map's rings are sized at its creation */
	if (!m)
		return ret_null(-EBADF);
	if (m->def.type != UB_MAP_PERF_EVENT_ARRAY || !sample)
		return ret_null(-EINVAL);
	if (m->readonly)
		return ret_null(-EPERM);
	pb = calloc(1, sizeof(*pb));
	if (!pb)
		return ret_null(-ENOMEM);
	err = waiter_init(&pb->wt);
	if (!err)
		err = waiter_add(&pb->wt, ub_perf_wake(m));
	if (err) {
		waiter_fini(&pb->wt);
		free(pb);
		return ret_null(err);
	}
	pb->map = m;
	pb->sample = sample;
	pb->lost = lost;
	pb->ctx = ctx;
	return pb;
}

void perf_buffer__free(struct perf_buffer *pb)
{
	if (!pb)
		return;
	waiter_fini(&pb->wt);
	free(pb);
}

int perf_buffer__consume(struct perf_buffer *pb)
{
	long total = 0;

	if (!pb)
		return ret_err(-EINVAL);
	drain_efd(&pb->wt);
	for (uint32_t i = 0; i < pb->map->def.max_entries; i++) {
		int n = ub_perf_consume(pb->map, i, (ub_perf_sample_fn)pb->sample,
					(ub_perf_lost_fn)pb->lost, pb->ctx);

		if (n < 0)
			return ret_err(n);
		total += n;
	}
	rearm_for_epoll(&pb->wt, pb_ready, pb);
	return total > INT_MAX ? INT_MAX : (int)total;
}

static int pb_consume(void *arg)
{
	return perf_buffer__consume(arg);
}

int perf_buffer__poll(struct perf_buffer *pb, int timeout_ms)
{
	if (!pb)
		return ret_err(-EINVAL);
	return wait_poll(&pb->wt, timeout_ms, pb_consume, pb_ready, pb);
}

/* As ring_buffer__epoll_fd: one set for all the map's rings. */
int perf_buffer__epoll_fd(const struct perf_buffer *cpb)
{
	struct perf_buffer *pb = (struct perf_buffer *)cpb;	/* ours: not const */

	return pb ? waiter_epoll_fd(&pb->wt, pb_ready, pb) : ret_err(-EINVAL);
}
#endif
