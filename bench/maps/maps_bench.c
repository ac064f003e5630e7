/* SPDX-License-Identifier: MIT */
/*
 * maps_bench.c - nanoseconds per map operation made FROM A BPF PROGRAM,
 * userbpf against the Linux kernel in the same run, for HASH, LRU_HASH,
 * ARRAY, PERCPU_ARRAY and LPM_TRIE (1K and 1M prefixes), and the cost of a
 * test run of an empty program.
 *
 * Both sides run the same instructions (built here as raw bytecode): an
 * XDP program whose bounded loop makes LOOP map-helper calls, timed by a
 * test run with repeat (userbpf_prog__test_run in the JIT;
 * BPF_PROG_LOAD + BPF_PROG_TEST_RUN in the kernel).  The same loop with
 * the helper calls left out is the baseline; ns/op = (op run - baseline
 * run) / LOOP.  The sides alternate, a short test run at a time, and each
 * keeps its best run, so that the other work on a shared machine disturbs
 * both alike.  The only byte that differs is the map reference: lddw
 * src_reg=1 with imm = a map fd (kernel) or an index into
 * userbpf_prog_opts.maps (userbpf).  The userbpf programs are verified
 * (userbpf_prog__verify); one the verifier refuses is marked trusted
 * instead, and the output says so.  Every program checks that its calls
 * did their work (lookups hit, writes answer 0); a test run that fails
 * leaves that side of the row with the test runs it had, and the row says
 * why.  A map type userbpf_map__create refuses prints "-" and the reason.
 *
 * Keys: hash and array maps hold keys 0..1023 (u32, value u64); lookups
 * and updates cycle over them, "insert+delete" adds an absent key and
 * deletes it (one pair, so it is reported as a pair).  LPM tries hold N
 * prefixes: prefix i is addr(i) = i * 0x9e3779b1 (the bytes of that u32
 * as the program stores it) cut to 32 - (i & 15) bits; a lookup asks for
 * addr(i)/32 (a hit), an update rewrites prefix i, insert+delete uses the
 * absent addr(i)/16.  The kernel's tries are BPF_F_NO_PREALLOC (it requires
 * that), its hash maps preallocated (its default).
 *
 * Empty test run: a program "r0 = 2; exit" run REPEAT_EMPTY times in one
 * test run; each side's own average (the kernel's leaves out the set-up of
 * the call, such as its XDP dispatcher update, and so does ours).
 *
 *   sh bench/maps/run.sh [BUILD] [REPS]   (builds BUILD/bench/maps_bench)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "userbpf/userbpf.h"
#if defined(__linux__)
#include <linux/bpf.h>
#include <sys/syscall.h>
#define HAVE_KERNEL 1
#else
#define HAVE_KERNEL 0
#endif

#define LOOP 1000		/* helper calls per program run */
#define REPEAT 20		/* program runs per test run */
#define REPEAT_EMPTY 20000	/* runs per test run of the empty program */
#define NKEYS 1024u		/* keys of the hash and array maps */
#define MIX 0x9e3779b1u		/* addr(i) = i * MIX */
#define PKT 64			/* bytes of the test packet */

enum { MAP_HASH = 1, MAP_ARRAY = 2, MAP_PERCPU_ARRAY = 6, MAP_LRU_HASH = 9,
       MAP_LPM_TRIE = 11 };
#define F_NO_PREALLOC 1u	/* BPF_F_NO_PREALLOC */
enum { H_LOOKUP = 1, H_UPDATE = 2, H_DELETE = 3 };
enum { OP_LOOKUP, OP_UPDATE, OP_INSDEL, OP__N };
static const char *const op_names[] = { "lookup", "update", "insert+delete" };

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- the program, the same bytes for both sides ----------------------- */

#define I(c, d, s, o, i)                                                        \
	((struct userbpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s),    \
				.off = (o), .imm = (i) })

/*
 * for (r6 = 0; r6 < LOOP; r6++) { build key at r10-8 (LPM) or r10-4 (u32),
 * value = r6 at r10-16; op(map, key[, value, BPF_ANY]) }.  The program
 * checks its own work: it returns r7, the lookup hits (each value is
 * read), or, at the first update/delete that fails, that call's error; so
 * LOOP for lookups and 0 otherwise when every call did its work (see
 * expected_ret()).  The error is also kept in the packet's first 4 bytes,
 * which the runs of one test run share: a run that finds one there returns
 * it at once, so a failing test run stops costing time after its first
 * failure.  base: the same with r0 = 0 in place of each helper call.
 * map_imm: lddw imm of the map.  Returns the instruction count.
 */
static int gen_prog(struct userbpf_insn *p, bool lpm, int op, bool base, int32_t map_imm)
{
	int n = 0, loop, fail[2], nfail = 0, early[2];
	int16_t key_off = lpm ? -8 : -4;

	p[n++] = I(0x61, 2, 1, 0, 0);			/* r2 = ctx->data */
	p[n++] = I(0x61, 3, 1, 4, 0);			/* r3 = ctx->data_end */
	p[n++] = I(0xbf, 8, 2, 0, 0);			/* r8 = r2 */
	p[n++] = I(0x07, 2, 0, 0, 4);			/* r2 += 4 */
	p[n++] = I(0xb7, 0, 0, 0, 0);			/* r0 = 0 */
	early[0] = n;
	p[n++] = I(0x2d, 2, 3, 0, 0);			/* if r2 > r3 goto exit */
	p[n++] = I(0x61, 0, 8, 0, 0);			/* r0 = *(u32 *)(r8 + 0) */
	early[1] = n;
	p[n++] = I(0x55, 0, 0, 0, 0);			/* if r0 != 0 goto exit */
	p[n++] = I(0xb7, 6, 0, 0, 0);			/* r6 = 0 */
	p[n++] = I(0xb7, 7, 0, 0, 0);			/* r7 = 0 */
	loop = n;
	p[n++] = I(0x7b, 10, 6, -16, 0);		/* *(u64 *)(r10 - 16) = r6 */
	p[n++] = I(0xbc, 1, 6, 0, 0);			/* w1 = w6 */
	if (!lpm) {
		p[n++] = I(0x54, 1, 0, 0, NKEYS - 1);	/* w1 &= 1023 */
		if (op == OP_INSDEL)
			p[n++] = I(0x04, 1, 0, 0, 2 * NKEYS);	/* w1 += 2048 */
		p[n++] = I(0x63, 10, 1, -4, 0);		/* *(u32 *)(r10 - 4) = w1 */
	} else {
		p[n++] = I(0x24, 1, 0, 0, (int32_t)MIX);	/* w1 *= MIX */
		if (op == OP_LOOKUP) {
			p[n++] = I(0x62, 10, 0, -8, 32);	/* *(u32 *)(r10 - 8) = 32 */
		} else if (op == OP_UPDATE) {
			/* prefix i: the first 32 - (i & 15) bits, in byte order */
			p[n++] = I(0xbc, 2, 6, 0, 0);		/* w2 = w6 */
			p[n++] = I(0x54, 2, 0, 0, 15);		/* w2 &= 15 */
			p[n++] = I(0xdc, 1, 0, 0, 32);		/* r1 = be32 r1 */
			p[n++] = I(0x7c, 1, 2, 0, 0);		/* w1 >>= w2 */
			p[n++] = I(0x6c, 1, 2, 0, 0);		/* w1 <<= w2 */
			p[n++] = I(0xdc, 1, 0, 0, 32);		/* r1 = be32 r1 */
			p[n++] = I(0xb4, 3, 0, 0, 32);		/* w3 = 32 */
			p[n++] = I(0x1c, 3, 2, 0, 0);		/* w3 -= w2 */
			p[n++] = I(0x63, 10, 3, -8, 0);		/* *(u32 *)(r10 - 8) = w3 */
		} else {
			p[n++] = I(0x54, 1, 0, 0, 0xffff);	/* w1 &= 0xffff: the /16 */
			p[n++] = I(0x62, 10, 0, -8, 16);	/* *(u32 *)(r10 - 8) = 16 */
		}
		p[n++] = I(0x63, 10, 1, -4, 0);		/* *(u32 *)(r10 - 4) = w1 */
	}
	for (int call = 0; call < (op == OP_INSDEL ? 2 : 1); call++) {
		int helper = op == OP_LOOKUP ? H_LOOKUP : call == 0 ? H_UPDATE : H_DELETE;

		if (base) {
			p[n++] = I(0xb7, 0, 0, 0, 0);	/* r0 = 0 */
		} else {
			p[n++] = I(0x18, 1, 1, 0, map_imm);	/* r1 = map */
			p[n++] = I(0, 0, 0, 0, 0);
			p[n++] = I(0xbf, 2, 10, 0, 0);		/* r2 = r10 + key_off */
			p[n++] = I(0x07, 2, 0, 0, key_off);
			if (helper == H_UPDATE) {
				p[n++] = I(0xbf, 3, 10, 0, 0);	/* r3 = r10 - 16 */
				p[n++] = I(0x07, 3, 0, 0, -16);
				p[n++] = I(0xb7, 4, 0, 0, 0);	/* r4 = BPF_ANY */
			}
			p[n++] = I(0x85, 0, 0, 0, helper);
		}
		if (helper == H_LOOKUP) {
			p[n++] = I(0x15, 0, 0, 2, 0);		/* if r0 == 0 goto +2 */
			p[n++] = I(0x79, 1, 0, 0, 0);		/* r1 = *(u64 *)(r0 + 0) */
			p[n++] = I(0x07, 7, 0, 0, 1);		/* r7 += 1 */
		} else {
			fail[nfail++] = n;
			p[n++] = I(0x55, 0, 0, 0, 0);		/* if r0 != 0 goto out */
		}
	}
	p[n++] = I(0x07, 6, 0, 0, 1);			/* r6 += 1 */
	p[n] = I(0xa5, 6, 0, (int16_t)(loop - n - 1), LOOP);	/* if r6 < LOOP goto loop */
	n++;
	p[n++] = I(0xbf, 0, 7, 0, 0);			/* r0 = r7 */
	if (nfail) {
		p[n++] = I(0x05, 0, 0, 1, 0);		/* goto exit */
		for (int f = 0; f < nfail; f++)		/* out: */
			p[fail[f]].off = (int16_t)(n - fail[f] - 1);
		p[n++] = I(0x63, 8, 0, 0, 0);		/* *(u32 *)(r8 + 0) = w0 */
	}
	for (int e = 0; e < 2; e++)			/* exit: */
		p[early[e]].off = (int16_t)(n - early[e] - 1);
	p[n++] = I(0x95, 0, 0, 0, 0);
	return n;
}

/* What gen_prog's program returns when every call did its work. */
static uint32_t expected_ret(int op, bool base)
{
	return op == OP_LOOKUP && !base ? LOOP : 0;
}

/* The bytes the program stores for addr(i) (a u32 store, host order). */
static void lpm_key(uint8_t key[8], uint32_t i, uint32_t plen)
{
	uint32_t a = i * MIX;

	memcpy(key, &plen, 4);
	memcpy(key + 4, &a, 4);
	for (uint32_t b = plen; b < 32; b++)		/* clear bits after plen */
		key[4 + b / 8] &= (uint8_t)~(0x80u >> (b % 8));
}

/* ---- userbpf ----------------------------------------------------------- */

static char last_log[512];

static void on_log(enum userbpf_log_level level, const char *msg, void *user)
{
	(void)user;
	if (level == USERBPF_LOG_WARN)
		snprintf(last_log, sizeof(last_log), "%s", msg);
}

/* How the userbpf programs run, for the notes. */
static char ub_mode_maps[600], ub_mode_empty[600];

static struct userbpf_prog *ub_load(struct userbpf_rt *rt, const struct userbpf_insn *p, int n,
				    struct userbpf_map *m, const char *type, char *mode,
				    size_t mode_sz)
{
	struct userbpf_prog_opts po;
	struct userbpf_verify_opts vo;
	struct userbpf_prog *prog;

	memset(&po, 0, sizeof(po));
	po.sz = sizeof(po);
	po.name = "bench";
	po.maps = m ? &m : NULL;
	po.map_cnt = m ? 1 : 0;
	po.prog_type = type;
	last_log[0] = 0;
	prog = userbpf_prog__load(rt, p, (size_t)n, &po);
	if (!prog) {
		fprintf(stderr, "maps_bench: userbpf_prog__load: %s: %s\n", strerror(errno), last_log);
		return NULL;
	}
	memset(&vo, 0, sizeof(vo));
	vo.sz = sizeof(vo);
	last_log[0] = 0;
	if (userbpf_prog__verify(prog, &vo) == 0) {
		if (mode && !mode[0])
			snprintf(mode, mode_sz, "verified");
	} else {
		/* Verifier map support lands separately: trust the bytecode
		 * (the kernel verified the same bytes) and say so. */
		userbpf_prog__set_trusted(prog, true);
		if (mode && (!mode[0] || !strcmp(mode, "verified")))
			snprintf(mode, mode_sz, "trusted, not verified (the verifier refused: %s)",
				 last_log[0] ? last_log : "no reason given");
	}
	return prog;
}

/* Why the last test run failed. */
static char run_err[800];

static void ret_err(uint32_t ret, uint32_t expect)
{
	if (expect == 0 && (int32_t)ret < 0)
		snprintf(run_err, sizeof(run_err), "a helper call returned %d (%s)", (int32_t)ret,
			 strerror(-(int32_t)ret));
	else
		snprintf(run_err, sizeof(run_err), "the program returned %u, not %u", ret, expect);
}

/* One test run of `repeat` runs in the JIT: ns per run (the runtime's own
 * average, whole ns as the kernel reports it).  -1 on failure or when the
 * program does not return `expect`. */
static double ub_test_run(struct userbpf_prog *prog, uint32_t repeat, uint32_t expect)
{
	static uint8_t pkt[PKT];
	struct userbpf_test_run_opts o;

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.data_in = pkt;
	o.data_size_in = sizeof(pkt);
	o.repeat = repeat;
	o.engine = USERBPF_ENGINE_JIT;
	last_log[0] = 0;
	if (userbpf_prog__test_run(prog, &o)) {
		snprintf(run_err, sizeof(run_err), "test run: %s%s%s", strerror(errno),
			 last_log[0] ? ": " : "", last_log);
		return -1;
	}
	if (o.retval != expect) {
		ret_err(o.retval, expect);
		if (last_log[0])
			snprintf(run_err + strlen(run_err), sizeof(run_err) - strlen(run_err),
				 " (log: %s)", last_log);
		return -1;
	}
	return (double)o.duration_ns;
}

/* ---- the kernel -------------------------------------------------------- */

#if HAVE_KERNEL
static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

static int k_map(uint32_t type, uint32_t key_size, uint32_t max, uint32_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = key_size;
	a.value_size = 8;
	a.max_entries = max;
	a.map_flags = flags;
	return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

static int k_update(int fd, const void *key, const void *value)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.value = (uint64_t)(uintptr_t)value;
	return (int)sys_bpf(BPF_MAP_UPDATE_ELEM, &a);
}

static int k_load(uint32_t type, const struct userbpf_insn *p, int n)
{
	static char log[65536];
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (uint64_t)(uintptr_t)p;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t)"GPL";
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0 && errno != EPERM && errno != ENOSYS) {
		/* again with the log, for the reason */
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = sizeof(log);
		a.log_level = 1;
		log[0] = 0;
		if (sys_bpf(BPF_PROG_LOAD, &a) < 0) {
			size_t len = strlen(log);
			char *last;

			while (len && log[len - 1] == '\n')
				log[--len] = 0;
			/* the line before the statistics says why */
			last = strrchr(log, '\n');
			if (last) {
				*last = 0;
				last = strrchr(log, '\n');
			}
			fprintf(stderr, "maps_bench: kernel BPF_PROG_LOAD: %s: %s\n", strerror(errno),
				last ? last + 1 : log);
		}
	}
	return fd;
}

/* As ub_test_run, for the kernel's BPF_PROG_TEST_RUN. */
static double k_test_run(int pfd, uint32_t repeat, uint32_t expect)
{
	static uint8_t pkt[PKT];
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)pfd;
	a.test.data_in = (uint64_t)(uintptr_t)pkt;
	a.test.data_size_in = sizeof(pkt);
	a.test.repeat = repeat;
	if (sys_bpf(BPF_PROG_TEST_RUN, &a)) {
		snprintf(run_err, sizeof(run_err), "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return -1;
	}
	if (a.test.retval != expect) {
		ret_err(a.test.retval, expect);
		return -1;
	}
	return (double)a.test.duration;
}
#endif

/* ---- the table --------------------------------------------------------- */

/* One side of a row: its op and baseline programs, best test runs. */
struct side {
	struct userbpf_prog *prog[2];	/* userbpf: op, baseline */
	int fd[2];			/* kernel: op, baseline */
	bool live;			/* no test run has failed */
	int good;			/* reps where both ran */
	double best[2], ns;
	char err[800];
};

struct row_def {
	const char *name;
	uint32_t type, key_size, nkeys, max, k_flags;
	int nops;
};

static const struct row_def rows[] = {
	{ "hash", MAP_HASH, 4, NKEYS, 4 * NKEYS, 0, 3 },
	{ "lru_hash", MAP_LRU_HASH, 4, NKEYS, 4 * NKEYS, 0, 3 },
	{ "array", MAP_ARRAY, 4, NKEYS, NKEYS, 0, 2 },
	{ "percpu_array", MAP_PERCPU_ARRAY, 4, NKEYS, NKEYS, 0, 2 },
	{ "lpm_trie 1K", MAP_LPM_TRIE, 8, 1024, 1024 + 2048, F_NO_PREALLOC, 3 },
	{ "lpm_trie 1M", MAP_LPM_TRIE, 8, 1u << 20, (1u << 20) + 2048, F_NO_PREALLOC, 3 },
};

static void print_row(const char *map, const char *op, double ub, double k, const char *target,
		      const char *why_ub)
{
	char ubs[32], ks[32], rs[32];

	snprintf(ubs, sizeof(ubs), ub >= 0 ? "%.1f" : "-", ub);
	snprintf(ks, sizeof(ks), k >= 0 ? "%.1f" : "-", k);
	snprintf(rs, sizeof(rs), ub >= 0 && k > 0 ? "%.2fx" : "-", k > 0 ? ub / k : 0);
	printf("%-13s %-19s %10s %10s %7s  %s%s%s\n", map, op, ubs, ks, rs, target ? target : "",
	       why_ub ? (target ? "; " : "") : "", why_ub ? why_ub : "");
}

/* "met"/"missed" against a ratio target. */
static const char *verdict(char *buf, size_t sz, const char *what, double ub, double k,
			   double max_ratio)
{
	if (ub < 0 || k <= 0)
		snprintf(buf, sz, "target %s: not measured", what);
	else
		snprintf(buf, sz, "target %s: %s", what, ub / k <= max_ratio ? "met" : "MISSED");
	return buf;
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 25;
	struct userbpf_rt_opts ro;
	struct userbpf_rt *rt;
	double t_start = now_ns();
	static struct userbpf_insn prog_buf[64];
	char notes[8][600];
	int nnotes = 0;
	bool kernel = HAVE_KERNEL;

	if (reps < 1)
		reps = 1;
	memset(&ro, 0, sizeof(ro));
	ro.sz = sizeof(ro);
	ro.log = on_log;
	ro.log_level = USERBPF_LOG_WARN;
	rt = userbpf_rt__new(&ro);
	if (!rt) {
		fprintf(stderr, "maps_bench: no runtime: %s\n", strerror(errno));
		return 1;
	}
#if HAVE_KERNEL
	{
		/* Does bpf() answer? */
		int fd = k_map(MAP_ARRAY, 4, 1, 0);

		if (fd < 0) {
			kernel = false;
			snprintf(notes[nnotes++], sizeof(notes[0]),
				 "kernel column: bpf() does not answer (%s); run as root", strerror(errno));
		} else {
			close(fd);
		}
	}
#endif
	printf("ns per map operation from a BPF program (JIT both sides), best of %d test runs of "
	       "%d runs x %d ops, empty-loop baseline subtracted\n", reps, REPEAT, LOOP);
	printf("%-13s %-19s %10s %10s %7s  %s\n", "map", "op", "userbpf", "kernel", "ratio", "");

	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		const struct row_def *d = &rows[r];
		bool lpm = d->type == MAP_LPM_TRIE;
		struct userbpf_map_create_opts mo;
		struct userbpf_map *m;
		char why_ub[600] = "";
		int kfd = -1;
		uint8_t key[8], *val;
		size_t vsz = 8 * 1024;	/* room for per-CPU values */

		val = calloc(1, vsz);
		memset(&mo, 0, sizeof(mo));
		mo.sz = sizeof(mo);
		mo.map_flags = d->k_flags;
		last_log[0] = 0;
		m = userbpf_map__create(rt, d->type, "bench", d->key_size, 8, d->max, &mo);
		if (!m)
			snprintf(why_ub, sizeof(why_ub), "userbpf: userbpf_map__create: %s (%s)",
				 strerror(errno), last_log[0] ? last_log : "no log");
#if HAVE_KERNEL
		if (kernel) {
			kfd = k_map(d->type, d->key_size, d->max, d->k_flags);
			if (kfd < 0)
				fprintf(stderr, "maps_bench: kernel %s: BPF_MAP_CREATE: %s\n", d->name,
					strerror(errno));
		}
#endif
		for (uint32_t i = 0; i < d->nkeys && val; i++) {
			uint32_t k32 = i;

			if (lpm)
				lpm_key(key, i, 32 - (i & 15));
			else
				memcpy(key, &k32, 4);
			if (m && userbpf_map__update_elem(m, key, val, 0)) {
				snprintf(why_ub, sizeof(why_ub), "userbpf: filling: %s", strerror(errno));
				userbpf_map__free(m);
				m = NULL;
			}
#if HAVE_KERNEL
			if (kfd >= 0 && k_update(kfd, key, val)) {
				fprintf(stderr, "maps_bench: kernel %s: filling: %s\n", d->name,
					strerror(errno));
				close(kfd);
				kfd = -1;
			}
#endif
		}
		for (int op = 0; op < d->nops; op++) {
			struct side sd[2];	/* userbpf, kernel */
			char vbuf[128], note[2000];
			const char *target = NULL;

			memset(sd, 0, sizeof(sd));
			for (int b = 0; b < 2; b++) {
				int n;

				sd[0].best[b] = sd[1].best[b] = 1e30;
				sd[1].fd[b] = -1;
				if (m) {
					n = gen_prog(prog_buf, lpm, op, b == 1, 0);
					sd[0].prog[b] = ub_load(rt, prog_buf, n, m, "xdp", ub_mode_maps,
								sizeof(ub_mode_maps));
				}
#if HAVE_KERNEL
				if (kfd >= 0) {
					n = gen_prog(prog_buf, lpm, op, b == 1, kfd);
					sd[1].fd[b] = k_load(BPF_PROG_TYPE_XDP, prog_buf, n);
				}
#endif
			}
			sd[0].live = sd[0].prog[0] && sd[0].prog[1];
			sd[1].live = sd[1].fd[0] >= 0 && sd[1].fd[1] >= 0;
			for (int rep = 0; rep < reps && (sd[0].live || sd[1].live); rep++) {
				for (int side = 0; side < 2; side++) {
					struct side *x = &sd[side];

					for (int b = 0; x->live && b < 2; b++) {
						uint32_t expect = expected_ret(op, b == 1);
						double t = side == 0 ? ub_test_run(x->prog[b], REPEAT, expect)
#if HAVE_KERNEL
								     : k_test_run(x->fd[b], REPEAT, expect);
#else
								     : -1;
#endif

						if (t < 0) {
							x->live = false;
							snprintf(x->err, sizeof(x->err), "%s",
								 run_err);
						} else if (t < x->best[b]) {
							x->best[b] = t;
						}
					}
					if (x->live)
						x->good++;
				}
			}
			for (int side = 0; side < 2; side++)
				if (sd[side].good)
					sd[side].ns = (sd[side].best[0] - sd[side].best[1]) / LOOP;
				else
					sd[side].ns = -1;
			if (d->type == MAP_HASH && op == OP_LOOKUP)
				target = verdict(vbuf, sizeof(vbuf), "<= 1.00x", sd[0].ns, sd[1].ns, 1.0);
			else if (d->type == MAP_HASH && op == OP_UPDATE)
				target = verdict(vbuf, sizeof(vbuf), "<= 0.50x", sd[0].ns, sd[1].ns, 0.5);
			else if (d->type == MAP_ARRAY && op == OP_LOOKUP)
				/* Both sides inline it: the kernel's JIT and ours
				 * (jit_x86_64.c, tests/jit/x86_inline.c). */
				target = verdict(vbuf, sizeof(vbuf), "<= 2.00x (inlined)", sd[0].ns,
						 sd[1].ns, 2.0);
			note[0] = 0;
			if (op == 0 && why_ub[0])
				snprintf(note, sizeof(note), "%s", why_ub);
			for (int side = 0; side < 2; side++)
				if (sd[side].err[0])
					snprintf(note + strlen(note), sizeof(note) - strlen(note),
						 "%s%s: %s after %d good test run pairs%s", note[0] ? "; " : "",
						 side ? "kernel" : "userbpf", sd[side].err, sd[side].good,
						 sd[side].good ? " (the number is theirs)" : "");
			print_row(d->name, op_names[op], sd[0].ns, sd[1].ns, target,
				  note[0] ? note : NULL);
			fflush(stdout);
			for (int b = 0; b < 2; b++) {
				userbpf_prog__free(sd[0].prog[b]);
				if (sd[1].fd[b] >= 0)
					close(sd[1].fd[b]);
			}
		}
		userbpf_map__free(m);
		if (kfd >= 0)
			close(kfd);
		free(val);
	}

	/* Test-run overhead of an empty program. */
	{
		static const struct {
			const char *ub_type;
			uint32_t k_type;
		} empties[] = {
			{ "xdp", 6 /* BPF_PROG_TYPE_XDP */ },
			{ "socket_filter", 1 /* BPF_PROG_TYPE_SOCKET_FILTER */ },
		};
		struct userbpf_insn empty[2] = { I(0xb7, 0, 0, 0, 2), I(0x95, 0, 0, 0, 0) };

		for (size_t e = 0; e < sizeof(empties) / sizeof(empties[0]); e++) {
			struct userbpf_prog *up = ub_load(rt, empty, 2, NULL, empties[e].ub_type,
							  ub_mode_empty, sizeof(ub_mode_empty));
			int kpfd = -1;
			double ub_b = 1e30, k_b = 1e30, t;
			char op[32], vbuf[128];

#if HAVE_KERNEL
			if (kernel)
				kpfd = k_load(empties[e].k_type, empty, 2);
#endif
			for (int rep = 0; rep < reps && (up || kpfd >= 0); rep++) {
				if (up) {
					t = ub_test_run(up, REPEAT_EMPTY, 2);
					if (t < 0) {
						fprintf(stderr, "maps_bench: empty %s: userbpf: %s\n",
							empties[e].ub_type, run_err);
						userbpf_prog__free(up);
						up = NULL;
					} else if (t < ub_b) {
						ub_b = t;
					}
				}
#if HAVE_KERNEL
				if (kpfd >= 0) {
					t = k_test_run(kpfd, REPEAT_EMPTY, 2);
					if (t < 0) {
						fprintf(stderr, "maps_bench: empty %s: kernel: %s\n",
							empties[e].ub_type, run_err);
						close(kpfd);
						kpfd = -1;
					} else if (t < k_b) {
						k_b = t;
					}
				}
#endif
			}
			snprintf(op, sizeof(op), "empty %s", empties[e].ub_type);
			print_row("test_run", op, up ? ub_b : -1, kpfd >= 0 ? k_b : -1,
				  e == 0 ? verdict(vbuf, sizeof(vbuf), "<= 1.00x", up ? ub_b : -1,
						   kpfd >= 0 ? k_b : -1, 1.0)
					 : NULL, NULL);
			userbpf_prog__free(up);
			if (kpfd >= 0)
				close(kpfd);
		}
	}
	printf("ratio: userbpf / kernel (lower is better); insert+delete: ns per pair; "
	       "test_run: ns per run as each side reports it (whole ns)\n");
	printf("userbpf map programs: JIT, %s\n", ub_mode_maps[0] ? ub_mode_maps : "none ran");
	printf("userbpf empty programs: JIT, %s\n", ub_mode_empty[0] ? ub_mode_empty : "none ran");
	for (int i = 0; i < nnotes; i++)
		printf("%s\n", notes[i]);
	printf("total %.1f s\n", (now_ns() - t_start) / 1e9);
	userbpf_rt__free(rt);
	return 0;
}
