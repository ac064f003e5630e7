/* SPDX-License-Identifier: MIT */
/*
 * vfy_bench.c - speed of the verifier on the two programs of issue 5:
 *   - a straight-line program of 1,000,000 instructions (target: < 1 s),
 *     ALU, stack stores and loads and context reads in turn;
 *   - a loop of 100 iterations with a map lookup inside (target: < 10 ms):
 *     for (i = 0; i < 100; i++) { v = lookup(arr, &i); if (v) *v += i; }
 * Each is loaded once and verified several times (userbpf_prog__verify
 * only; decoding at load is not counted); the best and the median time
 * are printed with the instructions processed.
 *
 *   vfy_bench [-n RUNS]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "userbpf/userbpf.h"

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static struct userbpf_insn I(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct userbpf_insn in;

	memset(&in, 0, sizeof(in));
	in.code = code;
	in.dst_reg = dst;
	in.src_reg = src;
	in.off = off;
	in.imm = imm;
	return in;
}

/* Verifies prog runs times; prints best and median.  Returns 0 if every
 * run accepted it. */
static int bench(const char *what, struct userbpf_prog *p, int runs, double target_ms)
{
	double *t = calloc((size_t)runs, sizeof(*t));
	uint64_t processed = 0;

	if (!t)
		return -1;
	for (int i = 0; i < runs; i++) {
		struct userbpf_verify_opts vo = { .sz = sizeof(vo), .ctx_size = 64 };
		double t0 = now_ms();
		int err = userbpf_prog__verify(p, &vo);

		t[i] = now_ms() - t0;
		if (err) {
			printf("%s: refused (%s)\n", what, strerror(errno));
			free(t);
			return -1;
		}
		processed = vo.insns_processed;
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp_d);
	printf("%-52s best %9.3f ms  median %9.3f ms  (%llu insns processed, %d runs; target < %g ms: %s)\n",
	       what, t[0], t[runs / 2], (unsigned long long)processed, runs, target_ms,
	       t[runs / 2] < target_ms ? "met" : "MISSED");
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	struct userbpf_rt *rt = userbpf_rt__new(NULL);
	struct userbpf_map *arr = NULL;
	struct userbpf_prog *p;
	struct userbpf_insn *big, loop[32];
	size_t n = 1000000, k = 0;
	int runs = 5, rc = 1;

	if (argc == 3 && !strcmp(argv[1], "-n"))
		runs = atoi(argv[2]) > 0 ? atoi(argv[2]) : 5;
	if (!rt) {
		fprintf(stderr, "vfy_bench: userbpf_rt__new: %s\n", strerror(errno));
		return 1;
	}
	/* 1. straight line */
	big = malloc(n * sizeof(*big));
	if (!big)
		goto out;
	big[k++] = I(0xbf, 6, 1, 0, 0);		/* r6 = r1 (context) */
	big[k++] = I(0xb7, 0, 0, 0, 0);		/* r0 = 0 */
	while (k < n - 1) {
		int16_t slot = (int16_t)(-8 * (1 + (int)((k / 6) % 32)));
		int16_t field = (int16_t)(4 * ((k / 6) % 16));
		struct userbpf_insn in;

		switch (k % 6) {
		case 0: in = I(0x07, 0, 0, 0, 3); break;		/* r0 += 3 */
		case 1: in = I(0x7b, 10, 0, slot, 0); break;		/* spill r0 */
		case 2: in = I(0x79, 1, 10, slot, 0); break;		/* fill r1 */
		case 3: in = I(0x61, 2, 6, field, 0); break;		/* context read */
		case 4: in = I(0x0f, 0, 2, 0, 0); break;		/* r0 += r2 */
		default: in = I(0x57, 0, 0, 0, 0xffff); break;		/* r0 &= 0xffff */
		}
		big[k++] = in;
	}
	big[k++] = I(0x95, 0, 0, 0, 0);
	p = userbpf_prog__load(rt, big, k, NULL);
	free(big);
	if (!p) {
		fprintf(stderr, "vfy_bench: load of the straight-line program: %s\n", strerror(errno));
		goto out;
	}
	if (bench("straight line, 1,000,000 instructions", p, runs, 1000))
		goto out_p;
	userbpf_prog__free(p);

	/* 2. a bounded loop with a lookup */
	arr = userbpf_map__create(rt, 2 /* array */, "vb", 4, 8, 128, NULL);
	if (!arr) {
		fprintf(stderr, "vfy_bench: map: %s\n", strerror(errno));
		goto out;
	}
	k = 0;
	loop[k++] = I(0xb7, 6, 0, 0, 0);		/* r6 = 0 */
	loop[k++] = I(0x63, 10, 6, -4, 0);		/* loop: *(u32 *)(r10 - 4) = r6 */
	loop[k++] = I(0xbf, 2, 10, 0, 0);
	loop[k++] = I(0x07, 2, 0, 0, -4);
	loop[k++] = I(0x18, 1, 1, 0, 0);		/* r1 = map 0 */
	loop[k++] = I(0, 0, 0, 0, 0);
	loop[k++] = I(0x85, 0, 0, 0, 1);		/* lookup */
	loop[k++] = I(0x15, 0, 0, 3, 0);		/* if r0 == 0 goto next */
	loop[k++] = I(0x79, 1, 0, 0, 0);
	loop[k++] = I(0x0f, 1, 6, 0, 0);
	loop[k++] = I(0x7b, 0, 1, 0, 0);
	loop[k++] = I(0x07, 6, 0, 0, 1);		/* next: r6 += 1 */
	loop[k] = I(0xa5, 6, 0, (int16_t)(1 - (int)k - 1), 100); /* if r6 < 100 goto loop */
	k++;
	loop[k++] = I(0xb7, 0, 0, 0, 0);
	loop[k++] = I(0x95, 0, 0, 0, 0);
	{
		struct userbpf_map *maps[1] = { arr };
		struct userbpf_prog_opts po = { .sz = sizeof(po), .name = "loop100", .maps = maps,
						.map_cnt = 1 };
		p = userbpf_prog__load(rt, loop, k, &po);
	}
	if (!p) {
		fprintf(stderr, "vfy_bench: load of the loop: %s\n", strerror(errno));
		goto out;
	}
	if (bench("bounded loop, 100 iterations, map lookup inside", p, runs * 40, 10))
		goto out_p;
	rc = 0;
out_p:
	userbpf_prog__free(p);
out:
	userbpf_map__free(arr);
	userbpf_rt__free(rt);
	return rc;
}
