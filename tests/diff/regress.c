/* SPDX-License-Identifier: MIT */
/*
 * regress.c - replays the recorded differential cases without a kernel.
 *
 * Each file in $UB_ROOT/tests/data/diff-regress/ is a program together
 * with the 32-bit result Linux gave for it (format in regress_file.h).
 * Most came from mismatches that tests/diff/kernel_diff.c found; the rest
 * pin down edge cases (INT_MIN / -1, modulo by zero, shift masks, sign
 * extension, byte swaps).  Every file runs through the interpreter in
 * checked and fast mode, each with both dispatch styles, so a fixed bug
 * stays fixed on machines where bpf() is not available.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "testlib.h"
#include "exec/exec_internal.h"
#include "regress_file.h"

static int rg_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void rg_run(struct userbpf_rt *rt, const char *dir, const char *file)
{
	static const char *const modes[4] = { "checked,goto", "checked,switch", "fast,goto",
					      "fast,switch" };
	static struct rf_case c;
	static uint8_t pkt[RF_PKT_LEN];
	char path[1400], why[256], nm[512];
	struct userbpf_prog *prog;

	rf_fill_pkt(pkt);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(nm, sizeof(nm), "regress %s", file);
	if (rf_read(path, &c, why, sizeof(why))) {
		tl_fail(nm, "%s", why);
		return;
	}
	if (!c.has_expect) {
		tl_fail(nm, "no '# expect 0x...' line");
		return;
	}
	prog = userbpf_prog__load(rt, c.insns, c.cnt, NULL);
	if (!prog) {
		tl_fail(nm, "load refused: %s", tl_last_log);
		return;
	}
	for (int m = 0; m < 4; m++) {
		struct userbpf_run_opts o = { .sz = sizeof(o) };
		uint64_t r = 0;
		int err;

		o.pkt = pkt;
		o.pkt_len = sizeof(pkt);
		userbpf_prog__set_trusted(prog, m >= 2);
		err = ub_prog_run_dispatch(prog, &o, m & 1 ? UB_DISPATCH_SWITCH : UB_DISPATCH_GOTO, &r);
		snprintf(nm, sizeof(nm), "regress %s [%s]", file, modes[m]);
		if (err)
			tl_fail(nm, "run failed %d: %s", err, tl_last_log);
		else if ((uint32_t)r != c.expect)
			tl_fail(nm, "got 0x%08x, kernel gave 0x%08x", (uint32_t)r, c.expect);
		else
			tl_ok(nm);
	}
	userbpf_prog__free(prog);
}

int main(void)
{
	struct userbpf_rt_opts ro = { .sz = sizeof(ro), .log = tl_log };
	const char *root = getenv("UB_ROOT");
	char dir[1024];
	char **names = NULL;
	size_t cnt = 0, cap = 0;
	struct userbpf_rt *rt;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/data/diff-regress", root ? root : ".");
	d = opendir(dir);
	if (!d) {
		tl_fail("regress", "cannot open %s: %s", dir, strerror(errno));
		return tl_exit();
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len < 5 || strcmp(de->d_name + len - 4, ".txt"))
			continue;
		if (cnt == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*names));
			if (!nn)
				break;
			names = nn;
		}
		names[cnt] = strdup(de->d_name);
		if (names[cnt])
			cnt++;
	}
	closedir(d);
	/* An empty folder would make this test pass without checking anything. */
	if (cnt == 0) {
		tl_fail("regress", "no case files in %s", dir);
		free(names);
		return tl_exit();
	}
	qsort(names, cnt, sizeof(*names), rg_cmp);
	rt = userbpf_rt__new(&ro);
	if (!rt) {
		tl_fail("regress", "userbpf_rt__new: %s", strerror(errno));
	} else {
		for (size_t i = 0; i < cnt; i++)
			rg_run(rt, dir, names[i]);
		userbpf_rt__free(rt);
	}
	for (size_t i = 0; i < cnt; i++)
		free(names[i]);
	free(names);
	return tl_exit();
}
