/* SPDX-License-Identifier: MIT */
/*
 * compat.c - libbpf's API (include/bpf/libbpf.h, bpf.h) over userbpf.
 *
 * libbpf's calls carry no context: the kernel is the process-wide state
 * they talk to.  So this file, and only this file, keeps process-wide
 * state: one runtime (made on first use) and the table that turns file
 * descriptors into programs and maps.  The descriptors are real ones
 * (duplicates of /dev/null), so their numbers never collide with the
 * process's own files; close() of one is not seen here, as with libbpf
 * where it would drop the kernel's reference.
 *
 * Errors follow libbpf 1.x: functions returning int give a negative errno
 * (and set errno); functions returning a pointer give NULL and set errno.
 */
#if !defined(_WIN32)
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bpf/libbpf.h"
#include "compat/compat.h"
#include "hooks/hooks.h"
#include "exec/exec_internal.h"
#include "maps/map.h"
#include "object/object_internal.h"

static struct {
	pthread_mutex_t lock;
	struct userbpf_rt *rt;
	libbpf_print_fn_t print;
	struct ub_compat_fd *fds;	/* owned (malloc) */
	size_t nfds, cap;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int default_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int call_print(enum libbpf_print_level level, const char *fmt, ...)
{
	libbpf_print_fn_t fn = g.print ? g.print : default_print;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fn(level, fmt, ap);
	va_end(ap);
	return n;
}

static void rt_log(enum userbpf_log_level level, const char *msg, void *user)
{
	(void)user;
	call_print(level == USERBPF_LOG_WARN ? LIBBPF_WARN :
		   level == USERBPF_LOG_INFO ? LIBBPF_INFO : LIBBPF_DEBUG, "libbpf: %s\n", msg);
}

libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t fn)
{
	libbpf_print_fn_t old = g.print ? g.print : default_print;

	g.print = fn;
	return old;
}

struct userbpf_rt *libbpf_userbpf_rt(void)
{
	pthread_mutex_lock(&g.lock);
	if (!g.rt) {
		struct userbpf_rt_opts o = { .sz = sizeof(o), .log = rt_log,
					     .log_level = USERBPF_LOG_DEBUG };
		g.rt = userbpf_rt__new(&o);
	}
	pthread_mutex_unlock(&g.lock);
	return g.rt;
}

long libbpf_get_error(const void *ptr)
{
	return ptr ? 0 : -(long)errno;
}

int libbpf_strerror(int err, char *buf, size_t size)
{
	if (!buf || !size)
		return -EINVAL;
	snprintf(buf, size, "%s", userbpf_strerror(err < 0 ? err : -err));
	return 0;
}

/* ---- the descriptor table ----------------------------------------------- */

int ub_compat_fd_new(int kind, void *obj)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	pthread_mutex_lock(&g.lock);
	if (g.nfds == g.cap) {
		size_t cap = g.cap ? g.cap * 2 : 16;
		struct ub_compat_fd *n = realloc(g.fds, cap * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&g.lock);
			close(fd);
			return -ENOMEM;
		}
		g.fds = n;
		g.cap = cap;
	}
	g.fds[g.nfds++] = (struct ub_compat_fd){ fd, kind, obj };
	pthread_mutex_unlock(&g.lock);
	return fd;
}

void *ub_compat_fd_get(int fd, int kind)
{
	void *obj = NULL;

	pthread_mutex_lock(&g.lock);
	for (size_t i = 0; i < g.nfds; i++)
		if (g.fds[i].fd == fd && g.fds[i].kind == kind)
			obj = g.fds[i].obj;
	pthread_mutex_unlock(&g.lock);
	return obj;
}

/* The descriptor kind of fd, or 0. */
static int fd_kind(int fd)
{
	int kind = 0;

	pthread_mutex_lock(&g.lock);
	for (size_t i = 0; i < g.nfds; i++)
		if (g.fds[i].fd == fd)
			kind = g.fds[i].kind;
	pthread_mutex_unlock(&g.lock);
	return kind;
}

void ub_compat_fd_close(int fd)
{
	pthread_mutex_lock(&g.lock);
	for (size_t i = 0; i < g.nfds; i++) {
		if (g.fds[i].fd == fd) {
			g.fds[i] = g.fds[--g.nfds];
			close(fd);
			break;
		}
	}
	pthread_mutex_unlock(&g.lock);
}

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

/* ---- fd-based map calls ------------------------------------------------- */

static struct userbpf_map *map_of(int fd)
{
	return ub_compat_fd_get(fd, UB_COMPAT_MAP);
}

int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)
{
	struct userbpf_map *m = map_of(fd);

	return ret_err(m ? ub_map_update_user(m, key, value, flags) : -EBADF);
}

int bpf_map_lookup_elem_flags(int fd, const void *key, void *value, __u64 flags)
{
	struct userbpf_map *m = map_of(fd);

	return ret_err(m ? ub_map_lookup_user(m, key, value, flags) : -EBADF);
}

int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	return bpf_map_lookup_elem_flags(fd, key, value, 0);
}

int bpf_map_lookup_and_delete_elem(int fd, const void *key, void *value)
{
	struct userbpf_map *m = map_of(fd);

	return ret_err(m ? ub_map_lookup_and_delete_user(m, key, value) : -EBADF);
}

int bpf_map_delete_elem(int fd, const void *key)
{
	struct userbpf_map *m = map_of(fd);

	return ret_err(m ? ub_map_delete_user(m, key) : -EBADF);
}

int bpf_map_get_next_key(int fd, const void *key, void *next_key)
{
	struct userbpf_map *m = map_of(fd);

	return ret_err(m ? ub_map_get_next_key(m, key, next_key) : -EBADF);
}

int bpf_map_freeze(int fd)
{
	struct userbpf_map *m = map_of(fd);

	if (!m)
		return ret_err(-EBADF);
	return userbpf_map__freeze(m) ? -errno : 0;
}

static __u64 batch_flags(const struct bpf_map_batch_opts *o)
{
	return o && o->sz >= offsetof(struct bpf_map_batch_opts, flags) ? o->elem_flags : 0;
}

int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values,
			 __u32 *count, const struct bpf_map_batch_opts *opts)
{
	struct userbpf_map *m = map_of(fd);

	if (!m)
		return ret_err(-EBADF);
	return userbpf_map__lookup_batch(m, in_batch, out_batch, keys, values, count,
					 batch_flags(opts)) ? -errno : 0;
}

int bpf_map_lookup_and_delete_batch(int fd, void *in_batch, void *out_batch, void *keys,
				    void *values, __u32 *count,
				    const struct bpf_map_batch_opts *opts)
{
	struct userbpf_map *m = map_of(fd);

	if (!m)
		return ret_err(-EBADF);
	return userbpf_map__lookup_and_delete_batch(m, in_batch, out_batch, keys, values, count,
						    batch_flags(opts)) ? -errno : 0;
}

int bpf_map_update_batch(int fd, const void *keys, const void *values, __u32 *count,
			 const struct bpf_map_batch_opts *opts)
{
	struct userbpf_map *m = map_of(fd);

	if (!m)
		return ret_err(-EBADF);
	return userbpf_map__update_batch(m, keys, values, count, batch_flags(opts)) ? -errno : 0;
}

int bpf_map_delete_batch(int fd, const void *keys, __u32 *count,
			 const struct bpf_map_batch_opts *opts)
{
	struct userbpf_map *m = map_of(fd);

	(void)opts;
	if (!m)
		return ret_err(-EBADF);
	return userbpf_map__delete_batch(m, keys, count) ? -errno : 0;
}

/* A path as the store sees it: /sys/fs/bpf/X lands under the store root. */
static int store_path(const char *path, char *out, size_t size)
{
	return userbpf_store__path(path, out, size, USERBPF_STORE_MKDIR);
}

int bpf_obj_pin(int fd, const char *pathname)
{
	char path[4096];
	int err;

	if (!pathname)
		return ret_err(-EINVAL);
	err = store_path(pathname, path, sizeof(path));
	if (err)
		return ret_err(err);
	switch (fd_kind(fd)) {
	case UB_COMPAT_MAP:
		return userbpf_map__pin(map_of(fd), path) ? -errno : 0;
	case UB_COMPAT_PROG: {
		struct userbpf_prog *p = ub_compat_fd_get(fd, UB_COMPAT_PROG);
		const struct userbpf_prog_type *t = userbpf_prog__type(p);
		struct userbpf_prog_pin_opts po = { .sz = sizeof(po), .type = t ? t->name : NULL };

		return userbpf_prog__pin(p, path, &po) ? -errno : 0;
	}
	default:
		return ret_err(-EBADF);
	}
}

int bpf_obj_get(const char *pathname)
{
	struct userbpf_rt *rt = libbpf_userbpf_rt();
	struct userbpf_map *m;
	char path[4096];
	int err, fd;

	if (!rt || !pathname)
		return ret_err(-EINVAL);
	err = store_path(pathname, path, sizeof(path));
	if (err)
		return ret_err(err);
	m = userbpf_map__open_pinned(rt, path);
	if (!m)
		return -errno;
	fd = ub_compat_fd_new(UB_COMPAT_MAP, m);
	if (fd < 0)
		userbpf_map__free(m);
	return ret_err(fd);
}

/* ---- objects and programs ----------------------------------------------- */

static struct bpf_object *obj_wrap(struct userbpf_obj *uobj)
{
	struct bpf_object *o;

	if (!uobj)
		return NULL;
	o = calloc(1, sizeof(*o));
	if (o) {
		o->uobj = uobj;
		o->nprogs = userbpf_obj__prog_cnt(uobj);
		o->nmaps = userbpf_obj__map_cnt(uobj);
		o->progs = calloc(o->nprogs + 1, sizeof(*o->progs));
		o->maps = calloc(o->nmaps + 1, sizeof(*o->maps));
	}
	if (!o || !o->progs || !o->maps) {
		if (o) {
			free(o->progs);
			free(o->maps);
		}
		free(o);
		userbpf_obj__close(uobj);
		return ret_null(-ENOMEM);
	}
	for (size_t i = 0; i < o->nprogs; i++)
		o->progs[i] = (struct bpf_program){ o, i, -1 };
	for (size_t i = 0; i < o->nmaps; i++)
		o->maps[i] = (struct bpf_map){ o, i, -1 };
	return o;
}

/* pin_root (PATH_MAX bytes) receives the store path of pin_root_path. */
static int open_opts(const struct bpf_object_open_opts *opts, struct userbpf_obj_opts *uo,
		     char *pin_root)
{
	memset(uo, 0, sizeof(*uo));
	uo->sz = sizeof(*uo);
	if (opts && opts->sz > offsetof(struct bpf_object_open_opts, object_name))
		uo->name = opts->object_name;
	if (opts && opts->sz > offsetof(struct bpf_object_open_opts, pin_root_path) &&
	    opts->pin_root_path) {
		int err = store_path(opts->pin_root_path, pin_root, PATH_MAX);

		if (err)
			return err;
		if (mkdir(pin_root, 0700) && errno != EEXIST)
			return -errno;
		uo->pin_root_path = pin_root;
	}
	return 0;
}

struct bpf_object *bpf_object__open_file(const char *path, const struct bpf_object_open_opts *opts)
{
	struct userbpf_rt *rt = libbpf_userbpf_rt();
	struct userbpf_obj_opts uo;
	char pin_root[PATH_MAX], real[PATH_MAX];
	struct bpf_object *o;
	int err;

	if (!rt || !path)
		return ret_null(-EINVAL);
	err = open_opts(opts, &uo, pin_root);
	if (err)
		return ret_null(err);
	o = obj_wrap(userbpf_obj__open_file(rt, path, &uo));
	/* Traced processes load the object again from its file. */
	if (o && realpath(path, real))
		o->path = strdup(real);
	return o;
}

struct bpf_object *bpf_object__open(const char *path)
{
	return bpf_object__open_file(path, NULL);
}

struct bpf_object *bpf_object__open_mem(const void *buf, size_t size,
					const struct bpf_object_open_opts *opts)
{
	struct userbpf_rt *rt = libbpf_userbpf_rt();
	struct userbpf_obj_opts uo;
	char pin_root[PATH_MAX];
	struct bpf_object *o;
	int err;

	if (!rt || !buf || !size)
		return ret_null(-EINVAL);
	err = open_opts(opts, &uo, pin_root);
	if (err)
		return ret_null(err);
	o = obj_wrap(userbpf_obj__open_mem(rt, buf, size, &uo));
	if (o) {
		/* Kept for attaching: traced processes load it from a file. */
		o->mem = malloc(size);
		if (!o->mem) {
			bpf_object__close(o);
			return ret_null(-ENOMEM);
		}
		memcpy(o->mem, buf, size);
		o->mem_size = size;
	}
	return o;
}

/* Loads, verifies every program against its type, and hands out fds. */
int bpf_object__load(struct bpf_object *o)
{
	int err;

	if (!o)
		return ret_err(-EINVAL);
	if (userbpf_obj__load(o->uobj))
		return -errno;
	for (size_t i = 0; i < o->nprogs; i++) {
		struct userbpf_prog *p = userbpf_obj__prog(o->uobj, i);

		if (!p)
			continue;	/* not autoloaded */
		if (userbpf_prog__verify(p, NULL)) {
			err = -errno;
			call_print(LIBBPF_WARN, "libbpf: prog '%s': failed to load: %d\n",
				   userbpf_prog__name(p), err);
			return ret_err(err);
		}
		err = ub_compat_fd_new(UB_COMPAT_PROG, p);
		if (err < 0)
			return ret_err(err);
		o->progs[i].fd = err;
	}
	for (size_t i = 0; i < o->nmaps; i++) {
		struct userbpf_map *m = userbpf_obj__map(o->uobj, i);

		err = m ? ub_compat_fd_new(UB_COMPAT_MAP, m) : -ENOENT;
		if (err < 0)
			return ret_err(err);
		o->maps[i].fd = err;
	}
	return 0;
}

void bpf_object__close(struct bpf_object *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nprogs; i++)
		if (o->progs[i].fd >= 0)
			ub_compat_fd_close(o->progs[i].fd);
	for (size_t i = 0; i < o->nmaps; i++)
		if (o->maps[i].fd >= 0)
			ub_compat_fd_close(o->maps[i].fd);
	if (o->maps_dir[0])
		ub_link_unpin_maps(o->maps_dir);
	userbpf_obj__close(o->uobj);
	free(o->progs);
	free(o->maps);
	free(o->path);
	free(o->mem);
	free(o);
}

const char *bpf_object__name(const struct bpf_object *o)
{
	return o ? userbpf_obj__name(o->uobj) : NULL;
}

struct bpf_program *bpf_object__find_program_by_name(const struct bpf_object *o,
						     const char *name)
{
	for (size_t i = 0; o && name && i < o->nprogs; i++)
		if (!strcmp(userbpf_obj__prog_name(o->uobj, i), name))
			return &o->progs[i];
	return ret_null(-ENOENT);
}

struct bpf_map *bpf_object__find_map_by_name(const struct bpf_object *o, const char *name)
{
	for (size_t i = 0; o && name && i < o->nmaps; i++) {
		const struct ub_obj_map *om = &o->uobj->maps[i];

		if (!strcmp(om->name, name) || (om->real_name && !strcmp(om->real_name, name)))
			return &o->maps[i];
	}
	return ret_null(-ENOENT);
}

int bpf_object__find_map_fd_by_name(const struct bpf_object *o, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(o, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

struct bpf_program *bpf_object__next_program(const struct bpf_object *o, struct bpf_program *p)
{
	size_t i = p ? p->idx + 1 : 0;

	return o && i < o->nprogs ? &o->progs[i] : NULL;
}

struct bpf_map *bpf_object__next_map(const struct bpf_object *o, const struct bpf_map *m)
{
	size_t i = m ? m->idx + 1 : 0;

	return o && i < o->nmaps ? &o->maps[i] : NULL;
}

/* Pins every map as PATH/NAME (path under /sys/fs/bpf/ lands in the store). */
int bpf_object__pin_maps(struct bpf_object *o, const char *path)
{
	char dir[4096], file[4200];
	int err;

	if (!o || !path)
		return ret_err(-EINVAL);
	err = store_path(path, dir, sizeof(dir));
	if (err)
		return ret_err(err);
	for (size_t i = 0; i < o->nmaps; i++) {
		struct userbpf_map *m = userbpf_obj__map(o->uobj, i);

		if (!m)
			return ret_err(-ENOENT);
		if (userbpf_map__pin_path(m))
			continue;	/* pinned already (pin_root_path) */
		snprintf(file, sizeof(file), "%s/%s", dir, userbpf_obj__map_name(o->uobj, i));
		if (userbpf_map__pin(m, file))
			return -errno;
	}
	return 0;
}

int bpf_program__fd(const struct bpf_program *p)
{
	return p ? (p->fd >= 0 ? p->fd : ret_err(-EINVAL)) : ret_err(-EINVAL);
}

const char *bpf_program__name(const struct bpf_program *p)
{
	return p ? userbpf_obj__prog_name(p->obj->uobj, p->idx) : NULL;
}

const char *bpf_program__section_name(const struct bpf_program *p)
{
	return p ? userbpf_obj__prog_section(p->obj->uobj, p->idx) : NULL;
}

int bpf_program__set_type(struct bpf_program *p, int type)
{
	const struct userbpf_prog_type *t = NULL;
	struct userbpf_rt *rt = libbpf_userbpf_rt();

	if (!p || !rt)
		return ret_err(-EINVAL);
	for (const char *const *n = (const char *const[]){ "socket_filter", "sched_cls",
							   "sched_act", "tracepoint", "xdp",
							   "raw_tracepoint", "syscall", NULL };
	     *n; n++) {
		const struct userbpf_prog_type *c = userbpf_rt__prog_type(rt, *n);

		if (c && (int)c->linux_type == type)
			t = c;
	}
	if (!t)
		return ret_err(-EINVAL);
	return userbpf_obj__set_prog_type(p->obj->uobj, p->idx, t->name) ? -errno : 0;
}

int bpf_program__type(const struct bpf_program *p)
{
	const char *name = p ? userbpf_obj__prog_type(p->obj->uobj, p->idx) : NULL;
	const struct userbpf_prog_type *t = name ? userbpf_rt__prog_type(libbpf_userbpf_rt(), name)
					       : NULL;

	return t ? (int)t->linux_type : 0;
}

int bpf_program__set_flags(struct bpf_program *p, __u32 flags)
{
	if (!p)
		return ret_err(-EINVAL);
	return userbpf_obj__set_prog_flags(p->obj->uobj, p->idx, flags) ? -errno : 0;
}

__u32 bpf_program__flags(const struct bpf_program *p)
{
	return p ? userbpf_obj__prog_flags(p->obj->uobj, p->idx) : 0;
}

int bpf_program__set_autoload(struct bpf_program *p, bool autoload)
{
	if (!p)
		return ret_err(-EINVAL);
	return userbpf_obj__set_prog_autoload(p->obj->uobj, p->idx, autoload) ? -errno : 0;
}

bool bpf_program__autoload(const struct bpf_program *p)
{
	return p && !p->obj->uobj->progs[p->idx].no_autoload;
}

struct userbpf_prog *ub_compat_prog(const struct bpf_program *p)
{
	return p ? userbpf_obj__prog(p->obj->uobj, p->idx) : NULL;
}

int bpf_prog_test_run_opts(int prog_fd, struct bpf_test_run_opts *opts)
{
	struct userbpf_prog *p = ub_compat_fd_get(prog_fd, UB_COMPAT_PROG);
	struct userbpf_test_run_opts o = { .sz = sizeof(o) };

	if (!p)
		return ret_err(-EBADF);
	if (!opts)
		return ret_err(-EINVAL);
	o.data_in = opts->data_in;
	o.data_size_in = opts->data_size_in;
	o.data_out = opts->data_out;
	o.data_size_out = opts->data_out ? opts->data_size_out : 0;
	o.ctx_in = opts->ctx_in;
	o.ctx_size_in = opts->ctx_size_in;
	o.ctx_out = opts->ctx_out;
	o.ctx_size_out = opts->ctx_out ? opts->ctx_size_out : 0;
	o.repeat = opts->repeat > 0 ? (uint32_t)opts->repeat : 1;
	if (userbpf_prog__test_run(p, &o))
		return -errno;
	opts->retval = o.retval;
	opts->duration = (__u32)o.duration_ns;
	if (opts->data_out)
		opts->data_size_out = (__u32)o.data_size_out;
	if (opts->ctx_out)
		opts->ctx_size_out = (__u32)o.ctx_size_out;
	return 0;
}

/* ---- maps ----------------------------------------------------------------- */

static const struct ub_map_def *map_def(const struct bpf_map *m)
{
	return &m->obj->uobj->maps[m->idx].def;
}

int bpf_map__fd(const struct bpf_map *m)
{
	return m ? (m->fd >= 0 ? m->fd : ret_err(-EINVAL)) : ret_err(-EINVAL);
}

const char *bpf_map__name(const struct bpf_map *m)
{
	return m ? userbpf_obj__map_name(m->obj->uobj, m->idx) : NULL;
}

int bpf_map__type(const struct bpf_map *m)
{
	return m ? (int)map_def(m)->type : 0;
}

__u32 bpf_map__key_size(const struct bpf_map *m)
{
	return m ? map_def(m)->key_size : 0;
}

__u32 bpf_map__value_size(const struct bpf_map *m)
{
	return m ? map_def(m)->value_size : 0;
}

__u32 bpf_map__max_entries(const struct bpf_map *m)
{
	return m ? map_def(m)->max_entries : 0;
}

void *bpf_map__initial_value(struct bpf_map *m, size_t *psize)
{
	if (!m)
		return ret_null(-EINVAL);
	return userbpf_obj__map_initial_value(m->obj->uobj, bpf_map__name(m), psize);
}

/* libbpf checks the sizes the caller passes against the map's. */
static int map_sizes(const struct bpf_map *m, size_t key_sz, size_t value_sz, bool has_value)
{
	struct userbpf_map *um;

	if (!m || m->fd < 0)
		return -EINVAL;
	um = map_of(m->fd);
	if (!um || key_sz != um->def.key_size)
		return -EINVAL;
	if (has_value && value_sz != ub_map_user_value_size(um))
		return -EINVAL;
	return 0;
}

int bpf_map__lookup_elem(const struct bpf_map *m, const void *key, size_t key_sz, void *value,
			 size_t value_sz, __u64 flags)
{
	int err = map_sizes(m, key_sz, value_sz, true);

	return err ? ret_err(err) : bpf_map_lookup_elem_flags(m->fd, key, value, flags);
}

int bpf_map__update_elem(const struct bpf_map *m, const void *key, size_t key_sz,
			 const void *value, size_t value_sz, __u64 flags)
{
	int err = map_sizes(m, key_sz, value_sz, true);

	return err ? ret_err(err) : bpf_map_update_elem(m->fd, key, value, flags);
}

int bpf_map__delete_elem(const struct bpf_map *m, const void *key, size_t key_sz, __u64 flags)
{
	int err = map_sizes(m, key_sz, 0, false);

	if (!err && flags)
		err = -EINVAL;
	return err ? ret_err(err) : bpf_map_delete_elem(m->fd, key);
}

int bpf_map__get_next_key(const struct bpf_map *m, const void *cur_key, void *next_key,
			  size_t key_sz)
{
	int err = map_sizes(m, key_sz, 0, false);

	return err ? ret_err(err) : bpf_map_get_next_key(m->fd, cur_key, next_key);
}
#endif
