/* SPDX-License-Identifier: MIT */
/*
 * jitdump.c - writes the x86-64 JIT's code for a raw instruction file, to
 * read with `objdump -D -b binary -mi386:x86-64 OUT`.  A development aid
 * for JIT work (bench/run.sh does not build it):
 *   cc -std=c11 -D_GNU_SOURCE -Iinclude -Isrc bench/jitdump.c build/libuserbpf.a -o jitdump
 *   ./jitdump build/bench/sieve.bin sieve.x86
 */
#include <stdio.h>
#include <stdlib.h>
#include "exec/jit_internal.h"

int main(int argc, char **argv)
{
	struct userbpf_prog_opts po = { .sz = sizeof(po), .entry_regs = 6 };
	struct ub_jit_opts o = { 0 };
	struct ub_jit_out out = { 0 };
	struct userbpf_insn *insns;
	struct userbpf_rt *rt;
	struct userbpf_prog *prog;
	FILE *f;
	long sz;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: jitdump IN.bin OUT\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (sz = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "jitdump: %s: cannot read\n", argv[1]);
		return 1;
	}
	insns = malloc((size_t)sz);
	if (!insns || fread(insns, 1, (size_t)sz, f) != (size_t)sz) {
		fprintf(stderr, "jitdump: %s: cannot read\n", argv[1]);
		return 1;
	}
	fclose(f);
	rt = userbpf_rt__new(NULL);
	prog = rt ? userbpf_prog__load(rt, insns, (size_t)sz / 8, &po) : NULL;
	if (!prog) {
		fprintf(stderr, "jitdump: load failed\n");
		return 1;
	}
	err = ub_jit_x86_64(prog, &o, &out);
	if (err) {
		fprintf(stderr, "jitdump: JIT failed: %d\n", err);
		return 1;
	}
	f = fopen(argv[2], "wb");
	if (!f || fwrite(out.code, 1, out.len, f) != out.len || fclose(f)) {
		fprintf(stderr, "jitdump: %s: cannot write\n", argv[2]);
		return 1;
	}
	printf("%zu instructions, %zu bytes\n", prog->cnt, out.len);
	ub_free(rt, out.code);
	userbpf_prog__free(prog);
	userbpf_rt__free(rt);
	free(insns);
	return 0;
}
