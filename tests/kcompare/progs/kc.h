/* kc.h - what the kcompare programs share: libbpf's headers, and the
 * packet layout of the test frames (an Ethernet header, then IPv4). */
#ifndef KC_H
#define KC_H
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define KC_ARRAY(name, n, vtype)                                               \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_ARRAY);                              \
		__uint(max_entries, n);                                        \
		__type(key, __u32);                                            \
		__type(value, vtype);                                          \
	} name SEC(".maps")

/* The frame's first bytes, checked against data_end; NULL when shorter. */
static __always_inline unsigned char *kc_pkt(struct xdp_md *ctx, unsigned int need)
{
	unsigned char *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;

	if (d + need > e)
		return 0;
	return d;
}

/* IPv4 fields of the frames (offsets from the frame's start) */
#define KC_IP_PROTO 23
#define KC_IP_SRC 26
#define KC_IP_DST 30
#define KC_PAYLOAD 34
#define KC_MIN 64	/* every test frame is at least this long */
#endif
