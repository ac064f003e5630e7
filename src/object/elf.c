/* SPDX-License-Identifier: MIT */
/*
 * elf.c - a small ELF64 reader for BPF objects.
 *
 * We read ELF ourselves instead of linking libelf: a BPF object needs only
 * the section table, one symbol table and REL relocations, and a reader of
 * a few hundred lines can check every offset against the file size, build on
 * Windows without a port of libelf, and be fuzzed whole (fuzz/fuzz_object.c).
 * Every access goes through in_file(), which is overflow-safe.
 */
#include <errno.h>
#include <string.h>
#include "object/object_internal.h"

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Is [off, off+len) inside a buffer of `size` bytes? */
static bool in_file(size_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

/* A NUL-terminated string at `off` inside string table section s. */
static const char *str_at(const struct ub_elf_sec *s, uint64_t off)
{
	const char *p, *end;

	if (s->type != UB_SHT_STRTAB || !s->data || off >= s->size)
		return NULL;
	p = (const char *)s->data + off;
	end = memchr(p, 0, s->size - off);
	return end ? p : NULL;
}

int ub_elf_parse(struct userbpf_rt *rt, const char *fname, const uint8_t *buf,
		 size_t size, struct ub_elf *e)
{
	uint64_t shoff;
	uint16_t shentsize, shnum, shstrndx, machine, type;
	int err = -EINVAL;

	memset(e, 0, sizeof(*e));
	e->fname = fname;
	e->buf = buf;
	e->size = size;
	if (size < 64 || memcmp(buf, "\x7f" "ELF", 4)) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: not an ELF file", fname);
		return -EINVAL;
	}
	if (buf[4] != 2 || buf[5] != 1) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "%s: ELF class %u, data %u: BPF objects are 64-bit little-endian",
		       fname, buf[4], buf[5]);
		return -EINVAL;
	}
	type = rd16(buf + 16);
	machine = rd16(buf + 18);
	if (machine != UB_EM_BPF) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: ELF machine %u is not BPF (247)", fname, machine);
		return -EINVAL;
	}
	if (type != 1) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: ELF type %u is not a relocatable object", fname, type);
		return -EINVAL;
	}
	shoff = rd64(buf + 40);
	shentsize = rd16(buf + 58);
	shnum = rd16(buf + 60);
	shstrndx = rd16(buf + 62);
	if (shentsize != 64 || shnum == 0 || !in_file(size, shoff, (uint64_t)shnum * 64)) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "%s: section table (offset %llu, %u entries of %u bytes) lies outside the file",
		       fname, (unsigned long long)shoff, shnum, shentsize);
		return -EINVAL;
	}
	if (shstrndx >= shnum) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: section name table index %u out of range", fname, shstrndx);
		return -EINVAL;
	}
	e->secs = ub_calloc(rt, shnum, sizeof(*e->secs));
	if (!e->secs)
		return -ENOMEM;
	e->nsec = shnum;
	for (size_t i = 0; i < shnum; i++) {
		const uint8_t *sh = buf + shoff + i * 64;
		struct ub_elf_sec *s = &e->secs[i];
		uint64_t off = rd64(sh + 24);

		s->type = rd32(sh + 4);
		s->flags = rd64(sh + 8);
		s->size = rd64(sh + 32);
		s->link = rd32(sh + 40);
		s->info = rd32(sh + 44);
		s->entsize = rd64(sh + 56);
		if (s->type != UB_SHT_NOBITS && i != 0) {
			if (!in_file(size, off, s->size)) {
				ub_log(rt, USERBPF_LOG_WARN,
				       "%s: section %zu lies outside the file (offset %llu, size %llu)",
				       fname, i, (unsigned long long)off, (unsigned long long)s->size);
				goto fail;
			}
			s->data = buf + off;
		}
	}
	for (size_t i = 0; i < shnum; i++) {
		const uint8_t *sh = buf + shoff + i * 64;
		struct ub_elf_sec *s = &e->secs[i];

		s->name = i == 0 ? "" : str_at(&e->secs[shstrndx], rd32(sh));
		if (!s->name) {
			ub_log(rt, USERBPF_LOG_WARN, "%s: section %zu has a name outside the name table",
			       fname, i);
			goto fail;
		}
		if (s->type == UB_SHT_SYMTAB) {
			if (e->symtab) {
				ub_log(rt, USERBPF_LOG_WARN, "%s: more than one symbol table", fname);
				goto fail;
			}
			if (s->entsize != 24 || s->size % 24 || s->link >= shnum ||
			    e->secs[s->link].type != UB_SHT_STRTAB) {
				ub_log(rt, USERBPF_LOG_WARN, "%s: section %zu (%s): malformed symbol table",
				       fname, i, s->name);
				goto fail;
			}
			e->symtab = i;
			e->nsyms = s->size / 24;
		}
		if (s->type == UB_SHT_REL) {
			if (s->entsize != 16 || s->size % 16 || s->info >= shnum) {
				ub_log(rt, USERBPF_LOG_WARN,
				       "%s: section %zu (%s): malformed relocation section", fname, i, s->name);
				goto fail;
			}
		}
	}
	/* Relocation sections must refer to the one symbol table; checked
	 * once it is known. */
	for (size_t i = 0; i < shnum; i++) {
		const struct ub_elf_sec *s = &e->secs[i];
		if (s->type == UB_SHT_REL && (!e->symtab || s->link != e->symtab)) {
			ub_log(rt, USERBPF_LOG_WARN,
			       "%s: section %zu (%s): relocations without the symbol table", fname, i, s->name);
			goto fail;
		}
	}
	return 0;
fail:
	ub_elf_free(rt, e);
	return err;
}

void ub_elf_free(struct userbpf_rt *rt, struct ub_elf *e)
{
	if (!e)
		return;
	ub_free(rt, e->secs);
	e->secs = NULL;
	e->nsec = 0;
}

int ub_elf_sym(struct userbpf_rt *rt, const struct ub_elf *e, size_t idx,
	       struct ub_elf_sym *out)
{
	const struct ub_elf_sec *st;
	const uint8_t *p;

	if (!e->symtab || idx >= e->nsyms) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: symbol %zu out of range (%zu symbols)", e->fname,
		       idx, e->nsyms);
		return -EINVAL;
	}
	st = &e->secs[e->symtab];
	p = st->data + idx * 24;
	out->name = str_at(&e->secs[st->link], rd32(p));
	if (!out->name) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: symbol %zu has a name outside the string table",
		       e->fname, idx);
		return -EINVAL;
	}
	out->type = p[4] & 0xf;
	out->bind = p[4] >> 4;
	out->shndx = rd16(p + 6);
	out->value = rd64(p + 8);
	out->size = rd64(p + 16);
	return 0;
}

int ub_elf_rel(struct userbpf_rt *rt, const struct ub_elf *e, size_t sec, size_t i,
	       struct ub_elf_rel *out)
{
	const struct ub_elf_sec *s = &e->secs[sec];
	const uint8_t *p;
	uint64_t info;

	if (i >= s->size / 16) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: relocation %zu of %s out of range", e->fname, i, s->name);
		return -EINVAL;
	}
	p = s->data + i * 16;
	out->offset = rd64(p);
	info = rd64(p + 8);
	out->sym = (uint32_t)(info >> 32);
	out->type = (uint32_t)info;
	return 0;
}
