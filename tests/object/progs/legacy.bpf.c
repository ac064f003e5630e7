/* SPDX-License-Identifier: MIT */
/*
 * legacy.bpf.c - maps defined the old way, as struct bpf_map_def in the
 * "maps" section (libbpf before 1.0, iproute2), next to a BTF-defined one.
 */
#include "bpf_defs.h"

struct bpf_map_def SEC("maps") old_counts = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 8,
};

struct bpf_map_def SEC("maps") old_pc = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = 16,
	.max_entries = 2,
	.map_flags = 0,
};

SEC("socket")
int legacy_count(__u32 *ctx)
{
	__u32 k = *ctx & 7;
	__u64 *v = bpf_map_lookup_elem(&old_counts, &k);

	if (!v)
		return -1;
	*v += 2;
	return (int)*v;
}

char LICENSE[] SEC("license") = "GPL";
