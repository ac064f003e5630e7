/* SPDX-License-Identifier: MIT */
/*
 * object_internal.h - the ELF reader and the object model behind
 * userbpf_obj__*.
 *
 * elf.c reads the container (header, sections, symbols, relocations) with a
 * bounds check on every offset; object.c turns that into programs, linking
 * .text subprograms through call relocations as libbpf does.
 */
#ifndef USERBPF_OBJECT_INTERNAL_H
#define USERBPF_OBJECT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "core/core_internal.h"

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

/* libbpf's program type name for a SEC name; NULL when unknown. */
const char *ub_sec_prog_type(const char *sec);

#endif
