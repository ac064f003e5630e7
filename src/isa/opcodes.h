/* SPDX-License-Identifier: MIT */
/*
 * opcodes.h - the one opcode table of userbpf.
 *
 * Every instruction that RFC 9669 defines (cpu v1..v4, the legacy packet
 * loads, the lddw pseudo forms) is one line of UB_OPCODES below.  The
 * decoder, the encoding validator, the disassembler, the assembler, the
 * interpreter's dispatch table and the JITs' coverage checks all expand this
 * list, so an instruction is added or changed in exactly one place.
 *
 * An instruction slot is 8 bytes, little-endian:
 *
 *     7 6 5 4 3 2 1 0   bit
 *    +-------+-----+--+
 *    | op    |s/sz |cl|   code  (byte 0)   cl: class (3 bits)
 *    +-------+-------+
 *    |  src  |  dst  |      regs  (byte 1)
 *    +-------+-------+
 *    |      off      |      int16 (bytes 2-3)
 *    +---------------+
 *    |      imm      |      int32 (bytes 4-7)
 *    +---------------+
 *
 * Some opcode bytes name several instructions; the field named by the
 * variant column tells them apart (sdiv is div with off=1, the atomics are
 * told apart by imm, lddw's pseudo forms by src).
 *
 * Columns:
 *   id     enum name (UB_OP_<id>)
 *   code   opcode byte
 *   vk,vv  variant: which field (V_NONE, V_OFF, V_IMM, V_SRC) must hold vv
 *   zero   fields that must be zero (Z_DST, Z_SRC, Z_OFF, Z_IMM)
 *   fmt    operand shape (F_*), shared by the disassembler and assembler
 *   w      operation width in bits (ALU, JMP, END) or access size in bytes
 *   cpu    the lowest -mcpu version that has the instruction
 *   asm    bpf_conformance assembler mnemonic
 *   sym    the operator llvm-objdump prints
 *
 * The rows are sorted by (class, opcode byte): the decoder binary-searches
 * them, and a unit test checks the order.
 */
#ifndef USERBPF_ISA_OPCODES_H
#define USERBPF_ISA_OPCODES_H

/* clang-format off */
#define UB_OPCODES(X) \
	X(LDDW,                0x18, V_SRC,   0, Z_OFF,                   F_LDDW,       64, 1, "lddw",        "") \
	X(LDDW_MAP_FD,         0x18, V_SRC,   1, Z_OFF,                   F_LDDW,       64, 1, "lddw",        "") \
	X(LDDW_MAP_VALUE,      0x18, V_SRC,   2, Z_OFF,                   F_LDDW,       64, 1, "lddw",        "") \
	X(LDDW_BTF_VAR,        0x18, V_SRC,   3, Z_OFF,                   F_LDDW,       64, 1, "lddw",        "") \
	X(LDDW_CODE,           0x18, V_SRC,   4, Z_OFF,                   F_LDDW,       64, 1, "lddw",        "") \
	X(LDDW_MAP_IDX,        0x18, V_SRC,   5, Z_OFF,                   F_LDDW,       64, 1, "lddw",        "") \
	X(LDDW_MAP_IDX_VALUE,  0x18, V_SRC,   6, Z_OFF,                   F_LDDW,       64, 1, "lddw",        "") \
	X(LDABSW,              0x20, V_NONE,   0, Z_DST|Z_SRC|Z_OFF,       F_LDABS,       4, 1, "ldabsw",      "") \
	X(LDABSH,              0x28, V_NONE,   0, Z_DST|Z_SRC|Z_OFF,       F_LDABS,       2, 1, "ldabsh",      "") \
	X(LDABSB,              0x30, V_NONE,   0, Z_DST|Z_SRC|Z_OFF,       F_LDABS,       1, 1, "ldabsb",      "") \
	X(LDINDW,              0x40, V_NONE,   0, Z_DST|Z_OFF,             F_LDIND,       4, 1, "ldindw",      "") \
	X(LDINDH,              0x48, V_NONE,   0, Z_DST|Z_OFF,             F_LDIND,       2, 1, "ldindh",      "") \
	X(LDINDB,              0x50, V_NONE,   0, Z_DST|Z_OFF,             F_LDIND,       1, 1, "ldindb",      "") \
	X(LDXW,                0x61, V_NONE,   0, Z_IMM,                   F_LDX,         4, 1, "ldxw",        "") \
	X(LDXH,                0x69, V_NONE,   0, Z_IMM,                   F_LDX,         2, 1, "ldxh",        "") \
	X(LDXB,                0x71, V_NONE,   0, Z_IMM,                   F_LDX,         1, 1, "ldxb",        "") \
	X(LDXDW,               0x79, V_NONE,   0, Z_IMM,                   F_LDX,         8, 1, "ldxdw",       "") \
	X(LDXSW,               0x81, V_NONE,   0, Z_IMM,                   F_LDXS,        4, 4, "ldxsw",       "") \
	X(LDXSH,               0x89, V_NONE,   0, Z_IMM,                   F_LDXS,        2, 4, "ldxsh",       "") \
	X(LDXSB,               0x91, V_NONE,   0, Z_IMM,                   F_LDXS,        1, 4, "ldxsb",       "") \
	X(STW,                 0x62, V_NONE,   0, Z_SRC,                   F_ST,          4, 1, "stw",         "") \
	X(STH,                 0x6a, V_NONE,   0, Z_SRC,                   F_ST,          2, 1, "sth",         "") \
	X(STB,                 0x72, V_NONE,   0, Z_SRC,                   F_ST,          1, 1, "stb",         "") \
	X(STDW,                0x7a, V_NONE,   0, Z_SRC,                   F_ST,          8, 1, "stdw",        "") \
	X(STXW,                0x63, V_NONE,   0, Z_IMM,                   F_STX,         4, 1, "stxw",        "") \
	X(STXH,                0x6b, V_NONE,   0, Z_IMM,                   F_STX,         2, 1, "stxh",        "") \
	X(STXB,                0x73, V_NONE,   0, Z_IMM,                   F_STX,         1, 1, "stxb",        "") \
	X(STXDW,               0x7b, V_NONE,   0, Z_IMM,                   F_STX,         8, 1, "stxdw",       "") \
	X(ATOMIC32_ADD,        0xc3, V_IMM, 0x00, 0,                       F_ATOMIC,      4, 3, "add",         "+=") \
	X(ATOMIC32_ADD_FETCH,  0xc3, V_IMM, 0x01, 0,                       F_ATOMIC,      4, 3, "fetch add",   "+=") \
	X(ATOMIC32_OR,         0xc3, V_IMM, 0x40, 0,                       F_ATOMIC,      4, 3, "or",          "|=") \
	X(ATOMIC32_OR_FETCH,   0xc3, V_IMM, 0x41, 0,                       F_ATOMIC,      4, 3, "fetch or",    "|=") \
	X(ATOMIC32_AND,        0xc3, V_IMM, 0x50, 0,                       F_ATOMIC,      4, 3, "and",         "&=") \
	X(ATOMIC32_AND_FETCH,  0xc3, V_IMM, 0x51, 0,                       F_ATOMIC,      4, 3, "fetch and",   "&=") \
	X(ATOMIC32_XOR,        0xc3, V_IMM, 0xa0, 0,                       F_ATOMIC,      4, 3, "xor",         "^=") \
	X(ATOMIC32_XOR_FETCH,  0xc3, V_IMM, 0xa1, 0,                       F_ATOMIC,      4, 3, "fetch xor",   "^=") \
	X(ATOMIC32_XCHG,       0xc3, V_IMM, 0xe1, 0,                       F_ATOMIC,      4, 3, "xchg",        "") \
	X(ATOMIC32_CMPXCHG,    0xc3, V_IMM, 0xf1, 0,                       F_ATOMIC,      4, 3, "cmpxchg",     "") \
	X(ATOMIC64_ADD,        0xdb, V_IMM, 0x00, 0,                       F_ATOMIC,      8, 3, "add",         "+=") \
	X(ATOMIC64_ADD_FETCH,  0xdb, V_IMM, 0x01, 0,                       F_ATOMIC,      8, 3, "fetch add",   "+=") \
	X(ATOMIC64_OR,         0xdb, V_IMM, 0x40, 0,                       F_ATOMIC,      8, 3, "or",          "|=") \
	X(ATOMIC64_OR_FETCH,   0xdb, V_IMM, 0x41, 0,                       F_ATOMIC,      8, 3, "fetch or",    "|=") \
	X(ATOMIC64_AND,        0xdb, V_IMM, 0x50, 0,                       F_ATOMIC,      8, 3, "and",         "&=") \
	X(ATOMIC64_AND_FETCH,  0xdb, V_IMM, 0x51, 0,                       F_ATOMIC,      8, 3, "fetch and",   "&=") \
	X(ATOMIC64_XOR,        0xdb, V_IMM, 0xa0, 0,                       F_ATOMIC,      8, 3, "xor",         "^=") \
	X(ATOMIC64_XOR_FETCH,  0xdb, V_IMM, 0xa1, 0,                       F_ATOMIC,      8, 3, "fetch xor",   "^=") \
	X(ATOMIC64_XCHG,       0xdb, V_IMM, 0xe1, 0,                       F_ATOMIC,      8, 3, "xchg",        "") \
	X(ATOMIC64_CMPXCHG,    0xdb, V_IMM, 0xf1, 0,                       F_ATOMIC,      8, 3, "cmpxchg",     "") \
	X(ADD32_K,             0x04, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      32, 1, "add32",       "+=") \
	X(ADD32_X,             0x0c, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      32, 1, "add32",       "+=") \
	X(SUB32_K,             0x14, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      32, 1, "sub32",       "-=") \
	X(SUB32_X,             0x1c, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      32, 1, "sub32",       "-=") \
	X(MUL32_K,             0x24, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      32, 1, "mul32",       "*=") \
	X(MUL32_X,             0x2c, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      32, 1, "mul32",       "*=") \
	X(DIV32_K,             0x34, V_OFF,   0, Z_SRC,                   F_ALU_K,      32, 1, "div32",       "/=") \
	X(SDIV32_K,            0x34, V_OFF,   1, Z_SRC,                   F_ALU_K,      32, 4, "sdiv32",      "s/=") \
	X(DIV32_X,             0x3c, V_OFF,   0, Z_IMM,                   F_ALU_X,      32, 1, "div32",       "/=") \
	X(SDIV32_X,            0x3c, V_OFF,   1, Z_IMM,                   F_ALU_X,      32, 4, "sdiv32",      "s/=") \
	X(OR32_K,              0x44, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      32, 1, "or32",        "|=") \
	X(OR32_X,              0x4c, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      32, 1, "or32",        "|=") \
	X(AND32_K,             0x54, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      32, 1, "and32",       "&=") \
	X(AND32_X,             0x5c, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      32, 1, "and32",       "&=") \
	X(LSH32_K,             0x64, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      32, 1, "lsh32",       "<<=") \
	X(LSH32_X,             0x6c, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      32, 1, "lsh32",       "<<=") \
	X(RSH32_K,             0x74, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      32, 1, "rsh32",       ">>=") \
	X(RSH32_X,             0x7c, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      32, 1, "rsh32",       ">>=") \
	X(NEG32,               0x84, V_NONE,   0, Z_SRC|Z_OFF|Z_IMM,       F_NEG,        32, 1, "neg32",       "= -") \
	X(MOD32_K,             0x94, V_OFF,   0, Z_SRC,                   F_ALU_K,      32, 1, "mod32",       "%=") \
	X(SMOD32_K,            0x94, V_OFF,   1, Z_SRC,                   F_ALU_K,      32, 4, "smod32",      "s%=") \
	X(MOD32_X,             0x9c, V_OFF,   0, Z_IMM,                   F_ALU_X,      32, 1, "mod32",       "%=") \
	X(SMOD32_X,            0x9c, V_OFF,   1, Z_IMM,                   F_ALU_X,      32, 4, "smod32",      "s%=") \
	X(XOR32_K,             0xa4, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      32, 1, "xor32",       "^=") \
	X(XOR32_X,             0xac, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      32, 1, "xor32",       "^=") \
	X(MOV32_K,             0xb4, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      32, 1, "mov32",       "=") \
	X(MOV32_X,             0xbc, V_OFF,   0, Z_IMM,                   F_ALU_X,      32, 1, "mov32",       "=") \
	X(MOVSX8_32,           0xbc, V_OFF,   8, Z_IMM,                   F_MOVSX,      32, 4, "movsx832",    "=") \
	X(MOVSX16_32,          0xbc, V_OFF,  16, Z_IMM,                   F_MOVSX,      32, 4, "movsx1632",   "=") \
	X(ARSH32_K,            0xc4, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      32, 1, "arsh32",      "s>>=") \
	X(ARSH32_X,            0xcc, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      32, 1, "arsh32",      "s>>=") \
	X(LE16,                0xd4, V_IMM,  16, Z_SRC|Z_OFF,             F_END,        16, 1, "le16",        "") \
	X(LE32,                0xd4, V_IMM,  32, Z_SRC|Z_OFF,             F_END,        32, 1, "le32",        "") \
	X(LE64,                0xd4, V_IMM,  64, Z_SRC|Z_OFF,             F_END,        64, 1, "le64",        "") \
	X(BE16,                0xdc, V_IMM,  16, Z_SRC|Z_OFF,             F_END,        16, 1, "be16",        "") \
	X(BE32,                0xdc, V_IMM,  32, Z_SRC|Z_OFF,             F_END,        32, 1, "be32",        "") \
	X(BE64,                0xdc, V_IMM,  64, Z_SRC|Z_OFF,             F_END,        64, 1, "be64",        "") \
	X(JA,                  0x05, V_NONE,   0, Z_DST|Z_SRC|Z_IMM,       F_JA,         64, 1, "ja",          "") \
	X(JEQ_K,               0x15, V_NONE,   0, Z_SRC,                   F_JMP_K,      64, 1, "jeq",         "==") \
	X(JEQ_X,               0x1d, V_NONE,   0, Z_IMM,                   F_JMP_X,      64, 1, "jeq",         "==") \
	X(JGT_K,               0x25, V_NONE,   0, Z_SRC,                   F_JMP_K,      64, 1, "jgt",         ">") \
	X(JGT_X,               0x2d, V_NONE,   0, Z_IMM,                   F_JMP_X,      64, 1, "jgt",         ">") \
	X(JGE_K,               0x35, V_NONE,   0, Z_SRC,                   F_JMP_K,      64, 1, "jge",         ">=") \
	X(JGE_X,               0x3d, V_NONE,   0, Z_IMM,                   F_JMP_X,      64, 1, "jge",         ">=") \
	X(JSET_K,              0x45, V_NONE,   0, Z_SRC,                   F_JMP_K,      64, 1, "jset",        "&") \
	X(JSET_X,              0x4d, V_NONE,   0, Z_IMM,                   F_JMP_X,      64, 1, "jset",        "&") \
	X(JNE_K,               0x55, V_NONE,   0, Z_SRC,                   F_JMP_K,      64, 1, "jne",         "!=") \
	X(JNE_X,               0x5d, V_NONE,   0, Z_IMM,                   F_JMP_X,      64, 1, "jne",         "!=") \
	X(JSGT_K,              0x65, V_NONE,   0, Z_SRC,                   F_JMP_K,      64, 1, "jsgt",        "s>") \
	X(JSGT_X,              0x6d, V_NONE,   0, Z_IMM,                   F_JMP_X,      64, 1, "jsgt",        "s>") \
	X(JSGE_K,              0x75, V_NONE,   0, Z_SRC,                   F_JMP_K,      64, 1, "jsge",        "s>=") \
	X(JSGE_X,              0x7d, V_NONE,   0, Z_IMM,                   F_JMP_X,      64, 1, "jsge",        "s>=") \
	X(CALL,                0x85, V_SRC,   0, Z_DST|Z_OFF,             F_CALL,       64, 1, "call",        "") \
	X(CALL_LOCAL,          0x85, V_SRC,   1, Z_DST|Z_OFF,             F_CALL_LOCAL, 64, 3, "call local",  "") \
	X(CALL_KFUNC,          0x85, V_SRC,   2, Z_DST,                   F_CALL_KFUNC, 64, 3, "call kfunc",  "") \
	X(CALLX,               0x8d, V_NONE,   0, Z_SRC|Z_OFF|Z_IMM,       F_CALLX,      64, 4, "callx",       "") \
	X(EXIT,                0x95, V_NONE,   0, Z_DST|Z_SRC|Z_OFF|Z_IMM, F_EXIT,       64, 1, "exit",        "") \
	X(JLT_K,               0xa5, V_NONE,   0, Z_SRC,                   F_JMP_K,      64, 2, "jlt",         "<") \
	X(JLT_X,               0xad, V_NONE,   0, Z_IMM,                   F_JMP_X,      64, 2, "jlt",         "<") \
	X(JLE_K,               0xb5, V_NONE,   0, Z_SRC,                   F_JMP_K,      64, 2, "jle",         "<=") \
	X(JLE_X,               0xbd, V_NONE,   0, Z_IMM,                   F_JMP_X,      64, 2, "jle",         "<=") \
	X(JSLT_K,              0xc5, V_NONE,   0, Z_SRC,                   F_JMP_K,      64, 2, "jslt",        "s<") \
	X(JSLT_X,              0xcd, V_NONE,   0, Z_IMM,                   F_JMP_X,      64, 2, "jslt",        "s<") \
	X(JSLE_K,              0xd5, V_NONE,   0, Z_SRC,                   F_JMP_K,      64, 2, "jsle",        "s<=") \
	X(JSLE_X,              0xdd, V_NONE,   0, Z_IMM,                   F_JMP_X,      64, 2, "jsle",        "s<=") \
	X(JA32,                0x06, V_NONE,   0, Z_DST|Z_SRC|Z_OFF,       F_JA32,       32, 4, "ja32",        "") \
	X(JEQ32_K,             0x16, V_NONE,   0, Z_SRC,                   F_JMP_K,      32, 3, "jeq32",       "==") \
	X(JEQ32_X,             0x1e, V_NONE,   0, Z_IMM,                   F_JMP_X,      32, 3, "jeq32",       "==") \
	X(JGT32_K,             0x26, V_NONE,   0, Z_SRC,                   F_JMP_K,      32, 3, "jgt32",       ">") \
	X(JGT32_X,             0x2e, V_NONE,   0, Z_IMM,                   F_JMP_X,      32, 3, "jgt32",       ">") \
	X(JGE32_K,             0x36, V_NONE,   0, Z_SRC,                   F_JMP_K,      32, 3, "jge32",       ">=") \
	X(JGE32_X,             0x3e, V_NONE,   0, Z_IMM,                   F_JMP_X,      32, 3, "jge32",       ">=") \
	X(JSET32_K,            0x46, V_NONE,   0, Z_SRC,                   F_JMP_K,      32, 3, "jset32",      "&") \
	X(JSET32_X,            0x4e, V_NONE,   0, Z_IMM,                   F_JMP_X,      32, 3, "jset32",      "&") \
	X(JNE32_K,             0x56, V_NONE,   0, Z_SRC,                   F_JMP_K,      32, 3, "jne32",       "!=") \
	X(JNE32_X,             0x5e, V_NONE,   0, Z_IMM,                   F_JMP_X,      32, 3, "jne32",       "!=") \
	X(JSGT32_K,            0x66, V_NONE,   0, Z_SRC,                   F_JMP_K,      32, 3, "jsgt32",      "s>") \
	X(JSGT32_X,            0x6e, V_NONE,   0, Z_IMM,                   F_JMP_X,      32, 3, "jsgt32",      "s>") \
	X(JSGE32_K,            0x76, V_NONE,   0, Z_SRC,                   F_JMP_K,      32, 3, "jsge32",      "s>=") \
	X(JSGE32_X,            0x7e, V_NONE,   0, Z_IMM,                   F_JMP_X,      32, 3, "jsge32",      "s>=") \
	X(JLT32_K,             0xa6, V_NONE,   0, Z_SRC,                   F_JMP_K,      32, 3, "jlt32",       "<") \
	X(JLT32_X,             0xae, V_NONE,   0, Z_IMM,                   F_JMP_X,      32, 3, "jlt32",       "<") \
	X(JLE32_K,             0xb6, V_NONE,   0, Z_SRC,                   F_JMP_K,      32, 3, "jle32",       "<=") \
	X(JLE32_X,             0xbe, V_NONE,   0, Z_IMM,                   F_JMP_X,      32, 3, "jle32",       "<=") \
	X(JSLT32_K,            0xc6, V_NONE,   0, Z_SRC,                   F_JMP_K,      32, 3, "jslt32",      "s<") \
	X(JSLT32_X,            0xce, V_NONE,   0, Z_IMM,                   F_JMP_X,      32, 3, "jslt32",      "s<") \
	X(JSLE32_K,            0xd6, V_NONE,   0, Z_SRC,                   F_JMP_K,      32, 3, "jsle32",      "s<=") \
	X(JSLE32_X,            0xde, V_NONE,   0, Z_IMM,                   F_JMP_X,      32, 3, "jsle32",      "s<=") \
	X(ADD64_K,             0x07, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      64, 1, "add",         "+=") \
	X(ADD64_X,             0x0f, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      64, 1, "add",         "+=") \
	X(SUB64_K,             0x17, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      64, 1, "sub",         "-=") \
	X(SUB64_X,             0x1f, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      64, 1, "sub",         "-=") \
	X(MUL64_K,             0x27, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      64, 1, "mul",         "*=") \
	X(MUL64_X,             0x2f, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      64, 1, "mul",         "*=") \
	X(DIV64_K,             0x37, V_OFF,   0, Z_SRC,                   F_ALU_K,      64, 1, "div",         "/=") \
	X(SDIV64_K,            0x37, V_OFF,   1, Z_SRC,                   F_ALU_K,      64, 4, "sdiv",        "s/=") \
	X(DIV64_X,             0x3f, V_OFF,   0, Z_IMM,                   F_ALU_X,      64, 1, "div",         "/=") \
	X(SDIV64_X,            0x3f, V_OFF,   1, Z_IMM,                   F_ALU_X,      64, 4, "sdiv",        "s/=") \
	X(OR64_K,              0x47, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      64, 1, "or",          "|=") \
	X(OR64_X,              0x4f, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      64, 1, "or",          "|=") \
	X(AND64_K,             0x57, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      64, 1, "and",         "&=") \
	X(AND64_X,             0x5f, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      64, 1, "and",         "&=") \
	X(LSH64_K,             0x67, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      64, 1, "lsh",         "<<=") \
	X(LSH64_X,             0x6f, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      64, 1, "lsh",         "<<=") \
	X(RSH64_K,             0x77, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      64, 1, "rsh",         ">>=") \
	X(RSH64_X,             0x7f, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      64, 1, "rsh",         ">>=") \
	X(NEG64,               0x87, V_NONE,   0, Z_SRC|Z_OFF|Z_IMM,       F_NEG,        64, 1, "neg",         "= -") \
	X(MOD64_K,             0x97, V_OFF,   0, Z_SRC,                   F_ALU_K,      64, 1, "mod",         "%=") \
	X(SMOD64_K,            0x97, V_OFF,   1, Z_SRC,                   F_ALU_K,      64, 4, "smod",        "s%=") \
	X(MOD64_X,             0x9f, V_OFF,   0, Z_IMM,                   F_ALU_X,      64, 1, "mod",         "%=") \
	X(SMOD64_X,            0x9f, V_OFF,   1, Z_IMM,                   F_ALU_X,      64, 4, "smod",        "s%=") \
	X(XOR64_K,             0xa7, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      64, 1, "xor",         "^=") \
	X(XOR64_X,             0xaf, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      64, 1, "xor",         "^=") \
	X(MOV64_K,             0xb7, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      64, 1, "mov",         "=") \
	X(MOV64_X,             0xbf, V_OFF,   0, Z_IMM,                   F_ALU_X,      64, 1, "mov",         "=") \
	X(MOVSX8_64,           0xbf, V_OFF,   8, Z_IMM,                   F_MOVSX,      64, 4, "movsx864",    "=") \
	X(MOVSX16_64,          0xbf, V_OFF,  16, Z_IMM,                   F_MOVSX,      64, 4, "movsx1664",   "=") \
	X(MOVSX32_64,          0xbf, V_OFF,  32, Z_IMM,                   F_MOVSX,      64, 4, "movsx3264",   "=") \
	X(ARSH64_K,            0xc7, V_NONE,   0, Z_SRC|Z_OFF,             F_ALU_K,      64, 1, "arsh",        "s>>=") \
	X(ARSH64_X,            0xcf, V_NONE,   0, Z_IMM|Z_OFF,             F_ALU_X,      64, 1, "arsh",        "s>>=") \
	X(BSWAP16,             0xd7, V_IMM,  16, Z_SRC|Z_OFF,             F_BSWAP,      16, 4, "bswap16",     "") \
	X(BSWAP32,             0xd7, V_IMM,  32, Z_SRC|Z_OFF,             F_BSWAP,      32, 4, "bswap32",     "") \
	X(BSWAP64,             0xd7, V_IMM,  64, Z_SRC|Z_OFF,             F_BSWAP,      64, 4, "bswap64",     "")

/* clang-format on */

#endif /* USERBPF_ISA_OPCODES_H */
