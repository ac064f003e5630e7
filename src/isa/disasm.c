/* SPDX-License-Identifier: MIT */
/*
 * disasm.c - prints instructions in llvm-objdump's BPF syntax.
 *
 * Every shape of text comes from the row that ub_decode_op() finds in the
 * opcode table: the fmt column picks the template, the width column the
 * register prefix (w/r) or the access size (u8..u64), the sym column the
 * operator, the asm column the word of byte swaps and atomics.  Nothing
 * here looks at opcode bytes, so a new table row prints without a change
 * here unless it brings a new operand shape.
 *
 * The reference is llvm-objdump 14 (the one Debian ships next to clang 14),
 * checked instruction by instruction by tests/disasm/objdump_match.c.  It
 * differs from that oracle, on purpose, in these places:
 *   - cpu v4 instructions, which llvm 14 cannot decode, print as LLVM 17
 *     and later print them: "r0 s/= r1", "r0 = (s8)r1", "w0 = (s16)w1",
 *     "r0 = *(s8 *)(r1 + 0)", "r0 = bswap16 r0", "gotol +5", "callx r1";
 *     the BPF_ST stores (which llvm 14 also lacks) as LLVM 18 prints them,
 *     "*(u32 *)(r1 + 8) = 5"; mod and jset, also unknown to llvm 14 (clang
 *     14 never emits them), as later LLVM does: "r1 %= 7", "if r1 & 4
 *     goto +1".
 *   - 32-bit atomics other than the plain add print in their alu32 form
 *     ("w2 = atomic_fetch_or((u32 *)(r1 + 0), w2)", "w0 =
 *     cmpxchg32_32(r1 + 0, w0, w2)") even without UB_DISASM_ALU32: plain
 *     llvm-objdump calls them <unknown>, and decodes the 32-bit fetch-add
 *     as if it were the plain add, which would hide the fetch.
 *   - lddw with a pseudo source (map fd, map value, ...) prints the whole
 *     64-bit immediate ("ld_pseudo<TAB>r1, 2, 30064771077"); llvm 14 prints
 *     only the first slot's half.  They agree whenever the second half is 0.
 *     The tab is llvm's own (its asm string for ld_pseudo has one).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "isa/disasm_internal.h"

/* 32-bit operands of ALU and JMP32 print as w registers, as in LLVM's
 * GPR32 class. */
static char dis_rp(const struct ub_opinfo *oi)
{
	return oi->width == 32 ? 'w' : 'r';
}

/* Memory operand "r1 + 8" / "r1 - 8", as LLVM's printMemOperand. */
static void dis_mem(char *s, size_t n, unsigned reg, int off)
{
	if (off >= 0)
		snprintf(s, n, "r%u + %d", reg, off);
	else
		snprintf(s, n, "r%u - %d", reg, -off);
}

/* Branch offsets carry an explicit sign, as LLVM's printBrTargetOperand. */
static const char *dis_sign(int64_t v)
{
	return v >= 0 ? "+" : "";
}

/* "fetch add" -> "add": the atomic's operation word from its asm name. */
static const char *dis_atomic_word(const struct ub_opinfo *oi, bool *fetch)
{
	static const char prefix[] = "fetch ";

	*fetch = strncmp(oi->asm_name, prefix, sizeof(prefix) - 1) == 0;
	return *fetch ? oi->asm_name + sizeof(prefix) - 1 : oi->asm_name;
}

static int dis_atomic(const struct ub_opinfo *oi, const struct userbpf_insn *in,
		      unsigned flags, const char *mem, char *buf, size_t buf_sz)
{
	unsigned bits = oi->width * 8u, s = in->src_reg;
	bool fetch, w32 = oi->width == 4;
	const char *word = dis_atomic_word(oi, &fetch);
	char rp = w32 ? 'w' : 'r';

	if (!strcmp(word, "xchg"))
		return snprintf(buf, buf_sz, "%c%u = xchg%s_%u(%s, %c%u)", rp, s,
				w32 ? "32" : "", bits, mem, rp, s);
	if (!strcmp(word, "cmpxchg"))
		return snprintf(buf, buf_sz, "%c0 = cmpxchg%s_%u(%s, %c0, %c%u)",
				rp, w32 ? "32" : "", bits, mem, rp, rp, s);
	if (fetch)
		return snprintf(buf, buf_sz, "%c%u = atomic_fetch_%s((u%u *)(%s), %c%u)",
				rp, s, word, bits, mem, rp, s);
	/* llvm's non-alu32 decoder knows one 32-bit atomic, the add, and
	 * names its operand as a 64-bit register. */
	if (w32 && !(flags & UB_DISASM_ALU32) && !strcmp(word, "add"))
		rp = 'r';
	return snprintf(buf, buf_sz, "lock *(u%u *)(%s) %s %c%u", bits, mem,
			oi->sym, rp, s);
}

/* Formats one decoded row; in[1] is only read for lddw. */
static void dis_format(int op, const struct userbpf_insn *in, unsigned flags,
		       char *buf, size_t buf_sz)
{
	const struct ub_opinfo *oi = &ub_opinfo[op];
	unsigned d = in->dst_reg, s = in->src_reg, bits = oi->width * 8u;
	char rp = dis_rp(oi), mem[32];
	int64_t imm64;

	switch (oi->fmt) {
	case F_LDDW:
		imm64 = (int64_t)(((uint64_t)(uint32_t)in[1].imm << 32) |
				  (uint32_t)in[0].imm);
		if (oi->vval == 0)
			snprintf(buf, buf_sz, "r%u = %" PRId64 " ll", d, imm64);
		else
			snprintf(buf, buf_sz, "ld_pseudo\tr%u, %d, %" PRId64, d,
				 (int)oi->vval, imm64);
		break;
	case F_LDABS:
		snprintf(buf, buf_sz, "r0 = *(u%u *)skb[%d]", bits, (int)in->imm);
		break;
	case F_LDIND:
		snprintf(buf, buf_sz, "r0 = *(u%u *)skb[r%u]", bits, s);
		break;
	case F_LDX:
	case F_LDXS:
		dis_mem(mem, sizeof(mem), s, in->off);
		snprintf(buf, buf_sz, "%c%u = *(%c%u *)(%s)",
			 (flags & UB_DISASM_ALU32) && oi->fmt == F_LDX && oi->width < 8 ? 'w' : 'r',
			 d, oi->fmt == F_LDXS ? 's' : 'u', bits, mem);
		break;
	case F_ST:
		dis_mem(mem, sizeof(mem), d, in->off);
		snprintf(buf, buf_sz, "*(u%u *)(%s) = %d", bits, mem, (int)in->imm);
		break;
	case F_STX:
		dis_mem(mem, sizeof(mem), d, in->off);
		snprintf(buf, buf_sz, "*(u%u *)(%s) = %c%u", bits, mem,
			 (flags & UB_DISASM_ALU32) && oi->width < 8 ? 'w' : 'r', s);
		break;
	case F_ATOMIC:
		dis_mem(mem, sizeof(mem), d, in->off);
		dis_atomic(oi, in, flags, mem, buf, buf_sz);
		break;
	case F_ALU_K:
		snprintf(buf, buf_sz, "%c%u %s %d", rp, d, oi->sym, (int)in->imm);
		break;
	case F_ALU_X:
		snprintf(buf, buf_sz, "%c%u %s %c%u", rp, d, oi->sym, rp, s);
		break;
	case F_NEG:
		snprintf(buf, buf_sz, "%c%u %s%c%u", rp, d, oi->sym, rp, d);
		break;
	case F_MOVSX:
		snprintf(buf, buf_sz, "%c%u %s (s%d)%c%u", rp, d, oi->sym,
			 (int)oi->vval, rp, s);
		break;
	case F_END:
	case F_BSWAP:
		/* llvm prints byte swaps on 64-bit registers whatever the class. */
		snprintf(buf, buf_sz, "r%u = %s r%u", d, oi->asm_name, d);
		break;
	case F_JA:
		snprintf(buf, buf_sz, "goto %s%d", dis_sign(in->off), in->off);
		break;
	case F_JA32:
		snprintf(buf, buf_sz, "gotol %s%d", dis_sign(in->imm), (int)in->imm);
		break;
	case F_JMP_K:
		snprintf(buf, buf_sz, "if %c%u %s %d goto %s%d", rp, d, oi->sym,
			 (int)in->imm, dis_sign(in->off), in->off);
		break;
	case F_JMP_X:
		snprintf(buf, buf_sz, "if %c%u %s %c%u goto %s%d", rp, d, oi->sym,
			 rp, s, dis_sign(in->off), in->off);
		break;
	case F_CALL:
	case F_CALL_LOCAL:
	case F_CALL_KFUNC:
		snprintf(buf, buf_sz, "call %d", (int)in->imm);
		break;
	case F_CALLX:
		snprintf(buf, buf_sz, "callx r%u", d);
		break;
	case F_EXIT:
		snprintf(buf, buf_sz, "exit");
		break;
	default:
		snprintf(buf, buf_sz, "<no text for %s>", oi->id);
		break;
	}
}

int ub_disasm_insn(const struct userbpf_insn *insns, size_t cnt,
		   unsigned flags, char *buf, size_t buf_sz)
{
	char why[160];
	int op;

	if (!buf)
		buf_sz = 0;
	if (!insns || cnt == 0) {
		snprintf(buf, buf_sz, "no instruction");
		return -EINVAL;
	}
	op = ub_decode_op(&insns[0], why, sizeof(why));
	if (op < 0) {
		snprintf(buf, buf_sz, "%s", why);
		return op;
	}
	if (ub_opinfo[op].fmt == F_LDDW) {
		const struct userbpf_insn *hi = &insns[1];

		if (cnt < 2) {
			snprintf(buf, buf_sz, "lddw is missing its second half");
			return -EINVAL;
		}
		if (hi->code || hi->dst_reg || hi->src_reg || hi->off) {
			snprintf(buf, buf_sz,
				 "second half of lddw must have code, regs and off zero");
			return -EINVAL;
		}
	}
	dis_format(op, insns, flags, buf, buf_sz);
	return ub_opinfo[op].fmt == F_LDDW ? 2 : 1;
}

int userbpf_disasm_insn(const struct userbpf_insn *insns, size_t cnt,
			char *buf, size_t buf_sz)
{
	return ub_disasm_insn(insns, cnt, 0, buf, buf_sz);
}

/* Rebuilds the slots a decoded instruction came from: the decoder keeps
 * every raw field but turns branch offsets into absolute targets and joins
 * lddw's halves. */
static int dis_reencode(const struct ub_dinsn *d, size_t cnt, size_t idx,
			struct userbpf_insn out[2])
{
	const struct ub_dinsn *x;
	const struct ub_opinfo *oi;
	int64_t rel;

	if (!d || idx >= cnt || d[idx].op >= UB_OP__COUNT)
		return -EINVAL;
	x = &d[idx];
	oi = &ub_opinfo[x->op];
	memset(out, 0, 2 * sizeof(*out));
	out[0].code = oi->code;
	out[0].dst_reg = x->dst & 0xf;
	out[0].src_reg = x->src & 0xf;
	out[0].off = (int16_t)x->off;
	out[0].imm = (int32_t)x->imm;
	rel = (int64_t)x->off - (int64_t)idx - 1;
	switch (oi->fmt) {
	case F_LDDW:
		out[0].off = 0;
		out[0].imm = (int32_t)(uint32_t)(uint64_t)x->imm;
		out[1].imm = (int32_t)(uint32_t)((uint64_t)x->imm >> 32);
		return 2;
	case F_JA: case F_JMP_K: case F_JMP_X:
		out[0].off = (int16_t)rel;
		break;
	case F_JA32: case F_CALL_LOCAL:
		out[0].off = 0;
		out[0].imm = (int32_t)rel;
		break;
	default:
		break;
	}
	return 1;
}

int ub_disasm_dinsn(const struct ub_dinsn *d, size_t cnt, size_t idx,
		    unsigned flags, char *buf, size_t buf_sz)
{
	struct userbpf_insn raw[2];
	int n = dis_reencode(d, cnt, idx, raw);

	if (n < 0) {
		if (buf && buf_sz)
			snprintf(buf, buf_sz, "not an instruction (second half of lddw?)");
		return n;
	}
	return ub_disasm_insn(raw, (size_t)n, flags, buf, buf_sz);
}

/* Where a program dump goes: a stream, or a buffer that counts what did
 * not fit so the caller can size a second try. */
struct dis_sink {
	FILE *f;
	char *buf;
	size_t sz, len;
	bool io_err;
};

static void dis_put(struct dis_sink *k, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (k->f) {
		if (vfprintf(k->f, fmt, ap) < 0)
			k->io_err = true;
	} else {
		size_t room = k->len < k->sz ? k->sz - k->len : 0;
		n = vsnprintf(room ? k->buf + k->len : NULL, room, fmt, ap);
		if (n > 0)
			k->len += (size_t)n;
	}
	va_end(ap);
}

/* One dump line; `code` is the opcode byte for the optional column. */
static void dis_line(struct dis_sink *k, size_t idx, uint8_t code, int rc,
		     const char *text, unsigned flags)
{
	dis_put(k, "%4zu: ", idx);
	if (flags & UB_DISASM_OPCODE)
		dis_put(k, "(%02x) ", code);
	if (rc < 0)
		dis_put(k, "<invalid: %s>\n", text);
	else
		dis_put(k, "%s\n", text);
}

static int dis_prog(struct dis_sink *k, const struct userbpf_insn *insns,
		    size_t cnt, unsigned flags)
{
	char text[192];
	int err = 0;

	if (k->buf && k->sz)
		k->buf[0] = '\0';
	for (size_t i = 0; i < cnt;) {
		int rc = ub_disasm_insn(&insns[i], cnt - i, flags, text, sizeof(text));

		dis_line(k, i, insns[i].code, rc, text, flags);
		if (rc < 0)
			err = rc;
		i += rc < 0 ? 1 : (size_t)rc;
	}
	return k->io_err ? -EIO : err;
}

int ub_disasm_prog_file(FILE *f, const struct userbpf_insn *insns, size_t cnt,
			unsigned flags)
{
	struct dis_sink k = { .f = f };

	if (!f || (!insns && cnt))
		return -EINVAL;
	return dis_prog(&k, insns, cnt, flags);
}

int ub_disasm_prog_buf(char *buf, size_t buf_sz, size_t *len,
		       const struct userbpf_insn *insns, size_t cnt,
		       unsigned flags)
{
	struct dis_sink k = { .buf = buf, .sz = buf ? buf_sz : 0 };
	int err;

	if (!insns && cnt)
		return -EINVAL;
	err = dis_prog(&k, insns, cnt, flags);
	if (len)
		*len = k.len;
	return err;
}

int ub_disasm_dprog_file(FILE *f, const struct ub_dinsn *d, size_t cnt,
			 unsigned flags)
{
	struct dis_sink k = { .f = f };
	char text[192];
	int err = 0;

	if (!f || (!d && cnt))
		return -EINVAL;
	for (size_t i = 0; i < cnt; i++) {
		int rc;

		if (d[i].op == UB_OP__LDDW_HI)
			continue;
		rc = ub_disasm_dinsn(d, cnt, i, flags, text, sizeof(text));
		dis_line(&k, i, d[i].op < UB_OP__COUNT ? ub_opinfo[d[i].op].code : 0,
			 rc, text, flags);
		if (rc < 0)
			err = rc;
	}
	return k.io_err ? -EIO : err;
}
