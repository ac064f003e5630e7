/* SPDX-License-Identifier: MIT */
/*
 * links.c - the links registry of syscall tracepoints, in the store root.
 *
 * Layout of ROOT (0700, one per user):
 *   links/<pid>-<n>.link   one attached program: "obj=", "prog=", "attach=",
 *                          "owner=" lines (see struct ub_link_rec)
 *   generation             8 bytes, bumped (atomically, through a shared
 *                          mapping) whenever a link comes or goes; agents
 *                          map it read-only and reload when it moves
 *   trace_pipe             FIFO: bpf_trace_printk lines, read by
 *                          `userbpf trace pipe` and `userbpf run`
 * Link files are written to a temporary name and renamed, so an agent
 * never reads half a link.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hooks/hooks.h"
#include "userbpf/userbpf.h"

static int copy_field(char *dst, size_t sz, const char *s, size_t n)
{
	if (n >= sz)
		return -EINVAL;
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

int ub_link_parse(const char *text, size_t len, struct ub_link_rec *r)
{
	size_t i = 0;
	int err = 0;

	memset(r, 0, sizeof(*r));
	while (i < len && !err) {
		size_t e = i, eq;
		const char *l = text + i;

		while (e < len && text[e] != '\n')
			e++;
		for (eq = i; eq < e && text[eq] != '='; eq++)
			;
		if (eq < e) {
			size_t kl = eq - i;
			const char *v = text + eq + 1;
			size_t vl = e - eq - 1;

			if (kl == 3 && !memcmp(l, "obj", 3))
				err = copy_field(r->obj, sizeof(r->obj), v, vl);
			else if (kl == 4 && !memcmp(l, "prog", 4))
				err = copy_field(r->prog, sizeof(r->prog), v, vl);
			else if (kl == 6 && !memcmp(l, "attach", 6))
				err = copy_field(r->attach, sizeof(r->attach), v, vl);
			else if (kl == 4 && !memcmp(l, "maps", 4))
				err = copy_field(r->maps, sizeof(r->maps), v, vl);
			else if (kl == 3 && !memcmp(l, "pin", 3))
				err = copy_field(r->pin, sizeof(r->pin), v, vl);
			else if (kl == 5 && !memcmp(l, "owner", 5)) {
				long o = 0;

				for (size_t k = 0; k < vl && v[k] >= '0' && v[k] <= '9'; k++)
					o = o * 10 + (v[k] - '0');
				r->owner = o;
			}
		}
		i = e + 1;
	}
	if (err || !r->obj[0] || !r->prog[0] || !r->attach[0])
		return -EINVAL;
	return 0;
}

int ub_link_format(const struct ub_link_rec *r, char *buf, size_t sz)
{
	int n = snprintf(buf, sz, "obj=%s\nprog=%s\nattach=%s\nowner=%ld\n%s%s%s%s%s%s", r->obj,
			 r->prog, r->attach, r->owner, r->maps[0] ? "maps=" : "", r->maps,
			 r->maps[0] ? "\n" : "", r->pin[0] ? "pin=" : "", r->pin,
			 r->pin[0] ? "\n" : "");

	return n < 0 || (size_t)n >= sz ? -ENAMETOOLONG : n;
}

#if !defined(_WIN32)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <limits.h>

static int mkdir_0700(const char *p)
{
	struct stat st;

	if (mkdir(p, 0700) && errno != EEXIST)
		return -errno;
	if (stat(p, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != geteuid())
		return -EPERM;	/* someone else's folder: never trust it */
	return 0;
}

/* The store's root (src/store), with what the hooks keep in it: the
 * links folder, the generation counter and the trace pipe. */
int ub_store_root(char *buf, size_t sz)
{
	char sub[4200];
	int err;

	if ((err = userbpf_store__root(buf, sz)))
		return err;
	if (strlen(buf) + 16 >= sizeof(sub))
		return -ENAMETOOLONG;
	snprintf(sub, sizeof(sub), "%s/links", buf);
	if ((err = mkdir_0700(sub)))
		return err;
	snprintf(sub, sizeof(sub), "%s/generation", buf);
	{
		int fd = open(sub, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		struct stat st;

		if (fd < 0)
			return -errno;
		if (!fstat(fd, &st) && st.st_size < 8 && ftruncate(fd, 8)) {
			err = -errno;
			close(fd);
			return err;
		}
		close(fd);
	}
	snprintf(sub, sizeof(sub), "%s/trace_pipe", buf);
	if (mkfifo(sub, 0600) && errno != EEXIST)
		return -errno;
	return 0;
}

int ub_generation_bump(const char *root)
{
	char p[4200];
	uint64_t *g;
	int fd;

	snprintf(p, sizeof(p), "%s/generation", root);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, 8) && errno != EINVAL) {
		int err = -errno;
		close(fd);
		return err;
	}
	g = mmap(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (g == MAP_FAILED)
		return -errno;
	__atomic_fetch_add(g, 1, __ATOMIC_SEQ_CST);
	munmap(g, 8);
	return 0;
}

int ub_link_create(const char *root, const struct ub_link_rec *r, char *path, size_t sz)
{
	static const char hexd[] = "0123456789abcdef";
	char text[UB_LINK_FIELD_MAX + 512], tmp[4300], rnd[9];
	int n, fd, err = 0;
	uint32_t v;

	n = ub_link_format(r, text, sizeof(text));
	if (n < 0)
		return n;
	/* pid and a random tag make the name unique among concurrent attachers */
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		v = (uint32_t)getpid() * 2654435761u ^ (uint32_t)(uintptr_t)&v;
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 8; i++)
		rnd[i] = hexd[(v >> (4 * i)) & 15];
	rnd[8] = 0;
	if (snprintf(path, sz, "%s/links/%ld-%s.link", root, (long)getpid(), rnd) >= (int)sz)
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)n) != n)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	return ub_generation_bump(root);
}

int ub_link_remove(const char *root, const char *path)
{
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return ub_generation_bump(root);
}
int ub_link_pin_maps(struct userbpf_obj *obj, const char *root, char *dir, size_t sz)
{
	static int seq;
	char path[PATH_MAX];
	int n, err;

	n = snprintf(dir, sz, "%s/.objmaps", root);
	if (n < 0 || (size_t)n >= sz)
		return -ENAMETOOLONG;
	if ((err = mkdir_0700(dir)))
		return err;
	n = snprintf(dir, sz, "%s/.objmaps/%ld-%d", root, (long)getpid(), ++seq);
	if (n < 0 || (size_t)n >= sz)
		return -ENAMETOOLONG;
	if ((err = mkdir_0700(dir)))
		return err;
	for (size_t i = 0; i < userbpf_obj__map_cnt(obj); i++) {
		struct userbpf_map *m = userbpf_obj__map(obj, i);
		const char *old;

		if (!m)
			return -ENOENT;
		n = snprintf(path, sizeof(path), "%s/%s", dir, userbpf_obj__map_name(obj, i));
		if (n < 0 || (size_t)n >= sizeof(path))
			return -ENAMETOOLONG;
		old = userbpf_map__pin_path(m);
		err = old ? userbpf_store__link(old, path) : userbpf_map__pin(m, path) ? -errno : 0;
		if (err) {
			ub_link_unpin_maps(dir);
			return err;
		}
	}
	return 0;
}

int ub_link_pin_prog(struct userbpf_prog *prog, const char *sec, const char *root, char *path,
		     size_t sz)
{
	static int seq;
	struct userbpf_prog_pin_opts po = { .sz = sizeof(po), .type = "tracepoint",
					    .license = "GPL" };
	int n, err;

	if (sec && (!strncmp(sec, "raw_tracepoint/", 15) || !strncmp(sec, "raw_tp/", 7)))
		po.type = "raw_tracepoint";
	n = snprintf(path, sz, "%s/.progs", root);
	if (n < 0 || (size_t)n >= sz)
		return -ENAMETOOLONG;
	if ((err = mkdir_0700(path)))
		return err;
	n = snprintf(path, sz, "%s/.progs/%ld-%d-%s", root, (long)getpid(), ++seq,
		     userbpf_prog__name(prog));
	if (n < 0 || (size_t)n >= sz)
		return -ENAMETOOLONG;
	return userbpf_prog__pin(prog, path, &po) ? -errno : 0;
}

void ub_link_unpin_maps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}
#endif

