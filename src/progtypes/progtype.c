/* SPDX-License-Identifier: MIT */
/*
 * progtype.c - the registry of program types, and BPF_PROG_TEST_RUN.
 *
 * The runtime keeps a copy of each registered struct userbpf_prog_type
 * (so a provider's descriptor may live on its stack); programs point to
 * the copy.  A test run lays out [64-byte header | context] and, for
 * packet types, a packet buffer below 4 GiB (platform), asks the type's
 * builder to fill the context, then runs the program `repeat` times.
 */
#include <errno.h>
#include <string.h>
#include "exec/exec_internal.h"
#include "platform/platform.h"
#include "progtypes/progtypes.h"

#define TEST_HEADROOM 256	/* XDP_PACKET_HEADROOM */
#define TEST_TAILROOM 64

struct ub_prog_types {
	struct userbpf_prog_type **types;	/* owned copies */
	size_t cnt, cap;
};

void ub_progtypes_free(struct userbpf_rt *rt)
{
	struct ub_prog_types *pt = rt->prog_types;

	if (!pt)
		return;
	for (size_t i = 0; i < pt->cnt; i++)
		ub_free(rt, pt->types[i]);
	ub_free(rt, pt->types);
	ub_free(rt, pt);
	rt->prog_types = NULL;
}

int userbpf_rt__register_prog_type(struct userbpf_rt *rt, const struct userbpf_prog_type *t)
{
	struct ub_prog_types *pt;
	struct userbpf_prog_type *copy;
	size_t n;

	if (!rt || !t)
		return ub_err(-EINVAL);
	if (t->version >> 16 != USERBPF_PROG_TYPE_VERSION_MAJOR) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "program type '%s': built for interface version %u.%u, this runtime speaks %u.%u",
		       t->size >= offsetof(struct userbpf_prog_type, name) + sizeof(t->name) &&
				       t->name ? t->name : "?",
		       t->version >> 16, t->version & 0xffff, USERBPF_PROG_TYPE_VERSION_MAJOR,
		       USERBPF_PROG_TYPE_VERSION_MINOR);
		return ub_err(-EPROTO);
	}
	if (t->size < offsetof(struct userbpf_prog_type, ctx_fields) || !t->name || !t->name[0]) {
		ub_log(rt, USERBPF_LOG_WARN, "program type: descriptor of %u bytes without a name",
		       t->size);
		return ub_err(-EINVAL);
	}
	if (userbpf_rt__prog_type(rt, t->name)) {
		ub_log(rt, USERBPF_LOG_WARN, "program type '%s' is registered already", t->name);
		return ub_err(-EEXIST);
	}
	if (!rt->prog_types) {
		rt->prog_types = ub_calloc(rt, 1, sizeof(struct ub_prog_types));
		if (!rt->prog_types)
			return ub_err(-ENOMEM);
	}
	pt = rt->prog_types;
	if (pt->cnt == pt->cap) {
		size_t cap = pt->cap ? pt->cap * 2 : 16;
		struct userbpf_prog_type **a = ub_calloc(rt, cap, sizeof(*a));

		if (!a)
			return ub_err(-ENOMEM);
		if (pt->cnt)
			memcpy(a, pt->types, pt->cnt * sizeof(*a));
		ub_free(rt, pt->types);
		pt->types = a;
		pt->cap = cap;
	}
	copy = ub_calloc(rt, 1, sizeof(*copy));
	if (!copy)
		return ub_err(-ENOMEM);
	n = t->size < sizeof(*copy) ? t->size : sizeof(*copy);
	memcpy(copy, t, n);
	copy->size = sizeof(*copy);
	if (copy->ctx_field_cnt && !copy->ctx_fields) {
		ub_free(rt, copy);
		return ub_err(-EINVAL);
	}
	pt->types[pt->cnt++] = copy;
	return 0;
}

const struct userbpf_prog_type *userbpf_rt__prog_type(const struct userbpf_rt *rt,
						      const char *name)
{
	const struct ub_prog_types *pt = rt ? rt->prog_types : NULL;

	for (size_t i = 0; pt && name && i < pt->cnt; i++)
		if (!strcmp(pt->types[i]->name, name))
			return pt->types[i];
	return NULL;
}

/* "xdp" matches "xdp" and "xdp/anything"; a prefix ending in '/' matches
 * any name that starts with it. */
static bool sec_matches(const char *prefix, const char *sec)
{
	size_t n = strlen(prefix);

	if (strncmp(prefix, sec, n))
		return false;
	return n && (prefix[n - 1] == '/' || sec[n] == 0 || sec[n] == '/');
}

const struct userbpf_prog_type *userbpf_rt__prog_type_for_sec(const struct userbpf_rt *rt,
							      const char *sec)
{
	const struct ub_prog_types *pt = rt ? rt->prog_types : NULL;

	for (size_t i = 0; pt && sec && i < pt->cnt; i++)
		for (const char *const *p = pt->types[i]->sec_prefixes; p && *p; p++)
			if (sec_matches(*p, sec))
				return pt->types[i];
	return NULL;
}

const struct userbpf_prog_type *userbpf_prog__type(const struct userbpf_prog *prog)
{
	return prog ? prog->type : NULL;
}

bool ub_progtype_allows_helper(const struct userbpf_prog_type *t, uint32_t id)
{
	if (!t || !t->helpers)
		return true;
	for (size_t i = 0; i < t->helper_cnt; i++)
		if (t->helpers[i] == id)
			return true;
	return false;
}

static bool has_packet(const struct userbpf_prog_type *t)
{
	for (size_t i = 0; i < t->ctx_field_cnt; i++)
		if (t->ctx_fields[i].flags & USERBPF_CTX_DATA)
			return true;
	return t->test_ctx != NULL;
}

int userbpf_prog__test_run(struct userbpf_prog *prog, struct userbpf_test_run_opts *o)
{
	const struct userbpf_prog_type *t;
	struct userbpf_rt *rt;
	struct userbpf_test_ctx tc;
	struct userbpf_ctx_header *hdr;
	struct userbpf_run_opts ro;
	uint8_t *ctxmem = NULL, *pkt = NULL;
	size_t pkt_cap = 0, ctx_size;
	uint32_t repeat;
	uint64_t r0 = 0, elapsed = 0;
	int err;

	if (!prog || !o || o->sz < offsetof(struct userbpf_test_run_opts, duration_ns))
		return ub_err(-EINVAL);
	rt = prog->rt;
	t = prog->type;
	if (!t) {
		ub_log(rt, USERBPF_LOG_WARN, "prog '%s': a test run needs a program type", prog->name);
		return ub_err(-EINVAL);
	}
	if ((o->data_size_in && !o->data_in) || (o->ctx_size_in && !o->ctx_in))
		return ub_err(-EINVAL);
	ctx_size = t->ctx_size;
	if (t->linux_type == 31 && prog->trusted && o->ctx_size_in < prog->max_ctx_end) {
		/* BPF_PROG_TYPE_SYSCALL: Linux's bpf_prog_test_run_syscall
		 * refuses a ctx_in short of the furthest byte the verifier saw
		 * the program touch (max_ctx_offset) */
		ub_log(rt, USERBPF_LOG_WARN,
		       "prog '%s': ctx_in of %zu bytes, the program reads and writes %u",
		       prog->name, o->ctx_size_in, prog->max_ctx_end);
		return ub_err(-EINVAL);
	}
	if (!t->test_ctx && o->ctx_size_in > ctx_size)
		ctx_size = o->ctx_size_in;
	if (o->ctx_size_in > ctx_size) {
		ub_log(rt, USERBPF_LOG_WARN, "prog '%s': ctx_in of %zu bytes, the %s context has %u",
		       prog->name, o->ctx_size_in, t->name, t->ctx_size);
		return ub_err(-EINVAL);
	}
	err = -ENOMEM;
	ctxmem = ub_calloc(rt, 1, USERBPF_CTX_HEADER_SIZE + ctx_size + 8);
	if (!ctxmem)
		goto out;
	memset(&tc, 0, sizeof(tc));
	tc.ctx = ctxmem + USERBPF_CTX_HEADER_SIZE;
	tc.ctx_size = (uint32_t)ctx_size;
	tc.ctx_in = o->ctx_in;
	tc.ctx_in_len = o->ctx_size_in;
	if (has_packet(t)) {
		pkt_cap = TEST_HEADROOM + o->data_size_in + TEST_TAILROOM;
		pkt = ub_os_low_alloc(pkt_cap);
		if (!pkt) {
			ub_log(rt, USERBPF_LOG_WARN,
			       "prog '%s': no packet memory below 4 GiB for the %s context",
			       prog->name, t->name);
			goto out;
		}
		if (o->data_size_in)
			memcpy(pkt + TEST_HEADROOM, o->data_in, o->data_size_in);
		tc.data = pkt + TEST_HEADROOM;
		tc.data_len = o->data_size_in;
		tc.headroom = TEST_HEADROOM;
	}
	if (t->test_ctx) {
		err = t->test_ctx(t->user, &tc);
		if (err) {
			ub_log(rt, USERBPF_LOG_WARN, "prog '%s': the %s type cannot build a context: %s",
			       prog->name, t->name, userbpf_strerror(err));
			goto out;
		}
	} else if (o->ctx_size_in) {
		memcpy(tc.ctx, o->ctx_in, o->ctx_size_in);
	}
	hdr = (struct userbpf_ctx_header *)ctxmem;
	hdr->magic = USERBPF_CTX_MAGIC;
	hdr->load_flags = prog->prog_flags;
	memset(&ro, 0, sizeof(ro));
	ro.sz = sizeof(ro);
	ro.args[0] = (uint64_t)(uintptr_t)tc.ctx;
	ro.engine = o->engine;
	ro.pkt = tc.pkt;
	ro.pkt_len = tc.pkt_len;
	ro.ctx_has_header = true;
	{
		/* Checked runs may touch the context and the packet. */
		struct userbpf_region regs[2] = {
			{ tc.ctx, ctx_size, true },
			{ pkt, pkt_cap, true },
		};
		ro.regions = regs;
		ro.region_cnt = pkt ? 2 : 1;
		repeat = o->repeat ? o->repeat : 1;
		err = ub_prog_run_n(prog, &ro, UB_DISPATCH_GOTO, repeat, &r0, &elapsed);
		if (err)
			goto out;
	}
	o->retval = (uint32_t)r0;
	o->duration_ns = elapsed / repeat;
	if (o->data_out && pkt) {
		size_t n = tc.data_len < o->data_size_out ? tc.data_len : o->data_size_out;
		memcpy(o->data_out, tc.data, n);
	}
	if (pkt)
		o->data_size_out = tc.data_len;
	if (o->ctx_out) {
		size_t n = ctx_size < o->ctx_size_out ? ctx_size : o->ctx_size_out;

		ub_progtypes_ctx_out(t, tc.ctx, ctx_size);
		memcpy(o->ctx_out, tc.ctx, n);
		o->ctx_size_out = n;
	}
	err = 0;
out:
	if (pkt)
		ub_os_low_free(pkt, pkt_cap);
	ub_free(rt, ctxmem);
	return err ? ub_err(err) : 0;
}
