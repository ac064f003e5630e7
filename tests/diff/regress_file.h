/* SPDX-License-Identifier: MIT */
/*
 * regress_file.h - the text form of one differential regression case,
 * shared by tests/diff/kernel_diff.c (which writes such files and checks
 * them against the kernel) and tests/diff/regress.c (which replays them
 * through the interpreter without a kernel).
 *
 * A case file (tests/data/diff-regress/NAME.txt) holds one instruction
 * slot per line as 16 hex digits, the slot's 8 bytes in memory order (so
 * "b70000002a000000" is mov r0, 42), and comment lines starting with '#'.
 * The comment "# expect 0xXXXXXXXX" records the low 32 bits of r0 that
 * Linux returned for the program (BPF_PROG_TEST_RUN as a socket filter),
 * which is what the interpreter must reproduce.
 *
 * Header-only with static functions because each test program is one .c
 * file in this build.
 */
#ifndef USERBPF_TESTS_DIFF_REGRESS_FILE_H
#define USERBPF_TESTS_DIFF_REGRESS_FILE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "userbpf/userbpf.h"

#define RF_MAX_SLOTS 4096

struct rf_case {
	struct userbpf_insn insns[RF_MAX_SLOTS];
	size_t cnt;
	bool has_expect;
	uint32_t expect;
};

static inline int rf_hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Parses the file at path into *c.  Returns 0, or -1 with a reason in
 * why (naming the line) for anything that is not a well-formed case. */
static inline int rf_read(const char *path, struct rf_case *c, char *why, size_t why_sz)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int lineno = 0, rc = 0;

	memset(c, 0, sizeof(*c));
	if (!f) {
		snprintf(why, why_sz, "cannot open: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *e;
		uint8_t b[8];

		lineno++;
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*s == '\0')
			continue;
		if (*s == '#') {
			unsigned long long v;
			char tail;
			if (sscanf(s, "# expect %llx %c", &v, &tail) == 1) {
				if (v > 0xffffffffull) {
					snprintf(why, why_sz, "line %d: expect wider than 32 bits", lineno);
					rc = -1;
					break;
				}
				c->has_expect = true;
				c->expect = (uint32_t)v;
			}
			continue;
		}
		if (e - s != 16) {
			snprintf(why, why_sz, "line %d: want 16 hex digits", lineno);
			rc = -1;
			break;
		}
		for (int i = 0; i < 8; i++) {
			int hi = rf_hexval(s[2 * i]), lo = rf_hexval(s[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				snprintf(why, why_sz, "line %d: not hex", lineno);
				rc = -1;
				break;
			}
			b[i] = (uint8_t)(hi << 4 | lo);
		}
		if (rc)
			break;
		if (c->cnt == RF_MAX_SLOTS) {
			snprintf(why, why_sz, "line %d: more than %d slots", lineno, RF_MAX_SLOTS);
			rc = -1;
			break;
		}
		memcpy(&c->insns[c->cnt++], b, 8);
	}
	fclose(f);
	if (!rc && c->cnt == 0) {
		snprintf(why, why_sz, "no instructions");
		rc = -1;
	}
	return rc;
}

/* The packet both tests hand to a program (BPF_PROG_TEST_RUN's data_in and
 * the interpreter's LD_ABS packet), so a case may read it. */
#define RF_PKT_LEN 64
static inline void rf_fill_pkt(uint8_t pkt[RF_PKT_LEN])
{
	for (unsigned i = 0; i < RF_PKT_LEN; i++)
		pkt[i] = (uint8_t)(i * 37 + 11);
}

/* Writes the slots in the case format (no trailing comment). */
static inline void rf_write_slots(FILE *f, const struct userbpf_insn *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b[8];
		memcpy(b, &p[i], 8);
		for (int k = 0; k < 8; k++)
			fprintf(f, "%02x", b[k]);
		fputc('\n', f);
	}
}

#endif
