/* skb.bpf.c - tc (BPF_PROG_TYPE_SCHED_CLS) on a __sk_buff: the fields a
 * test run sets, direct packet reads and a write through data/data_end,
 * and the return value as TC_ACT_*.  (bpf_skb_load_bytes is not among
 * userbpf's helpers yet.) */
#include "kc.h"

KC_ARRAY(f, 16, __u64);

static __always_inline void put(__u32 i, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&f, &i);

	if (p)
		*p = v;
}

SEC("tc")
int kc_tc(struct __sk_buff *skb)
{
	unsigned char *d = (void *)(long)skb->data, *e = (void *)(long)skb->data_end;
	__u8 buf[4];

	put(0, skb->len);
	put(1, skb->protocol);
	put(2, skb->pkt_type);
	put(3, skb->data_end - skb->data);
	put(4, skb->mark);
	put(5, skb->priority);
	put(6, skb->vlan_present);
	put(7, skb->tc_index);
	put(8, skb->wire_len);
	put(9, skb->gso_segs);
	put(10, skb->ingress_ifindex);
	put(11, skb->ifindex);
	if (d + KC_MIN > e)
		return 2;	/* TC_ACT_SHOT */
	__builtin_memcpy(buf, d + KC_IP_DST, 4);
	put(12, buf[0] | buf[3] << 8);
	d[KC_PAYLOAD] ^= 0xff;	/* comes back in data_out */
	skb->mark = d[KC_IP_DST + 3];
	put(13, skb->mark);
	return d[KC_IP_DST + 3] & 1;	/* TC_ACT_OK or TC_ACT_RECLASSIFY */
}

char LICENSE[] SEC("license") = "GPL";
