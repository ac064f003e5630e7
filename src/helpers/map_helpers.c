/* SPDX-License-Identifier: MIT */
/*
 * map_helpers.c - the helpers programs use to reach maps, and those that
 * call back into the program: map_lookup/update/delete_elem, push, pop,
 * peek, tail_call through a PROG_ARRAY, bpf_loop, for_each_map_elem,
 * spin_lock/unlock, and the event helpers: ringbuf_output/reserve/submit/
 * discard/query and perf_event_output.
 *
 * A verified program (c->fast) hands these helpers pointers the verifier
 * has typed.  A program running in checked mode has proved nothing, so
 * every map pointer is looked up in the runtime's id table and every
 * key/value pointer is bounded to memory the run may touch; a bad one
 * aborts the run.  A value a lookup returns becomes reachable for the rest
 * of the run (userbpf_call__allow).
 */
#include <errno.h>
#include <string.h>
#include "exec/exec_internal.h"
#include "helpers/helpers_internal.h"
#include "maps/map.h"

bool ub_helper_mem_ok(struct userbpf_call *c, uint64_t addr, size_t size, bool write)
{
	if (c->fast)
		return true;
	if (size == 0)
		return true;
	if (addr + size < addr)
		return false;
	if (c->stack_lo && addr >= (uint64_t)(uintptr_t)c->stack_lo &&
	    addr + size <= (uint64_t)(uintptr_t)c->stack_hi)
		return true;
	return ub_call_mem_ok(c, addr, size, write);
}

struct userbpf_map *ub_helper_map(struct userbpf_call *c, uint64_t r)
{
	struct userbpf_map *m = (struct userbpf_map *)(uintptr_t)r;

	if (c->fast || ub_rt_id_has(c->rt, UB_OBJ_MAP, m))
		return m;
	userbpf_call__abort(c, -EINVAL, "the map argument is not a map");
	return NULL;
}

static bool arg_ok(struct userbpf_call *c, uint64_t addr, size_t size, bool write,
		   const char *what)
{
	if (ub_helper_mem_ok(c, addr, size, write))
		return true;
	userbpf_call__abort(c, -EFAULT, what);
	return false;
}

static bool is_map_of_maps(const struct userbpf_map *m)
{
	return m->def.type == UB_MAP_ARRAY_OF_MAPS || m->def.type == UB_MAP_HASH_OF_MAPS;
}

static uint64_t h_map_lookup_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				  uint64_t r5, struct userbpf_call *c)
{
	struct userbpf_map *m = ub_helper_map(c, r1);
	void *v;

	(void)r3; (void)r4; (void)r5;
	if (!m || !arg_ok(c, r2, m->def.key_size, false, "the key lies outside the program's memory"))
		return 0;
	if (!m->ops->lookup)
		return 0;
	v = m->ops->lookup(m, (const void *)(uintptr_t)r2);
	if (v && !c->fast && !is_map_of_maps(m) &&
	    !ub_call_mem_ok(c, (uint64_t)(uintptr_t)v, m->def.value_size, true) &&
	    userbpf_call__allow(c, v, m->def.value_size,
				!(m->def.map_flags & UB_F_RDONLY_PROG)))
		return 0;
	return (uint64_t)(uintptr_t)v;
}

static uint64_t h_map_update_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				  uint64_t r5, struct userbpf_call *c)
{
	struct userbpf_map *m = ub_helper_map(c, r1);

	(void)r5;
	if (!m || !arg_ok(c, r2, m->def.key_size, false, "the key lies outside the program's memory") ||
	    !arg_ok(c, r3, m->def.value_size, false, "the value lies outside the program's memory"))
		return (uint64_t)-EFAULT;
	if (!m->ops->update || is_map_of_maps(m))
		return (uint64_t)-EINVAL;
	/* BPF_F_LOCK names the value's bpf_spin_lock: none, no update (as
	 * Linux; the map would take a "lock" at offset -1). */
	if ((r4 & UB_F_LOCK) && m->def.spin_lock_off < 0)
		return (uint64_t)-EINVAL;
	return (uint64_t)m->ops->update(m, (const void *)(uintptr_t)r2,
					(const void *)(uintptr_t)r3, r4);
}

static uint64_t h_map_delete_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				  uint64_t r5, struct userbpf_call *c)
{
	struct userbpf_map *m = ub_helper_map(c, r1);

	(void)r3; (void)r4; (void)r5;
	if (!m || !arg_ok(c, r2, m->def.key_size, false, "the key lies outside the program's memory"))
		return (uint64_t)-EFAULT;
	if (!m->ops->delete || is_map_of_maps(m))
		return (uint64_t)-EINVAL;
	return (uint64_t)m->ops->delete(m, (const void *)(uintptr_t)r2);
}

static uint64_t h_map_push_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				uint64_t r5, struct userbpf_call *c)
{
	struct userbpf_map *m = ub_helper_map(c, r1);

	(void)r4; (void)r5;
	if (!m || !arg_ok(c, r2, m->def.value_size, false, "the value lies outside the program's memory"))
		return (uint64_t)-EFAULT;
	if (!m->ops->push)
		return (uint64_t)-EINVAL;
	return (uint64_t)m->ops->push(m, (const void *)(uintptr_t)r2, r3);
}

static uint64_t pop_or_peek(uint64_t r1, uint64_t r2, struct userbpf_call *c, bool pop)
{
	struct userbpf_map *m = ub_helper_map(c, r1);

	if (!m || !arg_ok(c, r2, m->def.value_size, true, "the value lies outside the program's memory"))
		return (uint64_t)-EFAULT;
	if (pop ? !m->ops->pop : !m->ops->peek)
		return (uint64_t)-EINVAL;
	return (uint64_t)(pop ? m->ops->pop(m, (void *)(uintptr_t)r2)
			      : m->ops->peek(m, (void *)(uintptr_t)r2));
}

static uint64_t h_map_pop_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			       uint64_t r5, struct userbpf_call *c)
{
	(void)r3; (void)r4; (void)r5;
	return pop_or_peek(r1, r2, c, true);
}

static uint64_t h_map_peek_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				uint64_t r5, struct userbpf_call *c)
{
	(void)r3; (void)r4; (void)r5;
	return pop_or_peek(r1, r2, c, false);
}

/* bpf_tail_call(ctx, prog_array, index).  A host's resolver (set with
 * userbpf_rt__set_tail_resolver) answers first; otherwise the map must be
 * a PROG_ARRAY.  As on Linux, a tail call that cannot happen returns and
 * the program goes on; an unchecked run may only enter trusted code. */
static uint64_t h_tail_call(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			    uint64_t r5, struct userbpf_call *c)
{
	struct userbpf_prog *t = NULL;

	(void)r4; (void)r5;
	if (c->tail_cnt >= UB_MAX_TAIL_CALLS)
		return (uint64_t)-ENOENT;
	if (c->rt->tail_fn) {
		t = c->rt->tail_fn((void *)(uintptr_t)r2, (uint32_t)r3, c->rt->tail_user);
	} else {
		struct userbpf_map *m = ub_helper_map(c, r2);

		if (!m)
			return (uint64_t)-EINVAL;
		t = ub_map_prog_array_get(m, (uint32_t)r3);
	}
	if (!t || (c->fast && !t->trusted))
		return (uint64_t)-ENOENT;
	c->tail_cnt++;
	if (c->ctx_hdr) {
		c->ctx_hdr->tail_call_cnt = c->tail_cnt;
		c->ctx_hdr->prog = t;
	}
	c->tail_target = t;
	c->tail_ctx = r1;
	c->pending |= UB_PENDING_TAIL;
	return 0;
}

/* bpf_loop(nr_loops, callback, ctx, flags): callback(i, ctx) until it
 * returns 1 or nr_loops calls; Linux caps nr_loops at 1 << 23. */
static uint64_t h_loop(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct userbpf_call *c)
{
	uint64_t i;

	(void)r5;
	if (r4)
		return (uint64_t)-EINVAL;
	if (r1 > (1u << 23))
		return (uint64_t)-E2BIG;
	for (i = 0; i < r1; i++) {
		uint64_t args[5] = { i, r3, 0, 0, 0 }, ret;

		if (ub_call_callback(c, r2, args, &ret))
			return 0;
		if (ret)
			return i + 1;
	}
	return i;
}

/* bpf_for_each_map_elem(map, callback, ctx, flags): callback(map, key,
 * value, ctx) for each element until it returns 1; for arrays and hashes
 * (the map's get_next_key order). */
static uint64_t h_for_each_map_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				    uint64_t r5, struct userbpf_call *c)
{
	struct userbpf_map *m = ub_helper_map(c, r1);
	uint8_t key[2][512];
	uint64_t n = 0;
	int cur = 0;
	const void *prev = NULL;

	(void)r5;
	if (!m)
		return (uint64_t)-EINVAL;
	if (r4)
		return (uint64_t)-EINVAL;
	if (!m->ops->get_next_key || !m->ops->lookup || m->def.key_size > sizeof(key[0]) ||
	    is_map_of_maps(m))
		return (uint64_t)-EINVAL;
	while (m->ops->get_next_key(m, prev, key[cur]) == 0) {
		void *v = m->ops->lookup(m, key[cur]);
		uint64_t args[5], ret;

		prev = key[cur];
		cur ^= 1;
		if (!v)
			continue;
		if (!c->fast && !ub_call_mem_ok(c, (uint64_t)(uintptr_t)v, m->def.value_size, true) &&
		    userbpf_call__allow(c, v, m->def.value_size, true))
			return (uint64_t)-ENOMEM;
		if (!c->fast && userbpf_call__allow(c, (void *)prev, m->def.key_size, false))
			return (uint64_t)-ENOMEM;
		args[0] = r1;
		args[1] = (uint64_t)(uintptr_t)prev;
		args[2] = (uint64_t)(uintptr_t)v;
		args[3] = r3;
		args[4] = 0;
		n++;
		if (ub_call_callback(c, r2, args, &ret))
			return 0;
		if (ret)
			break;
	}
	return n;
}

static uint64_t h_spin_lock(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    struct userbpf_call *c)
{
	(void)r2; (void)r3; (void)r4; (void)r5;
	if (!arg_ok(c, r1, 4, true, "the lock lies outside the program's memory") || (r1 & 3)) {
		if (r1 & 3)
			userbpf_call__abort(c, -EFAULT, "misaligned bpf_spin_lock");
		return 0;
	}
	ub_map_spin_lock((uint32_t *)(uintptr_t)r1);
	return 0;
}

static uint64_t h_spin_unlock(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			      uint64_t r5, struct userbpf_call *c)
{
	(void)r2; (void)r3; (void)r4; (void)r5;
	if (!arg_ok(c, r1, 4, true, "the lock lies outside the program's memory") || (r1 & 3))
		return 0;
	ub_map_spin_unlock((uint32_t *)(uintptr_t)r1);
	return 0;
}

/* ---- events: ring buffers and perf event arrays ------------------------- */

static struct userbpf_map *event_map(struct userbpf_call *c, uint64_t r, uint32_t type)
{
	struct userbpf_map *m = ub_helper_map(c, r);

	if (m && m->def.type != type) {
		userbpf_call__abort(c, -EINVAL, "the map has the wrong type for this helper");
		return NULL;
	}
	return m;
}

static uint64_t h_ringbuf_output(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				 uint64_t r5, struct userbpf_call *c)
{
	struct userbpf_map *m = event_map(c, r1, UB_MAP_RINGBUF);

	(void)r5;
	if (!m || !arg_ok(c, r2, r3, false, "the data lies outside the program's memory"))
		return (uint64_t)-EFAULT;
	return (uint64_t)ub_ringbuf_output(m, (const void *)(uintptr_t)r2, r3, r4);
}

static uint64_t h_ringbuf_reserve(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				  uint64_t r5, struct userbpf_call *c)
{
	struct userbpf_map *m = event_map(c, r1, UB_MAP_RINGBUF);
	void *p;

	(void)r4; (void)r5;
	if (!m)
		return 0;
	p = ub_ringbuf_reserve(m, r2, r3);
	if (p && !c->fast && userbpf_call__allow(c, p, r2, true))
		return 0;
	return (uint64_t)(uintptr_t)p;
}

/* A checked run may hand back only what it reserved: the record header
 * before the sample must be in the run's regions with the sample. */
static bool sample_ok(struct userbpf_call *c, uint64_t r1)
{
	if (c->fast)
		return true;
	if (r1 >= UB_RINGBUF_HDR_SZ && ub_call_mem_ok(c, r1, 1, true))
		return true;
	/* a sample of 0 bytes (bpf_ringbuf_reserve(rb, 0, 0) is valid) */
	for (size_t i = 0; i < c->region_cnt; i++)
		if (!c->regions[i].size && (uint64_t)(uintptr_t)c->regions[i].base == r1)
			return true;
	userbpf_call__abort(c, -EINVAL, "the sample was not reserved by this run");
	return false;
}

static uint64_t h_ringbuf_submit(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				 uint64_t r5, struct userbpf_call *c)
{
	(void)r3; (void)r4; (void)r5;
	if (sample_ok(c, r1))
		ub_ringbuf_submit((void *)(uintptr_t)r1, r2);
	return 0;
}

static uint64_t h_ringbuf_discard(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				  uint64_t r5, struct userbpf_call *c)
{
	(void)r3; (void)r4; (void)r5;
	if (sample_ok(c, r1))
		ub_ringbuf_discard((void *)(uintptr_t)r1, r2);
	return 0;
}

static uint64_t h_ringbuf_query(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				uint64_t r5, struct userbpf_call *c)
{
	struct userbpf_map *m = event_map(c, r1, UB_MAP_RINGBUF);

	(void)r3; (void)r4; (void)r5;
	return m ? ub_ringbuf_query(m, r2) : 0;
}

/* The packet of a program whose context has one (xdp_md and tc's
 * __sk_buff through their data/data_end fields, a socket filter's from its
 * network header, as its LD_ABS loads see it); false for the others. */
static bool ctx_packet(struct userbpf_call *c, uint64_t ctx, const uint8_t **pkt, size_t *len)
{
	const struct userbpf_prog_type *t = c->prog ? c->prog->type : NULL;
	int64_t doff = -1, eoff = -1;
	uint32_t a, b;

	for (size_t i = 0; t && i < t->ctx_field_cnt; i++) {
		if (t->ctx_fields[i].flags & USERBPF_CTX_DATA)
			doff = t->ctx_fields[i].off;
		if (t->ctx_fields[i].flags & USERBPF_CTX_DATA_END)
			eoff = t->ctx_fields[i].off;
	}
	if (doff >= 0 && eoff >= 0 && ub_helper_mem_ok(c, ctx + (uint64_t)doff, 4, false) &&
	    ub_helper_mem_ok(c, ctx + (uint64_t)eoff, 4, false)) {
		memcpy(&a, (const uint8_t *)(uintptr_t)ctx + doff, 4);
		memcpy(&b, (const uint8_t *)(uintptr_t)ctx + eoff, 4);
		*pkt = (const uint8_t *)(uintptr_t)a;
		*len = b >= a ? b - a : 0;
		return true;
	}
	if (c->pkt) {
		*pkt = c->pkt;
		*len = c->pkt_len;
		return true;
	}
	return false;
}

#define UB_F_CTXLEN_MASK (0xfffffull << 32)

/* bpf_perf_event_output(ctx, map, flags, data, size).  With a packet in
 * the context, Linux's bpf_xdp_event_output/bpf_skb_event_output: flags'
 * bits 32-51 ask for that many bytes of the packet after the data (more
 * than the packet has: -EFAULT, before the index is looked at). */
static uint64_t h_perf_event_output(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				    uint64_t r5, struct userbpf_call *c)
{
	struct userbpf_map *m = event_map(c, r2, UB_MAP_PERF_EVENT_ARRAY);
	const uint8_t *pkt = NULL;
	size_t pkt_len = 0;
	uint64_t extra = 0;

	if (!m || !arg_ok(c, r4, r5, false, "the data lies outside the program's memory"))
		return (uint64_t)-EFAULT;
	if ((r3 & UB_F_CTXLEN_MASK) && ctx_packet(c, r1, &pkt, &pkt_len)) {
		if (r3 & ~(UB_F_CTXLEN_MASK | UB_F_INDEX_MASK))
			return (uint64_t)-EINVAL;
		extra = (r3 & UB_F_CTXLEN_MASK) >> 32;
		if (extra > pkt_len)
			return (uint64_t)-EFAULT;
		r3 &= UB_F_INDEX_MASK;
	}
	return (uint64_t)ub_perf_output2(m, r3, (const void *)(uintptr_t)r4, r5, pkt, extra);
}

const struct ub_helper_def ub_map_helper_defs[] = {
	{ 1, h_map_lookup_elem },
	{ 2, h_map_update_elem },
	{ 3, h_map_delete_elem },
	{ 12, h_tail_call },
	{ 87, h_map_push_elem },
	{ 88, h_map_pop_elem },
	{ 89, h_map_peek_elem },
	{ 93, h_spin_lock },
	{ 94, h_spin_unlock },
	{ 25, h_perf_event_output },
	{ 130, h_ringbuf_output },
	{ 131, h_ringbuf_reserve },
	{ 132, h_ringbuf_submit },
	{ 133, h_ringbuf_discard },
	{ 134, h_ringbuf_query },
	{ 164, h_for_each_map_elem },
	{ 181, h_loop },
	{ 0, NULL },
};
