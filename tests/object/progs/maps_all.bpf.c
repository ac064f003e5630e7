/* SPDX-License-Identifier: MIT */
/*
 * maps_all.bpf.c - a BTF-defined map of every kind the loader must read,
 * most of which this build cannot create yet: the test checks the parsed
 * definitions (type, sizes from __uint and from types, flags, map_extra,
 * the inner template of the map-in-maps and their initial values).
 */
#include "bpf_defs.h"

struct key4 { __u32 saddr, daddr; __u16 sport, dport; };
struct lpm_key { __u32 prefixlen; __u8 addr[4]; };
struct big { __u64 a[5]; struct bpf_spin_lock lock; __u32 b; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct key4);
	__type(value, struct big);
	__uint(max_entries, 1024);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(key_size, 8);
	__uint(value_size, 16);
	__uint(max_entries, 64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 32);
} lru_pc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_key);
	__type(value, __u32);
	__uint(max_entries, 100);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__type(value, __u32);
	__uint(max_entries, 16);
} q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(value_size, 8);
	__uint(max_entries, 8);
} stk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 1000);
	__uint(map_extra, 3);
} bloom SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
};

struct inner in0 SEC(".maps"), in1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, struct inner);
} outer_arr SEC(".maps") = {
	.values = { [0] = &in0, [2] = &in1 },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__type(key, __u32);
		__type(value, __u32);
		__uint(max_entries, 10);
	});
} outer_hash SEC(".maps");

SEC("xdp")
int touch(void *ctx)
{
	__u32 k = 0;

	if (bpf_map_lookup_elem(&flows, &k) || bpf_map_lookup_elem(&outer_arr, &k) ||
	    bpf_map_lookup_elem(&routes, &k))
		return 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
