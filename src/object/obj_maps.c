/* SPDX-License-Identifier: MIT */
/*
 * obj_maps.c - the maps of an object, as libbpf finds and makes them.
 *
 * At open (ub_obj_collect_maps), in libbpf's order:
 *   - legacy maps: each symbol of the "maps" section is a struct
 *     bpf_map_def (type, key_size, value_size, max_entries, map_flags);
 *     a larger definition must be zero past those 20 bytes;
 *   - BTF-defined maps: each variable of the .maps DATASEC is a struct
 *     whose members say type, key/value (sizes or pointed-to types),
 *     max_entries, map_flags, pinning, map_extra, and `values` (a
 *     map-in-map's inner definition, or the initial programs/maps that
 *     .rel.maps fills in);
 *   - global data: .data*, .rodata* and .bss* become one-entry arrays
 *     named as libbpf names them, their bytes kept as the initial value
 *     (writable through userbpf_obj__map_initial_value until load).
 * At load (ub_obj_create_maps) each map is created, or reused from its
 * pin; global data is written and .rodata frozen; map-in-map slots are
 * filled; after the programs load, prog_array slots are
 * (ub_obj_init_prog_arrays).  Errors name the file, section, map and
 * symbol or relocation.
 *
 * Ownership: obj->maps[] owns names, initial data, slots, and one
 * reference to each created map; obj->map_ptrs is a borrowed view of
 * those references, handed to every program (which takes its own).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "object/object_internal.h"

/* Linux refuses array values past KMALLOC_MAX_SIZE (4 MiB) with E2BIG;
 * so do we, before allocating a copy of a hostile .bss size. */
#define UB_DATA_MAX (4u << 20)

enum { PIN_NONE = 0, PIN_BY_NAME = 1 };

static int map_err(struct userbpf_obj *obj, const char *sec, const char *map, int err,
		   const char *fmt, ...) UB_PRINTF(5, 6);

static int map_err(struct userbpf_obj *obj, const char *sec, const char *map, int err,
		   const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (map)
		ub_log(obj->rt, USERBPF_LOG_WARN, "%s: section %s: map '%s': %s", obj->name, sec,
		       map, why);
	else
		ub_log(obj->rt, USERBPF_LOG_WARN, "%s: section %s: %s", obj->name, sec, why);
	return err;
}

static bool has_pfx(const char *s, const char *p)
{
	size_t n = strlen(p);

	return strncmp(s, p, n) == 0 && (s[n] == '\0' || s[n] == '.');
}

int ub_obj_data_kind(const struct ub_elf_sec *s)
{
	if (s->flags & UB_SHF_EXECINSTR)
		return -1;
	if (s->type == UB_SHT_PROGBITS && has_pfx(s->name, ".data"))
		return UB_OMAP_DATA;
	if (s->type == UB_SHT_PROGBITS && has_pfx(s->name, ".rodata"))
		return UB_OMAP_RODATA;
	if (s->type == UB_SHT_NOBITS && has_pfx(s->name, ".bss"))
		return UB_OMAP_BSS;
	return -1;
}

static bool is_map_in_map(uint32_t type)
{
	return type == UB_MAP_ARRAY_OF_MAPS || type == UB_MAP_HASH_OF_MAPS;
}

static void set_def_name(struct ub_map_def *def, const char *name)
{
	size_t n = strlen(name);

	if (n >= sizeof(def->name))
		n = sizeof(def->name) - 1;
	memcpy(def->name, name, n);
	def->name[n] = '\0';
}

static struct ub_obj_map *add_map(struct userbpf_obj *obj, const char *name,
				  enum ub_obj_map_kind kind, size_t sec)
{
	struct ub_obj_map *m = &obj->maps[obj->nmaps];

	memset(m, 0, sizeof(*m));
	m->name = ub_strdup(obj->rt, name);
	if (!m->name)
		return NULL;
	obj->nmaps++;
	m->kind = kind;
	m->sec = sec;
	m->values_off = -1;
	m->def.spin_lock_off = -1;
	m->inner.spin_lock_off = -1;
	set_def_name(&m->def, name);
	return m;
}

/* ---- legacy "maps" -------------------------------------------------------- */

static int collect_legacy(struct userbpf_obj *obj, size_t sec)
{
	const struct ub_elf *e = &obj->elf;
	const struct ub_elf_sec *s = &e->secs[sec];
	size_t nr = 0;
	int err;

	if (!s->data)
		return map_err(obj, s->name, NULL, -EINVAL, "holds no bytes (SHT_NOBITS)");
	for (size_t i = 1; i < e->nsyms; i++) {
		struct ub_elf_sym sym;

		err = ub_elf_sym(obj->rt, e, i, &sym);
		if (err)
			return err;
		if (sym.shndx == sec && sym.type != UB_STT_SECTION)
			nr++;
	}
	if (!nr)
		return 0;
	for (size_t i = 1; i < e->nsyms; i++) {
		struct ub_elf_sym sym;
		struct ub_obj_map *m;
		uint64_t sz;
		uint32_t f[5] = { 0 };

		err = ub_elf_sym(obj->rt, e, i, &sym);
		if (err)
			return err;
		if (sym.shndx != sec || sym.type == UB_STT_SECTION)
			continue;
		/* libbpf assumed equal sizes; the symbol's own size is
		 * better when the compiler gives it. */
		sz = sym.size;
		if (!sz) {
			if (s->size % nr)
				return map_err(obj, s->name, sym.name, -EINVAL,
					       "cannot tell the definition size (%llu bytes, %zu maps)",
					       (unsigned long long)s->size, nr);
			sz = s->size / nr;
		}
		if (sym.bind == UB_STB_LOCAL)
			return map_err(obj, s->name, sym.name, -EOPNOTSUPP,
				       "static legacy maps are not supported (as libbpf)");
		if (sym.value > s->size || sz > s->size - sym.value || sz == 0)
			return map_err(obj, s->name, sym.name, -EINVAL,
				       "definition at offset %llu, %llu bytes, lies outside the section (%llu bytes)",
				       (unsigned long long)sym.value, (unsigned long long)sz,
				       (unsigned long long)s->size);
		for (uint64_t b = 20; b < sz; b++)
			if (s->data[sym.value + b])
				return map_err(obj, s->name, sym.name, -EINVAL,
					       "byte %llu of the definition is not zero: fields past struct bpf_map_def are not supported",
					       (unsigned long long)b);
		memcpy(f, s->data + sym.value, sz < 20 ? (size_t)sz : 20);
		m = add_map(obj, sym.name, UB_OMAP_LEGACY, sec);
		if (!m)
			return -ENOMEM;
		m->sec_off = sym.value;
		m->sec_size = sz;
		m->def.type = f[0];
		m->def.key_size = f[1];
		m->def.value_size = f[2];
		m->def.max_entries = f[3];
		m->def.map_flags = f[4];
	}
	return 0;
}

/* ---- BTF-defined maps ------------------------------------------------------ */

/* __uint(name, N): a pointer to an array of N elements. */
static int field_int(struct userbpf_obj *obj, const char *map, const struct ub_btf_member *mb,
		     uint32_t *val)
{
	struct ub_btf_type t, a;
	uint32_t elem;

	if (!ub_btf_type(&obj->btf, ub_btf_skip_mods(&obj->btf, mb->type), &t) ||
	    t.kind != UB_BTF_PTR)
		return map_err(obj, ".maps", map, -EINVAL,
			       "attribute '%s' (type [%u]) is not __uint(): not a pointer",
			       mb->name, mb->type);
	if (!ub_btf_type(&obj->btf, t.size_type, &a) || a.kind != UB_BTF_ARRAY)
		return map_err(obj, ".maps", map, -EINVAL,
			       "attribute '%s': type [%u] is not __uint(): not a pointer to an array",
			       mb->name, t.size_type);
	ub_btf_array(&a, &elem, val);
	return 0;
}

/* __ulong(name, N): an enum with one value; __uint() also works. */
static int field_long(struct userbpf_obj *obj, const char *map, const struct ub_btf_member *mb,
		      uint64_t *val)
{
	struct ub_btf_type t;
	uint32_t v32;
	int err;

	if (!ub_btf_type(&obj->btf, ub_btf_skip_mods(&obj->btf, mb->type), &t))
		return map_err(obj, ".maps", map, -EINVAL, "attribute '%s': type [%u] is void",
			       mb->name, mb->type);
	if (t.kind == UB_BTF_PTR) {
		err = field_int(obj, map, mb, &v32);
		*val = v32;
		return err;
	}
	if ((t.kind != UB_BTF_ENUM && t.kind != UB_BTF_ENUM64) || t.vlen != 1)
		return map_err(obj, ".maps", map, -EINVAL,
			       "attribute '%s' (type [%u]) is neither __uint() nor __ulong()",
			       mb->name, t.id);
	*val = ub_btf_enum_value(&t, 0);
	return 0;
}

/* key/value: a pointer to the type; *size from it. */
static int field_type(struct userbpf_obj *obj, const char *map, const struct ub_btf_member *mb,
		      uint32_t *type_id, uint32_t *size)
{
	struct ub_btf_type t;
	uint64_t sz = 0;
	int err;

	if (!ub_btf_type(&obj->btf, ub_btf_skip_mods(&obj->btf, mb->type), &t) ||
	    t.kind != UB_BTF_PTR)
		return map_err(obj, ".maps", map, -EINVAL,
			       "%s spec (type [%u]) is not __type(): not a pointer", mb->name,
			       mb->type);
	err = ub_btf_resolve_size(&obj->btf, t.size_type, &sz);
	if (err)
		return map_err(obj, ".maps", map, -EINVAL,
			       "cannot tell the %s size from type [%u]", mb->name, t.size_type);
	*type_id = t.size_type;
	*size = (uint32_t)sz;
	return 0;
}

/* The offset of the struct `what` member (bpf_spin_lock, bpf_timer) of
 * the value, as the kernel finds it (top-level members, one at most,
 * aligned to align bytes); -1 when there is none. */
static int find_field(struct userbpf_obj *obj, const char *map, uint32_t value_id,
		      const char *what, unsigned align, int32_t *off)
{
	struct ub_btf_type t, mt;

	*off = -1;
	if (!ub_btf_type(&obj->btf, ub_btf_skip_mods(&obj->btf, value_id), &t) ||
	    (t.kind != UB_BTF_STRUCT && t.kind != UB_BTF_UNION))
		return 0;
	for (uint32_t i = 0; i < t.vlen; i++) {
		struct ub_btf_member mb;

		ub_btf_member(&t, i, &obj->btf, &mb);
		if (!ub_btf_type(&obj->btf, ub_btf_skip_mods(&obj->btf, mb.type), &mt) ||
		    mt.kind != UB_BTF_STRUCT || strcmp(mt.name, what))
			continue;
		if (*off >= 0)
			return map_err(obj, ".maps", map, -EINVAL,
				       "the value (type [%u]) holds more than one %s", t.id, what);
		if (mb.bit_off % (align * 8))
			return map_err(obj, ".maps", map, -EINVAL,
				       "%s '%s' at bit %u is not %u-byte aligned", what, mb.name,
				       mb.bit_off, align);
		*off = (int32_t)(mb.bit_off / 8);
	}
	return 0;
}

/* The value's bpf_spin_lock and bpf_timer, into def. */
static int find_fields(struct userbpf_obj *obj, const char *map, uint32_t value_id,
		       struct ub_map_def *def)
{
	int32_t toff;
	int err = find_field(obj, map, value_id, "bpf_spin_lock", 4, &def->spin_lock_off);

	if (!err)
		err = find_field(obj, map, value_id, "bpf_timer", 8, &toff);
	if (!err)
		def->timer_off1 = toff >= 0 ? (uint32_t)toff + 1 : 0;
	return err;
}

/* Parses the definition struct def_id of map `name` into def (libbpf's
 * parse_btf_map_def, strict).  m is NULL for an inner definition. */
static int parse_btf_def(struct userbpf_obj *obj, const char *name, uint32_t def_id,
			 struct ub_obj_map *m, struct ub_map_def *def)
{
	struct ub_btf *b = &obj->btf;
	struct ub_btf_type st;
	bool key_set = false, value_set = false;
	int err;

	ub_btf_type(b, def_id, &st);
	for (uint32_t i = 0; i < st.vlen; i++) {
		struct ub_btf_member mb;
		uint32_t v = 0, tid = 0;

		ub_btf_member(&st, i, b, &mb);
		if (!mb.name[0])
			return map_err(obj, ".maps", name, -EINVAL,
				       "member %u of the definition (type [%u]) has no name", i,
				       def_id);
		if (!strcmp(mb.name, "type")) {
			err = field_int(obj, name, &mb, &def->type);
		} else if (!strcmp(mb.name, "max_entries")) {
			err = field_int(obj, name, &mb, &def->max_entries);
		} else if (!strcmp(mb.name, "map_flags")) {
			err = field_int(obj, name, &mb, &def->map_flags);
		} else if (!strcmp(mb.name, "numa_node")) {
			err = field_int(obj, name, &mb, &v);
		} else if (!strcmp(mb.name, "key_size") || !strcmp(mb.name, "value_size")) {
			bool key = mb.name[0] == 'k';
			uint32_t *sz = key ? &def->key_size : &def->value_size;

			err = field_int(obj, name, &mb, &v);
			if (!err && (key ? key_set : value_set) && *sz != v)
				return map_err(obj, ".maps", name, -EINVAL,
					       "conflicting %s size %u != %u", key ? "key" : "value",
					       *sz, v);
			*sz = v;
			if (key)
				key_set = true;
			else
				value_set = true;
		} else if (!strcmp(mb.name, "key") || !strcmp(mb.name, "value")) {
			bool key = mb.name[0] == 'k';
			uint32_t *sz = key ? &def->key_size : &def->value_size;

			err = field_type(obj, name, &mb, &tid, &v);
			if (!err && (key ? key_set : value_set) && *sz != v)
				return map_err(obj, ".maps", name, -EINVAL,
					       "conflicting %s size %u != %u", key ? "key" : "value",
					       *sz, v);
			if (err)
				return err;
			*sz = v;
			if (key)
				key_set = true;
			else
				value_set = true;
			if (!key)
				err = find_fields(obj, name, tid, def);
		} else if (!strcmp(mb.name, "values")) {
			struct ub_btf_type a, p;
			uint32_t elem, nelems;

			if (!m)
				return map_err(obj, ".maps", name, -EOPNOTSUPP,
					       "inner maps of inner maps are not supported");
			if (i != st.vlen - 1)
				return map_err(obj, ".maps", name, -EINVAL,
					       "'values' must be the last member");
			if (!is_map_in_map(def->type) && def->type != UB_MAP_PROG_ARRAY)
				return map_err(obj, ".maps", name, -EOPNOTSUPP,
					       "'values' needs a map-in-map or a prog_array (type is %u)",
					       def->type);
			if (value_set && def->value_size != 4)
				return map_err(obj, ".maps", name, -EINVAL,
					       "value_size %u: a %s holds 4-byte ids", def->value_size,
					       def->type == UB_MAP_PROG_ARRAY ? "prog_array" : "map-in-map");
			def->value_size = 4;
			value_set = true;
			if (!ub_btf_type(b, mb.type, &a) || a.kind != UB_BTF_ARRAY)
				return map_err(obj, ".maps", name, -EINVAL,
					       "'values' type [%u] must be a zero-sized array", mb.type);
			ub_btf_array(&a, &elem, &nelems);
			if (nelems)
				return map_err(obj, ".maps", name, -EINVAL,
					       "'values' type [%u] must be a zero-sized array", mb.type);
			if (!ub_btf_type(b, ub_btf_skip_mods(b, elem), &p) || p.kind != UB_BTF_PTR)
				return map_err(obj, ".maps", name, -EINVAL,
					       "'values' elements (type [%u]) must be pointers", elem);
			ub_btf_type(b, ub_btf_skip_mods(b, p.size_type), &p);
			m->values_off = mb.bit_off / 8;
			if (def->type == UB_MAP_PROG_ARRAY) {
				if (p.kind != UB_BTF_FUNC_PROTO)
					return map_err(obj, ".maps", name, -EINVAL,
						       "prog_array 'values' must point to functions (type [%u] is kind %u)",
						       p.id, p.kind);
				err = 0;
			} else {
				char inner_name[128];

				if (p.kind != UB_BTF_STRUCT)
					return map_err(obj, ".maps", name, -EINVAL,
						       "inner map definition (type [%u]) is not a struct",
						       p.id);
				snprintf(inner_name, sizeof(inner_name), "%s.inner", name);
				set_def_name(&m->inner, inner_name);
				err = parse_btf_def(obj, inner_name, p.id, NULL, &m->inner);
				m->has_inner = !err;
			}
		} else if (!strcmp(mb.name, "pinning")) {
			if (!m)
				return map_err(obj, ".maps", name, -EINVAL,
					       "an inner map definition cannot be pinned");
			err = field_int(obj, name, &mb, &v);
			if (!err && v != PIN_NONE && v != PIN_BY_NAME)
				return map_err(obj, ".maps", name, -EINVAL,
					       "pinning %u: only LIBBPF_PIN_NONE (0) and LIBBPF_PIN_BY_NAME (1) exist",
					       v);
			m->pinning = v;
		} else if (!strcmp(mb.name, "map_extra")) {
			err = field_long(obj, name, &mb, &def->extra);
		} else {
			return map_err(obj, ".maps", name, -EOPNOTSUPP, "unknown attribute '%s'",
				       mb.name);
		}
		if (err)
			return err;
	}
	return 0;
}

/* The symbol named `name` in section sec (the offset of a .maps
 * variable: clang leaves DATASEC offsets to the linker, as libbpf knows). */
static int find_sym(struct userbpf_obj *obj, size_t sec, const char *name, struct ub_elf_sym *out)
{
	const struct ub_elf *e = &obj->elf;

	for (size_t i = 1; i < e->nsyms; i++) {
		int err = ub_elf_sym(obj->rt, e, i, out);

		if (err)
			return err;
		if (out->shndx == sec && out->type != UB_STT_SECTION && !strcmp(out->name, name))
			return 0;
	}
	return -ENOENT;
}

static int collect_btf_maps(struct userbpf_obj *obj, size_t sec)
{
	struct ub_btf *b = &obj->btf;
	const struct ub_elf_sec *s = &obj->elf.secs[sec];
	struct ub_btf_type ds;
	int err;

	if (!b->n)
		return map_err(obj, ".maps", NULL, -EINVAL,
			       "BTF-defined maps need BTF, and the object has no usable .BTF");
	if (!s->data)
		return map_err(obj, ".maps", NULL, -EINVAL, "holds no bytes (SHT_NOBITS)");
	if (!ub_btf_type(b, ub_btf_find(b, UB_BTF_DATASEC, ".maps"), &ds))
		return map_err(obj, ".maps", NULL, -EINVAL, "no DATASEC '.maps' in .BTF");
	for (uint32_t i = 0; i < ds.vlen; i++) {
		struct ub_btf_type var, def;
		struct ub_elf_sym sym;
		struct ub_obj_map *m;
		uint32_t vtype, voff, vsize, link;

		ub_btf_secinfo(&ds, i, &vtype, &voff, &vsize);
		if (!ub_btf_type(b, vtype, &var) || var.kind != UB_BTF_VAR)
			return map_err(obj, ".maps", NULL, -EINVAL,
				       "entry %u of DATASEC [%u]: type [%u] is not a variable", i,
				       ds.id, vtype);
		if (!var.name[0])
			return map_err(obj, ".maps", NULL, -EINVAL,
				       "variable type [%u] has no name", vtype);
		link = ub_btf_var_linkage(&var);
		if (link != 0 && link != 1)
			return map_err(obj, ".maps", var.name, -EOPNOTSUPP,
				       "linkage %u: only static and global maps are supported", link);
		if (!ub_btf_type(b, ub_btf_skip_mods(b, var.size_type), &def) ||
		    def.kind != UB_BTF_STRUCT)
			return map_err(obj, ".maps", var.name, -EINVAL,
				       "definition type [%u] is not a struct", var.size_type);
		err = find_sym(obj, sec, var.name, &sym);
		if (err == -ENOENT)
			return map_err(obj, ".maps", var.name, -EINVAL,
				       "no symbol of that name in the section");
		if (err)
			return err;
		if (sym.value > s->size || def.size_type > s->size - sym.value)
			return map_err(obj, ".maps", var.name, -EINVAL,
				       "definition at offset %llu (%u bytes) lies outside the section (%llu bytes)",
				       (unsigned long long)sym.value, def.size_type,
				       (unsigned long long)s->size);
		m = add_map(obj, var.name, UB_OMAP_BTF, sec);
		if (!m)
			return -ENOMEM;
		m->sec_off = sym.value;
		m->sec_size = sym.size > def.size_type ? sym.size : def.size_type;
		if (m->sec_size > s->size - sym.value)
			m->sec_size = s->size - sym.value;
		err = parse_btf_def(obj, var.name, def.id, m, &m->def);
		if (err)
			return err;
	}
	return 0;
}

/* ---- global data ---------------------------------------------------------- */

/* libbpf's internal_map_name(): up to 8 characters of the object name,
 * then the section name (at least 7 characters reserved for it); a
 * section with two dots (".rodata.str1.1", ".data.custom") keeps its own
 * name whole, up to 15 characters.  Characters the kernel refuses
 * become '_'. */
static void data_map_name(const char *pfx, const char *real, char out[UB_MAP_NAME_LEN])
{
	size_t sfx = strlen(real) > 7 ? strlen(real) : 7, plen;

	if (sfx >= UB_MAP_NAME_LEN)
		sfx = UB_MAP_NAME_LEN - 1;
	if (real[0] && strchr(real + 1, '.'))
		plen = 0;
	else
		plen = strlen(pfx) < UB_MAP_NAME_LEN - sfx - 1 ? strlen(pfx)
							       : UB_MAP_NAME_LEN - sfx - 1;
	snprintf(out, UB_MAP_NAME_LEN, "%.*s%.*s", (int)plen, pfx, (int)sfx, real);
	for (char *p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'))
			*p = '_';
}

/* libbpf's map_is_mmapable(): a data map is mmapable when its DATASEC
 * holds a variable that is not static. */
static bool data_mmapable(const struct userbpf_obj *obj, const char *sec)
{
	struct ub_btf_type ds, var;

	if (!obj->btf.n || !ub_btf_type(&obj->btf, ub_btf_find(&obj->btf, UB_BTF_DATASEC, sec), &ds))
		return false;
	for (uint32_t i = 0; i < ds.vlen; i++) {
		uint32_t t, off, sz;

		ub_btf_secinfo(&ds, i, &t, &off, &sz);
		if (ub_btf_type(&obj->btf, t, &var) && var.kind == UB_BTF_VAR &&
		    ub_btf_var_linkage(&var) != UB_BTF_VAR_STATIC)
			return true;
	}
	return false;
}

static int collect_data(struct userbpf_obj *obj, size_t sec)
{
	const struct ub_elf_sec *s = &obj->elf.secs[sec];
	int kind = ub_obj_data_kind(s);
	char name[UB_MAP_NAME_LEN];
	struct ub_obj_map *m;

	if (kind < 0 || s->size == 0)
		return 0;
	if (s->size > UB_DATA_MAX)
		return map_err(obj, s->name, NULL, -E2BIG,
			       "%llu bytes of global data; a map value holds at most %u",
			       (unsigned long long)s->size, UB_DATA_MAX);
	data_map_name(obj->map_pfx, s->name, name);
	m = add_map(obj, name, (enum ub_obj_map_kind)kind, sec);
	if (!m)
		return -ENOMEM;
	m->real_name = ub_strdup(obj->rt, s->name);
	m->init = ub_calloc(obj->rt, 1, (size_t)s->size);
	if (!m->real_name || !m->init)
		return -ENOMEM;
	if (kind != UB_OMAP_BSS)
		memcpy(m->init, s->data, (size_t)s->size);
	m->sec_size = s->size;
	m->def.type = UB_MAP_ARRAY;
	m->def.key_size = 4;
	m->def.value_size = (uint32_t)s->size;
	m->def.max_entries = 1;
	m->def.map_flags = kind == UB_OMAP_RODATA ? UB_F_RDONLY_PROG : 0;
	if (data_mmapable(obj, s->name))
		m->def.map_flags |= UB_F_MMAPABLE;
	return 0;
}

/* ---- .rel.maps: initial values of prog_array and map-in-map -------------- */

static int collect_map_relos(struct userbpf_obj *obj, size_t r)
{
	const struct ub_elf *e = &obj->elf;
	const struct ub_elf_sec *rs = &e->secs[r];
	size_t msec = rs->info;
	int err;

	for (size_t i = 0; i < rs->size / 16; i++) {
		struct ub_elf_rel rel;
		struct ub_elf_sym sym;
		struct ub_obj_map *m = NULL;
		uint64_t moff;
		uint32_t slot;
		int32_t target = -1;

		err = ub_elf_rel(obj->rt, e, r, i, &rel);
		if (!err)
			err = ub_elf_sym(obj->rt, e, rel.sym, &sym);
		if (err)
			return err;
		for (size_t j = 0; j < obj->nmaps; j++) {
			struct ub_obj_map *c = &obj->maps[j];

			if (c->kind == UB_OMAP_BTF && c->sec == msec && rel.offset >= c->sec_off &&
			    rel.offset - c->sec_off < c->sec_size && c->sec_size >= 8 &&
			    rel.offset - c->sec_off <= c->sec_size - 8)
				m = c;
		}
		if (!m)
			return map_err(obj, rs->name, NULL, -EINVAL,
				       "relocation %zu (against '%s') at offset %llu lies in no map definition",
				       i, sym.name, (unsigned long long)rel.offset);
		if (!is_map_in_map(m->def.type) && m->def.type != UB_MAP_PROG_ARRAY)
			return map_err(obj, rs->name, m->name, -EINVAL,
				       "relocation %zu against '%s': initial values need a prog_array or a map-in-map",
				       i, sym.name);
		if (m->def.type == UB_MAP_HASH_OF_MAPS && m->def.key_size != 4)
			return map_err(obj, rs->name, m->name, -EINVAL,
				       "initial values of a hash of maps need 4-byte keys (key_size %u)",
				       m->def.key_size);
		moff = rel.offset - m->sec_off;
		if (m->values_off < 0 || moff < (uint64_t)m->values_off ||
		    (moff - (uint64_t)m->values_off) % 8)
			return map_err(obj, rs->name, m->name, -EINVAL,
				       "relocation %zu against '%s' at offset %llu is not a slot of 'values'",
				       i, sym.name, (unsigned long long)rel.offset);
		slot = (uint32_t)((moff - (uint64_t)m->values_off) / 8);
		if (slot >= m->def.max_entries)
			return map_err(obj, rs->name, m->name, -E2BIG,
				       "initial value %u ('%s') past max_entries %u", slot, sym.name,
				       m->def.max_entries);
		if (m->def.type == UB_MAP_PROG_ARRAY) {
			for (size_t p = 0; p < obj->nprogs; p++) {
				const struct ub_func *f = &obj->funcs[obj->progs[p].func];

				if (sym.type == UB_STT_FUNC && f->sec == sym.shndx &&
				    (uint64_t)f->start * 8 == sym.value)
					target = (int32_t)p;
			}
		} else {
			for (size_t j = 0; j < obj->nmaps; j++) {
				const struct ub_obj_map *c = &obj->maps[j];

				if (c->kind == UB_OMAP_BTF && c->sec == sym.shndx &&
				    c->sec_off == sym.value && c != m)
					target = (int32_t)j;
			}
		}
		if (target < 0)
			return map_err(obj, rs->name, m->name, -EINVAL,
				       "initial value %u: '%s' is not a %s of this object", slot,
				       sym.name, m->def.type == UB_MAP_PROG_ARRAY ? "program" : "map");
		if (!m->slots) {
			m->nslots = (uint32_t)((m->sec_size - (uint64_t)m->values_off) / 8);
			m->slots = ub_malloc(obj->rt, (m->nslots ? m->nslots : 1) * sizeof(*m->slots));
			if (!m->slots)
				return -ENOMEM;
			for (uint32_t k = 0; k < m->nslots; k++)
				m->slots[k] = -1;
		}
		m->slots[slot] = target;
	}
	return 0;
}

int ub_obj_collect_maps(struct userbpf_obj *obj)
{
	const struct ub_elf *e = &obj->elf;
	size_t cap = 0, legacy = 0, btfmaps = 0;
	int err;

	for (size_t i = 1; i < e->nsec; i++) {
		const struct ub_elf_sec *s = &e->secs[i];

		if (!strcmp(s->name, "maps"))
			legacy = i;
		else if (!strcmp(s->name, ".maps"))
			btfmaps = i;
		else if (ub_obj_data_kind(s) >= 0)
			cap++;
	}
	for (size_t i = 1; i < e->nsec; i++) {
		const struct ub_elf_sec *s = &e->secs[i];

		if (strcmp(s->name, ".BTF") || s->type != UB_SHT_PROGBITS || obj->btf.n)
			continue;
		err = ub_btf_parse(obj->rt, obj->name, s->data, (size_t)s->size, &obj->btf);
		/* BTF is needed for .maps; without them libbpf too goes on
		 * without BTF. */
		if (err && (btfmaps || err == -ENOMEM))
			return err;
		if (err)
			ub_log(obj->rt, USERBPF_LOG_INFO, "%s: .BTF ignored: no map needs it",
			       obj->name);
	}
	if (legacy)
		cap += e->nsyms;
	if (btfmaps) {
		struct ub_btf_type ds;

		if (obj->btf.n && ub_btf_type(&obj->btf, ub_btf_find(&obj->btf, UB_BTF_DATASEC, ".maps"), &ds))
			cap += ds.vlen;
	}
	obj->maps = ub_calloc(obj->rt, cap ? cap : 1, sizeof(*obj->maps));
	if (!obj->maps)
		return -ENOMEM;
	if (legacy && (err = collect_legacy(obj, legacy)))
		return err;
	if (btfmaps && (err = collect_btf_maps(obj, btfmaps)))
		return err;
	for (size_t i = 1; i < e->nsec; i++)
		if ((err = collect_data(obj, i)))
			return err;
	for (size_t r = 1; r < e->nsec; r++) {
		const struct ub_elf_sec *rs = &e->secs[r];

		if (rs->type == UB_SHT_REL && btfmaps && rs->info == btfmaps &&
		    (err = collect_map_relos(obj, r)))
			return err;
	}
	return 0;
}

const struct ub_obj_map *ub_obj_maps(const struct userbpf_obj *obj, size_t *cnt)
{
	*cnt = obj ? obj->nmaps : 0;
	return obj ? obj->maps : NULL;
}

/* ---- relocations in programs ---------------------------------------------- */

int ub_obj_map_for_sym(struct userbpf_obj *obj, const char *prog, size_t insn,
		       const struct ub_elf_sym *s, int64_t addend, size_t *idx, bool *value,
		       uint32_t *off)
{
	const struct ub_elf *e = &obj->elf;
	const struct ub_elf_sec *sec;
	int kind;

	if (s->shndx == 0 || s->shndx >= e->nsec)
		return -ENOENT;
	sec = &e->secs[s->shndx];
	if (!strcmp(sec->name, ".maps") || !strcmp(sec->name, "maps")) {
		uint64_t at = s->value + (s->type == UB_STT_SECTION ? (uint64_t)addend : 0);

		for (size_t i = 0; i < obj->nmaps; i++) {
			if ((obj->maps[i].kind == UB_OMAP_BTF || obj->maps[i].kind == UB_OMAP_LEGACY) &&
			    obj->maps[i].sec == s->shndx && obj->maps[i].sec_off == at) {
				*idx = i;
				*value = false;
				*off = 0;
				return 0;
			}
		}
		ub_log(obj->rt, USERBPF_LOG_WARN,
		       "%s: prog '%s': insn %zu: relocation against '%s': no map definition at offset %llu of section %s",
		       obj->name, prog, insn, s->name[0] ? s->name : sec->name,
		       (unsigned long long)at, sec->name);
		return -EINVAL;
	}
	kind = ub_obj_data_kind(sec);
	if (kind < 0)
		return -ENOENT;
	for (size_t i = 0; i < obj->nmaps; i++) {
		const struct ub_obj_map *m = &obj->maps[i];
		int64_t at;

		if ((int)m->kind != kind || m->sec != s->shndx)
			continue;
		at = addend + (int64_t)s->value;
		if (at < 0 || (uint64_t)at >= m->def.value_size || s->value > UINT32_MAX) {
			ub_log(obj->rt, USERBPF_LOG_WARN,
			       "%s: prog '%s': insn %zu: relocation against '%s': offset %lld lies outside section %s (%u bytes)",
			       obj->name, prog, insn, s->name[0] ? s->name : sec->name,
			       (long long)at, sec->name, m->def.value_size);
			return -EINVAL;
		}
		*idx = i;
		*value = true;
		*off = (uint32_t)at;
		return 0;
	}
	ub_log(obj->rt, USERBPF_LOG_WARN,
	       "%s: prog '%s': insn %zu: relocation against '%s' in empty section %s", obj->name,
	       prog, insn, s->name[0] ? s->name : sec->name, sec->name);
	return -EINVAL;
}

/* ---- creation at load ----------------------------------------------------- */

static char *pin_path(struct userbpf_obj *obj, const struct ub_obj_map *m)
{
	size_t n = strlen(obj->pin_root) + strlen(m->name) + 2;
	char *p = ub_malloc(obj->rt, n);

	if (p)
		snprintf(p, n, "%s/%s", obj->pin_root, m->name);
	return p;
}

static bool file_exists(const char *path)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		return errno != ENOENT;
	fclose(f);
	return true;
}

/* libbpf's map_is_reuse_compat(). */
static bool reuse_compat(const struct ub_map_def *a, const struct ub_map_def *b)
{
	/* A perf event array of 0 entries has one per CPU. */
	uint32_t want = b->type == UB_MAP_PERF_EVENT_ARRAY && !b->max_entries ? ub_os_ncpus()
									     : b->max_entries;

	return a->type == b->type && a->key_size == b->key_size &&
	       a->value_size == b->value_size && a->max_entries == want &&
	       a->map_flags == b->map_flags && a->extra == b->extra;
}

static int create_one(struct userbpf_obj *obj, struct ub_obj_map *m)
{
	struct userbpf_rt *rt = obj->rt;
	struct userbpf_map *tmpl = NULL;
	char *path = NULL;
	int err = 0;

	bool by_name = m->pinning == PIN_BY_NAME || obj->pin_all;

	if (m->pinning == PIN_BY_NAME && !obj->pin_root)
		ub_log(rt, USERBPF_LOG_INFO,
		       "%s: map '%s' asks to be pinned by name, but no pin_root_path was given: not pinned",
		       obj->name, m->name);
	if (by_name && obj->pin_root) {
		path = pin_path(obj, m);
		if (!path)
			return -ENOMEM;
		if (file_exists(path)) {
			err = ub_map_open(rt, path, &m->map);
			if (err)
				goto out;
			if (!reuse_compat(&m->map->def, &m->def)) {
				ub_log(rt, USERBPF_LOG_WARN,
				       "%s: map '%s': cannot reuse the map pinned at %s: its definition differs (type %u/%u, key %u/%u, value %u/%u, entries %u/%u, flags 0x%x/0x%x)",
				       obj->name, m->name, path, m->map->def.type, m->def.type,
				       m->map->def.key_size, m->def.key_size, m->map->def.value_size,
				       m->def.value_size, m->map->def.max_entries,
				       m->def.max_entries, m->map->def.map_flags, m->def.map_flags);
				ub_map_put(m->map);
				m->map = NULL;
				err = -EINVAL;
				goto out;
			}
			m->reused = true;
			goto out;
		}
	}
	if (m->has_inner) {
		err = ub_map_create(rt, &m->inner, NULL, &tmpl);
		if (err) {
			ub_log(rt, USERBPF_LOG_WARN, "%s: map '%s': cannot create its inner map: %s",
			       obj->name, m->name, userbpf_strerror(err));
			goto out;
		}
	}
	err = ub_map_create(rt, &m->def, tmpl, &m->map);
	ub_map_put(tmpl);
	if (err) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: map '%s': cannot create: %s", obj->name, m->name,
		       userbpf_strerror(err));
		goto out;
	}
	if (m->init) {
		uint32_t zero = 0;

		err = ub_map_update_user(m->map, &zero, m->init, 0);
		if (err) {
			ub_log(rt, USERBPF_LOG_WARN, "%s: map '%s': cannot set its initial value: %s",
			       obj->name, m->name, userbpf_strerror(err));
			goto out;
		}
		if (m->kind == UB_OMAP_RODATA)
			userbpf_map__freeze(m->map);
	}
	if (path)
		err = ub_map_pin(m->map, path);
out:
	ub_free(rt, path);
	return err;
}

int ub_obj_create_maps(struct userbpf_obj *obj)
{
	int err = 0;

	if (!obj->nmaps)
		return 0;
	obj->map_ptrs = ub_calloc(obj->rt, obj->nmaps, sizeof(*obj->map_ptrs));
	if (!obj->map_ptrs)
		return -ENOMEM;
	for (size_t i = 0; i < obj->nmaps && !err; i++) {
		err = create_one(obj, &obj->maps[i]);
		obj->map_ptrs[i] = obj->maps[i].map;
	}
	/* Map-in-map slots, once every map exists (the outer one may come
	 * first in the file). */
	for (size_t i = 0; i < obj->nmaps && !err; i++) {
		struct ub_obj_map *m = &obj->maps[i];

		if (m->reused || !is_map_in_map(m->def.type))
			continue;
		for (uint32_t k = 0; k < m->nslots && !err; k++) {
			uint32_t id;

			if (m->slots[k] < 0)
				continue;
			id = obj->maps[m->slots[k]].map->id;
			err = ub_map_update_user(m->map, &k, &id, 0);
			if (err)
				ub_log(obj->rt, USERBPF_LOG_WARN,
				       "%s: map '%s': cannot set slot %u to map '%s': %s", obj->name,
				       m->name, k, obj->maps[m->slots[k]].name, userbpf_strerror(err));
		}
	}
	if (err)
		ub_obj_release_maps(obj);
	return err;
}

int ub_obj_init_prog_arrays(struct userbpf_obj *obj)
{
	for (size_t i = 0; i < obj->nmaps; i++) {
		struct ub_obj_map *m = &obj->maps[i];

		if (m->def.type != UB_MAP_PROG_ARRAY)
			continue;
		for (uint32_t k = 0; k < m->nslots; k++) {
			struct ub_obj_prog *p;
			uint32_t id;
			int err;

			if (m->slots[k] < 0)
				continue;
			p = &obj->progs[m->slots[k]];
			id = userbpf_prog__id(p->prog);
			err = ub_map_update_user(m->map, &k, &id, 0);
			if (err) {
				ub_log(obj->rt, USERBPF_LOG_WARN,
				       "%s: map '%s': cannot set slot %u to prog '%s': %s", obj->name,
				       m->name, k, p->name, userbpf_strerror(err));
				return err;
			}
		}
	}
	return 0;
}

void ub_obj_release_maps(struct userbpf_obj *obj)
{
	for (size_t i = 0; i < obj->nmaps; i++) {
		ub_map_put(obj->maps[i].map);
		obj->maps[i].map = NULL;
		obj->maps[i].reused = false;
	}
	ub_free(obj->rt, obj->map_ptrs);
	obj->map_ptrs = NULL;
}

void ub_obj_free_maps(struct userbpf_obj *obj)
{
	ub_obj_release_maps(obj);
	for (size_t i = 0; i < obj->nmaps; i++) {
		ub_free(obj->rt, obj->maps[i].name);
		ub_free(obj->rt, obj->maps[i].real_name);
		ub_free(obj->rt, obj->maps[i].init);
		ub_free(obj->rt, obj->maps[i].slots);
	}
	ub_free(obj->rt, obj->maps);
	obj->maps = NULL;
	obj->nmaps = 0;
	ub_btf_free(obj->rt, &obj->btf);
}
