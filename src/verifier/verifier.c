/* SPDX-License-Identifier: MIT */
/*
 * verifier.c - placeholder while the analysis is written: refuses every
 * program, so that nothing can take it for a proof.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "verifier/verifier.h"

int ub_verify(struct userbpf_rt *rt, const struct ub_dinsn *d, const struct userbpf_insn *insns,
	      size_t cnt, const struct ub_vfy_opts *opts, struct ub_vfy_result *res)
{
	(void)rt; (void)d; (void)insns; (void)cnt; (void)opts;
	memset(res, 0, sizeof(*res));
	snprintf(res->reason, sizeof(res->reason), "the verifier is not built yet");
	return 0;
}

void ub_vfy_result_free(struct userbpf_rt *rt, struct ub_vfy_result *res)
{
	if (!res)
		return;
	ub_free(rt, res->log);
	ub_free(rt, res->facts);
	res->log = NULL;
	res->facts = NULL;
}

const char *ub_rtype_name(int type)
{
	static const char *const names[UB_T__COUNT] = {
		"not_init", "scalar", "ctx", "fp", "pkt", "pkt_meta", "pkt_end", "map_ptr",
		"map_value", "map_value_or_null", "mem", "mem_or_null", "func",
	};
	return type >= 0 && type < UB_T__COUNT ? names[type] : "?";
}
