/* SPDX-License-Identifier: MIT */
/*
 * table.c - the disassembler's text for every row of the opcode table.
 *
 * Each row has one hand-chosen encoding and the text expected for it,
 * written out here rather than computed, so that the cpu v4 rows (which
 * the llvm-objdump on these machines cannot decode) and the rows clang
 * never emits are pinned too.  The texts of the v1-v3 rows were checked
 * against llvm-mc 14 --disassemble when written; the v4 ones follow the
 * asm strings of LLVM 17+ (BPFInstrInfo.td).  A row without an entry
 * here fails the test, so a new table row needs a new expected text.
 *
 * Then: the +alu32 style, invalid encodings (each refused with a reason),
 * buffer truncation, and the whole-program dumps from raw and decoded
 * instructions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "testlib.h"
#include "isa/disasm_internal.h"

struct row {
	int op;
	struct userbpf_insn in[2];
	const char *want;
};

#define ROW(id, c, d, s, o, i, hi, text)                                       \
	{ UB_OP_##id,                                                          \
	  { { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o),         \
	      .imm = (int32_t)(i) },                                           \
	    { .imm = (hi) } },                                                 \
	  text }

static const struct row rows[] = {
	ROW(LDDW, 0x18, 1, 0, 0, -2, 1, "r1 = 8589934590 ll"),
	ROW(LDDW_MAP_FD, 0x18, 2, 1, 0, 5, 0, "ld_pseudo\tr2, 1, 5"),
	ROW(LDDW_MAP_VALUE, 0x18, 3, 2, 0, 5, 7, "ld_pseudo\tr3, 2, 30064771077"),
	ROW(LDDW_BTF_VAR, 0x18, 4, 3, 0, 5, 0, "ld_pseudo\tr4, 3, 5"),
	ROW(LDDW_CODE, 0x18, 5, 4, 0, 5, 0, "ld_pseudo\tr5, 4, 5"),
	ROW(LDDW_MAP_IDX, 0x18, 6, 5, 0, 5, 0, "ld_pseudo\tr6, 5, 5"),
	ROW(LDDW_MAP_IDX_VALUE, 0x18, 7, 6, 0, 5, 7, "ld_pseudo\tr7, 6, 30064771077"),
	ROW(LDABSW, 0x20, 0, 0, 0, 12, 0, "r0 = *(u32 *)skb[12]"),
	ROW(LDABSH, 0x28, 0, 0, 0, -1, 0, "r0 = *(u16 *)skb[-1]"),
	ROW(LDABSB, 0x30, 0, 0, 0, 4096, 0, "r0 = *(u8 *)skb[4096]"),
	ROW(LDINDW, 0x40, 0, 7, 0, 0, 0, "r0 = *(u32 *)skb[r7]"),
	ROW(LDINDH, 0x48, 0, 1, 0, 0, 0, "r0 = *(u16 *)skb[r1]"),
	ROW(LDINDB, 0x50, 0, 4, 0, 0, 0, "r0 = *(u8 *)skb[r4]"),
	ROW(LDXW, 0x61, 6, 7, 32767, 0, 0, "r6 = *(u32 *)(r7 + 32767)"),
	ROW(LDXH, 0x69, 7, 1, -8, 0, 0, "r7 = *(u16 *)(r1 - 8)"),
	ROW(LDXB, 0x71, 8, 4, 16, 0, 0, "r8 = *(u8 *)(r4 + 16)"),
	ROW(LDXDW, 0x79, 9, 7, 0, 0, 0, "r9 = *(u64 *)(r7 + 0)"),
	ROW(LDXSW, 0x81, 1, 2, -32768, 0, 0, "r1 = *(s32 *)(r2 - 32768)"),
	ROW(LDXSH, 0x89, 2, 4, 32767, 0, 0, "r2 = *(s16 *)(r4 + 32767)"),
	ROW(LDXSB, 0x91, 3, 7, -8, 0, 0, "r3 = *(s8 *)(r7 - 8)"),
	ROW(STW, 0x62, 4, 0, 8, 305419896, 0, "*(u32 *)(r4 + 8) = 305419896"),
	ROW(STH, 0x6a, 5, 0, -4, 0, 0, "*(u16 *)(r5 - 4) = 0"),
	ROW(STB, 0x72, 6, 0, 8, -2147483648, 0, "*(u8 *)(r6 + 8) = -2147483648"),
	ROW(STDW, 0x7a, 7, 0, -4, -1, 0, "*(u64 *)(r7 - 4) = -1"),
	ROW(STXW, 0x63, 8, 4, 24, 0, 0, "*(u32 *)(r8 + 24) = r4"),
	ROW(STXH, 0x6b, 9, 7, -16, 0, 0, "*(u16 *)(r9 - 16) = r7"),
	ROW(STXB, 0x73, 1, 2, 24, 0, 0, "*(u8 *)(r1 + 24) = r2"),
	ROW(STXDW, 0x7b, 2, 4, -16, 0, 0, "*(u64 *)(r2 - 16) = r4"),
	ROW(ATOMIC32_ADD, 0xc3, 3, 7, 40, 0x00, 0, "lock *(u32 *)(r3 + 40) += r7"),
	ROW(ATOMIC32_ADD_FETCH, 0xc3, 4, 1, -8, 0x01, 0, "w1 = atomic_fetch_add((u32 *)(r4 - 8), w1)"),
	ROW(ATOMIC32_OR, 0xc3, 5, 4, 0, 0x40, 0, "lock *(u32 *)(r5 + 0) |= w4"),
	ROW(ATOMIC32_OR_FETCH, 0xc3, 6, 7, 40, 0x41, 0, "w7 = atomic_fetch_or((u32 *)(r6 + 40), w7)"),
	ROW(ATOMIC32_AND, 0xc3, 7, 1, -8, 0x50, 0, "lock *(u32 *)(r7 - 8) &= w1"),
	ROW(ATOMIC32_AND_FETCH, 0xc3, 8, 4, 0, 0x51, 0, "w4 = atomic_fetch_and((u32 *)(r8 + 0), w4)"),
	ROW(ATOMIC32_XOR, 0xc3, 9, 7, 40, 0xa0, 0, "lock *(u32 *)(r9 + 40) ^= w7"),
	ROW(ATOMIC32_XOR_FETCH, 0xc3, 1, 2, -8, 0xa1, 0, "w2 = atomic_fetch_xor((u32 *)(r1 - 8), w2)"),
	ROW(ATOMIC32_XCHG, 0xc3, 2, 4, 0, 0xe1, 0, "w4 = xchg32_32(r2 + 0, w4)"),
	ROW(ATOMIC32_CMPXCHG, 0xc3, 3, 7, 40, 0xf1, 0, "w0 = cmpxchg32_32(r3 + 40, w0, w7)"),
	ROW(ATOMIC64_ADD, 0xdb, 4, 1, -8, 0x00, 0, "lock *(u64 *)(r4 - 8) += r1"),
	ROW(ATOMIC64_ADD_FETCH, 0xdb, 5, 4, 0, 0x01, 0, "r4 = atomic_fetch_add((u64 *)(r5 + 0), r4)"),
	ROW(ATOMIC64_OR, 0xdb, 6, 7, 40, 0x40, 0, "lock *(u64 *)(r6 + 40) |= r7"),
	ROW(ATOMIC64_OR_FETCH, 0xdb, 7, 1, -8, 0x41, 0, "r1 = atomic_fetch_or((u64 *)(r7 - 8), r1)"),
	ROW(ATOMIC64_AND, 0xdb, 8, 4, 0, 0x50, 0, "lock *(u64 *)(r8 + 0) &= r4"),
	ROW(ATOMIC64_AND_FETCH, 0xdb, 9, 7, 40, 0x51, 0, "r7 = atomic_fetch_and((u64 *)(r9 + 40), r7)"),
	ROW(ATOMIC64_XOR, 0xdb, 1, 2, -8, 0xa0, 0, "lock *(u64 *)(r1 - 8) ^= r2"),
	ROW(ATOMIC64_XOR_FETCH, 0xdb, 2, 4, 0, 0xa1, 0, "r4 = atomic_fetch_xor((u64 *)(r2 + 0), r4)"),
	ROW(ATOMIC64_XCHG, 0xdb, 3, 7, 40, 0xe1, 0, "r7 = xchg_64(r3 + 40, r7)"),
	ROW(ATOMIC64_CMPXCHG, 0xdb, 4, 1, -8, 0xf1, 0, "r0 = cmpxchg_64(r4 - 8, r0, r1)"),
	ROW(ADD32_K, 0x04, 5, 0, 0, 0, 0, "w5 += 0"),
	ROW(ADD32_X, 0x0c, 6, 7, 0, 0, 0, "w6 += w7"),
	ROW(SUB32_K, 0x14, 7, 0, 0, 7, 0, "w7 -= 7"),
	ROW(SUB32_X, 0x1c, 8, 4, 0, 0, 0, "w8 -= w4"),
	ROW(MUL32_K, 0x24, 9, 0, 0, -2147483648, 0, "w9 *= -2147483648"),
	ROW(MUL32_X, 0x2c, 1, 2, 0, 0, 0, "w1 *= w2"),
	ROW(DIV32_K, 0x34, 2, 0, 0, -1, 0, "w2 /= -1"),
	ROW(SDIV32_K, 0x34, 3, 0, 1, 7, 0, "w3 s/= 7"),
	ROW(DIV32_X, 0x3c, 4, 1, 0, 0, 0, "w4 /= w1"),
	ROW(SDIV32_X, 0x3c, 5, 4, 1, 0, 0, "w5 s/= w4"),
	ROW(OR32_K, 0x44, 6, 0, 0, 0, 0, "w6 |= 0"),
	ROW(OR32_X, 0x4c, 7, 1, 0, 0, 0, "w7 |= w1"),
	ROW(AND32_K, 0x54, 8, 0, 0, 7, 0, "w8 &= 7"),
	ROW(AND32_X, 0x5c, 9, 7, 0, 0, 0, "w9 &= w7"),
	ROW(LSH32_K, 0x64, 1, 0, 0, -2147483648, 0, "w1 <<= -2147483648"),
	ROW(LSH32_X, 0x6c, 2, 4, 0, 0, 0, "w2 <<= w4"),
	ROW(RSH32_K, 0x74, 3, 0, 0, -1, 0, "w3 >>= -1"),
	ROW(RSH32_X, 0x7c, 4, 1, 0, 0, 0, "w4 >>= w1"),
	ROW(NEG32, 0x84, 5, 0, 0, 0, 0, "w5 = -w5"),
	ROW(MOD32_K, 0x94, 6, 0, 0, -2147483648, 0, "w6 %= -2147483648"),
	ROW(SMOD32_K, 0x94, 7, 0, 1, 0, 0, "w7 s%= 0"),
	ROW(MOD32_X, 0x9c, 8, 4, 0, 0, 0, "w8 %= w4"),
	ROW(SMOD32_X, 0x9c, 9, 7, 1, 0, 0, "w9 s%= w7"),
	ROW(XOR32_K, 0xa4, 1, 0, 0, 2147483647, 0, "w1 ^= 2147483647"),
	ROW(XOR32_X, 0xac, 2, 4, 0, 0, 0, "w2 ^= w4"),
	ROW(MOV32_K, 0xb4, 3, 0, 0, 0, 0, "w3 = 0"),
	ROW(MOV32_X, 0xbc, 4, 1, 0, 0, 0, "w4 = w1"),
	ROW(MOVSX8_32, 0xbc, 5, 4, 8, 0, 0, "w5 = (s8)w4"),
	ROW(MOVSX16_32, 0xbc, 6, 7, 16, 0, 0, "w6 = (s16)w7"),
	ROW(ARSH32_K, 0xc4, 7, 0, 0, -2147483648, 0, "w7 s>>= -2147483648"),
	ROW(ARSH32_X, 0xcc, 8, 4, 0, 0, 0, "w8 s>>= w4"),
	ROW(LE16, 0xd4, 9, 0, 0, 16, 0, "r9 = le16 r9"),
	ROW(LE32, 0xd4, 1, 0, 0, 32, 0, "r1 = le32 r1"),
	ROW(LE64, 0xd4, 2, 0, 0, 64, 0, "r2 = le64 r2"),
	ROW(BE16, 0xdc, 3, 0, 0, 16, 0, "r3 = be16 r3"),
	ROW(BE32, 0xdc, 4, 0, 0, 32, 0, "r4 = be32 r4"),
	ROW(BE64, 0xdc, 5, 0, 0, 64, 0, "r5 = be64 r5"),
	ROW(JA, 0x05, 0, 0, -3, 0, 0, "goto -3"),
	ROW(JEQ_K, 0x15, 7, 0, 0, -2147483648, 0, "if r7 == -2147483648 goto +0"),
	ROW(JEQ_X, 0x1d, 8, 4, -32768, 0, 0, "if r8 == r4 goto -32768"),
	ROW(JGT_K, 0x25, 9, 0, 32767, 100, 0, "if r9 > 100 goto +32767"),
	ROW(JGT_X, 0x2d, 1, 2, 5, 0, 0, "if r1 > r2 goto +5"),
	ROW(JGE_K, 0x35, 2, 0, -1, -2147483648, 0, "if r2 >= -2147483648 goto -1"),
	ROW(JGE_X, 0x3d, 3, 7, 0, 0, 0, "if r3 >= r7 goto +0"),
	ROW(JSET_K, 0x45, 4, 0, -32768, 100, 0, "if r4 & 100 goto -32768"),
	ROW(JSET_X, 0x4d, 5, 4, 32767, 0, 0, "if r5 & r4 goto +32767"),
	ROW(JNE_K, 0x55, 6, 0, 5, -2147483648, 0, "if r6 != -2147483648 goto +5"),
	ROW(JNE_X, 0x5d, 7, 1, -1, 0, 0, "if r7 != r1 goto -1"),
	ROW(JSGT_K, 0x65, 8, 0, 0, 100, 0, "if r8 s> 100 goto +0"),
	ROW(JSGT_X, 0x6d, 9, 7, -32768, 0, 0, "if r9 s> r7 goto -32768"),
	ROW(JSGE_K, 0x75, 1, 0, 32767, -2147483648, 0, "if r1 s>= -2147483648 goto +32767"),
	ROW(JSGE_X, 0x7d, 2, 4, 5, 0, 0, "if r2 s>= r4 goto +5"),
	ROW(CALL, 0x85, 0, 0, 0, 6, 0, "call 6"),
	ROW(CALL_LOCAL, 0x85, 0, 1, 0, -1, 0, "call -1"),
	ROW(CALL_KFUNC, 0x85, 0, 2, 0, 12345, 0, "call 12345"),
	ROW(CALLX, 0x8d, 6, 0, 0, 0, 0, "callx r6"),
	ROW(EXIT, 0x95, 0, 0, 0, 0, 0, "exit"),
	ROW(JLT_K, 0xa5, 8, 0, -1, 0, 0, "if r8 < 0 goto -1"),
	ROW(JLT_X, 0xad, 9, 7, 0, 0, 0, "if r9 < r7 goto +0"),
	ROW(JLE_K, 0xb5, 1, 0, -32768, -5, 0, "if r1 <= -5 goto -32768"),
	ROW(JLE_X, 0xbd, 2, 4, 32767, 0, 0, "if r2 <= r4 goto +32767"),
	ROW(JSLT_K, 0xc5, 3, 0, 5, 0, 0, "if r3 s< 0 goto +5"),
	ROW(JSLT_X, 0xcd, 4, 1, -1, 0, 0, "if r4 s< r1 goto -1"),
	ROW(JSLE_K, 0xd5, 5, 0, 0, -5, 0, "if r5 s<= -5 goto +0"),
	ROW(JSLE_X, 0xdd, 6, 7, -32768, 0, 0, "if r6 s<= r7 goto -32768"),
	ROW(JA32, 0x06, 0, 0, 0, 70000, 0, "gotol +70000"),
	ROW(JEQ32_K, 0x16, 8, 0, 5, -2147483648, 0, "if w8 == -2147483648 goto +5"),
	ROW(JEQ32_X, 0x1e, 9, 7, -1, 0, 0, "if w9 == w7 goto -1"),
	ROW(JGT32_K, 0x26, 1, 0, 0, 100, 0, "if w1 > 100 goto +0"),
	ROW(JGT32_X, 0x2e, 2, 4, -32768, 0, 0, "if w2 > w4 goto -32768"),
	ROW(JGE32_K, 0x36, 3, 0, 32767, -2147483648, 0, "if w3 >= -2147483648 goto +32767"),
	ROW(JGE32_X, 0x3e, 4, 1, 5, 0, 0, "if w4 >= w1 goto +5"),
	ROW(JSET32_K, 0x46, 5, 0, -1, 100, 0, "if w5 & 100 goto -1"),
	ROW(JSET32_X, 0x4e, 6, 7, 0, 0, 0, "if w6 & w7 goto +0"),
	ROW(JNE32_K, 0x56, 7, 0, -32768, -2147483648, 0, "if w7 != -2147483648 goto -32768"),
	ROW(JNE32_X, 0x5e, 8, 4, 32767, 0, 0, "if w8 != w4 goto +32767"),
	ROW(JSGT32_K, 0x66, 9, 0, 5, 100, 0, "if w9 s> 100 goto +5"),
	ROW(JSGT32_X, 0x6e, 1, 2, -1, 0, 0, "if w1 s> w2 goto -1"),
	ROW(JSGE32_K, 0x76, 2, 0, 0, -2147483648, 0, "if w2 s>= -2147483648 goto +0"),
	ROW(JSGE32_X, 0x7e, 3, 7, -32768, 0, 0, "if w3 s>= w7 goto -32768"),
	ROW(JLT32_K, 0xa6, 4, 0, 32767, 100, 0, "if w4 < 100 goto +32767"),
	ROW(JLT32_X, 0xae, 5, 4, 5, 0, 0, "if w5 < w4 goto +5"),
	ROW(JLE32_K, 0xb6, 6, 0, -1, -2147483648, 0, "if w6 <= -2147483648 goto -1"),
	ROW(JLE32_X, 0xbe, 7, 1, 0, 0, 0, "if w7 <= w1 goto +0"),
	ROW(JSLT32_K, 0xc6, 8, 0, -32768, 100, 0, "if w8 s< 100 goto -32768"),
	ROW(JSLT32_X, 0xce, 9, 7, 32767, 0, 0, "if w9 s< w7 goto +32767"),
	ROW(JSLE32_K, 0xd6, 1, 0, 5, -2147483648, 0, "if w1 s<= -2147483648 goto +5"),
	ROW(JSLE32_X, 0xde, 2, 4, -1, 0, 0, "if w2 s<= w4 goto -1"),
	ROW(ADD64_K, 0x07, 3, 0, 0, 2147483647, 0, "r3 += 2147483647"),
	ROW(ADD64_X, 0x0f, 4, 1, 0, 0, 0, "r4 += r1"),
	ROW(SUB64_K, 0x17, 5, 0, 0, 0, 0, "r5 -= 0"),
	ROW(SUB64_X, 0x1f, 6, 7, 0, 0, 0, "r6 -= r7"),
	ROW(MUL64_K, 0x27, 7, 0, 0, 7, 0, "r7 *= 7"),
	ROW(MUL64_X, 0x2f, 8, 4, 0, 0, 0, "r8 *= r4"),
	ROW(DIV64_K, 0x37, 9, 0, 0, -2147483648, 0, "r9 /= -2147483648"),
	ROW(SDIV64_K, 0x37, 1, 0, 1, 0, 0, "r1 s/= 0"),
	ROW(DIV64_X, 0x3f, 2, 4, 0, 0, 0, "r2 /= r4"),
	ROW(SDIV64_X, 0x3f, 3, 7, 1, 0, 0, "r3 s/= r7"),
	ROW(OR64_K, 0x47, 4, 0, 0, 2147483647, 0, "r4 |= 2147483647"),
	ROW(OR64_X, 0x4f, 5, 4, 0, 0, 0, "r5 |= r4"),
	ROW(AND64_K, 0x57, 6, 0, 0, 0, 0, "r6 &= 0"),
	ROW(AND64_X, 0x5f, 7, 1, 0, 0, 0, "r7 &= r1"),
	ROW(LSH64_K, 0x67, 8, 0, 0, 7, 0, "r8 <<= 7"),
	ROW(LSH64_X, 0x6f, 9, 7, 0, 0, 0, "r9 <<= r7"),
	ROW(RSH64_K, 0x77, 1, 0, 0, -2147483648, 0, "r1 >>= -2147483648"),
	ROW(RSH64_X, 0x7f, 2, 4, 0, 0, 0, "r2 >>= r4"),
	ROW(NEG64, 0x87, 3, 0, 0, 0, 0, "r3 = -r3"),
	ROW(MOD64_K, 0x97, 4, 0, 0, 7, 0, "r4 %= 7"),
	ROW(SMOD64_K, 0x97, 5, 0, 1, 2147483647, 0, "r5 s%= 2147483647"),
	ROW(MOD64_X, 0x9f, 6, 7, 0, 0, 0, "r6 %= r7"),
	ROW(SMOD64_X, 0x9f, 7, 1, 1, 0, 0, "r7 s%= r1"),
	ROW(XOR64_K, 0xa7, 8, 0, 0, -1, 0, "r8 ^= -1"),
	ROW(XOR64_X, 0xaf, 9, 7, 0, 0, 0, "r9 ^= r7"),
	ROW(MOV64_K, 0xb7, 1, 0, 0, 2147483647, 0, "r1 = 2147483647"),
	ROW(MOV64_X, 0xbf, 2, 4, 0, 0, 0, "r2 = r4"),
	ROW(MOVSX8_64, 0xbf, 3, 7, 8, 0, 0, "r3 = (s8)r7"),
	ROW(MOVSX16_64, 0xbf, 4, 1, 16, 0, 0, "r4 = (s16)r1"),
	ROW(MOVSX32_64, 0xbf, 5, 4, 32, 0, 0, "r5 = (s32)r4"),
	ROW(ARSH64_K, 0xc7, 6, 0, 0, 2147483647, 0, "r6 s>>= 2147483647"),
	ROW(ARSH64_X, 0xcf, 7, 1, 0, 0, 0, "r7 s>>= r1"),
	ROW(BSWAP16, 0xd7, 8, 0, 0, 16, 0, "r8 = bswap16 r8"),
	ROW(BSWAP32, 0xd7, 9, 0, 0, 32, 0, "r9 = bswap32 r9"),
	ROW(BSWAP64, 0xd7, 1, 0, 0, 64, 0, "r1 = bswap64 r1"),
};

/* Rows whose text depends on UB_DISASM_ALU32 (llvm-objdump --mattr=+alu32). */
static const struct row alu32_rows[] = {
	ROW(LDXW, 0x61, 1, 2, -8, 0, 0, "w1 = *(u32 *)(r2 - 8)"),
	ROW(LDXH, 0x69, 1, 2, 8, 0, 0, "w1 = *(u16 *)(r2 + 8)"),
	ROW(LDXB, 0x71, 1, 2, 0, 0, 0, "w1 = *(u8 *)(r2 + 0)"),
	ROW(LDXDW, 0x79, 1, 2, 0, 0, 0, "r1 = *(u64 *)(r2 + 0)"),
	ROW(LDXSB, 0x91, 1, 2, 0, 0, 0, "r1 = *(s8 *)(r2 + 0)"),
	ROW(STXW, 0x63, 1, 2, -4, 0, 0, "*(u32 *)(r1 - 4) = w2"),
	ROW(STXH, 0x6b, 1, 2, 0, 0, 0, "*(u16 *)(r1 + 0) = w2"),
	ROW(STXB, 0x73, 1, 2, 0, 0, 0, "*(u8 *)(r1 + 0) = w2"),
	ROW(STXDW, 0x7b, 1, 2, 0, 0, 0, "*(u64 *)(r1 + 0) = r2"),
	ROW(STW, 0x62, 1, 0, 0, 7, 0, "*(u32 *)(r1 + 0) = 7"),
	ROW(ATOMIC32_ADD, 0xc3, 1, 2, 0, 0x00, 0, "lock *(u32 *)(r1 + 0) += w2"),
	ROW(ATOMIC64_ADD, 0xdb, 1, 2, 0, 0x00, 0, "lock *(u64 *)(r1 + 0) += r2"),
	ROW(ATOMIC32_ADD_FETCH, 0xc3, 1, 2, 0, 0x01, 0, "w2 = atomic_fetch_add((u32 *)(r1 + 0), w2)"),
	ROW(ATOMIC32_CMPXCHG, 0xc3, 1, 2, 0, 0xf1, 0, "w0 = cmpxchg32_32(r1 + 0, w0, w2)"),
	ROW(MOV32_X, 0xbc, 1, 2, 0, 0, 0, "w1 = w2"),
};

static void check_rows(const struct row *r, size_t n, unsigned flags,
		       const char *suite, unsigned char *covered)
{
	for (size_t i = 0; i < n; i++) {
		char got[256], pub[256], name[128], why[160];
		int want_n = ub_opinfo[r[i].op].fmt == F_LDDW ? 2 : 1;
		int op = ub_decode_op(&r[i].in[0], why, sizeof(why));
		int rc = ub_disasm_insn(r[i].in, 2, flags, got, sizeof(got));

		snprintf(name, sizeof(name), "%s %s", suite, ub_opinfo[r[i].op].id);
		if (op != r[i].op) {
			tl_fail(name, "the test's encoding decodes to %d, not this row (%s)",
				op, op < 0 ? why : ub_opinfo[op].id);
			continue;
		}
		if (rc != want_n || strcmp(got, r[i].want)) {
			tl_fail(name, "got \"%s\" (rc %d), want \"%s\" (rc %d)", got, rc,
				r[i].want, want_n);
			continue;
		}
		if (!flags) {
			/* The public entry point is the flags-0 style. */
			rc = userbpf_disasm_insn(r[i].in, 2, pub, sizeof(pub));
			if (rc != want_n || strcmp(pub, got)) {
				tl_fail(name, "userbpf_disasm_insn gave \"%s\" (rc %d)", pub, rc);
				continue;
			}
			covered[r[i].op] = 1;
		}
		tl_ok(name);
	}
}

#define I(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }

struct bad {
	const char *name;
	struct userbpf_insn in[2];
	size_t cnt;
	const char *reason;	/* a substring the reason must hold */
};

static const struct bad bads[] = {
	{ "unknown opcode 0x00", { I(0x00, 0, 0, 0, 0) }, 1, "unknown opcode 0x00" },
	{ "unknown opcode 0xff", { I(0xff, 1, 2, 3, 4) }, 1, "unknown opcode 0xff" },
	{ "unknown opcode 0x8e", { I(0x8e, 0, 0, 0, 0) }, 1, "unknown opcode 0x8e" },
	{ "lddw without second half", { I(0x18, 1, 0, 0, 5) }, 1, "second half" },
	{ "lddw second half with code", { I(0x18, 1, 0, 0, 5), I(0x18, 0, 0, 0, 0) }, 2, "second half" },
	{ "lddw second half with dst", { I(0x18, 1, 0, 0, 5), I(0x00, 1, 0, 0, 0) }, 2, "second half" },
	{ "lddw second half with off", { I(0x18, 1, 0, 0, 5), I(0x00, 0, 0, 1, 0) }, 2, "second half" },
	{ "lddw unknown pseudo src 7", { I(0x18, 1, 7, 0, 5), I(0, 0, 0, 0, 0) }, 2, "src 7" },
	{ "lddw nonzero off", { I(0x18, 1, 0, 2, 5), I(0, 0, 0, 0, 0) }, 2, "off" },
	{ "add64 K with src", { I(0x07, 1, 2, 0, 5) }, 1, "reserved src" },
	{ "add64 X with imm", { I(0x0f, 1, 2, 0, 5) }, 1, "reserved imm" },
	{ "add32 K with off", { I(0x04, 1, 0, 1, 5) }, 1, "reserved off" },
	{ "exit with imm", { I(0x95, 0, 0, 0, 1) }, 1, "reserved imm" },
	{ "exit with dst", { I(0x95, 1, 0, 0, 0) }, 1, "reserved dst" },
	{ "ja with src", { I(0x05, 0, 1, 3, 0) }, 1, "reserved src" },
	{ "ldxw with imm", { I(0x61, 1, 2, 0, 1) }, 1, "reserved imm" },
	{ "neg64 with imm", { I(0x87, 1, 0, 0, 1) }, 1, "reserved imm" },
	{ "div64 off 2", { I(0x37, 1, 0, 2, 5) }, 1, "off 2" },
	{ "movsx off 4", { I(0xbf, 1, 2, 4, 0) }, 1, "off 4" },
	{ "le with imm 8", { I(0xd4, 1, 0, 0, 8) }, 1, "imm 8" },
	{ "bswap with imm 0", { I(0xd7, 1, 0, 0, 0) }, 1, "imm 0" },
	{ "atomic32 imm 2", { I(0xc3, 1, 2, 0, 2) }, 1, "imm 2" },
	{ "atomic64 sub (0x10)", { I(0xdb, 1, 2, 0, 0x10) }, 1, "imm 16" },
	{ "call src 3", { I(0x85, 0, 3, 0, 1) }, 1, "src 3" },
	{ "dst r11", { I(0xb7, 11, 0, 0, 1) }, 1, "r11" },
	{ "src r15", { I(0xbf, 1, 15, 0, 0) }, 1, "r15" },
};

static void check_bad(void)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		char got[256] = "untouched", name[128];
		int rc = userbpf_disasm_insn(bads[i].in, bads[i].cnt, got, sizeof(got));

		snprintf(name, sizeof(name), "invalid: %s", bads[i].name);
		if (rc >= 0)
			tl_fail(name, "accepted as \"%s\" (rc %d)", got, rc);
		else if (rc != -EINVAL || !strstr(got, bads[i].reason))
			tl_fail(name, "rc %d, reason \"%s\" lacks \"%s\"", rc, got,
				bads[i].reason);
		else
			tl_ok(name);
	}
	{
		char got[64] = "untouched";
		struct userbpf_insn e = I(0x95, 0, 0, 0, 0);
		int rc = userbpf_disasm_insn(&e, 0, got, sizeof(got));
		TL_CHECK("invalid: zero slots", rc == -EINVAL && strcmp(got, "untouched"));
		rc = userbpf_disasm_insn(NULL, 1, got, sizeof(got));
		TL_CHECK("invalid: NULL insns", rc == -EINVAL);
	}
}

static void check_buffers(void)
{
	struct userbpf_insn lddw[2] = { I(0x18, 1, 0, 0, -1), I(0, 0, 0, 0, -1) };
	char small[6], canary[4] = "abc";
	int rc;

	memset(small, 'x', sizeof(small));
	rc = userbpf_disasm_insn(lddw, 2, small, sizeof(small));
	TL_CHECK("short buffer: slots still counted", rc == 2);
	TL_CHECK("short buffer: cut and terminated", !memcmp(small, "r1 = ", 6));
	rc = userbpf_disasm_insn(lddw, 2, canary, 0);
	TL_CHECK("zero-size buffer: untouched", rc == 2 && !strcmp(canary, "abc"));
	rc = userbpf_disasm_insn(lddw, 2, NULL, 0);
	TL_CHECK("NULL buffer", rc == 2);
}

static const struct userbpf_insn prog[] = {
	I(0xb7, 0, 0, 0, 1),		/* 0: r0 = 1 */
	I(0x18, 1, 0, 0, 7), I(0, 0, 0, 0, 1),	/* 1: r1 = 4294967303 ll */
	I(0x15, 1, 0, 2, 0),		/* 3: if r1 == 0 goto +2 */
	I(0x85, 0, 1, 0, 2),		/* 4: call 2 (bpf2bpf, to 7) */
	I(0x05, 0, 0, 0, 0),		/* 5: goto +0 */
	I(0x95, 0, 0, 0, 0),		/* 6: exit */
	I(0x61, 0, 10, -4, 0),		/* 7: r0 = *(u32 *)(r10 - 4) */
	I(0x95, 0, 0, 0, 0),		/* 8: exit */
};

static const char prog_text[] =
	"   0: r0 = 1\n"
	"   1: r1 = 4294967303 ll\n"
	"   3: if r1 == 0 goto +2\n"
	"   4: call 2\n"
	"   5: goto +0\n"
	"   6: exit\n"
	"   7: r0 = *(u32 *)(r10 - 4)\n"
	"   8: exit\n";

static const char prog_text_op[] =
	"   0: (b7) r0 = 1\n"
	"   1: (18) r1 = 4294967303 ll\n"
	"   3: (15) if r1 == 0 goto +2\n"
	"   4: (85) call 2\n"
	"   5: (05) goto +0\n"
	"   6: (95) exit\n"
	"   7: (61) w0 = *(u32 *)(r10 - 4)\n"
	"   8: (95) exit\n";

static void check_dumps(void)
{
	enum { N = sizeof(prog) / sizeof(prog[0]) };
	struct userbpf_insn withbad[3] = { I(0xb7, 0, 0, 0, 1), I(0xff, 0, 0, 0, 0),
					   I(0x95, 0, 0, 0, 0) };
	struct ub_dinsn d[N];
	char buf[1024], why[160], *mem = NULL;
	size_t len = 0, bad_idx = 0, msz = 0;
	FILE *f;
	int rc;

	rc = ub_disasm_prog_buf(buf, sizeof(buf), &len, prog, N, 0);
	if (rc || strcmp(buf, prog_text) || len != strlen(prog_text))
		tl_fail("dump: raw program", "rc %d len %zu:\n%s", rc, len, buf);
	else
		tl_ok("dump: raw program");

	rc = ub_disasm_prog_buf(buf, sizeof(buf), &len, prog, N,
				UB_DISASM_OPCODE | UB_DISASM_ALU32);
	if (rc || strcmp(buf, prog_text_op))
		tl_fail("dump: opcode column, alu32", "rc %d:\n%s", rc, buf);
	else
		tl_ok("dump: opcode column, alu32");

	rc = ub_disasm_prog_buf(buf, 10, &len, prog, N, 0);
	TL_CHECK("dump: short buffer reports the needed length",
		 rc == 0 && len == strlen(prog_text) && !strncmp(buf, prog_text, 9) &&
		 buf[9] == '\0');

	rc = ub_disasm_prog_buf(buf, sizeof(buf), NULL, withbad, 3, 0);
	TL_CHECK("dump: invalid slot is shown and reported",
		 rc == -EINVAL && strstr(buf, "   1: <invalid: unknown opcode 0xff>\n") &&
		 strstr(buf, "   2: exit\n"));

	f = open_memstream(&mem, &msz);
	if (!f) {
		tl_fail("dump: to a stream", "open_memstream failed");
	} else {
		rc = ub_disasm_prog_file(f, prog, N, 0);
		fclose(f);
		TL_CHECK("dump: to a stream", rc == 0 && mem && !strcmp(mem, prog_text));
		free(mem);
		mem = NULL;
	}

	/* Decoded instructions print as the bytecode they came from. */
	rc = ub_decode_prog(prog, N, d, &bad_idx, why, sizeof(why));
	if (rc) {
		tl_fail("dump: decoded program", "decode failed at %zu: %s", bad_idx, why);
		return;
	}
	f = open_memstream(&mem, &msz);
	if (!f) {
		tl_fail("dump: decoded program", "open_memstream failed");
		return;
	}
	rc = ub_disasm_dprog_file(f, d, N, 0);
	fclose(f);
	if (rc || !mem || strcmp(mem, prog_text))
		tl_fail("dump: decoded program", "rc %d:\n%s", rc, mem ? mem : "(null)");
	else
		tl_ok("dump: decoded program");
	free(mem);
	rc = ub_disasm_dinsn(d, N, 2, 0, buf, sizeof(buf));
	TL_CHECK("dump: second half of lddw is not an instruction", rc == -EINVAL);
}

/* Random slots: never a crash, always a terminated text, and an answer
 * that agrees with the decoder. */
static void check_random(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned long bad = 0, valid = 0;
	char why[160], first[256] = "";

	for (int n = 0; n < 200000; n++) {
		struct userbpf_insn in[2];
		char got[48];
		size_t cnt;
		int rc, op, want;

		for (int k = 0; k < 2; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			memcpy(&in[k], &x, sizeof(in[k]));
		}
		if (n & 1)
			in[1] = (struct userbpf_insn){ .imm = in[1].imm };
		if (n & 4) {	/* bias toward real opcodes and registers */
			in[0].code = ub_opinfo[(x >> 40) % UB_OP__COUNT].code;
			in[0].dst_reg %= 11;
			in[0].src_reg %= 11;
			if (n & 8)
				in[0].off = in[0].imm = 0;
		}
		memset(got, 'x', sizeof(got));
		cnt = 1 + (n & 1);
		rc = ub_disasm_insn(in, cnt, n & 2 ? UB_DISASM_ALU32 : 0, got, sizeof(got));
		op = ub_decode_op(&in[0], why, sizeof(why));
		if (op < 0)
			want = -EINVAL;
		else if (ub_opinfo[op].fmt != F_LDDW)
			want = 1;
		else
			want = cnt == 2 && !in[1].code && !in[1].dst_reg && !in[1].src_reg &&
			       !in[1].off ? 2 : -EINVAL;
		valid += rc > 0;
		if (!memchr(got, '\0', sizeof(got)) || rc != want) {
			if (!bad++)
				snprintf(first, sizeof(first), "code 0x%02x: rc %d, want %d",
					 in[0].code, rc, want);
		}
	}
	if (bad || valid == 0)
		tl_fail("random slots", "%lu bad, %lu valid; first: %s", bad, valid, first);
	else
		tl_ok("random slots");
	printf("# random slots: %lu of 200000 decoded and printed\n", valid);
}

int main(void)
{
	unsigned char covered[UB_OP__COUNT] = { 0 };
	int missing = 0;

	check_rows(rows, sizeof(rows) / sizeof(rows[0]), 0, "text", covered);
	check_rows(alu32_rows, sizeof(alu32_rows) / sizeof(alu32_rows[0]),
		   UB_DISASM_ALU32, "alu32", covered);
	for (int op = 0; op < UB_OP__COUNT; op++) {
		if (!covered[op]) {
			missing++;
			printf("# no passing expected text for row %s\n", ub_opinfo[op].id);
		}
	}
	if (missing)
		tl_fail("every table row has an expected text", "%d rows lack one", missing);
	else
		tl_ok("every table row has an expected text");
	check_bad();
	check_buffers();
	check_dumps();
	check_random();
	return tl_exit();
}
