/* SPDX-License-Identifier: MIT */
/*
 * relevance.h - which registers and stack slots may reach a check, per
 * instruction (see relevance.c).
 */
#ifndef USERBPF_VERIFIER_RELEVANCE_H
#define USERBPF_VERIFIER_RELEVANCE_H

#include "verifier/verifier.h"

struct ub_rel_opts {
	bool check_return;		/* the main program's r0 is checked */
	bool div_by_zero_is_error;	/* divisors are checked */
	size_t main_end;		/* first instruction after the main function */
};

/*
 * Fills rel_r[i] (bit N: rN) and rel_s[i] (bit K: the 8-byte slot at
 * r10 - 512 + 8K) with what may reach a check from the entry of
 * instruction i, and live_r[i] with the registers some path reads before
 * writing them.  Returns 0 or -ENOMEM.
 */
int ub_vfy_relevance(struct userbpf_rt *rt, const struct ub_dinsn *d, size_t cnt,
		     const struct ub_rel_opts *o, uint16_t *rel_r, uint64_t *rel_s,
		     uint16_t *live_r);

#endif
