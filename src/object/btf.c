/* SPDX-License-Identifier: MIT */
/*
 * btf.c - a bounds-checked reader of the .BTF section, enough for maps.
 *
 * ub_btf_parse() checks the header, walks every type once (its fixed part
 * and the kind's trailing records must lie inside the type area, its name
 * inside the string area, every type id it refers to must exist) and keeps
 * the offset of each type.  After that the accessors below can trust what
 * they read.  Errors name the section and the type id, as
 * "FILE: section .BTF: type [12]: reason".
 *
 * Loops that follow type references (modifiers, typedefs, arrays) stop
 * after UB_BTF_MAX_DEPTH steps, so a cycle in a hostile file is an error
 * and not a hang.
 */
#include <errno.h>
#include <string.h>
#include "object/object_internal.h"

#define UB_BTF_MAX_DEPTH 32

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* Bytes that follow the 12-byte fixed part for a kind with vlen records;
 * -1 for an unknown kind. */
static int64_t kind_extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case UB_BTF_INT: return 4;
	case UB_BTF_PTR: case UB_BTF_FWD: case UB_BTF_TYPEDEF: case UB_BTF_VOLATILE:
	case UB_BTF_CONST: case UB_BTF_RESTRICT: case UB_BTF_FUNC: case UB_BTF_FLOAT:
	case UB_BTF_TYPE_TAG:
		return 0;
	case UB_BTF_ARRAY: return 12;
	case UB_BTF_STRUCT: case UB_BTF_UNION: return 12 * (int64_t)vlen;
	case UB_BTF_ENUM: return 8 * (int64_t)vlen;
	case UB_BTF_FUNC_PROTO: return 8 * (int64_t)vlen;
	case UB_BTF_VAR: return 4;
	case UB_BTF_DATASEC: return 12 * (int64_t)vlen;
	case UB_BTF_DECL_TAG: return 4;
	case UB_BTF_ENUM64: return 12 * (int64_t)vlen;
	default: return -1;
	}
}

static int bad(struct userbpf_rt *rt, const struct ub_btf *b, uint32_t id, const char *why)
{
	ub_log(rt, USERBPF_LOG_WARN, "%s: section .BTF: type [%u]: %s", b->fname, id, why);
	return -EINVAL;
}

/* Checks the type ids that type id refers to. */
static int check_refs(struct userbpf_rt *rt, const struct ub_btf *b, uint32_t id)
{
	struct ub_btf_type t;
	uint32_t n = b->n;

	ub_btf_type(b, id, &t);
	switch (t.kind) {
	case UB_BTF_PTR: case UB_BTF_TYPEDEF: case UB_BTF_VOLATILE: case UB_BTF_CONST:
	case UB_BTF_RESTRICT: case UB_BTF_FUNC: case UB_BTF_VAR: case UB_BTF_TYPE_TAG:
	case UB_BTF_DECL_TAG: case UB_BTF_FUNC_PROTO:
		if (t.size_type >= n)
			return bad(rt, b, id, "refers to a type id past the last type");
		break;
	case UB_BTF_ARRAY:
		if (rd32(t.rest) >= n || rd32(t.rest + 4) >= n)
			return bad(rt, b, id, "array element or index type past the last type");
		break;
	default:
		break;
	}
	for (uint32_t i = 0; i < t.vlen; i++) {
		uint32_t ref;

		switch (t.kind) {
		case UB_BTF_STRUCT: case UB_BTF_UNION: ref = rd32(t.rest + 12 * i + 4); break;
		case UB_BTF_FUNC_PROTO: ref = rd32(t.rest + 8 * i + 4); break;
		case UB_BTF_DATASEC: ref = rd32(t.rest + 12 * i); break;
		default: ref = 0; break;
		}
		if (ref >= n)
			return bad(rt, b, id, "a member refers to a type id past the last type");
	}
	/* Names of members, enumerators and parameters. */
	for (uint32_t i = 0; i < t.vlen; i++) {
		uint32_t noff;

		switch (t.kind) {
		case UB_BTF_STRUCT: case UB_BTF_UNION: case UB_BTF_ENUM64:
			noff = rd32(t.rest + 12 * i); break;
		case UB_BTF_ENUM: case UB_BTF_FUNC_PROTO: noff = rd32(t.rest + 8 * i); break;
		default: noff = 0; break;
		}
		if (noff >= b->str_len && !(noff == 0 && b->str_len == 0))
			return bad(rt, b, id, "a member name lies outside the string area");
	}
	return 0;
}

int ub_btf_parse(struct userbpf_rt *rt, const char *fname, const uint8_t *data, size_t size,
		 struct ub_btf *b)
{
	uint32_t hdr_len, type_off, type_len, str_off, str_len, cnt = 0;
	uint64_t data_len;
	int err;

	memset(b, 0, sizeof(*b));
	b->fname = fname;
	if (!data || size < 24 || rd16(data) != 0xeB9F) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: section .BTF: no BTF header (magic 0xeb9f)", fname);
		return -EINVAL;
	}
	if (data[2] != 1) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: section .BTF: version %u, only 1 is known", fname,
		       data[2]);
		return -EINVAL;
	}
	hdr_len = rd32(data + 4);
	type_off = rd32(data + 8);
	type_len = rd32(data + 12);
	str_off = rd32(data + 16);
	str_len = rd32(data + 20);
	if (hdr_len < 24 || hdr_len > size) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: section .BTF: header length %u outside 24..%zu",
		       fname, hdr_len, size);
		return -EINVAL;
	}
	data_len = size - hdr_len;
	if (type_off % 4 || (uint64_t)type_off + type_len > data_len ||
	    (uint64_t)str_off + str_len > data_len) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "%s: section .BTF: types (%u+%u) or strings (%u+%u) lie outside the %llu bytes after the header",
		       fname, type_off, type_len, str_off, str_len, (unsigned long long)data_len);
		return -EINVAL;
	}
	b->types = data + hdr_len + type_off;
	b->types_len = type_len;
	b->strs = (const char *)data + hdr_len + str_off;
	b->str_len = str_len;
	if (str_len && (b->strs[0] || b->strs[str_len - 1])) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "%s: section .BTF: the string area must start and end with a NUL", fname);
		return -EINVAL;
	}
	/* Count the types, checking each one's extent. */
	for (uint64_t off = 0; off < type_len; cnt++) {
		uint32_t info, kind, vlen;
		int64_t extra;

		if (type_len - off < 12)
			return bad(rt, b, cnt + 1, "truncated");
		info = rd32(b->types + off + 4);
		kind = (info >> 24) & 0x1f;
		vlen = info & 0xffff;
		extra = kind_extra(kind, vlen);
		if (extra < 0) {
			ub_log(rt, USERBPF_LOG_WARN, "%s: section .BTF: type [%u]: unknown kind %u",
			       fname, cnt + 1, kind);
			return -EINVAL;
		}
		if ((uint64_t)extra > type_len - off - 12)
			return bad(rt, b, cnt + 1, "its members run past the end of the type area");
		if (rd32(b->types + off) >= str_len && !(rd32(b->types + off) == 0 && !str_len))
			return bad(rt, b, cnt + 1, "its name lies outside the string area");
		off += 12 + (uint64_t)extra;
	}
	b->n = cnt + 1;
	b->off = ub_calloc(rt, b->n, sizeof(*b->off));
	if (!b->off)
		return -ENOMEM;
	{
		uint32_t off = 0;

		for (uint32_t id = 1; id < b->n; id++) {
			uint32_t info = rd32(b->types + off + 4);

			b->off[id] = off;
			off += 12 + (uint32_t)kind_extra((info >> 24) & 0x1f, info & 0xffff);
		}
	}
	for (uint32_t id = 1; id < b->n; id++) {
		err = check_refs(rt, b, id);
		if (err) {
			ub_btf_free(rt, b);
			return err;
		}
	}
	return 0;
}

void ub_btf_free(struct userbpf_rt *rt, struct ub_btf *b)
{
	if (!b)
		return;
	ub_free(rt, b->off);
	b->off = NULL;
	b->n = 0;
}

const char *ub_btf_str(const struct ub_btf *b, uint32_t off)
{
	/* The area ends with a NUL (checked), so any offset inside it names a
	 * terminated string. */
	return off < b->str_len ? b->strs + off : "";
}

bool ub_btf_type(const struct ub_btf *b, uint32_t id, struct ub_btf_type *t)
{
	const uint8_t *p;
	uint32_t info;

	memset(t, 0, sizeof(*t));
	t->id = id;
	t->name = "";
	if (id == 0 || id >= b->n)
		return false;	/* void, or no such type: kind 0 */
	p = b->types + b->off[id];
	info = rd32(p + 4);
	t->name = ub_btf_str(b, rd32(p));
	t->vlen = info & 0xffff;
	t->kind = (info >> 24) & 0x1f;
	t->kflag = info >> 31;
	t->size_type = rd32(p + 8);
	t->rest = p + 12;
	return true;
}

uint32_t ub_btf_skip_mods(const struct ub_btf *b, uint32_t id)
{
	struct ub_btf_type t;

	for (int depth = 0; depth < UB_BTF_MAX_DEPTH && ub_btf_type(b, id, &t); depth++) {
		if (t.kind != UB_BTF_TYPEDEF && t.kind != UB_BTF_VOLATILE &&
		    t.kind != UB_BTF_CONST && t.kind != UB_BTF_RESTRICT &&
		    t.kind != UB_BTF_TYPE_TAG)
			return id;
		id = t.size_type;
	}
	return 0;
}

int ub_btf_resolve_size(const struct ub_btf *b, uint32_t id, uint64_t *size)
{
	struct ub_btf_type t;
	uint64_t mult = 1;

	for (int depth = 0; depth < UB_BTF_MAX_DEPTH; depth++) {
		if (!ub_btf_type(b, id, &t))
			return -EINVAL;
		switch (t.kind) {
		case UB_BTF_INT: case UB_BTF_STRUCT: case UB_BTF_UNION: case UB_BTF_ENUM:
		case UB_BTF_ENUM64: case UB_BTF_DATASEC: case UB_BTF_FLOAT:
			if (t.size_type && mult > UINT32_MAX / t.size_type)
				return -E2BIG;
			*size = mult * t.size_type;
			return 0;
		case UB_BTF_PTR:
			*size = mult * 8;
			return *size <= UINT32_MAX ? 0 : -E2BIG;
		case UB_BTF_TYPEDEF: case UB_BTF_VOLATILE: case UB_BTF_CONST:
		case UB_BTF_RESTRICT: case UB_BTF_VAR: case UB_BTF_TYPE_TAG:
			id = t.size_type;
			break;
		case UB_BTF_ARRAY: {
			uint32_t nelems = rd32(t.rest + 8);

			if (nelems && mult > UINT32_MAX / nelems)
				return -E2BIG;
			mult *= nelems;
			id = rd32(t.rest);
			break;
		}
		default:
			return -EINVAL;
		}
	}
	return -ELOOP;
}

void ub_btf_member(const struct ub_btf_type *t, uint32_t i, const struct ub_btf *b,
		   struct ub_btf_member *m)
{
	const uint8_t *p = t->rest + 12 * (size_t)i;
	uint32_t off = rd32(p + 8);

	m->name = ub_btf_str(b, rd32(p));
	m->type = rd32(p + 4);
	m->bit_off = t->kflag ? off & 0xffffff : off;
}

void ub_btf_array(const struct ub_btf_type *t, uint32_t *elem, uint32_t *nelems)
{
	*elem = rd32(t->rest);
	*nelems = rd32(t->rest + 8);
}

void ub_btf_secinfo(const struct ub_btf_type *t, uint32_t i, uint32_t *type, uint32_t *off,
		    uint32_t *size)
{
	const uint8_t *p = t->rest + 12 * (size_t)i;

	*type = rd32(p);
	*off = rd32(p + 4);
	*size = rd32(p + 8);
}

uint64_t ub_btf_enum_value(const struct ub_btf_type *t, uint32_t i)
{
	if (t->kind == UB_BTF_ENUM64)
		return (uint64_t)rd32(t->rest + 12 * (size_t)i + 4) |
		       (uint64_t)rd32(t->rest + 12 * (size_t)i + 8) << 32;
	return (uint64_t)(int64_t)(int32_t)rd32(t->rest + 8 * (size_t)i + 4);
}

uint32_t ub_btf_var_linkage(const struct ub_btf_type *t)
{
	return rd32(t->rest);
}

uint32_t ub_btf_find(const struct ub_btf *b, uint32_t kind, const char *name)
{
	struct ub_btf_type t;

	for (uint32_t id = 1; id < b->n; id++)
		if (ub_btf_type(b, id, &t) && t.kind == kind && !strcmp(t.name, name))
			return id;
	return 0;
}
