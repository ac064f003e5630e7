/* SPDX-License-Identifier: MIT */
/*
 * sec_def.c - SEC names to program types, as libbpf maps them.
 *
 * The table is data: a SEC prefix, whether the prefix must be followed by
 * '/' (or end the name), and libbpf's name for the program type.  The hook
 * providers register the program types themselves; this table only says
 * which type a section asks for.
 */
#include <string.h>
#include "object/object_internal.h"

struct sec_def {
	const char *prefix;
	const char *type;	/* libbpf_bpf_prog_type_str() spelling */
};

/* Order matters: the first prefix that matches wins, so longer prefixes
 * come before shorter ones that start the same way. */
static const struct sec_def sec_defs[] = {
	{ "socket", "socket_filter" },
	{ "sk_reuseport/migrate", "sk_reuseport" },
	{ "sk_reuseport", "sk_reuseport" },
	{ "kprobe.multi", "kprobe" },
	{ "kretprobe.multi", "kprobe" },
	{ "uprobe.multi", "kprobe" },
	{ "uretprobe.multi", "kprobe" },
	{ "kprobe", "kprobe" },
	{ "kretprobe", "kprobe" },
	{ "uprobe.s", "kprobe" },
	{ "uprobe", "kprobe" },
	{ "uretprobe.s", "kprobe" },
	{ "uretprobe", "kprobe" },
	{ "ksyscall", "kprobe" },
	{ "kretsyscall", "kprobe" },
	{ "usdt", "kprobe" },
	{ "tc/ingress", "sched_cls" },
	{ "tc/egress", "sched_cls" },
	{ "tcx/ingress", "sched_cls" },
	{ "tcx/egress", "sched_cls" },
	{ "tc", "sched_cls" },
	{ "classifier", "sched_cls" },
	{ "action", "sched_act" },
	{ "tracepoint", "tracepoint" },
	{ "tp", "tracepoint" },
	{ "raw_tracepoint.w", "raw_tracepoint_writable" },
	{ "raw_tp.w", "raw_tracepoint_writable" },
	{ "raw_tracepoint", "raw_tracepoint" },
	{ "raw_tp", "raw_tracepoint" },
	{ "tp_btf", "tracing" },
	{ "fentry.s", "tracing" },
	{ "fmod_ret.s", "tracing" },
	{ "fexit.s", "tracing" },
	{ "fentry", "tracing" },
	{ "fmod_ret", "tracing" },
	{ "fexit", "tracing" },
	{ "iter.s", "tracing" },
	{ "iter", "tracing" },
	{ "freplace", "ext" },
	{ "lsm.s", "lsm" },
	{ "lsm_cgroup", "lsm" },
	{ "lsm", "lsm" },
	{ "xdp.frags/devmap", "xdp" },
	{ "xdp/devmap", "xdp" },
	{ "xdp.frags/cpumap", "xdp" },
	{ "xdp/cpumap", "xdp" },
	{ "xdp.frags", "xdp" },
	{ "xdp", "xdp" },
	{ "perf_event", "perf_event" },
	{ "lwt_in", "lwt_in" },
	{ "lwt_out", "lwt_out" },
	{ "lwt_xmit", "lwt_xmit" },
	{ "lwt_seg6local", "lwt_seg6local" },
	{ "sockops", "sock_ops" },
	{ "sk_skb/stream_parser", "sk_skb" },
	{ "sk_skb/stream_verdict", "sk_skb" },
	{ "sk_skb", "sk_skb" },
	{ "sk_msg", "sk_msg" },
	{ "lirc_mode2", "lirc_mode2" },
	{ "flow_dissector", "flow_dissector" },
	{ "cgroup_skb/ingress", "cgroup_skb" },
	{ "cgroup_skb/egress", "cgroup_skb" },
	{ "cgroup/skb", "cgroup_skb" },
	{ "cgroup/sock_create", "cgroup_sock" },
	{ "cgroup/sock_release", "cgroup_sock" },
	{ "cgroup/sock", "cgroup_sock" },
	{ "cgroup/post_bind4", "cgroup_sock" },
	{ "cgroup/post_bind6", "cgroup_sock" },
	{ "cgroup/dev", "cgroup_device" },
	{ "cgroup/sysctl", "cgroup_sysctl" },
	{ "cgroup/getsockopt", "cgroup_sockopt" },
	{ "cgroup/setsockopt", "cgroup_sockopt" },
	{ "cgroup", "cgroup_sock_addr" },
	{ "struct_ops.s", "struct_ops" },
	{ "struct_ops", "struct_ops" },
	{ "sk_lookup", "sk_lookup" },
	{ "syscall", "syscall" },
	{ "netfilter", "netfilter" },
};

const char *ub_sec_prog_type(const char *sec)
{
	for (size_t i = 0; i < sizeof(sec_defs) / sizeof(sec_defs[0]); i++) {
		size_t n = strlen(sec_defs[i].prefix);

		/* A prefix matches the whole name or up to a '/' (libbpf's
		 * SEC_DEF rule), and "cgroup" also takes "cgroup/connect4"
		 * and the like. */
		if (strncmp(sec, sec_defs[i].prefix, n) == 0 &&
		    (sec[n] == '\0' || sec[n] == '/'))
			return sec_defs[i].type;
	}
	return NULL;
}

const char *userbpf_sec_prog_type(const char *sec)
{
	return sec ? ub_sec_prog_type(sec) : NULL;
}
