/* SPDX-License-Identifier: MIT */
/*
 * fuzz_asm.c - libFuzzer target: arbitrary text through the
 * bpf_conformance assembler.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "userbpf/userbpf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct userbpf_insn *insns = NULL;
	size_t cnt = 0;
	char err[128];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (userbpf_asm(text, &insns, &cnt, err, sizeof(err)) == 0)
		free(insns);
	free(text);
	return 0;
}
