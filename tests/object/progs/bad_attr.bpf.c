/* SPDX-License-Identifier: MIT */
/* bad_attr.bpf.c - a BTF map definition with an attribute nobody knows:
 * refused, naming the map and the attribute (libbpf is strict too). */
#include "bpf_defs.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 4);
	__uint(max_entries, 1);
	__uint(colour, 7);
} odd SEC(".maps");

SEC("xdp")
int f(void *ctx)
{
	return 0;
}
