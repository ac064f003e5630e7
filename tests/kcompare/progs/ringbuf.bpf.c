/* ringbuf.bpf.c - RINGBUF: output, reserve+submit, reserve+discard, a
 * reservation too large for the ring, and ringbuf_query's four answers
 * (kept in `q`); a consumer then reads what was submitted. */
#include "kc.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

KC_ARRAY(q, 8, __s64);

struct ev {
	__u32 seq;
	__u8 dst[4];
	__u64 len;
};

static __always_inline void put(__u32 i, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&q, &i);

	if (p)
		*p = v;
}

SEC("xdp")
int kc_ring(struct xdp_md *ctx)
{
	unsigned char *d = kc_pkt(ctx, KC_MIN);
	struct ev *e;
	__u8 copy[13];
	__u32 k = 7;
	__s64 *seq;

	if (!d)
		return 0;
	seq = bpf_map_lookup_elem(&q, &k);
	if (!seq)
		return 0;
	*seq += 1;
	/* helpers may not read the packet: a copy on the stack */
	__builtin_memcpy(copy, d + KC_PAYLOAD, 13);
	put(0, bpf_ringbuf_output(&rb, copy, 13, 0));
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (e) {
		e->seq = *seq;
		__builtin_memcpy(e->dst, d + KC_IP_DST, 4);
		e->len = ctx->data_end - ctx->data;
		bpf_ringbuf_submit(e, 0);
	}
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (e) {
		e->seq = 0xdead;
		bpf_ringbuf_discard(e, 0);
	}
	e = bpf_ringbuf_reserve(&rb, 8192, 0);		/* too large: NULL */
	put(1, e != 0);
	if (e)
		bpf_ringbuf_discard(e, 0);
	put(2, bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA));
	put(3, bpf_ringbuf_query(&rb, BPF_RB_RING_SIZE));
	put(4, bpf_ringbuf_query(&rb, BPF_RB_CONS_POS));
	put(5, bpf_ringbuf_query(&rb, BPF_RB_PROD_POS));
	return bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) & 0xffff;
}

char LICENSE[] SEC("license") = "GPL";
