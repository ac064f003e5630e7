/* SPDX-License-Identifier: MIT */
/*
 * maps_bench.c - nanoseconds per map operation, userbpf against the Linux
 * kernel in the same run, for HASH, LRU_HASH, ARRAY and PERCPU_ARRAY:
 *
 *   ub-op     userbpf's map op called the way a helper calls it (a C loop
 *             of 1000 ops per epoch section, as one program run)
 *   ub-api    userbpf_map__*_elem from user space (values copied)
 *   k-prog    the same loop as a BPF program in the kernel (JIT, helper
 *             calls), timed by BPF_PROG_TEST_RUN with repeat
 *   k-sys     bpf(2) from user space (the syscall dominates)
 *
 * Keys cycle over 1024 present keys; "insert+delete" adds a key that is
 * absent and deletes it again (one pair).  A userbpf program-side column
 * (a BPF program calling the map helpers through the interpreter/JIT)
 * comes when the map helpers land (src/helpers/map_helpers.c).
 *
 *   sh bench/maps/run.sh [BUILD]      (builds BUILD/bench/maps_bench)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "userbpf/userbpf.h"
#include "maps/map.h"
#if defined(__linux__)
#include <linux/bpf.h>
#include <sys/syscall.h>
#endif

#define NKEYS 1024u
#define LOOP 1000u

enum { OP_LOOKUP, OP_UPDATE, OP_INSDEL, OP__N };
static const char *op_names[] = { "lookup", "update", "insert+delete" };

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile uint64_t sink;

/* ub-op: LOOP ops per section, as a program run would do them. */
static double ub_op(struct userbpf_map *m, int op, unsigned rounds)
{
	double best = 1e30;

	for (int rep = 0; rep < 5; rep++) {
		double t0 = now_ns();

		for (unsigned r = 0; r < rounds; r++) {
			uint32_t tok = ub_map_epoch_enter(m);

			for (uint32_t i = 0; i < LOOP; i++) {
				uint32_t k = i & (NKEYS - 1);
				uint64_t v = i;

				if (op == OP_LOOKUP) {
					uint64_t *p = m->ops->lookup(m, &k);
					sink += p ? *p : 0;
				} else if (op == OP_UPDATE) {
					m->ops->update(m, &k, &v, 0);
				} else {
					k += 2 * NKEYS;
					m->ops->update(m, &k, &v, 0);
					m->ops->delete(m, &k);
				}
			}
			ub_map_epoch_exit(m, tok);
		}
		double t = (now_ns() - t0) / ((double)rounds * LOOP);
		if (t < best)
			best = t;
	}
	return best;
}

static double ub_api(struct userbpf_map *m, int op, unsigned rounds)
{
	size_t vsz = userbpf_map__user_value_size(m);
	uint8_t *v = calloc(1, vsz);
	double best = 1e30;

	for (int rep = 0; rep < 5 && v; rep++) {
		double t0 = now_ns();

		for (unsigned r = 0; r < rounds; r++)
			for (uint32_t i = 0; i < LOOP; i++) {
				uint32_t k = i & (NKEYS - 1);

				if (op == OP_LOOKUP) {
					userbpf_map__lookup_elem(m, &k, v, 0);
				} else if (op == OP_UPDATE) {
					userbpf_map__update_elem(m, &k, v, 0);
				} else {
					k += 2 * NKEYS;
					userbpf_map__update_elem(m, &k, v, 0);
					userbpf_map__delete_elem(m, &k);
				}
			}
		double t = (now_ns() - t0) / ((double)rounds * LOOP);
		if (t < best)
			best = t;
	}
	free(v);
	return best;
}

#if defined(__linux__)
struct insn {
	uint8_t code, regs;
	int16_t off;
	int32_t imm;
};
#define I(c, d, s, o, i) ((struct insn){ (c), (uint8_t)((d) | (s) << 4), (o), (i) })

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

static int k_map(uint32_t type, uint32_t max)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = max;
	return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

static int k_elem(int cmd, int fd, const void *key, void *value)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.value = (uint64_t)(uintptr_t)value;
	return (int)sys_bpf(cmd, &a);
}

/* for (i = 0; i < LOOP; i++) op(map, key = i & 1023 [+ 2048]) */
static int k_prog(int fd, int op)
{
	struct insn p[40];
	int n = 0, loop;
	union bpf_attr a;

	p[n++] = I(0xb7, 6, 0, 0, 0);			/* r6 = 0 */
	loop = n;
	p[n++] = I(0xbf, 1, 6, 0, 0);			/* r1 = r6 */
	p[n++] = I(0x57, 1, 0, 0, NKEYS - 1);		/* r1 &= 1023 */
	if (op == OP_INSDEL)
		p[n++] = I(0x07, 1, 0, 0, 2 * NKEYS);	/* r1 += 2048 */
	p[n++] = I(0x63, 10, 1, -4, 0);		/* *(u32 *)(r10 - 4) = r1 */
	p[n++] = I(0x7b, 10, 6, -16, 0);		/* *(u64 *)(r10 - 16) = r6 */
	for (int pass = 0; pass < (op == OP_INSDEL ? 2 : 1); pass++) {
		int helper = op == OP_LOOKUP ? 1 : pass == 0 ? 2 : 3;

		p[n++] = I(0x18, 1, 1, 0, fd);		/* r1 = map */
		p[n++] = I(0, 0, 0, 0, 0);
		p[n++] = I(0xbf, 2, 10, 0, 0);		/* r2 = r10 - 4 */
		p[n++] = I(0x07, 2, 0, 0, -4);
		if (helper == 2) {
			p[n++] = I(0xbf, 3, 10, 0, 0);	/* r3 = r10 - 16 */
			p[n++] = I(0x07, 3, 0, 0, -16);
			p[n++] = I(0xb7, 4, 0, 0, 0);	/* r4 = BPF_ANY */
		}
		p[n++] = I(0x85, 0, 0, 0, helper);
	}
	p[n++] = I(0x07, 6, 0, 0, 1);			/* r6 += 1 */
	p[n] = I(0xa5, 6, 0, (int16_t)(loop - n - 1), LOOP);	/* if r6 < LOOP goto loop */
	n++;
	p[n++] = I(0xb7, 0, 0, 0, 0);
	p[n++] = I(0x95, 0, 0, 0, 0);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)p;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t)"GPL";
	return (int)sys_bpf(BPF_PROG_LOAD, &a);
}

static double k_prog_ns(int fd, int op, unsigned rounds)
{
	int pfd = k_prog(fd, op);
	uint8_t pkt[64] = { 0 };
	union bpf_attr a;
	double best = 1e30;

	if (pfd < 0)
		return -1;
	for (int rep = 0; rep < 5; rep++) {
		memset(&a, 0, sizeof(a));
		a.test.prog_fd = (uint32_t)pfd;
		a.test.data_in = (uint64_t)(uintptr_t)pkt;
		a.test.data_size_in = sizeof(pkt);
		a.test.repeat = rounds;
		if (sys_bpf(BPF_PROG_TEST_RUN, &a)) {
			close(pfd);
			return -1;
		}
		double t = (double)a.test.duration / LOOP;
		if (t < best)
			best = t;
	}
	close(pfd);
	return best;
}

static double k_sys_ns(int fd, int op, unsigned count)
{
	uint64_t v[64] = { 0 };	/* room for per-CPU values */
	double t0 = now_ns();

	for (uint32_t i = 0; i < count; i++) {
		uint32_t k = i & (NKEYS - 1);

		if (op == OP_LOOKUP) {
			k_elem(BPF_MAP_LOOKUP_ELEM, fd, &k, v);
		} else if (op == OP_UPDATE) {
			k_elem(BPF_MAP_UPDATE_ELEM, fd, &k, v);
		} else {
			k += 2 * NKEYS;
			k_elem(BPF_MAP_UPDATE_ELEM, fd, &k, v);
			k_elem(BPF_MAP_DELETE_ELEM, fd, &k, NULL);
		}
	}
	return (now_ns() - t0) / count;
}
#endif

int main(int argc, char **argv)
{
	static const struct {
		uint32_t type;
		const char *name;
		bool del;
	} types[] = {
		{ UB_MAP_HASH, "hash", true },
		{ UB_MAP_LRU_HASH, "lru_hash", true },
		{ UB_MAP_ARRAY, "array", false },
		{ UB_MAP_PERCPU_ARRAY, "percpu_array", false },
	};
	unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 200;
	struct userbpf_rt *rt = userbpf_rt__new(NULL);

	if (!rt) {
		fprintf(stderr, "maps_bench: no runtime\n");
		return 1;
	}
	printf("%-13s %-14s %9s %9s %9s %9s %8s\n", "map", "op", "ub-op", "ub-api", "k-prog",
	       "k-sys", "op/prog");
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		uint32_t max = types[t].del ? 4 * NKEYS : NKEYS;
		struct userbpf_map *m = userbpf_map__create(rt, types[t].type, "bench", 4, 8, max, NULL);
		int kfd = -1;
		size_t vsz;
		uint8_t *v;

		if (!m) {
			fprintf(stderr, "maps_bench: cannot create %s\n", types[t].name);
			continue;
		}
		vsz = userbpf_map__user_value_size(m);
		v = calloc(1, vsz);
#if defined(__linux__)
		kfd = k_map(types[t].type, max);
#endif
		for (uint32_t k = 0; k < NKEYS && v; k++) {
			userbpf_map__update_elem(m, &k, v, 0);
#if defined(__linux__)
			if (kfd >= 0)
				k_elem(BPF_MAP_UPDATE_ELEM, kfd, &k, v);
#endif
		}
		for (int op = 0; op < OP__N; op++) {
			double uo, ua, kp = -1, ks = -1;

			if (op == OP_INSDEL && !types[t].del)
				continue;
			uo = ub_op(m, op, rounds);
			ua = ub_api(m, op, rounds / 4 + 1);
#if defined(__linux__)
			if (kfd >= 0) {
				kp = k_prog_ns(kfd, op, rounds);
				ks = k_sys_ns(kfd, op, 20000);
			}
#endif
			printf("%-13s %-14s %9.1f %9.1f ", types[t].name, op_names[op], uo, ua);
			if (kp > 0)
				printf("%9.1f %9.1f %7.2fx\n", kp, ks, uo / kp);
			else
				printf("%9s %9s %8s\n", "-", "-", "-");
		}
		free(v);
		if (kfd >= 0)
			close(kfd);
		userbpf_map__free(m);
	}
	printf("ns per operation, best of 5; op/prog: ub-op over k-prog (lower is better)\n");
	userbpf_rt__free(rt);
	return 0;
}
