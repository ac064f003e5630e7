/* SPDX-License-Identifier: MIT */
/*
 * plugin.c - the bpf_conformance plugin of userbpf.
 *
 * bpf_conformance (and our own runner, tests/conformance/conformance.c)
 * starts this program once per test:
 *
 *     bpf_conformance_plugin [MEMORY-HEX] [--engine interpreter|jit] [--budget N]
 *
 * with the program on stdin as hex bytes, 8 per instruction slot.  It
 * loads the program into a fresh runtime, runs it once over a writable
 * copy of the memory (r1 = its address, r2 = its length) and prints r0 in
 * hex.  Any problem (bad input, a refused program, a fault at run time)
 * ends with a one-line message on stderr and exit status 1, so a runner
 * can tell a refusal from a crash.  The protocol is described in
 * ../shared/conformance/SOURCE.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "userbpf/userbpf.h"

/* Programs longer than this are refused before decoding (Linux's limit
 * is 1M instructions, 8 bytes each, 3 hex characters per byte). */
#define PLG_MAX_INPUT (32u << 20)

/* Instructions a run may execute by default: far above what any test
 * needs, low enough that a program that never ends fails in seconds with
 * a message instead of hanging the runner. */
#define PLG_DEFAULT_BUDGET 100000000ull

struct plg_log {
	int count;	/* messages printed so far */
};

static void plg_log_cb(enum userbpf_log_level level, const char *msg, void *user)
{
	struct plg_log *l = user;

	if (level != USERBPF_LOG_WARN)
		return;
	l->count++;
	fprintf(stderr, "%s\n", msg);
}

static int plg_die(const char *fmt, ...)
{
	va_list ap;

	fputs("bpf_conformance_plugin: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int plg_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Decodes whitespace-separated hex bytes ("b7 00 ...").  A token may hold
 * several bytes back to back ("b7000000"), but never an odd number of
 * digits.  Returns 0 and a malloc'd buffer (NULL when empty), or 1 after
 * printing why the text is refused; `what` names it in the message.
 */
static int plg_hex(const char *s, size_t len, const char *what, uint8_t **out,
		   size_t *out_len)
{
	uint8_t *buf = malloc(len / 2 + 1);
	size_t n = 0, i = 0;

	*out = NULL;
	*out_len = 0;
	if (!buf)
		return plg_die("out of memory");
	while (i < len) {
		size_t start;

		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++;
			continue;
		}
		start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
			if (plg_hexval(s[i]) < 0) {
				free(buf);
				return plg_die("%s: character '%c' at offset %zu is not a hex digit",
					       what, (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?', i);
			}
			i++;
		}
		if ((i - start) % 2) {
			free(buf);
			return plg_die("%s: token at offset %zu has an odd number of hex digits",
				       what, start);
		}
		for (size_t k = start; k < i; k += 2)
			buf[n++] = (uint8_t)(plg_hexval(s[k]) << 4 | plg_hexval(s[k + 1]));
	}
	if (n == 0) {
		free(buf);
		return 0;
	}
	*out = buf;
	*out_len = n;
	return 0;
}

/* Reads all of stdin, up to PLG_MAX_INPUT bytes. */
static int plg_read_stdin(char **out, size_t *out_len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return plg_die("out of memory");
	for (;;) {
		size_t got;

		if (n == cap) {
			char *nb;

			if (cap >= PLG_MAX_INPUT) {
				free(buf);
				return plg_die("program text on stdin is larger than %u bytes",
					       PLG_MAX_INPUT);
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return plg_die("out of memory");
			}
			buf = nb;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n, stdin);
		n += got;
		if (got == 0) {
			if (ferror(stdin)) {
				free(buf);
				return plg_die("reading stdin: %s", strerror(errno));
			}
			break;
		}
	}
	*out = buf;
	*out_len = n;
	return 0;
}

/* The helper id 5 the conformance tests call: returns its first argument. */
static uint64_t plg_helper5(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			    uint64_t r5, struct userbpf_call *call)
{
	(void)r2;
	(void)r3;
	(void)r4;
	(void)r5;
	(void)call;
	return r1;
}

static void plg_usage(void)
{
	fprintf(stderr,
		"usage: bpf_conformance_plugin [MEMORY-HEX] [--engine interpreter|jit] [--budget N]\n"
		"                              < PROGRAM-HEX\n"
		"  Runs the program (hex bytes on stdin, 8 per instruction) once with r1 = a\n"
		"  writable copy of MEMORY and r2 = its length, and prints r0 in hex.\n"
		"  --budget N stops a run after N instructions (default %llu, 0: none).\n",
		PLG_DEFAULT_BUDGET);
}

int main(int argc, char **argv)
{
	struct plg_log log = { 0 };
	struct userbpf_rt_opts ro = { .sz = sizeof(ro), .log = plg_log_cb, .log_user = &log };
	struct userbpf_prog_opts po = { .sz = sizeof(po), .name = "conformance",
					.entry_regs = (1u << 1) | (1u << 2) };
	struct userbpf_run_opts run = { .sz = sizeof(run) };
	struct userbpf_region region;
	enum userbpf_engine engine = USERBPF_ENGINE_INTERPRETER;
	struct userbpf_rt *rt = NULL;
	struct userbpf_prog *prog = NULL;
	uint8_t *mem = NULL, *code = NULL;
	size_t mem_len = 0, code_len = 0, text_len = 0;
	char *text = NULL;
	uint64_t r0 = 0, budget = PLG_DEFAULT_BUDGET;
	int i = 1, rc = 1, err;

	if (argc > 1 && strncmp(argv[1], "--", 2) != 0) {
		if (plg_hex(argv[1], strlen(argv[1]), "memory argument", &mem, &mem_len))
			goto out;
		i = 2;
	}
	for (; i < argc; i++) {
		const char *a = argv[i], *val = NULL;

		if (strcmp(a, "--engine") == 0) {
			if (i + 1 >= argc) {
				rc = plg_die("--engine needs a value: interpreter or jit");
				goto out;
			}
			val = argv[++i];
		} else if (strncmp(a, "--engine=", 9) == 0) {
			val = a + 9;
		} else if (strcmp(a, "--budget") == 0) {
			char *end;

			if (i + 1 >= argc) {
				rc = plg_die("--budget needs a number of instructions");
				goto out;
			}
			errno = 0;
			budget = strtoull(argv[++i], &end, 10);
			if (errno || end == argv[i] || *end || argv[i][0] == '-') {
				rc = plg_die("--budget: '%s' is not a number of instructions", argv[i]);
				goto out;
			}
			continue;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			plg_usage();
			rc = 0;
			goto out;
		} else if (strcmp(a, "--elf") == 0) {
			rc = plg_die("--elf is not supported: give raw instruction bytes");
			goto out;
		} else {
			rc = plg_die("unknown argument '%s' (see --help)", a);
			goto out;
		}
		if (strcmp(val, "interpreter") == 0) {
			engine = USERBPF_ENGINE_INTERPRETER;
		} else if (strcmp(val, "jit") == 0) {
			engine = USERBPF_ENGINE_JIT;
		} else {
			rc = plg_die("unknown engine '%s' (expected interpreter or jit)", val);
			goto out;
		}
	}

	if (plg_read_stdin(&text, &text_len) ||
	    plg_hex(text, text_len, "program on stdin", &code, &code_len))
		goto out;
	if (code_len == 0) {
		rc = plg_die("empty program: expected hex bytes on stdin, 8 per instruction");
		goto out;
	}
	if (code_len % sizeof(struct userbpf_insn)) {
		rc = plg_die("program is %zu bytes, not a multiple of the 8-byte instruction size",
			     code_len);
		goto out;
	}

	rt = userbpf_rt__new(&ro);
	if (!rt) {
		rc = plg_die("cannot create a runtime: %s", userbpf_strerror(-errno));
		goto out;
	}
	err = userbpf_rt__set_helper(rt, 5, "conformance_helper5", plg_helper5);
	if (err) {
		rc = plg_die("cannot register helper 5: %s", userbpf_strerror(err));
		goto out;
	}
	/* The byte buffer is only byte-aligned; the instructions are copied
	 * into the program by the loader, so hand it an aligned copy. */
	{
		size_t cnt = code_len / sizeof(struct userbpf_insn);
		struct userbpf_insn *insns = malloc(code_len);

		if (!insns) {
			rc = plg_die("out of memory");
			goto out;
		}
		memcpy(insns, code, code_len);
		prog = userbpf_prog__load(rt, insns, cnt, &po);
		err = prog ? 0 : -errno;
		free(insns);
	}
	if (!prog) {
		if (!log.count)
			plg_die("program refused: %s", userbpf_strerror(err));
		goto out;
	}

	region = (struct userbpf_region){ mem, mem_len, true };
	run.args[0] = (uint64_t)(uintptr_t)mem;
	run.args[1] = mem_len;
	run.regions = &region;
	run.region_cnt = mem ? 1 : 0;
	run.engine = engine;
	run.insn_budget = budget;
	if (engine == USERBPF_ENGINE_JIT) {
		/* Until the verifier lands, the conformance vectors stand as
		 * trusted code: the JIT compiles only trusted programs, and it
		 * counts no budget. */
		userbpf_prog__set_trusted(prog, true);
		run.insn_budget = 0;
	}
	err = userbpf_prog__run(prog, &run, &r0);
	if (err) {
		if (!log.count)
			plg_die("run failed: %s", userbpf_strerror(err));
		goto out;
	}
	printf("%llx\n", (unsigned long long)r0);
	rc = fflush(stdout) ? plg_die("writing stdout: %s", strerror(errno)) : 0;
out:
	userbpf_prog__free(prog);
	userbpf_rt__free(rt);
	free(text);
	free(code);
	free(mem);
	return rc;
}
