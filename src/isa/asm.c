/* SPDX-License-Identifier: MIT */
/*
 * asm.c - the assembler for the text syntax of the bpf_conformance suite.
 *
 * The conformance data files write their programs in an AT&T-like syntax
 * (`mov32 %r0, 1`, `ldxdw %r0, [%r1+8]`, `lock fetch add [%r10-8], %r1`,
 * `jne %r0, 15, label`).  This file turns such text into instruction slots
 * so that the conformance runner and our tests can feed the same programs
 * to every engine.  Mnemonics, opcode bytes, variants and operand shapes
 * all come from the opcode table (opcodes.h); this file only knows the
 * syntax of operands and labels, and the few spellings that are not table
 * names: the `lock` prefix, `swapN` for `bswapN` and `call %rN` for callx.
 *
 * The text is untrusted: every token is checked, and the first problem is
 * reported as "line N: reason" instead of being guessed around.  Messages
 * begin with a capital letter because the upstream negative tests compare
 * against texts like "Invalid register".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/core_internal.h"
#include "isa/isa_internal.h"
#include "isa/text_internal.h"

/* A piece of the input text; never NUL-terminated. */
struct asm_span {
	const char *p;
	size_t n;
};

/* A jump or call whose label is resolved once every label is known. */
struct asm_fix {
	size_t slot;
	struct asm_span label;
	int line;
	bool imm;	/* the target goes in imm (ja32, call local), else off */
};

struct asm_label {
	struct asm_span name;
	size_t slot;
	int line;
};

struct asm_ctx {
	struct userbpf_insn *out;
	size_t cnt, cap;
	struct asm_label *labels;
	size_t nlabels, caplabels;
	struct asm_fix *fixes;
	size_t nfixes, capfixes;
	size_t exit_slot;	/* the first exit: the implicit label `exit` */
	bool have_exit;
	int line;
	char *err;
	size_t err_sz;
};

#define ASM_MAX_OPERANDS 4

static int asm_fail(struct asm_ctx *c, const char *fmt, ...) UB_PRINTF(2, 3);

static int asm_vfail(struct asm_ctx *c, int line, const char *fmt, va_list ap)
{
	int n;

	if (!c->err || !c->err_sz)
		return -EINVAL;
	n = snprintf(c->err, c->err_sz, "line %d: ", line);
	if (n >= 0 && (size_t)n < c->err_sz)
		vsnprintf(c->err + n, c->err_sz - (size_t)n, fmt, ap);
	return -EINVAL;
}

static int asm_fail(struct asm_ctx *c, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = asm_vfail(c, c->line, fmt, ap);
	va_end(ap);
	return err;
}

static bool asm_ident_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '.';
}

static struct asm_span asm_trim(struct asm_span s)
{
	while (s.n && ub_text_space(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && ub_text_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

static bool asm_eq(struct asm_span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Splits off the first whitespace-separated word of s into *word. */
static struct asm_span asm_word(struct asm_span s, struct asm_span *word)
{
	size_t i = 0;

	s = asm_trim(s);
	while (i < s.n && !ub_text_space(s.p[i]))
		i++;
	word->p = s.p;
	word->n = i;
	s.p += i;
	s.n -= i;
	return asm_trim(s);
}

/*
 * Parses an optionally signed decimal or 0x-prefixed hex integer that fills
 * the whole span.  The sign and magnitude are kept apart because the range
 * rules differ for hex and decimal (see asm_imm32).
 */
static bool asm_number(struct asm_span s, bool *neg, bool *hex, uint64_t *mag)
{
	size_t i = 0;
	unsigned base = 10;
	uint64_t v = 0;

	s = asm_trim(s);
	*neg = false;
	if (i < s.n && (s.p[i] == '+' || s.p[i] == '-')) {
		*neg = s.p[i] == '-';
		i++;
		while (i < s.n && ub_text_space(s.p[i])) /* `[%r1 - 2]` */
			i++;
	}
	if (i + 1 < s.n && s.p[i] == '0' && (s.p[i + 1] == 'x' || s.p[i + 1] == 'X')) {
		base = 16;
		i += 2;
	}
	*hex = base == 16;
	if (i >= s.n)
		return false;
	for (; i < s.n; i++) {
		char ch = s.p[i];
		unsigned d;

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*mag = v;
	return true;
}

/*
 * A 32-bit immediate.  Hex may spell the bit pattern (0xffffffff is -1),
 * decimal must be a signed 32-bit value; so `2147483648` and `0x100000000`
 * are both refused rather than silently truncated.
 */
static int asm_imm32(struct asm_ctx *c, struct asm_span s, int32_t *out)
{
	bool neg, hex;
	uint64_t mag;

	s = asm_trim(s);
	if (!asm_number(s, &neg, &hex, &mag))
		return asm_fail(c, "Invalid immediate '%.*s': expected a decimal or 0x-hex number",
				(int)s.n, s.p);
	if (neg ? mag > 0x80000000ull : mag > (hex ? 0xffffffffull : 0x7fffffffull))
		return asm_fail(c, "Immediate %.*s is out of range for 32 bits (decimal -2147483648..2147483647, hex up to 0xffffffff)",
				(int)s.n, s.p);
	*out = (int32_t)(uint32_t)(neg ? 0 - mag : mag);
	return 0;
}

static int asm_imm64(struct asm_ctx *c, struct asm_span s, uint64_t *out)
{
	bool neg, hex;
	uint64_t mag;

	s = asm_trim(s);
	if (!asm_number(s, &neg, &hex, &mag))
		return asm_fail(c, "Invalid immediate '%.*s': expected a 64-bit decimal or 0x-hex number",
				(int)s.n, s.p);
	if (neg && mag > 0x8000000000000000ull)
		return asm_fail(c, "Immediate %.*s is out of range for 64 bits",
				(int)s.n, s.p);
	*out = neg ? 0 - mag : mag;
	return 0;
}

/* A signed offset: `what` names it in the message. */
static int asm_signed(struct asm_ctx *c, struct asm_span s, int64_t lo, int64_t hi,
		      const char *what, int64_t *out)
{
	bool neg, hex;
	uint64_t mag;

	s = asm_trim(s);
	if (!asm_number(s, &neg, &hex, &mag))
		return asm_fail(c, "Invalid %s '%.*s'", what, (int)s.n, s.p);
	if (neg ? mag > (uint64_t)0 - (uint64_t)lo : mag > (uint64_t)hi)
		return asm_fail(c, "%c%s %.*s is out of range (%lld..%lld)",
				what[0] - 'a' + 'A', what + 1, (int)s.n, s.p,
				(long long)lo, (long long)hi);
	*out = neg ? -(int64_t)mag : (int64_t)mag;
	return 0;
}

static int asm_reg(struct asm_ctx *c, struct asm_span s, uint8_t *out)
{
	unsigned v = 0;

	s = asm_trim(s);
	if (s.n < 3 || s.p[0] != '%' || s.p[1] != 'r')
		return asm_fail(c, "Expected a register (%%r0..%%r10), got '%.*s'",
				(int)s.n, s.p);
	for (size_t i = 2; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9' || v > 10)
			return asm_fail(c, "Invalid register '%.*s' (registers are %%r0..%%r10)",
					(int)s.n, s.p);
		v = v * 10 + (unsigned)(s.p[i] - '0');
	}
	if (v > 10)
		return asm_fail(c, "Invalid register '%.*s' (registers are %%r0..%%r10)",
				(int)s.n, s.p);
	*out = (uint8_t)v;
	return 0;
}

/* `[%rN]`, `[%rN+off]` or `[%rN-off]`. */
static int asm_mem(struct asm_ctx *c, struct asm_span s, uint8_t *reg, int16_t *off)
{
	struct asm_span in, r;
	size_t i = 0;
	int64_t v = 0;
	int err;

	s = asm_trim(s);
	if (s.n < 2 || s.p[0] != '[' || s.p[s.n - 1] != ']')
		return asm_fail(c, "Invalid memory operand '%.*s': expected [%%rN+offset]",
				(int)s.n, s.p);
	in.p = s.p + 1;
	in.n = s.n - 2;
	while (i < in.n && in.p[i] != '+' && in.p[i] != '-')
		i++;
	r.p = in.p;
	r.n = i;
	err = asm_reg(c, r, reg);
	if (err)
		return err;
	if (i < in.n) {
		struct asm_span o = { in.p + i, in.n - i };
		err = asm_signed(c, o, INT16_MIN, INT16_MAX, "offset", &v);
		if (err)
			return err;
	}
	*off = (int16_t)v;
	return 0;
}

static bool asm_is_label(struct asm_span s)
{
	if (!s.n || (s.p[0] >= '0' && s.p[0] <= '9'))
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!asm_ident_char(s.p[i]))
			return false;
	return true;
}

/*
 * A jump or call target: a relative `+N`/`-N` (or bare number) or a label,
 * resolved later.  `imm`: the target is a 32-bit imm (ja32, call local),
 * else the 16-bit off.
 */
static int asm_target(struct asm_ctx *c, struct asm_span s, bool imm)
{
	struct userbpf_insn *in = &c->out[c->cnt];
	struct asm_fix *fx;
	int64_t v;
	int err;

	s = asm_trim(s);
	if (s.n && (s.p[0] == '+' || s.p[0] == '-' || (s.p[0] >= '0' && s.p[0] <= '9'))) {
		err = imm ? asm_signed(c, s, INT32_MIN, INT32_MAX, "jump offset", &v)
			  : asm_signed(c, s, INT16_MIN, INT16_MAX, "jump offset", &v);
		if (err)
			return err;
		if (imm)
			in->imm = (int32_t)v;
		else
			in->off = (int16_t)v;
		return 0;
	}
	if (!asm_is_label(s))
		return asm_fail(c, "Invalid jump target '%.*s': expected a label or +N/-N",
				(int)s.n, s.p);
	fx = ub_text_grow(c->fixes, &c->capfixes, c->nfixes + 1, sizeof(*c->fixes));
	if (!fx)
		return -ENOMEM;
	c->fixes = fx;
	c->fixes[c->nfixes++] = (struct asm_fix){
		.slot = c->cnt, .label = s, .line = c->line, .imm = imm
	};
	return 0;
}

static int asm_operand_count(int fmt)
{
	switch (fmt) {
	case F_EXIT: return 0;
	case F_LDABS: case F_NEG: case F_END: case F_BSWAP: case F_JA: case F_JA32:
	case F_CALL: case F_CALL_LOCAL: case F_CALL_KFUNC: case F_CALLX:
		return 1;
	case F_JMP_K: case F_JMP_X: return 3;
	default: return 2;
	}
}

/* Does table row `op` spell `name` in the family being looked up? */
static bool asm_row_matches(int op, struct asm_span name, bool atomic, int width)
{
	const struct ub_opinfo *oi = &ub_opinfo[op];

	if (!asm_eq(name, oi->asm_name))
		return false;
	if (atomic != (oi->fmt == F_ATOMIC))
		return false;
	if (atomic && oi->width != width)
		return false;
	/* The pseudo lddw forms have no spelling in this syntax. */
	if (oi->fmt == F_LDDW && oi->vval != 0)
		return false;
	return true;
}

/*
 * Picks the table row for `name` given its operands: register-or-immediate
 * pairs (add/add32, jeq/jeq32 ...) are told apart by the operand that is
 * the source.  Returns the op or -1 when no row has this name.
 */
static int asm_find_row(struct asm_span name, bool atomic, int width,
			const struct asm_span *ops, int nops)
{
	int first = -1;

	for (int op = 0; op < UB_OP__COUNT; op++) {
		int fmt = ub_opinfo[op].fmt;
		bool src_is_reg;

		if (!asm_row_matches(op, name, atomic, width))
			continue;
		if (first < 0)
			first = op;
		if (fmt != F_ALU_K && fmt != F_ALU_X && fmt != F_JMP_K && fmt != F_JMP_X)
			return op;
		src_is_reg = nops >= 2 && asm_trim(ops[1]).n && asm_trim(ops[1]).p[0] == '%';
		if (src_is_reg == (fmt == F_ALU_X || fmt == F_JMP_X))
			return op;
	}
	return first;
}

/* Encodes one instruction of table row `op` from its operands. */
static int asm_encode(struct asm_ctx *c, int op, const char *shown,
		      const struct asm_span *ops, int nops)
{
	const struct ub_opinfo *oi = &ub_opinfo[op];
	struct userbpf_insn *in;
	uint8_t r = 0;
	uint64_t v64 = 0;
	int err = 0, want = asm_operand_count(oi->fmt);
	size_t slots = oi->fmt == F_LDDW ? 2 : 1;

	if (nops != want)
		return asm_fail(c, "Invalid number of operands for %s: got %d, expected %d",
				shown, nops, want);
	if (c->cnt + slots > UB_MAX_INSNS)
		return asm_fail(c, "Program is longer than %u instructions", UB_MAX_INSNS);
	in = ub_text_grow(c->out, &c->cap, c->cnt + slots, sizeof(*c->out));
	if (!in)
		return -ENOMEM;
	c->out = in;
	in = &c->out[c->cnt];
	memset(in, 0, slots * sizeof(*in));
	in->code = oi->code;
	switch (oi->vkind) {
	case V_OFF: in->off = (int16_t)oi->vval; break;
	case V_IMM: in->imm = oi->vval; break;
	case V_SRC: in->src_reg = (uint8_t)oi->vval & 0xf; break;
	default: break;
	}

	switch (oi->fmt) {
	case F_LDDW:
		if ((err = asm_reg(c, ops[0], &r)) || (err = asm_imm64(c, ops[1], &v64)))
			break;
		in[0].dst_reg = r & 0xf;
		in[0].imm = (int32_t)(uint32_t)v64;
		in[1].imm = (int32_t)(uint32_t)(v64 >> 32);
		break;
	case F_LDABS:
		err = asm_imm32(c, ops[0], &in->imm);
		break;
	case F_LDIND:
		if ((err = asm_reg(c, ops[0], &r)))
			break;
		in->src_reg = r & 0xf;
		err = asm_imm32(c, ops[1], &in->imm);
		break;
	case F_LDX: case F_LDXS: {
		uint8_t base;
		if ((err = asm_reg(c, ops[0], &r)) || (err = asm_mem(c, ops[1], &base, &in->off)))
			break;
		in->dst_reg = r & 0xf;
		in->src_reg = base & 0xf;
		break;
	}
	case F_ST:
		if ((err = asm_mem(c, ops[0], &r, &in->off)))
			break;
		in->dst_reg = r & 0xf;
		err = asm_imm32(c, ops[1], &in->imm);
		break;
	case F_STX: case F_ATOMIC: {
		uint8_t src;
		if ((err = asm_mem(c, ops[0], &r, &in->off)) || (err = asm_reg(c, ops[1], &src)))
			break;
		in->dst_reg = r & 0xf;
		in->src_reg = src & 0xf;
		break;
	}
	case F_ALU_K: case F_JMP_K:
		if ((err = asm_reg(c, ops[0], &r)))
			break;
		in->dst_reg = r & 0xf;
		if ((err = asm_imm32(c, ops[1], &in->imm)))
			break;
		if (oi->fmt == F_JMP_K)
			err = asm_target(c, ops[2], false);
		break;
	case F_ALU_X: case F_JMP_X: case F_MOVSX: {
		uint8_t src;
		if ((err = asm_reg(c, ops[0], &r)) || (err = asm_reg(c, ops[1], &src)))
			break;
		in->dst_reg = r & 0xf;
		in->src_reg = src & 0xf;
		if (oi->fmt == F_JMP_X)
			err = asm_target(c, ops[2], false);
		break;
	}
	case F_NEG: case F_END: case F_BSWAP: case F_CALLX:
		if ((err = asm_reg(c, ops[0], &r)))
			break;
		in->dst_reg = r & 0xf;
		break;
	case F_JA:
		err = asm_target(c, ops[0], false);
		break;
	case F_JA32: case F_CALL_LOCAL:
		err = asm_target(c, ops[0], true);
		break;
	case F_CALL: case F_CALL_KFUNC:
		err = asm_imm32(c, ops[0], &in->imm);
		break;
	case F_EXIT:
		if (!c->have_exit) {
			c->have_exit = true;
			c->exit_slot = c->cnt;
		}
		break;
	default:
		err = asm_fail(c, "Instruction %s has no assembly form", shown);
		break;
	}
	if (!err)
		c->cnt += slots;
	return err;
}

/* Splits the comma-separated operand text; an empty operand is an error. */
static int asm_split(struct asm_ctx *c, struct asm_span s, const char *shown,
		     struct asm_span *ops, int *nops)
{
	size_t start = 0;

	*nops = 0;
	s = asm_trim(s);
	if (!s.n)
		return 0;
	for (size_t i = 0; i <= s.n; i++) {
		if (i < s.n && s.p[i] != ',')
			continue;
		if (*nops == ASM_MAX_OPERANDS)
			return asm_fail(c, "Invalid number of operands for %s: more than %d",
					shown, ASM_MAX_OPERANDS - 1);
		ops[*nops] = asm_trim((struct asm_span){ s.p + start, i - start });
		if (!ops[*nops].n)
			return asm_fail(c, "Empty operand in '%.*s'", (int)s.n, s.p);
		(*nops)++;
		start = i + 1;
	}
	return 0;
}

/* `lock [fetch] op[32] [%rN+off], %rM` */
static int asm_lock(struct asm_ctx *c, struct asm_span rest)
{
	struct asm_span w1, w2, opname, ops[ASM_MAX_OPERANDS];
	char name[32], shown[48];
	int width = 8, nops, op, err;
	bool fetch;

	rest = asm_word(rest, &w1);
	if (!w1.n)
		return asm_fail(c, "Invalid number of operands for lock: expected 'lock [fetch] op [%%rN+off], %%rM'");
	fetch = asm_eq(w1, "fetch");
	if (fetch) {
		rest = asm_word(rest, &w2);
		if (!w2.n)
			return asm_fail(c, "Invalid number of operands for lock: 'lock fetch' needs an operation");
		opname = w2;
	} else {
		opname = w1;
	}
	if (opname.n > 2 && opname.p[opname.n - 2] == '3' && opname.p[opname.n - 1] == '2') {
		width = 4;
		opname.n -= 2;
	}
	if (opname.n + 7 > sizeof(name))
		return asm_fail(c, "Unknown atomic operation '%.*s'", (int)opname.n, opname.p);
	snprintf(name, sizeof(name), "%s%.*s", fetch ? "fetch " : "", (int)opname.n, opname.p);
	snprintf(shown, sizeof(shown), "lock %s%s", name, width == 4 ? "32" : "");
	err = asm_split(c, rest, "lock", ops, &nops);
	if (err)
		return err;
	op = asm_find_row((struct asm_span){ name, strlen(name) }, true, width, ops, nops);
	if (op < 0)
		return asm_fail(c, "Unknown atomic operation '%s' (expected [fetch] add, and, or, xor, or xchg, cmpxchg, with an optional 32 suffix)",
				shown);
	if (nops != 2)
		return asm_fail(c, "Invalid number of operands for lock: '%s' takes [%%rN+off], %%rM, got %d operand%s",
				shown, nops, nops == 1 ? "" : "s");
	return asm_encode(c, op, shown, ops, nops);
}

static int asm_label_def(struct asm_ctx *c, struct asm_span name)
{
	struct asm_label *l;

	for (size_t i = 0; i < c->nlabels; i++)
		if (c->labels[i].name.n == name.n &&
		    memcmp(c->labels[i].name.p, name.p, name.n) == 0)
			return asm_fail(c, "Duplicate label '%.*s' (first defined on line %d)",
					(int)name.n, name.p, c->labels[i].line);
	l = ub_text_grow(c->labels, &c->caplabels, c->nlabels + 1, sizeof(*c->labels));
	if (!l)
		return -ENOMEM;
	c->labels = l;
	c->labels[c->nlabels++] = (struct asm_label){ name, c->cnt, c->line };
	return 0;
}

static int asm_line(struct asm_ctx *c, struct asm_span s)
{
	struct asm_span mn, rest, ops[ASM_MAX_OPERANDS];
	char name[40];
	const char *p;
	size_t i = 0;
	int nops, op, err;

	p = memchr(s.p, '#', s.n);
	if (p)
		s.n = (size_t)(p - s.p);
	s = asm_trim(s);
	/* A label: an identifier followed by ':' (mnemonics never have one). */
	while (i < s.n && asm_ident_char(s.p[i]))
		i++;
	if (i < s.n && s.p[i] == ':') {
		struct asm_span lab = { s.p, i };
		if (!asm_is_label(lab))
			return asm_fail(c, "Invalid label name '%.*s'", (int)i, s.p);
		if ((err = asm_label_def(c, lab)))
			return err;
		s.p += i + 1;
		s.n -= i + 1;
		s = asm_trim(s);
	}
	if (!s.n)
		return 0;
	rest = asm_word(s, &mn);
	if (asm_eq(mn, "lock"))
		return asm_lock(c, rest);
	if (mn.n > 16)
		return asm_fail(c, "Unknown mnemonic '%.*s'", (int)mn.n, mn.p);
	snprintf(name, sizeof(name), "%.*s", (int)mn.n, mn.p);
	/* Two-word names of the table ("call local", "call kfunc"). */
	{
		struct asm_span w2;
		struct asm_span after = asm_word(rest, &w2);

		if (w2.n && w2.n <= 16) {
			char two[64];

			snprintf(two, sizeof(two), "%s %.*s", name, (int)w2.n, w2.p);
			for (op = 0; op < UB_OP__COUNT; op++)
				if (strcmp(ub_opinfo[op].asm_name, two) == 0)
					break;
			if (op < UB_OP__COUNT) {
				memcpy(name, two, strlen(two) + 1);
				rest = after;
			}
		}
	}
	/* Aliases of the bpf_conformance syntax that are not table names. */
	if (strcmp(name, "call") == 0 && rest.n && rest.p[0] == '%') {
		snprintf(name, sizeof(name), "callx");
	} else if (strncmp(name, "swap", 4) == 0) {
		char alias[40];

		snprintf(alias, sizeof(alias), "bswap%.16s", name + 4);
		memcpy(name, alias, sizeof(alias));
	}
	err = asm_split(c, rest, name, ops, &nops);
	if (err)
		return err;
	op = asm_find_row((struct asm_span){ name, strlen(name) }, false, 0, ops, nops);
	if (op < 0)
		return asm_fail(c, "Unknown mnemonic '%.*s'", (int)mn.n, mn.p);
	return asm_encode(c, op, name, ops, nops);
}

/* Resolves label references now that every label is known. */
static int asm_resolve(struct asm_ctx *c)
{
	for (size_t f = 0; f < c->nfixes; f++) {
		const struct asm_fix *fx = &c->fixes[f];
		struct userbpf_insn *in = &c->out[fx->slot];
		bool found = false;
		size_t target = 0;
		int64_t rel;

		for (size_t i = 0; i < c->nlabels && !found; i++) {
			if (c->labels[i].name.n == fx->label.n &&
			    memcmp(c->labels[i].name.p, fx->label.p, fx->label.n) == 0) {
				found = true;
				target = c->labels[i].slot;
			}
		}
		if (!found && asm_eq(fx->label, "exit") && c->have_exit) {
			found = true;
			target = c->exit_slot;
		}
		c->line = fx->line;
		if (!found)
			return asm_fail(c, "Unknown label '%.*s'", (int)fx->label.n,
					fx->label.p);
		rel = (int64_t)target - (int64_t)fx->slot - 1;
		if (fx->imm) {
			in->imm = (int32_t)rel;	/* |rel| < UB_MAX_INSNS */
		} else {
			if (rel < INT16_MIN || rel > INT16_MAX)
				return asm_fail(c, "Label '%.*s' is %lld instructions away, out of range for a 16-bit offset (use ja32)",
						(int)fx->label.n, fx->label.p, (long long)rel);
			in->off = (int16_t)rel;
		}
	}
	return 0;
}

int userbpf_asm(const char *text, struct userbpf_insn **insns, size_t *cnt,
		char *err, size_t err_sz)
{
	struct asm_ctx c = { .err = err, .err_sz = err_sz };
	const char *p, *end;
	int ret = 0;

	if (err && err_sz)
		err[0] = '\0';
	if (!text || !insns || !cnt) {
		c.line = 0;
		asm_fail(&c, "Invalid arguments");
		errno = EINVAL;
		return -EINVAL;
	}
	*insns = NULL;
	*cnt = 0;
	p = text;
	end = text + strlen(text);
	while (p < end && !ret) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		c.line++;
		ret = asm_line(&c, (struct asm_span){ p, (size_t)(le - p) });
		p = nl ? nl + 1 : end;
	}
	if (!ret && c.cnt == 0) {
		c.line = c.line ? c.line : 1;
		ret = asm_fail(&c, "Empty program: no instructions");
	}
	if (!ret)
		ret = asm_resolve(&c);
	if (ret == -ENOMEM) {
		c.line = c.line ? c.line : 1;
		asm_fail(&c, "Out of memory");
	}
	free(c.labels);
	free(c.fixes);
	if (ret) {
		free(c.out);
		errno = -ret;
		return ret;
	}
	*insns = c.out;
	*cnt = c.cnt;
	return 0;
}
