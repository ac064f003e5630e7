/* SPDX-License-Identifier: MIT */
/*
 * calls.c - helper calls by id, bpf-to-bpf calls (noinline static
 * functions, so the .text section holds subprograms), global data and
 * map-like pointers loaded with lddw, and a tail call.
 */
#include "common.h"

struct pair { u64 k, v; };

static u64 counter;
static struct pair table[4] = { { 1, 2 }, { 3, 4 } };
const char fmt[] = "value %llu\n";
char _license[] SEC("license") = "GPL";

static NOINLINE u64 mix(u64 a, u64 b, u64 c, u64 d, u64 e)
{
	return (a ^ (b << 1)) + (c * d) - e;
}

static NOINLINE int depth2(int x)
{
	if (x < 0)
		return -x;
	return x + (int)mix((u64)x, 2, 3, 4, 5);
}

SEC("tracepoint/syscalls/sys_enter_write")
int calls(volatile u64 *ctx)
{
	u64 t = bpf_ktime_get_ns();
	u32 r = bpf_get_prandom_u32();
	void *v = bpf_map_lookup_elem(table, &t);
	char local[] = "hi %d";

	if (!v)
		return depth2((int)r);
	counter += mix(t, r, ctx[0], ctx[1], (u64)v);
	bpf_map_update_elem(table, &t, &table[r & 3], 0);
	bpf_trace_printk(fmt, sizeof(fmt), counter);
	bpf_trace_printk(local, sizeof(local), r);
	bpf_tail_call((void *)ctx, table, r & 3);
	return depth2((int)t) + (int)table[ctx[2] & 3].v;
}
