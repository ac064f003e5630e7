/* perf.bpf.c - PERF_EVENT_ARRAY's storage as both sides agree on it: the
 * map loads, and bpf_perf_event_output's refusals (an index past the
 * end, unknown flags, a frame length past the frame) are the same.  (Output to a slot Linux holds no
 * perf event in answers -ENOENT there; userbpf's map owns its rings and
 * accepts it: not compared, see ARCHITECTURE.md.) */
#include "kc.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pe SEC(".maps");

KC_ARRAY(res, 4, __s64);

static __always_inline void put(__u32 i, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&res, &i);

	if (p)
		*p = v;
}

SEC("xdp")
int kc_perf(struct xdp_md *ctx)
{
	__u64 v = 0x1122334455667788ull;

	put(0, bpf_perf_event_output(ctx, &pe, 4, &v, sizeof(v)));	/* -E2BIG */
	put(1, bpf_perf_event_output(ctx, &pe, 1ull << 60, &v, sizeof(v))); /* -EINVAL */
	put(2, bpf_perf_event_output(ctx, &pe, 0x80000000ull, &v, sizeof(v))); /* -E2BIG */
	/* XDP: the upper 32 bits ask for that many bytes of the frame too;
	 * more than the frame has is -EFAULT, before the index is looked at */
	put(3, bpf_perf_event_output(ctx, &pe, (1000ull << 32) | 4, &v, sizeof(v)));
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
