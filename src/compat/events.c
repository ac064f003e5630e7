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
 * (ub_ringbuf_consume, ub_perf_consume).  Producers in other processes
 * cannot signal this one, so poll() checks the buffers, sleeping between
 * checks (50 us, doubling to 1 ms while nothing comes); epoll_fd() gives
 * an epoll descriptor that turns readable every millisecond (a timerfd),
 * the moment to call consume().
 */
#if !defined(_WIN32)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "bpf/libbpf.h"
#include "compat/compat.h"
#include "hooks/hooks.h"
#include "maps/map.h"
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

/* ---- ring buffers --------------------------------------------------------- */

struct rb_ent {
	struct userbpf_map *map;
	ring_buffer_sample_fn fn;
	void *ctx;
};

struct ring_buffer {
	struct rb_ent *ents;	/* owned */
	size_t cnt;
	int epfd, tfd;
};

/* A timerfd ticking every millisecond inside an epoll set. */
static int tick_epoll(int *epfd, int *tfd)
{
	struct itimerspec its = { { 0, 1000000 }, { 0, 1000000 } };
	struct epoll_event ev = { .events = EPOLLIN };

	*epfd = epoll_create1(EPOLL_CLOEXEC);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (*epfd < 0 || *tfd < 0 || timerfd_settime(*tfd, 0, &its, NULL) ||
	    epoll_ctl(*epfd, EPOLL_CTL_ADD, *tfd, &ev)) {
		int err = -errno;

		if (*epfd >= 0)
			close(*epfd);
		if (*tfd >= 0)
			close(*tfd);
		return err;
	}
	return 0;
}

static void tick_drain(int tfd)
{
	uint64_t n;

	while (read(tfd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		;
}

/* Waits for data: calls check() until it finds some, or timeout_ms
 * passes (-1: forever).  Returns check()'s count or a negative errno. */
static int poll_wait(int timeout_ms, int (*check)(void *), void *arg)
{
	struct timespec start, now;
	long sleep_us = 50;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int n = check(arg);

		if (n != 0)
			return n;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout_ms >= 0 &&
		    (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >=
			    timeout_ms)
			return 0;
		{
			struct timespec ts = { 0, sleep_us * 1000 };

			nanosleep(&ts, NULL);
		}
		if (sleep_us < 1000)
			sleep_us *= 2;
	}
}

int ring_buffer__add(struct ring_buffer *rb, int map_fd, ring_buffer_sample_fn fn, void *ctx)
{
	struct userbpf_map *m = ub_compat_fd_get(map_fd, UB_COMPAT_MAP);
	struct rb_ent *n;

	if (!rb || !fn)
		return ret_err(-EINVAL);
	if (!m)
		return ret_err(-EBADF);
	if (m->def.type != UB_MAP_RINGBUF) {
		fprintf(stderr, "libbpf: ringbuf: map '%s' is not a BPF_MAP_TYPE_RINGBUF\n",
			m->def.name);
		return ret_err(-EINVAL);
	}
	n = realloc(rb->ents, (rb->cnt + 1) * sizeof(*n));
	if (!n)
		return ret_err(-ENOMEM);
	rb->ents = n;
	rb->ents[rb->cnt++] = (struct rb_ent){ m, fn, ctx };
	return 0;
}

struct ring_buffer *ring_buffer__new(int map_fd, ring_buffer_sample_fn fn, void *ctx,
				     const struct ring_buffer_opts *opts)
{
	struct ring_buffer *rb = calloc(1, sizeof(*rb));
	int err;

	(void)opts;
	if (!rb)
		return ret_null(-ENOMEM);
	err = tick_epoll(&rb->epfd, &rb->tfd);
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
	if (rb->epfd > 0)
		close(rb->epfd);
	if (rb->tfd > 0)
		close(rb->tfd);
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
	for (size_t i = 0; i < rb->cnt; i++) {
		int n = ub_ringbuf_consume(rb->ents[i].map, rb->ents[i].fn, rb->ents[i].ctx);

		if (n < 0)
			return ret_err(n);
		total += n;
	}
	if (rb->tfd > 0)
		tick_drain(rb->tfd);
	return total > INT_MAX ? INT_MAX : (int)total;
}

static int rb_check(void *arg)
{
	return ring_buffer__consume(arg);
}

int ring_buffer__poll(struct ring_buffer *rb, int timeout_ms)
{
	if (!rb)
		return ret_err(-EINVAL);
	return poll_wait(timeout_ms, rb_check, rb);
}

int ring_buffer__epoll_fd(const struct ring_buffer *rb)
{
	return rb ? rb->epfd : ret_err(-EINVAL);
}

/* ---- perf buffers --------------------------------------------------------- */

struct perf_buffer {
	struct userbpf_map *map;
	perf_buffer_sample_fn sample;
	perf_buffer_lost_fn lost;
	void *ctx;
	int epfd, tfd;
};

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
	pb = calloc(1, sizeof(*pb));
	if (!pb)
		return ret_null(-ENOMEM);
	err = tick_epoll(&pb->epfd, &pb->tfd);
	if (err) {
		free(pb);
		return ret_null(err);
	}
	*pb = (struct perf_buffer){ m, sample, lost, ctx, pb->epfd, pb->tfd };
	return pb;
}

void perf_buffer__free(struct perf_buffer *pb)
{
	if (!pb)
		return;
	close(pb->epfd);
	close(pb->tfd);
	free(pb);
}

int perf_buffer__consume(struct perf_buffer *pb)
{
	long total = 0;

	if (!pb)
		return ret_err(-EINVAL);
	for (uint32_t i = 0; i < pb->map->def.max_entries; i++) {
		int n = ub_perf_consume(pb->map, i, (ub_perf_sample_fn)pb->sample,
					(ub_perf_lost_fn)pb->lost, pb->ctx);

		if (n < 0)
			return ret_err(n);
		total += n;
	}
	tick_drain(pb->tfd);
	return total > INT_MAX ? INT_MAX : (int)total;
}

static int pb_check(void *arg)
{
	return perf_buffer__consume(arg);
}

int perf_buffer__poll(struct perf_buffer *pb, int timeout_ms)
{
	if (!pb)
		return ret_err(-EINVAL);
	return poll_wait(timeout_ms, pb_check, pb);
}
#endif
