/* SPDX-License-Identifier: MIT */
/*
 * text_internal.h - the few text-handling pieces both assemblers share:
 * growing an output array and telling white space.  Their outputs are
 * handed to the caller, who frees them with free(), so they use realloc
 * rather than the runtime's allocator (they run without a runtime).
 */
#ifndef USERBPF_ISA_TEXT_INTERNAL_H
#define USERBPF_ISA_TEXT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* Returns arr grown to hold `need` elements (need >= 1), updating *cap;
 * or NULL on overflow or out of memory, leaving arr untouched. */
static inline void *ub_text_grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return arr;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return NULL;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / elem)
		return NULL;
	p = realloc(arr, ncap * elem);
	if (p)
		*cap = ncap;
	return p;
}

/* White space inside a line (the line breaks are the callers'). */
static inline bool ub_text_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

#endif
