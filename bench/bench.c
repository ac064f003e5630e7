/* SPDX-License-Identifier: MIT */
/*
 * bench.c - the benchmark harness: runs each program of bench/progs/ in
 * every engine, checks that all engines compute the same checksum, and
 * prints a table of ns per run and of ratios to native code.
 *
 * Usage: bench DIR [-b BATCH_MS] [-n BATCHES] [-p PROGRAM] [-s median|min]
 *   DIR holds NAME.bin for every program: the raw instructions of its
 *   "xdp" section, as run.sh extracts them with llvm-objcopy.
 *
 * Timing: a batch repeats one run enough times to last at least BATCH_MS
 * (20 ms by default) on CLOCK_MONOTONIC; the figure reported is the median
 * of BATCHES (63, enough for the sign test below to show a difference of
 * under 1%) batches, and the spread (the interquartile range and
 * max - min, over the median) is shown so that noise is visible rather
 * than hidden.  -s min reports the fastest batch instead, a better guess
 * of the true cost on a machine shared with other work.  The batches of
 * the engines are interleaved, so that load from elsewhere on the machine
 * hits them alike, and the JIT's batches are compared one by one with the
 * kernel's of the same round (a sign test says whether the JIT is faster,
 * slower, or neither shown).  Native code is timed by a C loop calling
 * it; the BPF engines by their own repeat loops (userbpf's test run, the
 * kernel's BPF_PROG_TEST_RUN), each loop's cost included in its figure.
 *
 * Engines are rows of one table (engines[] below): adding the JIT or the
 * kernel's JIT later is one entry with open/run/close functions; an
 * engine whose open answers -EOPNOTSUPP prints "-".  Programs are one
 * line of BENCH_PROGS plus one file in progs/.
 *
 * A result that differs from native, or a failed run, is a failure: the
 * harness goes on to measure the rest and exits 1 at the end.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include "userbpf/userbpf.h"
#include "bench.h"
#include "kernel.h"
#include "exec/exec_internal.h" /* ub_prog_run_n: the test run's repeat loop */

/* ---- programs ----------------------------------------------------------- */

typedef u64 (*bench_native_fn)(void *mem, u64 len);

#define BENCH_PROGS(X)                                                         \
	X(xorshift, fill_random)                                               \
	X(fnv1a, fill_random)                                                  \
	X(crc32, fill_random)                                                  \
	X(sieve, fill_random)                                                  \
	X(sort, fill_random)                                                   \
	X(packet, fill_packets)                                                \
	X(memops, fill_random)                                                 \
	X(calls, fill_random)

#define X_DECL(name, setup) u64 bench_##name(void *mem, u64 len);
BENCH_PROGS(X_DECL)
#undef X_DECL

struct bench_prog {
	const char *name;
	bench_native_fn native;
	void (*setup)(uint8_t *buf);	/* fills the input half */
};

static uint64_t bh_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fill_random(uint8_t *buf)
{
	uint64_t s = 0x2545f4914f6cdd1dull;

	for (size_t i = 0; i < BENCH_IN_SIZE; i += 8) {
		uint64_t v = bh_rand(&s);
		memcpy(buf + BENCH_IN_OFF + i, &v, 8);
	}
}

/* The one's-complement sum of RFC 1071, over big-endian 16-bit words. */
static uint32_t bh_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t bh_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Writes a valid Ethernet + IPv4 + TCP frame into one packet slot (see
 * progs/packet.c); opt_len bytes of IPv4 options, pay_len of payload, and
 * pad bytes of Ethernet trailer that the IPv4 length excludes. */
static void build_frame(uint8_t *slot, uint64_t *rs, unsigned opt_len, unsigned pay_len,
			unsigned pad)
{
	uint8_t *eth = slot + 2, *ip = eth + 14, *tcp;
	unsigned ihl = 20 + opt_len, tot = ihl + 20 + pay_len;
	unsigned flen = 14 + tot + pad;
	uint32_t sum;

	slot[0] = (uint8_t)flen;
	slot[1] = (uint8_t)(flen >> 8);
	for (unsigned i = 0; i < 12; i++)
		eth[i] = (uint8_t)bh_rand(rs);
	eth[12] = 0x08;
	eth[13] = 0x00;
	memset(ip, 0, ihl);
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	put16(ip + 2, tot);
	put16(ip + 4, (uint32_t)bh_rand(rs));
	ip[8] = 64;
	ip[9] = 6;
	for (unsigned i = 12; i < 20; i++)
		ip[i] = (uint8_t)bh_rand(rs);
	for (unsigned i = 20; i < ihl; i++)
		ip[i] = 1; /* NOP options */
	put16(ip + 10, bh_csum_fold(bh_csum_add(0, ip, ihl)));

	tcp = ip + ihl;
	memset(tcp, 0, 20);
	for (unsigned i = 0; i < 12; i++)
		tcp[i] = (uint8_t)bh_rand(rs);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18; /* PSH|ACK */
	put16(tcp + 14, 65535);
	for (unsigned i = 0; i < pay_len; i++)
		tcp[20 + i] = (uint8_t)bh_rand(rs);
	sum = bh_csum_add(0, ip + 12, 8) + 6 + (20 + pay_len);
	sum = bh_csum_add(sum, tcp, 20 + pay_len);
	put16(tcp + 16, bh_csum_fold(sum));
	for (unsigned i = 0; i < pad; i++)
		eth[flen - pad + i] = 0;
}

static void fill_packets(uint8_t *buf)
{
	uint64_t rs = 0x9e3779b97f4a7c15ull;

	fill_random(buf);
	build_frame(buf + BENCH_IN_OFF + 0 * 2048, &rs, 0, 1460, 0);
	build_frame(buf + BENCH_IN_OFF + 1 * 2048, &rs, 8, 1251, 0);	/* odd length */
	build_frame(buf + BENCH_IN_OFF + 2 * 2048, &rs, 40, 1400, 4);
	build_frame(buf + BENCH_IN_OFF + 3 * 2048, &rs, 0, 0, 6);	/* 60-byte frame */
}

static const struct bench_prog progs[] = {
#define X_ENTRY(name, setup) { #name, bench_##name, setup },
	BENCH_PROGS(X_ENTRY)
#undef X_ENTRY
};
#define NPROGS (sizeof(progs) / sizeof(progs[0]))

/* ---- engines ------------------------------------------------------------ */

/* One program prepared for one engine. */
struct bench_run {
	const struct bench_prog *bp;
	const char *dir;
	uint8_t *buf;			/* BENCH_BUF_SIZE, this engine's own */
	struct userbpf_rt *rt;
	struct userbpf_prog *prog;
	struct userbpf_region region;
	struct userbpf_run_opts opts;
	struct bench_kernel kern;	/* the kernel-jit engine's state */
	char why[2048];			/* set when open or run fails */
};

struct bench_engine {
	const char *name;		/* column header */
	const char *abbrev;		/* in the ratio column's header */
	/* 0, -EOPNOTSUPP when the engine is not available (prints "-"), or
	 * another negative errno (a failure, with r->why). */
	int (*open)(struct bench_run *r);
	/* 0 and the checksum in *ret, or a negative errno. */
	int (*run)(struct bench_run *r, uint64_t *ret);
	void (*close)(struct bench_run *r);
	/* Optional: n runs inside the engine, timed by the engine itself
	 * (the kernel's BPF_PROG_TEST_RUN repeat, as bpftool reports it;
	 * userbpf's test-run loop).  Returns ns for the n runs, or < 0. */
	double (*run_n)(struct bench_run *r, uint64_t n, uint64_t *ret);
};

static int native_open(struct bench_run *r)
{
	(void)r;
	return 0;
}

static int native_run(struct bench_run *r, uint64_t *ret)
{
	*ret = r->bp->native(r->buf, BENCH_BUF_SIZE);
	return 0;
}

static void native_close(struct bench_run *r)
{
	(void)r;
}

static void bh_log(enum userbpf_log_level level, const char *msg, void *user)
{
	struct bench_run *r = user;

	(void)level;
	snprintf(r->why, sizeof(r->why), "%s", msg);
}

/* Reads DIR/NAME.bin into a malloc'ed array (the caller frees it). */
static int read_insns(struct bench_run *r, struct userbpf_insn **insns, size_t *cnt)
{
	char path[1024];
	FILE *f;
	long sz;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s.bin", r->dir, r->bp->name);
	f = fopen(path, "rb");
	if (!f) {
		snprintf(r->why, sizeof(r->why), "%s: %s", path, strerror(errno));
		return -ENOENT;
	}
	if (fseek(f, 0, SEEK_END) || (sz = ftell(f)) <= 0 || sz % 8 ||
	    fseek(f, 0, SEEK_SET)) {
		snprintf(r->why, sizeof(r->why), "%s: empty or not a whole number of instructions",
			 path);
		err = -EINVAL;
		goto out;
	}
	*cnt = (size_t)sz / 8;
	*insns = malloc((size_t)sz);
	if (!*insns || fread(*insns, 8, *cnt, f) != *cnt) {
		snprintf(r->why, sizeof(r->why), "%s: read failed", path);
		free(*insns);
		*insns = NULL;
		err = -EIO;
	}
out:
	fclose(f);
	return err;
}

static int interp_open(struct bench_run *r, bool trusted)
{
	struct userbpf_rt_opts ro = { .sz = sizeof(ro), .log = bh_log, .log_user = r };
	struct userbpf_prog_opts po = { .sz = sizeof(po), .name = r->bp->name,
					.entry_regs = (1u << 1) | (1u << 2) };
	struct userbpf_insn *insns = NULL;
	size_t cnt = 0;
	int err;

	err = read_insns(r, &insns, &cnt);
	if (err)
		return err;
	r->rt = userbpf_rt__new(&ro);
	if (!r->rt) {
		err = -errno;
		snprintf(r->why, sizeof(r->why), "userbpf_rt__new: %s", strerror(errno));
		goto out;
	}
	/* TEMPORARY: raw section bytes, no verifier.  Once the object loader
	 * and the verifier exist, load the .o and let the verifier mark the
	 * program trusted instead of doing it here. */
	r->prog = userbpf_prog__load(r->rt, insns, cnt, &po);
	if (!r->prog) {
		err = -errno;
		goto out;
	}
	userbpf_prog__set_trusted(r->prog, trusted);
	r->region = (struct userbpf_region){ r->buf, BENCH_BUF_SIZE, true };
	r->opts = (struct userbpf_run_opts){ .sz = sizeof(r->opts) };
	r->opts.args[0] = (uint64_t)(uintptr_t)r->buf;
	r->opts.args[1] = BENCH_BUF_SIZE;
	r->opts.regions = &r->region;
	r->opts.region_cnt = 1;
	r->opts.engine = USERBPF_ENGINE_INTERPRETER;
out:
	if (err) {
		userbpf_rt__free(r->rt);
		r->rt = NULL;
	}
	free(insns);
	return err;
}

static void interp_close(struct bench_run *r);

static int interp_fast_open(struct bench_run *r)
{
	return interp_open(r, true);
}

static int interp_checked_open(struct bench_run *r)
{
	return interp_open(r, false);
}

static int jit_open(struct bench_run *r)
{
	int err = interp_open(r, true);

	if (err)
		return err;
	r->opts.engine = USERBPF_ENGINE_JIT;
	/* One run compiles; a program the JIT refuses shows as "-". */
	{
		uint64_t ret;
		if (userbpf_prog__run(r->prog, &r->opts, &ret)) {
			snprintf(r->why, sizeof(r->why), "the JIT refused the program");
			interp_close(r);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int interp_run(struct bench_run *r, uint64_t *ret)
{
	return userbpf_prog__run(r->prog, &r->opts, ret);
}

/* n runs in the runtime's own repeat loop, timed inside it: the loop a
 * test run (`prog run ... repeat N`) uses, as the kernel's row is timed by
 * BPF_PROG_TEST_RUN's.  Each run still starts afresh (its own call state),
 * so this differs from n userbpf_prog__run() calls only by the calls'
 * argument checking, about 10 ns. */
static double interp_run_n(struct bench_run *r, uint64_t n, uint64_t *ret)
{
	uint64_t ns = 0;

	if (n > UINT32_MAX)
		return -1;
	return ub_prog_run_n(r->prog, &r->opts, UB_DISPATCH_GOTO, (uint32_t)n, ret, &ns) ? -1
													  : (double)ns;
}

static void interp_close(struct bench_run *r)
{
	userbpf_prog__free(r->prog);
	userbpf_rt__free(r->rt);
	r->prog = NULL;
	r->rt = NULL;
}

/* Linux's JIT (bench/kernel.h): the section's code is loaded into the
 * kernel behind a stub that hands it the buffer in an array-map value. */
static int kjit_open(struct bench_run *r)
{
	struct userbpf_insn *insns = NULL;
	size_t cnt = 0;
	int err = read_insns(r, &insns, &cnt);

	if (err)
		return err;
	err = bk_open(&r->kern, insns, cnt, r->buf, BENCH_BUF_SIZE, r->why, sizeof(r->why));
	free(insns);
	if (err == -EOPNOTSUPP && r->why[0])
		fprintf(stderr, "note: %s [kernel-jit]: %s\n", r->bp->name, r->why);
	return err;
}

static int kjit_run(struct bench_run *r, uint64_t *ret)
{
	return bk_run(&r->kern, 1, ret, NULL);
}

static double kjit_run_n(struct bench_run *r, uint64_t n, uint64_t *ret)
{
	double ns = 0;

	return bk_run(&r->kern, n, ret, &ns) ? -1 : ns;
}

static void kjit_close(struct bench_run *r)
{
	bk_close(&r->kern);
}

static const struct bench_engine engines[] = {
	{ "native", "native", native_open, native_run, native_close, NULL },
	{ "interp-fast", "fast", interp_fast_open, interp_run, interp_close, interp_run_n },
	{ "interp-checked", "checked", interp_checked_open, interp_run, interp_close, interp_run_n },
	{ "jit", "jit", jit_open, interp_run, interp_close, interp_run_n },
	{ "kernel-jit", "kjit", kjit_open, kjit_run, kjit_close, kjit_run_n },
};
#define NENGINES (sizeof(engines) / sizeof(engines[0]))
#define E_JIT 3		/* engines[]: the column jit/kjit compares */
#define E_KJIT 4

/* ---- measurement -------------------------------------------------------- */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Runs n times; returns elapsed ns, or a negative value when a run fails
 * or gives another checksum than want. */
static double batch(const struct bench_engine *e, struct bench_run *r, uint64_t n,
		    uint64_t want)
{
	uint64_t v = 0, bad = 0;
	double t0 = now_ns(), t1;

	if (e->run_n) {
		double ns = e->run_n(r, n, &v);
		return ns < 0 || v != want ? -1 : ns;
	}
	for (uint64_t i = 0; i < n; i++) {
		if (e->run(r, &v))
			return -1;
		bad |= v ^ want;
	}
	t1 = now_ns();
	return bad ? -1 : t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct bench_cell {
	bool present;		/* measured */
	bool failed;		/* wrong result or failed run: prints FAIL */
	double ns;		/* median ns per run */
	double iqr;		/* (q3 - q1) / median */
	double range;		/* (max - min) / median */
	/* jit cell only: batches where the JIT beat the kernel's JIT in the
	 * same round of the interleaving, out of pairs (both measured). */
	int wins, pairs;
};

struct bench_cfg {
	double batch_ns;
	int batches;
	bool use_min;		/* -s min: report the fastest batch */
};

/*
 * Measures one program in every engine.  The batches of the engines are
 * interleaved (engine 0, 1, 2, 0, 1, 2, ...), so that a burst of load on
 * the machine slows all of them alike and the ratios stay fair.  Returns
 * the number of failures (printed).
 */
static int measure_prog(const struct bench_cfg *cfg, const struct bench_prog *bp,
			const char *dir, uint64_t *want, struct bench_cell *cells)
{
	struct bench_run runs[NENGINES];
	bool live[NENGINES] = { false };
	uint64_t n[NENGINES];
	double t[NENGINES][64];
	int failed = 0;

	memset(runs, 0, sizeof(runs));
	for (size_t e = 0; e < NENGINES; e++) {
		const struct bench_engine *en = &engines[e];
		struct bench_run *r = &runs[e];
		uint64_t v = 0;
		int err;

		r->bp = bp;
		r->dir = dir;
		r->buf = calloc(1, BENCH_BUF_SIZE);
		if (!r->buf) {
			fprintf(stderr, "bench: out of memory\n");
			failed++;
			continue;
		}
		bp->setup(r->buf);
		err = en->open(r);
		if (err == -EOPNOTSUPP)
			continue;
		if (err) {
			fprintf(stderr, "FAIL %s [%s]: cannot load: %s (%s)\n", bp->name,
				en->name, strerror(-err), r->why);
			failed++;
			cells[e].failed = true;
			continue;
		}
		live[e] = true;
		err = en->run(r, &v);
		if (err) {
			fprintf(stderr, "FAIL %s [%s]: run failed: %s (%s)\n", bp->name,
				en->name, strerror(-err), r->why);
			goto bad;
		}
		if (e == 0) {
			*want = v;
			if (!v) {
				/* Every program answers 0 only when it refuses its
				 * buffer, so 0 means the set-up is broken. */
				fprintf(stderr, "FAIL %s [%s]: checksum 0: the program refused its buffer\n",
					bp->name, en->name);
				goto bad;
			}
		} else if (!live[0]) {
			fprintf(stderr, "FAIL %s [%s]: no native result to compare with\n",
				bp->name, en->name);
			goto bad;
		} else if (v != *want) {
			fprintf(stderr, "FAIL %s [%s]: result 0x%016llx, native gives 0x%016llx\n",
				bp->name, en->name, (unsigned long long)v,
				(unsigned long long)*want);
			goto bad;
		}
		/* Calibrate: grow the count until one batch is long enough. */
		for (n[e] = 1;;) {
			double el = batch(en, r, n[e], *want);

			if (el < 0)
				goto changed;
			if (el >= cfg->batch_ns)
				break;
			n[e] = el > cfg->batch_ns / 16
				       ? (uint64_t)((double)n[e] * cfg->batch_ns * 1.1 / el) + 1
				       : n[e] * 2;
		}
		continue;
changed:
		fprintf(stderr, "FAIL %s [%s]: a repeated run failed or changed its result (%s)\n",
			bp->name, en->name, r->why);
bad:
		failed++;
		cells[e].failed = true;
		en->close(r);
		live[e] = false;
	}

	for (int i = 0; i < cfg->batches; i++) {
		for (size_t e = 0; e < NENGINES; e++) {
			if (!live[e])
				continue;
			t[e][i] = batch(&engines[e], &runs[e], n[e], *want);
			if (t[e][i] < 0) {
				fprintf(stderr, "FAIL %s [%s]: a repeated run failed or changed its result (%s)\n",
					bp->name, engines[e].name, runs[e].why);
				failed++;
				cells[e].failed = true;
				engines[e].close(&runs[e]);
				live[e] = false;
				continue;
			}
			t[e][i] /= (double)n[e];
		}
	}

	/* Paired before sorting: batch i of each engine ran in the same round,
	 * under the same load, so comparing them one by one cancels most of
	 * the machine's drift (a sign test needs no model of the noise). */
	if (live[E_JIT] && live[E_KJIT]) {
		for (int i = 0; i < cfg->batches; i++)
			cells[E_JIT].wins += t[E_JIT][i] < t[E_KJIT][i];
		cells[E_JIT].pairs = cfg->batches;
	}
	for (size_t e = 0; e < NENGINES; e++) {
		int m = cfg->batches;

		if (live[e]) {
			qsort(t[e], (size_t)m, sizeof(t[e][0]), cmp_double);
			cells[e].present = true;
			cells[e].ns = cfg->use_min ? t[e][0] : t[e][m / 2];
			cells[e].iqr = (t[e][(3 * m) / 4] - t[e][m / 4]) / t[e][m / 2];
			cells[e].range = (t[e][m - 1] - t[e][0]) / t[e][m / 2];
			engines[e].close(&runs[e]);
		}
		free(runs[e].buf);
	}
	return failed;
}

/* Instructions one run executes (checked mode counts them), or 0. */
static uint64_t count_insns(const struct bench_prog *bp, const char *dir)
{
	struct bench_run r = { .bp = bp, .dir = dir };
	uint64_t cnt = 0, v;

	r.buf = calloc(1, BENCH_BUF_SIZE);
	if (!r.buf)
		return 0;
	bp->setup(r.buf);
	if (!interp_checked_open(&r)) {
		r.opts.insn_count = &cnt;
		if (interp_run(&r, &v))
			cnt = 0;
		interp_close(&r);
	}
	free(r.buf);
	return cnt;
}

/* One-sided sign test: the probability of at least k wins in n fair coin
 * tosses, i.e. of the JIT winning that often if it were no faster. */
static double sign_test_p(int k, int n)
{
	double p = 0, c = 1; /* c = C(n, i), from i = 0 up */

	for (int i = 0; i <= n; i++) {
		if (i >= k)
			p += c;
		c = c * (n - i) / (i + 1);
	}
	return p / pow(2, n);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench DIR [-b BATCH_MS] [-n BATCHES] [-p PROGRAM] [-s median|min]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench_cfg cfg = { .batch_ns = 20e6, .batches = 63 };
	static struct bench_cell cells[NPROGS][NENGINES];
	const char *dir, *only = NULL;
	double logsum[NENGINES] = { 0 }, kj_logsum = 0;
	int kj_cnt = 0;
	int logcnt[NENGINES] = { 0 };
	uint64_t insns[NPROGS] = { 0 };
	bool noisy = false;
	int failed = 0, ran = 0;

	if (argc < 2)
		usage();
	dir = argv[1];
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-b") && i + 1 < argc)
			cfg.batch_ns = atof(argv[++i]) * 1e6;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			cfg.batches = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-p") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			cfg.use_min = !strcmp(argv[++i], "min");
		else
			usage();
	}
	if (cfg.batches < 1 || cfg.batches > 64 || !(cfg.batch_ns > 0))
		usage();

	for (size_t p = 0; p < NPROGS; p++) {
		uint64_t want = 0;

		if (only && strcmp(only, progs[p].name))
			continue;
		ran++;
		failed += measure_prog(&cfg, &progs[p], dir, &want, cells[p]);
		insns[p] = count_insns(&progs[p], dir);
		fprintf(stderr, "measured %-10s checksum 0x%016llx\n", progs[p].name,
			(unsigned long long)want);
	}
	if (!ran) {
		fprintf(stderr, "bench: no program named '%s'\n", only ? only : "");
		return 2;
	}

	/* ns per run, then each engine's ratio to native. */
	printf("ns per run: %s of %d batches\n", cfg.use_min ? "fastest" : "median",
	       cfg.batches);
	printf("%-10s", "program");
	for (size_t e = 0; e < NENGINES; e++)
		printf(" %15s", engines[e].name);
	for (size_t e = 1; e < NENGINES; e++)
		printf(" %7s/nat", engines[e].abbrev);
	printf("    jit/kjit\n");
	for (size_t p = 0; p < NPROGS; p++) {
		if (only && strcmp(only, progs[p].name))
			continue;
		printf("%-10s", progs[p].name);
		for (size_t e = 0; e < NENGINES; e++) {
			if (cells[p][e].present)
				printf(" %12.1f ns", cells[p][e].ns);
			else
				printf(" %15s", cells[p][e].failed ? "FAIL" : "-");
		}
		for (size_t e = 1; e < NENGINES; e++) {
			if (cells[p][e].present && cells[p][0].present) {
				double ratio = cells[p][e].ns / cells[p][0].ns;

				printf(" %10.2fx", ratio);
				logsum[e] += log(ratio);
				logcnt[e]++;
			} else {
				printf(" %11s", "-");
			}
		}
		if (cells[p][E_JIT].present && cells[p][E_KJIT].present) {
			double ratio = cells[p][E_JIT].ns / cells[p][E_KJIT].ns;

			printf(" %11.2fx", ratio);
			kj_logsum += log(ratio);
			kj_cnt++;
		} else {
			printf(" %12s", "-");
		}
		printf("\n");
	}
	printf("%-10s", "geomean");
	for (size_t e = 0; e < NENGINES; e++)
		printf(" %15s", "");
	for (size_t e = 1; e < NENGINES; e++) {
		if (logcnt[e])
			printf(" %10.2fx", exp(logsum[e] / logcnt[e]));
		else
			printf(" %11s", "-");
	}
	if (kj_cnt)
		printf(" %11.2fx", exp(kj_logsum / kj_cnt));
	printf("\n\nspread of %d interleaved batches of >= %.0f ms each, relative to the median:\n"
	       "interquartile range / full range (max - min)\n",
	       cfg.batches, cfg.batch_ns / 1e6);
	printf("%-10s", "program");
	for (size_t e = 0; e < NENGINES; e++)
		printf(" %15s", engines[e].name);
	printf("\n");
	for (size_t p = 0; p < NPROGS; p++) {
		if (only && strcmp(only, progs[p].name))
			continue;
		printf("%-10s", progs[p].name);
		for (size_t e = 0; e < NENGINES; e++) {
			if (cells[p][e].present) {
				printf(" %7.1f%%/%5.1f%%", cells[p][e].iqr * 100,
				       cells[p][e].range * 100);
				noisy |= cells[p][e].iqr > 0.02;
			} else {
				printf(" %15s", "-");
			}
		}
		printf("\n");
	}
	/* The jit/kjit column compares medians; this says whether the
	 * difference is more than noise, batch against batch. */
	if (kj_cnt) {
		printf("\njit against kernel-jit, batch by batch (the same round of the interleaving):\n");
		for (size_t p = 0; p < NPROGS; p++) {
			const struct bench_cell *j = &cells[p][E_JIT];
			double pv;

			if ((only && strcmp(only, progs[p].name)) || !j->pairs ||
			    !cells[p][E_KJIT].present)
				continue;
			pv = sign_test_p(j->wins, j->pairs);
			printf("%-10s jit faster in %2d of %2d batches, sign test p = %.2g: %s\n",
			       progs[p].name, j->wins, j->pairs, pv,
			       pv < 0.01 ? "faster"
			       : sign_test_p(j->pairs - j->wins, j->pairs) < 0.01 ? "SLOWER"
			       : "no difference shown (run more batches: -n)");
		}
	}
	/* Tells a slow engine (ns per instruction) from a long program (the
	 * BPF build executes many more instructions than the native one). */
	printf("\n%-10s %12s", "program", "BPF insns");
	for (size_t e = 1; e < NENGINES; e++)
		printf(" %11s", engines[e].abbrev);
	printf("   (ns per BPF instruction)\n");
	for (size_t p = 0; p < NPROGS; p++) {
		if (only && strcmp(only, progs[p].name))
			continue;
		printf("%-10s %12llu", progs[p].name, (unsigned long long)insns[p]);
		for (size_t e = 1; e < NENGINES; e++) {
			if (cells[p][e].present && insns[p])
				printf(" %11.2f", cells[p][e].ns / (double)insns[p]);
			else
				printf(" %11s", "-");
		}
		printf("\n");
	}
	if (noisy)
		printf("note: an interquartile range above 2%%: the machine is busy; rerun on a quiet one for firm numbers\n");
	if (failed) {
		printf("\n%d FAILURE(S): see the messages above\n", failed);
		return 1;
	}
	return 0;
}
