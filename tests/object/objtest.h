/* SPDX-License-Identifier: MIT */
/*
 * objtest.h - what the object tests share: building a BPF C source with
 * clang (clang-19 for a CPU the system's clang does not know) into a
 * temporary folder, and reading a file into memory.
 */
#ifndef UB_TEST_OBJTEST_H
#define UB_TEST_OBJTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char ot_tmpdir[256];

/* Makes the temporary folder; false when it cannot. */
static inline bool ot_init(const char *tag)
{
	snprintf(ot_tmpdir, sizeof(ot_tmpdir), "/tmp/ub-%s-XXXXXX", tag);
	return mkdtemp(ot_tmpdir) != NULL;
}

static inline void ot_cleanup(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", ot_tmpdir);
	if (system(cmd)) {}
}

static inline bool ot_have_clang(void)
{
	return system("clang --version >/dev/null 2>&1") == 0;
}

/* Does this clang know -mcpu=cpu for the BPF target? */
static inline bool ot_clang_knows(const char *cc, const char *cpu)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "echo 'int x;' | %s -target bpf -mcpu=%s -x c -c - -o /dev/null >/dev/null 2>&1",
		 cc, cpu);
	return system(cmd) == 0;
}

/* The compiler that builds -mcpu=cpu: clang when it knows that CPU, else
 * clang-19 (clang < 18 has no v4: Debian 12's is 14; scripts/deps.sh
 * installs clang-19), else NULL.  Asked once per CPU. */
static inline const char *ot_clang(const char *cpu)
{
	static const char *known[8];
	static char asked[8];
	static const char *cpus[] = { "v1", "v2", "v3", "v4", "generic", "probe" };
	size_t i;

	for (i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++)
		if (!strcmp(cpus[i], cpu))
			break;
	if (i < sizeof(cpus) / sizeof(cpus[0]) && asked[i])
		return known[i];
	{
		const char *cc = ot_clang_knows("clang", cpu) ? "clang" :
				 ot_clang_knows("clang-19", cpu) ? "clang-19" : NULL;

		if (i < sizeof(cpus) / sizeof(cpus[0])) {
			asked[i] = 1;
			known[i] = cc;
		}
		return cc;
	}
}

static inline bool ot_cpu_known(const char *cpu)
{
	return ot_clang(cpu) != NULL;
}

/* Why a CPU is skipped. */
#define OT_CPU_UNKNOWN "neither clang nor clang-19 knows that CPU (scripts/deps.sh installs clang-19)"

/* CC -O2 -g -target bpf -mcpu=CPU on UB_ROOT/src, CC from ot_clang(); out
 * receives the object's path.  Returns 0 on success. */
static inline int ot_build(const char *src, const char *cpu, char *out, size_t out_sz)
{
	char cmd[1024];
	const char *root = getenv("UB_ROOT") ? getenv("UB_ROOT") : ".";
	const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
	const char *cc = ot_clang(cpu);

	snprintf(out, out_sz, "%s/%s.%s.o", ot_tmpdir, base, cpu);
	snprintf(cmd, sizeof(cmd), "%s -O2 -g -target bpf -mcpu=%s -c %s/%s -o %s 2>&1",
		 cc ? cc : "clang", cpu, root, src, out);
	return system(cmd);
}

static inline uint8_t *ot_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (b)
		*len = (size_t)n;
	return b;
}

#endif
