/* tool.h - what the tracing examples (execsnoop, opensnoop, syscount)
 * share, in the way libbpf-tools share trace_helpers: finding the BPF
 * object beside the program, opening it, the const volatile settings in
 * .rodata, loading and attaching every program. */
#ifndef EXAMPLES_TOOL_H
#define EXAMPLES_TOOL_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

/* objpath, or FILE beside argv[0] (buf has sz bytes). */
static inline const char *tool_obj_path(const char *objpath, const char *argv0, const char *file,
					char *buf, size_t sz)
{
	const char *slash = strrchr(argv0, '/');

	if (objpath)
		return objpath;
	snprintf(buf, sz, "%.*s%s", slash ? (int)(slash - argv0 + 1) : 0, argv0, file);
	return buf;
}

/* Opens the object; NULL after a message. */
static inline struct bpf_object *tool_open(const char *tool, const char *objpath)
{
	struct bpf_object *obj = bpf_object__open_file(objpath, NULL);

	if (libbpf_get_error(obj)) {
		fprintf(stderr, "%s: opening %s: %s\n", tool, objpath, strerror(errno));
		return NULL;
	}
	return obj;
}

/* The .rodata settings to fill before load (at least need bytes); NULL
 * after a message. */
static inline void *tool_rodata(const char *tool, struct bpf_object *obj, const char *objpath,
				size_t need)
{
	struct bpf_map *ro = bpf_object__find_map_by_name(obj, ".rodata");
	size_t sz = 0;
	void *p = ro ? bpf_map__initial_value(ro, &sz) : NULL;

	if (!p || sz < need) {
		fprintf(stderr, "%s: %s has no .rodata settings\n", tool, objpath);
		return NULL;
	}
	return p;
}

/* Loads the object and attaches each program (at most max links, counted
 * in *n, which the caller destroys).  0, or -1 after a message. */
static inline int tool_load_attach(const char *tool, struct bpf_object *obj, const char *objpath,
				   struct bpf_link **links, size_t max, size_t *n)
{
	struct bpf_program *prog;

	if (bpf_object__load(obj)) {
		fprintf(stderr, "%s: loading %s failed\n", tool, objpath);
		return -1;
	}
	bpf_object__for_each_program(prog, obj) {
		struct bpf_link *l = *n < max ? bpf_program__attach(prog) : NULL;

		if (libbpf_get_error(l) || !l) {
			fprintf(stderr, "%s: attaching %s failed\n", tool, bpf_program__name(prog));
			return -1;
		}
		links[(*n)++] = l;
	}
	return 0;
}

#endif
