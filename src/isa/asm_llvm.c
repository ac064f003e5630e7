/* SPDX-License-Identifier: MIT */
/*
 * asm_llvm.c - an assembler for the text that llvm-objdump prints for BPF
 * (`r0 += 2`, `w1 = w2`, `r0 = *(u32 *)(r1 + 8)`, `if r1 > 5 goto +3`),
 * and for the dialect of it that PREVAIL's YAML verifier tests are written
 * in (`r2 s8= r1`, `r1 = swap16 r1`, `lock *(u32 *)(r2 + 4) += r1 fetch`,
 * `x=` / `cx=` for xchg / cmpxchg, `if r1 &== 0 goto <out>`, `r1 = -3ll`,
 * `r1 = map_fd 1`, `r2 = map_val(1) + 8`, `call <sub>`).
 *
 * It exists so that programs written by people or printed by our own
 * disassembler (src/isa/disasm.c) can be turned back into bytecode: the
 * PREVAIL harness in tests/verifier/ uses it, and its unit test checks that
 * every opcode-table row survives disassemble -> assemble unchanged.
 *
 * A line is cut into tokens (registers, numbers, words, operators, <labels>
 * and punctuation); the shape of the token list names the table's operand
 * format (F_*), and the operator or word picks the row, found by searching
 * the one opcode table (opcodes.h) by (fmt, width, sym or asm word).  No
 * opcode byte is written here.
 *
 * Labels are lines `<name>:` or `name:`; jump and call targets are
 * `<name>`, `name`, or a relative `+N` / `-N`.  Text after `;` or `#` is a
 * comment.  Departures from llvm, on purpose:
 *   - an immediate may be written as its 32-bit pattern in 64-bit
 *     operations too (`r1 = 0xffffffff` is r1 = -1, sign-extended as the
 *     machine does), as PREVAIL's tests write them; values past 32 bits
 *     need `ll`.
 *   - the second register of a 32-bit jump or ALU operation may be written
 *     rN or wN (PREVAIL writes `w1 < r2`).
 *   - `call N` is always a helper call: llvm-objdump prints local and
 *     kfunc calls the same way, so those need `call <label>`.
 * The text is untrusted: every token is checked and the first problem is
 * reported as "line N: reason".
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/core_internal.h"
#include "isa/isa_internal.h"
#include "isa/text_internal.h"

enum la_kind { K_END, K_REG, K_NUM, K_WORD, K_OP, K_LABEL, K_PUNCT };

struct la_tok {
	uint8_t kind;
	bool w;			/* K_REG: written wN */
	uint8_t reg;		/* K_REG */
	uint64_t num;		/* K_NUM: magnitude */
	const char *p;		/* text (K_LABEL: without the brackets) */
	size_t n;
};

#define LA_MAX_TOKS 40

struct la_label {
	const char *name;
	size_t n;
	size_t slot;
};

struct la_fix {
	const char *name;
	size_t n;
	size_t slot;
	int line;
	bool imm;	/* target goes in imm (gotol, call local), else off */
};

struct la_ctx {
	struct userbpf_insn *out;
	size_t cnt, cap;
	struct la_label *labels;
	size_t nlabels, caplabels;
	struct la_fix *fixes;
	size_t nfixes, capfixes;
	int line;
	char *err;
	size_t err_sz;
	/* the current line's tokens and the read position */
	struct la_tok t[LA_MAX_TOKS + 1];
	size_t nt, i;
};

static int la_fail(struct la_ctx *c, const char *fmt, ...) UB_PRINTF(2, 3);
static int la_fail(struct la_ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->err || !c->err_sz)
		return -EINVAL;
	n = snprintf(c->err, c->err_sz, "line %d: ", c->line);
	if (n >= 0 && (size_t)n < c->err_sz) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->err_sz - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* ---- tokens ---- */

static bool la_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static bool la_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool la_ident(char ch)
{
	return la_alpha(ch) || la_digit(ch) || ch == '.';
}

/* Characters that glue into one operator ("s>>=", "&==", "<<="); + and -
 * glue only to a following '=', so "+= -4" and "= -r1" split right. */
static bool la_opch(char ch)
{
	return ch && strchr("*/%&|^<>=!", ch) != NULL;
}

static bool la_is(const struct la_tok *t, const char *lit)
{
	size_t n = strlen(lit);
	return t->kind != K_END && t->n == n && memcmp(t->p, lit, n) == 0;
}

/* Words that glue to a following operator: the PREVAIL signed and
 * exchange operators ("s/=", "s8=", "x=", "cx=") and llvm's signed ones. */
static bool la_op_prefix(const char *p, size_t n)
{
	static const char *const pre[] = { "s", "s8", "s16", "s32", "x", "cx" };

	for (size_t k = 0; k < sizeof(pre) / sizeof(pre[0]); k++)
		if (strlen(pre[k]) == n && memcmp(pre[k], p, n) == 0)
			return true;
	return false;
}

static int la_lex(struct la_ctx *c, const char *p, const char *end)
{
	c->nt = 0;
	c->i = 0;
	while (p < end) {
		struct la_tok *t;
		const char *s = p;

		if (ub_text_space(*p)) {
			p++;
			continue;
		}
		if (*p == ';' || *p == '#')
			break;
		if (c->nt >= LA_MAX_TOKS)
			return la_fail(c, "Line too long: more than %d tokens", LA_MAX_TOKS);
		t = &c->t[c->nt++];
		memset(t, 0, sizeof(*t));
		if (la_digit(*p)) {
			unsigned base = 10;
			uint64_t v = 0;

			if (p + 1 < end && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
				base = 16;
				p += 2;
			}
			s = p;
			for (; p < end; p++) {
				unsigned d;

				if (la_digit(*p))
					d = (unsigned)(*p - '0');
				else if (base == 16 && *p >= 'a' && *p <= 'f')
					d = (unsigned)(*p - 'a' + 10);
				else if (base == 16 && *p >= 'A' && *p <= 'F')
					d = (unsigned)(*p - 'A' + 10);
				else
					break;
				if (v > (UINT64_MAX - d) / base)
					return la_fail(c, "Number too large for 64 bits");
				v = v * base + d;
			}
			if (p == s)
				return la_fail(c, "Hex number without digits");
			t->kind = K_NUM;
			t->num = v;
		} else if (la_alpha(*p)) {
			while (p < end && la_ident(*p))
				p++;
			t->kind = K_WORD;
			if (la_op_prefix(s, (size_t)(p - s)) && p < end && la_opch(*p)) {
				while (p < end && la_opch(*p))
					p++;
				t->kind = K_OP;
			} else if ((s[0] == 'r' || s[0] == 'w') && p - s >= 2 && p - s <= 3) {
				unsigned v = 0;
				bool digits = true;

				for (const char *q = s + 1; q < p; q++) {
					if (!la_digit(*q))
						digits = false;
					else
						v = v * 10 + (unsigned)(*q - '0');
				}
				if (digits) {
					if (v > 10)
						return la_fail(c, "Invalid register '%.*s' (r0..r10)",
							       (int)(p - s), s);
					t->kind = K_REG;
					t->reg = (uint8_t)v;
					t->w = s[0] == 'w';
				}
			}
		} else if (*p == '<' && p + 1 < end && la_ident(p[1])) {
			const char *q = p + 1;

			while (q < end && la_ident(*q))
				q++;
			if (q < end && *q == '>') {
				t->kind = K_LABEL;
				t->p = p + 1;
				t->n = (size_t)(q - p - 1);
				p = q + 1;
				continue;
			}
			p++;
			while (p < end && la_opch(*p))
				p++;
			t->kind = K_OP;
		} else if (*p == '+' || *p == '-') {
			p++;
			if (p < end && *p == '=')
				p++;
			t->kind = K_OP;
		} else if (la_opch(*p)) {
			while (p < end && la_opch(*p))
				p++;
			t->kind = K_OP;
		} else if (strchr("()[],:", *p)) {
			p++;
			t->kind = K_PUNCT;
		} else {
			return la_fail(c, "Unexpected character '%c'", *p);
		}
		t->p = s;
		t->n = (size_t)(p - s);
	}
	c->t[c->nt].kind = K_END;
	c->t[c->nt].p = "";
	c->t[c->nt].n = 0;
	return 0;
}

/* ---- token readers: each consumes on success ---- */

static const struct la_tok *la_peek(struct la_ctx *c, size_t k)
{
	return c->i + k <= c->nt ? &c->t[c->i + k] : &c->t[c->nt];
}

static bool la_accept(struct la_ctx *c, const char *lit)
{
	if (!la_is(la_peek(c, 0), lit))
		return false;
	c->i++;
	return true;
}

static int la_expect(struct la_ctx *c, const char *lit)
{
	const struct la_tok *t = la_peek(c, 0);

	if (la_accept(c, lit))
		return 0;
	return la_fail(c, "Expected '%s', got '%.*s'", lit, (int)t->n, t->kind == K_END ? "end of line" : t->p);
}

static int la_reg(struct la_ctx *c, uint8_t *reg, bool *w)
{
	const struct la_tok *t = la_peek(c, 0);

	if (t->kind != K_REG)
		return la_fail(c, "Expected a register, got '%.*s'", (int)t->n,
			       t->kind == K_END ? "end of line" : t->p);
	*reg = t->reg;
	if (w)
		*w = t->w;
	c->i++;
	return 0;
}

/* An optionally signed number: the value, as a 64-bit pattern, and
 * whether it lies in [lo, hi] read as a signed value or (for positive
 * magnitudes past INT64_MAX) as unsigned. */
static int la_num(struct la_ctx *c, int64_t *v, bool *big)
{
	bool neg = false;
	const struct la_tok *t;

	if (la_accept(c, "-"))
		neg = true;
	else
		la_accept(c, "+");
	t = la_peek(c, 0);
	if (t->kind != K_NUM)
		return la_fail(c, "Expected a number, got '%.*s'", (int)t->n,
			       t->kind == K_END ? "end of line" : t->p);
	if (neg && t->num > (uint64_t)INT64_MAX + 1)
		return la_fail(c, "Number -%llu is out of range for 64 bits", (unsigned long long)t->num);
	*v = (int64_t)(neg ? 0 - t->num : t->num);
	*big = !neg && t->num > (uint64_t)INT64_MAX;
	c->i++;
	return 0;
}

/* A number within [lo, hi] (a value past INT64_MAX is above any hi). */
static int la_ranged(struct la_ctx *c, int64_t lo, int64_t hi, const char *what, int64_t *v)
{
	bool big;
	int err = la_num(c, v, &big);

	if (err)
		return err;
	if (big || *v < lo || *v > hi)
		return la_fail(c, "%s %lld is out of range (%lld..%lld)", what,
			       big ? (long long)-1 : (long long)*v, (long long)lo, (long long)hi);
	return 0;
}

/* An immediate: a signed 32-bit value or a 32-bit pattern (0xffffffff
 * is -1), which 64-bit operations sign-extend. */
static int la_imm(struct la_ctx *c, int32_t *imm)
{
	int64_t v;
	int err = la_ranged(c, INT32_MIN, (int64_t)UINT32_MAX, "Immediate", &v);

	if (!err)
		*imm = (int32_t)(uint32_t)(uint64_t)v;
	return err;
}

/* "r1 + 8", "r1 - 8", "r1": a base register and a 16-bit offset. */
static int la_memexpr(struct la_ctx *c, uint8_t *reg, int16_t *off)
{
	int64_t v = 0;
	bool neg = false;
	int err = la_reg(c, reg, NULL);

	if (err)
		return err;
	if (la_accept(c, "-"))
		neg = true;
	else if (!la_accept(c, "+"))
		goto done;
	err = la_ranged(c, 0, 32768, "Offset", &v);
	if (err)
		return err;
	if (neg)
		v = -v;
	if (v > INT16_MAX)
		return la_fail(c, "Offset %lld is out of range (-32768..32767)", (long long)v);
done:
	*off = (int16_t)v;
	return 0;
}

/* "(u32 *)" or "(s8 *)": the access size in bytes and signedness. */
static int la_sizecast(struct la_ctx *c, int *bytes, bool *sign)
{
	const struct la_tok *t;
	int err = la_expect(c, "(");

	if (err)
		return err;
	t = la_peek(c, 0);
	if (t->kind != K_WORD || t->n < 2 || (t->p[0] != 'u' && t->p[0] != 's'))
		return la_fail(c, "Expected u8, u16, u32 or u64 in the cast");
	*sign = t->p[0] == 's';
	if (la_is(t, "u8") || la_is(t, "s8"))
		*bytes = 1;
	else if (la_is(t, "u16") || la_is(t, "s16"))
		*bytes = 2;
	else if (la_is(t, "u32") || la_is(t, "s32"))
		*bytes = 4;
	else if (la_is(t, "u64") || la_is(t, "s64"))
		*bytes = 8;
	else
		return la_fail(c, "Unknown access size '%.*s'", (int)t->n, t->p);
	c->i++;
	if ((err = la_expect(c, "*")) || (err = la_expect(c, ")")))
		return err;
	return 0;
}

/* "*(u32 *)(r1 + 8)" after the leading '*'. */
static int la_memop(struct la_ctx *c, int *bytes, bool *sign, uint8_t *reg, int16_t *off)
{
	int err = la_sizecast(c, bytes, sign);

	if (!err)
		err = la_expect(c, "(");
	if (!err)
		err = la_memexpr(c, reg, off);
	if (!err)
		err = la_expect(c, ")");
	return err;
}

static int la_end_of_line(struct la_ctx *c)
{
	const struct la_tok *t = la_peek(c, 0);

	if (t->kind == K_END)
		return 0;
	return la_fail(c, "Unexpected '%.*s' after the instruction", (int)t->n, t->p);
}

/* ---- the table ---- */

/* The row of operand shape fmt and width (bits or bytes, < 0: any) whose
 * sym (llvm's operator) or asm word equals the given one (NULL: any). */
static int la_row(int fmt, int width, const char *sym, const char *word)
{
	for (int op = 0; op < UB_OP__COUNT; op++) {
		const struct ub_opinfo *oi = &ub_opinfo[op];

		if (oi->fmt != fmt || (width >= 0 && oi->width != width))
			continue;
		if (sym && strcmp(oi->sym, sym))
			continue;
		if (word && strcmp(oi->asm_name, word))
			continue;
		return op;
	}
	return -1;
}

static int la_row_src(int fmt, int src)
{
	for (int op = 0; op < UB_OP__COUNT; op++)
		if (ub_opinfo[op].fmt == fmt && ub_opinfo[op].vkind == V_SRC && ub_opinfo[op].vval == src)
			return op;
	return -1;
}

/* Appends the slot(s) of row op; the variant field comes from the row. */
static int la_emit(struct la_ctx *c, int op, uint8_t dst, uint8_t src, int16_t off, int32_t imm,
		   int64_t imm64)
{
	const struct ub_opinfo *oi = &ub_opinfo[op];
	bool wide = oi->fmt == F_LDDW;
	struct userbpf_insn *in;
	struct userbpf_insn *p;

	if (c->cnt + 2 > UB_MAX_INSNS)
		return la_fail(c, "Program too long (more than %u slots)", UB_MAX_INSNS);
	p = ub_text_grow(c->out, &c->cap, c->cnt + 2, sizeof(*c->out));
	if (!p)
		return -ENOMEM;
	c->out = p;
	in = &c->out[c->cnt];
	memset(in, 0, 2 * sizeof(*in));
	in->code = oi->code;
	in->dst_reg = dst & 0xf;
	in->src_reg = src & 0xf;
	in->off = off;
	in->imm = imm;
	switch (oi->vkind) {
	case V_OFF: in->off = (int16_t)oi->vval; break;
	case V_IMM: in->imm = oi->vval; break;
	case V_SRC: in->src_reg = (uint8_t)(oi->vval & 0xf); break;
	default: break;
	}
	if (wide) {
		in[0].imm = (int32_t)(uint32_t)(uint64_t)imm64;
		in[1].imm = (int32_t)(uint32_t)((uint64_t)imm64 >> 32);
	}
	c->cnt += wide ? 2 : 1;
	return 0;
}

/* A jump or call target: "+N"/"-N" (relative, put now) or a label (fixed
 * up at the end).  The instruction is the last one emitted. */
static int la_target(struct la_ctx *c, bool imm)
{
	const struct la_tok *t = la_peek(c, 0);
	struct userbpf_insn *in = &c->out[c->cnt - 1];
	struct la_fix *f;
	int64_t v;
	int err;

	if (t->kind == K_LABEL || t->kind == K_WORD) {
		f = ub_text_grow(c->fixes, &c->capfixes, c->nfixes + 1, sizeof(*c->fixes));
		if (!f)
			return -ENOMEM;
		c->fixes = f;
		f = &c->fixes[c->nfixes++];
		f->name = t->p;
		f->n = t->n;
		f->slot = c->cnt - 1;
		f->line = c->line;
		f->imm = imm;
		c->i++;
		return 0;
	}
	err = imm ? la_ranged(c, INT32_MIN, INT32_MAX, "Target", &v)
		  : la_ranged(c, INT16_MIN, INT16_MAX, "Jump offset", &v);
	if (err)
		return err;
	if (imm)
		in->imm = (int32_t)v;
	else
		in->off = (int16_t)v;
	return 0;
}

/* ---- instruction shapes ---- */

/* `if rD OP rS|IMM goto T`; PREVAIL spells jset "&==". */
static int la_if(struct la_ctx *c)
{
	const struct la_tok *opt;
	uint8_t dst = 0, src = 0;
	bool w;
	int32_t imm = 0;
	char sym[8];
	int op, err;

	if ((err = la_reg(c, &dst, &w)))
		return err;
	opt = la_peek(c, 0);
	if (opt->kind != K_OP || opt->n >= sizeof(sym))
		return la_fail(c, "Expected a comparison after the register");
	memcpy(sym, opt->p, opt->n);
	sym[opt->n] = '\0';
	if (!strcmp(sym, "&=="))
		strcpy(sym, "&");
	c->i++;
	if (la_peek(c, 0)->kind == K_REG) {
		if ((err = la_reg(c, &src, NULL)))
			return err;
		op = la_row(F_JMP_X, w ? 32 : 64, sym, NULL);
	} else {
		if ((err = la_imm(c, &imm)))
			return err;
		op = la_row(F_JMP_K, w ? 32 : 64, sym, NULL);
	}
	if (op < 0)
		return la_fail(c, "Unknown comparison '%s'", sym);
	if ((err = la_expect(c, "goto")))
		return err;
	if ((err = la_emit(c, op, dst, src, 0, imm, 0)))
		return err;
	return la_target(c, false);
}

/* lock *(uN *)(rD + off) OP rS [fetch] (PREVAIL: x= and cx= too). */
static int la_lock(struct la_ctx *c)
{
	int bytes, op, err;
	bool sign, fetch;
	uint8_t dst = 0, src = 0;
	int16_t off;
	const struct la_tok *opt;
	char sym[8], word[24];

	if ((err = la_expect(c, "*")) || (err = la_memop(c, &bytes, &sign, &dst, &off)))
		return err;
	opt = la_peek(c, 0);
	if (sign || opt->kind != K_OP || opt->n >= sizeof(sym))
		return la_fail(c, "Expected an atomic operator such as += after the memory operand");
	memcpy(sym, opt->p, opt->n);
	sym[opt->n] = '\0';
	c->i++;
	if ((err = la_reg(c, &src, NULL)))
		return err;
	fetch = la_accept(c, "fetch");
	if (!strcmp(sym, "x=") || !strcmp(sym, "cx=")) {
		op = la_row(F_ATOMIC, bytes, NULL, sym[0] == 'x' ? "xchg" : "cmpxchg");
	} else {
		op = -1;
		for (int k = 0; k < UB_OP__COUNT && op < 0; k++) {
			const struct ub_opinfo *oi = &ub_opinfo[k];
			bool rowfetch = !strncmp(oi->asm_name, "fetch ", 6);

			if (oi->fmt == F_ATOMIC && oi->width == bytes && !strcmp(oi->sym, sym) &&
			    rowfetch == fetch)
				op = k;
		}
	}
	snprintf(word, sizeof(word), "%s", sym);
	if (op < 0)
		return la_fail(c, "No %d-byte atomic '%s'%s", bytes, word, fetch ? " with fetch" : "");
	if ((err = la_emit(c, op, dst, src, off, 0, 0)))
		return err;
	return la_end_of_line(c);
}

/* *(uN *)(rD + off) = rS | IMM */
static int la_store(struct la_ctx *c)
{
	int bytes, op, err;
	bool sign;
	uint8_t dst = 0, src = 0;
	int16_t off;
	int32_t imm = 0;

	if ((err = la_memop(c, &bytes, &sign, &dst, &off)) || (err = la_expect(c, "=")))
		return err;
	if (sign)
		return la_fail(c, "Stores take (uN *), not (sN *)");
	if (la_peek(c, 0)->kind == K_REG) {
		if ((err = la_reg(c, &src, NULL)))
			return err;
		op = la_row(F_STX, bytes, NULL, NULL);
	} else {
		if ((err = la_imm(c, &imm)))
			return err;
		op = la_row(F_ST, bytes, NULL, NULL);
	}
	if (op < 0)
		return la_fail(c, "No %d-byte store", bytes);
	if ((err = la_emit(c, op, dst, src, off, imm, 0)))
		return err;
	return la_end_of_line(c);
}

/* llvm's atomics with a result: `rS = atomic_fetch_add((u64 *)(rD + off),
 * rS)`, `rS = xchg_64(rD + off, rS)`, `r0 = cmpxchg_64(rD + off, r0, rS)`
 * (32-bit: xchg32_32, cmpxchg32_32, w registers). */
static int la_atomic_call(struct la_ctx *c, uint8_t res, const struct la_tok *fn)
{
	int bytes = 8, op, err;
	bool sign;
	uint8_t dst = 0, src = 0, r0 = 0;
	int16_t off;
	char word[24];

	c->i++;
	if (fn->n > 13 && !memcmp(fn->p, "atomic_fetch_", 13)) {
		if (fn->n - 13 > 10)
			return la_fail(c, "Unknown atomic '%.*s'", (int)fn->n, fn->p);
		snprintf(word, sizeof(word), "fetch %.*s", (int)(fn->n - 13), fn->p + 13);
		if ((err = la_expect(c, "(")) || (err = la_memop(c, &bytes, &sign, &dst, &off)))
			return err;
		if (sign)
			return la_fail(c, "Atomics take (uN *), not (sN *)");
	} else {
		bool cmp = la_is(fn, "cmpxchg_64") || la_is(fn, "cmpxchg32_32");

		if (!cmp && !la_is(fn, "xchg_64") && !la_is(fn, "xchg32_32"))
			return la_fail(c, "Unknown function '%.*s'", (int)fn->n, fn->p);
		bytes = fn->p[fn->n - 1] == '2' ? 4 : 8;
		snprintf(word, sizeof(word), "%s", cmp ? "cmpxchg" : "xchg");
		if ((err = la_expect(c, "(")) || (err = la_memexpr(c, &dst, &off)))
			return err;
		if (cmp) {
			if ((err = la_expect(c, ",")) || (err = la_reg(c, &r0, NULL)))
				return err;
			if (r0 != 0 || res != 0)
				return la_fail(c, "cmpxchg compares with and returns in r0");
		}
	}
	if ((err = la_expect(c, ",")) || (err = la_reg(c, &src, NULL)) || (err = la_expect(c, ")")))
		return err;
	if (strcmp(word, "cmpxchg") && src != res)
		return la_fail(c, "The result register of an atomic must be its source register");
	op = la_row(F_ATOMIC, bytes, NULL, word);
	if (op < 0)
		return la_fail(c, "No %d-byte atomic '%s'", bytes, word);
	if ((err = la_emit(c, op, dst, src, off, 0, 0)))
		return err;
	return la_end_of_line(c);
}

/* PREVAIL's map loads: `map_fd N`, `map_by_idx(N)`, `map_val(N) + off`,
 * `mva(map_by_idx(N)) + off`: lddw with a pseudo source. */
static int la_map_load(struct la_ctx *c, uint8_t dst, const struct la_tok *fn)
{
	int64_t n, off = 0;
	int src, err;
	bool value = false;

	c->i++;
	if (la_is(fn, "map_fd")) {
		src = 1;
		if ((err = la_ranged(c, INT32_MIN, INT32_MAX, "Map fd", &n)))
			return err;
	} else if (la_is(fn, "map_by_idx")) {
		src = 5;
		if ((err = la_expect(c, "(")) || (err = la_ranged(c, 0, INT32_MAX, "Map index", &n)) ||
		    (err = la_expect(c, ")")))
			return err;
	} else if (la_is(fn, "map_val")) {
		src = 2;
		value = true;
		if ((err = la_expect(c, "(")) || (err = la_ranged(c, INT32_MIN, INT32_MAX, "Map fd", &n)) ||
		    (err = la_expect(c, ")")))
			return err;
	} else {
		src = 6;
		value = true;
		if ((err = la_expect(c, "(")) || (err = la_expect(c, "map_by_idx")) ||
		    (err = la_expect(c, "(")) || (err = la_ranged(c, 0, INT32_MAX, "Map index", &n)) ||
		    (err = la_expect(c, ")")) || (err = la_expect(c, ")")))
			return err;
	}
	if (value && la_peek(c, 0)->kind != K_END) {
		bool neg = la_accept(c, "-");

		if (!neg && (err = la_expect(c, "+")))
			return err;
		if ((err = la_ranged(c, 0, INT32_MAX, "Value offset", &off)))
			return err;
		if (neg)
			off = -off;
	}
	err = la_emit(c, la_row_src(F_LDDW, src), dst, 0, 0, 0,
		      (int64_t)(((uint64_t)(uint32_t)off << 32) | (uint32_t)n));
	return err ? err : la_end_of_line(c);
}

/* Everything after `rD =`. */
static int la_assign(struct la_ctx *c, uint8_t dst, bool w)
{
	const struct la_tok *t = la_peek(c, 0);
	int bits = w ? 32 : 64, op, err;
	uint8_t src = 0;
	bool sw;

	if (t->kind == K_REG) {		/* mov */
		if ((err = la_reg(c, &src, NULL)))
			return err;
		if ((err = la_emit(c, la_row(F_ALU_X, bits, "=", NULL), dst, src, 0, 0, 0)))
			return err;
		return la_end_of_line(c);
	}
	if (la_is(t, "-") && la_peek(c, 1)->kind == K_REG) {	/* neg */
		c->i++;
		if ((err = la_reg(c, &src, NULL)))
			return err;
		if (src != dst)
			return la_fail(c, "Negation works in place: r%u = -r%u", dst, dst);
		if ((err = la_emit(c, la_row(F_NEG, bits, NULL, NULL), dst, 0, 0, 0, 0)))
			return err;
		return la_end_of_line(c);
	}
	if (t->kind == K_NUM || la_is(t, "-") || la_is(t, "+")) {	/* mov imm, lddw */
		int64_t v;
		bool big;

		if ((err = la_num(c, &v, &big)))
			return err;
		if (la_accept(c, "ll")) {
			if (w)
				return la_fail(c, "lddw loads a 64-bit register: write r%u", dst);
			err = la_emit(c, la_row_src(F_LDDW, 0), dst, 0, 0, 0, v);
		} else {
			if (big || v < INT32_MIN || v > (int64_t)UINT32_MAX)
				return la_fail(c, "Immediate is out of range for 32 bits (write `ll` for lddw)");
			err = la_emit(c, la_row(F_ALU_K, bits, "=", NULL), dst, 0, 0,
				      (int32_t)(uint32_t)(uint64_t)v, 0);
		}
		return err ? err : la_end_of_line(c);
	}
	if (la_is(t, "(")) {		/* movsx: (s8)rS */
		const struct la_tok *ty = la_peek(c, 1);
		int sbits = la_is(ty, "s8") ? 8 : la_is(ty, "s16") ? 16 : la_is(ty, "s32") ? 32 : 0;

		if (!sbits)
			return la_fail(c, "Expected (s8), (s16) or (s32)");
		c->i += 2;
		if ((err = la_expect(c, ")")) || (err = la_reg(c, &src, NULL)))
			return err;
		op = -1;
		for (int k = 0; k < UB_OP__COUNT && op < 0; k++)
			if (ub_opinfo[k].fmt == F_MOVSX && ub_opinfo[k].width == bits &&
			    ub_opinfo[k].vval == sbits)
				op = k;
		if (op < 0)
			return la_fail(c, "No %d-bit sign extension from %d bits", bits, sbits);
		if ((err = la_emit(c, op, dst, src, 0, 0, 0)))
			return err;
		return la_end_of_line(c);
	}
	if (la_accept(c, "*")) {	/* loads */
		int bytes;
		bool sign;
		int16_t off = 0;
		int32_t imm = 0;

		if ((err = la_sizecast(c, &bytes, &sign)))
			return err;
		if (la_accept(c, "skb")) {
			bool ind;

			if (sign || dst != 0)
				return la_fail(c, "Packet loads write r0 and take (uN *)");
			if ((err = la_expect(c, "[")))
				return err;
			ind = la_peek(c, 0)->kind == K_REG;
			src = 0;
			if (ind)
				err = la_reg(c, &src, NULL);
			else
				err = la_imm(c, &imm);
			if (err || (err = la_expect(c, "]")))
				return err;
			op = la_row(ind ? F_LDIND : F_LDABS, bytes, NULL, NULL);
			if (op < 0)
				return la_fail(c, "No %d-byte packet load", bytes);
			err = la_emit(c, op, 0, src, 0, imm, 0);
			return err ? err : la_end_of_line(c);
		}
		if ((err = la_expect(c, "(")) || (err = la_memexpr(c, &src, &off)) ||
		    (err = la_expect(c, ")")))
			return err;
		op = la_row(sign ? F_LDXS : F_LDX, bytes, NULL, NULL);
		if (op < 0)
			return la_fail(c, "No %d-byte %s load", bytes, sign ? "sign-extending" : "");
		if ((err = la_emit(c, op, dst, src, off, 0, 0)))
			return err;
		return la_end_of_line(c);
	}
	if (t->kind == K_WORD) {
		static const struct { const char *text, *row; int fmt; } swaps[] = {
			{ "be16", "be16", F_END }, { "be32", "be32", F_END }, { "be64", "be64", F_END },
			{ "le16", "le16", F_END }, { "le32", "le32", F_END }, { "le64", "le64", F_END },
			{ "bswap16", "bswap16", F_BSWAP }, { "bswap32", "bswap32", F_BSWAP },
			{ "bswap64", "bswap64", F_BSWAP },
			/* PREVAIL's names for the unconditional swaps */
			{ "swap16", "bswap16", F_BSWAP }, { "swap32", "bswap32", F_BSWAP },
			{ "swap64", "bswap64", F_BSWAP },
		};

		for (size_t k = 0; k < sizeof(swaps) / sizeof(swaps[0]); k++) {
			if (!la_is(t, swaps[k].text))
				continue;
			c->i++;
			if ((err = la_reg(c, &src, &sw)))
				return err;
			if (src != dst)
				return la_fail(c, "Byte swaps work in place: r%u = %s r%u", dst, swaps[k].text, dst);
			if ((err = la_emit(c, la_row(swaps[k].fmt, -1, NULL, swaps[k].row), dst, 0, 0, 0, 0)))
				return err;
			return la_end_of_line(c);
		}
		if (la_is(t, "map_fd") || la_is(t, "map_by_idx") || la_is(t, "map_val") || la_is(t, "mva")) {
			if (w)
				return la_fail(c, "Map loads write a 64-bit register");
			return la_map_load(c, dst, t);
		}
		return la_atomic_call(c, dst, t);
	}
	return la_fail(c, "Cannot read the right-hand side '%.*s'", (int)t->n,
		       t->kind == K_END ? "end of line" : t->p);
}

/* `rD OP= rS|IMM`, `rD = ...`, PREVAIL's `rD s8= rS`. */
static int la_reg_line(struct la_ctx *c)
{
	const struct la_tok *opt;
	uint8_t dst = 0, src = 0;
	bool w;
	int32_t imm;
	char sym[8];
	int op, err;

	if ((err = la_reg(c, &dst, &w)))
		return err;
	opt = la_peek(c, 0);
	if (opt->kind != K_OP || opt->n >= sizeof(sym))
		return la_fail(c, "Expected an assignment operator after the register");
	memcpy(sym, opt->p, opt->n);
	sym[opt->n] = '\0';
	c->i++;
	if (!strcmp(sym, "="))
		return la_assign(c, dst, w);
	if (!strcmp(sym, "s8=") || !strcmp(sym, "s16=") || !strcmp(sym, "s32=")) {
		int sbits = atoi(sym + 1);

		/* PREVAIL's `w2 s32= r2` has no encoding of its own: sign
		 * extension from 32 bits into 32 bits is the 32-bit move */
		if (w && sbits == 32) {
			if ((err = la_reg(c, &src, NULL)) ||
			    (err = la_emit(c, la_row(F_ALU_X, 32, "=", NULL), dst, src, 0, 0, 0)))
				return err;
			return la_end_of_line(c);
		}
		op = -1;
		for (int k = 0; k < UB_OP__COUNT && op < 0; k++)
			if (ub_opinfo[k].fmt == F_MOVSX && ub_opinfo[k].width == (w ? 32 : 64) &&
			    ub_opinfo[k].vval == sbits)
				op = k;
		if (op < 0)
			return la_fail(c, "No %d-bit sign extension from %d bits", w ? 32 : 64, sbits);
		if ((err = la_reg(c, &src, NULL)) || (err = la_emit(c, op, dst, src, 0, 0, 0)))
			return err;
		return la_end_of_line(c);
	}
	if (la_peek(c, 0)->kind == K_REG) {
		if ((err = la_reg(c, &src, NULL)))
			return err;
		op = la_row(F_ALU_X, w ? 32 : 64, sym, NULL);
		imm = 0;
	} else {
		if ((err = la_imm(c, &imm)))
			return err;
		op = la_row(F_ALU_K, w ? 32 : 64, sym, NULL);
		src = 0;
	}
	if (op < 0)
		return la_fail(c, "Unknown operator '%s'", sym);
	if ((err = la_emit(c, op, dst, src, 0, imm, 0)))
		return err;
	return la_end_of_line(c);
}

static int la_label_def(struct la_ctx *c, const struct la_tok *t)
{
	struct la_label *l;

	for (size_t k = 0; k < c->nlabels; k++)
		if (c->labels[k].n == t->n && !memcmp(c->labels[k].name, t->p, t->n))
			return la_fail(c, "Label '%.*s' is defined twice", (int)t->n, t->p);
	l = ub_text_grow(c->labels, &c->caplabels, c->nlabels + 1, sizeof(*c->labels));
	if (!l)
		return -ENOMEM;
	c->labels = l;
	l = &c->labels[c->nlabels++];
	l->name = t->p;
	l->n = t->n;
	l->slot = c->cnt;
	return 0;
}

static int la_line(struct la_ctx *c, const char *p, const char *end)
{
	const struct la_tok *t;
	int err = la_lex(c, p, end);
	int op;

	if (err || c->nt == 0)
		return err;
	t = &c->t[0];
	if (c->nt == 2 && (t->kind == K_LABEL || t->kind == K_WORD) && la_is(&c->t[1], ":"))
		return la_label_def(c, t);
	if (t->kind == K_REG)
		return la_reg_line(c);
	c->i = 1;
	if (la_is(t, "exit")) {
		err = la_emit(c, la_row(F_EXIT, -1, NULL, NULL), 0, 0, 0, 0, 0);
		return err ? err : la_end_of_line(c);
	}
	if (la_is(t, "goto") || la_is(t, "gotol")) {
		bool l = t->n == 5;

		if ((err = la_emit(c, la_row(l ? F_JA32 : F_JA, -1, NULL, NULL), 0, 0, 0, 0, 0)) ||
		    (err = la_target(c, l)))
			return err;
		return la_end_of_line(c);
	}
	if (la_is(t, "if"))
		return (err = la_if(c)) ? err : la_end_of_line(c);
	if (la_is(t, "call")) {
		const struct la_tok *a = la_peek(c, 0);

		if (a->kind == K_NUM || ((la_is(a, "-") || la_is(a, "+")) && la_peek(c, 1)->kind == K_NUM)) {
			int32_t imm;

			if ((err = la_imm(c, &imm)) ||
			    (err = la_emit(c, la_row(F_CALL, -1, NULL, NULL), 0, 0, 0, imm, 0)))
				return err;
		} else if ((err = la_emit(c, la_row(F_CALL_LOCAL, -1, NULL, NULL), 0, 0, 0, 0, 0)) ||
			   (err = la_target(c, true))) {
			return err;
		}
		return la_end_of_line(c);
	}
	if (la_is(t, "callx")) {
		uint8_t r = 0;

		if ((err = la_reg(c, &r, NULL)) ||
		    (err = la_emit(c, la_row(F_CALLX, -1, NULL, NULL), r, 0, 0, 0, 0)))
			return err;
		return la_end_of_line(c);
	}
	if (la_is(t, "lock"))
		return la_lock(c);
	if (la_is(t, "*"))
		return la_store(c);
	if (la_is(t, "ld_pseudo")) {	/* our disassembler's text for pseudo lddw */
		uint8_t dst = 0;
		int64_t src, v;
		bool big;

		if ((err = la_reg(c, &dst, NULL)) || (err = la_expect(c, ",")) ||
		    (err = la_ranged(c, 0, 15, "Pseudo source", &src)) || (err = la_expect(c, ",")) ||
		    (err = la_num(c, &v, &big)))
			return err;
		op = la_row_src(F_LDDW, (int)src);
		if (op < 0)
			return la_fail(c, "Unknown lddw pseudo source %lld", (long long)src);
		err = la_emit(c, op, dst, 0, 0, 0, v);
		return err ? err : la_end_of_line(c);
	}
	return la_fail(c, "Unknown instruction '%.*s'", (int)t->n, t->p);
}

static int la_resolve(struct la_ctx *c)
{
	for (size_t f = 0; f < c->nfixes; f++) {
		const struct la_fix *fx = &c->fixes[f];
		struct userbpf_insn *in = &c->out[fx->slot];
		const struct la_label *l = NULL;
		int64_t rel;

		for (size_t k = 0; k < c->nlabels && !l; k++)
			if (c->labels[k].n == fx->n && !memcmp(c->labels[k].name, fx->name, fx->n))
				l = &c->labels[k];
		c->line = fx->line;
		if (!l)
			return la_fail(c, "Unknown label '%.*s'", (int)fx->n, fx->name);
		rel = (int64_t)l->slot - (int64_t)fx->slot - 1;
		if (fx->imm) {
			in->imm = (int32_t)rel;	/* |rel| < UB_MAX_INSNS */
		} else {
			if (rel < INT16_MIN || rel > INT16_MAX)
				return la_fail(c, "Label '%.*s' is out of reach of a 16-bit offset",
					       (int)fx->n, fx->name);
			in->off = (int16_t)rel;
		}
	}
	return 0;
}

int ub_asm_llvm(const char *text, struct userbpf_insn **out, size_t *cnt, char *err, size_t err_sz)
{
	struct la_ctx *c;
	const char *p, *end;
	int ret = 0;

	if (err && err_sz)
		err[0] = '\0';
	if (out)
		*out = NULL;
	if (cnt)
		*cnt = 0;
	if (!text || !out || !cnt) {
		if (err && err_sz)
			snprintf(err, err_sz, "invalid arguments");
		return -EINVAL;
	}
	*out = NULL;
	*cnt = 0;
	c = calloc(1, sizeof(*c));
	if (!c) {
		if (err && err_sz)
			snprintf(err, err_sz, "out of memory");
		return -ENOMEM;
	}
	c->err = err;
	c->err_sz = err_sz;
	p = text;
	end = text + strlen(text);
	while (p < end && !ret) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		c->line++;
		ret = la_line(c, p, le);
		p = nl ? nl + 1 : end;
	}
	if (!ret && c->cnt == 0)
		ret = la_fail(c, "Empty program: no instructions");
	if (!ret)
		ret = la_resolve(c);
	if (ret == -ENOMEM)
		la_fail(c, "Out of memory");
	free(c->labels);
	free(c->fixes);
	if (ret) {
		free(c->out);
	} else {
		*out = c->out;
		*cnt = c->cnt;
	}
	free(c);
	return ret;
}
