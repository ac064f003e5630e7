/* SPDX-License-Identifier: MIT */
/*
 * lpm_prog.c - a program that writes its LPM_TRIE many times in one run.
 *
 * A run holds a read section of each LPM_TRIE of its program, and a writer
 * that has used up the trie's node pool waits for a grace period, that is
 * for every reader to leave.  When the writer is the program itself
 * (bpf_map_update_elem or bpf_map_delete_elem from the run), it must not
 * wait for its own section: Linux lets a program update or insert and
 * delete in an LPM trie any number of times in one run.  Found by the map
 * benchmark (bench/maps), where each such update stalled 2 s and then
 * answered -ENOMEM.  Each case runs 200 writes on a trie of 4 entries (a
 * pool of 10 nodes), in the interpreter and, when there is one, the JIT.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "testlib.h"

#define WRITES 200
#define LPM_TRIE 11		/* BPF_MAP_TYPE_LPM_TRIE */
#define NO_PREALLOC 1u		/* BPF_F_NO_PREALLOC */
#define ADDR 0x0100000au	/* the bytes 10.0.0.1, as a u32 store writes them */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define I(c, d, s, o, i)                                                        \
	((struct userbpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s),    \
				.off = (o), .imm = (i) })

/*
 * for (r6 = 0; r6 < WRITES; r6++) { update(map, {32, 10.0.0.1}, r6);
 * [delete(map, {32, 10.0.0.1});] } -- returning the first error, else 0.
 */
static size_t gen(struct userbpf_insn *p, bool del)
{
	size_t n = 0, loop, out[2], nout = 0;

	p[n++] = I(0xb7, 6, 0, 0, 0);			/* r6 = 0 */
	loop = n;
	p[n++] = I(0x62, 10, 0, -8, 32);		/* *(u32 *)(r10 - 8) = 32 */
	p[n++] = I(0x62, 10, 0, -4, (int32_t)ADDR);	/* *(u32 *)(r10 - 4) = addr */
	p[n++] = I(0x7b, 10, 6, -16, 0);		/* *(u64 *)(r10 - 16) = r6 */
	for (int call = 0; call < (del ? 2 : 1); call++) {
		p[n++] = I(0x18, 1, 1, 0, 0);		/* r1 = maps[0] */
		p[n++] = I(0, 0, 0, 0, 0);
		p[n++] = I(0xbf, 2, 10, 0, 0);		/* r2 = r10 - 8 */
		p[n++] = I(0x07, 2, 0, 0, -8);
		if (call == 0) {
			p[n++] = I(0xbf, 3, 10, 0, 0);	/* r3 = r10 - 16 */
			p[n++] = I(0x07, 3, 0, 0, -16);
			p[n++] = I(0xb7, 4, 0, 0, 0);	/* r4 = BPF_ANY */
		}
		p[n++] = I(0x85, 0, 0, 0, call == 0 ? 2 : 3);	/* update / delete */
		out[nout++] = n;
		p[n++] = I(0x55, 0, 0, 0, 0);		/* if r0 != 0 goto out */
	}
	p[n++] = I(0x07, 6, 0, 0, 1);			/* r6 += 1 */
	p[n] = I(0xa5, 6, 0, (int16_t)(loop - n - 1), WRITES);	/* if r6 < WRITES goto loop */
	n++;
	p[n++] = I(0xb7, 0, 0, 0, 0);			/* r0 = 0 */
	for (size_t i = 0; i < nout; i++)		/* out: */
		p[out[i]].off = (int16_t)(n - out[i] - 1);
	p[n++] = I(0x95, 0, 0, 0, 0);
	return n;
}

static void run_case(struct userbpf_rt *rt, bool del, enum userbpf_engine engine)
{
	char name[160];
	struct userbpf_map_create_opts mo = { .sz = sizeof(mo), .map_flags = NO_PREALLOC };
	struct userbpf_map *m = userbpf_map__create(rt, LPM_TRIE, "lpm", 8, 8, 4, &mo);
	struct userbpf_insn insns[64];
	struct userbpf_prog_opts po;
	struct userbpf_run_opts ro;
	struct userbpf_prog *p = NULL;
	uint8_t key[8];
	uint32_t plen = 32, addr = ADDR;
	uint64_t r0 = 1, v = 0, t0, ns;
	int err;

	snprintf(name, sizeof(name), "lpm: one %s run makes %d %s in a trie of 4 entries",
		 engine == USERBPF_ENGINE_JIT ? "JIT" : "interpreter", WRITES,
		 del ? "inserts and deletes" : "updates");
	if (!m) {
		tl_fail(name, "userbpf_map__create: %s", strerror(errno));
		return;
	}
	memset(&po, 0, sizeof(po));
	po.sz = sizeof(po);
	po.name = "lpm_writes";
	po.maps = &m;
	po.map_cnt = 1;
	p = userbpf_prog__load(rt, insns, gen(insns, del), &po);
	if (!p) {
		tl_fail(name, "userbpf_prog__load: %s: %s", strerror(errno), tl_last_log);
		goto out;
	}
	if (engine == USERBPF_ENGINE_JIT && userbpf_prog__verify(p, NULL)) {
		tl_skip(name, "the verifier refuses the program, so it cannot run in the JIT");
		goto out;
	}
	memset(&ro, 0, sizeof(ro));
	ro.sz = sizeof(ro);
	ro.engine = engine;
	t0 = now_ns();
	err = userbpf_prog__run(p, &ro, &r0);
	ns = now_ns() - t0;
	if (err == -EOPNOTSUPP && engine == USERBPF_ENGINE_JIT) {
		tl_skip(name, "no JIT on this machine");
		goto out;
	}
	memcpy(key, &plen, 4);
	memcpy(key + 4, &addr, 4);
	if (err)
		tl_fail(name, "the run failed: %s: %s", strerror(-err), tl_last_log);
	else if (r0)
		tl_fail(name, "a write answered %lld (%s) after %.1f s: the run waited for its own "
			"read section", (long long)r0, strerror((int)-(int64_t)r0), ns / 1e9);
	else if (ns > 1000000000u)
		tl_fail(name, "the run took %.1f s", ns / 1e9);
	else if (del ? userbpf_map__lookup_elem(m, key, &v, 0) != -ENOENT
		     : userbpf_map__lookup_elem(m, key, &v, 0) || v != WRITES - 1)
		tl_fail(name, "the trie does not hold what the run wrote (value %llu)",
			(unsigned long long)v);
	else
		tl_ok(name);
out:
	userbpf_prog__free(p);
	userbpf_map__free(m);
}

int main(void)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log = tl_log };
	struct userbpf_rt *rt = userbpf_rt__new(&o);

	if (!rt) {
		tl_fail("lpm_prog runtime", "userbpf_rt__new: %s", strerror(errno));
		return tl_exit();
	}
	for (int del = 0; del < 2; del++) {
		run_case(rt, del, USERBPF_ENGINE_INTERPRETER);
		run_case(rt, del, USERBPF_ENGINE_JIT);
	}
	userbpf_rt__free(rt);
	return tl_exit();
}
