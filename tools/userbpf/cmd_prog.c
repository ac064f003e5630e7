/* SPDX-License-Identifier: MIT */
/*
 * cmd_prog.c - commands on program files: verify, disasm, test-run.
 *
 * A FILE is an ELF object as clang writes it, or a raw file of 8-byte
 * instructions (what `llvm-objcopy -O binary` gives, and what the
 * bpf_conformance tests use).  Both go through the same library calls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"

/* Reads a whole file with malloc; NULL (reported) on failure. */
uint8_t *cli_read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		cli_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			uint8_t *nb;
			cap = cap ? cap * 2 : 4096;
			if (cap > (256u << 20)) {
				cli_err("%s: larger than 256 MiB", path);
				break;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				cli_err("%s: out of memory", path);
				break;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				cli_err("%s: read error", path);
				break;
			}
			fclose(f);
			*len = n;
			return buf ? buf : malloc(1);
		}
	}
	fclose(f);
	free(buf);
	return NULL;
}

int cli_open_progs(struct userbpf_rt *rt, const char *path, bool load, struct cli_progs *p)
{
	return cli_open_progs_typed(rt, path, load, NULL, p);
}

int cli_open_progs_typed(struct userbpf_rt *rt, const char *path, bool load, const char *type,
			 struct cli_progs *p)
{
	size_t len = 0;
	uint8_t *buf;
	int err = 0;

	memset(p, 0, sizeof(*p));
	buf = cli_read_all(path, &len);
	if (!buf)
		return -EIO;
	if (len >= 4 && !memcmp(buf, "\x7f" "ELF", 4)) {
		struct userbpf_obj_opts o = { .sz = sizeof(o), .name = path,
					      .entry_regs = CLI_ENTRY_REGS };

		p->obj = userbpf_obj__open_mem(rt, buf, len, &o);
		if (!p->obj) {
			err = -errno;
		} else {
			p->cnt = userbpf_obj__prog_cnt(p->obj);
			if (p->cnt == 0) {
				cli_err("%s: no programs (no function in a section other than .text)", path);
				err = -ENOENT;
			}
			for (size_t i = 0; !err && type && i < p->cnt; i++)
				if (userbpf_obj__set_prog_type(p->obj, i, type))
					err = -errno;
			if (!err && load && userbpf_obj__load(p->obj))
				err = -errno;
		}
	} else {
		struct userbpf_prog_opts o = { .sz = sizeof(o), .name = path,
					       .entry_regs = CLI_ENTRY_REGS, .prog_type = type };

		if (len == 0 || len % 8) {
			cli_err("%s: %zu bytes is not a whole number of 8-byte instructions", path, len);
			err = -EINVAL;
		} else {
			p->raw = userbpf_prog__load(rt, (const struct userbpf_insn *)(void *)buf,
						    len / 8, &o);
			if (!p->raw)
				err = -errno;
			p->cnt = 1;
		}
	}
	free(buf);
	if (err)
		cli_close_progs(p);
	return err;
}

struct userbpf_prog *cli_prog_at(const struct cli_progs *p, size_t i)
{
	return p->obj ? userbpf_obj__prog(p->obj, i) : (i == 0 ? p->raw : NULL);
}

const char *cli_prog_name(const struct cli_progs *p, size_t i)
{
	return p->obj ? userbpf_obj__prog_name(p->obj, i) : userbpf_prog__name(p->raw);
}

const char *cli_prog_section(const struct cli_progs *p, size_t i)
{
	return p->obj ? userbpf_obj__prog_section(p->obj, i) : "(raw)";
}

void cli_close_progs(struct cli_progs *p)
{
	userbpf_obj__close(p->obj);
	userbpf_prog__free(p->raw);
	memset(p, 0, sizeof(*p));
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return s[0] && s[0] != '-' && !*end && !errno;
}

int cmd_verify(const struct cli *c, int argc, char **argv)
{
	const char *type = NULL, *path = NULL;
	struct userbpf_verify_opts vo = { .sz = sizeof(vo) };
	struct userbpf_rt *rt;
	struct cli_progs p;
	uint64_t n;
	int err, refused = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--type") || !strcmp(argv[i], "type")) {
			if (++i >= argc) {
				cli_err("--type needs a program type (socket_filter, xdp, ...)");
				return CLI_USAGE;
			}
			type = argv[i];
		} else if (!strcmp(argv[i], "--data-size")) {
			if (++i >= argc || !parse_u64(argv[i], &n) || n > (1u << 30)) {
				cli_err("--data-size needs a number of bytes");
				return CLI_USAGE;
			}
			vo.mem_size = (uint32_t)n;
		} else if (!strcmp(argv[i], "-v")) {
			vo.log_level = 1;
		} else if (!strcmp(argv[i], "-vv")) {
			vo.log_level = 2;
		} else if (!path) {
			path = argv[i];
		} else {
			cli_err("verify takes one FILE; '%s' is extra", argv[i]);
			return CLI_USAGE;
		}
	}
	if (!path) {
		cli_err("verify needs a FILE");
		return CLI_USAGE;
	}
	rt = cli_rt(c);
	if (!rt)
		return CLI_FAIL;
	if (type && !userbpf_rt__prog_type(rt, type)) {
		cli_err("unknown program type '%s' (socket_filter, sched_cls, sched_act, xdp, tracepoint, raw_tracepoint, syscall)",
			type);
		userbpf_rt__free(rt);
		return CLI_USAGE;
	}
	/* With a type (given, or from the SEC name) the program is checked
	 * against that type's context; --data-size checks it with r1 = N
	 * bytes of data and r2 = N instead. */
	err = cli_open_progs_typed(rt, path, true, type, &p);
	if (!err) {
		static char log[1 << 20];
		for (size_t i = 0; i < p.cnt; i++) {
			struct userbpf_prog *prog = cli_prog_at(&p, i);
			int verr;

			if (vo.log_level) {
				vo.log_buf = log;
				vo.log_size = sizeof(log);
				log[0] = 0;
			}
			verr = userbpf_prog__verify(prog, &vo);
			if (vo.log_level && log[0])
				fputs(log, stderr);
			if (verr) {
				refused++;
				printf("%s: prog '%s' (section %s): refused\n", path, cli_prog_name(&p, i),
				       cli_prog_section(&p, i));
			} else {
				printf("%s: prog '%s' (section %s): %zu instructions verified (%llu processed)\n",
				       path, cli_prog_name(&p, i), cli_prog_section(&p, i),
				       userbpf_prog__insn_cnt(prog), (unsigned long long)vo.insns_processed);
			}
		}
		cli_close_progs(&p);
	} else {
		printf("%s: refused\n", path);
	}
	userbpf_rt__free(rt);
	return err || refused ? CLI_FAIL : CLI_OK;
}

static void disasm_prog(const struct userbpf_prog *prog)
{
	const struct userbpf_insn *in = userbpf_prog__insns(prog);
	size_t n = userbpf_prog__insn_cnt(prog);
	char buf[160];

	for (size_t i = 0; i < n;) {
		int used = userbpf_disasm_insn(in + i, n - i, buf, sizeof(buf));

		printf("%8zu:\t%s\n", i, buf);
		i += used > 0 ? (size_t)used : 1;
	}
}

int cmd_disasm(const struct cli *c, int argc, char **argv)
{
	struct userbpf_rt *rt;
	struct cli_progs p;
	int err;

	if (argc != 1) {
		cli_err("disasm takes one FILE");
		return CLI_USAGE;
	}
	rt = cli_rt(c);
	if (!rt)
		return CLI_FAIL;
	err = cli_open_progs(rt, argv[0], true, &p);
	if (!err) {
		for (size_t i = 0; i < p.cnt; i++) {
			printf("%sprog '%s' (section %s):\n", i ? "\n" : "", cli_prog_name(&p, i),
			       cli_prog_section(&p, i));
			disasm_prog(cli_prog_at(&p, i));
		}
		cli_close_progs(&p);
	}
	userbpf_rt__free(rt);
	return err ? CLI_FAIL : CLI_OK;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}


int cmd_test_run(const struct cli *c, int argc, char **argv)
{
	const char *path = NULL, *name = NULL, *data_in = NULL, *data_out = NULL;
	uint64_t repeat = 1, ret = 0, t0, t1;
	struct userbpf_run_opts ro = { .sz = sizeof(ro) };
	struct userbpf_region region;
	struct userbpf_prog *prog = NULL;
	struct userbpf_rt *rt;
	struct cli_progs p;
	uint8_t *data = NULL;
	size_t len = 0;
	int err, rc = CLI_FAIL;

	for (int i = 0; i < argc; i++) {
		const char *k = argv[i];

		if (!path && strcmp(k, "name") && strcmp(k, "data_in") && strcmp(k, "data_out") &&
		    strcmp(k, "repeat")) {
			path = k;
			continue;
		}
		if (i + 1 >= argc) {
			cli_err("'%s' needs a value", k);
			return CLI_USAGE;
		}
		if (!strcmp(k, "name")) {
			name = argv[++i];
		} else if (!strcmp(k, "data_in")) {
			data_in = argv[++i];
		} else if (!strcmp(k, "data_out")) {
			data_out = argv[++i];
		} else if (!strcmp(k, "repeat")) {
			if (!parse_u64(argv[++i], &repeat) || repeat == 0) {
				cli_err("repeat '%s' is not a positive number", argv[i]);
				return CLI_USAGE;
			}
		} else {
			cli_err("unknown argument '%s'", k);
			return CLI_USAGE;
		}
	}
	if (!path) {
		cli_err("test-run needs a FILE");
		return CLI_USAGE;
	}
	rt = cli_rt(c);
	if (!rt)
		return CLI_FAIL;
	err = cli_open_progs(rt, path, true, &p);
	if (err)
		goto out_rt;
	for (size_t i = 0; i < p.cnt; i++)
		if (!name || !strcmp(cli_prog_name(&p, i), name))
			if (!prog)
				prog = cli_prog_at(&p, i);
	if (!prog) {
		cli_err("%s: no program named '%s'", path, name);
		goto out;
	}
	if (!name && p.cnt > 1)
		fprintf(stderr, "%s: %zu programs, running '%s' (choose with 'name PROG')\n", path,
			p.cnt, userbpf_prog__name(prog));
	if (data_in) {
		data = cli_read_all(data_in, &len);
		if (!data)
			goto out;
	}
	/* Verified for this input size, the program runs in the JIT; otherwise
	 * the interpreter checks every access. */
	{
		struct userbpf_verify_opts vo = { .sz = sizeof(vo), .mem_size = (uint32_t)len };
		if (len > (1u << 30) || userbpf_prog__verify(prog, &vo))
			fprintf(stderr, "%s: prog '%s' is not verified: running it in the checked interpreter\n",
				path, userbpf_prog__name(prog));
	}
	region = (struct userbpf_region){ data, len, true };
	ro.args[0] = (uint64_t)(uintptr_t)data;
	ro.args[1] = len;
	ro.regions = &region;
	ro.region_cnt = data ? 1 : 0;
	ro.engine = c->engine;
	t0 = now_ns();
	for (uint64_t r = 0; r < repeat; r++) {
		if (userbpf_prog__run(prog, &ro, &ret)) {
			cli_err("%s: prog '%s' failed: %s", path, userbpf_prog__name(prog),
				strerror(errno));
			goto out;
		}
	}
	t1 = now_ns();
	if (data_out) {
		FILE *f = fopen(data_out, "wb");
		if (!f || (len && fwrite(data, 1, len, f) != len)) {
			cli_err("%s: cannot write: %s", data_out, strerror(errno));
			if (f)
				fclose(f);
			goto out;
		}
		fclose(f);
	}
	if (c->json)
		printf(c->pretty ? "{\n    \"retval\": %u,\n    \"duration\": %llu\n}\n"
				 : "{\"retval\":%u,\"duration\":%llu}\n",
		       (uint32_t)ret, (unsigned long long)((t1 - t0) / repeat));
	else
		printf("Return value: %u, duration%s: %lluns\n", (uint32_t)ret,
		       repeat > 1 ? " (average)" : "", (unsigned long long)((t1 - t0) / repeat));
	rc = CLI_OK;
out:
	free(data);
	cli_close_progs(&p);
out_rt:
	userbpf_rt__free(rt);
	return rc;
}

int cmd_version(const struct cli *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (c->json)
		printf("{\"version\":\"%d.%d\"}\n", USERBPF_VERSION_MAJOR, USERBPF_VERSION_MINOR);
	else
		printf("userbpf v%d.%d\n", USERBPF_VERSION_MAJOR, USERBPF_VERSION_MINOR);
	return CLI_OK;
}
