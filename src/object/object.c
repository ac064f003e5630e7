/* SPDX-License-Identifier: MIT */
/*
 * object.c - BPF object files: programs by SEC name, subprograms linked in,
 * maps and global variables referred to, license and version.
 *
 * A program is a global function in an executable section other than
 * .text (or a whole such section when it has no function symbol).  Its
 * calls - to .text subprograms or to other functions of its section - and
 * its code addresses (lddw of a function, for bpf_loop callbacks) are
 * resolved as libbpf does: each callee function is appended once after the
 * program and the call's imm is rewritten to the new distance.  An lddw
 * against a map becomes src_reg 1 with imm = the map's index in the
 * object; against global data, src_reg 2 with imm = the data map's index
 * and the second imm = the byte offset (obj_maps.c).  Every program is
 * loaded with the object's whole map list, so indexes are object-wide.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exec/exec_internal.h"
#include "object/object_internal.h"

static bool is_code(const struct ub_elf *e, size_t sec)
{
	return sec > 0 && sec < e->nsec && e->secs[sec].type == UB_SHT_PROGBITS &&
	       (e->secs[sec].flags & UB_SHF_EXECINSTR);
}

/* The function that covers instruction idx of section sec, or NULL. */
static const struct ub_func *func_at(const struct userbpf_obj *obj, size_t sec, size_t idx)
{
	for (size_t i = 0; i < obj->nfuncs; i++) {
		const struct ub_func *f = &obj->funcs[i];
		if (f->sec == sec && idx >= f->start && idx < f->start + f->cnt)
			return f;
	}
	return NULL;
}

static int cmp_func(const void *a, const void *b)
{
	const struct ub_func *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Collects function symbols of code sections; a function without a size
 * runs to the next one.  Code sections with no function symbol are one
 * function named after the section. */
static int collect_funcs(struct userbpf_obj *obj)
{
	struct userbpf_rt *rt = obj->rt;
	const struct ub_elf *e = &obj->elf;
	size_t n = 0;
	int err;

	obj->funcs = ub_calloc(rt, e->nsyms + e->nsec, sizeof(*obj->funcs));
	if (!obj->funcs)
		return -ENOMEM;
	for (size_t i = 1; i < e->nsyms; i++) {
		struct ub_elf_sym s;

		err = ub_elf_sym(rt, e, i, &s);
		if (err)
			return err;
		if (s.type != UB_STT_FUNC || !is_code(e, s.shndx))
			continue;
		if (s.value % 8 || s.size % 8 || s.value > e->secs[s.shndx].size ||
		    s.size > e->secs[s.shndx].size - s.value) {
			ub_log(rt, USERBPF_LOG_WARN,
			       "%s: function '%s' (offset %llu, size %llu) does not fit section %s",
			       obj->name, s.name, (unsigned long long)s.value,
			       (unsigned long long)s.size, e->secs[s.shndx].name);
			return -EINVAL;
		}
		obj->funcs[n++] = (struct ub_func){ s.shndx, s.value / 8, s.size / 8, s.name,
						    s.bind != UB_STB_LOCAL };
	}
	for (size_t sec = 1; sec < e->nsec; sec++) {
		bool has = false;

		if (!is_code(e, sec))
			continue;
		if (e->secs[sec].size % 8) {
			ub_log(rt, USERBPF_LOG_WARN,
			       "%s: section %s: size %llu is not a multiple of 8 (one instruction)",
			       obj->name, e->secs[sec].name, (unsigned long long)e->secs[sec].size);
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++)
			has |= obj->funcs[i].sec == sec;
		if (!has && e->secs[sec].size)
			obj->funcs[n++] = (struct ub_func){ sec, 0, e->secs[sec].size / 8,
							    e->secs[sec].name, true };
	}
	qsort(obj->funcs, n, sizeof(*obj->funcs), cmp_func);
	for (size_t i = 0; i < n; i++) {
		struct ub_func *f = &obj->funcs[i];
		size_t end = e->secs[f->sec].size / 8;

		if (i + 1 < n && obj->funcs[i + 1].sec == f->sec)
			end = obj->funcs[i + 1].start;
		if (f->cnt == 0 || f->start + f->cnt > end)
			f->cnt = end > f->start ? end - f->start : 0;
	}
	obj->nfuncs = n;
	return 0;
}

/* Checks every relocation of code sections once, so the linker can trust
 * offsets and symbol indexes. */
static int check_relocs(struct userbpf_obj *obj)
{
	struct userbpf_rt *rt = obj->rt;
	const struct ub_elf *e = &obj->elf;

	obj->rel_of = ub_calloc(rt, e->nsec, sizeof(*obj->rel_of));
	if (!obj->rel_of)
		return -ENOMEM;
	for (size_t r = 1; r < e->nsec; r++) {
		const struct ub_elf_sec *rs = &e->secs[r];

		if (rs->type != UB_SHT_REL || !is_code(e, rs->info))
			continue;
		obj->rel_of[rs->info] = r;
		for (size_t i = 0; i < rs->size / 16; i++) {
			struct ub_elf_rel rel;
			struct ub_elf_sym s;
			int err = ub_elf_rel(rt, e, r, i, &rel);

			if (!err)
				err = ub_elf_sym(rt, e, rel.sym, &s);
			if (err)
				return err;
			if (rel.offset % 8 || rel.offset >= e->secs[rs->info].size) {
				ub_log(rt, USERBPF_LOG_WARN,
				       "%s: relocation %zu of %s: offset %llu is not an instruction of %s",
				       obj->name, i, rs->name, (unsigned long long)rel.offset,
				       e->secs[rs->info].name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* The relocation on byte offset `off` of code section sec, if any. */
static bool find_rel(const struct userbpf_obj *obj, size_t sec, uint64_t off,
		     struct ub_elf_rel *out)
{
	size_t r = obj->rel_of[sec];

	if (!r)
		return false;
	for (size_t i = 0; i < obj->elf.secs[r].size / 16; i++) {
		if (ub_elf_rel(obj->rt, &obj->elf, r, i, out) == 0 && out->offset == off)
			return true;
	}
	return false;
}

static int collect_progs(struct userbpf_obj *obj)
{
	struct userbpf_rt *rt = obj->rt;
	size_t n = 0;

	obj->progs = ub_calloc(rt, obj->nfuncs ? obj->nfuncs : 1, sizeof(*obj->progs));
	if (!obj->progs)
		return -ENOMEM;
	for (size_t i = 0; i < obj->nfuncs; i++) {
		const struct ub_func *f = &obj->funcs[i];
		const char *sec = obj->elf.secs[f->sec].name;

		if (strcmp(sec, ".text") == 0 || !f->global || f->cnt == 0)
			continue;
		obj->progs[n].func = i;
		obj->progs[n].name = ub_strdup(rt, f->name);
		obj->progs[n].sec = ub_strdup(rt, sec);
		if (!obj->progs[n].name || !obj->progs[n].sec) {
			obj->nprogs = n + 1;
			return -ENOMEM;
		}
		n++;
	}
	obj->nprogs = n;
	return 0;
}

static int read_license(struct userbpf_obj *obj)
{
	const struct ub_elf *e = &obj->elf;

	for (size_t i = 1; i < e->nsec; i++) {
		const struct ub_elf_sec *s = &e->secs[i];
		if (strcmp(s->name, "license") || !s->data)
			continue;
		if (!s->size || !memchr(s->data, 0, s->size)) {
			ub_log(obj->rt, USERBPF_LOG_WARN,
			       "%s: section license is not a NUL-terminated string", obj->name);
			return -EINVAL;
		}
		obj->license = ub_strdup(obj->rt, (const char *)s->data);
		return obj->license ? 0 : -ENOMEM;
	}
	return 0;
}

/* The "version" section: the kernel version a kprobe program was built
 * for (a u32, as libbpf reads it). */
static int read_version(struct userbpf_obj *obj)
{
	const struct ub_elf *e = &obj->elf;

	for (size_t i = 1; i < e->nsec; i++) {
		const struct ub_elf_sec *s = &e->secs[i];

		if (strcmp(s->name, "version"))
			continue;
		if (!s->data || s->size != 4) {
			ub_log(obj->rt, USERBPF_LOG_WARN,
			       "%s: section version: %llu bytes, a kernel version is 4",
			       obj->name, (unsigned long long)s->size);
			return -EINVAL;
		}
		memcpy(&obj->kern_version, s->data, 4);
	}
	return 0;
}

/* libbpf's object name: the file's base name up to its first '.'. */
static char *map_prefix(struct userbpf_rt *rt, const char *name)
{
	const char *b = name;
	char *p;

	for (const char *c = name; *c; c++)
		if (*c == '/' || *c == '\\')
			b = c + 1;
	p = ub_strdup(rt, b);
	if (p && strchr(p, '.'))
		*strchr(p, '.') = '\0';
	return p;
}

struct userbpf_obj *userbpf_obj__open_mem(struct userbpf_rt *rt, const void *buf, size_t size,
					  const struct userbpf_obj_opts *opts)
{
	struct userbpf_obj *obj;
	const char *name = "object";
	int err = -ENOMEM;

	if (!rt || (!buf && size))
		return ub_err_ptr(-EINVAL);
	if (OPTS_HAS(opts, name) && opts->name)
		name = opts->name;
	obj = ub_calloc(rt, 1, sizeof(*obj));
	if (!obj)
		return ub_err_ptr(-ENOMEM);
	obj->rt = rt;
	if (OPTS_HAS(opts, entry_regs))
		obj->entry_regs = opts->entry_regs;
	obj->name = ub_strdup(rt, name);
	obj->map_pfx = map_prefix(rt, name);
	obj->buf = ub_malloc(rt, size ? size : 1);
	if (!obj->name || !obj->map_pfx || !obj->buf)
		goto fail;
	if (OPTS_HAS(opts, pin_all_maps))
		obj->pin_all = opts->pin_all_maps;
	if (OPTS_HAS(opts, pin_root_path) && opts->pin_root_path) {
		obj->pin_root = ub_strdup(rt, opts->pin_root_path);
		if (!obj->pin_root)
			goto fail;
	}
	if (size)
		memcpy(obj->buf, buf, size);
	obj->size = size;
	err = ub_elf_parse(rt, obj->name, obj->buf, size, &obj->elf);
	if (!err)
		err = collect_funcs(obj);
	if (!err)
		err = check_relocs(obj);
	if (!err)
		err = collect_progs(obj);
	if (!err)
		err = read_license(obj);
	if (!err)
		err = read_version(obj);
	if (!err)
		err = ub_obj_collect_maps(obj);
	if (err)
		goto fail;
	return obj;
fail:
	userbpf_obj__close(obj);
	return ub_err_ptr(err);
}

struct userbpf_obj *userbpf_obj__open_file(struct userbpf_rt *rt, const char *path,
					   const struct userbpf_obj_opts *opts)
{
	struct userbpf_obj_opts o = { .sz = sizeof(o), .name = path };
	struct userbpf_obj *obj = NULL;

	uint8_t *data = NULL;
	size_t len = 0;
	int err;

	if (!rt || !path)
		return ub_err_ptr(-EINVAL);
	if (OPTS_HAS(opts, name) && opts->name)
		o.name = opts->name;
	if (OPTS_HAS(opts, entry_regs))
		o.entry_regs = opts->entry_regs;
	if (OPTS_HAS(opts, pin_root_path))
		o.pin_root_path = opts->pin_root_path;
	if (OPTS_HAS(opts, pin_all_maps))
		o.pin_all_maps = opts->pin_all_maps;
	err = ub_read_file(rt, path, &data, &len);
	if (err) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: cannot read: %s", path, userbpf_strerror(err));
		return ub_err_ptr(err);
	}
	obj = userbpf_obj__open_mem(rt, data, len, &o);
	err = obj ? 0 : -errno;
	ub_free(rt, data);
	return obj ? obj : ub_err_ptr(err);
}

/* ---- linking ------------------------------------------------------------ */

struct ub_link {
	struct userbpf_obj *obj;
	const char *prog;
	struct userbpf_insn *out;	/* linked program */
	uint32_t *osec, *oidx;		/* where each slot came from */
	size_t n, cap;
	const struct ub_func **placed;	/* functions appended, in order */
	size_t *placed_at;
	size_t nplaced;
};

static int link_grow(struct ub_link *l, size_t need)
{
	struct userbpf_rt *rt = l->obj->rt;
	size_t cap = l->cap ? l->cap : 64;
	struct userbpf_insn *out;
	uint32_t *osec, *oidx;

	if (need <= l->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > UB_MAX_INSNS)
		return -E2BIG;
	out = ub_malloc(rt, cap * sizeof(*out));
	osec = ub_malloc(rt, cap * sizeof(*osec));
	oidx = ub_malloc(rt, cap * sizeof(*oidx));
	if (!out || !osec || !oidx) {
		ub_free(rt, out);
		ub_free(rt, osec);
		ub_free(rt, oidx);
		return -ENOMEM;
	}
	if (l->n) {
		memcpy(out, l->out, l->n * sizeof(*out));
		memcpy(osec, l->osec, l->n * sizeof(*osec));
		memcpy(oidx, l->oidx, l->n * sizeof(*oidx));
	}
	ub_free(rt, l->out);
	ub_free(rt, l->osec);
	ub_free(rt, l->oidx);
	l->out = out;
	l->osec = osec;
	l->oidx = oidx;
	l->cap = cap;
	return 0;
}

/* Appends f once; returns its position in the linked program. */
static int link_place(struct ub_link *l, const struct ub_func *f, size_t *pos)
{
	const struct ub_elf_sec *s = &l->obj->elf.secs[f->sec];
	int err;

	for (size_t i = 0; i < l->nplaced; i++) {
		if (l->placed[i] == f) {
			*pos = l->placed_at[i];
			return 0;
		}
	}
	if (l->nplaced == l->obj->nfuncs)
		return -EINVAL; /* cannot happen: each function is placed once */
	err = link_grow(l, l->n + f->cnt);
	if (err)
		return err;
	memcpy(l->out + l->n, s->data + f->start * 8, f->cnt * 8);
	for (size_t i = 0; i < f->cnt; i++) {
		l->osec[l->n + i] = (uint32_t)f->sec;
		l->oidx[l->n + i] = (uint32_t)(f->start + i);
	}
	l->placed[l->nplaced] = f;
	l->placed_at[l->nplaced++] = l->n;
	*pos = l->n;
	l->n += f->cnt;
	return 0;
}

/* Resolves the call or code address at slot i of the linked program. */
static int link_insn(struct ub_link *l, size_t i)
{
	struct userbpf_obj *obj = l->obj;
	const struct ub_elf *e = &obj->elf;
	struct userbpf_insn *in = &l->out[i];
	bool call = in->code == 0x85 && in->src_reg == 1;
	bool lddw = in->code == 0x18;
	struct ub_elf_rel rel;
	bool has_rel = find_rel(obj, l->osec[i], (uint64_t)l->oidx[i] * 8, &rel);
	size_t tsec = l->osec[i], pos;
	int64_t t;
	const struct ub_func *f;
	int err;

	if (has_rel) {
		struct ub_elf_sym s;

		err = ub_elf_sym(obj->rt, e, rel.sym, &s);
		if (err)
			return err;
		if (!call && !lddw) {
			ub_log(obj->rt, USERBPF_LOG_WARN,
			       "%s: prog '%s': insn %zu: relocation against '%s' is on neither a call nor lddw",
			       obj->name, l->prog, i, s.name);
			return -EINVAL;
		}
		if (!is_code(e, s.shndx)) {
			const char *sec = s.shndx < e->nsec ? e->secs[s.shndx].name : "?";
			size_t idx;
			bool value;
			uint32_t off;

			if (s.shndx == 0) {
				ub_log(obj->rt, USERBPF_LOG_WARN,
				       "%s: prog '%s': insn %zu: '%s' is an extern (undefined) symbol, which this loader does not resolve",
				       obj->name, l->prog, i, s.name);
				return -EOPNOTSUPP;
			}
			err = ub_obj_map_for_sym(obj, l->prog, i, &s, in->imm, &idx, &value, &off);
			if (err == -ENOENT) {
				ub_log(obj->rt, USERBPF_LOG_WARN,
				       "%s: prog '%s': insn %zu: refers to '%s' in section %s, which holds neither code, maps nor global data",
				       obj->name, l->prog, i, s.name[0] ? s.name : sec, sec);
				return -EINVAL;
			}
			if (err)
				return err;
			if (!lddw || i + 1 >= l->n) {
				ub_log(obj->rt, USERBPF_LOG_WARN,
				       "%s: prog '%s': insn %zu: relocation against %s '%s' is not on a whole lddw",
				       obj->name, l->prog, i, value ? "global data" : "map",
				       s.name[0] ? s.name : sec);
				return -EINVAL;
			}
			in->src_reg = value ? 2 : 1;
			in->imm = (int32_t)idx;
			l->out[i + 1].imm = (int32_t)off;
			return 0;
		}
		tsec = s.shndx;
		t = call ? (int64_t)(s.value / 8) + in->imm + 1 : (int64_t)((s.value + (uint64_t)(int64_t)in->imm) / 8);
	} else if (call || (lddw && in->src_reg == 4)) {
		t = (int64_t)l->oidx[i] + in->imm + 1;
	} else {
		return 0;
	}
	f = t >= 0 ? func_at(obj, tsec, (size_t)t) : NULL;
	if (!f) {
		ub_log(obj->rt, USERBPF_LOG_WARN,
		       "%s: prog '%s': insn %zu: %s target %lld of section %s is in no function",
		       obj->name, l->prog, i, call ? "call" : "code address", (long long)t,
		       e->secs[tsec].name);
		return -EINVAL;
	}
	err = link_place(l, f, &pos);
	if (err)
		return err;
	in = &l->out[i]; /* link_place may have moved the array */
	in->imm = (int32_t)((int64_t)(pos + ((size_t)t - f->start)) - (int64_t)(i + 1));
	if (lddw) {
		in->src_reg = 4;
		if (i + 1 < l->n)
			l->out[i + 1].imm = 0;
	}
	return 0;
}

static int link_prog(struct userbpf_obj *obj, struct ub_obj_prog *p, struct ub_link *l)
{
	size_t pos;
	int err;

	memset(l, 0, sizeof(*l));
	l->obj = obj;
	l->prog = p->name;
	l->placed = ub_calloc(obj->rt, obj->nfuncs, sizeof(*l->placed));
	l->placed_at = ub_calloc(obj->rt, obj->nfuncs, sizeof(*l->placed_at));
	if (!l->placed || !l->placed_at)
		return -ENOMEM;
	err = link_place(l, &obj->funcs[p->func], &pos);
	for (size_t i = 0; !err && i < l->n; i++) {
		err = link_insn(l, i);
		if (l->out[i].code == 0x18)
			i++;
	}
	return err;
}

static void link_free(struct userbpf_rt *rt, struct ub_link *l)
{
	ub_free(rt, l->out);
	ub_free(rt, l->osec);
	ub_free(rt, l->oidx);
	ub_free(rt, l->placed);
	ub_free(rt, l->placed_at);
}

int userbpf_obj__load(struct userbpf_obj *obj)
{
	int err = 0;

	if (!obj)
		return ub_err(-EINVAL);
	if (obj->loaded)
		return ub_err(-EBUSY);
	err = ub_obj_create_maps(obj);
	for (size_t i = 0; i < obj->nprogs && !err; i++) {
		struct ub_obj_prog *p = &obj->progs[i];
		struct userbpf_prog_opts po = { .sz = sizeof(po), .name = p->name,
						 .entry_regs = obj->entry_regs,
						 .maps = obj->map_ptrs, .map_cnt = obj->nmaps,
						 .prog_flags = p->flags };
		const struct userbpf_prog_type *t =
			userbpf_rt__prog_type_for_sec(obj->rt, p->sec);
		struct ub_link l;

		/* The type: set by the user, else the SEC name's (as libbpf). */
		po.prog_type = p->type ? p->type : t ? t->name : NULL;
		if (p->no_autoload)
			continue;
		err = link_prog(obj, p, &l);
		if (!err) {
			p->prog = ub_prog_load(obj->rt, l.out, l.n, &po, false, &err);
			if (err)
				ub_log(obj->rt, USERBPF_LOG_WARN, "%s: prog '%s' (section %s): load failed",
				       obj->name, p->name, p->sec);
		}
		link_free(obj->rt, &l);
	}
	if (!err)
		err = ub_obj_init_prog_arrays(obj);
	if (err) {
		for (size_t i = 0; i < obj->nprogs; i++) {
			userbpf_prog__free(obj->progs[i].prog);
			obj->progs[i].prog = NULL;
		}
		ub_obj_release_maps(obj);
		return ub_err(err);
	}
	obj->loaded = true;
	return 0;
}

void userbpf_obj__close(struct userbpf_obj *obj)
{
	struct userbpf_rt *rt;

	if (!obj)
		return;
	rt = obj->rt;
	for (size_t i = 0; i < obj->nprogs; i++) {
		userbpf_prog__free(obj->progs[i].prog);
		ub_free(rt, obj->progs[i].name);
		ub_free(rt, obj->progs[i].sec);
		ub_free(rt, obj->progs[i].type);
	}
	ub_free(rt, obj->progs);
	ub_obj_free_maps(obj);
	ub_free(rt, obj->funcs);
	ub_free(rt, obj->rel_of);
	ub_elf_free(rt, &obj->elf);
	ub_free(rt, obj->license);
	ub_free(rt, obj->buf);
	ub_free(rt, obj->name);
	ub_free(rt, obj->map_pfx);
	ub_free(rt, obj->pin_root);
	ub_free(rt, obj);
}

const char *userbpf_obj__name(const struct userbpf_obj *obj)
{
	return obj ? obj->name : NULL;
}

const char *userbpf_obj__license(const struct userbpf_obj *obj)
{
	return obj ? obj->license : NULL;
}

uint32_t userbpf_obj__kern_version(const struct userbpf_obj *obj)
{
	return obj ? obj->kern_version : 0;
}

size_t userbpf_obj__map_cnt(const struct userbpf_obj *obj)
{
	return obj ? obj->nmaps : 0;
}

struct userbpf_map *userbpf_obj__map(const struct userbpf_obj *obj, size_t i)
{
	return obj && i < obj->nmaps ? obj->maps[i].map : NULL;
}

const char *userbpf_obj__map_name(const struct userbpf_obj *obj, size_t i)
{
	return obj && i < obj->nmaps ? obj->maps[i].name : NULL;
}

/* A map by its name, or a global data map by its section name too
 * (".rodata"), as libbpf's bpf_object__find_map_by_name. */
static struct ub_obj_map *find_obj_map(const struct userbpf_obj *obj, const char *name)
{
	for (size_t i = 0; obj && name && i < obj->nmaps; i++) {
		struct ub_obj_map *m = &obj->maps[i];

		if ((m->real_name && !strcmp(m->real_name, name)) || !strcmp(m->name, name))
			return m;
	}
	return NULL;
}

struct userbpf_map *userbpf_obj__find_map(const struct userbpf_obj *obj, const char *name)
{
	struct ub_obj_map *m = find_obj_map(obj, name);

	return m ? m->map : NULL;
}

void *userbpf_obj__map_initial_value(struct userbpf_obj *obj, const char *name, size_t *size)
{
	struct ub_obj_map *m = find_obj_map(obj, name);

	if (!m || !m->init)
		return ub_err_ptr(-ENOENT);
	if (obj->loaded)
		return ub_err_ptr(-EBUSY);
	if (size)
		*size = m->def.value_size;
	return m->init;
}

size_t userbpf_obj__prog_cnt(const struct userbpf_obj *obj)
{
	return obj ? obj->nprogs : 0;
}

struct userbpf_prog *userbpf_obj__prog(const struct userbpf_obj *obj, size_t i)
{
	return obj && i < obj->nprogs ? obj->progs[i].prog : NULL;
}

struct userbpf_prog *userbpf_obj__find_prog(const struct userbpf_obj *obj, const char *name)
{
	for (size_t i = 0; obj && name && i < obj->nprogs; i++)
		if (strcmp(obj->progs[i].name, name) == 0)
			return obj->progs[i].prog;
	return NULL;
}

const char *userbpf_obj__prog_name(const struct userbpf_obj *obj, size_t i)
{
	return obj && i < obj->nprogs ? obj->progs[i].name : NULL;
}

const char *userbpf_obj__prog_section(const struct userbpf_obj *obj, size_t i)
{
	return obj && i < obj->nprogs ? obj->progs[i].sec : NULL;
}

const char *userbpf_prog__name(const struct userbpf_prog *prog)
{
	return prog ? prog->name : NULL;
}

int userbpf_obj__set_prog_type(struct userbpf_obj *obj, size_t i, const char *type)
{
	char *copy;

	if (!obj || i >= obj->nprogs || !type)
		return ub_err(-EINVAL);
	if (obj->loaded)
		return ub_err(-EBUSY);
	if (!userbpf_rt__prog_type(obj->rt, type)) {
		ub_log(obj->rt, USERBPF_LOG_WARN, "%s: prog '%s': unknown program type '%s'",
		       obj->name, obj->progs[i].name, type);
		return ub_err(-EINVAL);
	}
	copy = ub_strdup(obj->rt, type);
	if (!copy)
		return ub_err(-ENOMEM);
	ub_free(obj->rt, obj->progs[i].type);
	obj->progs[i].type = copy;
	return 0;
}

const char *userbpf_obj__prog_type(const struct userbpf_obj *obj, size_t i)
{
	const struct userbpf_prog_type *t;

	if (!obj || i >= obj->nprogs)
		return NULL;
	if (obj->progs[i].type)
		return obj->progs[i].type;
	t = userbpf_rt__prog_type_for_sec(obj->rt, obj->progs[i].sec);
	return t ? t->name : NULL;
}

int userbpf_obj__set_prog_flags(struct userbpf_obj *obj, size_t i, uint32_t flags)
{
	if (!obj || i >= obj->nprogs)
		return ub_err(-EINVAL);
	if (obj->loaded)
		return ub_err(-EBUSY);
	obj->progs[i].flags = flags;
	return 0;
}

uint32_t userbpf_obj__prog_flags(const struct userbpf_obj *obj, size_t i)
{
	return obj && i < obj->nprogs ? obj->progs[i].flags : 0;
}

int userbpf_obj__set_prog_autoload(struct userbpf_obj *obj, size_t i, bool autoload)
{
	if (!obj || i >= obj->nprogs)
		return ub_err(-EINVAL);
	if (obj->loaded)
		return ub_err(-EBUSY);
	obj->progs[i].no_autoload = !autoload;
	return 0;
}
