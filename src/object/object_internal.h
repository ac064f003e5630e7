/* SPDX-License-Identifier: MIT */
/*
 * object_internal.h - the ELF reader and the object model behind
 * userbpf_obj__*.
 *
 * elf.c reads the container (header, sections, symbols, relocations) with a
 * bounds check on every offset; btf.c reads .BTF; object.c turns that into
 * programs, linking .text subprograms through call relocations as libbpf
 * does; obj_maps.c finds the maps (BTF-defined in .maps, legacy in maps,
 * and one array per global data section), creates them at load and
 * rewrites the lddw instructions that refer to them.
 */
#ifndef USERBPF_OBJECT_INTERNAL_H
#define USERBPF_OBJECT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "core/core_internal.h"
#include "maps/map.h"

/* ELF constants we need; our own copy so the reader builds where <elf.h>
 * does not exist (Windows). */
enum {
	UB_EM_BPF = 247,
	UB_SHT_PROGBITS = 1, UB_SHT_SYMTAB = 2, UB_SHT_STRTAB = 3,
	UB_SHT_REL = 9, UB_SHT_NOBITS = 8,
	UB_SHF_EXECINSTR = 0x4,
	UB_STT_NOTYPE = 0, UB_STT_OBJECT = 1, UB_STT_FUNC = 2, UB_STT_SECTION = 3,
	UB_STB_LOCAL = 0, UB_STB_GLOBAL = 1, UB_STB_WEAK = 2,
	UB_R_BPF_NONE = 0, UB_R_BPF_64_64 = 1, UB_R_BPF_64_ABS64 = 2,
	UB_R_BPF_64_ABS32 = 3, UB_R_BPF_64_NODYLD32 = 4, UB_R_BPF_64_32 = 10,
};

struct ub_elf_sec {
	const char *name;	/* points into the file buffer, NUL-terminated */
	uint32_t type;
	uint64_t flags;
	const uint8_t *data;	/* NULL for SHT_NOBITS */
	uint64_t size;
	uint32_t link, info;
	uint64_t entsize;
};

struct ub_elf_sym {
	const char *name;
	uint64_t value, size;
	uint16_t shndx;
	uint8_t type, bind;
};

struct ub_elf_rel {
	uint64_t offset;	/* byte offset in the target section */
	uint32_t sym;
	uint32_t type;
};

struct ub_elf {
	const char *fname;		/* for messages; not owned */
	const uint8_t *buf;		/* not owned */
	size_t size;
	struct ub_elf_sec *secs;	/* owned */
	size_t nsec;
	size_t symtab;			/* section index of .symtab, 0: none */
	size_t nsyms;
};

/*
 * Parses the ELF header and section table of buf (which must outlive e).
 * Checks: 64-bit little-endian relocatable BPF object, every section and
 * name inside the file.  Logs "FILE: reason" and returns -EINVAL on error.
 */
int ub_elf_parse(struct userbpf_rt *rt, const char *fname, const uint8_t *buf,
		 size_t size, struct ub_elf *e);
void ub_elf_free(struct userbpf_rt *rt, struct ub_elf *e);
/* Symbol idx of .symtab; -EINVAL (logged) when out of range or malformed. */
int ub_elf_sym(struct userbpf_rt *rt, const struct ub_elf *e, size_t idx,
	       struct ub_elf_sym *out);
/* Relocation i of a SHT_REL section. */
int ub_elf_rel(struct userbpf_rt *rt, const struct ub_elf *e, size_t sec, size_t i,
	       struct ub_elf_rel *out);

/* ---- BTF (btf.c) ---------------------------------------------------------- */

enum {
	UB_BTF_INT = 1, UB_BTF_PTR = 2, UB_BTF_ARRAY = 3, UB_BTF_STRUCT = 4,
	UB_BTF_UNION = 5, UB_BTF_ENUM = 6, UB_BTF_FWD = 7, UB_BTF_TYPEDEF = 8,
	UB_BTF_VOLATILE = 9, UB_BTF_CONST = 10, UB_BTF_RESTRICT = 11, UB_BTF_FUNC = 12,
	UB_BTF_FUNC_PROTO = 13, UB_BTF_VAR = 14, UB_BTF_DATASEC = 15, UB_BTF_FLOAT = 16,
	UB_BTF_DECL_TAG = 17, UB_BTF_TYPE_TAG = 18, UB_BTF_ENUM64 = 19,
};
enum { UB_BTF_VAR_STATIC = 0 };

struct ub_btf {
	const char *fname;	/* for messages; not owned */
	const uint8_t *types;	/* the type area, inside the file buffer */
	uint32_t types_len;
	const char *strs;	/* the string area (starts and ends with NUL) */
	uint32_t str_len;
	uint32_t *off;		/* owned: off[id] = byte offset of type id */
	uint32_t n;		/* type ids are 1..n-1; 0 is void */
};

/* One type, decoded; `rest` points at the kind's trailing records. */
struct ub_btf_type {
	uint32_t id, kind, vlen, size_type;
	bool kflag;
	const char *name;	/* "" when anonymous */
	const uint8_t *rest;
};

struct ub_btf_member {
	const char *name;
	uint32_t type;
	uint32_t bit_off;
};

/* Parses and checks a .BTF section (data must outlive b).  Logs
 * "FILE: section .BTF: type [ID]: reason" and returns -EINVAL on error. */
int ub_btf_parse(struct userbpf_rt *rt, const char *fname, const uint8_t *data, size_t size,
		 struct ub_btf *b);
void ub_btf_free(struct userbpf_rt *rt, struct ub_btf *b);
/* False (and t zeroed, kind 0) for void or an id past the last type. */
bool ub_btf_type(const struct ub_btf *b, uint32_t id, struct ub_btf_type *t);
const char *ub_btf_str(const struct ub_btf *b, uint32_t off);
/* Follows typedef/const/volatile/restrict/type_tag; 0 on a cycle. */
uint32_t ub_btf_skip_mods(const struct ub_btf *b, uint32_t id);
/* The size of a type, as libbpf's btf__resolve_size. */
int ub_btf_resolve_size(const struct ub_btf *b, uint32_t id, uint64_t *size);
/* Accessors; i must be below t->vlen, t of the matching kind. */
void ub_btf_member(const struct ub_btf_type *t, uint32_t i, const struct ub_btf *b,
		   struct ub_btf_member *m);
void ub_btf_array(const struct ub_btf_type *t, uint32_t *elem, uint32_t *nelems);
void ub_btf_secinfo(const struct ub_btf_type *t, uint32_t i, uint32_t *type, uint32_t *off,
		    uint32_t *size);
uint64_t ub_btf_enum_value(const struct ub_btf_type *t, uint32_t i);
uint32_t ub_btf_var_linkage(const struct ub_btf_type *t);
/* The first type of that kind and name, or 0. */
uint32_t ub_btf_find(const struct ub_btf *b, uint32_t kind, const char *name);

/* ---- the object model (object.c, obj_maps.c) ------------------------------ */

struct ub_func {
	size_t sec;
	size_t start, cnt;	/* in instructions */
	const char *name;	/* points into the file copy */
	bool global;
};

struct ub_obj_prog {
	char *name;		/* owned */
	char *sec;		/* owned */
	size_t func;		/* index into obj->funcs */
	struct userbpf_prog *prog; /* owned; NULL before load */
	char *type;		/* owned: a type set before load, or NULL (SEC's) */
	uint32_t flags;		/* load flags */
	bool no_autoload;	/* not loaded by userbpf_obj__load */
};

enum ub_obj_map_kind {
	UB_OMAP_BTF,		/* a variable of .maps */
	UB_OMAP_LEGACY,		/* a struct bpf_map_def in "maps" */
	UB_OMAP_DATA,		/* .data, .data.* */
	UB_OMAP_RODATA,		/* .rodata, .rodata.* */
	UB_OMAP_BSS,		/* .bss, .bss.* */
};

/* One map of the object, as parsed at open and created at load. */
struct ub_obj_map {
	char *name;		/* owned: the full name (libbpf's map->name) */
	char *real_name;	/* owned: the section name of a global data map,
				 * else NULL */
	enum ub_obj_map_kind kind;
	struct ub_map_def def;
	bool has_inner;		/* map-in-map: inner holds the template */
	struct ub_map_def inner;
	uint32_t pinning;	/* LIBBPF_PIN_NONE (0) or _BY_NAME (1) */
	size_t sec;		/* ELF section of the definition or the data */
	uint64_t sec_off, sec_size; /* where the definition lies in it */
	int64_t values_off;	/* byte offset of the `values` member, or -1 */
	uint8_t *init;		/* owned: global data, def.value_size bytes */
	/* Initial values of a prog_array (program index) or map-in-map (map
	 * index), from .rel.maps; -1: empty.  Owned. */
	int32_t *slots;
	uint32_t nslots;
	struct userbpf_map *map; /* a reference owned by the object; NULL
				  * before load */
	bool reused;		/* opened from an existing pin */
};

struct userbpf_obj {
	struct userbpf_rt *rt;
	char *name;		/* owned */
	char *map_pfx;		/* owned: libbpf's object name (basename up to
				 * the first '.'), the prefix of data maps */
	char *pin_root;		/* owned; NULL: no pinning */
	bool pin_all;		/* every map pinned by name, not only BY_NAME ones */
	uint8_t *buf;		/* owned copy of the file */
	size_t size;
	struct ub_elf elf;
	struct ub_btf btf;	/* n == 0 when the object has no usable BTF */
	char *license;		/* owned */
	uint32_t kern_version;
	struct ub_func *funcs;	/* owned */
	size_t nfuncs;
	struct ub_obj_prog *progs; /* owned */
	size_t nprogs;
	struct ub_obj_map *maps; /* owned */
	size_t nmaps;
	struct userbpf_map **map_ptrs; /* owned array (the refs are in maps[]) */
	size_t *rel_of;		/* owned: rel_of[sec] = its REL section, or 0 */
	uint16_t entry_regs;
	bool loaded;
};

/* Parses .BTF, legacy and BTF-defined maps, global data and .rel.maps
 * (at open).  Errors name the section, map or symbol. */
int ub_obj_collect_maps(struct userbpf_obj *obj);
/* Creates (or reuses pinned) maps, fills global data, map-in-map slots;
 * freezes .rodata.  On error every map made so far is released. */
int ub_obj_create_maps(struct userbpf_obj *obj);
/* Fills prog_array slots from .rel.maps once the programs are loaded. */
int ub_obj_init_prog_arrays(struct userbpf_obj *obj);
void ub_obj_release_maps(struct userbpf_obj *obj);
void ub_obj_free_maps(struct userbpf_obj *obj);
/* The section kind of global data: UB_OMAP_DATA/RODATA/BSS, or -1. */
int ub_obj_data_kind(const struct ub_elf_sec *s);
/* The map that a relocation against symbol s refers to.  For a map
 * definition: *value false.  For global data: *value true and *off the
 * byte offset (addend + symbol value).  -ENOENT when s is not in a map or
 * data section; -EINVAL (logged, naming prog, insn and symbol) when it is
 * but no map matches. */
int ub_obj_map_for_sym(struct userbpf_obj *obj, const char *prog, size_t insn,
		       const struct ub_elf_sym *s, int64_t addend, size_t *idx, bool *value,
		       uint32_t *off);
/* For tests: the parsed definitions. */
const struct ub_obj_map *ub_obj_maps(const struct userbpf_obj *obj, size_t *cnt);

/* libbpf's program type name for a SEC name; NULL when unknown. */
const char *ub_sec_prog_type(const char *sec);

#endif
