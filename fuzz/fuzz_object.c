/* SPDX-License-Identifier: MIT */
/*
 * fuzz_object.c - libFuzzer target: arbitrary bytes as an ELF object, and
 * the same bytes as a .BTF section.
 *
 * As an object: opens it, flips a byte of every global data map's initial
 * value (the const volatile path), loads it (maps created, relocations
 * resolved), runs every program (checked mode, with a budget) and reads
 * every map.  As BTF: parses it and walks every type through the
 * accessors the map parser uses (modifiers, sizes, members, arrays,
 * DATASEC entries), so BTF is reached without a valid ELF around it.
 * Any crash, leak, hang or sanitizer report is a bug in src/object or
 * below.  Seeds: the objects tests/object builds (clang -target bpf).
 */
#include <stdint.h>
#include <stddef.h>
#include "userbpf/userbpf.h"
#include "object/object_internal.h"

static void quiet(enum userbpf_log_level l, const char *m, void *u)
{
	(void)l; (void)m; (void)u;
}

static void walk_btf(struct userbpf_rt *rt, const uint8_t *data, size_t size)
{
	struct ub_btf b;
	uint64_t sum = 0;

	if (ub_btf_parse(rt, "fuzz", data, size, &b))
		return;
	for (uint32_t id = 0; id <= b.n; id++) {
		struct ub_btf_type t;
		uint64_t sz = 0;

		if (!ub_btf_type(&b, ub_btf_skip_mods(&b, id), &t))
			continue;
		if (ub_btf_resolve_size(&b, id, &sz) == 0)
			sum += sz;
		for (uint32_t i = 0; i < t.vlen; i++) {
			if (t.kind == UB_BTF_STRUCT || t.kind == UB_BTF_UNION) {
				struct ub_btf_member m;

				ub_btf_member(&t, i, &b, &m);
				sum += m.bit_off + m.name[0];
			} else if (t.kind == UB_BTF_DATASEC) {
				uint32_t ty, off, len;

				ub_btf_secinfo(&t, i, &ty, &off, &len);
				sum += ty + off + len;
			} else if (t.kind == UB_BTF_ENUM || t.kind == UB_BTF_ENUM64) {
				sum += ub_btf_enum_value(&t, i);
			}
		}
		if (t.kind == UB_BTF_ARRAY) {
			uint32_t elem, n;

			ub_btf_array(&t, &elem, &n);
			sum += elem + n;
		}
		if (t.kind == UB_BTF_VAR)
			sum += ub_btf_var_linkage(&t);
	}
	sum += ub_btf_find(&b, UB_BTF_DATASEC, ".maps");
	ub_btf_free(rt, &b);
	(void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log = quiet };
	struct userbpf_rt *rt = userbpf_rt__new(&o);
	struct userbpf_obj_opts oo = { .sz = sizeof(oo), .entry_regs = 6 };
	struct userbpf_obj *obj;
	uint8_t mem[64] = { 0 };

	if (!rt)
		return 0;
	walk_btf(rt, data, size);
	obj = userbpf_obj__open_mem(rt, data, size, &oo);
	for (size_t i = 0; obj && i < userbpf_obj__map_cnt(obj); i++) {
		size_t sz = 0;
		uint8_t *v = userbpf_obj__map_initial_value(obj, userbpf_obj__map_name(obj, i), &sz);

		if (v && sz)
			v[0] ^= 0x5a;
	}
	if (obj && userbpf_obj__load(obj) == 0) {
		for (size_t i = 0; i < userbpf_obj__prog_cnt(obj); i++) {
			struct userbpf_region r = { mem, sizeof(mem), true };
			struct userbpf_run_opts ro = { .sz = sizeof(ro), .regions = &r,
						       .region_cnt = 1, .insn_budget = 100000 };
			uint64_t ret;

			ro.args[0] = (uint64_t)(uintptr_t)mem;
			ro.args[1] = sizeof(mem);
			userbpf_prog__run(userbpf_obj__prog(obj, i), &ro, &ret);
		}
		for (size_t i = 0; i < userbpf_obj__map_cnt(obj); i++) {
			struct userbpf_map *m = userbpf_obj__map(obj, i);
			uint8_t key[64] = { 0 }, val[256];

			if (m && userbpf_map__key_size(m) <= sizeof(key) &&
			    userbpf_map__user_value_size(m) <= sizeof(val))
				userbpf_map__lookup_elem(m, key, val, 0);
		}
	}
	userbpf_obj__close(obj);
	userbpf_rt__free(rt);
	return 0;
}
