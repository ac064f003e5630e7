/* SPDX-License-Identifier: MIT */
/*
 * sites.c - finds the syscall sites of x86-64 machine code that the
 * syscall-tracing agent can rewrite up front (at start-up, before any
 * trap), and guesses the numbers the others issue.
 *
 * Every `syscall` (0f 05) is classified by looking backwards from it:
 *   REWRITE  `mov $NR,%eax` (b8 imm32, NR < 512), then zero or more
 *            instructions from a small list that neither write eax nor
 *            address relative to rip, but for lea (register and stack
 *            moves, lea, xor, add, test, ...), then the syscall: glibc's
 *            wrappers.  The agent
 *            overwrites the five bytes of the mov with a jump to a stub;
 *            the bytes after it stay.
 *   GUESSED  not of that shape, but a `mov $NR,%eax` lies shortly
 *            before it (or `xor %eax,%eax`: read; or `mov %rX,%eax`
 *            after a `mov $NR,%rX`): probably NR.
 *   UNKNOWN  the number comes from elsewhere (a register, memory).
 * This is a byte scan, not a disassembly: a `b8` inside another
 * instruction could look like a mov.  A byte before the b8 that would make
 * it part of a longer instruction (a REX or other prefix, 0f) leaves the
 * site GUESSED (a wrong guess only costs a filter); on glibc 2.36 the REWRITE sites found are exactly objdump's
 * `mov $NR,%eax` ... `syscall` sequences (bench/syscalls/sites_check.sh).
 */
#include <string.h>
#include "hooks/hooks.h"

#define SITE_BACK 28	/* bytes looked at before a syscall */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The bytes of a `mov $NR,%eax` at code[j]. */
static bool mov_nr_at(const uint8_t *code, size_t j, size_t len)
{
	return j + 5 <= len && code[j] == 0xb8 && le32(code + j + 1) < UB_SITE_NR_MAX;
}

/* ... that no prefix makes part of another instruction (mov $imm,%r8d,
 * mov $imm16,%ax, popcnt).  A byte that only looks like one (the end of
 * the instruction before) costs the site its rewriting, nothing else. */
static bool no_prefix(const uint8_t *code, size_t j)
{
	uint8_t pre = j ? code[j - 1] : 0;

	return !(pre >= 0x40 && pre <= 0x4f) && pre != 0x66 && pre != 0x67 && pre != 0x0f;
}

/*
 * Length of the instruction at p (at most `room` bytes) when it is one of
 * the few that may sit between the mov and the syscall: it must not write
 * eax (or ah), address relative to rip (but lea), nor use r11 (the
 * agent's stub uses it before running these instructions).  0 otherwise.
 */
size_t ub_site_insn_len(const uint8_t *p, size_t room)
{
	size_t k = 0;
	uint8_t rex = 0, op, m, mod, reg, rm;
	int dest;

	if (room && p[0] >= 0x40 && p[0] <= 0x4f)
		rex = p[k++];
	if (k >= room)
		return 0;
	op = p[k++];
	if (op >= 0xb8 && op <= 0xbf) {	/* mov $imm, %reg */
		int r = (op - 0xb8) | (rex & 1) << 3;

		if (r == 0 || r == 11)
			return 0;
		k += rex & 8 ? 8 : 4;
		return k <= room ? k : 0;
	}
	switch (op) {
	case 0x01: case 0x03: case 0x29: case 0x2b: case 0x31: case 0x33: case 0x63:
	case 0x80: case 0x83: case 0x85: case 0x89: case 0x8b: case 0x8d: case 0xc7:
		break;
	default:
		return 0;
	}
	if (k >= room)
		return 0;
	m = p[k++];
	mod = m >> 6;
	reg = (uint8_t)(((m >> 3) & 7) | (rex & 4) << 1);
	rm = (uint8_t)((m & 7) | (rex & 1) << 3);
	if (op == 0x8d && mod == 3)
		return 0;
	if (mod == 0 && (m & 7) == 5) {
		/* rip-relative: only lea, which ub_site_copy moves */
		if (op != 0x8d || reg == 0 || reg == 11)
			return 0;
		return k + 4 <= room ? k + 4 : 0;
	}
	if (mod != 3 && (m & 7) == 4)
		k++;		/* SIB */
	if (mod != 3 && (m & 7) == 4) {
		uint8_t sib = k <= room ? p[k - 1] : 0;

		if (k > room || (mod == 0 && (sib & 7) == 5))
			return 0;	/* SIB with a disp32 and no base: keep it simple */
		if (((sib & 7) | (rex & 1) << 3) == 11 || ((sib >> 3 & 7) | (rex & 2) << 2) == 11)
			return 0;	/* r11: the stub's scratch register */
	} else if (rm == 11) {
		return 0;
	}
	if (reg == 11 && op != 0x80 && op != 0x83 && op != 0xc7)
		return 0;	/* (for these three, reg is part of the opcode) */
	k += mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (op == 0x80 || op == 0x83)
		k += 1;
	if (op == 0xc7) {
		if ((m >> 3 & 7) != 0)
			return 0;
		k += 4;
	}
	/* the register written, -1: memory or none */
	switch (op) {
	case 0x03: case 0x2b: case 0x33: case 0x63: case 0x8b: case 0x8d:
		dest = reg;
		break;
	case 0x85:
		dest = -1;
		break;
	case 0x80: case 0x83:
		dest = (m >> 3 & 7) == 7 ? -1 : mod == 3 ? rm : -1;	/* /7 is cmp */
		if (op == 0x80 && dest == 4 && !rex)
			dest = 0;	/* ah */
		break;
	default:
		dest = mod == 3 ? rm : -1;
	}
	if (dest == 0)
		return 0;
	return k <= room ? k : 0;
}

/* The instructions in [from, to) are all on the list. */
static bool chain_ok(const uint8_t *code, size_t from, size_t to)
{
	while (from < to) {
		size_t n = ub_site_insn_len(code + from, to - from);

		if (!n)
			return false;
		from += n;
	}
	return from == to;
}

/*
 * A number kept in another register: `mov $NR,%rXd` ... `mov %rXd,%eax`
 * shortly before the syscall (compilers hoist the constant: glibc's
 * getentropy, _exit, futex loops).  Returns NR or -1.
 */
static int guess_from_reg(const uint8_t *code, size_t s)
{
	for (size_t d = 2; d <= 10 && d <= s; d++) {
		size_t j = s - d;
		int r;

		if (code[j] != 0x89 || (code[j + 1] & 0xc7) != 0xc0)
			continue;	/* mov %reg, %eax */
		r = code[j + 1] >> 3 & 7;
		if (j && (code[j - 1] & 0xf4) == 0x44)
			r += 8;		/* REX.R */
		if (!r)
			continue;
		for (size_t back = 5; back <= 64 && back <= j; back++) {
			size_t k = j - back;
			bool rexb = k && (code[k - 1] & 0xf9) == 0x41;

			if (code[k] == 0xb8 + (r & 7) && rexb == (r >= 8) &&
			    le32(code + k + 1) < UB_SITE_NR_MAX)
				return (int)le32(code + k + 1);
		}
	}
	return -1;
}

size_t ub_sites_scan(const uint8_t *code, size_t len, uint64_t addr, struct ub_site *out,
		     size_t cap)
{
	size_t n = 0;

	/* memchr for the rarer second byte: libc's 1.4 MB in 0.12 ms */
	for (size_t s = 0; s + 1 < len; s++) {
		const uint8_t *q = memchr(code + s + 1, 0x05, len - 1 - s);
		struct ub_site st;

		if (!q)
			break;
		s = (size_t)(q - code) - 1;
		if (code[s] != 0x0f)
			continue;
		st = (struct ub_site){ 0, addr + s, -1, UB_SITE_UNKNOWN };
		for (size_t back = 5; back <= SITE_BACK && back <= s; back++) {
			size_t j = s - back;

			if (!mov_nr_at(code, j, len))
				continue;
			if (no_prefix(code, j) && chain_ok(code, j + 5, s)) {
				st.kind = UB_SITE_REWRITE;
				st.mov = addr + j;
				st.nr = (int)le32(code + j + 1);
				break;
			}
			if (st.kind == UB_SITE_UNKNOWN) {
				st.kind = UB_SITE_GUESSED;
				st.nr = (int)le32(code + j + 1);
			}
		}
		if (st.kind == UB_SITE_UNKNOWN && s >= 2 && code[s - 2] == 0x31 && code[s - 1] == 0xc0) {
			st.kind = UB_SITE_GUESSED;
			st.nr = 0;
		}
		if (st.kind == UB_SITE_UNKNOWN)
			st.nr = guess_from_reg(code, s);
		if (st.nr >= 0 && st.kind == UB_SITE_UNKNOWN)
			st.kind = UB_SITE_GUESSED;
		if (n < cap)
			out[n] = st;
		n++;
		s++;
	}
	return n;
}

bool ub_site_copy(uint8_t *dst, const uint8_t *src, size_t len, uint64_t from, uint64_t to)
{
	size_t k = 0;

	memcpy(dst, src, len);
	while (k < len) {
		size_t n = ub_site_insn_len(src + k, len - k);
		size_t pre = src[k] >= 0x40 && src[k] <= 0x4f;

		if (!n)
			return false;
		if (src[k + pre] == 0x8d && (src[k + pre + 1] & 0xc7) == 0x05) {
			/* lea disp32(%rip): the same target from the new place */
			int32_t d;
			int64_t nd;

			memcpy(&d, src + k + pre + 2, 4);
			nd = (int64_t)d + (int64_t)(from - to);
			if (nd < INT32_MIN || nd > INT32_MAX)
				return false;
			d = (int32_t)nd;
			memcpy(dst + k + pre + 2, &d, 4);
		}
		k += n;
	}
	return true;
}
