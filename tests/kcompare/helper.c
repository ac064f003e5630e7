/* SPDX-License-Identifier: MIT */
/*
 * helper.c - what tests/kcompare/kcompare.sh cannot do with bpftool and
 * the userbpf CLI alone (built as build/tests/kcompare_helper):
 *
 *   oneproc OBJ OUTDIR PROG:[@]FILE:REPEAT...
 *       userbpf's side of an object whose maps hold program or map ids
 *       (PROG_ARRAY, ARRAY_OF_MAPS, HASH_OF_MAPS): ids belong to one
 *       process, so the object is loaded, run and dumped in this one
 *       (through the embedding API: each program verified, then
 *       userbpf_prog__test_run on FILE as
 *       data_in, or as ctx_in after '@').  Prints bpftool's "Return
 *       value: N" per run, writes the frame or context after run N to
 *       OUTDIR/out.N and every map as `bpftool -j map dump` prints it to
 *       OUTDIR/NAME ('.' as '_', as pinmaps names pins).  KC_ENGINE=
 *       interpreter runs them in the interpreter.
 *   pop PIN                   pops a userbpf QUEUE/STACK empty: one value
 *                             per line, in hex
 *   uring PIN | kring PIN     consumes a ring buffer (userbpf's pin, or the
 *                             kernel's through bpf(2) and mmap, as libbpf's
 *                             ring_buffer does): one sample per line, in hex
 *   krun PIN CTX [CTX_OUT]   the kernel's BPF_PROG_TEST_RUN of a
 *                             context-only program (BPF_PROG_TYPE_SYSCALL
 *                             takes ctx_in alone: bpftool's prog run
 *                             always passes data_in and repeat, which it
 *                             refuses); prints bpftool's "Return value: N"
 *                             and writes the context back to CTX_OUT
 *   ubloom PIN N | kbloom PIN N
 *                             which of the u32 values 0..N-1 a bloom filter
 *                             says may be present: a string of 0s and 1s
 *
 * Run without arguments (as tests/run.sh does), it checks its own dump
 * format against bpftool's on a map it makes, and replays, through the
 * API and without the kernel, answers of Linux (6.18) where userbpf once
 * differed (kcompare.sh found them).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "maps/map.h"
#include "testlib.h"

#define MAX_RUNS 64

static void hex_line(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%02x", i ? " " : "", p[i]);
	fputc('\n', f);
}

static void json_bytes(FILE *f, const uint8_t *p, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\"0x%02x\"", i ? "," : "", p[i]);
	fputc(']', f);
}

static bool is_percpu(uint32_t t)
{
	return t == UB_MAP_PERCPU_HASH || t == UB_MAP_PERCPU_ARRAY || t == UB_MAP_LRU_PERCPU_HASH;
}

/* The map as `bpftool -j map dump` prints it (without BTF's "formatted"). */
static int dump_json(FILE *f, struct userbpf_map *m)
{
	uint32_t ks = userbpf_map__key_size(m), vs = userbpf_map__value_size(m);
	size_t uvs = userbpf_map__user_value_size(m);
	uint8_t *key = calloc(1, ks + 1), *next = calloc(1, ks + 1), *val = calloc(1, uvs + 8);
	bool first = true, percpu = is_percpu(userbpf_map__type(m));
	int err = 0, rc;

	if (!key || !next || !val) {
		err = -ENOMEM;
		goto out;
	}
	fputc('[', f);
	for (rc = userbpf_map__get_next_key(m, NULL, next); rc == 0;
	     rc = userbpf_map__get_next_key(m, key, next)) {
		memcpy(key, next, ks);
		if (userbpf_map__lookup_elem(m, key, val, 0))
			continue;	/* gone, or an empty slot */
		fprintf(f, "%s{\"key\":", first ? "" : ",");
		first = false;
		json_bytes(f, key, ks);
		if (percpu) {
			unsigned n = userbpf_num_possible_cpus();
			size_t stride = (vs + 7) & ~7u;

			fputs(",\"values\":[", f);
			for (unsigned c = 0; c < n; c++) {
				fprintf(f, "%s{\"cpu\":%u,\"value\":", c ? "," : "", c);
				json_bytes(f, val + c * stride, vs);
				fputc('}', f);
			}
			fputs("]}", f);
		} else {
			fputs(",\"value\":", f);
			json_bytes(f, val, vs);
			fputc('}', f);
		}
	}
	fputs("]\n", f);
	if (rc != -ENOENT)
		err = rc;
out:
	free(key);
	free(next);
	free(val);
	return err;
}

static struct userbpf_rt *new_rt(void)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log_level = USERBPF_LOG_WARN };

	return userbpf_rt__new(&o);
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

static int oneproc(int argc, char **argv)
{
	struct userbpf_rt *rt = new_rt();
	struct userbpf_obj *obj = NULL;
	int rc = 1;

	if (!rt) {
		fprintf(stderr, "oneproc: no runtime: %s\n", strerror(errno));
		return 1;
	}
	obj = userbpf_obj__open_file(rt, argv[0], NULL);
	if (!obj || userbpf_obj__load(obj)) {
		fprintf(stderr, "oneproc: %s: cannot load: %s\n", argv[0], strerror(errno));
		goto out;
	}
	/* as a loader that verifies (the kernel always does): verified
	 * programs run unchecked, in the JIT when there is one */
	for (size_t i = 0; i < userbpf_obj__prog_cnt(obj); i++)
		if (userbpf_obj__prog(obj, i) && userbpf_prog__verify(userbpf_obj__prog(obj, i), NULL))
			fprintf(stderr, "oneproc: %s: prog '%s' refused by the verifier\n", argv[0],
				userbpf_obj__prog_name(obj, i));
	for (int i = 2; i < argc; i++) {
		char spec[512], *data_path, *rep;
		struct userbpf_test_run_opts to = { .sz = sizeof(to) };
		struct userbpf_prog *prog;
		uint8_t *data;
		size_t len = 0;
		bool ctx;

		snprintf(spec, sizeof(spec), "%s", argv[i]);
		data_path = strchr(spec, ':');
		rep = data_path ? strchr(data_path + 1, ':') : NULL;
		if (!rep) {
			fprintf(stderr, "oneproc: bad run '%s' (PROG:[@]FILE:REPEAT)\n", argv[i]);
			goto out;
		}
		*data_path++ = 0;
		*rep++ = 0;
		ctx = *data_path == '@';	/* a context, not a frame */
		data_path += ctx;
		prog = userbpf_obj__find_prog(obj, spec);
		data = read_file(data_path, &len);
		if (!prog || !data) {
			fprintf(stderr, "oneproc: no program '%s' or no data '%s'\n", spec, data_path);
			free(data);
			goto out;
		}
		if (ctx) {
			to.ctx_in = data;
			to.ctx_size_in = len;
			to.ctx_out = data;
			to.ctx_size_out = len;
		} else {
			to.data_in = data;
			to.data_size_in = len;
			to.data_out = data;
			to.data_size_out = len;
		}
		to.repeat = (uint32_t)strtoul(rep, NULL, 10);
		if (getenv("KC_ENGINE") && !strcmp(getenv("KC_ENGINE"), "interpreter"))
			to.engine = USERBPF_ENGINE_INTERPRETER;
		if (userbpf_prog__test_run(prog, &to)) {
			printf("Error: failed to run program %s: %s\n", spec, strerror(errno));
		} else {
			/* the frame or context after the run: OUTDIR/out.N */
			char path[4096];
			FILE *f;

			printf("Return value: %u\n", to.retval);
			snprintf(path, sizeof(path), "%s/out.%d", argv[1], i - 1);
			f = fopen(path, "wb");
			if (f) {
				fwrite(data, 1, ctx ? to.ctx_size_out : to.data_size_out, f);
				fclose(f);
			}
		}
		free(data);
	}
	for (size_t i = 0; i < userbpf_obj__map_cnt(obj); i++) {
		struct userbpf_map *m = userbpf_obj__map(obj, i);
		char path[4096];
		const char *name;
		FILE *f;
		int n;

		if (!m)
			continue;
		name = userbpf_map__name(m);
		n = snprintf(path, sizeof(path), "%s/", argv[1]);
		for (const char *c = name; *c && n < (int)sizeof(path) - 1; c++)
			path[n++] = *c == '.' ? '_' : *c;
		path[n] = 0;
		f = fopen(path, "w");
		if (!f) {
			fprintf(stderr, "oneproc: %s: %s\n", path, strerror(errno));
			goto out;
		}
		if (dump_json(f, m))
			fprintf(f, "{\"error\":\"can't dump map %s\"}\n", name);
		fclose(f);
	}
	rc = 0;
out:
	userbpf_obj__close(obj);
	userbpf_rt__free(rt);
	return rc;
}

static struct userbpf_map *open_pin(struct userbpf_rt *rt, const char *pin)
{
	char real[4096];

	if (userbpf_store__path(pin, real, sizeof(real), 0))
		return NULL;
	return userbpf_map__open_pinned(rt, real);
}

static int print_sample(void *ctx, void *data, size_t size)
{
	(void)ctx;
	hex_line(stdout, data, size);
	return 0;
}

/* pop, uring, ubloom: userbpf's pins */
static int user_side(const char *cmd, const char *pin, unsigned n)
{
	struct userbpf_rt *rt = new_rt();
	struct userbpf_map *m = rt ? open_pin(rt, pin) : NULL;
	int rc = 1;

	if (!m) {
		fprintf(stderr, "%s: cannot open %s: %s\n", cmd, pin, strerror(errno));
		goto out;
	}
	if (!strcmp(cmd, "pop")) {
		uint8_t v[4096];

		if (userbpf_map__value_size(m) > sizeof(v))
			goto out;
		for (int i = 0; i < 4096 && !userbpf_map__lookup_and_delete_elem(m, NULL, v); i++)
			hex_line(stdout, v, userbpf_map__value_size(m));
	} else if (!strcmp(cmd, "uring")) {
		if (ub_ringbuf_consume(m, print_sample, NULL) < 0)
			goto out;
	} else {
		for (uint32_t v = 0; v < n; v++) {
			uint8_t buf[64] = { 0 };

			memcpy(buf, &v, 4);
			putchar(userbpf_map__lookup_elem(m, NULL, buf, 0) == 0 ? '1' : '0');
		}
		putchar('\n');
	}
	rc = 0;
out:
	userbpf_map__free(m);
	userbpf_rt__free(rt);
	return rc;
}

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

/* krun: the context-only test run, as libbpf's bpf_prog_test_run_opts
 * with ctx_in alone */
static int kernel_run(const char *pin, const char *ctx_path, const char *out_path)
{
	union bpf_attr a;
	uint8_t *ctx;
	size_t len = 0;
	int fd, rc = 1;

	ctx = read_file(ctx_path, &len);
	if (!ctx) {
		fprintf(stderr, "krun: %s: %s\n", ctx_path, strerror(errno));
		return 1;
	}
	memset(&a, 0, sizeof(a));
	a.pathname = (uint64_t)(uintptr_t)pin;
	fd = (int)sys_bpf(BPF_OBJ_GET, &a);
	if (fd < 0) {
		fprintf(stderr, "krun: bpf obj get (%s): %s\n", pin, strerror(errno));
		goto out;
	}
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.ctx_in = (uint64_t)(uintptr_t)ctx;
	a.test.ctx_size_in = (uint32_t)len;
	if (sys_bpf(BPF_PROG_TEST_RUN, &a)) {
		printf("Error: failed to run program: %s\n", strerror(errno));
	} else {
		FILE *f = out_path ? fopen(out_path, "wb") : NULL;

		printf("Return value: %u, duration: %uns\n", a.test.retval, a.test.duration);
		if (f) {
			fwrite(ctx, 1, len, f);
			fclose(f);
		}
		rc = 0;
	}
	close(fd);
out:
	free(ctx);
	return rc;
}

/* kring, kbloom: the kernel's pins */
static int kernel_side(const char *cmd, const char *pin, unsigned n)
{
	union bpf_attr a;
	struct bpf_map_info info;
	int fd, rc = 1;

	memset(&a, 0, sizeof(a));
	a.pathname = (uint64_t)(uintptr_t)pin;
	fd = (int)sys_bpf(BPF_OBJ_GET, &a);
	if (fd < 0) {
		fprintf(stderr, "%s: bpf obj get (%s): %s\n", cmd, pin, strerror(errno));
		return 1;
	}
	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uint64_t)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a)) {
		fprintf(stderr, "%s: get info: %s\n", cmd, strerror(errno));
		goto out;
	}
	if (!strcmp(cmd, "kring")) {
		size_t page = (size_t)sysconf(_SC_PAGESIZE), size = info.max_entries;
		uint64_t *cons = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		uint8_t *prod = mmap(NULL, page + 2 * size, PROT_READ, MAP_SHARED, fd, (off_t)page);
		uint64_t c, p;

		if (cons == MAP_FAILED || prod == MAP_FAILED) {
			fprintf(stderr, "kring: mmap: %s\n", strerror(errno));
			goto out;
		}
		c = __atomic_load_n(cons, __ATOMIC_ACQUIRE);
		p = __atomic_load_n((uint64_t *)(void *)prod, __ATOMIC_ACQUIRE);
		while (c < p) {
			uint8_t *h = prod + page + (c & (size - 1));
			uint32_t len = __atomic_load_n((uint32_t *)(void *)h, __ATOMIC_ACQUIRE);

			if (len & BPF_RINGBUF_BUSY_BIT)
				break;
			c += ((len & ~(uint32_t)BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ + 7) & ~7u;
			if (!(len & BPF_RINGBUF_DISCARD_BIT))
				hex_line(stdout, h + BPF_RINGBUF_HDR_SZ, len);
			__atomic_store_n(cons, c, __ATOMIC_RELEASE);
		}
		munmap(cons, page);
		munmap(prod, page + 2 * size);
	} else {
		for (uint32_t v = 0; v < n; v++) {
			uint8_t buf[64] = { 0 };

			memcpy(buf, &v, 4);
			memset(&a, 0, sizeof(a));
			a.map_fd = (uint32_t)fd;
			a.value = (uint64_t)(uintptr_t)buf;
			putchar(sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) == 0 ? '1' : '0');
		}
		putchar('\n');
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* ---- replays: what Linux (6.18) answered, without the kernel ---------- */

#define I(c, d, s_, o, i) { (c), (d), (s_), (o), (i) }
#define EXIT I(0x95, 0, 0, 0, 0)

static struct userbpf_prog *load(struct userbpf_rt *rt, const char *type,
				 const struct userbpf_insn *insns, size_t n,
				 struct userbpf_map *const *maps, size_t nmaps)
{
	struct userbpf_prog_opts o = { .sz = sizeof(o), .name = "replay", .prog_type = type,
				       .maps = maps, .map_cnt = nmaps };
	struct userbpf_prog *p = userbpf_prog__load(rt, insns, n, &o);

	if (p && userbpf_prog__verify(p, NULL)) {
		userbpf_prog__free(p);
		return NULL;
	}
	return p;
}

/* A frame: Ethernet to dst (6 bytes), then IPv4-ish bytes; 64 bytes. */
static void frame(uint8_t *f, const uint8_t *dst)
{
	memset(f, 0x5a, 64);
	memcpy(f, dst, 6);
	f[12] = 8;
	f[13] = 0;
}

static void replays(struct userbpf_rt *rt)
{
	/* r0 = data_end - data (pkt_end - pkt: Linux lets a privileged load) */
	static const struct userbpf_insn sub[] = {
		I(0x61, 2, 1, 4, 0), I(0x61, 3, 1, 0, 0), I(0x1f, 2, 3, 0, 0),
		I(0xbf, 0, 2, 0, 0), EXIT,
	};
	/* r0 = skb->pkt_type */
	static const struct userbpf_insn pkt_type[] = { I(0x61, 0, 1, 4, 0), EXIT };
	/* r0 = bpf_csum_diff(NULL, 0, NULL, 0, 0x12345678) */
	static const struct userbpf_insn csum[] = {
		I(0xb7, 1, 0, 0, 0), I(0xb7, 2, 0, 0, 0), I(0xb7, 3, 0, 0, 0),
		I(0xb7, 4, 0, 0, 0), I(0xb7, 5, 0, 0, 0x12345678), I(0x85, 0, 0, 0, 28), EXIT,
	};
	/* r0 = bpf_perf_event_output(ctx, map, 1000 << 32 | 4, fp-8, 8) */
	static const struct userbpf_insn perf[] = {
		I(0x7a, 10, 0, -8, 0), I(0x18, 2, 1, 0, 0), I(0, 0, 0, 0, 0),
		I(0x18, 3, 0, 0, 4), I(0, 0, 0, 0, 1000), I(0xbf, 4, 10, 0, 0),
		I(0x07, 4, 0, 0, -8), I(0xb7, 5, 0, 0, 8), I(0x85, 0, 0, 0, 25), EXIT,
	};
	/* syscall: r0 = *(u32 *)(ctx + 8) */
	static const struct userbpf_insn sys[] = { I(0x61, 0, 1, 8, 0), EXIT };
	static const uint8_t uni[6] = { 2, 0, 0, 0, 0, 1 }, bcast[6] = { 255, 255, 255, 255, 255, 255 },
			     zero[6] = { 0 };
	struct userbpf_map *pe = userbpf_map__create(rt, UB_MAP_PERF_EVENT_ARRAY, "pe", 4, 4, 4,
						     NULL);
	struct userbpf_prog *p;
	uint8_t f[64], out[64], cin[192], cout[192];
	uint32_t x[6];

	p = load(rt, "xdp", sub, 5, NULL, 0);
	if (p) {
		struct userbpf_test_run_opts to = { .sz = sizeof(to), .data_in = f,
						    .data_size_in = 64, .ctx_in = x,
						    .ctx_size_in = 24, .ctx_out = cout,
						    .ctx_size_out = 24 };
		uint32_t want[6] = { 0, 64, 0, 1, 0, 0 };

		frame(f, uni);
		memcpy(x, want, sizeof(x));
		if (userbpf_prog__test_run(p, &to) == 0 && to.retval == 64 &&
		    !memcmp(cout, want, sizeof(want)))
			tl_ok("replay: xdp data_end - data verified; ctx_out holds offsets");
		else
			tl_fail("replay: xdp data_end - data verified; ctx_out holds offsets",
				"retval %u", to.retval);
		x[3] = 0;
		x[4] = 1;	/* a queue without a device */
		TL_CHECK("replay: xdp rx_queue_index without ingress_ifindex is EINVAL",
			 userbpf_prog__test_run(p, &to) && errno == EINVAL);
	} else {
		tl_fail("replay: xdp data_end - data verified; ctx_out holds offsets",
			"refused: %s", tl_last_log);
	}
	userbpf_prog__free(p);

	p = load(rt, "socket_filter", pkt_type, 2, NULL, 0);
	if (p) {
		const uint8_t *dsts[3] = { uni, bcast, zero };
		const uint32_t want[3] = { 3, 2, 0 };	/* OTHERHOST, MULTICAST (lo), HOST */
		struct userbpf_test_run_opts to = { .sz = sizeof(to) };
		bool good = true;

		for (int i = 0; i < 3; i++) {
			frame(f, dsts[i]);
			to = (struct userbpf_test_run_opts){ .sz = sizeof(to), .data_in = f,
							     .data_size_in = 64, .data_out = out,
							     .data_size_out = 64 };
			good &= userbpf_prog__test_run(p, &to) == 0 && to.retval == want[i] &&
				!memcmp(out, zero, 6) && !memcmp(out + 6, zero, 6) && !out[12] &&
				!memcmp(out + 14, f + 14, 50);
		}
		TL_CHECK("replay: socket filter pkt_type from the destination; L2 header zeroed in data_out",
			 good);
		memset(cin, 0, sizeof(cin));
		cin[8] = 5;		/* mark */
		cin[16] = 9;		/* protocol: not for ctx_in */
		to = (struct userbpf_test_run_opts){ .sz = sizeof(to), .data_in = f,
						     .data_size_in = 64, .ctx_in = cin,
						     .ctx_size_in = 192, .ctx_out = cout,
						     .ctx_size_out = 192 };
		TL_CHECK("replay: __sk_buff ctx_in setting protocol is EINVAL",
			 userbpf_prog__test_run(p, &to) && errno == EINVAL);
		cin[16] = 0;
		memset(cout, 0xee, sizeof(cout));
		to.ctx_size_out = 192;
		/* wire_len: 0 in ctx_in means skb->len (the frame past L2) */
		TL_CHECK("replay: __sk_buff ctx_out: mark, ifindex, wire_len back; len and pointers not",
			 userbpf_prog__test_run(p, &to) == 0 && cout[8] == 5 && cout[40] == 1 &&
			 !cout[0] && !cout[76] && cout[160] == 50);
	} else {
		tl_fail("replay: socket filter", "refused: %s", tl_last_log);
	}
	userbpf_prog__free(p);

	p = load(rt, "xdp", csum, 7, NULL, 0);
	if (p) {
		struct userbpf_test_run_opts to = { .sz = sizeof(to), .data_in = f,
						    .data_size_in = 64 };

		TL_CHECK("replay: csum_diff with no data is the seed folded to 16 bits (0x68ac)",
			 userbpf_prog__test_run(p, &to) == 0 && to.retval == 0x68ac);
	} else {
		tl_fail("replay: csum_diff", "refused: %s", tl_last_log);
	}
	userbpf_prog__free(p);

	p = pe ? load(rt, "xdp", perf, 10, &pe, 1) : NULL;
	if (p) {
		struct userbpf_test_run_opts to = { .sz = sizeof(to), .data_in = f,
						    .data_size_in = 64 };

		TL_CHECK("replay: xdp perf_event_output asking for more frame than there is: -EFAULT",
			 userbpf_prog__test_run(p, &to) == 0 && to.retval == (uint32_t)-EFAULT);
	} else {
		tl_fail("replay: perf_event_output", "refused: %s", tl_last_log);
	}
	userbpf_prog__free(p);
	userbpf_map__free(pe);

	p = load(rt, "syscall", sys, 2, NULL, 0);
	if (p) {
		uint32_t c[4] = { 1, 2, 77, 4 };
		struct userbpf_test_run_opts to = { .sz = sizeof(to), .ctx_in = c,
						    .ctx_size_in = 16 };
		bool good = userbpf_prog__test_run(p, &to) == 0 && to.retval == 77;

		to.ctx_size_in = 8;
		TL_CHECK("replay: syscall context verified; ctx_in shorter than it reads is EINVAL",
			 good && userbpf_prog__test_run(p, &to) && errno == EINVAL);
	} else {
		tl_fail("replay: syscall context verified", "refused: %s", tl_last_log);
	}
	userbpf_prog__free(p);
}

/* No arguments: the dump format, on a map made here, is bpftool's; and
 * the replays. */
static int self_test(void)
{
	struct userbpf_rt *rt = new_rt();
	struct userbpf_map *m = rt ? userbpf_map__create(rt, UB_MAP_ARRAY, "t", 4, 2, 2, NULL)
				   : NULL;
	struct userbpf_map *pc = rt ? userbpf_map__create(rt, UB_MAP_PERCPU_ARRAY, "pc", 4, 4, 1,
							  NULL) : NULL;
	char buf[4096] = "";
	FILE *f = tmpfile();
	uint32_t k = 1;
	uint8_t v[2] = { 0xab, 7 }, pv[8 * 512] = { 0 };
	size_t n;

	if (!m || !pc || !f) {
		tl_fail("kcompare helper: setup", "%s", strerror(errno));
		goto out;
	}
	userbpf_map__update_elem(m, &k, v, 0);
	dump_json(f, m);
	n = (size_t)ftell(f);
	rewind(f);
	buf[fread(buf, 1, n < sizeof(buf) - 1 ? n : sizeof(buf) - 1, f)] = 0;
	if (!strcmp(buf, "[{\"key\":[\"0x00\",\"0x00\",\"0x00\",\"0x00\"],\"value\":[\"0x00\",\"0x00\"]},"
			 "{\"key\":[\"0x01\",\"0x00\",\"0x00\",\"0x00\"],\"value\":[\"0xab\",\"0x07\"]}]\n"))
		tl_ok("kcompare helper: an array dumps as bpftool -j prints it");
	else
		tl_fail("kcompare helper: an array dumps as bpftool -j prints it", "got %s", buf);
	k = 0;
	pv[8] = 5;	/* CPU 1's slot */
	userbpf_map__update_elem(pc, &k, pv, 0);
	rewind(f);
	dump_json(f, pc);
	n = (size_t)ftell(f);
	rewind(f);
	buf[fread(buf, 1, n < sizeof(buf) - 1 ? n : sizeof(buf) - 1, f)] = 0;
	if (strstr(buf, "\"values\":[{\"cpu\":0,\"value\":[\"0x00\",\"0x00\",\"0x00\",\"0x00\"]}") &&
	    (userbpf_num_possible_cpus() < 2 ||
	     strstr(buf, "{\"cpu\":1,\"value\":[\"0x05\",\"0x00\",\"0x00\",\"0x00\"]}")))
		tl_ok("kcompare helper: a per-CPU array dumps one value per CPU");
	else
		tl_fail("kcompare helper: a per-CPU array dumps one value per CPU", "got %s", buf);
	userbpf_map__free(m);
	userbpf_map__free(pc);
	m = pc = NULL;
	{
		struct userbpf_rt_opts o = { .sz = sizeof(o), .log = tl_log };
		struct userbpf_rt *rt2 = userbpf_rt__new(&o);

		if (rt2)
			replays(rt2);
		userbpf_rt__free(rt2);
	}
out:
	if (f)
		fclose(f);
	userbpf_map__free(m);
	userbpf_map__free(pc);
	userbpf_rt__free(rt);
	return tl_exit();
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	unsigned n = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 0;

	if (!cmd)
		return self_test();
	if (!strcmp(cmd, "oneproc") && argc >= 4)
		return oneproc(argc - 2, argv + 2);
	if ((!strcmp(cmd, "pop") || !strcmp(cmd, "uring")) && argc == 3)
		return user_side(cmd, argv[2], 0);
	if (!strcmp(cmd, "ubloom") && argc == 4)
		return user_side(cmd, argv[2], n);
	if (!strcmp(cmd, "krun") && (argc == 4 || argc == 5))
		return kernel_run(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if ((!strcmp(cmd, "kring") && argc == 3) || (!strcmp(cmd, "kbloom") && argc == 4))
		return kernel_side(cmd, argv[2], n);
	fprintf(stderr, "usage: %s [oneproc OBJ OUTDIR PROG:[@]FILE:REPEAT... | pop PIN | "
			"uring PIN | kring PIN | krun PIN CTX [OUT] | ubloom PIN N | kbloom PIN N]\n", argv[0]);
	return 2;
}
