/* SPDX-License-Identifier: MIT */
/*
 * x86_inline.c - the JIT inlines bpf_map_lookup_elem on ARRAY maps named
 * in the same block: the helper's address is absent from the code, and
 * results equal the interpreter's for keys inside, at and past the end,
 * for element sizes that are and are not powers of two; a lookup whose
 * map comes through a jump, or on a hash map, still calls the helper.
 *
 * PERCPU_ARRAY lookups are inlined too when the CPU has RDPID (Linux,
 * System V code only): with the thread pinned to each CPU in turn, reads
 * with variable, constant and out-of-range keys equal the interpreter's
 * (whose helper picks the slot with sched_getcpu()), and a write through
 * the pointer lands in that CPU's slot, as the interpreter's does
 * (userbpf_map__lookup_elem reads all of them back).  The code holds
 * rdpid and not the helper; Win64 and blinded code call the helper.  A
 * map made to claim fewer CPUs than the machine has sends the others
 * through the out-of-line call of the map's lookup, with the helper's
 * result.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testlib.h"
#include "exec/exec_internal.h"
#include "exec/jit_internal.h"
#include "maps/map.h"

#define I(c, d, s, o, i) ((struct userbpf_insn){ (c), (d), (s), (o), (i) })

static bool code_has(const struct userbpf_prog *p, uint64_t v)
{
	const uint8_t *c = p->jit_code;

	for (size_t i = 0; c && i + 8 <= p->jit_size; i++)
		if (!memcmp(c + i, &v, 8))
			return true;
	return false;
}

static uint64_t run2(struct userbpf_prog *p, enum userbpf_engine e, uint32_t key, uint64_t put)
{
	struct userbpf_run_opts o = { .sz = sizeof(o), .engine = e };
	uint64_t r = 0;

	o.args[0] = key | put << 32;
	userbpf_prog__run(p, &o, &r);
	return r;
}

static uint64_t run(struct userbpf_prog *p, enum userbpf_engine e, uint32_t key)
{
	return run2(p, e, key, 0);
}

/* rdpid: F3, a REX prefix or none, 0F C7, ModRM with mod 3 and reg 7 */
static bool has_rdpid(const uint8_t *c, size_t n)
{
	for (size_t i = 0; c && i + 4 <= n; i++) {
		size_t k = i + 1;

		if (c[i] != 0xf3)
			continue;
		if ((c[k] & 0xf0) == 0x40)
			k++;
		if (k + 2 < n && c[k] == 0x0f && c[k + 1] == 0xc7 && (c[k + 2] & 0xf8) == 0xf8)
			return true;
	}
	return false;
}

static bool cpu_rdpid(void)
{
#if defined(__GNUC__) && defined(__x86_64__)
	unsigned a, b, c, d;

	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	if (a < 7)
		return false;
	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
	return (c >> 22) & 1;
#else
	return false;
#endif
}

/*
 * r6 = r1 >> 32; key = (u32)r1 (or the constant k when konst); v = lookup;
 * return v ? (old *(u64 *)v) + 1, storing r6 there when nonzero : 0.
 */
static struct userbpf_prog *percpu_prog(struct userbpf_rt *rt, struct userbpf_map **m,
					bool konst, int32_t k)
{
	const struct userbpf_insn prog[] = {
		I(0xbf, 6, 1, 0, 0), I(0x77, 6, 0, 0, 32),
		konst ? I(0x62, 10, 0, -4, k) : I(0x63, 10, 1, -4, 0),
		I(0xbf, 2, 10, 0, 0), I(0x07, 2, 0, 0, -4),
		I(0x18, 1, 1, 0, 0), I(0, 0, 0, 0, 0), I(0x85, 0, 0, 0, 1),
		I(0x15, 0, 0, 5, 0), I(0x79, 1, 0, 0, 0), I(0x15, 6, 0, 1, 0),
		I(0x7b, 0, 6, 0, 0), I(0xbf, 0, 1, 0, 0), I(0x07, 0, 0, 0, 1),
		I(0x95, 0, 0, 0, 0),
	};
	struct userbpf_prog_opts po = { .sz = sizeof(po), .maps = m, .map_cnt = 1 };
	struct userbpf_prog *p = userbpf_prog__load(rt, prog, sizeof(prog) / sizeof(prog[0]), &po);

	if (p)
		userbpf_prog__set_trusted(p, true);
	return p;
}

static bool pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) == 0 && sched_getcpu() == cpu;
}

/* slot value before any write: key k, CPU c */
static uint64_t pval(uint32_t k, unsigned c)
{
	return 0x1000000ull * (k + 1) + 0x100ull * c + 7;
}

#define PC_ENTRIES 6
#define PC_MAXCPU 64

/*
 * Fills m with pval(), then per CPU the thread may run on: reads with
 * every key in and past range (variable and constant) equal between the
 * JIT and the interpreter and are that CPU's; then, per CPU again, the
 * JIT writes key 1 and the interpreter key 2, both seeing the value
 * before; at the end, key 1's slots equal key 2's, each slot holding the
 * mark of the last CPU that ran on it, or pval().  Returns the CPUs
 * visited.
 */
static int percpu_runs(struct userbpf_rt *rt, struct userbpf_map *m, const char *tag)
{
	struct userbpf_prog *pv = percpu_prog(rt, &m, false, 0);
	struct userbpf_prog *pc[3] = { percpu_prog(rt, &m, true, 0), percpu_prog(rt, &m, true, 4),
				       percpu_prog(rt, &m, true, PC_ENTRIES) };
	unsigned n = m->ncpus, visited = 0;
	uint64_t ran[PC_MAXCPU] = { 0 };	/* slot c: its last mark + 1, or 0 */
	uint64_t *buf = calloc(n, 8), *buf2 = calloc(n, 8);
	cpu_set_t old;
	char name[160];
	int bad = 0, badw = 0;

	if (!pv || !pc[0] || !pc[1] || !pc[2] || !buf || !buf2 || n > PC_MAXCPU ||
	    sched_getaffinity(0, sizeof(old), &old)) {
		tl_fail(tag, "setup failed");
		goto out;
	}
	for (uint32_t k = 0; k < PC_ENTRIES; k++) {
		for (unsigned c = 0; c < n; c++)
			buf[c] = pval(k, c);
		userbpf_map__update_elem(m, &k, buf, 0);
	}
	for (int c = 0; c < CPU_SETSIZE && c < PC_MAXCPU; c++) {
		if (!CPU_ISSET(c, &old) || !pin(c))
			continue;
		visited++;
		for (uint32_t k = 0; k < PC_ENTRIES + 3; k++) {
			uint64_t a = run(pv, USERBPF_ENGINE_JIT, k);

			bad += a != run(pv, USERBPF_ENGINE_INTERPRETER, k);
			/* and the value is the one for this CPU */
			bad += k < PC_ENTRIES ? a != pval(k, (unsigned)c % n) + 1 : a != 0;
		}
		bad += run(pv, USERBPF_ENGINE_JIT, 0xffffffffu) != 0;
		for (int q = 0; q < 3; q++) {
			uint64_t a = run(pc[q], USERBPF_ENGINE_JIT, 0);

			bad += a != run(pc[q], USERBPF_ENGINE_INTERPRETER, 0);
			bad += q < 2 ? a != pval(q ? 4 : 0, (unsigned)c % n) + 1 : a != 0;
		}
	}
	/* then the writes, each CPU's mark over the last one in its slot */
	for (int c = 0; c < CPU_SETSIZE && c < PC_MAXCPU; c++) {
		unsigned s = (unsigned)c % n;
		uint64_t was1 = ran[s] ? ran[s] : pval(1, s) + 1;
		uint64_t was2 = ran[s] ? ran[s] : pval(2, s) + 1;

		if (!CPU_ISSET(c, &old) || !pin(c))
			continue;
		ran[s] = 0xabc000u + (unsigned)c;
		badw += run2(pv, USERBPF_ENGINE_JIT, 1, ran[s]) != was1;
		badw += run2(pv, USERBPF_ENGINE_INTERPRETER, 2, ran[s]) != was2;
		ran[s]++;	/* what the program returns next time: old + 1 */
	}
	sched_setaffinity(0, sizeof(old), &old);
	snprintf(name, sizeof(name), "%s: JIT equals interpreter on each of %u CPUs (variable, constant, out-of-range keys)", tag, visited);
	TL_CHECK(name, visited > 0 && bad == 0);
	{
		uint32_t k1 = 1, k2 = 2;

		badw += userbpf_map__lookup_elem(m, &k1, buf, 0) != 0;
		badw += userbpf_map__lookup_elem(m, &k2, buf2, 0) != 0;
		for (unsigned c = 0; c < n; c++) {
			/* the last CPU to map to slot c wrote it (several only
			 * when n is less than the CPUs) */
			badw += buf[c] != (ran[c] ? ran[c] - 1 : pval(1, c));
			badw += buf2[c] != (ran[c] ? ran[c] - 1 : pval(2, c));
		}
	}
	snprintf(name, sizeof(name), "%s: a write lands in the running CPU's slot, the helper's (all slots read back)", tag);
	TL_EQ_U64(name, badw, 0);
out:
	free(buf);
	free(buf2);
	userbpf_prog__free(pv);
	for (int q = 0; q < 3; q++)
		userbpf_prog__free(pc[q]);
	return (int)visited;
}

/* Compiles p with the given options: whether the code has rdpid, the helper. */
static void compiled(struct userbpf_prog *p, bool blind, bool win64, bool *rdpid, bool *helper)
{
	struct ub_jit_opts o = { .blind = blind, .win64 = win64 };
	struct ub_jit_out out = { 0 };
	uint64_t h = (uint64_t)(uintptr_t)ub_rt_helper(p->rt, 1)->fn;

	*rdpid = *helper = false;
	if (ub_jit_x86_64(p, &o, &out))
		return;
	*rdpid = has_rdpid(out.code, out.len);
	for (size_t i = 0; i + 8 <= out.len; i++)
		*helper |= !memcmp(out.code + i, &h, 8);
	ub_free(p->rt, out.code);
}

static void percpu_tests(struct userbpf_rt *rt)
{
	uint64_t helper = (uint64_t)(uintptr_t)ub_rt_helper(rt, 1)->fn;
	struct userbpf_map *m = userbpf_map__create(rt, 6, "pa", 4, 8, PC_ENTRIES, NULL);
	struct userbpf_prog *p = m ? percpu_prog(rt, &m, false, 0) : NULL;
	bool rd = cpu_rdpid(), r, h;

	if (!p) {
		tl_fail("percpu setup", "map or program failed: %s", tl_last_log);
		goto out;
	}
	run(p, USERBPF_ENGINE_JIT, 0);
	if (rd) {
		TL_CHECK("percpu_array: lookup inlined (rdpid, no helper call)",
			 p->jit_code && has_rdpid(p->jit_code, p->jit_size) && !code_has(p, helper));
	} else {
		tl_skip("percpu_array: lookup inlined (rdpid, no helper call)", "the CPU has no RDPID");
		TL_CHECK("percpu_array without RDPID: the helper is called",
			 p->jit_code && !has_rdpid(p->jit_code, p->jit_size) && code_has(p, helper));
	}
	compiled(p, false, true, &r, &h);
	TL_CHECK("percpu_array, Win64 code: the helper is called, no rdpid", h && !r);
	compiled(p, true, false, &r, &h);
	TL_CHECK("percpu_array, blinded code: the helper is called, no rdpid", h && !r);
	compiled(p, false, false, &r, &h);
	TL_CHECK("percpu_array, System V code: rdpid exactly when the CPU has it", r == rd && h == !rd);
	percpu_runs(rt, m, "percpu_array");
	userbpf_prog__free(p);
	p = NULL;
	userbpf_map__free(m);
	/* A map that claims one CPU: CPU 0 takes the inline path, the
	 * others the call of the map's lookup, which also picks slot 0. */
	m = userbpf_map__create(rt, 6, "pa1", 4, 8, PC_ENTRIES, NULL);
	if (!m || m->ncpus < 2) {
		tl_skip("percpu_array, CPUs past ncpus: the out-of-line call", "one CPU only");
		goto out;
	}
	{
		unsigned n = m->ncpus;

		m->ncpus = 1;
		percpu_runs(rt, m, "percpu_array, CPUs past ncpus (1)");
		m->ncpus = n;
	}
out:
	userbpf_prog__free(p);
	userbpf_map__free(m);
}

int main(void)
{
	struct userbpf_rt *rt = tl_rt_new(0);
	/* key = r1 (entry arg) stored to the stack; v = lookup; return v ?
	 * *(u32 *)v + 1 : 0.  Entry regs r1 only. */
	const struct userbpf_insn prog[] = {
		I(0x63, 10, 1, -4, 0), I(0xbf, 2, 10, 0, 0), I(0x07, 2, 0, 0, -4),
		I(0x18, 1, 1, 0, 0), I(0, 0, 0, 0, 0), I(0x85, 0, 0, 0, 1),
		I(0x15, 0, 0, 2, 0), I(0x61, 0, 0, 0, 0), I(0x07, 0, 0, 0, 1),
		I(0x95, 0, 0, 0, 0),
	};
	const uint32_t sizes[][2] = { { 4, 8 }, { 12, 5 }, { 64, 1 }, { 4, 100000 } };
	uint64_t helper = (uint64_t)(uintptr_t)ub_rt_helper(rt, 1)->fn;

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct userbpf_map *m = userbpf_map__create(rt, 2, "a", 4, sizes[s][0], sizes[s][1], NULL);
		struct userbpf_prog_opts po = { .sz = sizeof(po), .maps = &m, .map_cnt = 1 };
		struct userbpf_prog *p = m ? userbpf_prog__load(rt, prog, 10, &po) : NULL;
		uint8_t val[64];
		char name[128];
		int bad = 0;

		if (!p) {
			tl_fail("inline setup", "map or program failed");
			continue;
		}
		userbpf_prog__set_trusted(p, true);
		for (uint32_t k = 0; k < sizes[s][1] && k < 64; k++) {
			memset(val, 0, sizeof(val));
			memcpy(val, &k, 4);
			val[0] ^= 0x5a;
			userbpf_map__update_elem(m, &k, val, 0);
		}
		for (uint32_t k = 0; k < sizes[s][1] + 3 && k < 70; k++)
			bad += run(p, USERBPF_ENGINE_JIT, k) != run(p, USERBPF_ENGINE_INTERPRETER, k);
		bad += run(p, USERBPF_ENGINE_JIT, 0xffffffffu) != 0;
		snprintf(name, sizeof(name), "value %u x %u entries: JIT equals interpreter, in and past range",
			 sizes[s][0], sizes[s][1]);
		TL_EQ_U64(name, bad, 0);
		snprintf(name, sizeof(name), "value %u x %u entries: lookup inlined (no helper call)",
			 sizes[s][0], sizes[s][1]);
		TL_CHECK(name, p->jit_code && !code_has(p, helper));
		userbpf_prog__free(p);
		userbpf_map__free(m);
	}
	{
		struct userbpf_map *h = userbpf_map__create(rt, 1, "h", 4, 4, 8, NULL);
		struct userbpf_prog_opts po = { .sz = sizeof(po), .maps = &h, .map_cnt = 1 };
		struct userbpf_prog *p = h ? userbpf_prog__load(rt, prog, 10, &po) : NULL;

		if (p) {
			userbpf_prog__set_trusted(p, true);
			run(p, USERBPF_ENGINE_JIT, 1);
			TL_CHECK("a hash map lookup still calls the helper", p->jit_code && code_has(p, helper));
		}
		userbpf_prog__free(p);
		userbpf_map__free(h);
	}
	percpu_tests(rt);
	userbpf_rt__free(rt);
	return tl_exit();
}
