/* SPDX-License-Identifier: MIT */
/*
 * objdump_match.c - checks the disassembler against llvm-objdump.
 *
 * Each BPF C program under tests/disasm/progs/ is built with clang for
 * -mcpu=v1, v2 and v3; every code section's bytes are pulled out with
 * llvm-objcopy, and every instruction llvm-objdump prints is compared,
 * character for character, with what ub_disasm_insn() prints for the same
 * slots.  llvm-objdump runs twice per object: plain (compared with flags 0,
 * the public userbpf_disasm_insn) and with --mattr=+alu32 (compared with
 * UB_DISASM_ALU32).  Only presentation is normalised: the address and byte
 * columns, and the "<LBB0_2>" label llvm appends to branches.
 *
 * One exception, documented in disasm.c: plain llvm-objdump 14 cannot
 * decode the 32-bit atomics other than the plain add (it prints <unknown>,
 * or the plain add for fetch-add), so in the plain run those are counted
 * as skipped; the +alu32 run compares them.
 *
 * Prints "ok"/"not ok" per (program, cpu, mode) with the first mismatch,
 * "skip" when clang or the llvm tools are missing, and a summary line with
 * the number of instructions compared.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testlib.h"
#include "isa/disasm_internal.h"

#define MAX_PROGS 64
#define MAX_SECS 64

struct tools {
	char clang[64], objdump[64], objcopy[64];
};

struct totals {
	unsigned long compared, mismatched, skipped;
	unsigned char seen[UB_OP__COUNT];
};

/* snprintf for paths and commands: a cut one would run the wrong thing,
 * so truncation is an error the callers check. */
__attribute__((format(printf, 3, 4)))
static int xfmt(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= sz ? -1 : 0;
}

static int have_cmd(const char *name)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

/* The first of name, name-14 .. name-19 that is on PATH. */
static int find_tool(const char *name, char *out, size_t out_sz)
{
	char cand[64];

	for (int v = 0; v <= 19; v++) {
		if (v && v < 14)
			continue;
		if (v)
			snprintf(cand, sizeof(cand), "%s-%d", name, v);
		else
			snprintf(cand, sizeof(cand), "%s", name);
		if (have_cmd(cand)) {
			snprintf(out, out_sz, "%s", cand);
			return 0;
		}
	}
	return -ENOENT;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t list_progs(const char *dir, char **names, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		size_t len = strlen(e->d_name);
		if (len > 2 && !strcmp(e->d_name + len - 2, ".c"))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	return n;
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else if (buf) {
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* Bytes to a slot, independent of how the host lays out bitfields. */
static struct userbpf_insn slot_at(const unsigned char *b)
{
	struct userbpf_insn i;

	i.code = b[0];
	i.dst_reg = b[1] & 0xf;
	i.src_reg = b[1] >> 4;
	i.off = (int16_t)(uint16_t)(b[2] | b[3] << 8);
	i.imm = (int32_t)((uint32_t)b[4] | (uint32_t)b[5] << 8 |
			  (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24);
	return i;
}

/* A section's bytes, extracted once per object. */
struct section {
	char name[128];
	unsigned char *bytes;
	size_t len;
	size_t next_slot;	/* where the next llvm line must start */
};

static struct section *get_section(struct section *secs, size_t *nsec,
				   const struct tools *t, const char *obj,
				   const char *tmp, const char *name, char *why,
				   size_t why_sz)
{
	char cmd[1024], bin[512];
	struct section *s;

	for (size_t i = 0; i < *nsec; i++)
		if (!strcmp(secs[i].name, name))
			return &secs[i];
	if (*nsec >= MAX_SECS || strchr(name, '\'')) {
		snprintf(why, why_sz, "cannot handle section '%s'", name);
		return NULL;
	}
	s = &secs[(*nsec)++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (xfmt(bin, sizeof(bin), "%s/sec%zu.bin", tmp, *nsec) ||
	    xfmt(cmd, sizeof(cmd), "%s -O binary --only-section='%s' '%s' '%s' 2>/dev/null",
		 t->objcopy, name, obj, bin) ||
	    system(cmd) != 0 || !(s->bytes = read_file(bin, &s->len))) {
		snprintf(why, why_sz, "llvm-objcopy could not extract section %s", name);
		(*nsec)--;
		return NULL;
	}
	unlink(bin);
	return s;
}

/* Drops llvm's branch-target label (" <LBB0_2>"), never the text itself. */
static void strip_label(char *text)
{
	size_t len = strlen(text);
	char *lt;

	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (len == 0 || text[0] == '<' || text[len - 1] != '>')
		return;
	lt = strrchr(text, '<');
	if (lt && lt > text && lt[-1] == ' ')
		lt[-1] = '\0';
}

/* Whether plain llvm-objdump 14 can print this slot at all (see top). */
static int plain_llvm_decodes(int op)
{
	const struct ub_opinfo *oi = &ub_opinfo[op];

	return !(oi->fmt == F_ATOMIC && oi->width == 4 && op != UB_OP_ATOMIC32_ADD);
}

/*
 * Runs llvm-objdump on obj and compares every instruction.  Returns the
 * number of mismatches (first one described in why), or -1 with why set
 * when the comparison could not run.
 */
static long compare_obj(const struct tools *t, const char *obj, const char *tmp,
			int alu32, struct totals *tot, unsigned long *ncmp,
			char *why, size_t why_sz)
{
	struct section secs[MAX_SECS];
	struct section *cur = NULL;
	size_t nsec = 0;
	char cmd[1024], line[1024], text[256];
	long bad = 0;
	FILE *p;

	*ncmp = 0;
	if (xfmt(cmd, sizeof(cmd), "%s -d %s '%s' 2>&1", t->objdump,
		 alu32 ? "--mattr=+alu32" : "", obj) ||
	    !(p = popen(cmd, "r"))) {
		snprintf(why, why_sz, "cannot run %s", t->objdump);
		return -1;
	}
	why[0] = '\0';
	while (fgets(line, sizeof(line), p)) {
		static const char hdr[] = "Disassembly of section ";
		char *q = line, *bytes, *txt, *end;
		unsigned long idx;
		size_t nbytes = 0, need;
		unsigned char lb[16];
		char dwhy[160];
		struct userbpf_insn slots[2];
		int rc, op;

		if (!strncmp(line, hdr, sizeof(hdr) - 1)) {
			char *name = line + sizeof(hdr) - 1;
			name[strcspn(name, "\n")] = '\0';
			if (name[0] && name[strlen(name) - 1] == ':')
				name[strlen(name) - 1] = '\0';
			cur = get_section(secs, &nsec, t, obj, tmp, name, why, why_sz);
			if (!cur) {
				bad = -1;
				break;
			}
			continue;
		}
		/* Instruction lines: spaces, decimal index, ':', tab. */
		while (*q == ' ')
			q++;
		if (*q < '0' || *q > '9')
			continue;
		idx = strtoul(q, &end, 10);
		if (end[0] != ':' || end[1] != '\t')
			continue;
		if (!cur) {
			snprintf(why, why_sz, "instruction before any section header");
			bad = -1;
			break;
		}
		bytes = end + 2;
		txt = strchr(bytes, '\t');
		if (!txt)
			continue;
		*txt++ = '\0';
		for (char *b = bytes; *b && nbytes < sizeof(lb);) {
			while (*b == ' ')
				b++;
			if (!*b)
				break;
			lb[nbytes++] = (unsigned char)strtoul(b, &b, 16);
		}
		snprintf(text, sizeof(text), "%s", txt);
		strip_label(text);

		need = (size_t)idx * 8 + nbytes;
		if (nbytes % 8 || need > cur->len || idx != cur->next_slot ||
		    memcmp(cur->bytes + idx * 8, lb, nbytes)) {
			snprintf(why, why_sz, "%s:%lu: llvm-objdump's bytes do not match the section",
				 cur->name, idx);
			bad = -1;
			break;
		}
		cur->next_slot = idx + nbytes / 8;
		slots[0] = slot_at(cur->bytes + idx * 8);
		if (need + 8 <= cur->len)
			slots[1] = slot_at(cur->bytes + idx * 8 + 8);
		op = ub_decode_op(&slots[0], dwhy, sizeof(dwhy));
		if (op >= 0 && !alu32 && !plain_llvm_decodes(op)) {
			tot->skipped++;
			continue;
		}
		{
			char got[256];
			size_t avail = (cur->len - idx * 8) / 8;

			rc = ub_disasm_insn(slots, avail < 2 ? avail : 2,
					    alu32 ? UB_DISASM_ALU32 : 0, got, sizeof(got));
			(*ncmp)++;
			tot->compared++;
			if (op >= 0)
				tot->seen[op] = 1;
			if (rc < 0 || (size_t)rc * 8 != nbytes || strcmp(got, text)) {
				tot->mismatched++;
				if (!bad++)
					snprintf(why, why_sz,
						 "%s:%lu: llvm \"%s\", userbpf \"%s\" (rc %d)",
						 cur->name, idx, text, got, rc);
			}
		}
	}
	pclose(p);
	if (bad >= 0) {
		if (nsec == 0 && !why[0]) {
			snprintf(why, why_sz, "llvm-objdump printed no code section");
			return -1;
		}
		for (size_t i = 0; i < nsec && bad == 0; i++)
			if (secs[i].next_slot * 8 != secs[i].len) {
				snprintf(why, why_sz, "section %s: llvm-objdump stopped at slot %zu of %zu",
					 secs[i].name, secs[i].next_slot, secs[i].len / 8);
				bad = -1;
			}
	}
	for (size_t i = 0; i < nsec; i++)
		free(secs[i].bytes);
	return bad;
}

static int compile(const struct tools *t, const char *dir, const char *src,
		   int cpu, const char *obj, const char *tmp, char *why,
		   size_t why_sz)
{
	char cmd[2048], errpath[512], msg[200] = "";
	FILE *f;
	int rc;

	if (xfmt(errpath, sizeof(errpath), "%s/cc.err", tmp) ||
	    xfmt(cmd, sizeof(cmd),
		 "%s -O2 -g0 -target bpf -mcpu=v%d -DUB_CPU=%d -I'%s' -c '%s/%s' -o '%s' 2>'%s'",
		 t->clang, cpu, cpu, dir, dir, src, obj, errpath)) {
		snprintf(why, why_sz, "path too long");
		return -1;
	}
	rc = system(cmd);
	if (rc == 0)
		return 0;
	f = fopen(errpath, "r");
	if (f) {
		if (!fgets(msg, sizeof(msg), f))
			msg[0] = '\0';
		msg[strcspn(msg, "\n")] = '\0';
		fclose(f);
	}
	snprintf(why, why_sz, "clang failed: %s", msg);
	return -1;
}

int main(void)
{
	const char *root = getenv("UB_ROOT");
	const char *tmpbase = getenv("TMPDIR");
	char dir[512], tmp[512], obj[700], name[200], why[1024];
	char *progs[MAX_PROGS];
	struct tools t;
	struct totals tot;
	size_t nprogs;
	int have_tools;

	memset(&tot, 0, sizeof(tot));
	snprintf(dir, sizeof(dir), "%s/tests/disasm/progs", root ? root : ".");
	nprogs = list_progs(dir, progs, MAX_PROGS);
	if (nprogs == 0) {
		tl_fail("objdump_match", "no programs found in %s", dir);
		return tl_exit();
	}
	have_tools = !find_tool("clang", t.clang, sizeof(t.clang)) &&
		     !find_tool("llvm-objdump", t.objdump, sizeof(t.objdump)) &&
		     !find_tool("llvm-objcopy", t.objcopy, sizeof(t.objcopy));
	snprintf(tmp, sizeof(tmp), "%s/ub-disasm-XXXXXX", tmpbase ? tmpbase : "/tmp");
	if (have_tools && !mkdtemp(tmp)) {
		tl_fail("objdump_match", "mkdtemp %s: %s", tmp, strerror(errno));
		return tl_exit();
	}
	for (size_t i = 0; i < nprogs; i++) {
		for (int cpu = 1; cpu <= 3; cpu++) {
			for (int alu32 = 0; alu32 <= 1; alu32++) {
				unsigned long n = 0;
				long bad;

				snprintf(name, sizeof(name), "objdump %s -mcpu=v%d%s", progs[i],
					 cpu, alu32 ? " +alu32" : "");
				if (!have_tools) {
					tl_skip(name, "clang, llvm-objdump or llvm-objcopy not found");
					continue;
				}
				if (xfmt(obj, sizeof(obj), "%s/v%d.o", tmp, cpu)) {
					tl_fail(name, "path too long");
					break;
				}
				if (!alu32 && compile(&t, dir, progs[i], cpu, obj, tmp, why,
						      sizeof(why))) {
					tl_fail(name, "%s", why);
					break; /* nothing to compare in either mode */
				}
				bad = compare_obj(&t, obj, tmp, alu32, &tot, &n, why, sizeof(why));
				if (bad == 0 && n == 0)
					tl_fail(name, "no instruction compared");
				else if (bad == 0)
					tl_ok(name);
				else if (bad < 0)
					tl_fail(name, "%s", why);
				else
					tl_fail(name, "%ld of %lu differ; first: %s", bad, n, why);
			}
			if (!xfmt(obj, sizeof(obj), "%s/v%d.o", tmp, cpu))
				unlink(obj);
		}
	}
	if (have_tools) {
		unsigned rows = 0;
		char errpath[600];

		for (int op = 0; op < UB_OP__COUNT; op++)
			rows += tot.seen[op];
		printf("# compared %lu instructions with llvm-objdump (%s): %lu mismatches; "
		       "%lu 32-bit atomics left to the +alu32 run; %u of %d table rows seen\n",
		       tot.compared, t.objdump, tot.mismatched, tot.skipped, rows,
		       UB_OP__COUNT);
		printf("# rows of cpu v1-v3 that clang 14 cannot produce here (disasm_table pins them):");
		for (int op = 0; op < UB_OP__COUNT; op++)
			if (!tot.seen[op] && ub_opinfo[op].cpu <= 3)
				printf(" %s", ub_opinfo[op].id);
		printf("\n");
		if (!xfmt(errpath, sizeof(errpath), "%s/cc.err", tmp))
			unlink(errpath);
		rmdir(tmp);
	}
	for (size_t i = 0; i < nprogs; i++)
		free(progs[i]);
	return tl_exit();
}
