/* SPDX-License-Identifier: MIT */
/*
 * asm.c - unit tests of the bpf_conformance assembler (src/isa/asm.c).
 *
 * Every row of the opcode table is spelled in assembly, assembled and
 * decoded back, so a row the assembler cannot reach, or reaches with the
 * wrong variant or operand placement, fails here.  Hand-written byte
 * encodings pin the layout independently of the table; labels and every
 * class of error are checked with the message they must carry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "testlib.h"
#include "isa/isa_internal.h"

/* Assembles text; returns the slot count or -1 (message in err). */
static long as(const char *text, struct userbpf_insn **out, char *err, size_t err_sz)
{
	size_t cnt = 0;
	int rc = userbpf_asm(text, out, &cnt, err, err_sz);

	return rc ? -1 : (long)cnt;
}

/* A test name shows the text on one line. */
static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

/* Checks that text assembles to exactly the bytes given. */
static void check_bytes(const char *text, const uint8_t *want, size_t want_len)
{
	struct userbpf_insn *p = NULL;
	char err[256], name[160];
	long n = as(text, &p, err, sizeof(err));

	snprintf(name, sizeof(name), "asm bytes: %s", text);
	one_line(name);
	if (n < 0) {
		tl_fail(name, "refused: %s", err);
	} else if ((size_t)n * 8 != want_len || memcmp(p, want, want_len) != 0) {
		const uint8_t *b = (const uint8_t *)p;
		char got[200] = "";
		for (long i = 0; i < n * 8 && i < 16; i++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%02x ", b[i]);
		tl_fail(name, "got %s(%ld slots)", got, n);
	} else {
		tl_ok(name);
	}
	free(p);
}

#define BYTES(text, ...)                                                       \
	do {                                                                   \
		static const uint8_t _w[] = { __VA_ARGS__ };                   \
		check_bytes(text, _w, sizeof(_w));                             \
	} while (0)

/* Checks that text is refused with a message holding `says` on `line`. */
static void check_error(const char *label, const char *text, int line, const char *says)
{
	struct userbpf_insn *p = (struct userbpf_insn *)&p; /* must be reset */
	char err[256], name[200], prefix[32];
	size_t cnt = 99;
	int rc = userbpf_asm(text, &p, &cnt, err, sizeof(err));

	snprintf(name, sizeof(name), "asm error: %s", label);
	snprintf(prefix, sizeof(prefix), "line %d: ", line);
	if (rc == 0)
		tl_fail(name, "accepted (%zu slots)", cnt);
	else if (rc != -EINVAL)
		tl_fail(name, "returned %d, expected -EINVAL", rc);
	else if (p != NULL || cnt != 0)
		tl_fail(name, "outputs not reset on failure");
	else if (strncmp(err, prefix, strlen(prefix)) != 0)
		tl_fail(name, "message '%s' does not start with '%s'", err, prefix);
	else if (!strstr(err, says))
		tl_fail(name, "message '%s' lacks '%s'", err, says);
	else
		tl_ok(name);
	if (rc == 0)
		free(p);
}

/* Assembles the table row `op` spelled in text and checks it decodes back
 * to the same row with the operands in the right fields. */
static void round_trip(int op)
{
	const struct ub_opinfo *oi = &ub_opinfo[op];
	const char *nm = oi->asm_name;
	char text[128], name[160], err[256], why[128];
	struct userbpf_insn *p = NULL, want;
	long n;
	int got;

	memset(&want, 0, sizeof(want));
	want.code = oi->code;
	switch (oi->vkind) {
	case V_OFF: want.off = (int16_t)oi->vval; break;
	case V_IMM: want.imm = oi->vval; break;
	case V_SRC: want.src_reg = (uint8_t)oi->vval; break;
	default: break;
	}
	switch (oi->fmt) {
	case F_LDDW:
		snprintf(text, sizeof(text), "%s %%r3, 0x1122334455667788", nm);
		want.dst_reg = 3;
		want.imm = 0x55667788;
		break;
	case F_LDABS:
		snprintf(text, sizeof(text), "%s 0x10", nm);
		want.imm = 0x10;
		break;
	case F_LDIND:
		snprintf(text, sizeof(text), "%s %%r2, 16", nm);
		want.src_reg = 2;
		want.imm = 16;
		break;
	case F_LDX: case F_LDXS:
		snprintf(text, sizeof(text), "%s %%r3, [%%r2-8]", nm);
		want.dst_reg = 3;
		want.src_reg = 2;
		want.off = -8;
		break;
	case F_ST:
		snprintf(text, sizeof(text), "%s [%%r3+4], 0x7f", nm);
		want.dst_reg = 3;
		want.off = 4;
		want.imm = 0x7f;
		break;
	case F_STX:
		snprintf(text, sizeof(text), "%s [%%r3+4], %%r2", nm);
		want.dst_reg = 3;
		want.src_reg = 2;
		want.off = 4;
		break;
	case F_ATOMIC:
		snprintf(text, sizeof(text), "lock %s%s [%%r10-16], %%r9", nm,
			 oi->width == 4 ? "32" : "");
		want.dst_reg = 10;
		want.src_reg = 9;
		want.off = -16;
		break;
	case F_ALU_K:
		snprintf(text, sizeof(text), "%s %%r3, -5", nm);
		want.dst_reg = 3;
		want.imm = -5;
		break;
	case F_ALU_X: case F_MOVSX:
		snprintf(text, sizeof(text), "%s %%r3, %%r10", nm);
		want.dst_reg = 3;
		want.src_reg = 10;
		break;
	case F_NEG: case F_END: case F_BSWAP:
		snprintf(text, sizeof(text), "%s %%r7", nm);
		want.dst_reg = 7;
		break;
	case F_JA:
		snprintf(text, sizeof(text), "%s +2", nm);
		want.off = 2;
		break;
	case F_JA32:
		snprintf(text, sizeof(text), "%s -300000", nm);
		want.imm = -300000;
		break;
	case F_JMP_K:
		snprintf(text, sizeof(text), "%s %%r3, 0xffffffff, -4", nm);
		want.dst_reg = 3;
		want.imm = -1;
		want.off = -4;
		break;
	case F_JMP_X:
		snprintf(text, sizeof(text), "%s %%r3, %%r2, +7", nm);
		want.dst_reg = 3;
		want.src_reg = 2;
		want.off = 7;
		break;
	case F_CALL: case F_CALL_KFUNC:
		snprintf(text, sizeof(text), "%s 5", nm);
		want.imm = 5;
		break;
	case F_CALL_LOCAL:
		snprintf(text, sizeof(text), "%s +3", nm);
		want.imm = 3;
		break;
	case F_CALLX:
		snprintf(text, sizeof(text), "%s %%r4", nm);
		want.dst_reg = 4;
		break;
	case F_EXIT:
		snprintf(text, sizeof(text), "%s", nm);
		break;
	default:
		snprintf(name, sizeof(name), "asm round trip %s", oi->id);
		tl_fail(name, "no spelling written for format %d", oi->fmt);
		return;
	}
	snprintf(name, sizeof(name), "asm round trip %s: %s", oi->id, text);
	n = as(text, &p, err, sizeof(err));
	if (n < 0) {
		tl_fail(name, "refused: %s", err);
		return;
	}
	got = ub_decode_op(p, why, sizeof(why));
	if (n != (oi->fmt == F_LDDW ? 2 : 1))
		tl_fail(name, "%ld slots", n);
	else if (got != op)
		tl_fail(name, "decodes to %s (%s)", got >= 0 ? ub_opinfo[got].id : "nothing", why);
	else if (memcmp(p, &want, sizeof(want)) != 0)
		tl_fail(name, "fields: code 0x%02x dst %u src %u off %d imm %d", p->code,
			p->dst_reg, p->src_reg, p->off, p->imm);
	else if (oi->fmt == F_LDDW && p[1].imm != 0x11223344)
		tl_fail(name, "second slot imm 0x%x", (unsigned)p[1].imm);
	else
		tl_ok(name);
	free(p);
}

/* Checks the off (or imm) field of slot `slot` after assembling text. */
static void check_target(const char *label, const char *text, size_t slot, bool imm,
			 int32_t want)
{
	struct userbpf_insn *p = NULL;
	char err[256], name[160];
	long n = as(text, &p, err, sizeof(err));

	snprintf(name, sizeof(name), "asm label: %s", label);
	if (n < 0)
		tl_fail(name, "refused: %s", err);
	else if ((size_t)n <= slot)
		tl_fail(name, "only %ld slots", n);
	else if ((imm ? p[slot].imm : p[slot].off) != want)
		tl_fail(name, "target field %d, expected %d",
			imm ? p[slot].imm : p[slot].off, want);
	else
		tl_ok(name);
	free(p);
}

/* A program whose jump spans more than int16: refused for ja, fine for ja32. */
static char *far_program(const char *jump, size_t gap)
{
	char *text = malloc(gap * 12 + 64), *w = text;

	if (!text)
		return NULL;
	w += sprintf(w, "%s far\n", jump);
	for (size_t i = 0; i < gap; i++)
		w += sprintf(w, "mov %%r0, 0\n");
	sprintf(w, "far: exit\n");
	return text;
}

static void check_far_jump(void)
{
	const size_t gap = 40000;
	char *ja = far_program("ja", gap), *ja32 = far_program("ja32", gap), err[256];
	struct userbpf_insn *p = NULL;
	long n;

	if (!ja || !ja32) {
		tl_fail("asm far jump", "out of memory");
	} else {
		check_error("ja to a label 40000 slots away", ja, 1,
			    "out of range for a 16-bit offset");
		n = as(ja32, &p, err, sizeof(err));
		if (n < 0)
			tl_fail("asm label: ja32 40000 slots away", "refused: %s", err);
		else
			TL_CHECK("asm label: ja32 40000 slots away",
				 n == (long)gap + 2 && p[0].imm == (int32_t)gap);
	}
	free(p);
	free(ja);
	free(ja32);
}

int main(void)
{
	char err[256];
	struct userbpf_insn *p = NULL;
	size_t cnt = 0;
	int rows = 0;

	/* Every row with a spelling in this syntax. */
	for (int op = 0; op < UB_OP__COUNT; op++) {
		if (ub_opinfo[op].fmt == F_LDDW && ub_opinfo[op].vval != 0)
			continue; /* lddw pseudo forms: not expressible */
		round_trip(op);
		rows++;
	}
	printf("# %d table rows round-tripped\n", rows);

	/* Layout pinned by hand (RFC 9669 encodings). */
	BYTES("mov32 %r0, 1", 0xb4, 0x00, 0, 0, 1, 0, 0, 0);
	BYTES("mov %r1, 0xffffffff", 0xb7, 0x01, 0, 0, 0xff, 0xff, 0xff, 0xff);
	BYTES("mov32 %r0, -2147483648", 0xb4, 0x00, 0, 0, 0, 0, 0, 0x80);
	BYTES("mov32 %r0, 2147483647", 0xb4, 0x00, 0, 0, 0xff, 0xff, 0xff, 0x7f);
	BYTES("lddw %r0, 0x1122334455667788", 0x18, 0x00, 0, 0, 0x88, 0x77, 0x66, 0x55,
	      0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11);
	BYTES("lddw %r9, -1", 0x18, 0x09, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff);
	BYTES("lddw %r2, 18446744073709551615", 0x18, 0x02, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
	      0xff, 0xff, 0xff, 0xff);
	BYTES("ldxdw %r0, [%r1+8]", 0x79, 0x10, 8, 0, 0, 0, 0, 0);
	BYTES("ldxb %r0, [%r1]", 0x71, 0x10, 0, 0, 0, 0, 0, 0);
	BYTES("ldxh %r0, [ %r1 - 0x2 ]", 0x69, 0x10, 0xfe, 0xff, 0, 0, 0, 0);
	BYTES("ldxsw %r0, [%r10-32768]", 0x81, 0xa0, 0x00, 0x80, 0, 0, 0, 0);
	BYTES("stxw [%r10-4], %r1", 0x63, 0x1a, 0xfc, 0xff, 0, 0, 0, 0);
	BYTES("stdw [%r10+32767], 0x12", 0x7a, 0x0a, 0xff, 0x7f, 0x12, 0, 0, 0);
	BYTES("lock fetch add32 [%r10-8], %r1", 0xc3, 0x1a, 0xf8, 0xff, 0x01, 0, 0, 0);
	BYTES("lock add [%r10-8], %r1", 0xdb, 0x1a, 0xf8, 0xff, 0x00, 0, 0, 0);
	BYTES("lock xchg32 [%r1], %r2", 0xc3, 0x21, 0, 0, 0xe1, 0, 0, 0);
	BYTES("lock cmpxchg [%r1], %r2", 0xdb, 0x21, 0, 0, 0xf1, 0, 0, 0);
	BYTES("lock fetch xor [%r1+2], %r2", 0xdb, 0x21, 2, 0, 0xa1, 0, 0, 0);
	BYTES("call 5", 0x85, 0x00, 0, 0, 5, 0, 0, 0);
	BYTES("call %r2", 0x8d, 0x02, 0, 0, 0, 0, 0, 0);
	BYTES("callx %r2", 0x8d, 0x02, 0, 0, 0, 0, 0, 0);
	BYTES("sdiv %r1, -3", 0x37, 0x01, 1, 0, 0xfd, 0xff, 0xff, 0xff);
	BYTES("smod32 %r1, %r2", 0x9c, 0x21, 1, 0, 0, 0, 0, 0);
	BYTES("movsx1664 %r0, %r1", 0xbf, 0x10, 16, 0, 0, 0, 0, 0);
	BYTES("movsx832 %r0, %r1", 0xbc, 0x10, 8, 0, 0, 0, 0, 0);
	BYTES("swap16 %r1", 0xd7, 0x01, 0, 0, 16, 0, 0, 0);
	BYTES("bswap64 %r1", 0xd7, 0x01, 0, 0, 64, 0, 0, 0);
	BYTES("be32 %r1", 0xdc, 0x01, 0, 0, 32, 0, 0, 0);
	BYTES("le16 %r1", 0xd4, 0x01, 0, 0, 16, 0, 0, 0);
	BYTES("neg32 %r3", 0x84, 0x03, 0, 0, 0, 0, 0, 0);
	BYTES("jne32 %r1, 0xb, +1", 0x56, 0x01, 1, 0, 0x0b, 0, 0, 0);
	BYTES("jsle %r1, %r2, -1", 0xdd, 0x21, 0xff, 0xff, 0, 0, 0, 0);
	BYTES("ja32 +0x10", 0x06, 0, 0, 0, 0x10, 0, 0, 0);
	BYTES("exit   # with a comment", 0x95, 0, 0, 0, 0, 0, 0, 0);
	BYTES("\tMOV:  mov %r0, 1\r\n  exit  \r\n", 0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);

	/* Labels. */
	check_target("forward", "jeq %r1, 0, out\nmov %r0, 1\nmov %r0, 2\nout:\nexit", 0, false, 2);
	check_target("backward", "top: mov %r0, 1\nmov %r0, 2\nja top\nexit", 2, false, -3);
	check_target("backward over lddw", "top:\nlddw %r0, 1\nja top\nexit", 2, false, -3);
	check_target("forward over lddw", "ja end\nlddw %r0, 1\nend: exit", 0, false, 2);
	check_target("implicit exit label is the first exit",
		     "jne %r0, %r1, exit\nmov %r0, 1\nexit\nmov %r0, 2\nexit", 0, false, 1);
	check_target("an explicit exit label wins",
		     "ja exit\nexit\nexit: mov %r0, 2\nexit", 0, false, 1);
	check_target("ja32 target goes in imm", "ja32 L\nmov %r0, 0\nL: exit", 0, true, 1);
	check_target("call local target goes in imm", "call local f\nexit\nf: mov %r0, 1\nexit",
		     0, true, 1);
	check_target("jump to itself", "l: ja l\nexit", 0, false, -1);
	check_target("relative +N", "jeq %r1, %r2, +3\nexit", 0, false, 3);
	check_target("relative -N", "mov %r0, 0\njeq %r1, 5, -2\nexit", 1, false, -2);
	check_far_jump();

	/* Errors, one per class, each with the line and the reason. */
	check_error("invalid register %r50", "or %r0, %r50\nexit", 1, "Invalid register '%r50'");
	check_error("invalid register %r11", "mov %r11, 1", 1, "Invalid register '%r11'");
	check_error("register without %", "mov r1, 1", 1, "Expected a register");
	check_error("register %x", "neg %x1", 1, "Expected a register");
	check_error("huge register number", "mov %r99999999999, 1", 1, "Invalid register");
	check_error("unknown mnemonic", "\n# comment\nldxq %r0, %r1\nexit", 3, "Unknown mnemonic 'ldxq'");
	check_error("unknown swap width", "swap8 %r0", 1, "Unknown mnemonic 'swap8'");
	check_error("too few operands", "lddw %r0", 1, "Invalid number of operands for lddw: got 1, expected 2");
	check_error("too many operands", "mov %r0, 1, 2", 1, "Invalid number of operands for mov");
	check_error("far too many operands", "mov %r0, 1, 2, 3, 4, 5", 1, "Invalid number of operands for mov");
	check_error("operands on exit", "exit %r0", 1, "Invalid number of operands for exit");
	check_error("empty operand", "mov %r0,", 1, "Empty operand");
	check_error("lock alone", "lock\nexit", 1, "Invalid number of operands for lock");
	check_error("lock without source", "lock or [%r10-8]\nexit", 1, "Invalid number of operands for lock");
	check_error("lock fetch alone", "lock fetch", 1, "Invalid number of operands for lock");
	check_error("unknown atomic", "lock nand [%r1], %r2", 1, "Unknown atomic operation 'lock nand'");
	check_error("fetch xchg is not a spelling", "lock fetch xchg [%r1], %r2", 1, "Unknown atomic operation");
	check_error("atomic without lock", "xchg [%r1], %r2", 1, "Unknown mnemonic 'xchg'");
	check_error("imm32 decimal 2^31", "mov32 %r0, 2147483648\nexit", 1, "out of range for 32 bits");
	check_error("imm32 hex 2^32", "mov32 %r0, 0x100000000", 1, "out of range for 32 bits");
	check_error("imm32 below INT32_MIN", "mov %r0, -2147483649", 1, "out of range for 32 bits");
	check_error("imm32 garbage", "mov %r0, 12abc", 1, "Invalid immediate '12abc'");
	check_error("imm32 bare 0x", "mov %r0, 0x", 1, "Invalid immediate");
	check_error("imm64 overflow", "lddw %r0, 0x10000000000000000", 1, "Invalid immediate");
	check_error("imm64 below INT64_MIN", "lddw %r0, -9223372036854775809", 1, "out of range for 64 bits");
	check_error("offset +0x10000", "ldxb %r0, [%r1+0x10000]", 1, "Offset +0x10000 is out of range");
	check_error("offset 32768", "stb [%r1+32768], 1", 1, "out of range (-32768..32767)");
	check_error("offset -32769", "stb [%r1-32769], 1", 1, "out of range (-32768..32767)");
	check_error("register where memory is expected", "ldxb %r0, %r1\nexit", 1, "Invalid memory operand '%r1'");
	check_error("unclosed bracket", "ldxb %r0, [%r1+2", 1, "Invalid memory operand");
	check_error("jump offset 32768", "ja +32768", 1, "out of range (-32768..32767)");
	check_error("jump to garbage", "ja @x", 1, "Invalid jump target '@x'");
	check_error("unknown label", "ja NOT_A_LABEL\nexit", 1, "Unknown label 'NOT_A_LABEL'");
	check_error("unknown label on a later line", "mov %r0, 0\n\njeq %r0, 0, nowhere\nexit", 3,
		    "Unknown label 'nowhere'");
	check_error("exit label without exit", "ja exit\nmov %r0, 0", 1, "Unknown label 'exit'");
	check_error("duplicate label", "a: mov %r0, 0\na: exit", 2, "Duplicate label 'a' (first defined on line 1)");
	check_error("empty text", "", 1, "Empty program");
	check_error("only comments", "# nothing\n   \n# here\n", 3, "Empty program");
	check_error("only a label", "lonely:\n", 1, "Empty program");
	check_error("first error wins", "mov %r0, 1\nbogus\nmov %r99, 1", 2, "Unknown mnemonic 'bogus'");

	/* The API contract. */
	TL_CHECK("asm: NULL text is -EINVAL", userbpf_asm(NULL, &p, &cnt, err, sizeof(err)) == -EINVAL);
	TL_CHECK("asm: NULL output is -EINVAL", userbpf_asm("exit", NULL, &cnt, err, sizeof(err)) == -EINVAL);
	TL_CHECK("asm: NULL err buffer is fine", userbpf_asm("bogus", &p, &cnt, NULL, 0) == -EINVAL && !p);
	{
		char tiny[8];
		memset(tiny, 'x', sizeof(tiny));
		TL_CHECK("asm: small err buffer is truncated and terminated",
			 userbpf_asm("bogus", &p, &cnt, tiny, sizeof(tiny)) == -EINVAL &&
				 memchr(tiny, '\0', sizeof(tiny)) != NULL &&
				 strncmp(tiny, "line 1", 6) == 0);
	}
	TL_CHECK("asm: errno is set", (errno = 0, userbpf_asm("bogus", &p, &cnt, err, sizeof(err)),
				      errno == EINVAL));
	return tl_exit();
}
