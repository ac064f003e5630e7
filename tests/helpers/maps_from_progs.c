/* SPDX-License-Identifier: MIT */
/*
 * maps_from_progs.c - programs reaching maps through the helpers, in both
 * the checked interpreter and verified engines: lookup/update through a
 * map pointer (lddw src=1), direct values (lddw src=2), tail calls
 * through a PROG_ARRAY, bpf_loop callbacks, trace_printk's sink and
 * snprintf/strtol, and checked mode refusing a forged map pointer.
 */
#include <errno.h>
#include <string.h>
#include "testlib.h"
#include "maps/map.h"

#define I(c, d, s, o, i) ((struct userbpf_insn){ (c), (d), (s), (o), (i) })
#define MOV64_IMM(d, i) I(0xb7, d, 0, 0, i)
#define MOV64_REG(d, s) I(0xbf, d, s, 0, 0)
#define ADD64_IMM(d, i) I(0x07, d, 0, 0, i)
#define STW(d, o, i) I(0x62, d, 0, o, i)
#define STXDW(d, s, o) I(0x7b, d, s, o, 0)
#define LDXW(d, s, o) I(0x61, d, s, o, 0)
#define LDXDW(d, s, o) I(0x79, d, s, o, 0)
#define STXW(d, s, o) I(0x63, d, s, o, 0)
#define JEQ_IMM(d, i, o) I(0x15, d, 0, o, i)
#define CALL(id) I(0x85, 0, 0, 0, id)
#define EXIT() I(0x95, 0, 0, 0, 0)
#define LD_MAP(d, idx) I(0x18, d, 1, 0, idx), I(0, 0, 0, 0, 0)
#define LD_MAPVAL(d, idx, off) I(0x18, d, 2, 0, idx), I(0, 0, 0, 0, off)
#define LD_CODE(d, rel) I(0x18, d, 4, 0, rel), I(0, 0, 0, 0, 0)

static uint64_t run(struct userbpf_prog *p, enum userbpf_engine e, int *err)
{
	struct userbpf_run_opts o = { .sz = sizeof(o), .engine = e };
	uint64_t r = 0;

	*err = userbpf_prog__run(p, &o, &r);
	return r;
}

static uint64_t got_sum;
static int got_n;
static int rb_sample(void *ctx, void *data, size_t size)
{
	uint64_t v = 0;
	(void)ctx;
	memcpy(&v, data, size < 8 ? size : 8);
	got_sum += v;
	got_n++;
	return 0;
}
static void perf_sample(void *ctx, int cpu, void *data, uint32_t size)
{
	(void)cpu;
	rb_sample(ctx, data, size);
}

static void test_events(struct userbpf_rt *rt)
{
	struct userbpf_map *rb = userbpf_map__create(rt, 27, "rb", 0, 0, 4096, NULL);
	struct userbpf_map *pe = userbpf_map__create(rt, 4, "pe", 4, 4, 0, NULL);
	struct userbpf_map *maps[2] = { rb, pe };
	struct userbpf_prog_opts po = { .sz = sizeof(po), .maps = maps, .map_cnt = 2 };
	/* p = reserve(rb, 8); if (!p) return 0; *p = 0x1234; submit(p); then
	 * output(rb, &0x10 on the stack, 8) and perf_event_output(ctx, pe,
	 * CURRENT_CPU, &0x10, 8); return 1 */
	struct userbpf_insn ev[] = {
		I(0xbf, 6, 1, 0, 0),
		LD_MAP(1, 0), MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL(131),
		JEQ_IMM(0, 0, 23),
		I(0x7a, 0, 0, 0, 0x1234), MOV64_REG(1, 0), MOV64_IMM(2, 0), CALL(132),
		I(0x7a, 10, 0, -8, 0x10), LD_MAP(1, 0), MOV64_REG(2, 10), ADD64_IMM(2, -8),
		MOV64_IMM(3, 8), MOV64_IMM(4, 0), CALL(130),
		MOV64_REG(1, 6), LD_MAP(2, 1), I(0x18, 3, 0, 0, -1), I(0, 0, 0, 0, 0),
		MOV64_REG(4, 10), ADD64_IMM(4, -8), MOV64_IMM(5, 8), CALL(25),
		MOV64_IMM(0, 1), EXIT(), MOV64_IMM(0, 0), EXIT(),
	};
	struct userbpf_prog *p;
	int err;

	TL_CHECK("ringbuf and perf array created", rb && pe);
	if (!rb || !pe)
		goto out;
	p = userbpf_prog__load(rt, ev, sizeof(ev) / sizeof(ev[0]), &po);
	TL_CHECK("event prog loads", p != NULL);
	if (!p)
		goto out;
	TL_EQ_U64("event prog, checked run", run(p, USERBPF_ENGINE_INTERPRETER, &err), 1);
	TL_EQ_U64("event prog, checked run ok", err, 0);
	TL_EQ_U64("event prog verifies", userbpf_prog__verify(p, NULL), 0);
	TL_EQ_U64("event prog, verified run", run(p, USERBPF_ENGINE_DEFAULT, &err), 1);
	got_sum = 0;
	got_n = 0;
	ub_ringbuf_consume(rb, rb_sample, NULL);
	TL_EQ_U64("ringbuf got 4 records", got_n, 4);
	TL_EQ_U64("ringbuf records hold what the program wrote", got_sum, 2 * (0x1234 + 0x10));
	got_sum = 0;
	got_n = 0;
	for (unsigned cpu = 0; cpu < userbpf_num_possible_cpus(); cpu++)
		ub_perf_consume(pe, cpu, perf_sample, NULL, NULL);
	TL_EQ_U64("perf array got 2 samples", got_n, 2);
	TL_EQ_U64("perf samples hold the data", got_sum, 2 * 0x10);
	userbpf_prog__free(p);
out:
	userbpf_map__free(rb);
	userbpf_map__free(pe);
}

static char traced[256];
static void sink(const char *msg, size_t len, struct userbpf_call *c, void *u)
{
	(void)c; (void)u;
	snprintf(traced, sizeof(traced), "%.*s", (int)len, msg);
}

int main(void)
{
	struct userbpf_rt *rt = tl_rt_new(0);
	struct userbpf_map *arr = userbpf_map__create(rt, 2, "counts", 4, 8, 4, NULL);
	struct userbpf_map *pa = userbpf_map__create(rt, 3, "jmp", 4, 4, 2, NULL);
	struct userbpf_map *maps[2] = { arr, pa };
	struct userbpf_prog_opts po = { .sz = sizeof(po), .maps = maps, .map_cnt = 2 };
	int err;

	TL_CHECK("maps created", arr && pa);
	/* key 1 on the stack; v = lookup; if !v return 0; *v += 1; return *v */
	struct userbpf_insn inc[] = {
		STW(10, -4, 1), MOV64_REG(2, 10), ADD64_IMM(2, -4), LD_MAP(1, 0), CALL(1),
		JEQ_IMM(0, 0, 4), LDXDW(1, 0, 0), ADD64_IMM(1, 1), STXDW(0, 1, 0),
		MOV64_REG(0, 1), EXIT(),
	};
	struct userbpf_prog *p = userbpf_prog__load(rt, inc, sizeof(inc) / sizeof(inc[0]), &po);
	TL_CHECK("lookup prog loads", p != NULL);
	if (p) {
		uint32_t k = 1;
		uint64_t v = 0;

		TL_EQ_U64("checked lookup+increment", run(p, USERBPF_ENGINE_INTERPRETER, &err), 1);
		TL_EQ_U64("checked run ok", err, 0);
		TL_EQ_U64("lookup program verifies with its maps", userbpf_prog__verify(p, NULL), 0);
		TL_EQ_U64("fast/JIT lookup+increment", run(p, USERBPF_ENGINE_DEFAULT, &err), 2);
		TL_EQ_U64("interp fast lookup+increment", run(p, USERBPF_ENGINE_INTERPRETER, &err), 3);
		userbpf_map__lookup_elem(arr, &k, &v, 0);
		TL_EQ_U64("user space sees program writes", v, 3);
		userbpf_prog__free(p);
	}
	/* the same without the NULL check: the verifier says what to do */
	struct userbpf_insn nochk[] = {
		STW(10, -4, 1), MOV64_REG(2, 10), ADD64_IMM(2, -4), LD_MAP(1, 0), CALL(1),
		LDXDW(0, 0, 0), EXIT(),
	};
	p = userbpf_prog__load(rt, nochk, sizeof(nochk) / sizeof(nochk[0]), &po);
	TL_CHECK("unchecked lookup refused by the verifier",
		 p && userbpf_prog__verify(p, NULL) < 0 && errno == EACCES &&
			 strstr(tl_last_log, "may be NULL") &&
			 strstr(tl_last_log, "bpf_map_lookup_elem"));
	userbpf_prog__free(p);
	/* direct value: *(u64 *)(value of key 0 + 0) = 42 via lddw src=2 */
	struct userbpf_insn dv[] = {
		LD_MAPVAL(1, 0, 0), MOV64_IMM(2, 42), STXDW(1, 2, 0), LDXDW(0, 1, 0), EXIT(),
	};
	p = userbpf_prog__load(rt, dv, sizeof(dv) / sizeof(dv[0]), &po);
	TL_CHECK("direct value prog loads", p != NULL);
	if (p) {
		uint32_t k = 0;
		uint64_t v = 0;
		TL_EQ_U64("checked direct value store", run(p, USERBPF_ENGINE_INTERPRETER, &err), 42);
		TL_EQ_U64("checked direct value run ok", err, 0);
		userbpf_map__lookup_elem(arr, &k, &v, 0);
		TL_EQ_U64("direct value write visible", v, 42);
		userbpf_prog__free(p);
	}
	struct userbpf_insn bad_off[] = { LD_MAPVAL(1, 0, 8), MOV64_IMM(0, 0), EXIT() };
	TL_CHECK("direct value past the value refused",
		 userbpf_prog__load(rt, bad_off, 4, &po) == NULL && errno == EINVAL);
	struct userbpf_insn bad_idx[] = { LD_MAP(1, 5), MOV64_IMM(0, 0), EXIT() };
	TL_CHECK("map index past the maps refused",
		 userbpf_prog__load(rt, bad_idx, 4, &po) == NULL && errno == EINVAL);

	/* tail call: prog A calls jmp[1] = prog B (returns 7); A returns 1 if it falls through */
	struct userbpf_insn tb[] = { MOV64_IMM(0, 7), EXIT() };
	struct userbpf_insn ta[] = { LD_MAP(2, 1), MOV64_IMM(3, 1), CALL(12), MOV64_IMM(0, 1), EXIT() };
	struct userbpf_prog *pb = userbpf_prog__load(rt, tb, 2, &po);
	struct userbpf_prog *pa_prog = userbpf_prog__load(rt, ta, 6, &po);
	TL_CHECK("tail progs load", pb && pa_prog);
	if (pb && pa_prog) {
		uint32_t k = 1, id = userbpf_prog__id(pb), got = 0;
		TL_EQ_U64("empty slot: tail call falls through", run(pa_prog, USERBPF_ENGINE_INTERPRETER, &err), 1);
		TL_EQ_U64("prog_array update with id", userbpf_map__update_elem(pa, &k, &id, 0), 0);
		TL_EQ_U64("prog_array lookup gives id", userbpf_map__lookup_elem(pa, &k, &got, 0), 0);
		TL_EQ_U64("prog_array id", got, id);
		id = 9999;
		TL_EQ_U64("prog_array bad id EINVAL", userbpf_map__update_elem(pa, &k, &id, 0), (uint64_t)-EINVAL);
		TL_EQ_U64("tail call through prog_array", run(pa_prog, USERBPF_ENGINE_INTERPRETER, &err), 7);
		userbpf_prog__set_trusted(pb, true);
		userbpf_prog__set_trusted(pa_prog, true);
		TL_EQ_U64("tail call through prog_array (JIT)", run(pa_prog, USERBPF_ENGINE_DEFAULT, &err), 7);
		TL_EQ_U64("prog_array delete", userbpf_map__delete_elem(pa, &k), 0);
		TL_EQ_U64("after delete: falls through", run(pa_prog, USERBPF_ENGINE_DEFAULT, &err), 1);
	}
	userbpf_prog__free(pb);
	userbpf_prog__free(pa_prog);

	/* bpf_loop(10, cb, &ctx on stack, 0); cb adds i to *ctx; returns ctx */
	struct userbpf_insn lp[] = {
		/* 0 */ MOV64_IMM(1, 0), STXDW(10, 1, -8),
		/* 2 */ MOV64_IMM(1, 10), LD_CODE(2, 7), MOV64_REG(3, 10), ADD64_IMM(3, -8),
		/* 7 */ MOV64_IMM(4, 0), CALL(181), LDXDW(0, 10, -8), EXIT(),
		/* 11: cb(i, ctx) */ LDXDW(3, 2, 0), I(0x0f, 3, 1, 0, 0), STXDW(2, 3, 0),
		MOV64_IMM(0, 0), EXIT(),
	};
	p = userbpf_prog__load(rt, lp, sizeof(lp) / sizeof(lp[0]), &po);
	TL_CHECK("bpf_loop prog loads", p != NULL);
	if (p) {
		TL_EQ_U64("checked bpf_loop sums 0..9", run(p, USERBPF_ENGINE_INTERPRETER, &err), 45);
		TL_EQ_U64("checked bpf_loop ok", err, 0);
		userbpf_prog__set_trusted(p, true);
		TL_EQ_U64("trusted bpf_loop sums 0..9", run(p, USERBPF_ENGINE_DEFAULT, &err), 45);
		userbpf_prog__free(p);
	}

	/* a forged map pointer in checked mode aborts the run */
	struct userbpf_insn forged[] = {
		STW(10, -4, 0), MOV64_REG(2, 10), ADD64_IMM(2, -4), MOV64_REG(1, 10), CALL(1), EXIT(),
	};
	p = userbpf_prog__load(rt, forged, 6, &po);
	if (p) {
		run(p, USERBPF_ENGINE_INTERPRETER, &err);
		TL_EQ_U64("forged map pointer aborts checked run", err, (uint64_t)-EINVAL);
		userbpf_prog__free(p);
	}

	/* trace_printk("v=%d s=%s\n") with a string on the stack */
	userbpf_rt__set_trace(rt, sink, NULL);
	{
		const char fmt[16] = "v=%d s=%s";
		const char str[8] = "hey";
		uint64_t f[2], s1;
		memcpy(f, fmt, 16);
		memcpy(&s1, str, 8);
		struct userbpf_insn tp[] = {
			I(0x18, 1, 0, 0, (int32_t)f[0]), I(0, 0, 0, 0, (int32_t)(f[0] >> 32)),
			STXDW(10, 1, -16),
			I(0x18, 1, 0, 0, (int32_t)f[1]), I(0, 0, 0, 0, (int32_t)(f[1] >> 32)),
			STXDW(10, 1, -8),
			I(0x18, 1, 0, 0, (int32_t)s1), I(0, 0, 0, 0, (int32_t)(s1 >> 32)),
			STXDW(10, 1, -24),
			MOV64_REG(1, 10), ADD64_IMM(1, -16), MOV64_IMM(2, 16), MOV64_IMM(3, -5),
			MOV64_REG(4, 10), ADD64_IMM(4, -24), CALL(6), EXIT(),
		};
		p = userbpf_prog__load(rt, tp, sizeof(tp) / sizeof(tp[0]), &po);
		TL_CHECK("trace_printk prog loads", p != NULL);
		if (p) {
			uint64_t r = run(p, USERBPF_ENGINE_INTERPRETER, &err);
			TL_CHECK("trace_printk text", !strcmp(traced, "v=-5 s=hey"));
			TL_EQ_U64("trace_printk returns length", r, strlen("v=-5 s=hey"));
			userbpf_prog__free(p);
		}
	}
	test_events(rt);
	userbpf_map__free(arr);
	userbpf_map__free(pa);
	userbpf_rt__free(rt);
	return tl_exit();
}
