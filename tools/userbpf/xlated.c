/* SPDX-License-Identifier: MIT */
/*
 * xlated.c - instructions as `bpftool prog dump xlated` prints them: the
 * kernel's disassembler (kernel/bpf/disasm.c) with bpftool's names for map
 * references, e.g. "(b7) r0 = 1", "(79) r2 = *(u64 *)(r1 +8)",
 * "(18) r1 = map[id:12]", "(85) call bpf_map_lookup_elem#1".
 *
 * The runtime's own disassembler (userbpf_disasm_insn) speaks llvm-objdump;
 * this is bpftool's dialect, so that scripts reading one read the other.
 */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "core/core_internal.h"	/* ub_helper_linux_name: Linux's helper names */

static const char *const alu_str[16] = {
	"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=",
	"endian", "BUG", "BUG",
};
static const char *const jmp_str[16] = {
	"jmp", "==", ">", ">=", "&", "!=", "s>", "s>=", "call", "exit", "<", "<=", "s<", "s<=",
	"BUG", "BUG",
};
static const char *const ldst_str[4] = { "u32", "u16", "u8", "u64" };
static const char *const ldsx_str[4] = { "s32", "s16", "s8", "s64" };

static const char *atomic_alu(int32_t imm)
{
	switch (imm & 0xf0) {
	case 0x00: return "add";
	case 0x50: return "and";
	case 0x40: return "or";
	case 0xa0: return "xor";
	default: return "BUG";
	}
}

int cli_xlated_insn(const struct userbpf_insn *in, size_t cnt, const uint64_t *map_ids,
		    size_t map_cnt, char *buf, size_t size)
{
	uint8_t code = in->code, cls = code & 7, op = code & 0xf0, sz = (code & 0x18) >> 3;
	uint8_t mode = code & 0xe0;
	int dst = in->dst_reg, src = in->src_reg, off = in->off;
	int32_t imm = in->imm;

	if (cls == 4 || cls == 7) { /* ALU, ALU64 */
		char r = cls == 4 ? 'w' : 'r';

		if (op == 0xd0) {
			if (cls == 7)
				snprintf(buf, size, "(%02x) r%d = bswap%d r%d", code, dst, imm, dst);
			else
				snprintf(buf, size, "(%02x) r%d = %s%d r%d", code, dst,
					 (code & 8) ? "be" : "le", imm, dst);
		} else if (op == 0x80) {
			snprintf(buf, size, "(%02x) %c%d = -%c%d", code, r, dst, r, dst);
		} else {
			const char *o = alu_str[op >> 4];

			if ((op == 0x30 || op == 0x90) && off == 1)
				o = op == 0x30 ? "s/=" : "s%=";
			if (code & 8) {
				const char *sx = "";

				if (op == 0xb0 && off)
					sx = off == 8 ? "(s8)" : off == 16 ? "(s16)" : off == 32 ? "(s32)" : "";
				snprintf(buf, size, "(%02x) %c%d %s %s%c%d", code, r, dst, o, sx, r, src);
			} else {
				snprintf(buf, size, "(%02x) %c%d %s %d", code, r, dst, o, imm);
			}
		}
		return 1;
	}
	if (cls == 3) { /* STX */
		if (mode == 0x60)
			snprintf(buf, size, "(%02x) *(%s *)(r%d %+d) = r%d", code, ldst_str[sz], dst, off,
				 src);
		else if (mode == 0xc0 && (imm == 0x00 || imm == 0x50 || imm == 0x40 || imm == 0xa0))
			snprintf(buf, size, "(%02x) lock *(%s *)(r%d %+d) %s r%d", code, ldst_str[sz], dst,
				 off, alu_str[imm >> 4], src);
		else if (mode == 0xc0 && (imm == 0x01 || imm == 0x51 || imm == 0x41 || imm == 0xa1))
			snprintf(buf, size, "(%02x) r%d = atomic%s_fetch_%s((%s *)(r%d %+d), r%d)", code,
				 src, sz == 3 ? "64" : "", atomic_alu(imm), ldst_str[sz], dst, off, src);
		else if (mode == 0xc0 && imm == 0xf1)
			snprintf(buf, size, "(%02x) r0 = atomic%s_cmpxchg((%s *)(r%d %+d), r0, r%d)", code,
				 sz == 3 ? "64" : "", ldst_str[sz], dst, off, src);
		else if (mode == 0xc0 && imm == 0xe1)
			snprintf(buf, size, "(%02x) r%d = atomic%s_xchg((%s *)(r%d %+d), r%d)", code, src,
				 sz == 3 ? "64" : "", ldst_str[sz], dst, off, src);
		else
			snprintf(buf, size, "BUG_%02x", code);
		return 1;
	}
	if (cls == 2) { /* ST */
		if (mode == 0x60)
			snprintf(buf, size, "(%02x) *(%s *)(r%d %+d) = %d", code, ldst_str[sz], dst, off,
				 imm);
		else
			snprintf(buf, size, "BUG_st_%02x", code);
		return 1;
	}
	if (cls == 1) { /* LDX */
		if (mode != 0x60 && mode != 0x80)
			snprintf(buf, size, "BUG_ldx_%02x", code);
		else
			snprintf(buf, size, "(%02x) r%d = *(%s *)(r%d %+d)", code, dst,
				 mode == 0x60 ? ldst_str[sz] : ldsx_str[sz], src, off);
		return 1;
	}
	if (cls == 0) { /* LD */
		if (mode == 0x20) {
			snprintf(buf, size, "(%02x) r0 = *(%s *)skb[%d]", code, ldst_str[sz], imm);
			return 1;
		}
		if (mode == 0x40) {
			snprintf(buf, size, "(%02x) r0 = *(%s *)skb[r%d + %d]", code, ldst_str[sz], src,
				 imm);
			return 1;
		}
		if (code == 0x18 && cnt >= 2) {
			uint64_t v = ((uint64_t)(uint32_t)in[1].imm << 32) | (uint32_t)imm;
			uint32_t idx = (uint32_t)imm;
			unsigned long long id = idx < map_cnt ? (unsigned long long)map_ids[idx] : 0;

			if (src == 1 || src == 5)
				snprintf(buf, size, "(%02x) r%d = map[id:%llu]", code, dst, id);
			else if (src == 2 || src == 6)
				snprintf(buf, size, "(%02x) r%d = map[id:%llu][0]+%u", code, dst, id,
					 (uint32_t)in[1].imm);
			else if (src == 4)
				snprintf(buf, size, "(%02x) r%d = subprog[%+d]", code, dst, imm);
			else
				snprintf(buf, size, "(%02x) r%d = 0x%llx", code, dst, (unsigned long long)v);
			return 2;
		}
		snprintf(buf, size, "BUG_ld_%02x", code);
		return 1;
	}
	/* JMP, JMP32 */
	{
		char r = cls == 6 ? 'w' : 'r';

		if (op == 0x80) {
			if (src == 1) {
				snprintf(buf, size, "(%02x) call pc%+d", code, imm);
			} else {
				const char *n = imm >= 0 ? ub_helper_linux_name((uint32_t)imm) : NULL;

				snprintf(buf, size, "(%02x) call %s%s#%d", code, n ? "bpf_" : "",
					 n ? n : "unknown", imm);
			}
		} else if (code == 0x05) {
			snprintf(buf, size, "(%02x) goto pc%+d", code, off);
		} else if (code == 0x06) {
			snprintf(buf, size, "(%02x) gotol pc%+d", code, imm);
		} else if (code == 0x95) {
			snprintf(buf, size, "(%02x) exit", code);
		} else if (code & 8) {
			snprintf(buf, size, "(%02x) if %c%d %s %c%d goto pc%+d", code, r, dst,
				 jmp_str[op >> 4], r, src, off);
		} else {
			snprintf(buf, size, "(%02x) if %c%d %s 0x%x goto pc%+d", code, r, dst,
				 jmp_str[op >> 4], (uint32_t)imm, off);
		}
	}
	return 1;
}
