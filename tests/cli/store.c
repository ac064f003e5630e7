/* SPDX-License-Identifier: MIT */
/*
 * store.c - the pinning store (src/store): where the root is, how bpffs
 * paths map into it, program pins written by one runtime and loaded, run
 * and counted by another (maps reached through their pins, hidden pins for
 * maps the user left unpinned), Linux's program tag, and bad pin files.
 * Then the CLI on a program with maps, which the object loader cannot
 * produce yet: `prog show` / `dump xlated` / `run` and `map dump` agree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testlib.h"

static char root[1024];

static void rm_rf(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static void test_root(void)
{
	char buf[4096], tmpl[] = "/tmp/ubstoreXXXXXX", want[4200];
	const char *xdg;
	struct stat st;

	TL_EQ_U64("root: USERBPF_ROOT", userbpf_store__root(buf, sizeof(buf)), 0);
	TL_CHECK("root: is USERBPF_ROOT", !strcmp(buf, root));
	if (!mkdtemp(tmpl)) {
		tl_fail("root: mkdtemp", "%s", strerror(errno));
		return;
	}
	unsetenv("USERBPF_ROOT");
	setenv("XDG_RUNTIME_DIR", tmpl, 1);
	TL_EQ_U64("root: XDG_RUNTIME_DIR", userbpf_store__root(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/userbpf", tmpl);
	TL_CHECK("root: is $XDG_RUNTIME_DIR/userbpf", !strcmp(buf, want));
	TL_CHECK("root: created 0700",
		 stat(want, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
	unsetenv("XDG_RUNTIME_DIR");
	TL_EQ_U64("root: fallback", userbpf_store__root(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "/tmp/userbpf-%u", (unsigned)getuid());
	TL_CHECK("root: fallback is /tmp/userbpf-UID", !strcmp(buf, want));
	TL_CHECK("root: fallback is 0700 and ours",
		 stat(want, &st) == 0 && (st.st_mode & 0777) == 0700 && st.st_uid == getuid());
	TL_EQ_U64("root: too small a buffer", userbpf_store__root(buf, 4),
		  (uint64_t)-ENAMETOOLONG);
	rm_rf(tmpl);
	setenv("USERBPF_ROOT", root, 1);
	(void)xdg;
}

static void test_paths(void)
{
	char buf[4096], want[4200], d[2048];
	struct stat st;

	TL_EQ_U64("path: bpffs pin", userbpf_store__path("/sys/fs/bpf/a/b/m", buf, sizeof(buf), 0), 0);
	snprintf(want, sizeof(want), "%s/a/b/m", root);
	TL_CHECK("path: /sys/fs/bpf/a/b/m is ROOT/a/b/m", !strcmp(buf, want));
	snprintf(want, sizeof(want), "%s/a/b", root);
	TL_CHECK("path: no directory made without MKDIR", stat(want, &st) != 0);
	TL_EQ_U64("path: MKDIR",
		  userbpf_store__path("/sys/fs/bpf/a/b/m", buf, sizeof(buf), USERBPF_STORE_MKDIR), 0);
	TL_CHECK("path: MKDIR made the parents 0700",
		 stat(want, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
	TL_EQ_U64("path: /sys/fs/bpf itself", userbpf_store__path("/sys/fs/bpf", buf, sizeof(buf), 0), 0);
	TL_CHECK("path: /sys/fs/bpf is ROOT", !strcmp(buf, root));
	TL_EQ_U64("path: /sys/fs/bpfx", userbpf_store__path("/sys/fs/bpfx/m", buf, sizeof(buf), 0), 0);
	TL_CHECK("path: /sys/fs/bpfx/m is used as given", !strcmp(buf, "/sys/fs/bpfx/m"));
	TL_EQ_U64("path: relative", userbpf_store__path("dir/m", buf, sizeof(buf), USERBPF_STORE_MKDIR), 0);
	TL_CHECK("path: relative is used as given", !strcmp(buf, "dir/m") && stat("dir", &st) != 0);
	TL_EQ_U64("path: .. refused", userbpf_store__path("/sys/fs/bpf/../etc/x", buf, sizeof(buf), 0),
		  (uint64_t)-EINVAL);
	TL_EQ_U64("path: a/.. refused", userbpf_store__path("/sys/fs/bpf/a/..", buf, sizeof(buf), 0),
		  (uint64_t)-EINVAL);
	TL_EQ_U64("path: ..name allowed", userbpf_store__path("/sys/fs/bpf/..x", buf, sizeof(buf), 0), 0);
	TL_EQ_U64("path: empty refused", userbpf_store__path("", buf, sizeof(buf), 0),
		  (uint64_t)-EINVAL);
	snprintf(d, sizeof(d), "%s/a/b/m", root);
	TL_EQ_U64("display: store path", userbpf_store__display_path(d, buf, sizeof(buf)), 0);
	TL_CHECK("display: ROOT/a/b/m is /sys/fs/bpf/a/b/m", !strcmp(buf, "/sys/fs/bpf/a/b/m"));
	TL_EQ_U64("display: other path", userbpf_store__display_path("/tmp/x", buf, sizeof(buf)), 0);
	TL_CHECK("display: other path as given", !strcmp(buf, "/tmp/x"));
}

static const struct userbpf_insn ret7[] = {
	{ .code = 0xb7, .imm = 7 }, { .code = 0x95 },
};

/* The data convention (r1 = data, r2 = len; so no program type):
 * map[0][key 0] += 1 through
 * bpf_map_lookup_elem, and the value of map[0][0] (lddw src 2) + len
 * returned. */
static const struct userbpf_insn count_prog[] = {
	{ .code = 0xbf, .dst_reg = 6, .src_reg = 2 },		/* r6 = r2 */
	{ .code = 0x62, .dst_reg = 10, .off = -4, .imm = 0 },	/* *(u32 *)(r10 - 4) = 0 */
	{ .code = 0xbf, .dst_reg = 2, .src_reg = 10 },		/* r2 = r10 */
	{ .code = 0x07, .dst_reg = 2, .imm = -4 },		/* r2 += -4 */
	{ .code = 0x18, .dst_reg = 1, .src_reg = 1, .imm = 0 }, /* r1 = map[0] */
	{ 0 },
	{ .code = 0x85, .imm = 1 },				/* call map_lookup_elem */
	{ .code = 0x15, .dst_reg = 0, .off = 2, .imm = 0 },	/* if r0 == 0 goto +2 */
	{ .code = 0xb7, .dst_reg = 1, .imm = 1 },		/* r1 = 1 */
	{ .code = 0xdb, .dst_reg = 0, .src_reg = 1, .imm = 0 },	/* lock *(u64 *)(r0 + 0) += r1 */
	{ .code = 0x18, .dst_reg = 1, .src_reg = 2, .imm = 0 }, /* r1 = map[0][0] + 0 */
	{ 0 },
	{ .code = 0x79, .dst_reg = 0, .src_reg = 1 },		/* r0 = *(u64 *)(r1 + 0) */
	{ .code = 0x0f, .dst_reg = 0, .src_reg = 6 },		/* r0 += r6 */
	{ .code = 0x95 },
};

static void test_tag(struct userbpf_rt *rt)
{
	/* expected values: Python's hashlib.sha256 of the same bytes */
	static const uint8_t want7[8] = { 0x9e, 0xfe, 0x88, 0x73, 0x12, 0x07, 0x41, 0xb3 };
	static const uint8_t wantmap[8] = { 0x0b, 0xd0, 0x16, 0x86, 0x76, 0xc7, 0xc7, 0x79 };
	struct userbpf_insn m[4] = {
		{ .code = 0x18, .dst_reg = 1, .src_reg = 1, .imm = 5 }, { .imm = 9 },
		{ .code = 0xb7 }, { .code = 0x95 },
	};
	uint8_t tag[8];

	(void)rt;
	userbpf_insns_tag(ret7, 2, tag);
	TL_CHECK("tag: SHA-256 prefix, as Linux", !memcmp(tag, want7, 8));
	userbpf_insns_tag(m, 4, tag);
	TL_CHECK("tag: map load immediates zeroed", !memcmp(tag, wantmap, 8));
	m[0].src_reg = 0;
	userbpf_insns_tag(m, 4, tag);
	TL_CHECK("tag: a plain lddw keeps its immediate", memcmp(tag, wantmap, 8) != 0);
}

static struct userbpf_rt *new_rt(void)
{
	struct userbpf_rt_opts o = { .sz = sizeof(o), .log = tl_log };

	return userbpf_rt__new(&o);
}

/* Runs prog on 4 bytes of data. */
static int run4(struct userbpf_prog *p, uint64_t *ret)
{
	uint8_t data[4] = { 1, 2, 3, 4 };
	struct userbpf_region r = { data, 4, true };
	struct userbpf_run_opts ro = { .sz = sizeof(ro), .regions = &r, .region_cnt = 1 };

	ro.args[0] = (uint64_t)(uintptr_t)data;
	ro.args[1] = 4;
	return userbpf_prog__run(p, &ro, ret);
}

struct walked {
	int maps, progs, hidden;
	uint64_t prog_id;
};

static int walk_cb(const char *path, enum userbpf_pin_kind kind, uint64_t id, void *user)
{
	struct walked *w = user;

	if (kind == USERBPF_PIN_MAP)
		w->maps++;
	if (kind == USERBPF_PIN_PROG) {
		w->progs++;
		w->prog_id = id;
	}
	if (strstr(path, "/.maps/"))
		w->hidden++;
	return 0;
}

static void test_prog_pin(void)
{
	struct userbpf_rt *a = new_rt(), *b = new_rt();
	struct userbpf_map *m, *pinned_m;
	struct userbpf_prog *p, *q;
	struct userbpf_prog_opts po = { .sz = sizeof(po), .name = "counter",
					.entry_regs = (1u << 1) | (1u << 2) };
	struct userbpf_prog_pin_opts pino = { .sz = sizeof(pino), .type = NULL, .license = "GPL" };
	struct userbpf_prog_pin *pin, *pin2;
	const struct userbpf_prog_info *in;
	struct walked w = { 0 };
	uint64_t ret = 0, v = 0, id1 = 0, id2 = 0;
	uint32_t k = 0;
	char mp[4200];

	m = userbpf_map__create(a, 2, "cnt", 4, 8, 2, NULL);
	TL_CHECK("pin: map created", m != NULL);
	if (!a || !b || !m)
		return;
	po.maps = &m;
	po.map_cnt = 1;
	p = userbpf_prog__load(a, count_prog, sizeof(count_prog) / sizeof(count_prog[0]), &po);
	TL_CHECK("pin: program with a map loads", p != NULL);
	if (!p)
		return;
	TL_EQ_U64("pin: run in the first runtime", run4(p, &ret), 0);
	TL_EQ_U64("pin: map value + len", ret, 1 + 4);
	TL_EQ_U64("pin: prog pin", userbpf_prog__pin(p, "/sys/fs/bpf/progs/counter", &pino), 0);
	TL_CHECK("pin: its unpinned map got a hidden pin",
		 userbpf_map__pin_path(m) && strstr(userbpf_map__pin_path(m), "/.maps/"));
	TL_EQ_U64("pin: again is EEXIST", userbpf_prog__pin(p, "/sys/fs/bpf/progs/counter", &pino),
		  (uint64_t)-EEXIST);
	userbpf_prog__free(p);
	userbpf_map__free(m);

	/* Another runtime (as another process would) loads and runs it. */
	pin = userbpf_prog_pin__open(b, "/sys/fs/bpf/progs/counter");
	TL_CHECK("pin: opens in another runtime", pin != NULL);
	if (!pin)
		goto out;
	in = userbpf_prog_pin__info(pin);
	TL_CHECK("pin: name, type, license, gpl",
		 !strcmp(in->name, "counter") && !strcmp(in->type, "") &&
			 !strcmp(in->license, "GPL") && in->gpl_compatible);
	TL_CHECK("pin: instructions kept",
		 in->insn_cnt == sizeof(count_prog) / sizeof(count_prog[0]) &&
			 !memcmp(in->insns, count_prog, sizeof(count_prog)));
	TL_CHECK("pin: uid and load time", in->uid == (uint32_t)getuid() && in->load_time > 1600000000);
	TL_CHECK("pin: one map path, absolute, hidden",
		 in->map_cnt == 1 && in->map_paths[0][0] == '/' && strstr(in->map_paths[0], "/.maps/"));
	TL_CHECK("pin: no runs yet", in->run_cnt == 0 && in->run_time_ns == 0);
	q = userbpf_prog_pin__load(pin);
	TL_CHECK("pin: loads with its map", q != NULL);
	if (q) {
		TL_EQ_U64("pin: runs", run4(q, &ret), 0);
		TL_EQ_U64("pin: sees the first runtime's count", ret, 2 + 4);
		run4(q, &ret);
		run4(q, &ret);
		TL_EQ_U64("pin: map value counted", ret, 4 + 4);
	}
	pin2 = userbpf_prog_pin__open(a, "/sys/fs/bpf/progs/counter");
	in = pin2 ? userbpf_prog_pin__info(pin2) : NULL;
	TL_CHECK("pin: statistics seen through another handle",
		 in && in->run_cnt == 3 && in->run_time_ns > 0);
	userbpf_prog_pin__close(pin2);
	/* The map, through its hidden pin, holds what the runs wrote. */
	snprintf(mp, sizeof(mp), "%s", userbpf_prog_pin__info(pin)->map_paths[0]);
	pinned_m = userbpf_map__open_pinned(a, mp);
	TL_CHECK("pin: map through its pin", pinned_m && userbpf_map__lookup_elem(pinned_m, &k, &v, 0) == 0 &&
						    v == 4);
	userbpf_map__free(pinned_m);
	userbpf_prog_pin__close(pin);

	/* walk, ids, links */
	userbpf_store__walk(NULL, walk_cb, &w);
	TL_CHECK("walk: one prog, one map, hidden", w.progs == 1 && w.maps == 1 && w.hidden == 1);
	TL_EQ_U64("kind: prog", userbpf_store__kind("/sys/fs/bpf/progs/counter"), USERBPF_PIN_PROG);
	TL_EQ_U64("kind: map", userbpf_store__kind(mp), USERBPF_PIN_MAP);
	TL_EQ_U64("link", userbpf_store__link("/sys/fs/bpf/progs/counter", "/sys/fs/bpf/more/c2"), 0);
	TL_EQ_U64("link: exists", userbpf_store__link("/sys/fs/bpf/progs/counter", "/sys/fs/bpf/more/c2"),
		  (uint64_t)-EEXIST);
	userbpf_store__id("/sys/fs/bpf/progs/counter", &id1);
	userbpf_store__id("/sys/fs/bpf/more/c2", &id2);
	TL_CHECK("id: the same for both names, as the walk says", id1 && id1 == id2 && id1 == w.prog_id);
	TL_EQ_U64("id: missing", userbpf_store__id("/sys/fs/bpf/nope", &id1), (uint64_t)-ENOENT);
out:
	userbpf_rt__free(a);
	userbpf_rt__free(b);
}

/* Bad pin files: missing, a map, every truncation, flipped header bytes. */
static void test_bad_pins(void)
{
	struct userbpf_rt *rt = new_rt();
	struct userbpf_prog *p = userbpf_prog__load(rt, ret7, 2, NULL);
	struct userbpf_map *m = userbpf_map__create(rt, 2, "m", 4, 4, 1, NULL);
	char real[4096], bad[4200];
	FILE *f;
	uint8_t *buf = NULL;
	long n = 0;
	int opened = 0, loaded_bad = 0;

	if (!p || !m || userbpf_prog__pin(p, "/sys/fs/bpf/r7", NULL) ||
	    userbpf_map__pin(m, (userbpf_store__path("/sys/fs/bpf/m1", real, sizeof(real), 0), real))) {
		tl_fail("bad pins: setup", "%s", tl_last_log);
		goto out;
	}
	errno = 0;
	TL_CHECK("bad pins: missing is ENOENT",
		 !userbpf_prog_pin__open(rt, "/sys/fs/bpf/none") && errno == ENOENT);
	TL_CHECK("bad pins: a map is not a program",
		 !userbpf_prog_pin__open(rt, "/sys/fs/bpf/m1") && errno == EINVAL &&
			 strstr(tl_last_log, "(it is a map)"));
	userbpf_store__path("/sys/fs/bpf/r7", real, sizeof(real), 0);
	f = fopen(real, "rb");
	if (f) {
		buf = malloc(1 << 16);
		n = buf ? (long)fread(buf, 1, 1 << 16, f) : 0;
		fclose(f);
	}
	TL_CHECK("bad pins: read the pin", n > 300);
	snprintf(bad, sizeof(bad), "%s/bad", root);
	for (long len = 1; len < n; len++) {
		struct userbpf_prog_pin *pin;

		f = fopen(bad, "wb");
		if (!f)
			break;
		fwrite(buf, 1, (size_t)len, f);
		fclose(f);
		pin = userbpf_prog_pin__open(rt, bad);
		opened += pin != NULL;
		userbpf_prog_pin__close(pin);
	}
	TL_EQ_U64("bad pins: every truncation refused", opened, 0);
	/* flip each header byte: open refuses or the program still loads (a
	 * changed name or tag is harmless); never a crash */
	for (long i = 0; i < 256 && i < n; i++) {
		struct userbpf_prog_pin *pin;

		buf[i] ^= 0x5a;
		f = fopen(bad, "wb");
		if (f) {
			fwrite(buf, 1, (size_t)n, f);
			fclose(f);
		}
		buf[i] ^= 0x5a;
		pin = userbpf_prog_pin__open(rt, bad);
		if (pin && !userbpf_prog_pin__load(pin) && errno != EINVAL && errno != ENOENT &&
		    errno != E2BIG)
			loaded_bad++;
		userbpf_prog_pin__close(pin);
	}
	TL_EQ_U64("bad pins: flipped header bytes handled", loaded_bad, 0);
	remove(bad);
out:
	free(buf);
	userbpf_prog__free(p);
	userbpf_map__free(m);
	userbpf_rt__free(rt);
}

/* Every allocation of open and load fails once, cleanly. */
static void test_alloc_failures(void)
{
	int bad = 0, ok = 0;

	for (long i = 1; i < 200; i++) {
		struct userbpf_rt *rt = tl_rt_new(i);
		struct userbpf_prog_pin *pin;
		struct userbpf_prog *p = NULL;

		if (!rt)
			continue;
		pin = userbpf_prog_pin__open(rt, "/sys/fs/bpf/progs/counter");
		if (pin)
			p = userbpf_prog_pin__load(pin);
		if (pin && p)
			ok++;
		else if (errno != ENOMEM)
			bad++;
		userbpf_prog_pin__close(pin);
		userbpf_rt__free(rt);
	}
	TL_CHECK("alloc failures: ENOMEM each time, then success", bad == 0 && ok > 0);
}

/* The CLI on the pinned program with a map. */
static int sh(const char *cmd, char *out, size_t size)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;

	out[0] = 0;
	if (!f)
		return -1;
	n = fread(out, 1, size - 1, f);
	out[n] = 0;
	return pclose(f);
}

static void test_cli(void)
{
	const char *b = getenv("UB_BUILD");
	char cmd[16384], out[8192], mapid[64] = "";
	uint64_t id = 0;
	const char *hid;
	int rc;

	if (!b) {
		tl_skip("cli", "UB_BUILD is not set");
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s/userbpf prog show pinned /sys/fs/bpf/progs/counter", b);
	rc = sh(cmd, out, sizeof(out));
	TL_CHECK("cli: prog show",
		 rc == 0 && strstr(out, ": unspec  name counter  tag ") && strstr(out, "  gpl run_time_ns ") &&
			 strstr(out, " run_cnt 3\n") && strstr(out, "\tpinned /sys/fs/bpf/progs/counter\n") &&
			 strstr(out, "\tpinned /sys/fs/bpf/more/c2\n") && !strstr(out, ".maps"));
	hid = strstr(out, "map_ids ");
	if (hid)
		snprintf(mapid, sizeof(mapid), "%llu", strtoull(hid + 8, NULL, 10));
	{
		struct userbpf_rt *rt = new_rt();
		struct userbpf_prog_pin *pin = userbpf_prog_pin__open(rt, "/sys/fs/bpf/progs/counter");

		if (pin)
			userbpf_store__id(userbpf_prog_pin__info(pin)->map_paths[0], &id);
		userbpf_prog_pin__close(pin);
		userbpf_rt__free(rt);
	}
	TL_CHECK("cli: map_ids is the map's store id", id && strtoull(mapid, NULL, 10) == id);
	snprintf(cmd, sizeof(cmd), "%s/userbpf prog dump xlated pinned /sys/fs/bpf/progs/counter", b);
	rc = sh(cmd, out, sizeof(out));
	snprintf(cmd, sizeof(cmd), "   4: (18) r1 = map[id:%s]\n   6: (85) call bpf_map_lookup_elem#1\n",
		 mapid);
	TL_CHECK("cli: dump xlated names the map and the helper", rc == 0 && strstr(out, cmd));
	snprintf(cmd, sizeof(cmd), "  10: (18) r1 = map[id:%s][0]+0\n  12: (79) r0 = *(u64 *)(r1 +0)\n",
		 mapid);
	TL_CHECK("cli: dump xlated: map value and load", strstr(out, cmd) != NULL);
	TL_CHECK("cli: dump xlated: atomic", strstr(out, "   9: (db) lock *(u64 *)(r0 +0) += r1\n") != NULL);
	snprintf(cmd, sizeof(cmd),
		 "printf 'abcdefgh' >'%s/d8' && %s/userbpf prog run pinned /sys/fs/bpf/progs/counter data_in '%s/d8' repeat 2",
		 root, b, root);
	rc = sh(cmd, out, sizeof(out));
	TL_CHECK("cli: prog run counts in the map (4 + 2 runs, + 8 bytes)",
		 rc == 0 && !strncmp(out, "Return value: 14, duration (average): ", 38));
	snprintf(cmd, sizeof(cmd), "%s/userbpf map dump id %s", b, mapid);
	rc = sh(cmd, out, sizeof(out));
	TL_CHECK("cli: map dump by id",
		 rc == 0 && !strcmp(out, "key: 00 00 00 00  value: 06 00 00 00 00 00 00 00\n"
					 "key: 01 00 00 00  value: 00 00 00 00 00 00 00 00\n"
					 "Found 2 elements\n"));
	snprintf(cmd, sizeof(cmd), "%s/userbpf -j prog show", b);
	rc = sh(cmd, out, sizeof(out));
	TL_CHECK("cli: prog show -j lists the program with run_cnt 5",
		 rc == 0 && out[0] == '[' && strstr(out, "\"name\":\"counter\"") && strstr(out, "\"run_cnt\":5,") &&
			 strstr(out, "\"map_ids\":["));
}

int main(void)
{
	char tmpl[] = "/tmp/ubstoreXXXXXX";
	struct userbpf_rt *rt;

	if (!mkdtemp(tmpl)) {
		tl_fail("mkdtemp", "%s", strerror(errno));
		return tl_exit();
	}
	snprintf(root, sizeof(root), "%s/root", tmpl);
	setenv("USERBPF_ROOT", root, 1);
	rt = new_rt();
	test_root();
	test_paths();
	test_tag(rt);
	test_prog_pin();
	test_bad_pins();
	test_alloc_failures();
	test_cli();
	userbpf_rt__free(rt);
	if (getenv("UB_KEEP"))
		printf("# kept %s\n", tmpl);
	else
		rm_rf(tmpl);
	return tl_exit();
}
