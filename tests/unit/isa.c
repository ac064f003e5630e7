/* SPDX-License-Identifier: MIT */
/*
 * isa.c - unit tests of the opcode table and the decoder: table order,
 * every row decodes to itself, reserved fields and program-level rules
 * are refused with the instruction named.
 */
#include <errno.h>
#include <string.h>
#include "testlib.h"
#include "isa/isa_internal.h"

static struct userbpf_insn I(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct userbpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
	return i;
}

/* A valid encoding of table row `op`. */
static struct userbpf_insn row_insn(int op)
{
	const struct ub_opinfo *o = &ub_opinfo[op];
	struct userbpf_insn i = I(o->code, (o->zero & Z_DST) ? 0 : 1,
				  (o->zero & Z_SRC) ? 0 : 2, 0, 0);
	if (!(o->zero & Z_OFF))
		i.off = 0;
	if (!(o->zero & Z_IMM))
		i.imm = 0;
	switch (o->vkind) {
	case V_OFF: i.off = (int16_t)o->vval; break;
	case V_IMM: i.imm = o->vval; break;
	case V_SRC: i.src_reg = (uint8_t)o->vval; break;
	}
	return i;
}

int main(void)
{
	char why[256];
	int sorted = 1, self = 1, zero = 1;

	for (int op = 1; op < UB_OP__COUNT; op++) {
		unsigned a = ((unsigned)UB_CLASS(ub_opinfo[op - 1].code) << 8) | ub_opinfo[op - 1].code;
		unsigned b = ((unsigned)UB_CLASS(ub_opinfo[op].code) << 8) | ub_opinfo[op].code;
		if (a > b)
			sorted = 0;
	}
	TL_CHECK("table sorted by (class, opcode)", sorted);

	for (int op = 0; op < UB_OP__COUNT; op++) {
		struct userbpf_insn i = row_insn(op);
		int got = ub_decode_op(&i, why, sizeof(why));
		if (got != op) {
			self = 0;
			printf("# row %s decodes to %d (%s)\n", ub_opinfo[op].id, got, why);
		}
		/* Each reserved field, when nonzero, is refused. */
		for (int f = 0; f < 4; f++) {
			struct userbpf_insn j = i;
			int bit = 1 << f;
			if (!(ub_opinfo[op].zero & bit))
				continue;
			if (bit == Z_DST) j.dst_reg = 3;
			if (bit == Z_SRC) j.src_reg = 3;
			if (bit == Z_OFF) j.off = 7;
			if (bit == Z_IMM) j.imm = 7;
			if (ub_decode_op(&j, why, sizeof(why)) >= 0 || !strstr(why, "reserved")) {
				zero = 0;
				printf("# row %s accepts nonzero field %d\n", ub_opinfo[op].id, f);
			}
		}
	}
	TL_CHECK("every table row decodes to itself", self);
	TL_CHECK("every reserved field is refused when nonzero", zero);
	{
		struct userbpf_insn i = I(0xff, 0, 0, 0, 0);
		TL_CHECK("unknown opcode refused", ub_decode_op(&i, why, sizeof(why)) == -EINVAL &&
			 strstr(why, "unknown opcode 0xff"));
		i = I(0x3f, 1, 2, 2, 0); /* div with off=2: no such variant */
		TL_CHECK("unknown variant refused", ub_decode_op(&i, why, sizeof(why)) == -EINVAL &&
			 strstr(why, "off 2"));
		i = I(0xbf, 11, 1, 0, 0);
		TL_CHECK("register 11 refused", ub_decode_op(&i, why, sizeof(why)) == -EINVAL &&
			 strstr(why, "r11"));
	}
	{
		struct ub_dinsn d[8];
		size_t bad = 99;
		struct userbpf_insn p1[] = { I(0x18, 0, 0, 0, 1) };
		TL_CHECK("lddw missing second half", ub_decode_prog(p1, 1, d, &bad, why, sizeof(why)) == -EINVAL &&
			 bad == 0 && strstr(why, "second half"));
		struct userbpf_insn p2[] = { I(0x05, 0, 0, 5, 0), I(0x95, 0, 0, 0, 0) };
		TL_CHECK("jump out of range", ub_decode_prog(p2, 2, d, &bad, why, sizeof(why)) == -EINVAL &&
			 bad == 0 && strstr(why, "out of range"));
		struct userbpf_insn p3[] = { I(0x05, 0, 0, 1, 0), I(0x18, 0, 0, 0, 1), I(0, 0, 0, 0, 2), I(0x95, 0, 0, 0, 0) };
		TL_CHECK("jump into lddw", ub_decode_prog(p3, 4, d, &bad, why, sizeof(why)) == -EINVAL &&
			 bad == 0 && strstr(why, "middle of lddw"));
		struct userbpf_insn p4[] = { I(0xb7, 0, 0, 0, 1) };
		TL_CHECK("falls off the end", ub_decode_prog(p4, 1, d, &bad, why, sizeof(why)) == -EINVAL &&
			 strstr(why, "falls off"));
		struct userbpf_insn p5[] = { I(0xb7, 0, 0, 0, 1), I(0x95, 0, 0, 0, 0) };
		TL_CHECK("valid program decodes", ub_decode_prog(p5, 2, d, &bad, why, sizeof(why)) == 0 &&
			 d[0].op == UB_OP_MOV64_K && d[1].op == UB_OP_EXIT);
		struct userbpf_insn p6[] = { I(0x18, 3, 0, 0, 0x55667788), I(0, 0, 0, 0, 0x11223344), I(0x95, 0, 0, 0, 0) };
		TL_CHECK("lddw joins halves", ub_decode_prog(p6, 3, d, &bad, why, sizeof(why)) == 0 &&
			 d[0].imm == 0x1122334455667788ll && d[1].op == UB_OP__LDDW_HI);
		struct userbpf_insn p7[] = { I(0x18, 3, 0, 0, 0), I(0x95, 0, 0, 0, 0), I(0x95, 0, 0, 0, 0) };
		TL_CHECK("lddw second half with code refused", ub_decode_prog(p7, 3, d, &bad, why, sizeof(why)) == -EINVAL &&
			 bad == 1);
	}
	{
		struct ub_dinsn d[4];
		size_t bad = 99;
		size_t scratch[64];
		struct userbpf_insn p[] = { I(0x0f, 0, 2, 0, 0), I(0x95, 0, 0, 0, 0) };
		ub_decode_prog(p, 2, d, &bad, why, sizeof(why));
		TL_CHECK("uninitialised register refused",
			 ub_check_reg_init(d, 2, 1 << 1, scratch, &bad, why, sizeof(why)) == -EINVAL &&
			 bad == 0 && strstr(why, "r0"));
		struct userbpf_insn q[] = { I(0xb7, 10, 0, 0, 0), I(0x95, 0, 0, 0, 0) };
		ub_decode_prog(q, 2, d, &bad, why, sizeof(why));
		TL_CHECK("write to r10 refused",
			 ub_check_reg_init(d, 2, 1 << 1, scratch, &bad, why, sizeof(why)) == -EINVAL &&
			 strstr(why, "r10"));
	}
	return tl_exit();
}
