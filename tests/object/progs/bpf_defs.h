/* SPDX-License-Identifier: MIT */
/*
 * bpf_defs.h - what the test programs need from <linux/bpf.h> and
 * libbpf's <bpf/bpf_helpers.h>, written out so the tests build with clang
 * alone.  The macros have libbpf's shapes, so the objects carry the same
 * BTF that a program built against libbpf carries.
 */
#ifndef UB_TEST_BPF_DEFS_H
#define UB_TEST_BPF_DEFS_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef int __s32;
typedef long long __s64;

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#define ___bpf_concat(a, b) a##b
#define ___bpf_cat(a, b) ___bpf_concat(a, b)
#define __ulong(name, val) enum { ___bpf_cat(__unique_value, __COUNTER__) = val } name

enum {
	BPF_MAP_TYPE_HASH = 1, BPF_MAP_TYPE_ARRAY = 2, BPF_MAP_TYPE_PROG_ARRAY = 3,
	BPF_MAP_TYPE_PERCPU_HASH = 5, BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9, BPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
	BPF_MAP_TYPE_LPM_TRIE = 11, BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
	BPF_MAP_TYPE_HASH_OF_MAPS = 13, BPF_MAP_TYPE_QUEUE = 22, BPF_MAP_TYPE_STACK = 23,
	BPF_MAP_TYPE_RINGBUF = 27, BPF_MAP_TYPE_BLOOM_FILTER = 30,
};
enum { BPF_F_NO_PREALLOC = 1, BPF_F_RDONLY_PROG = 1 << 7 };
enum { LIBBPF_PIN_NONE = 0, LIBBPF_PIN_BY_NAME = 1 };

struct bpf_spin_lock { __u32 val; };
struct xdp_md { __u32 data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex; };

/* The legacy map definition (libbpf < 1.0, "maps" section). */
struct bpf_map_def {
	unsigned int type, key_size, value_size, max_entries, map_flags;
};

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value,
				   __u64 flags) = (void *)2;
static long (*bpf_tail_call)(void *ctx, void *prog_array_map, __u32 index) = (void *)12;

#endif
