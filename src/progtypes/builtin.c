/* SPDX-License-Identifier: MIT */
/*
 * builtin.c - the program types userbpf ships, registered through the
 * public interface exactly as a host registers its own.
 *
 * Context layouts are Linux's uapi ones (struct xdp_md, struct __sk_buff,
 * trace event records, struct bpf_raw_tracepoint_args), so programs built
 * for Linux read the same offsets.  The packet pointers in xdp_md and
 * __sk_buff are 32-bit fields, which work because test runs and packet
 * hooks keep packets below 4 GiB.  Test runs build contexts as Linux's
 * BPF_PROG_TEST_RUN does: XDP sees the frame from its Ethernet header;
 * tc sees it too, with skb->protocol from the frame; a socket filter sees
 * the packet from its network header (LD_ABS offsets start there).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "progtypes/progtypes.h"

#define R USERBPF_CTX_READ
#define W USERBPF_CTX_WRITE
#define ETH_HLEN 14

/* ---- xdp -------------------------------------------------------------- */

static const struct userbpf_ctx_field xdp_fields[] = {
	{ 0, 4, USERBPF_CTX_DATA }, { 4, 4, USERBPF_CTX_DATA_END },
	{ 8, 4, USERBPF_CTX_DATA_META }, { 12, 4, R }, { 16, 4, R }, { 20, 4, R },
};

static int xdp_ctx(void *user, struct userbpf_test_ctx *t)
{
	uint32_t f[6] = { 0 };

	(void)user;
	if (t->data_len < ETH_HLEN)
		return -EINVAL;
	if (t->ctx_in) {
		/* Linux takes ingress_ifindex and rx_queue_index from ctx_in;
		 * data must be 0 and data_end the data size. */
		memcpy(f, t->ctx_in, t->ctx_in_len < sizeof(f) ? t->ctx_in_len : sizeof(f));
		if (f[0] != 0 || (f[1] && f[1] != t->data_len) || f[2] || f[5])
			return -EINVAL;
		/* a queue needs a device (xdp_convert_md_to_buff) */
		if (!f[3] && f[4])
			return -EINVAL;
	}
	f[0] = (uint32_t)(uintptr_t)t->data;
	f[1] = (uint32_t)(uintptr_t)(t->data + t->data_len);
	f[2] = f[0];
	memcpy(t->ctx, f, sizeof(f));
	return 0;
}

/* ---- __sk_buff: socket filters and tc --------------------------------- */

enum {
	SKB_LEN = 0, SKB_PKT_TYPE = 4, SKB_MARK = 8, SKB_QUEUE_MAPPING = 12, SKB_PROTOCOL = 16,
	SKB_VLAN_PRESENT = 20, SKB_VLAN_TCI = 24, SKB_VLAN_PROTO = 28, SKB_PRIORITY = 32,
	SKB_INGRESS_IFINDEX = 36, SKB_IFINDEX = 40, SKB_TC_INDEX = 44, SKB_CB = 48,
	SKB_HASH = 68, SKB_TC_CLASSID = 72, SKB_DATA = 76, SKB_DATA_END = 80, SKB_NAPI_ID = 84,
	SKB_DATA_META = 140, SKB_TSTAMP = 152, SKB_WIRE_LEN = 160, SKB_GSO_SEGS = 164,
	SKB_GSO_SIZE = 176, SKB_HWTSTAMP = 184, SKB_SIZE = 192,
};

static const struct userbpf_ctx_field sk_filter_fields[] = {
	{ SKB_LEN, 4, R }, { SKB_PKT_TYPE, 4, R }, { SKB_MARK, 4, R },
	{ SKB_QUEUE_MAPPING, 4, R }, { SKB_PROTOCOL, 4, R }, { SKB_VLAN_PRESENT, 4, R },
	{ SKB_VLAN_TCI, 4, R }, { SKB_VLAN_PROTO, 4, R }, { SKB_PRIORITY, 4, R },
	{ SKB_INGRESS_IFINDEX, 4, R }, { SKB_IFINDEX, 4, R }, { SKB_TC_INDEX, 4, R },
	{ SKB_CB, 20, R | W }, { SKB_HASH, 4, R }, { SKB_NAPI_ID, 4, R },
	{ SKB_TSTAMP, 8, R }, { SKB_WIRE_LEN, 4, R }, { SKB_GSO_SEGS, 4, R },
	{ SKB_GSO_SIZE, 4, R }, { SKB_HWTSTAMP, 8, R },
};

static const struct userbpf_ctx_field tc_fields[] = {
	{ SKB_LEN, 4, R }, { SKB_PKT_TYPE, 4, R }, { SKB_MARK, 4, R | W },
	{ SKB_QUEUE_MAPPING, 4, R | W }, { SKB_PROTOCOL, 4, R }, { SKB_VLAN_PRESENT, 4, R },
	{ SKB_VLAN_TCI, 4, R }, { SKB_VLAN_PROTO, 4, R }, { SKB_PRIORITY, 4, R | W },
	{ SKB_INGRESS_IFINDEX, 4, R }, { SKB_IFINDEX, 4, R }, { SKB_TC_INDEX, 4, R | W },
	{ SKB_CB, 20, R | W }, { SKB_HASH, 4, R }, { SKB_TC_CLASSID, 4, R | W },
	{ SKB_DATA, 4, USERBPF_CTX_DATA }, { SKB_DATA_END, 4, USERBPF_CTX_DATA_END },
	{ SKB_NAPI_ID, 4, R }, { SKB_DATA_META, 4, USERBPF_CTX_DATA_META },
	{ SKB_TSTAMP, 8, R | W }, { SKB_WIRE_LEN, 4, R }, { SKB_GSO_SEGS, 4, R },
	{ SKB_GSO_SIZE, 4, R }, { SKB_HWTSTAMP, 8, R },
};

/* The __sk_buff bytes a test run's ctx_in may set and that come back in
 * ctx_out (Linux's convert___skb_to_skb and convert_skb_to___skb: mark,
 * priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs,
 * gso_size, hwtstamp); ctx_in must hold zeros everywhere else. */
static const uint32_t skb_io[][2] = {
	{ SKB_MARK, SKB_MARK + 4 }, { SKB_PRIORITY, SKB_TC_INDEX }, { SKB_CB, SKB_HASH },
	{ SKB_TSTAMP, SKB_GSO_SEGS + 4 }, { SKB_GSO_SIZE, SKB_GSO_SIZE + 4 },
	{ SKB_HWTSTAMP, SKB_SIZE },
};

static bool skb_io_byte(size_t off)
{
	for (size_t i = 0; i < sizeof(skb_io) / sizeof(skb_io[0]); i++)
		if (off >= skb_io[i][0] && off < skb_io[i][1])
			return true;
	return false;
}

void ub_progtypes_ctx_out(const struct userbpf_prog_type *t, void *ctx, size_t size)
{
	if (t && t->linux_type == 6 && !strcmp(t->name, "xdp") && size >= 12) {
		/* xdp_convert_buff_to_md: data and data_end as offsets from
		 * data_meta, which comes back as ctx_in gave it (0) */
		uint32_t f[3];

		memcpy(f, ctx, sizeof(f));
		f[0] -= f[2];
		f[1] -= f[2];
		f[2] = 0;
		memcpy(ctx, f, sizeof(f));
		return;
	}
	if (!t || (t->linux_type != 1 && t->linux_type != 3 && t->linux_type != 4) ||
	    t->ctx_size != SKB_SIZE)
		return;
	for (size_t i = 0; i < size; i++)
		if (!skb_io_byte(i))
			((uint8_t *)ctx)[i] = 0;
}

static void put32(void *ctx, uint32_t off, uint32_t v)
{
	memcpy((uint8_t *)ctx + off, &v, 4);
}

/* ctx_in may set the fields Linux lets a test run set (skb_io), nothing
 * else; the pointers and len come from the packet. */
static int skb_ctx(struct userbpf_test_ctx *t, bool l2)
{
	uint32_t off = l2 ? 0 : ETH_HLEN;
	uint16_t proto = 0;

	if (t->data_len < ETH_HLEN)
		return -EINVAL;
	for (size_t i = 0; t->ctx_in && i < t->ctx_in_len; i++)
		if (((const uint8_t *)t->ctx_in)[i] && !(i < SKB_SIZE && skb_io_byte(i)))
			return -EINVAL;
	if (t->ctx_in)
		memcpy(t->ctx, t->ctx_in, t->ctx_in_len < SKB_SIZE ? t->ctx_in_len : SKB_SIZE);
	memcpy(&proto, t->data + 12, 2);	/* network order, as skb->protocol */
	put32(t->ctx, SKB_LEN, (uint32_t)(t->data_len - off));
	put32(t->ctx, SKB_PROTOCOL, proto);
	put32(t->ctx, SKB_DATA, (uint32_t)(uintptr_t)(t->data + off));
	put32(t->ctx, SKB_DATA_END, (uint32_t)(uintptr_t)(t->data + t->data_len));
	put32(t->ctx, SKB_DATA_META, (uint32_t)(uintptr_t)(t->data + off));
	/* eth_type_trans on the loopback device (address and broadcast
	 * 00:00:00:00:00:00): PACKET_HOST, _MULTICAST or _OTHERHOST */
	{
		static const uint8_t zero[6];
		uint32_t pt = !memcmp(t->data, zero, 6) ? 0 : (t->data[0] & 1) ? 2 : 3;

		put32(t->ctx, SKB_PKT_TYPE, pt);
	}
	/* Linux takes ingress_ifindex and wire_len from ctx_in only (a
	 * wire_len of 0 there means skb->len); the device is lo. */
	if (t->ctx_in) {
		uint32_t wl;

		memcpy(&wl, (const uint8_t *)t->ctx + SKB_WIRE_LEN, 4);
		if (!wl)
			put32(t->ctx, SKB_WIRE_LEN, (uint32_t)(t->data_len - off));
	}
	put32(t->ctx, SKB_IFINDEX, 1);
	t->pkt = t->data + off;
	t->pkt_len = t->data_len - off;
	return 0;
}

static int sk_filter_ctx(void *user, struct userbpf_test_ctx *t)
{
	int err;

	(void)user;
	err = skb_ctx(t, false);
	/* Linux hands back (data_out) the link-layer header of a non-L2
	 * program zeroed; the program never sees it */
	if (!err)
		memset(t->data, 0, ETH_HLEN);
	return err;
}

static int tc_ctx(void *user, struct userbpf_test_ctx *t)
{
	(void)user;
	return skb_ctx(t, true);
}

/* ---- tracing types: read-only records ---------------------------------- */

/* A syscall trace event: 8-byte common header, __syscall_nr, 6 args. */
static const struct userbpf_ctx_field tracepoint_fields[] = { { 0, 64, R } };
/* struct bpf_raw_tracepoint_args for sys_enter/sys_exit: regs, id/ret. */
/* BPF_PROG_TYPE_SYSCALL: the caller's bytes, up to 64 KiB as on Linux; a
 * test run gives the program that many bytes, ctx_in first. */
static const struct userbpf_ctx_field syscall_fields[] = { { 0, 65535, R | W } };
static const struct userbpf_ctx_field raw_tp_fields[] = { { 0, 16, R } };

static const char *const xdp_secs[] = { "xdp", "xdp.frags", NULL };
static const char *const sk_filter_secs[] = { "socket", NULL };
static const char *const tc_secs[] = { "tc", "classifier", "tcx/", "tc/", NULL };
static const char *const act_secs[] = { "action", NULL };
static const char *const tp_secs[] = { "tracepoint/", "tp/", NULL };
static const char *const raw_tp_secs[] = { "raw_tracepoint/", "raw_tp/", NULL };
static const char *const syscall_secs[] = { "syscall", NULL };

int ub_progtypes_install_builtin(struct userbpf_rt *rt)
{
	const struct userbpf_prog_type types[] = {
		{ .name = "socket_filter", .linux_type = 1, .sec_prefixes = sk_filter_secs,
		  .ctx_size = SKB_SIZE, .ctx_fields = sk_filter_fields,
		  .ctx_field_cnt = sizeof(sk_filter_fields) / sizeof(sk_filter_fields[0]),
		  .test_ctx = sk_filter_ctx },
		{ .name = "sched_cls", .linux_type = 3, .sec_prefixes = tc_secs,
		  .ctx_size = SKB_SIZE, .ctx_fields = tc_fields,
		  .ctx_field_cnt = sizeof(tc_fields) / sizeof(tc_fields[0]), .test_ctx = tc_ctx },
		{ .name = "sched_act", .linux_type = 4, .sec_prefixes = act_secs,
		  .ctx_size = SKB_SIZE, .ctx_fields = tc_fields,
		  .ctx_field_cnt = sizeof(tc_fields) / sizeof(tc_fields[0]), .test_ctx = tc_ctx },
		{ .name = "tracepoint", .linux_type = 5, .sec_prefixes = tp_secs, .ctx_size = 64,
		  .ctx_fields = tracepoint_fields, .ctx_field_cnt = 1 },
		{ .name = "xdp", .linux_type = 6, .sec_prefixes = xdp_secs, .ctx_size = 24,
		  .ctx_fields = xdp_fields,
		  .ctx_field_cnt = sizeof(xdp_fields) / sizeof(xdp_fields[0]), .test_ctx = xdp_ctx },
		{ .name = "raw_tracepoint", .linux_type = 17, .sec_prefixes = raw_tp_secs,
		  .ctx_size = 16, .ctx_fields = raw_tp_fields, .ctx_field_cnt = 1 },
		{ .name = "syscall", .linux_type = 31, .sec_prefixes = syscall_secs,
		  .ctx_size = 65535, .ctx_fields = syscall_fields, .ctx_field_cnt = 1 },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct userbpf_prog_type t = types[i];
		int err;

		t.version = USERBPF_PROG_TYPE_VERSION;
		t.size = sizeof(t);
		err = userbpf_rt__register_prog_type(rt, &t);
		if (err)
			return -errno;
	}
	return 0;
}
