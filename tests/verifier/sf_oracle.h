/* SPDX-License-Identifier: MIT */
/*
 * sf_oracle.h - the soundness oracle shared by tests/verifier/soundness.c
 * (a generator of programs) and fuzz/fuzz_verify.c (libFuzzer): verify a
 * program, and run every program the verifier accepts in the
 * interpreter's checked mode with exactly the memory the verifier
 * assumed: the context (ctx_size bytes), the packet [data_meta, data_end)
 * and, through helper returns, map values.  Whatever checked mode catches
 * (an access outside those, a misaligned atomic, a budget run out, a bad
 * callx or callback, a helper argument outside the program's memory) is a
 * verifier bug.  So are, after a clean run: a changed context byte that no
 * writable field covers, a changed read-only map, a ring buffer record
 * reserved and never released.  Then the program runs again, trusted, in
 * the fast interpreter and the JIT (half of the programs hardened: blinded,
 * with Spectre index clamps) from the same inputs, and r0, context,
 * packet and maps must come out the same.
 *
 * Program types: "xdp" (xdp_md, packet), "sched_cls" (__sk_buff, packet,
 * LD_ABS), "socket_filter" (__sk_buff without packet pointers) and "mem"
 * (userbpf_prog__verify with mem_size: r1 = N bytes, r2 = N).
 *
 * Maps, named by index in lddw (src 1: map, src 2: direct value):
 *   0 hash     key 4, value 16, 8 entries
 *   1 array    key 4, value 24, 1 entry    (direct value: a global)
 *   2 array    key 4, value 16, 1 entry
 *   3 array    key 4, value 16, 1 entry, BPF_F_RDONLY_PROG, frozen (.rodata)
 *   4 ringbuf  4096 bytes
 *   5 percpu array key 4, value 8, 2 entries
 *   6 queue    value 8, 4 entries
 *   7 prog array key 4, value 4, 2 entries (empty: tail calls fall through)
 *
 * Header-only with static functions (each test is one .c file); the only
 * state is the caller's struct sf_env.
 */
#ifndef USERBPF_TESTS_SF_ORACLE_H
#define USERBPF_TESTS_SF_ORACLE_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "userbpf/userbpf.h"
#include "exec/exec_internal.h"
#include "maps/map.h"
#include "platform/platform.h"
#include "verifier/verifier.h"

enum { SF_XDP, SF_TC, SF_SOCK, SF_MEM, SF__NTYPES };
static const char *const sf_type_name[SF__NTYPES] = { "xdp", "sched_cls", "socket_filter", "mem" };

enum { SF_M_HASH, SF_M_GLOBAL, SF_M_ARRAY, SF_M_RODATA, SF_M_RINGBUF, SF_M_PERCPU, SF_M_QUEUE,
       SF_M_PROGS, SF_NMAPS };

#define SF_PKT_MAX 256		/* packet bytes at most */
#define SF_META_MAX 16		/* metadata bytes before data at most */
#define SF_MEM_MAX 512		/* "mem" type: bytes at most */
#define SF_CTX_MAX 256
#define SF_BUDGET (1u << 22)	/* checked-mode instruction budget */
#define SF_DUMP_MAX 8192

/* The outcome of one program. */
enum {
	SF_REFUSED,		/* the loader or the verifier said no */
	SF_CLEAN,		/* accepted, every run clean and equal */
	SF_FAULT,		/* accepted, checked mode caught something */
	SF_CTX_RO,		/* accepted, a read-only context byte changed */
	SF_RODATA,		/* accepted, the read-only map changed */
	SF_RB_LEAK,		/* accepted, a ring buffer record left reserved */
	SF_MISMATCH,		/* accepted, checked and fast/JIT runs differ */
	SF__NOUTCOMES,
};
static const char *const sf_outcome_name[SF__NOUTCOMES] = {
	"refused", "clean", "fault", "ctx-ro-write", "rodata-write", "ringbuf-leak", "mismatch",
};

struct sf_case {
	const struct userbpf_insn *insns;
	size_t cnt;
	int type;		/* SF_* */
	uint32_t mem_size;	/* "mem": bytes at r1 (1..SF_MEM_MAX) */
	uint64_t input_seed;	/* inputs of the runs: packet, context, map contents */
	unsigned variants;	/* runs with different inputs (>= 1) */
	bool strict;		/* verify with Linux's unprivileged rules */
	uint64_t max_insns;	/* nonzero: verify (internally) with this budget of
				 * processed instructions instead of 1M */
};

struct sf_result {
	int outcome;
	char reason[640];	/* refusal, or what went wrong */
	uint64_t processed;
	bool jit_ran;
	bool explained;		/* a mismatch explained by uninitialised stack / stack addresses */
};

struct sf_env {
	struct userbpf_rt *rt;
	struct userbpf_map *maps[SF_NMAPS];
	uint8_t *low;		/* packet memory below 4 GiB */
	size_t low_cap;
	char lastlog[640];	/* the last warning of the runtime */
	bool perturb;		/* inputs: same contents at other addresses */
	uint8_t rodata_snap[16];
	uint8_t *dump[2];	/* map state after a run: reference, current */
	size_t dump_len[2];
	/* counters */
	unsigned long jit_runs, fast_runs, checked_runs, explained_mismatches;
	unsigned long clamped_progs;	/* accepted with an index bound for the JIT */
	unsigned long const_progs;	/* accepted with a known constant for the JIT */
};

static inline void sf_log(enum userbpf_log_level level, const char *msg, void *user)
{
	struct sf_env *e = (struct sf_env *)user;

	if (level == USERBPF_LOG_WARN)
		snprintf(e->lastlog, sizeof(e->lastlog), "%s", msg);
}

/* splitmix64, for the inputs */
static inline uint64_t sf_rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Bytes of an input: random, or one of the patterns that reach the edges
 * of ranges (0, all ones, small numbers, 0x80 sign bits). */
static inline void sf_fill(uint64_t *s, int pattern, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (pattern) {
		case 0: p[i] = 0; break;
		case 1: p[i] = 0xff; break;
		case 2: p[i] = (uint8_t)(sf_rnd(s) & 7); break;
		case 3: p[i] = (i & 7) == 7 ? 0x80 : 0; break;
		default: p[i] = (uint8_t)sf_rnd(s); break;
		}
	}
}

static inline int sf_env_init(struct sf_env *e, char *why, size_t why_sz)
{
	static const struct { uint32_t type, key, value, max, flags; } defs[SF_NMAPS] = {
		{ 1, 4, 16, 8, 0 },	/* hash */
		{ 2, 4, 24, 1, 0 },	/* array: global */
		/* one entry: checked mode lets a run reach every value of an
		 * array (lddw src 2 may name any), so a value overrun would
		 * land unseen in the next one; with one, it leaves the map */
		{ 2, 4, 16, 1, 0 },	/* array */
		{ 2, 4, 16, 1, 1u << 7 },	/* rodata: BPF_F_RDONLY_PROG */
		{ 27, 0, 0, 4096, 0 },	/* ringbuf */
		{ 6, 4, 8, 2, 0 },	/* percpu array */
		{ 22, 0, 8, 4, 0 },	/* queue */
		{ 3, 4, 4, 2, 0 },	/* prog array */
	};
	struct userbpf_rt_opts ro = { .sz = sizeof(ro), .log = sf_log, .log_user = e };
	uint32_t k = 0;

	memset(e, 0, sizeof(*e));
	e->rt = userbpf_rt__new(&ro);
	if (!e->rt) {
		snprintf(why, why_sz, "userbpf_rt__new: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < SF_NMAPS; i++) {
		struct userbpf_map_create_opts mo = { .sz = sizeof(mo), .map_flags = defs[i].flags };
		char name[16];

		snprintf(name, sizeof(name), "sf%d", i);
		e->maps[i] = userbpf_map__create(e->rt, defs[i].type, name, defs[i].key,
						 defs[i].value, defs[i].max, &mo);
		if (!e->maps[i]) {
			snprintf(why, why_sz, "map %d: %s (%.150s)", i, strerror(errno), e->lastlog);
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(e->rodata_snap); i++)
		e->rodata_snap[i] = (uint8_t)(0x40 + i * 7);
	if (userbpf_map__update_elem(e->maps[SF_M_RODATA], &k, e->rodata_snap, 0) ||
	    userbpf_map__freeze(e->maps[SF_M_RODATA])) {
		snprintf(why, why_sz, "rodata: %s", strerror(errno));
		return -1;
	}
	e->low_cap = 4096;
	e->low = ub_os_low_alloc(e->low_cap);
	e->dump[0] = malloc(SF_DUMP_MAX);
	e->dump[1] = malloc(SF_DUMP_MAX);
	if (!e->low || !e->dump[0] || !e->dump[1]) {
		snprintf(why, why_sz, "out of memory");
		return -1;
	}
	return 0;
}

static inline void sf_env_fini(struct sf_env *e)
{
	for (int i = 0; i < SF_NMAPS; i++)
		userbpf_map__free(e->maps[i]);
	if (e->low)
		ub_os_low_free(e->low, e->low_cap);
	free(e->dump[0]);
	free(e->dump[1]);
	userbpf_rt__free(e->rt);
}

/* ---- the inputs of one run ---------------------------------------------- */

struct sf_input {
	uint8_t hdr_ctx[USERBPF_CTX_HEADER_SIZE + SF_CTX_MAX] __attribute__((aligned(16)));
	uint8_t ctx_in[SF_CTX_MAX];	/* the context before the run */
	uint8_t *ctx;
	uint32_t ctx_size;
	uint8_t *meta, *data;		/* in env->low */
	uint32_t meta_len, data_len;
	uint8_t pkt_in[SF_META_MAX + SF_PKT_MAX];
	uint8_t mem[SF_MEM_MAX] __attribute__((aligned(16)));	/* "mem" type */
	uint8_t mem_in[SF_MEM_MAX];
};

static inline int sf_consume_cb(void *ctx, void *data, size_t size)
{
	struct sf_env *e = (struct sf_env *)ctx;
	size_t *n = &e->dump_len[1];

	/* Only the size: reserved memory is not cleared, so a record the
	 * program did not fill holds whatever the ring held there before. */
	(void)data;
	if (*n + 4 <= SF_DUMP_MAX) {
		uint32_t s = (uint32_t)size;
		memcpy(e->dump[1] + *n, &s, 4);
		*n += 4;
	}
	return 0;
}

static inline void sf_dump_put(struct sf_env *e, const void *p, size_t n)
{
	if (e->dump_len[1] + n <= SF_DUMP_MAX) {
		memcpy(e->dump[1] + e->dump_len[1], p, n);
		e->dump_len[1] += n;
	}
}

static inline int sf_cmp_key(const void *a, const void *b)
{
	uint32_t x, y;

	memcpy(&x, a, 4);
	memcpy(&y, b, 4);
	return x < y ? -1 : x > y;
}

static inline int sf_cmp_u64(const void *a, const void *b)
{
	uint64_t x, y;

	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	return x < y ? -1 : x > y;
}

/* The maps' state after a run into dump[1] (the queue and ring buffer are
 * drained: their reset follows). */
static inline void sf_dump_maps(struct sf_env *e)
{
	uint8_t key[8], next[8], val[4096];
	uint32_t k;

	e->dump_len[1] = 0;
	for (int i = 0; i < SF_NMAPS; i++) {
		struct userbpf_map *m = e->maps[i];
		uint32_t t = userbpf_map__type(m);

		if (t == 1) {
			/* in key order: the map's own order may follow where
			 * the elements lie */
			uint8_t ent[64][4 + 64];
			size_t n = 0, vs = userbpf_map__value_size(m);
			const void *prev = NULL;
			while (n < 64 && vs <= 64 && userbpf_map__get_next_key(m, prev, next) == 0) {
				memcpy(key, next, 4);
				prev = key;
				if (userbpf_map__lookup_elem(m, key, val, 0) == 0) {
					memcpy(ent[n], key, 4);
					memcpy(ent[n] + 4, val, vs);
					n++;
				}
			}
			qsort(ent, n, sizeof(ent[0]), sf_cmp_key);
			for (size_t j = 0; j < n; j++)
				sf_dump_put(e, ent[j], 4 + vs);
		} else if (t == 2 || t == 6) {
			size_t vs = userbpf_map__user_value_size(m);
			for (k = 0; k < userbpf_map__max_entries(m); k++) {
				if (vs > sizeof(val) || userbpf_map__lookup_elem(m, &k, val, 0))
					continue;
				/* per-CPU: the run may have been on any CPU, and every
				 * slot started equal: compare the slots as a set */
				if (t == 6)
					qsort(val, vs / 8, 8, sf_cmp_u64);
				sf_dump_put(e, val, vs);
			}
		} else if (t == 22) {
			while (userbpf_map__lookup_and_delete_elem(m, NULL, val) == 0)
				sf_dump_put(e, val, 8);
		} else if (t == 27) {
			ub_ringbuf_consume(m, sf_consume_cb, e);
		}
	}
}

/* Maps to the state of the input (queue and ring buffer drained first). */
static inline void sf_reset_maps(struct sf_env *e, uint64_t seed, int pattern)
{
	uint8_t key[8], next[8], val[4096];
	size_t vs;

	for (int i = 0; i < SF_NMAPS; i++) {
		struct userbpf_map *m = e->maps[i];
		uint32_t t = userbpf_map__type(m);

		if (t == 1) {
			while (userbpf_map__get_next_key(m, NULL, next) == 0)
				if (userbpf_map__delete_elem(m, next))
					break;
			uint8_t vals[4][64];
			uint32_t nk = pattern == 0 ? 3 : 4;
			for (uint32_t k = 0; k < nk; k++)
				sf_fill(&seed, pattern, vals[k], userbpf_map__value_size(m));
			/* perturbed: the same elements, inserted the other way
			 * round, land elsewhere in the map's memory */
			for (uint32_t j = 0; j < nk; j++) {
				uint32_t k = e->perturb ? nk - 1 - j : j;
				memcpy(key, &k, 4);
				userbpf_map__update_elem(m, key, vals[k], 0);
			}
		} else if ((t == 2 || t == 6) && i != SF_M_RODATA) {
			vs = userbpf_map__user_value_size(m);
			for (uint32_t k = 0; k < userbpf_map__max_entries(m); k++) {
				if (t == 6) { /* the same value on every CPU (8-byte slots) */
					sf_fill(&seed, pattern, val, 8);
					for (size_t o = 8; o + 8 <= vs; o += 8)
						memcpy(val + o, val, 8);
				} else {
					sf_fill(&seed, pattern, val, vs);
				}
				userbpf_map__update_elem(m, &k, val, 0);
			}
		} else if (t == 22) {
			while (userbpf_map__lookup_and_delete_elem(m, NULL, val) == 0)
				;
			for (int j = 0; j < 2; j++) {
				sf_fill(&seed, pattern, val, 8);
				userbpf_map__update_elem(m, NULL, val, 0);
			}
		} else if (t == 27) {
			size_t saved = e->dump_len[1];
			void *all;
			ub_ringbuf_consume(m, sf_consume_cb, e);
			/* clear the ring (one record over all of it, dropped):
			 * memory a program reserves and reads without writing it
			 * then reads the same in every run */
			for (int part = 0; part < 3; part++) {
				uint64_t rem = 4096 - (ub_ringbuf_query(m, UB_RB_PROD_POS) & 4095);
				uint64_t sz = part == 0 ? rem - UB_RINGBUF_HDR_SZ : 2048 - UB_RINGBUF_HDR_SZ;
				if (part == 0 && rem == 4096)
					continue;
				all = ub_ringbuf_reserve(m, sz, 0);
				if (!all)
					break;
				memset(all, 0, sz);
				ub_ringbuf_discard(all, 0);
				ub_ringbuf_consume(m, sf_consume_cb, e);
			}
			if (e->perturb && (all = ub_ringbuf_reserve(m, 0, 0))) {
				/* records start 8 bytes further */
				ub_ringbuf_discard(all, 0);
				ub_ringbuf_consume(m, sf_consume_cb, e);
			}
			e->dump_len[1] = saved;
		}
	}
}

/* The context and packet of variant v (deterministic in seed and v). */
static inline void sf_make_input(struct sf_env *e, const struct sf_case *c, unsigned v,
			  struct sf_input *in)
{
	uint64_t s = c->input_seed * 0x100000001b3ull + v * 0x9e3779b97f4a7c15ull + 1;
	int pattern = v == 0 ? 4 : (int)(sf_rnd(&s) % 5);
	const struct userbpf_prog_type *t = NULL;
	uint32_t r = (uint32_t)sf_rnd(&s);

	memset(in->hdr_ctx, 0, sizeof(in->hdr_ctx));
	in->ctx = in->hdr_ctx + USERBPF_CTX_HEADER_SIZE;
	in->ctx_size = 0;
	in->meta_len = in->data_len = 0;
	in->meta = in->data = NULL;
	if (c->type == SF_MEM) {
		sf_fill(&s, pattern, in->mem_in, SF_MEM_MAX);
		memcpy(in->mem, in->mem_in, SF_MEM_MAX);
		sf_reset_maps(e, s, pattern);
		return;
	}
	t = userbpf_rt__prog_type(e->rt, sf_type_name[c->type]);
	in->ctx_size = t ? t->ctx_size : 0;
	/* packet lengths: often short, so that bounds matter */
	switch (r % 6) {
	case 0: in->data_len = 0; break;
	case 1: in->data_len = 14 + (r >> 8) % 20; break;
	case 2: in->data_len = (r >> 8) % 8; break;
	case 3: in->data_len = SF_PKT_MAX; break;
	default: in->data_len = (r >> 8) % (SF_PKT_MAX + 1); break;
	}
	in->meta_len = c->type == SF_XDP && (r >> 20) % 3 == 0 ? (r >> 24) % (SF_META_MAX + 1) : 0;
	/* the packet ends where env->low's page ends: nothing follows it */
	in->data = e->low + e->low_cap - in->data_len;
	in->meta = in->data - in->meta_len;
	sf_fill(&s, pattern, in->pkt_in, in->meta_len + in->data_len);
	memcpy(in->meta, in->pkt_in, in->meta_len + in->data_len);
	sf_fill(&s, pattern, in->ctx, in->ctx_size);
	for (size_t i = 0; t && i < t->ctx_field_cnt; i++) {
		const struct userbpf_ctx_field *f = &t->ctx_fields[i];
		uint32_t val = 0;
		if (f->flags & USERBPF_CTX_DATA)
			val = (uint32_t)(uintptr_t)in->data;
		else if (f->flags & USERBPF_CTX_DATA_END)
			val = (uint32_t)(uintptr_t)(in->data + in->data_len);
		else if (f->flags & USERBPF_CTX_DATA_META)
			val = (uint32_t)(uintptr_t)in->meta;
		else
			continue;
		memcpy(in->ctx + f->off, &val, 4);
	}
	if (c->type != SF_XDP) { /* skb->len */
		uint32_t len = in->data_len;
		memcpy(in->ctx, &len, 4);
	}
	memcpy(in->ctx_in, in->ctx, in->ctx_size);
	{
		struct userbpf_ctx_header *h = (struct userbpf_ctx_header *)in->hdr_ctx;
		h->magic = USERBPF_CTX_MAGIC;
	}
	sf_reset_maps(e, s, pattern);
}

/* One run; checked = untrusted, interpreter, budget.  Returns the run's
 * error (0 or -errno); r0 in *ret. */
static inline int sf_run(struct sf_env *e, struct userbpf_prog *p, const struct sf_case *c,
		  struct sf_input *in, int mode, uint64_t *ret)
{
	struct userbpf_run_opts ro;
	struct userbpf_region reg[2];
	size_t nreg = 0;
	int err;

	memset(&ro, 0, sizeof(ro));
	ro.sz = sizeof(ro);
	if (c->type == SF_MEM) {
		ro.args[0] = (uint64_t)(uintptr_t)in->mem;
		ro.args[1] = c->mem_size;
		reg[nreg++] = (struct userbpf_region){ in->mem, c->mem_size, true };
	} else {
		ro.args[0] = (uint64_t)(uintptr_t)in->ctx;
		ro.ctx_has_header = true;
		reg[nreg++] = (struct userbpf_region){ in->ctx, in->ctx_size, true };
		if (in->meta_len + in->data_len)
			reg[nreg++] = (struct userbpf_region){ in->meta, in->meta_len + in->data_len,
							       true };
		if (c->type != SF_XDP) {
			ro.pkt = in->data;
			ro.pkt_len = in->data_len;
		}
	}
	ro.regions = reg;
	ro.region_cnt = nreg;
	userbpf_prog__set_trusted(p, mode == 0 ? false : true);
	if (mode == 0) {
		ro.engine = USERBPF_ENGINE_INTERPRETER;
		ro.insn_budget = SF_BUDGET;
	} else {
		ro.engine = mode == 1 ? USERBPF_ENGINE_INTERPRETER : USERBPF_ENGINE_JIT;
	}
	e->lastlog[0] = 0;
	*ret = 0;
	err = userbpf_prog__run(p, &ro, ret);
	return err ? -errno : 0;
}

/* Is the value near this thread's stack (an address of a run's stack)? */
static inline bool sf_stacklike(uint64_t v)
{
	uint8_t here;
	uint64_t h = (uint64_t)(uintptr_t)&here;

	return v - (h - (8u << 20)) < (16u << 20);
}

/* Do two byte strings differ other than in 8-byte words (at any offset)
 * that both hold stack addresses (pointer leaks differ between engines)? */
static inline bool sf_differs(const uint8_t *a, const uint8_t *b, size_t n, bool *stack_only)
{
	bool diff = false;

	*stack_only = true;
	for (size_t i = 0; i < n; i++) {
		bool covered = false;
		if (a[i] == b[i])
			continue;
		diff = true;
		for (size_t j = i >= 7 ? i - 7 : 0; j <= i && j + 8 <= n && !covered; j++) {
			uint64_t x, y;
			memcpy(&x, a + j, 8);
			memcpy(&y, b + j, 8);
			covered = sf_stacklike(x) && sf_stacklike(y);
		}
		if (!covered)
			*stack_only = false;
	}
	return diff;
}

/* Verifies p as userbpf_prog__verify() would, through ub_verify() so that
 * options the public call does not have can be set: refusing reads of
 * uninitialised stack, a smaller budget.  Returns 1 when accepted, 0 when
 * refused (the reason in why), -1 when it could not run. */
static inline int sf_verify_internal(struct sf_env *e, struct userbpf_prog *p,
				     const struct sf_case *c, bool uninit_is_error,
				     char *why, size_t why_sz, uint64_t *processed)
{
	struct ub_vfy_opts o;
	struct ub_vfy_result res;
	struct ub_vfy_map vm[SF_NMAPS];
	struct ub_vfy_entry_reg ent[2];
	int rc = -1;

	memset(&o, 0, sizeof(o));
	memset(vm, 0, sizeof(vm));
	for (int i = 0; i < SF_NMAPS; i++) {
		struct userbpf_map *m = e->maps[i];
		vm[i].type = m->def.type;
		vm[i].key_size = m->def.key_size;
		vm[i].value_size = m->def.value_size;
		vm[i].max_entries = m->def.max_entries;
		vm[i].flags = m->def.map_flags;
		vm[i].rdonly_prog = (m->def.map_flags & (1u << 7)) != 0;
		vm[i].direct_value = m->ops->direct_value != NULL;
		vm[i].inner = -1;
	}
	o.maps = vm;
	o.nmaps = SF_NMAPS;
	o.uninit_stack_is_error = uninit_is_error;
	o.strict = c->strict;
	o.max_insns = c->max_insns;
	if (c->type == SF_MEM) {
		memset(ent, 0, sizeof(ent));
		ent[0] = (struct ub_vfy_entry_reg){ .reg = 1, .type = UB_T_MEM, .mem_size = c->mem_size };
		ent[1] = (struct ub_vfy_entry_reg){ .reg = 2, .type = UB_T_SCALAR, .has_srange = true,
						    .has_urange = true, .smin = c->mem_size,
						    .smax = c->mem_size, .umin = c->mem_size,
						    .umax = c->mem_size };
		o.entry = ent;
		o.nentry = 2;
	} else if (p->type) {
		o.ctx_fields = (const struct ub_ctx_field *)p->type->ctx_fields;
		o.nctx_fields = p->type->ctx_field_cnt;
		o.ctx_size = p->type->ctx_size;
		o.check_return = p->type->check_return;
		o.ret_min = p->type->ret_min;
		o.ret_max = p->type->ret_max;
	}
	if (ub_verify(e->rt, p->d, p->insns, p->cnt, &o, &res) == 0) {
		rc = res.accepted;
		if (why)
			snprintf(why, why_sz, "%s", res.accepted ? "" : res.reason);
		if (processed)
			*processed = res.processed;
		ub_vfy_result_free(e->rt, &res);
	}
	return rc;
}

/* The program's verdict with uninitialised stack reads refused (what a
 * mismatch between checked mode, which zeroes the stack, and fast mode,
 * which does not, can be blamed on). */
static inline bool sf_reads_uninit_stack(struct sf_env *e, struct userbpf_prog *p,
					 const struct sf_case *c)
{
	return sf_verify_internal(e, p, c, true, NULL, 0, NULL) == 0;
}

/* Does the program hand out addresses (root may: in r0, in maps, in the
 * packet), which differ between engines and runs?  Strict mode (Linux's
 * unprivileged rules) says so when it refuses for a leak. */
static inline bool sf_leaks_pointers(struct sf_env *e, struct userbpf_prog *p, const struct sf_case *c)
{
	struct userbpf_verify_opts vo;
	bool leaks = false;

	memset(&vo, 0, sizeof(vo));
	vo.sz = sizeof(vo);
	vo.mem_size = c->type == SF_MEM ? c->mem_size : 0;
	vo.strict = true;
	e->lastlog[0] = 0;
	/* The program was accepted without strict mode: a strict refusal
	 * about a pointer is a rule about addresses being seen (leaks,
	 * comparisons, parts of spilled pointers). */
	if (userbpf_prog__verify(p, &vo))
		leaks = (strstr(e->lastlog, "leak") || strstr(e->lastlog, "pointer") ||
			 strstr(e->lastlog, "address")) && !strstr(e->lastlog, "would leak");
	return leaks;
}

/* Helpers whose results differ from run to run (time, random, CPU). */
static inline bool sf_nondeterministic(const struct sf_case *c)
{
	for (size_t i = 0; i < c->cnt; i++) {
		const struct userbpf_insn *in = &c->insns[i];
		if (in->code == 0x85 && in->src_reg == 0 &&
		    (in->imm == 5 || in->imm == 7 || in->imm == 8 || in->imm == 118 ||
		     in->imm == 125 || in->imm == 160))
			return true;
	}
	return false;
}

/* Bytes of the context no writable field covers that changed. */
static inline long sf_ctx_ro_changed(const struct userbpf_prog_type *t, const struct sf_input *in)
{
	for (uint32_t i = 0; t && i < in->ctx_size; i++) {
		bool wr = false;
		if (in->ctx[i] == in->ctx_in[i])
			continue;
		for (size_t f = 0; f < t->ctx_field_cnt; f++)
			if ((t->ctx_fields[f].flags & USERBPF_CTX_WRITE) && i >= t->ctx_fields[f].off &&
			    i < t->ctx_fields[f].off + t->ctx_fields[f].size)
				wr = true;
		if (!wr)
			return (long)i;
	}
	return -1;
}

/* The state a run leaves: r0, context, packet, memory, maps. */
struct sf_after {
	int err;
	uint64_t r0;
	uint8_t ctx[SF_CTX_MAX];
	uint8_t pkt[SF_META_MAX + SF_PKT_MAX];
	uint8_t mem[SF_MEM_MAX];
};

static inline void sf_capture(struct sf_env *e, const struct sf_input *in, int err, uint64_t r0,
		       struct sf_after *a)
{
	a->err = err;
	a->r0 = r0;
	memcpy(a->ctx, in->ctx, in->ctx_size);
	if (in->meta_len + in->data_len)
		memcpy(a->pkt, in->meta, in->meta_len + in->data_len);
	memcpy(a->mem, in->mem, SF_MEM_MAX);
	sf_dump_maps(e);
}

static inline int sf_fail(struct sf_result *r, int outcome, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int sf_fail(struct sf_result *r, int outcome, const char *fmt, ...)
{
	va_list ap;

	r->outcome = outcome;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return outcome;
}

/* The checked run again with its stack elsewhere: pad bytes deeper, and
 * on a thread of its own (whose stack lies far away) when thread. */
struct sf_thread_run {
	struct sf_env *e;
	struct userbpf_prog *p;
	const struct sf_case *c;
	struct sf_input *in;
	size_t pad;
	uint64_t r0;
	int err;
};

static inline void *sf_thread_main(void *arg)
{
	struct sf_thread_run *t = (struct sf_thread_run *)arg;
	uint8_t buf[t->pad];	/* moves the interpreter's frame */

	memset(buf, 0, t->pad);
	__asm__ volatile("" : : "r"(buf) : "memory");
	t->err = sf_run(t->e, t->p, t->c, t->in, 0, &t->r0);
	__asm__ volatile("" : : "r"(buf) : "memory");
	return NULL;
}

static inline int sf_run_elsewhere(struct sf_env *e, struct userbpf_prog *p, const struct sf_case *c,
				   struct sf_input *in, size_t pad, bool thread, uint64_t *ret)
{
	struct sf_thread_run t = { e, p, c, in, pad, 0, 0 };
	pthread_t th;

	if (!thread || pthread_create(&th, NULL, sf_thread_main, &t))
		sf_thread_main(&t);
	else
		pthread_join(th, NULL);
	*ret = t.r0;
	return t.err;
}

/* Does the result depend on where things lie (the program hands out
 * addresses, whole or in part, or branches on them, as root may)?  Runs
 * variant v in checked mode with the stack, the hash map's elements and
 * the ring buffer's records elsewhere, and compares with a (dump[0]). */
static inline bool sf_address_dependent(struct sf_env *e, struct userbpf_prog *p,
					 const struct sf_case *c, unsigned v,
					 const struct sf_after *a)
{
	static struct sf_input in2;
	static struct sf_after a2;
	/* several places: one may happen to take the same branches; the
	 * low byte of the address moves too (by 0x80 and 0x40: a program
	 * may leak only a byte of a pointer, and branch on its top bit) */
	static const struct { size_t pad; bool thread; } where[] = {
		{ 4104, false }, { 8, true }, { 12296, true }, { 24584, false }, { 40968, true },
		{ 136, false }, { 4296, true },
	};
	bool differs = false;

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]) && !differs; i++) {
		uint64_t r0;
		int err;

		e->perturb = i % 2 == 0;
		sf_make_input(e, c, v, &in2);
		err = sf_run_elsewhere(e, p, c, &in2, where[i].pad, where[i].thread, &r0);
		sf_capture(e, &in2, err, r0, &a2);
		e->perturb = false;
		differs = a2.err != a->err || a2.r0 != a->r0 || memcmp(a2.ctx, a->ctx, in2.ctx_size) ||
			  memcmp(a2.pkt, a->pkt, in2.meta_len + in2.data_len) ||
			  (c->type == SF_MEM && memcmp(a2.mem, a->mem, c->mem_size)) ||
			  e->dump_len[0] != e->dump_len[1] ||
			  memcmp(e->dump[0], e->dump[1], e->dump_len[0]);
	}
	return differs;
}

/* Compares a fast or JIT run (state in b, maps in dump[1]) with the
 * checked one (a, dump[0]). */
static inline int sf_compare(struct sf_env *e, struct userbpf_prog *p, const struct sf_case *c,
		      const struct sf_input *in, const struct sf_after *a, const struct sf_after *b,
		      const char *engine, unsigned v, struct sf_result *r)
{
	bool st = true, s1 = true, s2 = true, s3 = true, s4 = true, d;
	const char *what = NULL;

	if (a->err != b->err)
		return sf_fail(r, SF_MISMATCH, "variant %u: %s run returned %d, checked run %d (%s)",
			       v, engine, b->err, a->err, e->lastlog);
	if (a->r0 != b->r0 && !(sf_stacklike(a->r0) && sf_stacklike(b->r0))) {
		st = false;
		what = "r0";
	}
	d = sf_differs(a->ctx, b->ctx, in->ctx_size, &s1);
	if (d && !s1 && !what)
		what = "the context";
	d = sf_differs(a->pkt, b->pkt, in->meta_len + in->data_len, &s2);
	if (d && !s2 && !what)
		what = "the packet";
	d = sf_differs(a->mem, b->mem, c->type == SF_MEM ? c->mem_size : 0, &s3);
	if (d && !s3 && !what)
		what = "the memory";
	if (e->dump_len[0] != e->dump_len[1]) {
		s4 = false;
		if (!what)
			what = "the maps (sizes)";
	} else if (sf_differs(e->dump[0], e->dump[1], e->dump_len[0], &s4) && !s4 && !what) {
		what = "the maps";
	}
	(void)st;
	if (!what)
		return SF_CLEAN;
	if (c->strict && sf_address_dependent(e, p, c, v, a))
		return sf_fail(r, SF_MISMATCH, "variant %u: strict mode, yet the result depends on "
			       "where the stack lies: an address leaks (%s differs)", v, what);
	if (sf_reads_uninit_stack(e, p, c) || sf_leaks_pointers(e, p, c) ||
	    sf_address_dependent(e, p, c, v, a)) {
		r->explained = true;
		e->explained_mismatches++;
		return SF_CLEAN;
	}
	return sf_fail(r, SF_MISMATCH, "variant %u: %s run differs from the checked run in %s "
		       "(r0 %#llx vs %#llx)", v, engine, what, (unsigned long long)b->r0,
		       (unsigned long long)a->r0);
}

/* A record left reserved (by a program the verifier should have refused,
 * or a run that faulted) blocks the ring buffer for good: a new one then
 * takes its place, so that one failure does not make every later program
 * fail. */
static inline void sf_ringbuf_renew(struct sf_env *e)
{
	struct userbpf_map *m = e->maps[SF_M_RINGBUF], *n;

	ub_ringbuf_consume(m, sf_consume_cb, e);
	if (ub_ringbuf_query(m, UB_RB_CONS_POS) == ub_ringbuf_query(m, UB_RB_PROD_POS))
		return;
	n = userbpf_map__create(e->rt, 27, "sf4", 0, 0, 4096, NULL);
	if (!n)
		return;
	userbpf_map__free(m);
	e->maps[SF_M_RINGBUF] = n;
}

/* Loads and verifies c; when accepted, runs it.  Returns r->outcome. */
static inline int sf_check(struct sf_env *e, const struct sf_case *c, struct sf_result *r)
{
	struct userbpf_prog_opts po;
	struct userbpf_verify_opts vo;
	struct userbpf_prog *p;
	static struct sf_input in;
	static struct sf_after a, b;
	unsigned nv = c->variants ? c->variants : 1;
	bool nondet = sf_nondeterministic(c);
	int err;

	memset(r, 0, sizeof(*r));
	memset(&po, 0, sizeof(po));
	po.sz = sizeof(po);
	po.name = "sf";
	po.maps = e->maps;
	po.map_cnt = SF_NMAPS;
	po.prog_type = c->type == SF_MEM ? NULL : sf_type_name[c->type];
	/* half the programs are hardened: the JIT's blinding and its
	 * Spectre index clamps run too */
	po.jit_blind = (c->input_seed >> 7) & 1;
	e->lastlog[0] = 0;
	p = userbpf_prog__load(e->rt, c->insns, c->cnt, &po);
	if (!p) {
		sf_fail(r, SF_REFUSED, "load: %s", e->lastlog);
		return r->outcome;
	}
	memset(&vo, 0, sizeof(vo));
	vo.sz = sizeof(vo);
	vo.mem_size = c->type == SF_MEM ? c->mem_size : 0;
	vo.strict = c->strict;
	e->lastlog[0] = 0;
	if (c->max_insns) {
		char why[600];
		int acc = sf_verify_internal(e, p, c, false, why, sizeof(why), &r->processed);
		if (acc != 1) {
			sf_fail(r, SF_REFUSED, "%s", acc < 0 ? "ub_verify could not run" : why);
			userbpf_prog__free(p);
			return r->outcome;
		}
	} else {
		err = userbpf_prog__verify(p, &vo);
		r->processed = vo.insns_processed;
		if (err) {
			const char *m = strstr(e->lastlog, "refused: ");
			sf_fail(r, SF_REFUSED, "%s", m ? m + 9 : e->lastlog);
			userbpf_prog__free(p);
			return r->outcome;
		}
	}
	r->outcome = SF_CLEAN;
	for (size_t i = 0; p->facts && p->fact_const && i < p->cnt; i++)
		if (p->facts[i] & UB_FACT_CONST_DST) {
			e->const_progs++;
			break;
		}
	for (size_t i = 0; p->facts && p->fact_bound && i < p->cnt; i++)
		if ((p->facts[i] & UB_FACT_INDEX_BOUNDED) &&
		    ((p->facts[i] & UB_FACT_SPECTRE_MASK) || po.jit_blind)) {
			e->clamped_progs++;
			break;
		}
	for (unsigned v = 0; v < nv && r->outcome == SF_CLEAN; v++) {
		uint64_t r0;
		long bad;
		const struct userbpf_prog_type *t = p->type;

		sf_make_input(e, c, v, &in);
		err = sf_run(e, p, c, &in, 0, &r0);
		e->checked_runs++;
		if (err) {
			sf_fail(r, SF_FAULT, "variant %u: checked run: %s: %s", v, strerror(-err),
				e->lastlog);
			break;
		}
		if ((bad = sf_ctx_ro_changed(t, &in)) >= 0) {
			sf_fail(r, SF_CTX_RO, "variant %u: context byte %ld changed, no writable "
				"field covers it", v, bad);
			break;
		}
		{
			uint32_t k = 0;
			uint8_t val[16];
			if (userbpf_map__lookup_elem(e->maps[SF_M_RODATA], &k, val, 0) ||
			    memcmp(val, e->rodata_snap, sizeof(val))) {
				struct userbpf_map *m = e->maps[SF_M_RODATA];
				/* put it back (user space may not write it: it is frozen) */
				memcpy(m->ops->direct_value(m), e->rodata_snap, sizeof(e->rodata_snap));
				sf_fail(r, SF_RODATA, "variant %u: the BPF_F_RDONLY_PROG map changed", v);
				break;
			}
		}
		sf_capture(e, &in, err, r0, &a);
		if (ub_ringbuf_query(e->maps[SF_M_RINGBUF], UB_RB_CONS_POS) !=
		    ub_ringbuf_query(e->maps[SF_M_RINGBUF], UB_RB_PROD_POS)) {
			sf_fail(r, SF_RB_LEAK, "variant %u: a ring buffer record was reserved and "
				"never submitted or discarded", v);
			break;
		}
		memcpy(e->dump[0], e->dump[1], e->dump_len[1]);
		e->dump_len[0] = e->dump_len[1];
		for (int mode = 1; mode <= 2 && r->outcome == SF_CLEAN && !nondet; mode++) {
			sf_make_input(e, c, v, &in);
			err = sf_run(e, p, c, &in, mode, &r0);
			if (mode == 2 && err == -EOPNOTSUPP)
				break;
			if (mode == 2) {
				r->jit_ran = true;
				e->jit_runs++;
			} else {
				e->fast_runs++;
			}
			sf_capture(e, &in, err, r0, &b);
			sf_compare(e, p, c, &in, &a, &b, mode == 1 ? "fast interpreter" : "JIT", v, r);
		}
	}
	userbpf_prog__free(p);
	sf_ringbuf_renew(e);
	return r->outcome;
}

#endif
