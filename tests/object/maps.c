/* SPDX-License-Identifier: MIT */
/*
 * maps.c - tests of the object loader's maps, on objects clang builds here
 * (-mcpu=v1..v4): BTF-defined maps of the array families, created, used by
 * programs, pinned and reused; the parsed definitions of every other map
 * kind (hash, LRU, LPM, queue, stack, ringbuf, bloom, map-in-map with its
 * inner template and initial values); legacy "maps"; global data in
 * .data/.bss/.rodata/.rodata.str1.1/.data.custom read and written by a
 * program, with const volatile set before load and .rodata frozen; and
 * malformed objects (bad BTF, unknown attribute, bad relocations,
 * truncations and mutations), each error naming what is wrong.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "testlib.h"
#include "objtest.h"
#include "object/object_internal.h"
#include "exec/exec_internal.h"

static const char *cpus[] = { "v1", "v2", "v3", "v4" };

/* bpf_map_lookup_elem, until src/helpers has it: r1 is the map (the
 * program's lddw resolved it), r2 the key.  Broken objects may pass
 * anything, so the key must lie in a registered region or in the
 * interpreter's BPF stack, which is a local array of the interpreter's
 * frame: just above this helper's frame on the native stack. */
static uint64_t h_lookup(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			 struct userbpf_call *c)
{
	struct userbpf_map *m = (struct userbpf_map *)(uintptr_t)r1;
	uint8_t here = 0;
	uint64_t lo = (uint64_t)(uintptr_t)&here;
	void *v;

	if (!ub_rt_id_has(c->rt, UB_OBJ_MAP, m))
		return 0;
	if (!ub_call_mem_ok(c, r2, m->def.key_size, false) &&
	    !(r2 > lo && r2 - lo < 65536 - m->def.key_size))
		return 0;
	v = m->ops->lookup ? m->ops->lookup(m, (const void *)(uintptr_t)r2) : NULL;
	if (v)
		userbpf_call__allow(c, v, m->def.value_size, true);
	return (uint64_t)(uintptr_t)v;
}

/* The tail-call resolver: r2 of bpf_tail_call is the program's map
 * pointer when the program is sound; broken objects may pass anything. */
static struct userbpf_prog *tail_resolve(void *map, uint32_t idx, void *user)
{
	struct userbpf_rt *rt = user;

	if (!ub_rt_id_has(rt, UB_OBJ_MAP, map))
		return NULL;
	return ub_map_prog_array_get(map, idx);
}

static int run_ctx(struct userbpf_prog *p, void *ctx, size_t len, uint64_t *ret)
{
	struct userbpf_region r = { ctx, len, true };
	struct userbpf_run_opts o = { .sz = sizeof(o), .regions = &r, .region_cnt = 1,
				      .insn_budget = 1000000 };

	o.args[0] = (uint64_t)(uintptr_t)ctx;
	if (!p)
		return -ENOENT;
	return userbpf_prog__run(p, &o, ret);
}

static const struct ub_obj_map *parsed(const struct userbpf_obj *obj, const char *name,
				       size_t *idx)
{
	size_t n;
	const struct ub_obj_map *m = ub_obj_maps(obj, &n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(m[i].name, name)) {
			if (idx)
				*idx = i;
			return &m[i];
		}
	return NULL;
}

static bool def_is(const struct ub_map_def *d, uint32_t type, uint32_t ks, uint32_t vs,
		   uint32_t max, uint32_t flags)
{
	return d->type == type && d->key_size == ks && d->value_size == vs &&
	       d->max_entries == max && d->map_flags == flags;
}

/* Opens, loads and runs a possibly broken object: never a crash or leak. */
static void try_object(struct userbpf_rt *rt, const uint8_t *buf, size_t len)
{
	struct userbpf_obj *obj = userbpf_obj__open_mem(rt, buf, len, NULL);
	uint32_t ctx[16] = { 1 };
	uint64_t r;

	if (!obj)
		return;
	for (size_t i = 0; i < userbpf_obj__map_cnt(obj); i++) {
		size_t sz = 0;
		uint8_t *v = userbpf_obj__map_initial_value(obj, userbpf_obj__map_name(obj, i), &sz);

		if (v && sz)
			v[sz - 1] ^= 1;
	}
	if (userbpf_obj__load(obj) == 0)
		for (size_t i = 0; i < userbpf_obj__prog_cnt(obj); i++)
			run_ctx(userbpf_obj__prog(obj, i), ctx, sizeof(ctx), &r);
	userbpf_obj__close(obj);
}

/* ---- BTF maps of the array families ---------------------------------- */

static void test_btf_maps(struct userbpf_rt *rt, const char *cpu)
{
	char path[512], pins[300], name[160], pinfile[400];
	struct userbpf_obj_opts oo = { .sz = sizeof(oo), .pin_root_path = pins };
	struct userbpf_obj *obj = NULL;
	const struct ub_obj_map *m;
	struct userbpf_map *counts, *jump, *total;
	uint32_t ctx[4] = { 0 }, k = 1;
	uint64_t r1 = 0, r2 = 0, r = 0, tot = 0;
	uint8_t val[16];
	size_t ijump = 0, ia = 0;
	struct stat st;
	int err;

	snprintf(pins, sizeof(pins), "%s/pins-%s", ot_tmpdir, cpu);
	mkdir(pins, 0700);
	snprintf(name, sizeof(name), "btf maps -mcpu=%s: builds", cpu);
	if (ot_build("tests/object/progs/maps_btf.bpf.c", cpu, path, sizeof(path))) {
		tl_fail(name, "clang failed");
		return;
	}
	obj = userbpf_obj__open_file(rt, path, &oo);
	snprintf(name, sizeof(name), "btf maps -mcpu=%s: open", cpu);
	if (!obj) {
		tl_fail(name, "%s", tl_last_log);
		return;
	}
	tl_ok(name);
	snprintf(name, sizeof(name), "btf maps -mcpu=%s: four maps, definitions as declared", cpu);
	m = parsed(obj, "counts", NULL);
	TL_CHECK(name, userbpf_obj__map_cnt(obj) == 4 && m &&
		 def_is(&m->def, UB_MAP_ARRAY, 4, 16, 4, 0) && m->def.spin_lock_off == 8 &&
		 (m = parsed(obj, "per_cpu", NULL)) &&
		 def_is(&m->def, UB_MAP_PERCPU_ARRAY, 4, 8, 2, 0) && m->def.spin_lock_off == -1 &&
		 (m = parsed(obj, "pinned_total", NULL)) && m->pinning == 1 &&
		 def_is(&m->def, UB_MAP_ARRAY, 4, 8, 1, 0) &&
		 (m = parsed(obj, "jump", &ijump)) &&
		 def_is(&m->def, UB_MAP_PROG_ARRAY, 4, 4, 3, 0));
	snprintf(name, sizeof(name), "btf maps -mcpu=%s: prog_array initial values from .rel.maps",
		 cpu);
	m = parsed(obj, "jump", NULL);
	for (size_t i = 0; i < userbpf_obj__prog_cnt(obj); i++)
		if (!strcmp(userbpf_obj__prog_name(obj, i), "tail_a"))
			ia = i;
	TL_CHECK(name, m && m->nslots >= 3 && m->slots[0] == (int32_t)ia && m->slots[1] == -1 &&
		 !strcmp(userbpf_obj__prog_name(obj, (size_t)m->slots[2]), "tail_b"));
	snprintf(name, sizeof(name), "btf maps -mcpu=%s: version and license", cpu);
	TL_CHECK(name, userbpf_obj__kern_version(obj) == 0x050a00 &&
		 !strcmp(userbpf_obj__license(obj), "GPL"));
	snprintf(name, sizeof(name), "btf maps -mcpu=%s: maps absent before load", cpu);
	TL_CHECK(name, !userbpf_obj__find_map(obj, "counts") && !userbpf_obj__map(obj, 0));

	err = userbpf_obj__load(obj);
	snprintf(name, sizeof(name), "btf maps -mcpu=%s: load", cpu);
	if (err) {
		tl_fail(name, "%s", tl_last_log);
		userbpf_obj__close(obj);
		return;
	}
	tl_ok(name);
	counts = userbpf_obj__find_map(obj, "counts");
	jump = userbpf_obj__map(obj, ijump);
	total = userbpf_obj__find_map(obj, "pinned_total");
	err = run_ctx(userbpf_obj__find_prog(obj, "count"), ctx, sizeof(ctx), &r1);
	err |= run_ctx(userbpf_obj__find_prog(obj, "count"), ctx, sizeof(ctx), &r2);
	snprintf(name, sizeof(name), "btf maps -mcpu=%s: program counts in the array", cpu);
	TL_CHECK(name, !err && r1 == 1 && r2 == 2 && counts &&
		 userbpf_map__lookup_elem(counts, &k, val, 0) == 0 &&
		 *(uint64_t *)val == 2 && *(uint32_t *)(val + 12) == 7);
	k = 0;
	snprintf(name, sizeof(name), "btf maps -mcpu=%s: pinned map written and pinned", cpu);
	snprintf(pinfile, sizeof(pinfile), "%s/pinned_total", pins);
	TL_CHECK(name, total && userbpf_map__lookup_elem(total, &k, &tot, 0) == 0 && tot == 6 &&
		 stat(pinfile, &st) == 0 && userbpf_map__pin_path(total) &&
		 !strcmp(userbpf_map__pin_path(total), pinfile));
	snprintf(name, sizeof(name), "btf maps -mcpu=%s: tail calls through the initial slots", cpu);
	{
		uint64_t a = 0, b = 0, c = 0;
		uint32_t id = 0;

		ctx[0] = 0;
		err = run_ctx(userbpf_obj__find_prog(obj, "jumper"), ctx, sizeof(ctx), &a);
		ctx[0] = 2;
		err |= run_ctx(userbpf_obj__find_prog(obj, "jumper"), ctx, sizeof(ctx), &b);
		ctx[0] = 1;
		err |= run_ctx(userbpf_obj__find_prog(obj, "jumper"), ctx, sizeof(ctx), &c);
		TL_CHECK(name, !err && a == 100 && b == 200 && c == 7 && jump &&
			 userbpf_map__lookup_elem(jump, &k, &id, 0) == 0 &&
			 id == userbpf_prog__id(userbpf_obj__find_prog(obj, "tail_a")));
	}
	userbpf_obj__close(obj);

	/* A second load finds the pin and reuses it: the count goes on. */
	obj = userbpf_obj__open_file(rt, path, &oo);
	err = obj ? userbpf_obj__load(obj) : -1;
	snprintf(name, sizeof(name), "btf maps -mcpu=%s: pinned map reused by the next load", cpu);
	if (!err) {
		err = run_ctx(userbpf_obj__find_prog(obj, "count"), ctx, sizeof(ctx), &r);
		total = userbpf_obj__find_map(obj, "pinned_total");
		TL_CHECK(name, !err && r == 1 && total &&
			 userbpf_map__lookup_elem(total, &k, &tot, 0) == 0 && tot == 9);
	} else {
		tl_fail(name, "%s", tl_last_log);
	}
	userbpf_obj__close(obj);

	/* A pin with another definition fails the load, naming the path. */
	if (unlink(pinfile) == 0) {
		struct userbpf_map *other = userbpf_map__create(rt, UB_MAP_ARRAY, "pinned_total", 4,
								8, 2, NULL);

		snprintf(name, sizeof(name), "btf maps -mcpu=%s: incompatible pin refused", cpu);
		if (other && userbpf_map__pin(other, pinfile) == 0) {
			obj = userbpf_obj__open_file(rt, path, &oo);
			err = obj ? userbpf_obj__load(obj) : 0;
			TL_CHECK(name, obj && err == -EINVAL && strstr(tl_last_log, "cannot reuse") &&
				 strstr(tl_last_log, pinfile));
			userbpf_obj__close(obj);
		} else {
			tl_fail(name, "cannot pin: %s", tl_last_log);
		}
		userbpf_map__free(other);
	}
}

/* ---- definitions of every kind ----------------------------------------- */

static void test_all_kinds(struct userbpf_rt *rt)
{
	char path[512];
	struct userbpf_obj *obj;
	const struct ub_obj_map *m, *o;
	size_t i0 = 0, i1 = 0;
	int err;

	if (ot_build("tests/object/progs/maps_all.bpf.c", "v3", path, sizeof(path))) {
		tl_fail("all map kinds: builds", "clang failed");
		return;
	}
	obj = userbpf_obj__open_file(rt, path, NULL);
	if (!obj) {
		tl_fail("all map kinds: open", "%s", tl_last_log);
		return;
	}
	TL_CHECK("all map kinds: 12 maps", userbpf_obj__map_cnt(obj) == 12);
	m = parsed(obj, "flows", NULL);
	TL_CHECK("hash: key and value sizes from their types, spin lock found",
		 m && def_is(&m->def, UB_MAP_HASH, 12, 48, 1024, 0) && m->def.spin_lock_off == 40);
	m = parsed(obj, "lru", NULL);
	TL_CHECK("lru_hash: sizes from __uint", m && def_is(&m->def, UB_MAP_LRU_HASH, 8, 16, 64, 0));
	m = parsed(obj, "lru_pc", NULL);
	TL_CHECK("lru_percpu_hash", m && def_is(&m->def, UB_MAP_LRU_PERCPU_HASH, 4, 8, 32, 0));
	m = parsed(obj, "routes", NULL);
	TL_CHECK("lpm_trie with BPF_F_NO_PREALLOC",
		 m && def_is(&m->def, UB_MAP_LPM_TRIE, 8, 4, 100, UB_F_NO_PREALLOC));
	m = parsed(obj, "q", NULL);
	TL_CHECK("queue: no key", m && def_is(&m->def, UB_MAP_QUEUE, 0, 4, 16, 0));
	m = parsed(obj, "stk", NULL);
	TL_CHECK("stack", m && def_is(&m->def, UB_MAP_STACK, 0, 8, 8, 0));
	m = parsed(obj, "events", NULL);
	TL_CHECK("ringbuf", m && def_is(&m->def, UB_MAP_RINGBUF, 0, 0, 256 * 1024, 0));
	m = parsed(obj, "bloom", NULL);
	TL_CHECK("bloom filter with map_extra",
		 m && def_is(&m->def, UB_MAP_BLOOM_FILTER, 0, 4, 1000, 0) && m->def.extra == 3);
	parsed(obj, "in0", &i0);
	parsed(obj, "in1", &i1);
	o = parsed(obj, "outer_arr", NULL);
	TL_CHECK("array_of_maps: the inner template", o &&
		 def_is(&o->def, UB_MAP_ARRAY_OF_MAPS, 4, 4, 3, 0) && o->has_inner &&
		 def_is(&o->inner, UB_MAP_ARRAY, 4, 8, 4, 0) &&
		 !strcmp(o->inner.name, "outer_arr.inner"));
	TL_CHECK("array_of_maps: initial values name in0 and in1",
		 o && o->nslots >= 3 && o->slots[0] == (int32_t)i0 && o->slots[1] == -1 &&
		 o->slots[2] == (int32_t)i1 && i0 != i1);
	o = parsed(obj, "outer_hash", NULL);
	TL_CHECK("hash_of_maps: an anonymous inner definition", o &&
		 def_is(&o->def, UB_MAP_HASH_OF_MAPS, 4, 4, 8, 0) && o->has_inner &&
		 def_is(&o->inner, UB_MAP_HASH, 4, 4, 10, 0) && !o->slots);
	/* Whatever this build can create, the load either works or names the
	 * map it cannot make. */
	err = userbpf_obj__load(obj);
	if (err)
		TL_CHECK("all map kinds: a failed load names its map",
			 strstr(tl_last_log, "map '") && strstr(tl_last_log, "cannot create"));
	else
		TL_CHECK("all map kinds: loaded, every map made",
			 userbpf_obj__find_map(obj, "flows") && userbpf_obj__find_map(obj, "outer_arr"));
	userbpf_obj__close(obj);
}

/* ---- legacy maps --------------------------------------------------------- */

static void test_legacy(struct userbpf_rt *rt)
{
	char path[512];
	struct userbpf_obj *obj;
	const struct ub_obj_map *m;
	uint32_t ctx[2] = { 3, 0 }, k = 3;
	uint64_t r1 = 0, r2 = 0, v = 0;
	int err;

	if (ot_build("tests/object/progs/legacy.bpf.c", "v2", path, sizeof(path))) {
		tl_fail("legacy maps: builds", "clang failed");
		return;
	}
	obj = userbpf_obj__open_file(rt, path, NULL);
	if (!obj) {
		tl_fail("legacy maps: open", "%s", tl_last_log);
		return;
	}
	m = parsed(obj, "old_counts", NULL);
	TL_CHECK("legacy maps: struct bpf_map_def read",
		 userbpf_obj__map_cnt(obj) == 2 && m && m->kind == UB_OMAP_LEGACY &&
		 def_is(&m->def, UB_MAP_ARRAY, 4, 8, 8, 0) &&
		 (m = parsed(obj, "old_pc", NULL)) &&
		 def_is(&m->def, UB_MAP_PERCPU_ARRAY, 4, 16, 2, 0));
	err = userbpf_obj__load(obj);
	if (!err) {
		err = run_ctx(userbpf_obj__find_prog(obj, "legacy_count"), ctx, sizeof(ctx), &r1);
		err |= run_ctx(userbpf_obj__find_prog(obj, "legacy_count"), ctx, sizeof(ctx), &r2);
		TL_CHECK("legacy maps: program uses them", !err && r1 == 2 && r2 == 4 &&
			 userbpf_map__lookup_elem(userbpf_obj__find_map(obj, "old_counts"), &k, &v,
						  0) == 0 && v == 4);
	} else {
		tl_fail("legacy maps: load", "%s", tl_last_log);
	}
	userbpf_obj__close(obj);
}

/* ---- global data ------------------------------------------------------- */

struct cfg { uint32_t mul, add; uint64_t magic; };

static uint64_t globals_ref(uint32_t in, uint32_t mul, uint64_t last)
{
	static const char greeting[] = "hello, globals";

	return (uint64_t)in * mul + 5 + (uint8_t)greeting[in % sizeof(greeting)] +
	       (uint8_t)"xyz"[in % 3] + last;
}

static void test_globals(struct userbpf_rt *rt, const char *cpu)
{
	char path[512], name[160];
	struct userbpf_obj *obj;
	const struct ub_obj_map *m;
	struct cfg *cfg;
	size_t sz = 0;
	uint32_t ctx[2] = { 5, 0 }, k = 0;
	uint64_t r1 = 0, r2 = 0, data[2] = { 0 }, bss[3] = { 0 }, custom = 0;
	int err;

	snprintf(name, sizeof(name), "globals -mcpu=%s: builds", cpu);
	if (ot_build("tests/object/progs/globals.bpf.c", cpu, path, sizeof(path))) {
		tl_fail(name, "clang failed");
		return;
	}
	obj = userbpf_obj__open_file(rt, path, NULL);
	snprintf(name, sizeof(name), "globals -mcpu=%s: open", cpu);
	if (!obj) {
		tl_fail(name, "%s", tl_last_log);
		return;
	}
	snprintf(name, sizeof(name), "globals -mcpu=%s: one array per section, named as libbpf",
		 cpu);
	m = parsed(obj, "globals.rodata", NULL);
	TL_CHECK(name, userbpf_obj__map_cnt(obj) == 5 && m && m->kind == UB_OMAP_RODATA &&
		 def_is(&m->def, UB_MAP_ARRAY, 4, 16, 1, UB_F_RDONLY_PROG | UB_F_MMAPABLE) &&
		 (m = parsed(obj, "globals.data", NULL)) &&
		 def_is(&m->def, UB_MAP_ARRAY, 4, 16, 1, UB_F_MMAPABLE) &&
		 (m = parsed(obj, "globals.bss", NULL)) && m->kind == UB_OMAP_BSS &&
		 def_is(&m->def, UB_MAP_ARRAY, 4, 24, 1, UB_F_MMAPABLE) &&
		 (m = parsed(obj, ".data.counters", NULL)) && m->kind == UB_OMAP_DATA &&
		 (m = parsed(obj, ".rodata.str1.1", NULL)) && m->kind == UB_OMAP_RODATA &&
		 (m->def.map_flags & UB_F_RDONLY_PROG));
	/* const volatile: set before load through the initial value. */
	cfg = userbpf_obj__map_initial_value(obj, ".rodata", &sz);
	if (!strcmp(cpu, "v3")) {
		/* libbpf's rule: 8 characters of the object name (base name up
		 * to its first '.'), then the section; '-' becomes '_'. */
		size_t blen = 0;
		uint8_t *b = ot_slurp(path, &blen);
		struct userbpf_obj_opts no = { .sz = sizeof(no), .name = "/some/dir/hello-kernel.bpf.o" };
		struct userbpf_obj *o2 = b ? userbpf_obj__open_mem(rt, b, blen, &no) : NULL;

		TL_CHECK("data map names follow libbpf (hello_ke.rodata, hello_ke.bss)",
			 o2 && parsed(o2, "hello_ke.rodata", NULL) && parsed(o2, "hello_ke.bss", NULL) &&
			 parsed(o2, "hello_ke.data", NULL) && parsed(o2, ".data.counters", NULL));
		userbpf_obj__close(o2);
		free(b);
	}
	snprintf(name, sizeof(name), "globals -mcpu=%s: .rodata initial value readable", cpu);
	TL_CHECK(name, cfg && sz == 16 && cfg->mul == 3 && cfg->add == 5 &&
		 cfg->magic == 0x1122334455667788ull);
	if (cfg)
		cfg->mul = 7;
	err = userbpf_obj__load(obj);
	snprintf(name, sizeof(name), "globals -mcpu=%s: load", cpu);
	if (err) {
		tl_fail(name, "%s", tl_last_log);
		userbpf_obj__close(obj);
		return;
	}
	err = run_ctx(userbpf_obj__find_prog(obj, "use_globals"), ctx, sizeof(ctx), &r1);
	ctx[0] = 2;
	err |= run_ctx(userbpf_obj__find_prog(obj, "use_globals"), ctx, sizeof(ctx), &r2);
	snprintf(name, sizeof(name),
		 "globals -mcpu=%s: program reads .data/.rodata/strings, const volatile honoured", cpu);
	if (err)
		tl_fail(name, "run: %s", tl_last_log);
	else
		TL_CHECK(name, r1 == globals_ref(5, 7, 9) && r2 == globals_ref(2, 7, 5));
	userbpf_map__lookup_elem(userbpf_obj__find_map(obj, ".data"), &k, data, 0);
	userbpf_map__lookup_elem(userbpf_obj__find_map(obj, ".bss"), &k, bss, 0);
	userbpf_map__lookup_elem(userbpf_obj__find_map(obj, ".data.counters"), &k, &custom, 0);
	snprintf(name, sizeof(name), "globals -mcpu=%s: program's writes land in the maps", cpu);
	{
		/* .bss: runs (u64) and hist[4] (u32), in either order. */
		const uint32_t *h = (const uint32_t *)bss;
		bool bss_ok = (bss[0] == 2 && h[2] == 0 && h[3] == 1 && h[4] == 1 && h[5] == 0) ||
			      (bss[2] == 2 && h[0] == 0 && h[1] == 1 && h[2] == 1 && h[3] == 0);

		TL_CHECK(name, ((data[0] == 47 && data[1] == 2) || (data[1] == 47 && data[0] == 2)) &&
			 bss_ok && custom == 1020);
	}
	snprintf(name, sizeof(name), "globals -mcpu=%s: .rodata frozen after load", cpu);
	{
		struct userbpf_map *ro = userbpf_obj__find_map(obj, "globals.rodata");
		struct cfg c2 = { 0 };

		TL_CHECK(name, ro && userbpf_map__is_frozen(ro) &&
			 userbpf_map__update_elem(ro, &k, &c2, 0) == -EPERM &&
			 userbpf_map__lookup_elem(ro, &k, &c2, 0) == 0 && c2.mul == 7);
	}
	snprintf(name, sizeof(name), "globals -mcpu=%s: initial value closed after load", cpu);
	TL_CHECK(name, !userbpf_obj__map_initial_value(obj, ".rodata", &sz) && errno == EBUSY);
	userbpf_obj__close(obj);
}

/* ---- malformed objects --------------------------------------------------- */

static size_t sec_index(const struct ub_elf *e, const char *name)
{
	for (size_t i = 1; i < e->nsec; i++)
		if (!strcmp(e->secs[i].name, name))
			return i;
	return 0;
}

/* The symbol named `name`, or the section symbol of section `name`. */
static size_t sym_index(struct userbpf_rt *rt, const struct ub_elf *e, const char *name)
{
	for (size_t i = 1; i < e->nsyms; i++) {
		struct ub_elf_sym s;

		if (ub_elf_sym(rt, e, i, &s))
			continue;
		if (!strcmp(s.name, name) ||
		    (s.type == UB_STT_SECTION && s.shndx < e->nsec &&
		     !strcmp(e->secs[s.shndx].name, name)))
			return i;
	}
	return 0;
}

static void test_errors(struct userbpf_rt *rt)
{
	char path[512];
	uint8_t *orig, *buf;
	size_t len = 0;
	struct ub_elf e;
	struct userbpf_obj *obj;
	uint64_t seed = 0x2545f4914f6cdd1dull;

	if (ot_build("tests/object/progs/bad_attr.bpf.c", "v3", path, sizeof(path)) == 0) {
		obj = userbpf_obj__open_file(rt, path, NULL);
		TL_CHECK("unknown map attribute refused by name", !obj &&
			 strstr(tl_last_log, "map 'odd'") && strstr(tl_last_log, "'colour'") &&
			 strstr(tl_last_log, ".maps"));
		userbpf_obj__close(obj);
	}
	if (ot_build("tests/object/progs/maps_btf.bpf.c", "v3", path, sizeof(path)))
		return;
	orig = ot_slurp(path, &len);
	buf = malloc(len ? len : 1);
	if (!orig || !buf || ub_elf_parse(rt, "t", orig, len, &e)) {
		tl_fail("malformed objects", "cannot read %s", path);
		free(orig);
		free(buf);
		return;
	}
	{
		size_t btf = sec_index(&e, ".BTF");
		size_t off = (size_t)(e.secs[btf].data - orig);
		uint32_t hdr, toff;

		memcpy(&hdr, orig + off + 4, 4);
		memcpy(&toff, orig + off + 8, 4);
		/* type [1]: kind 31 */
		memcpy(buf, orig, len);
		buf[off + hdr + toff + 7] = 31;
		obj = userbpf_obj__open_mem(rt, buf, len, NULL);
		TL_CHECK("bad BTF kind: error names .BTF and the type id",
			 !obj && strstr(tl_last_log, "section .BTF: type [1]") &&
			 strstr(tl_last_log, "unknown kind"));
		/* type [1] refers to a type past the end */
		memcpy(buf, orig, len);
		memset(buf + off + hdr + toff + 8, 0x7f, 4);
		obj = userbpf_obj__open_mem(rt, buf, len, NULL);
		TL_CHECK("bad BTF reference: error names the type id",
			 !obj && strstr(tl_last_log, "section .BTF: type ["));
		/* string area without its final NUL */
		memcpy(buf, orig, len);
		memset(buf + off + 20, 0, 4);
		buf[off + 20] = 1;
		obj = userbpf_obj__open_mem(rt, buf, len, NULL);
		TL_CHECK("bad BTF strings refused", !obj && strstr(tl_last_log, "section .BTF"));
		userbpf_obj__close(obj);
	}
	{
		/* A code relocation whose symbol is LICENSE: not code, map
		 * nor data. */
		size_t rel = sec_index(&e, ".relxdp"), lic = sym_index(rt, &e, "LICENSE");
		size_t off = (size_t)(e.secs[rel].data - orig);
		uint32_t symi = (uint32_t)lic;

		memcpy(buf, orig, len);
		memcpy(buf + off + 12, &symi, 4);
		obj = userbpf_obj__open_mem(rt, buf, len, NULL);
		TL_CHECK("relocation against a non-map symbol refused by name",
			 obj && userbpf_obj__load(obj) == -EINVAL && strstr(tl_last_log, "'LICENSE'") &&
			 strstr(tl_last_log, "insn "));
		userbpf_obj__close(obj);
	}
	{
		/* .rel.maps pointing into 'counts' (not a prog_array). */
		size_t rel = sec_index(&e, ".rel.maps");
		size_t off = (size_t)(e.secs[rel].data - orig);
		uint64_t at = 0x38;	/* inside counts (at 0x30) */

		memcpy(buf, orig, len);
		memcpy(buf + off, &at, 8);
		obj = userbpf_obj__open_mem(rt, buf, len, NULL);
		TL_CHECK(".rel.maps into a plain array refused, naming the map",
			 !obj && strstr(tl_last_log, "map 'counts'") && strstr(tl_last_log, ".rel.maps"));
	}
	{
		/* The version section of the wrong size. */
		size_t ver = sec_index(&e, "version");
		uint64_t two = 2;
		size_t shoff;

		memcpy(&shoff, orig + 40, 8);
		memcpy(buf, orig, len);
		memcpy(buf + shoff + ver * 64 + 32, &two, 8);
		obj = userbpf_obj__open_mem(rt, buf, len, NULL);
		TL_CHECK("version section of 2 bytes refused", !obj &&
			 strstr(tl_last_log, "section version"));
	}
	ub_elf_free(rt, &e);
	for (size_t n = 0; n < len; n += (n < 2048 ? 1 : 7))
		try_object(rt, orig, n);
	tl_ok("every truncation of a BTF-maps object handled");
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
	tl_ok("3000 mutated BTF-maps objects handled");
	free(orig);
	free(buf);

	/* Global data objects, mutated too. */
	if (ot_build("tests/object/progs/globals.bpf.c", "v3", path, sizeof(path)) == 0 &&
	    (orig = ot_slurp(path, &len)) != NULL) {
		buf = malloc(len);
		if (!buf) {
			free(orig);
			return;
		}
		if (ub_elf_parse(rt, "t", orig, len, &e) == 0) {
			/* The .bss lddw: push its offset past the section. */
			size_t rel = sec_index(&e, ".relxdp"), bss = sym_index(rt, &e, ".bss");
			size_t roff = (size_t)(e.secs[rel].data - orig);
			size_t xoff = (size_t)(e.secs[sec_index(&e, "xdp")].data - orig);
			bool done = false;

			for (size_t i = 0; i < e.secs[rel].size / 16 && !done; i++) {
				uint64_t at, info;
				int32_t big = 4096;

				memcpy(&at, orig + roff + 16 * i, 8);
				memcpy(&info, orig + roff + 16 * i + 8, 8);
				if ((info >> 32) != bss)
					continue;
				memcpy(buf, orig, len);
				memcpy(buf + xoff + at + 4, &big, 4);
				obj = userbpf_obj__open_mem(rt, buf, len, NULL);
				TL_CHECK("global data offset past its section refused",
					 obj && userbpf_obj__load(obj) == -EINVAL &&
					 strstr(tl_last_log, "outside section .bss") &&
					 strstr(tl_last_log, "prog 'use_globals'"));
				userbpf_obj__close(obj);
				done = true;
			}
			if (!done)
				tl_fail("global data offset past its section refused",
					"no .bss relocation found");
			ub_elf_free(rt, &e);
		}
		for (int k = 0; k < 2000; k++) {
			memcpy(buf, orig, len);
			for (int f = 0; f < 1 + k % 4; f++) {
				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
				buf[seed % len] ^= (uint8_t)(1u << ((seed >> 32) % 8));
			}
			try_object(rt, buf, len);
		}
		tl_ok("2000 mutated global-data objects handled");
		free(orig);
		free(buf);
	}
}

/* Every allocation of open and load fails in turn: each failure is an
 * error, never a crash or a leak (ASan), until the whole load works. */
static void test_alloc_failures(const char *src)
{
	char path[512], name[200];
	uint8_t *buf;
	size_t len = 0;
	long k;
	bool done = false;

	snprintf(name, sizeof(name), "%s: every allocation failure handled", src);
	if (ot_build(src, "v3", path, sizeof(path)) || !(buf = ot_slurp(path, &len))) {
		tl_fail(name, "cannot build");
		return;
	}
	for (k = 1; k < 5000 && !done; k++) {
		struct userbpf_rt *rt = tl_rt_new(k);
		struct userbpf_obj *obj;

		if (!rt)
			continue;
		if (!ub_rt_helper(rt, 1) &&
		    userbpf_rt__set_helper(rt, 1, "bpf_map_lookup_elem", h_lookup)) {
			userbpf_rt__free(rt);
			continue;
		}
		obj = userbpf_obj__open_mem(rt, buf, len, NULL);
		if (obj && userbpf_obj__load(obj) == 0 && tl_alloc_count < k)
			done = true;
		userbpf_obj__close(obj);
		userbpf_rt__free(rt);
	}
	if (done)
		tl_ok(name);
	else
		tl_fail(name, "still failing after %ld allocations", k);
	free(buf);
}

int main(void)
{
	struct userbpf_rt_opts ro = { .sz = sizeof(ro), .log = tl_log };
	struct userbpf_rt *rt;

	if (!ot_have_clang()) {
		tl_skip("object maps", "clang is not installed");
		return 0;
	}
	rt = userbpf_rt__new(&ro);
	if (!rt || !ot_init("objmaps"))
		return 1;
	if (!ub_rt_helper(rt, 1))
		userbpf_rt__set_helper(rt, 1, "bpf_map_lookup_elem", h_lookup);
	userbpf_rt__set_tail_resolver(rt, tail_resolve, rt);
	for (size_t c = 0; c < sizeof(cpus) / sizeof(cpus[0]); c++) {
		if (!ot_cpu_known(cpus[c])) {
			char n[64];

			snprintf(n, sizeof(n), "maps and globals -mcpu=%s", cpus[c]);
			tl_skip(n, OT_CPU_UNKNOWN);
			continue;
		}
		test_btf_maps(rt, cpus[c]);
		test_globals(rt, cpus[c]);
	}
	test_all_kinds(rt);
	test_legacy(rt);
	test_errors(rt);
	test_alloc_failures("tests/object/progs/maps_btf.bpf.c");
	test_alloc_failures("tests/object/progs/globals.bpf.c");
	ot_cleanup();
	userbpf_rt__free(rt);
	return tl_exit();
}
