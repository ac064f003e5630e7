/* SPDX-License-Identifier: MIT */
/*
 * store.c - the pinning store: where pins live, and program pins.
 *
 * A pin is a file.  Linux's bpffs paths (/sys/fs/bpf/...) name files under
 * the store root; other paths are used as given.  A map's pin is its
 * shared memory itself (src/maps); a program's pin is a file written here:
 *
 *     struct ub_prog_pin_hdr     magic, version, what `prog show` prints
 *     struct userbpf_prog_stats  at UB_PIN_STATS_OFF: run_cnt, run_time_ns,
 *                                bumped live by every process that runs it
 *     instructions               insn_cnt slots, as loaded (lddw src 1/2:
 *                                imm = index into the map list)
 *     map paths                  map_cnt absolute paths, each NUL-ended
 *     license                    NUL-ended
 *
 * The file is mapped shared (src/platform's shm), so the statistics of a
 * program run by one process are seen by another's `prog show`.  An
 * object's id is its file's inode: every name (hard link) of it has the
 * same one, as every pin of a Linux object shows the same id.
 *
 * The registry of store ids (store.h) lives here too: ROOT/.maps/.ids/<id>
 * is another name of a pinned program or map placed in a PROG_ARRAY or
 * ARRAY_OF_MAPS slot (refs.c), so that any process finds it by id.  The
 * walk skips it: it holds no pins.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#if defined(_WIN32)
#include <direct.h>
#else
#include <unistd.h>
#endif
#include "core/core_internal.h"
#include "exec/jit_internal.h"
#include "maps/map.h"
#include "platform/platform.h"
#include "store/store.h"

#define BPFFS "/sys/fs/bpf"
#define UB_PIN_MAGIC 0x3147525046504255ull	/* "UBPFPRG1" */
#define UB_PIN_VERSION 1
#define UB_PIN_STATS_OFF 256
#define UB_PIN_INSNS_OFF 320
#define UB_PATH_MAX 4096

struct ub_prog_pin_hdr {
	uint64_t magic;
	uint32_t version, hdr_size;
	uint64_t file_size;
	char name[16];
	char type[32];
	uint8_t tag[8];
	uint32_t insn_cnt, map_cnt;
	uint32_t entry_regs, flags;	/* UB_PIN_GPL */
	uint32_t uid, jited_len;
	uint64_t load_time;
	uint64_t insns_off, maps_off, maps_size, license_off;
	uint64_t reserved[8];
};
enum { UB_PIN_GPL = 1 };

_Static_assert(sizeof(struct ub_prog_pin_hdr) <= UB_PIN_STATS_OFF, "pin header too large");

/* ---- SHA-256 (FIPS 180-4), for Linux's program tag ---------------------- */

struct sha256 {
	uint32_t h[8];
	uint8_t buf[64];
	uint64_t len;
};

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static uint32_t ror32(uint32_t v, int n)
{
	return (v >> n) | (v << (32 - n));
}

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], v[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, s->h, sizeof(v));
	for (int i = 0; i < 64; i++) {
		uint32_t S1 = ror32(v[4], 6) ^ ror32(v[4], 11) ^ ror32(v[4], 25);
		uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
		uint32_t t1 = v[7] + S1 + ch + sha256_k[i] + w[i];
		uint32_t S0 = ror32(v[0], 2) ^ ror32(v[0], 13) ^ ror32(v[0], 22);
		uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);

		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + S0 + maj;
	}
	for (int i = 0; i < 8; i++)
		s->h[i] += v[i];
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
}

static void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const uint8_t *p = data;

	while (n) {
		size_t have = (size_t)(s->len % 64), take = 64 - have < n ? 64 - have : n;

		memcpy(s->buf + have, p, take);
		s->len += take;
		p += take;
		n -= take;
		if (s->len % 64 == 0)
			sha256_block(s, s->buf);
	}
}

static void sha256_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->len * 8;
	uint8_t pad = 0x80, zero = 0, lenb[8];

	sha256_update(s, &pad, 1);
	while (s->len % 64 != 56)
		sha256_update(s, &zero, 1);
	for (int i = 0; i < 8; i++)
		lenb[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, lenb, 8);
	for (int i = 0; i < 32; i++)
		out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

void userbpf_insns_tag(const struct userbpf_insn *insns, size_t cnt, uint8_t tag[8])
{
	struct sha256 s;
	uint8_t dig[32];
	bool was_ld_map = false;

	sha256_init(&s);
	for (size_t i = 0; i < cnt; i++) {
		struct userbpf_insn in = insns[i];

		if (!was_ld_map && in.code == 0x18 && (in.src_reg == 1 || in.src_reg == 2)) {
			was_ld_map = true;
			in.imm = 0;
		} else if (was_ld_map && in.code == 0 && in.dst_reg == 0 && in.src_reg == 0 &&
			   in.off == 0) {
			was_ld_map = false;
			in.imm = 0;
		} else {
			was_ld_map = false;
		}
		sha256_update(&s, &in, sizeof(in));
	}
	sha256_final(&s, dig);
	memcpy(tag, dig, 8);
}

/* ---- paths -------------------------------------------------------------- */

static int copy_str(char *buf, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (!buf || n + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, s, n + 1);
	return 0;
}

static int make_dir(const char *path)
{
#if defined(_WIN32)
	int r = _mkdir(path);
#else
	int r = mkdir(path, 0700);
#endif
	return r && errno != EEXIST ? -errno : 0;
}

/* Creates every missing directory above path's last component (and the
 * last one too when `self`). */
static int make_parents(const char *path, bool self)
{
	char tmp[UB_PATH_MAX];
	size_t n = strlen(path);
	int err;

	if (n + 1 > sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i < n; i++) {
		if (tmp[i] != '/')
			continue;
		tmp[i] = 0;
		err = make_dir(tmp);
		tmp[i] = '/';
		if (err)
			return err;
	}
	return self ? make_dir(tmp) : 0;
}

static uint32_t my_uid(void)
{
#if defined(_WIN32)
	return 0;
#else
	return (uint32_t)getuid();
#endif
}

int userbpf_store__root(char *buf, size_t size)
{
	const char *env = getenv("USERBPF_ROOT");
	char tmp[UB_PATH_MAX];
	int err;

	if (env && env[0]) {
		err = copy_str(tmp, sizeof(tmp), env);
	} else if ((env = getenv("XDG_RUNTIME_DIR")) && env[0]) {
		err = snprintf(tmp, sizeof(tmp), "%s/userbpf", env) >= (int)sizeof(tmp) ?
			      -ENAMETOOLONG : 0;
	} else {
#if defined(_WIN32)
		const char *t = getenv("TEMP");
		err = snprintf(tmp, sizeof(tmp), "%s/userbpf", t ? t : ".") >= (int)sizeof(tmp) ?
			      -ENAMETOOLONG : 0;
#else
		/* A shared /tmp: the directory must be ours, not a trap. */
		struct stat st;

		snprintf(tmp, sizeof(tmp), "/tmp/userbpf-%u", my_uid());
		err = make_dir(tmp);
		if (!err && (lstat(tmp, &st) || !S_ISDIR(st.st_mode) || st.st_uid != my_uid() ||
			     (st.st_mode & 077)))
			err = -EPERM;
		if (err)
			return err;
#endif
	}
	/* Strip trailing slashes so ROOT/<rest> reads well. */
	for (size_t n = strlen(tmp); !err && n > 1 && tmp[n - 1] == '/'; n--)
		tmp[n - 1] = 0;
	if (!err)
		err = make_parents(tmp, true);
	return err ? ub_err(err) : ub_err(copy_str(buf, size, tmp));
}

/* The part of a bpffs path after /sys/fs/bpf, or NULL when it is not one. */
static const char *bpffs_rest(const char *pin)
{
	size_t n = strlen(BPFFS);

	if (strncmp(pin, BPFFS, n) || (pin[n] != 0 && pin[n] != '/'))
		return NULL;
	return pin + n;
}

int userbpf_store__path(const char *pin, char *buf, size_t size, unsigned flags)
{
	char root[UB_PATH_MAX], out[UB_PATH_MAX];
	const char *rest;
	int err;

	if (!pin || !pin[0] || !buf)
		return ub_err(-EINVAL);
	rest = bpffs_rest(pin);
	if (!rest)
		return ub_err(copy_str(buf, size, pin));
	/* Nothing may climb out of the store. */
	for (const char *p = rest; (p = strstr(p, "..")) != NULL; p += 2)
		if (p[-1] == '/' && (p[2] == 0 || p[2] == '/'))
			return ub_err(-EINVAL);
	err = userbpf_store__root(root, sizeof(root));
	if (err)
		return err;
	while (*rest == '/')
		rest++;
	if (snprintf(out, sizeof(out), "%s%s%s", root, *rest ? "/" : "", rest) >= (int)sizeof(out))
		return ub_err(-ENAMETOOLONG);
	if (flags & USERBPF_STORE_MKDIR) {
		err = make_parents(out, false);
		if (err)
			return ub_err(err);
	}
	return ub_err(copy_str(buf, size, out));
}

int userbpf_store__display_path(const char *path, char *buf, size_t size)
{
	char root[UB_PATH_MAX];
	size_t n;

	if (!path || !buf)
		return ub_err(-EINVAL);
	if (userbpf_store__root(root, sizeof(root)) == 0) {
		n = strlen(root);
		if (!strncmp(path, root, n) && (path[n] == 0 || path[n] == '/')) {
			if (snprintf(buf, size, "%s%s", BPFFS, path + n) >= (int)size)
				return ub_err(-ENAMETOOLONG);
			return 0;
		}
	}
	return ub_err(copy_str(buf, size, path));
}

/* Reads the magic of the file at a real path. */
static int kind_of(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint64_t magic = 0;
	size_t got;

	if (!f)
		return -errno;
	got = fread(&magic, 1, sizeof(magic), f);
	fclose(f);
	if (got == sizeof(magic) && magic == UB_MAP_MAGIC)
		return USERBPF_PIN_MAP;
	if (got == sizeof(magic) && magic == UB_PIN_MAGIC)
		return USERBPF_PIN_PROG;
	return USERBPF_PIN_NONE;
}

int userbpf_store__kind(const char *path)
{
	char real[UB_PATH_MAX];
	int err = userbpf_store__path(path, real, sizeof(real), 0);

	if (err)
		return err;
	err = kind_of(real);
	return err < 0 ? ub_err(err) : err;
}

static int id_of(const char *real, uint64_t *id)
{
#if defined(_WIN32)
	(void)real;
	*id = 0;
	return -EOPNOTSUPP;
#else
	struct stat st;

	if (stat(real, &st))
		return -errno;
	*id = (uint64_t)st.st_ino;
	return 0;
#endif
}

int userbpf_store__id(const char *path, uint64_t *id)
{
	char real[UB_PATH_MAX];
	int err;

	if (!id)
		return ub_err(-EINVAL);
	err = userbpf_store__path(path, real, sizeof(real), 0);
	if (err)
		return err;
	return ub_err(id_of(real, id));
}

int userbpf_store__link(const char *oldpath, const char *newpath)
{
	char a[UB_PATH_MAX], b[UB_PATH_MAX];
	int err = userbpf_store__path(oldpath, a, sizeof(a), 0);

	if (!err)
		err = userbpf_store__path(newpath, b, sizeof(b), USERBPF_STORE_MKDIR);
	if (err)
		return err;
#if defined(_WIN32)
	return ub_err(-EOPNOTSUPP);
#else
	return link(a, b) ? ub_err(-errno) : 0;
#endif
}

static int walk(const char *dir, int depth, userbpf_store_walk_fn fn, void *user)
{
	DIR *d;
	struct dirent *e;
	int ret = 0;

	if (depth > 16)
		return 0;
	d = opendir(dir);
	if (!d)
		return depth ? 0 : -errno;
	while (!ret && (e = readdir(d)) != NULL) {
		char p[UB_PATH_MAX];
		struct stat st;
		int kind;
		uint64_t id = 0;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= (int)sizeof(p))
			continue;
#if defined(_WIN32)
		if (stat(p, &st))
			continue;
#else
		if (lstat(p, &st))
			continue;
#endif
		if (S_ISDIR(st.st_mode)) {
			/* The registry of store ids (ROOT/.maps/.ids) holds
			 * second names, not pins. */
			size_t dl = strlen(dir);

			if (!strcmp(e->d_name, ".ids") && dl >= 6 && !strcmp(dir + dl - 6, "/.maps"))
				continue;
			ret = walk(p, depth + 1, fn, user);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		kind = kind_of(p);
		if (kind <= 0 || id_of(p, &id))
			continue;
		ret = fn(p, (enum userbpf_pin_kind)kind, id, user);
	}
	closedir(d);
	return ret;
}

int userbpf_store__walk(const char *dir, userbpf_store_walk_fn fn, void *user)
{
	char real[UB_PATH_MAX];
	int err;

	if (!fn)
		return ub_err(-EINVAL);
	err = dir ? userbpf_store__path(dir, real, sizeof(real), 0)
		  : userbpf_store__root(real, sizeof(real));
	if (err)
		return err;
	err = walk(real, 0, fn, user);
	return err < 0 ? ub_err(err) : err;
}

/* ---- the registry of store ids (store.h) -------------------------------- */

int ub_store_kind_of(const char *real)
{
	return kind_of(real);
}

int ub_store_ino(intptr_t fd, const char *path, uint64_t *ino)
{
#if defined(_WIN32)
	(void)fd;
	(void)path;
	*ino = 0;
	return -EOPNOTSUPP;
#else
	struct stat st;

	if (fd >= 0 ? fstat((int)fd, &st) : stat(path, &st))
		return -errno;
	*ino = (uint64_t)st.st_ino;
	return 0;
#endif
}

int ub_store_ref_path(uint32_t sid, char *buf, size_t size)
{
	char root[UB_PATH_MAX];
	int err = userbpf_store__root(root, sizeof(root));

	if (err)
		return err;
	return snprintf(buf, size, "%s/.maps/.ids/%u", root, sid) >= (int)size ? -ENAMETOOLONG : 0;
}

int ub_store_register(const char *real, uint64_t ino, uint32_t *sid)
{
#if defined(_WIN32)
	(void)real;
	(void)ino;
	(void)sid;
	return -EOPNOTSUPP;
#else
	char reg[UB_PATH_MAX];
	uint64_t have = 0;
	int err;

	if (!ino || ino >= UB_REF_STORE)
		return -EOVERFLOW;
	err = ub_store_ref_path((uint32_t)ino, reg, sizeof(reg));
	if (!err)
		err = make_parents(reg, false);
	if (err)
		return err;
	if (link(real, reg) && errno != EEXIST)
		return -errno;
	/* Registered before (by us or another process): the link keeps the
	 * inode alive, so a file of that name is that object. */
	err = ub_store_ino(-1, reg, &have);
	if (err)
		return err;
	if (have != ino)
		return -EEXIST;
	*sid = (uint32_t)ino;
	return 0;
#endif
}

/* ---- program pins ------------------------------------------------------- */

/* buf = a "/" b */
static int join(char *buf, size_t size, const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na + 1 + nb + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, a, na);
	buf[na] = '/';
	memcpy(buf + na + 1, b, nb + 1);
	return 0;
}

/* An absolute spelling of a real path (map paths must work from any
 * working directory). */
static int absolute(const char *path, char *buf, size_t size)
{
	char cwd[UB_PATH_MAX];

	if (path[0] == '/' || !path[0])
		return copy_str(buf, size, path);
#if defined(_WIN32)
	if (path[1] == ':' || !_getcwd(cwd, sizeof(cwd)))
		return copy_str(buf, size, path);
#else
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
#endif
	return join(buf, size, cwd, path);
}

/* Pins a map the user left unpinned in ROOT/.maps/, named uniquely. */
static int pin_hidden(struct userbpf_map *m)
{
	char root[UB_PATH_MAX], p[UB_PATH_MAX];
	uint64_t seed = ub_os_random_seed();
	int err = userbpf_store__root(root, sizeof(root));

	if (err)
		return err;
	for (int attempt = 0; attempt < 16; attempt++) {
		if (snprintf(p, sizeof(p), "%s/.maps/%08llx-%s", root,
			     (unsigned long long)((seed >> (attempt * 2)) & 0xffffffffu) ^ (unsigned)attempt,
			     m->def.name[0] ? m->def.name : "map") >= (int)sizeof(p))
			return -ENAMETOOLONG;
		for (char *c = strrchr(p, '/') + 1; *c; c++)
			if (*c == '.' || *c == '/')
				*c = '_';
		err = make_parents(p, false);
		if (err)
			return err;
		err = ub_map_pin(m, p);
		if (err != -EEXIST)
			return err;
	}
	return -EEXIST;
}

int userbpf_prog__pin(struct userbpf_prog *prog, const char *path,
		      const struct userbpf_prog_pin_opts *opts)
{
	const char *type = OPTS_HAS(opts, type) ? opts->type : NULL;
	const char *license = OPTS_HAS(opts, license) && opts->license ? opts->license : "";
	char real[UB_PATH_MAX], mp[UB_PATH_MAX];
	struct ub_os_shm shm = { .handle = -1 };
	struct ub_prog_pin_hdr *h;
	size_t maps_size = 0, total, lic_len = strlen(license) + 1;
	uint64_t insns_off = UB_PIN_INSNS_OFF, maps_off, lic_off;
	int err;

	if (!prog || !path)
		return ub_err(-EINVAL);
	err = userbpf_store__path(path, real, sizeof(real), USERBPF_STORE_MKDIR);
	if (err)
		return err;
	/* Every map gets a pin: the user's, or a hidden one. */
	for (size_t i = 0; i < prog->map_cnt; i++) {
		struct userbpf_map *m = prog->maps[i];

		if (!m->pin_path) {
			err = pin_hidden(m);
			if (err) {
				ub_log(prog->rt, USERBPF_LOG_WARN,
				       "prog '%s': cannot pin its map '%s' in the store: %s",
				       prog->name, m->def.name, userbpf_strerror(err));
				return ub_err(err);
			}
		}
		err = absolute(m->pin_path, mp, sizeof(mp));
		if (err)
			return ub_err(err);
		maps_size += strlen(mp) + 1;
	}
	maps_off = insns_off + prog->cnt * sizeof(struct userbpf_insn);
	lic_off = maps_off + maps_size;
	total = (size_t)(lic_off + lic_len);
	err = ub_os_shm_create(total, &shm);
	if (err)
		return ub_err(err);
	h = shm.base;
	h->magic = UB_PIN_MAGIC;
	h->version = UB_PIN_VERSION;
	h->hdr_size = sizeof(*h);
	h->file_size = total;
	snprintf(h->name, sizeof(h->name), "%s",
		 OPTS_HAS(opts, name) && opts->name ? opts->name : prog->name);
	if (type)
		snprintf(h->type, sizeof(h->type), "%s", type);
	userbpf_insns_tag(prog->insns, prog->cnt, h->tag);
	h->insn_cnt = (uint32_t)prog->cnt;
	h->map_cnt = (uint32_t)prog->map_cnt;
	h->entry_regs = prog->entry_regs;
	/* Linux's license_is_gpl_compatible(). */
	if (!strcmp(license, "GPL") || !strcmp(license, "GPL v2") ||
	    !strcmp(license, "GPL and additional rights") || !strcmp(license, "Dual BSD/GPL") ||
	    !strcmp(license, "Dual MIT/GPL") || !strcmp(license, "Dual MPL/GPL"))
		h->flags |= UB_PIN_GPL;
	h->uid = my_uid();
	{
		size_t jl = 0;

		if (ub_jit_available() && (prog->jit_code || ub_jit_compile(prog) == 0))
			jl = prog->jit_len;
		h->jited_len = (uint32_t)jl;
	}
	h->load_time = (uint64_t)time(NULL);
	h->insns_off = insns_off;
	h->maps_off = maps_off;
	h->maps_size = maps_size;
	h->license_off = lic_off;
	memcpy((uint8_t *)shm.base + insns_off, prog->insns, prog->cnt * sizeof(*prog->insns));
	{
		char *w = (char *)shm.base + maps_off;

		for (size_t i = 0; i < prog->map_cnt; i++) {
			absolute(prog->maps[i]->pin_path, mp, sizeof(mp));
			memcpy(w, mp, strlen(mp) + 1);
			w += strlen(mp) + 1;
		}
	}
	memcpy((char *)shm.base + lic_off, license, lic_len);
	err = ub_os_shm_link(&shm, real);
	if (!err)
		ub_store_note_prog(prog->rt, prog->id, real, shm.handle);
	ub_os_shm_close(&shm);
	/* slots the object loader filled before this pin now name it (and
	 * maps pinned since) for every process */
	if (!err)
		ub_ref_upgrade(prog->rt);
	if (err)
		ub_log(prog->rt, USERBPF_LOG_WARN, "%s: cannot pin prog '%s': %s", real, prog->name,
		       userbpf_strerror(err));
	return ub_err(err);
}

struct userbpf_prog_pin {
	struct userbpf_rt *rt;
	struct ub_os_shm shm;		/* the whole file, mapped; owned */
	struct userbpf_prog_info info;
	const char **map_paths;		/* owned array into tail */
	char *tail;			/* owned copy of map paths and license:
					 * the file may change under us */
	struct userbpf_insn *insns;	/* owned, aligned copy */
	struct userbpf_prog *prog;	/* owned, once loaded */
	char *path;			/* owned */
};

void userbpf_prog_pin__close(struct userbpf_prog_pin *pin)
{
	struct userbpf_rt *rt;

	if (!pin)
		return;
	rt = pin->rt;
	userbpf_prog__free(pin->prog);
	ub_os_shm_close(&pin->shm);
	ub_free(rt, pin->map_paths);
	ub_free(rt, pin->tail);
	ub_free(rt, pin->insns);
	ub_free(rt, pin->path);
	ub_free(rt, pin);
}

static int pin_check(struct userbpf_prog_pin *pin)
{
	const struct ub_prog_pin_hdr *h = pin->shm.base;
	size_t size = pin->shm.size;
	const char *p, *end;

	if (size < UB_PIN_INSNS_OFF || h->magic != UB_PIN_MAGIC)
		return -EINVAL;
	if (h->version != UB_PIN_VERSION || h->hdr_size != sizeof(*h) || h->file_size != size)
		return -EINVAL;
	if (h->insn_cnt == 0 || h->insn_cnt > UB_MAX_INSNS || h->map_cnt > 4096 ||
	    h->insns_off < UB_PIN_INSNS_OFF || h->insns_off % 8 ||
	    h->insns_off + (uint64_t)h->insn_cnt * 8 > h->maps_off ||
	    h->maps_off > size || h->maps_size > size - h->maps_off ||
	    h->license_off != h->maps_off + h->maps_size || h->license_off >= size ||
	    ((const char *)h)[size - 1] != 0)
		return -EINVAL;
	if (memchr(h->name, 0, sizeof(h->name)) == NULL || memchr(h->type, 0, sizeof(h->type)) == NULL)
		return -EINVAL;
	/* map_cnt NUL-ended strings filling maps_size exactly */
	p = (const char *)h + h->maps_off;
	end = p + h->maps_size;
	for (uint32_t i = 0; i < h->map_cnt; i++) {
		const char *z = memchr(p, 0, (size_t)(end - p));

		if (!z || z == p)
			return -EINVAL;
		p = z + 1;
	}
	return p == end ? 0 : -EINVAL;
}

struct userbpf_prog_pin *userbpf_prog_pin__open(struct userbpf_rt *rt, const char *path)
{
	char real[UB_PATH_MAX];
	struct userbpf_prog_pin *pin;
	const struct ub_prog_pin_hdr *h;
	int err;

	if (!rt || !path)
		return ub_err_ptr(-EINVAL);
	err = userbpf_store__path(path, real, sizeof(real), 0);
	if (err)
		return NULL;
	pin = ub_calloc(rt, 1, sizeof(*pin));
	if (!pin)
		return ub_err_ptr(-ENOMEM);
	pin->rt = rt;
	pin->shm.handle = -1;
	err = ub_os_shm_open(real, &pin->shm);
	if (err) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: cannot open pinned program: %s", path,
		       userbpf_strerror(err));
		goto fail;
	}
	err = pin_check(pin);
	if (err) {
		ub_log(rt, USERBPF_LOG_WARN, "%s: not a userbpf program pin%s", path,
		       ((const struct ub_prog_pin_hdr *)pin->shm.base)->magic == UB_MAP_MAGIC
			       ? " (it is a map)" : "");
		goto fail;
	}
	h = pin->shm.base;
	err = -ENOMEM;
	pin->path = ub_strdup(rt, real);
	pin->insns = ub_malloc(rt, (size_t)h->insn_cnt * sizeof(*pin->insns));
	pin->map_paths = ub_calloc(rt, h->map_cnt ? h->map_cnt : 1, sizeof(*pin->map_paths));
	pin->tail = ub_malloc(rt, (size_t)(h->file_size - h->maps_off));
	if (!pin->path || !pin->insns || !pin->map_paths || !pin->tail)
		goto fail;
	memcpy(pin->insns, (const uint8_t *)h + h->insns_off, (size_t)h->insn_cnt * 8);
	memcpy(pin->tail, (const char *)h + h->maps_off, (size_t)(h->file_size - h->maps_off));
	/* checked again on the copy: another writer may have changed the file */
	if (pin->tail[h->file_size - h->maps_off - 1] != 0) {
		err = -EINVAL;
		goto fail;
	}
	{
		const char *p = pin->tail, *end = pin->tail + h->maps_size;

		for (uint32_t i = 0; i < h->map_cnt; i++) {
			pin->map_paths[i] = p;
			p += strlen(p) + 1;
		}
		if (p > end) {
			err = -EINVAL;
			goto fail;
		}
	}
	memcpy(pin->info.name, h->name, sizeof(pin->info.name));
	memcpy(pin->info.type, h->type, sizeof(pin->info.type));
	memcpy(pin->info.tag, h->tag, sizeof(pin->info.tag));
	pin->info.gpl_compatible = h->flags & UB_PIN_GPL;
	pin->info.load_time = h->load_time;
	pin->info.uid = h->uid;
	pin->info.insn_cnt = h->insn_cnt;
	pin->info.jited_len = h->jited_len;
	pin->info.memlock = (h->file_size + 4095) & ~(uint64_t)4095;
	pin->info.license = pin->tail + (h->license_off - h->maps_off);
	pin->info.insns = pin->insns;
	pin->info.map_cnt = h->map_cnt;
	pin->info.map_paths = pin->map_paths;
	return pin;
fail:
	userbpf_prog_pin__close(pin);
	return ub_err_ptr(err);
}

static struct userbpf_prog_stats *pin_stats(struct userbpf_prog_pin *pin)
{
	return (struct userbpf_prog_stats *)(void *)((uint8_t *)pin->shm.base + UB_PIN_STATS_OFF);
}

struct userbpf_prog_stats *userbpf_prog_pin__stats(struct userbpf_prog_pin *pin)
{
	return pin && pin->shm.writable ? pin_stats(pin) : NULL;
}

const struct userbpf_prog_info *userbpf_prog_pin__info(struct userbpf_prog_pin *pin)
{
	struct userbpf_prog_stats *st;

	if (!pin)
		return ub_err_ptr(-EINVAL);
	st = pin_stats(pin);
	pin->info.run_cnt = atomic_load_explicit((_Atomic uint64_t *)&st->run_cnt,
						 memory_order_relaxed);
	pin->info.run_time_ns = atomic_load_explicit((_Atomic uint64_t *)&st->run_time_ns,
						     memory_order_relaxed);
	return &pin->info;
}

struct userbpf_prog *userbpf_prog_pin__load(struct userbpf_prog_pin *pin)
{
	const struct ub_prog_pin_hdr *h;
	struct userbpf_map **maps = NULL;
	struct userbpf_prog_opts o = { .sz = sizeof(o) };
	struct userbpf_prog *prog = NULL;
	size_t opened = 0;
	int err = 0;

	if (!pin)
		return ub_err_ptr(-EINVAL);
	if (pin->prog)
		return pin->prog;
	h = pin->shm.base;
	if (h->map_cnt) {
		maps = ub_calloc(pin->rt, h->map_cnt, sizeof(*maps));
		if (!maps)
			return ub_err_ptr(-ENOMEM);
	}
	for (; opened < h->map_cnt; opened++) {
		err = ub_map_open(pin->rt, pin->map_paths[opened], &maps[opened]);
		if (err) {
			ub_log(pin->rt, USERBPF_LOG_WARN, "%s: prog '%s' needs the map pinned at %s",
			       pin->path, pin->info.name, pin->map_paths[opened]);
			goto out;
		}
	}
	o.name = pin->info.name;
	o.entry_regs = (uint16_t)h->entry_regs;
	/* A type this runtime knows gives the program its context. */
	if (h->type[0] && userbpf_rt__prog_type(pin->rt, h->type))
		o.prog_type = h->type;
	o.maps = maps;
	o.map_cnt = h->map_cnt;
	prog = ub_prog_load(pin->rt, pin->insns, h->insn_cnt, &o, true, &err);
	if (prog) {
		pin->prog = prog;
		if (pin->shm.writable)
			prog->stats = pin_stats(pin);
		ub_store_note_prog(prog->rt, prog->id, pin->path, pin->shm.handle);
	}
out:
	/* The program holds its own references. */
	for (size_t i = 0; i < opened; i++)
		ub_map_put(maps[i]);
	ub_free(pin->rt, maps);
	return prog ? prog : ub_err_ptr(err);
}
