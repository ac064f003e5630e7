/* SPDX-License-Identifier: MIT */
/*
 * bpf/libbpf.h - userbpf's libbpf-compatible API: the object, program,
 * map, link, ring buffer and perf buffer calls of libbpf, with libbpf's
 * names, arguments and error conventions (pointers: NULL with errno set,
 * which libbpf_get_error() reads; ints: 0 or a negative errno).
 *
 * Behind it is one userbpf runtime per process, created on first use;
 * messages reach libbpf_set_print()'s callback.  See include/userbpf for
 * the embedding API, which has no process-wide state.
 */
#ifndef USERBPF_COMPAT_LIBBPF_H
#define USERBPF_COMPAT_LIBBPF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "bpf.h"

#ifdef __cplusplus
extern "C" {
#endif

enum libbpf_print_level {
	LIBBPF_WARN,
	LIBBPF_INFO,
	LIBBPF_DEBUG,
};
typedef int (*libbpf_print_fn_t)(enum libbpf_print_level level, const char *, va_list ap);
LIBBPF_API libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t fn);
LIBBPF_API long libbpf_get_error(const void *ptr);
LIBBPF_API int libbpf_strerror(int err, char *buf, size_t size);

struct bpf_object;
struct bpf_program;
struct bpf_map;
struct bpf_link;

struct bpf_object_open_opts {
	size_t sz;
	const char *object_name;
	bool relaxed_maps;
	const char *pin_root_path;
};

LIBBPF_API struct bpf_object *bpf_object__open(const char *path);
LIBBPF_API struct bpf_object *bpf_object__open_file(const char *path,
						     const struct bpf_object_open_opts *opts);
LIBBPF_API struct bpf_object *bpf_object__open_mem(const void *obj_buf, size_t obj_buf_sz,
						    const struct bpf_object_open_opts *opts);
LIBBPF_API int bpf_object__load(struct bpf_object *obj);
LIBBPF_API void bpf_object__close(struct bpf_object *obj);
LIBBPF_API const char *bpf_object__name(const struct bpf_object *obj);
LIBBPF_API struct bpf_program *bpf_object__find_program_by_name(const struct bpf_object *obj,
								const char *name);
LIBBPF_API struct bpf_map *bpf_object__find_map_by_name(const struct bpf_object *obj,
							const char *name);
LIBBPF_API int bpf_object__find_map_fd_by_name(const struct bpf_object *obj, const char *name);
LIBBPF_API struct bpf_program *bpf_object__next_program(const struct bpf_object *obj,
							struct bpf_program *prog);
LIBBPF_API struct bpf_map *bpf_object__next_map(const struct bpf_object *obj,
						const struct bpf_map *map);
LIBBPF_API int bpf_object__pin_maps(struct bpf_object *obj, const char *path);

#define bpf_object__for_each_program(pos, obj)                                 \
	for ((pos) = bpf_object__next_program((obj), NULL); (pos) != NULL;     \
	     (pos) = bpf_object__next_program((obj), (pos)))
#define bpf_object__for_each_map(pos, obj)                                     \
	for ((pos) = bpf_object__next_map((obj), NULL); (pos) != NULL;         \
	     (pos) = bpf_object__next_map((obj), (pos)))

/* Program types by Linux's numbers (enum bpf_prog_type). */
LIBBPF_API int bpf_program__fd(const struct bpf_program *prog);
LIBBPF_API const char *bpf_program__name(const struct bpf_program *prog);
LIBBPF_API const char *bpf_program__section_name(const struct bpf_program *prog);
LIBBPF_API int bpf_program__set_type(struct bpf_program *prog, int type);
LIBBPF_API int bpf_program__type(const struct bpf_program *prog);
LIBBPF_API int bpf_program__set_flags(struct bpf_program *prog, __u32 flags);
LIBBPF_API __u32 bpf_program__flags(const struct bpf_program *prog);
LIBBPF_API int bpf_program__set_autoload(struct bpf_program *prog, bool autoload);
LIBBPF_API bool bpf_program__autoload(const struct bpf_program *prog);
LIBBPF_API struct bpf_link *bpf_program__attach(const struct bpf_program *prog);
LIBBPF_API struct bpf_link *bpf_program__attach_tracepoint(const struct bpf_program *prog,
							   const char *tp_category,
							   const char *tp_name);

LIBBPF_API int bpf_link__destroy(struct bpf_link *link);
LIBBPF_API int bpf_link__pin(struct bpf_link *link, const char *path);
LIBBPF_API int bpf_link__fd(const struct bpf_link *link);

LIBBPF_API int bpf_map__fd(const struct bpf_map *map);
LIBBPF_API const char *bpf_map__name(const struct bpf_map *map);
LIBBPF_API int bpf_map__type(const struct bpf_map *map);
LIBBPF_API __u32 bpf_map__key_size(const struct bpf_map *map);
LIBBPF_API __u32 bpf_map__value_size(const struct bpf_map *map);
LIBBPF_API __u32 bpf_map__max_entries(const struct bpf_map *map);
LIBBPF_API int bpf_map__lookup_elem(const struct bpf_map *map, const void *key, size_t key_sz,
				    void *value, size_t value_sz, __u64 flags);
LIBBPF_API int bpf_map__update_elem(const struct bpf_map *map, const void *key, size_t key_sz,
				    const void *value, size_t value_sz, __u64 flags);
LIBBPF_API int bpf_map__delete_elem(const struct bpf_map *map, const void *key, size_t key_sz,
				    __u64 flags);
LIBBPF_API int bpf_map__get_next_key(const struct bpf_map *map, const void *cur_key,
				     void *next_key, size_t key_sz);
LIBBPF_API void *bpf_map__initial_value(struct bpf_map *map, size_t *psize);

/* Ring buffers (BPF_MAP_TYPE_RINGBUF). */
struct ring_buffer;
typedef int (*ring_buffer_sample_fn)(void *ctx, void *data, size_t size);
struct ring_buffer_opts {
	size_t sz;
};
LIBBPF_API struct ring_buffer *ring_buffer__new(int map_fd, ring_buffer_sample_fn sample_cb,
						void *ctx, const struct ring_buffer_opts *opts);
LIBBPF_API void ring_buffer__free(struct ring_buffer *rb);
LIBBPF_API int ring_buffer__add(struct ring_buffer *rb, int map_fd,
				ring_buffer_sample_fn sample_cb, void *ctx);
LIBBPF_API int ring_buffer__poll(struct ring_buffer *rb, int timeout_ms);
LIBBPF_API int ring_buffer__consume(struct ring_buffer *rb);
LIBBPF_API int ring_buffer__epoll_fd(const struct ring_buffer *rb);

/* Perf buffers (BPF_MAP_TYPE_PERF_EVENT_ARRAY). */
struct perf_buffer;
typedef void (*perf_buffer_sample_fn)(void *ctx, int cpu, void *data, __u32 size);
typedef void (*perf_buffer_lost_fn)(void *ctx, int cpu, __u64 cnt);
struct perf_buffer_opts {
	size_t sz;
};
LIBBPF_API struct perf_buffer *perf_buffer__new(int map_fd, size_t page_cnt,
						perf_buffer_sample_fn sample_cb,
						perf_buffer_lost_fn lost_cb, void *ctx,
						const struct perf_buffer_opts *opts);
LIBBPF_API void perf_buffer__free(struct perf_buffer *pb);
LIBBPF_API int perf_buffer__poll(struct perf_buffer *pb, int timeout_ms);
LIBBPF_API int perf_buffer__consume(struct perf_buffer *pb);
LIBBPF_API int perf_buffer__epoll_fd(const struct perf_buffer *pb);

/* userbpf's own: the runtime behind this API (for mixing in the embedding
 * API), and the file the bpf_trace_printk stream of attached programs
 * goes to (what /sys/kernel/tracing/trace_pipe is on Linux). */
struct userbpf_rt;
LIBBPF_API struct userbpf_rt *libbpf_userbpf_rt(void);

#ifdef __cplusplus
}
#endif
#endif
