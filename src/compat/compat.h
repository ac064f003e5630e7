/* SPDX-License-Identifier: MIT */
/*
 * compat.h - what the libbpf layer's files share: the descriptor table
 * that turns libbpf's file descriptors into userbpf objects.
 */
#ifndef USERBPF_COMPAT_H
#define USERBPF_COMPAT_H

#include "core/core_internal.h"

enum { UB_COMPAT_PROG = 1, UB_COMPAT_MAP = 2, UB_COMPAT_LINK = 3 };

struct ub_compat_fd {
	int fd;
	int kind;	/* UB_COMPAT_* */
	void *obj;	/* not owned */
};

/* A new descriptor for obj (>= 0), or a negative errno. */
int ub_compat_fd_new(int kind, void *obj);
/* The object behind fd if it is of that kind, else NULL. */
void *ub_compat_fd_get(int fd, int kind);
void ub_compat_fd_close(int fd);

#include <limits.h>
#include <stddef.h>

struct userbpf_obj;

/* libbpf's objects: wrappers over the object loader's indexes. */
struct bpf_program {
	struct bpf_object *obj;
	size_t idx;
	int fd;			/* after load; -1 before */
};

struct bpf_map {
	struct bpf_object *obj;
	size_t idx;
	int fd;			/* after load; -1 before */
};

struct bpf_object {
	struct userbpf_obj *uobj;
	struct bpf_program *progs;	/* owned, one per program */
	struct bpf_map *maps;		/* owned, one per map */
	size_t nprogs, nmaps;
	char *path;			/* owned: the object file's real path */
	void *mem;			/* owned: open_mem's bytes */
	size_t mem_size;
	char maps_dir[PATH_MAX];	/* where attach pinned the maps, or "" */
	int links;			/* live links made from this object */
};

/* The loaded program behind a libbpf program, or NULL. */
struct userbpf_prog *ub_compat_prog(const struct bpf_program *p);

#endif
