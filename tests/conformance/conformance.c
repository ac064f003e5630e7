/* SPDX-License-Identifier: MIT */
/*
 * conformance.c - runs the bpf_conformance suite against our plugin.
 *
 * For every .data file of $UB_SHARED/conformance/tests this program parses
 * the test (the `.data` format is described in conformance/SOURCE.md),
 * assembles it with userbpf_asm(), starts $UB_BUILD/bpf_conformance_plugin
 * as a child process, exactly as the upstream runner does, and compares the
 * r0 it prints with the expected result.  Each engine the plugin has gets
 * one line per file.  We reimplement the runner (rather than use upstream's
 * C++ one) so that `make check` needs no extra toolchain, and so that the
 * assembler is exercised on every file.
 *
 * The negative/ files check the other side: malformed assembly must be
 * refused with a message naming the line, a program reading an
 * uninitialised register and instructions with nonzero reserved fields
 * must be refused by the plugin before anything runs, and a wrong expected
 * value must be seen as a mismatch.
 *
 * Three variables let tests/cross/cross.sh run a plugin built for another
 * platform through an emulator, so the same checks cover arm64 and Windows:
 * UB_PLUGIN names the plugin binary (instead of $UB_BUILD's), UB_PLUGIN_WRAP
 * is a command put in front of it (e.g. "qemu-aarch64" or "wine64"; words
 * split on blanks, the first looked up in PATH since posix_spawn does not),
 * and UB_ENGINES=interpreter leaves the JIT out where it cannot apply.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "testlib.h"
#include "spawn.h"

#define CF_TIMEOUT_MS 20000

/* A growable byte buffer, NUL-terminated for text use. */
struct cf_buf {
	char *p;
	size_t n, cap;
};

static int cf_put(struct cf_buf *b, const void *data, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;

		while (cap < b->n + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

struct cf_test {
	struct cf_buf asm_text;	/* one line per file line, so errors name file lines */
	struct cf_buf raw;	/* instruction bytes */
	struct cf_buf mem;
	bool has_asm, has_raw, has_result, has_error;
	uint64_t result;
	char error[256];
	char why[256];		/* why the file could not be parsed */
};

static void cf_test_free(struct cf_test *t)
{
	free(t->asm_text.p);
	free(t->raw.p);
	free(t->mem.p);
	memset(t, 0, sizeof(*t));
}

static char *cf_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static bool cf_is_hex2(const char *tok, size_t n)
{
	return n == 2 && isxdigit((unsigned char)tok[0]) && isxdigit((unsigned char)tok[1]);
}

/* `-- mem`: hex byte pairs. */
static int cf_parse_mem(struct cf_test *t, char *line, int lineno)
{
	for (char *tok = strtok(line, " \t"); tok; tok = strtok(NULL, " \t")) {
		uint8_t byte;

		if (!cf_is_hex2(tok, strlen(tok))) {
			snprintf(t->why, sizeof(t->why), "line %d: bad mem byte '%s'", lineno, tok);
			return -1;
		}
		byte = (uint8_t)strtoul(tok, NULL, 16);
		if (cf_put(&t->mem, &byte, 1))
			return -1;
	}
	return 0;
}

/*
 * `-- raw`: each token is one whole 64-bit slot (0x-hex or decimal), low
 * byte first.  The negative/unused-*.data files instead write one slot per
 * line as eight two-digit bytes (see SOURCE.md); such a line is read as
 * bytes, which is what those files mean.
 */
static int cf_parse_raw(struct cf_test *t, char *line, int lineno)
{
	char *toks[16];
	int n = 0;
	bool bytes = true;

	for (char *tok = strtok(line, " \t"); tok; tok = strtok(NULL, " \t")) {
		if (n == 16) {
			snprintf(t->why, sizeof(t->why), "line %d: too many raw tokens", lineno);
			return -1;
		}
		toks[n++] = tok;
	}
	for (int i = 0; i < n; i++)
		bytes = bytes && cf_is_hex2(toks[i], strlen(toks[i]));
	if (bytes && n == 8) {
		for (int i = 0; i < n; i++) {
			uint8_t b = (uint8_t)strtoul(toks[i], NULL, 16);
			if (cf_put(&t->raw, &b, 1))
				return -1;
		}
		return 0;
	}
	for (int i = 0; i < n; i++) {
		char *end;
		bool hex = strncmp(toks[i], "0x", 2) == 0 || strncmp(toks[i], "0X", 2) == 0;
		unsigned long long v;
		uint8_t slot[8];

		errno = 0;
		v = strtoull(toks[i], &end, hex ? 16 : 10);
		if (errno || *end || end == toks[i]) {
			snprintf(t->why, sizeof(t->why), "line %d: bad raw slot '%s'", lineno, toks[i]);
			return -1;
		}
		for (int k = 0; k < 8; k++)
			slot[k] = (uint8_t)(v >> (8 * k));
		if (cf_put(&t->raw, slot, 8))
			return -1;
	}
	return 0;
}

enum cf_section { S_NONE, S_ASM, S_RESULT, S_MEM, S_RAW, S_IGNORE, S_ERROR };

/* Parses a .data file; returns 0, or -1 with t->why. */
static int cf_parse(const char *path, struct cf_test *t)
{
	FILE *f = fopen(path, "r");
	enum cf_section sec = S_NONE;
	char line[4096];
	char result_text[128] = "";
	int lineno = 0, ret = 0;

	memset(t, 0, sizeof(*t));
	if (!f) {
		snprintf(t->why, sizeof(t->why), "cannot open: %s", strerror(errno));
		return -1;
	}
	if (cf_put(&t->asm_text, "", 0))
		ret = -1;
	while (!ret && fgets(line, sizeof(line), f)) {
		char *s, *hash, *cr;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(t->why, sizeof(t->why), "line %d: line too long", lineno);
			ret = -1;
			break;
		}
		if ((hash = strchr(line, '#')))
			*hash = '\0';
		if ((cr = strchr(line, '\r')))
			*cr = '\0';
		s = cf_trim(line);
		if (strstr(s, "--")) {
			if (strstr(s, "asm"))
				sec = S_ASM, t->has_asm = true;
			else if (strstr(s, "result"))
				sec = S_RESULT, t->has_result = true;
			else if (strstr(s, "mem"))
				sec = S_MEM;
			else if (strstr(s, "raw"))
				sec = S_RAW, t->has_raw = true;
			else if (strstr(s, "no register offset") || strstr(s, " c"))
				sec = S_IGNORE;
			else if (strstr(s, "error"))
				sec = S_ERROR, t->has_error = true;
			else {
				snprintf(t->why, sizeof(t->why), "line %d: unknown directive '%s'",
					 lineno, s);
				ret = -1;
			}
			if (cf_put(&t->asm_text, "\n", 1))
				ret = -1;
			continue;
		}
		if (sec == S_ASM) {
			if (cf_put(&t->asm_text, s, strlen(s)) || cf_put(&t->asm_text, "\n", 1))
				ret = -1;
			continue;
		}
		if (cf_put(&t->asm_text, "\n", 1))
			ret = -1;
		if (!*s)
			continue;
		switch (sec) {
		case S_RESULT:
			snprintf(result_text, sizeof(result_text), "%s", s);
			break;
		case S_MEM:
			ret = cf_parse_mem(t, s, lineno);
			break;
		case S_RAW:
			ret = cf_parse_raw(t, s, lineno);
			break;
		case S_ERROR:
			snprintf(t->error, sizeof(t->error), "%s", s);
			break;
		default:
			break;
		}
	}
	fclose(f);
	if (ret) {
		if (!t->why[0])
			snprintf(t->why, sizeof(t->why), "out of memory");
		return -1;
	}
	if (t->has_result) {
		char *end;

		errno = 0;
		t->result = strtoull(result_text, &end, strstr(result_text, "0x") ? 16 : 10);
		if (errno || end == result_text || *end) {
			snprintf(t->why, sizeof(t->why), "bad result '%s'", result_text);
			return -1;
		}
	}
	if (!t->has_asm && !t->has_raw) {
		snprintf(t->why, sizeof(t->why), "no instructions: the file has no asm or raw section");
		return -1;
	}
	if (!t->has_result && !t->has_error) {
		snprintf(t->why, sizeof(t->why), "the file has neither a result nor an error section");
		return -1;
	}
	return 0;
}

/* The program bytes of a test: raw if present (it replaces asm), else
 * assembled.  Returns a malloc'd buffer, or NULL with why. */
static uint8_t *cf_program(const struct cf_test *t, size_t *len, char *why, size_t why_sz)
{
	struct userbpf_insn *insns;
	size_t cnt;
	uint8_t *p;

	if (t->has_raw) {
		p = malloc(t->raw.n ? t->raw.n : 1);
		if (!p) {
			snprintf(why, why_sz, "out of memory");
			return NULL;
		}
		memcpy(p, t->raw.p, t->raw.n);
		*len = t->raw.n;
		return p;
	}
	if (userbpf_asm(t->asm_text.p, &insns, &cnt, why, why_sz))
		return NULL;
	*len = cnt * sizeof(*insns);
	return (uint8_t *)insns;
}

#define CF_MAX_WRAP 16

static char *cf_plugin;
static char *cf_wrap[CF_MAX_WRAP];	/* UB_PLUGIN_WRAP, split; NULL-terminated */
static int cf_nwrap;

/*
 * Splits UB_PLUGIN_WRAP into cf_wrap (pointing into buf) and resolves its
 * first word through PATH into exe.  Returns 0, or -1 with why.
 */
static int cf_setup_wrap(char *buf, char *exe, size_t exe_sz, char *why, size_t why_sz)
{
	const char *path = getenv("PATH");

	for (char *tok = strtok(buf, " \t"); tok; tok = strtok(NULL, " \t")) {
		if (cf_nwrap == CF_MAX_WRAP - 1) {
			snprintf(why, why_sz, "UB_PLUGIN_WRAP has more than %d words", CF_MAX_WRAP - 1);
			return -1;
		}
		cf_wrap[cf_nwrap++] = tok;
	}
	if (!cf_nwrap || strchr(cf_wrap[0], '/'))
		return 0;
	while (path && *path) {
		size_t len = strcspn(path, ":");

		snprintf(exe, exe_sz, "%.*s/%s", (int)len, path, cf_wrap[0]);
		if (len && access(exe, X_OK) == 0) {
			cf_wrap[0] = exe;
			return 0;
		}
		path += len + (path[len] == ':');
	}
	snprintf(why, why_sz, "UB_PLUGIN_WRAP: '%s' is not in PATH", cf_wrap[0]);
	return -1;
}

/* Runs the plugin on a program; the caller frees r. */
static int cf_run(const uint8_t *prog, size_t len, const uint8_t *mem, size_t mem_len,
		  const char *engine, struct sp_result *r)
{
	char *in = sp_hex(prog, len), *memhex = NULL;
	char *argv[CF_MAX_WRAP + 6];
	int n = 0, err;

	if (!in)
		return -ENOMEM;
	while (n < cf_nwrap) {
		argv[n] = cf_wrap[n];
		n++;
	}
	argv[n++] = cf_plugin;
	if (mem_len) {
		memhex = sp_hex(mem, mem_len);
		if (!memhex) {
			free(in);
			return -ENOMEM;
		}
		memhex[strlen(memhex) - 1] = '\0'; /* one argument, no newline */
		argv[n++] = memhex;
	}
	argv[n++] = "--engine";
	argv[n++] = (char *)engine;
	argv[n] = NULL;
	err = sp_run(argv, in, strlen(in), CF_TIMEOUT_MS, r);
	/* Under an emulator, a start that fails with nothing said is the
	 * emulator's (wine does this rarely under load): the plugin itself
	 * always says why it fails.  Such a run is tried once more, openly. */
	if (!err && cf_nwrap && !r->timed_out && r->status != 0 && !r->out_len && !r->err_len) {
		printf("# %s: the emulator failed silently; running it once more\n", cf_wrap[0]);
		sp_result_free(r);
		err = sp_run(argv, in, strlen(in), CF_TIMEOUT_MS, r);
	}
	free(in);
	free(memhex);
	return err;
}

/* A short description of how the child ended, for messages. */
static void cf_describe(const struct sp_result *r, char *buf, size_t sz)
{
	char *nl;
	char err1[200];

	snprintf(err1, sizeof(err1), "%s", r->err);
	if ((nl = strchr(err1, '\n')))
		*nl = '\0';
	if (r->timed_out)
		snprintf(buf, sz, "timed out after %d ms", CF_TIMEOUT_MS);
	else if (WIFSIGNALED(r->status))
		snprintf(buf, sz, "killed by signal %d: %s", WTERMSIG(r->status), err1);
	else
		snprintf(buf, sz, "exit status %d: %s", WEXITSTATUS(r->status), err1);
}

static bool cf_exited_ok(const struct sp_result *r)
{
	return !r->timed_out && WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
}

/* A refusal: the plugin's exit status 1 (not a signal, a sanitizer's
 * status or a timeout), nothing on stdout and a message on stderr. */
static bool cf_refused(const struct sp_result *r)
{
	return !r->timed_out && WIFEXITED(r->status) && WEXITSTATUS(r->status) == 1 &&
	       r->out_len == 0 && r->err_len > 0;
}

static bool cf_parse_r0(const struct sp_result *r, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(r->out, &end, 16);
	while (*end == '\n' || *end == ' ' || *end == '\r')
		end++;
	return !errno && end != r->out && *end == '\0';
}

static int cf_names(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	int n = 0, cap = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l < 6 || strcmp(e->d_name + l - 5, ".data") != 0)
			continue;
		if (n == cap) {
			char **nn = realloc(names, (size_t)(cap = cap ? cap * 2 : 512) * sizeof(*nn));
			if (!nn)
				break;
			names = nn;
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	for (int i = 1; i < n; i++) /* insertion sort: a few hundred names */
		for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *tmp = names[j];
			names[j] = names[j - 1];
			names[j - 1] = tmp;
		}
	*out = names;
	return n;
}

static void cf_free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* One positive test through one engine; returns true when it passed. */
static bool cf_positive(const char *dir, const char *file, const char *engine)
{
	char path[2400], name[512], why[512], how[300];
	struct cf_test t;
	struct sp_result r;
	uint8_t *prog = NULL;
	size_t len = 0;
	uint64_t r0;
	bool pass = false;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(name, sizeof(name), "conformance/%s [%s]", file, engine);
	if (cf_parse(path, &t)) {
		tl_fail(name, "cannot parse: %s", t.why);
		cf_test_free(&t);
		return false;
	}
	if (!t.has_result) {
		tl_fail(name, "no result section");
		goto out;
	}
	prog = cf_program(&t, &len, why, sizeof(why));
	if (!prog) {
		tl_fail(name, "assembler refused: %s", why);
		goto out;
	}
	if (cf_run(prog, len, (uint8_t *)t.mem.p, t.mem.n, engine, &r)) {
		tl_fail(name, "cannot start %s", cf_plugin);
		goto out;
	}
	cf_describe(&r, how, sizeof(how));
	if (!cf_exited_ok(&r))
		tl_fail(name, "plugin failed: %s", how);
	else if (!cf_parse_r0(&r, &r0))
		tl_fail(name, "plugin printed '%s', not a hex r0", r.out);
	else if (r0 != t.result)
		tl_fail(name, "r0 = 0x%llx, expected 0x%llx", (unsigned long long)r0,
			(unsigned long long)t.result);
	else {
		tl_ok(name);
		pass = true;
	}
	sp_result_free(&r);
out:
	free(prog);
	cf_test_free(&t);
	return pass;
}

/* A file with both asm and raw: the assembler must agree with the bytes. */
static void cf_asm_vs_raw(const char *dir, const char *file)
{
	char path[2400], name[512], why[512];
	struct cf_test t;
	struct userbpf_insn *insns = NULL;
	size_t cnt = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (cf_parse(path, &t) || !t.has_asm || !t.has_raw) {
		cf_test_free(&t);
		return;
	}
	snprintf(name, sizeof(name), "conformance/%s asm matches raw", file);
	if (userbpf_asm(t.asm_text.p, &insns, &cnt, why, sizeof(why)))
		tl_fail(name, "assembler refused: %s", why);
	else if (cnt * 8 != t.raw.n || memcmp(insns, t.raw.p, t.raw.n) != 0)
		tl_fail(name, "assembled %zu slots differ from the %zu raw bytes", cnt, t.raw.n);
	else
		tl_ok(name);
	free(insns);
	cf_test_free(&t);
}

/* Does the JIT engine exist?  1 yes, 0 not built (skip), -1 plugin broken. */
static int cf_probe_jit(char *why, size_t why_sz)
{
	static const uint8_t prog[16] = { 0xb7, 0, 0, 0, 7, 0, 0, 0, 0x95 };
	struct sp_result r;
	uint64_t r0;
	int ret;

	if (cf_run(prog, sizeof(prog), NULL, 0, "jit", &r)) {
		snprintf(why, why_sz, "cannot start %s", cf_plugin);
		return -1;
	}
	if (cf_exited_ok(&r) && cf_parse_r0(&r, &r0) && r0 == 7) {
		ret = 1;
	} else if (cf_refused(&r) && strstr(r.err, "not available")) {
		snprintf(why, why_sz, "the JIT is not built yet (plugin says: %.*s)",
			 (int)strcspn(r.err, "\n"), r.err);
		ret = 0;
	} else {
		cf_describe(&r, why, why_sz);
		ret = -1;
	}
	sp_result_free(&r);
	return ret;
}

/*
 * What the refusal of each malformed negative file must say.  The
 * upstream files carry an `-- error` text for some of them; the others
 * only say in a comment what is wrong, so the expectation is written here.
 */
static const struct {
	const char *file;
	const char *says;
} cf_refusals[] = {
	{ "empty.data", "no asm or raw section" },
	{ "empty_instructions.data", "no asm or raw section" },
	{ "invalid_imm32_dec_range.data", "out of range" },
	{ "invalid_imm32_hex_range.data", "out of range" },
	{ "invalid_label.data", "Unknown label 'NOT_A_LABEL'" },
	{ "invalid_lock.data", "Invalid number of operands for lock" },
	{ "invalid_lock2.data", "Invalid number of operands for lock" },
	{ "invalid_mnemonic.data", "Unknown mnemonic 'ldxq'" },
	{ "invalid_offset.data", "Invalid memory operand" },
	{ "invalid_offset_range.data", "out of range" },
	{ "invalid_operand_count.data", "Invalid number of operands for lddw" },
	{ "invalid_register.data", "Invalid register '%r50'" },
	{ "invalid_unknown_directive.data", "unknown directive" },
};

/* Is "line N: " at the start of msg naming a non-blank line of the asm? */
static bool cf_names_asm_line(const char *msg, const struct cf_test *t)
{
	int want, cur = 1;
	const char *p = t->asm_text.p;

	if (sscanf(msg, "line %d:", &want) != 1 || want < 1)
		return false;
	while (*p && cur < want) {
		if (*p++ == '\n')
			cur++;
	}
	if (cur != want)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p && *p != '\n';
}

static void cf_negative_malformed(const char *dir, const char *file)
{
	char path[2400], name[512], why[512];
	const char *says = NULL;
	struct cf_test t;
	struct userbpf_insn *insns = NULL;
	size_t cnt;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(name, sizeof(name), "conformance/negative/%s refused", file);
	for (size_t i = 0; i < sizeof(cf_refusals) / sizeof(cf_refusals[0]); i++)
		if (strcmp(cf_refusals[i].file, file) == 0)
			says = cf_refusals[i].says;
	if (cf_parse(path, &t)) {
		/* Refused by the file parser (no program, unknown directive). */
		if (says && strstr(t.why, says))
			tl_ok(name);
		else
			tl_fail(name, "parser said '%s', expected it to say '%s'", t.why,
				says ? says : "(no expectation written for this file)");
		printf("# %s: %s\n", file, t.why);
		cf_test_free(&t);
		return;
	}
	if (!userbpf_asm(t.asm_text.p, &insns, &cnt, why, sizeof(why))) {
		tl_fail(name, "the assembler accepted it (%zu slots)", cnt);
		free(insns);
	} else if (!cf_names_asm_line(why, &t)) {
		tl_fail(name, "message '%s' does not name an instruction line", why);
	} else if (t.has_error && !strstr(why, t.error)) {
		tl_fail(name, "message '%s' lacks the expected '%s'", why, t.error);
	} else if (!says || !strstr(why, says)) {
		tl_fail(name, "message '%s', expected it to say '%s'", why,
			says ? says : "(no expectation written for this file)");
	} else {
		tl_ok(name);
	}
	printf("# %s: %s\n", file, why);
	cf_test_free(&t);
}

/* error.data reads r0 before writing it: the plugin must refuse it at load. */
static void cf_negative_refused_by_plugin(const char *dir, const char *file,
					  const char *must_say1, const char *must_say2)
{
	char path[2400], name[512], why[512], how[300];
	struct cf_test t;
	struct sp_result r;
	uint8_t *prog;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(name, sizeof(name), "conformance/negative/%s refused by the plugin", file);
	if (cf_parse(path, &t)) {
		tl_fail(name, "cannot parse: %s", t.why);
		cf_test_free(&t);
		return;
	}
	prog = cf_program(&t, &len, why, sizeof(why));
	if (!prog) {
		tl_fail(name, "the program did not assemble: %s", why);
		cf_test_free(&t);
		return;
	}
	if (cf_run(prog, len, (uint8_t *)t.mem.p, t.mem.n, "interpreter", &r)) {
		tl_fail(name, "cannot start %s", cf_plugin);
	} else {
		cf_describe(&r, how, sizeof(how));
		if (!cf_refused(&r))
			tl_fail(name, "expected a refusal (exit 1, empty stdout): %s, stdout '%s'",
				how, r.out);
		else if (!strstr(r.err, "insn ") || !strstr(r.err, must_say1) ||
			 (must_say2 && !strstr(r.err, must_say2)))
			tl_fail(name, "message '%s' does not name the instruction and '%s'%s%s",
				how, must_say1, must_say2 ? " and " : "",
				must_say2 ? must_say2 : "");
		else
			tl_ok(name);
		printf("# %s: %s", file, r.err);
		sp_result_free(&r);
	}
	free(prog);
	cf_test_free(&t);
}

/* The runner itself must notice that r0 differs only in its high half. */
static void cf_negative_mismatch(const char *dir, const char *file)
{
	char path[2400], name[512], why[512], how[300];
	struct cf_test t;
	struct sp_result r;
	uint8_t *prog;
	size_t len;
	uint64_t r0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(name, sizeof(name), "conformance/negative/%s detected as a mismatch", file);
	if (cf_parse(path, &t) || !(prog = cf_program(&t, &len, why, sizeof(why)))) {
		tl_fail(name, "cannot parse or assemble: %s", t.why[0] ? t.why : why);
		cf_test_free(&t);
		return;
	}
	if (cf_run(prog, len, (uint8_t *)t.mem.p, t.mem.n, "interpreter", &r)) {
		tl_fail(name, "cannot start %s", cf_plugin);
	} else {
		cf_describe(&r, how, sizeof(how));
		if (!cf_exited_ok(&r) || !cf_parse_r0(&r, &r0))
			tl_fail(name, "plugin failed: %s", how);
		else if (r0 == t.result)
			tl_fail(name, "r0 0x%llx equals the wrong expected value",
				(unsigned long long)r0);
		else if ((uint32_t)r0 != (uint32_t)t.result)
			tl_fail(name, "r0 0x%llx differs from 0x%llx in its low half too",
				(unsigned long long)r0, (unsigned long long)t.result);
		else
			tl_ok(name);
		sp_result_free(&r);
	}
	free(prog);
	cf_test_free(&t);
}

/* unused-<insn>-<field>.data: the field named last must be reported. */
static void cf_negative_unused(const char *dir, const char *file)
{
	char field[16];
	const char *dash = strrchr(file, '-');
	size_t n = dash ? strcspn(dash + 1, ".") : 0;

	if (!dash || n == 0 || n >= sizeof(field)) {
		char name[512];
		snprintf(name, sizeof(name), "conformance/negative/%s", file);
		tl_fail(name, "cannot tell the field from the file name");
		return;
	}
	snprintf(field, sizeof(field), "%.*s", (int)n, dash + 1);
	if (strcmp(field, "offset") == 0)
		snprintf(field, sizeof(field), "off");
	cf_negative_refused_by_plugin(dir, file, field, NULL);
}

int main(void)
{
	const char *shared = getenv("UB_SHARED");
	const char *env_plugin = getenv("UB_PLUGIN"), *env_wrap = getenv("UB_PLUGIN_WRAP");
	const char *engines = getenv("UB_ENGINES");
	char tdir[1024], ndir[1024], plugin[1024], why[512], name[128];
	char wrap[1024], wrap_exe[1024];
	char **names = NULL;
	int n, jit, pass = 0, jit_pass = 0;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (env_plugin && *env_plugin)
		snprintf(plugin, sizeof(plugin), "%s", env_plugin);
	else
		sp_plugin_path(plugin, sizeof(plugin));
	cf_plugin = plugin;
	snprintf(wrap, sizeof(wrap), "%s", env_wrap ? env_wrap : "");
	if (cf_setup_wrap(wrap, wrap_exe, sizeof(wrap_exe), why, sizeof(why))) {
		tl_fail("conformance plugin wrapper", "%s", why);
		return tl_exit();
	}
	/* tests/cross/cross.sh checks this line to know its plugin was run. */
	printf("# plugin:");
	for (int i = 0; i < cf_nwrap; i++)
		printf(" %s", cf_wrap[i]);
	printf(" %s\n", cf_plugin);
	snprintf(tdir, sizeof(tdir), "%s/conformance/tests", shared && *shared ? shared : "../shared");
	snprintf(ndir, sizeof(ndir), "%s/conformance/negative", shared && *shared ? shared : "../shared");
	if (access(plugin, X_OK) != 0) {
		tl_fail("conformance plugin", "%s is missing: build it first", plugin);
		return tl_exit();
	}

	if (engines && *engines && !strstr(engines, "jit")) {
		jit = 0;
		snprintf(why, sizeof(why), "UB_ENGINES=%s leaves the JIT out", engines);
	} else {
		jit = cf_probe_jit(why, sizeof(why));
	}
	if (jit < 0)
		tl_fail("conformance/jit probe", "unexpected plugin answer: %s", why);
	else if (jit == 0)
		tl_skip("conformance/* [jit]", why);

	n = cf_names(tdir, &names);
	if (n <= 0) {
		tl_fail("conformance tests", "no .data files in %s", tdir);
		return tl_exit();
	}
	for (int i = 0; i < n; i++) {
		pass += cf_positive(tdir, names[i], "interpreter");
		if (jit > 0)
			jit_pass += cf_positive(tdir, names[i], "jit");
		cf_asm_vs_raw(tdir, names[i]);
	}
	printf("# conformance: %d/%d passed [interpreter]\n", pass, n);
	if (jit > 0)
		printf("# conformance: %d/%d passed [jit]\n", jit_pass, n);
	cf_free_names(names, n);

	n = cf_names(ndir, &names);
	if (n <= 0) {
		tl_fail("conformance negative tests", "no .data files in %s", ndir);
		return tl_exit();
	}
	for (int i = 0; i < n; i++) {
		const char *f = names[i];

		if (strncmp(f, "unused-", 7) == 0)
			cf_negative_unused(ndir, f);
		else if (strcmp(f, "error.data") == 0)
			cf_negative_refused_by_plugin(ndir, f, "r0", "read before it is written");
		else if (strcmp(f, "incorrect_return_value_high_bits.data") == 0)
			cf_negative_mismatch(ndir, f);
		else
			cf_negative_malformed(ndir, f);
	}
	snprintf(name, sizeof(name), "conformance/negative: %d files", n);
	printf("# %s\n", name);
	cf_free_names(names, n);
	return tl_exit();
}
