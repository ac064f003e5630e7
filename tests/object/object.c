/* SPDX-License-Identifier: MIT */
/*
 * object.c - tests of the ELF object loader on objects that clang builds
 * here (-mcpu=v1..v4): programs by SEC name, subprogram linking, license,
 * results; and on malformed objects: every truncation and thousands of
 * byte mutations must give an error or a result, never a crash (ASan build
 * checks the "never").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testlib.h"
#include "objtest.h"

/* The demo's checksum, written again in C as the oracle. */
static uint64_t checksum_ref(const uint8_t *d, uint64_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int high = 0;

	for (uint64_t i = 0; i < len && i < 256; i++) {
		h = (h ^ d[i]) * 0x100000001b3ULL;
		high += d[i] > 0x7f;
	}
	return h ^ ((uint64_t)high << 56);
}

static int run(struct userbpf_prog *p, void *data, size_t len, uint64_t a0, uint64_t *ret)
{
	struct userbpf_region r = { data, len, true };
	struct userbpf_run_opts o = { .sz = sizeof(o) };

	o.args[0] = data ? (uint64_t)(uintptr_t)data : a0;
	o.args[1] = len;
	o.regions = &r;
	o.region_cnt = data ? 1 : 0;
	o.insn_budget = 1000000;
	return userbpf_prog__run(p, &o, ret);
}

/* Opens, loads and (when it loads) runs a possibly broken object. */
static void try_object(struct userbpf_rt *rt, const uint8_t *buf, size_t len)
{
	struct userbpf_obj_opts oo = { .sz = sizeof(oo), .entry_regs = (1 << 1) | (1 << 2) };
	struct userbpf_obj *obj = userbpf_obj__open_mem(rt, buf, len, &oo);
	uint8_t data[64] = { 1, 2, 3 };
	uint64_t r;

	if (!obj)
		return;
	if (userbpf_obj__load(obj) == 0)
		for (size_t i = 0; i < userbpf_obj__prog_cnt(obj); i++)
			run(userbpf_obj__prog(obj, i), data, sizeof(data), 0, &r);
	userbpf_obj__close(obj);
}

int main(void)
{
	struct userbpf_rt_opts ro = { .sz = sizeof(ro), .log = tl_log };
	struct userbpf_rt *rt = userbpf_rt__new(&ro);
	const char *cpus[] = { "v1", "v2", "v3", "v4" };
	char obj_path[512];
	uint8_t input[300];
	struct userbpf_obj_opts oo = { .sz = sizeof(oo), .entry_regs = (1 << 1) | (1 << 2) };

	if (!ot_have_clang()) {
		tl_skip("object", "clang is not installed");
		return 0;
	}
	if (!ot_init("object") || !rt)
		return 1;
	for (size_t i = 0; i < sizeof(input); i++)
		input[i] = (uint8_t)(i * 37 + 11);

	for (size_t c = 0; c < 4; c++) {
		char name[128];
		struct userbpf_obj *obj;
		uint64_t r = 0;

		snprintf(name, sizeof(name), "demo checksum -mcpu=%s", cpus[c]);
		if (!ot_cpu_known(cpus[c])) {
			tl_skip(name, OT_CPU_UNKNOWN);
			continue;
		}
		if (ot_build("examples/demo/checksum.bpf.c", cpus[c], obj_path, sizeof(obj_path))) {
			tl_fail(name, "clang failed");
			continue;
		}
		obj = userbpf_obj__open_file(rt, obj_path, &oo);
		if (!obj || userbpf_obj__load(obj)) {
			tl_fail(name, "load: %s", tl_last_log);
			userbpf_obj__close(obj);
			continue;
		}
		TL_CHECK("one program, named by its function, in section socket",
			 userbpf_obj__prog_cnt(obj) == 1 &&
			 !strcmp(userbpf_obj__prog_name(obj, 0), "checksum") &&
			 !strcmp(userbpf_obj__prog_section(obj, 0), "socket"));
		TL_CHECK("license read", userbpf_obj__license(obj) &&
			 !strcmp(userbpf_obj__license(obj), "Dual MIT/GPL"));
		for (size_t len = 0; len <= sizeof(input); len += 97) {
			char n2[160];
			snprintf(n2, sizeof(n2), "%s len %zu", name, len);
			if (run(userbpf_obj__find_prog(obj, "checksum"), input, len, 0, &r))
				tl_fail(n2, "run: %s", tl_last_log);
			else
				TL_EQ_U64(n2, r, checksum_ref(input, len));
		}
		userbpf_obj__close(obj);
	}

	/* Several programs sharing subprograms, on every CPU version. */
	for (size_t c = 0; c < 4; c++) {
		char n1[96], n2[96];
		struct userbpf_obj *obj;
		uint64_t r1 = 0, r2 = 0, r3 = 0;

		snprintf(n1, sizeof(n1), "three programs link their callees -mcpu=%s", cpus[c]);
		snprintf(n2, sizeof(n2), "tracepoint section kept -mcpu=%s", cpus[c]);
		if (!ot_cpu_known(cpus[c])) {
			tl_skip(n1, OT_CPU_UNKNOWN);
			continue;
		}
		if (ot_build("tests/object/progs/multi.bpf.c", cpus[c], obj_path, sizeof(obj_path))) {
			tl_fail(n1, "multi.bpf.c: clang failed");
			continue;
		}
		obj = userbpf_obj__open_file(rt, obj_path, NULL);
		if (obj && userbpf_obj__load(obj) == 0 && userbpf_obj__prog_cnt(obj) == 3) {
			int e = run(userbpf_obj__find_prog(obj, "first"), NULL, 0, 5, &r1) |
				run(userbpf_obj__find_prog(obj, "second"), NULL, 0, 5, &r2) |
				run(userbpf_obj__find_prog(obj, "third"), NULL, 0, 3, &r3);
			TL_CHECK(n1, !e && r1 == 55 && r2 == 37 && r3 == 101);
			TL_CHECK(n2, !strcmp(userbpf_obj__prog_section(obj, 2),
					     "tracepoint/syscalls/sys_enter_execve"));
		} else {
			tl_fail(n1, "%s", tl_last_log);
		}
		userbpf_obj__close(obj);
	}

	/* Malformed objects. */
	{
		struct userbpf_obj *obj = userbpf_obj__open_file(rt, "/nonexistent/x.o", NULL);
		TL_CHECK("missing file named", !obj && strstr(tl_last_log, "/nonexistent/x.o"));
	}
	ot_build("examples/demo/checksum.bpf.c", "v3", obj_path, sizeof(obj_path));
	{
		size_t len = 0;
		uint8_t *orig = ot_slurp(obj_path, &len), *buf = malloc(len ? len : 1);
		uint64_t seed = 0x9e3779b97f4a7c15ull;
		struct userbpf_obj *obj;

		if (!orig || !buf) {
			tl_fail("malformed objects", "cannot read %s", obj_path);
		} else {
			memcpy(buf, orig, len);
			buf[18] = 62; /* e_machine = x86-64 */
			obj = userbpf_obj__open_mem(rt, buf, len, NULL);
			TL_CHECK("wrong machine refused", !obj && strstr(tl_last_log, "not BPF"));
			memcpy(buf, orig, len);
			obj = userbpf_obj__open_mem(rt, buf, 40, NULL);
			TL_CHECK("truncated header refused", !obj && errno == EINVAL);
			obj = userbpf_obj__open_mem(rt, "hello", 5, NULL);
			TL_CHECK("not ELF refused", !obj && strstr(tl_last_log, "not an ELF file"));
			for (size_t n = 0; n < len; n += (n < 1024 ? 1 : 13))
				try_object(rt, orig, n);
			tl_ok("every truncation handled");
			for (int k = 0; k < 3000; k++) {
				memcpy(buf, orig, len);
				for (int f = 0; f < 1 + k % 4; f++) {
					seed ^= seed << 13;
					seed ^= seed >> 7;
					seed ^= seed << 17;
					buf[seed % len] ^= (uint8_t)(1u << ((seed >> 32) % 8));
				}
				try_object(rt, buf, len);
			}
			tl_ok("3000 mutated objects handled");
		}
		free(orig);
		free(buf);
	}
	ot_cleanup();
	userbpf_rt__free(rt);
	return tl_exit();
}
