/* SPDX-License-Identifier: MIT */
/*
 * xproc.c - PROG_ARRAY and ARRAY_OF_MAPS slots that name pinned programs
 * and maps by their store id (src/store/store.h), used by a runtime other
 * than the writer's: a second runtime in this process (as another process
 * would be: nothing shared but the files) and a forked child.
 *   - prog_array: runtime a pins a program and sets a slot to it; b opens
 *     the map's pin and tail-calls it (interpreter and JIT); a replaces
 *     and deletes the slot, b's cached resolution follows; a slot holding
 *     a program private to a reads empty in b, even where b has an object
 *     with the same runtime id; the program outlives its pin while a slot
 *     names it.
 *   - array_of_maps: b's program reads (and writes) a's pinned inner map
 *     through the outer map's pin, live both ways, checked and verified;
 *     the template is checked in a runtime that only opened the outer pin.
 *   - hash_of_maps: the same through its table of references.
 *   - a forked child runs both programs from the pins alone; threads of
 *     one runtime meet a slot at once while another loads programs.
 *   - every allocation of the resolving runtime failing in turn: no crash,
 *     no leak, the tail call either happens or falls through.
 * Runs in a private store (USERBPF_ROOT = a fresh directory).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testlib.h"
#include "maps/map.h"

#define I(c, d, s, o, i) ((struct userbpf_insn){ (c), (d), (s), (o), (i) })
#define MOV64_IMM(d, i) I(0xb7, d, 0, 0, i)
#define MOV64_REG(d, s) I(0xbf, d, s, 0, 0)
#define ADD64_IMM(d, i) I(0x07, d, 0, 0, i)
#define STW(d, o, i) I(0x62, d, 0, o, i)
#define LDXW(d, s, o) I(0x61, d, s, o, 0)
#define STXW(d, s, o) I(0x63, d, s, o, 0)
#define JEQ_IMM(d, i, o) I(0x15, d, 0, o, i)
#define CALL(id) I(0x85, 0, 0, 0, id)
#define EXIT() I(0x95, 0, 0, 0, 0)
#define LD_MAP(d, idx) I(0x18, d, 1, 0, idx), I(0, 0, 0, 0, 0)
#define N(a) (sizeof(a) / sizeof((a)[0]))

enum { T_ARRAY = 2, T_PROG_ARRAY = 3, T_AOM = 12, T_HOM = 13 };

static char dir[64];

static const char *at(const char *name)
{
	static char buf[4][128];
	static int n;
	char *b = buf[n++ % 4];

	snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
	return b;
}

static struct userbpf_prog *load(struct userbpf_rt *rt, const struct userbpf_insn *in, size_t n,
				 struct userbpf_map *map)
{
	struct userbpf_prog_opts po = { .sz = sizeof(po) };

	if (map) {
		po.maps = &map;
		po.map_cnt = 1;
	}
	return userbpf_prog__load(rt, in, n, &po);
}

static uint64_t run(struct userbpf_prog *p, enum userbpf_engine e)
{
	struct userbpf_run_opts o = { .sz = sizeof(o), .engine = e };
	uint64_t r = 0;

	if (userbpf_prog__run(p, &o, &r))
		return (uint64_t)-1;
	return r;
}

static uint64_t sid_of(const char *path)
{
	uint64_t id = 0;

	userbpf_store__id(path, &id);
	return id;
}

static const struct userbpf_insn ret42[] = { MOV64_IMM(0, 42), EXIT() };
static const struct userbpf_insn ret43[] = { MOV64_IMM(0, 43), EXIT() };
static const struct userbpf_insn ret99[] = { MOV64_IMM(0, 99), EXIT() };
/* tail-calls slot 0 (or 1), returns 7 when that falls through */
static const struct userbpf_insn tail0[] = { LD_MAP(2, 0), MOV64_IMM(3, 0), CALL(12),
					     MOV64_IMM(0, 7), EXIT() };
static const struct userbpf_insn tail1[] = { LD_MAP(2, 0), MOV64_IMM(3, 1), CALL(12),
					     MOV64_IMM(0, 7), EXIT() };
/* outer[0] -> inner[0]: returns the value and bumps it; 1: no inner map, 2:
 * no element */
static const struct userbpf_insn reader[] = {
	STW(10, -4, 0), LD_MAP(1, 0), MOV64_REG(2, 10), ADD64_IMM(2, -4), CALL(1),
	JEQ_IMM(0, 0, 11), MOV64_REG(1, 0), MOV64_REG(2, 10), ADD64_IMM(2, -4), CALL(1),
	JEQ_IMM(0, 0, 8), LDXW(6, 0, 0), MOV64_REG(7, 6), ADD64_IMM(7, 1), STXW(0, 7, 0),
	MOV64_REG(0, 6), EXIT(), MOV64_IMM(0, 1), EXIT(), MOV64_IMM(0, 2), EXIT(),
};

static void test_prog_array(struct userbpf_rt *a, struct userbpf_rt *b)
{
	struct userbpf_map *pa = userbpf_map__create(a, T_PROG_ARRAY, "jmp", 4, 4, 4, NULL);
	struct userbpf_prog *p2 = load(a, ret42, N(ret42), NULL);
	struct userbpf_prog *p4 = load(a, ret43, N(ret43), NULL);
	struct userbpf_prog *pu = load(a, ret99, N(ret99), NULL);
	struct userbpf_map *pb = NULL;
	struct userbpf_prog *t0 = NULL, *t1 = NULL, *filler[64] = { 0 };
	uint32_t k0 = 0, k1 = 1, id, got = 0;
	uint64_t ref = 0;
	bool same_id = false;
	char reg[160];

	TL_CHECK("prog_array: set up in a", pa && p2 && p4 && pu);
	if (!pa || !p2 || !p4 || !pu)
		goto out;
	TL_EQ_U64("pin the prog_array", userbpf_map__pin(pa, at("jmp")), 0);
	TL_EQ_U64("pin prog2", userbpf_prog__pin(p2, at("p2"), NULL), 0);
	TL_EQ_U64("pin prog4", userbpf_prog__pin(p4, at("p4"), NULL), 0);

	snprintf(reg, sizeof(reg), "%s/.maps/.ids/%llu", dir, (unsigned long long)sid_of(at("p2")));
	TL_CHECK("pinning alone registers nothing", access(reg, F_OK) != 0);
	id = userbpf_prog__id(p2);
	TL_EQ_U64("a: slot 0 = pinned prog2", userbpf_map__update_elem(pa, &k0, &id, 0), 0);
	TL_CHECK("a slot naming it registers it by id", access(reg, F_OK) == 0);
	TL_EQ_U64("a: lookup gives a's id back", userbpf_map__lookup_elem(pa, &k0, &got, 0) == 0 ? got : 0,
		  id);
	TL_EQ_U64("a: lookup_ref gives the store id", userbpf_map__lookup_ref(pa, &k0, &ref) == 0 ? ref : 0,
		  sid_of(at("p2")));
	id = userbpf_prog__id(pu);
	TL_EQ_U64("a: slot 1 = unpinned program", userbpf_map__update_elem(pa, &k1, &id, 0), 0);
	TL_EQ_U64("a: lookup_ref of an unpinned program: EXDEV",
		  (uint64_t)userbpf_map__lookup_ref(pa, &k1, &ref), (uint64_t)-EXDEV);

	/* b knows nothing but the pin */
	pb = userbpf_map__open_pinned(b, at("jmp"));
	TL_CHECK("b: opens the prog_array's pin", pb != NULL);
	if (!pb)
		goto out;
	/* b gets a program with the very id a's private program has */
	for (int i = 0; i < 64 && !same_id; i++) {
		filler[i] = load(b, ret99, N(ret99), NULL);
		if (!filler[i])
			break;
		same_id = userbpf_prog__id(filler[i]) == userbpf_prog__id(pu);
		if (userbpf_prog__id(filler[i]) > userbpf_prog__id(pu))
			break;
	}
	t0 = load(b, tail0, N(tail0), pb);
	t1 = load(b, tail1, N(tail1), pb);
	TL_CHECK("b: tail-calling programs load", t0 && t1);
	if (!t0 || !t1)
		goto out;
	TL_EQ_U64("b: tail call into a's pinned prog2 (interpreter)", run(t0, USERBPF_ENGINE_INTERPRETER), 42);
	TL_EQ_U64("b: again, resolved once (interpreter)", run(t0, USERBPF_ENGINE_INTERPRETER), 42);
	TL_EQ_U64("b: the tail-calling program verifies", userbpf_prog__verify(t0, NULL), 0);
	TL_EQ_U64("b: tail call from a verified run (JIT)", run(t0, USERBPF_ENGINE_DEFAULT), 42);
	TL_CHECK("b: lookup gives b's own id of prog2",
		 userbpf_map__lookup_elem(pb, &k0, &got, 0) == 0 && got != 0);
	TL_EQ_U64("b: lookup_ref gives the store id", userbpf_map__lookup_ref(pb, &k0, &ref) == 0 ? ref : 0,
		  sid_of(at("p2")));
	if (same_id)
		TL_EQ_U64("b: a's private program id means nothing here, even where b has that id",
			  run(t1, USERBPF_ENGINE_INTERPRETER), 7);
	else
		tl_skip("b: a's private id", "could not give b a program with that id");
	TL_EQ_U64("b: lookup of a's private slot: ENOENT",
		  (uint64_t)userbpf_map__lookup_elem(pb, &k1, &got, 0), (uint64_t)-ENOENT);
	TL_EQ_U64("b: lookup_ref of a's private slot: ENOENT",
		  (uint64_t)userbpf_map__lookup_ref(pb, &k1, &ref), (uint64_t)-ENOENT);

	id = userbpf_prog__id(p4);
	TL_EQ_U64("a: slot 0 = prog4", userbpf_map__update_elem(pa, &k0, &id, 0), 0);
	TL_EQ_U64("b: follows the change (43)", run(t0, USERBPF_ENGINE_DEFAULT), 43);
	TL_EQ_U64("a: delete slot 0", userbpf_map__delete_elem(pa, &k0), 0);
	TL_EQ_U64("b: falls through (7)", run(t0, USERBPF_ENGINE_DEFAULT), 7);
	id = userbpf_prog__id(p2);
	TL_EQ_U64("a: slot 0 = prog2 again", userbpf_map__update_elem(pa, &k0, &id, 0), 0);
	TL_EQ_U64("b: prog2 again (42)", run(t0, USERBPF_ENGINE_INTERPRETER), 42);
	/* a's program and its pin go away; the slot still names it */
	userbpf_prog__free(p2);
	p2 = NULL;
	unlink(at("p2"));
	{
		struct userbpf_rt *c = tl_rt_new(0);
		struct userbpf_map *pc = c ? userbpf_map__open_pinned(c, at("jmp")) : NULL;
		struct userbpf_prog *tc = pc ? load(c, tail0, N(tail0), pc) : NULL;

		TL_EQ_U64("c: prog2, unpinned and freed in a, still named by the slot",
			  tc ? run(tc, USERBPF_ENGINE_INTERPRETER) : 0, 42);
		userbpf_prog__free(tc);
		userbpf_map__free(pc);
		userbpf_rt__free(c);
	}
out:
	for (int i = 0; i < 64; i++)
		userbpf_prog__free(filler[i]);
	userbpf_prog__free(t0);
	userbpf_prog__free(t1);
	userbpf_map__free(pb);
	userbpf_prog__free(p2);
	userbpf_prog__free(p4);
	userbpf_prog__free(pu);
	userbpf_map__free(pa);
}

static void test_aom(struct userbpf_rt *a, struct userbpf_rt *b)
{
	struct userbpf_map *tmpl = userbpf_map__create(a, T_ARRAY, "tmpl", 4, 4, 1, NULL);
	struct userbpf_map_create_opts o = { .sz = sizeof(o), .inner_map = tmpl };
	struct userbpf_map *inner = userbpf_map__create(a, T_ARRAY, "inner", 4, 4, 1, NULL);
	struct userbpf_map *outer = userbpf_map__create(a, T_AOM, "outer", 4, 4, 2, &o);
	struct userbpf_map *ob = NULL, *bad = NULL, *mine = NULL;
	struct userbpf_prog *r = NULL;
	uint32_t k0 = 0, k1 = 1, id, v = 99, got = 0;
	uint64_t ref = 0;

	TL_CHECK("array_of_maps: set up in a", tmpl && inner && outer);
	if (!tmpl || !inner || !outer)
		goto out;
	TL_EQ_U64("pin the inner map", userbpf_map__pin(inner, at("inner")), 0);
	TL_EQ_U64("pin the outer map", userbpf_map__pin(outer, at("outer")), 0);
	userbpf_map__update_elem(inner, &k0, &v, 0);
	id = userbpf_map__id(inner);
	TL_EQ_U64("a: outer[0] = pinned inner", userbpf_map__update_elem(outer, &k0, &id, 0), 0);
	TL_EQ_U64("a: lookup gives a's id back",
		  userbpf_map__lookup_elem(outer, &k0, &got, 0) == 0 ? got : 0, id);
	TL_EQ_U64("a: lookup_ref gives the store id",
		  userbpf_map__lookup_ref(outer, &k0, &ref) == 0 ? ref : 0, sid_of(at("inner")));

	ob = userbpf_map__open_pinned(b, at("outer"));
	r = ob ? load(b, reader, N(reader), ob) : NULL;
	TL_CHECK("b: opens the outer pin, loads the reader", ob && r);
	if (!r)
		goto out;
	TL_EQ_U64("b: reads a's inner map through the outer pin (99)", run(r, USERBPF_ENGINE_INTERPRETER), 99);
	TL_EQ_U64("a: sees b's program's write (100)",
		  userbpf_map__lookup_elem(inner, &k0, &got, 0) == 0 ? got : 0, 100);
	v = 5;
	userbpf_map__update_elem(inner, &k0, &v, 0);
	TL_EQ_U64("b: sees a's write (5)", run(r, USERBPF_ENGINE_INTERPRETER), 5);
	/* the template, rebuilt from the outer pin, tells the verifier what
	 * the inner map is */
	TL_EQ_U64("b: the reader verifies", userbpf_prog__verify(r, NULL), 0);
	TL_EQ_U64("b: the reader, verified (JIT or fast) (6)", run(r, USERBPF_ENGINE_DEFAULT), 6);
	v = 5;
	userbpf_map__update_elem(inner, &k0, &v, 0);
	TL_CHECK("b: lookup gives b's own id of the inner map",
		 userbpf_map__lookup_elem(ob, &k0, &got, 0) == 0 && got != 0 &&
			 got != userbpf_map__id(ob));
	TL_EQ_U64("b: lookup_ref gives the store id",
		  userbpf_map__lookup_ref(ob, &k0, &ref) == 0 ? ref : 0, sid_of(at("inner")));

	/* the template, kept in the outer map's shared memory */
	bad = userbpf_map__create(b, T_ARRAY, "bad", 4, 4, 3, NULL);
	mine = userbpf_map__create(b, T_ARRAY, "mine", 4, 4, 1, NULL);
	id = bad ? userbpf_map__id(bad) : 0;
	TL_EQ_U64("b: an inner map that does not match the template: EINVAL",
		  (uint64_t)userbpf_map__update_elem(ob, &k1, &id, 0), (uint64_t)-EINVAL);
	id = mine ? userbpf_map__id(mine) : 0;
	TL_EQ_U64("b: one that matches, unpinned", userbpf_map__update_elem(ob, &k1, &id, 0), 0);
	TL_EQ_U64("a: b's private inner map reads empty",
		  (uint64_t)userbpf_map__lookup_elem(outer, &k1, &got, 0), (uint64_t)-ENOENT);
	TL_EQ_U64("a: delete outer[0]", userbpf_map__delete_elem(outer, &k0), 0);
	TL_EQ_U64("b: the reader finds nothing (1)", run(r, USERBPF_ENGINE_INTERPRETER), 1);
	id = userbpf_map__id(inner);
	TL_EQ_U64("a: outer[0] = inner again", userbpf_map__update_elem(outer, &k0, &id, 0), 0);
out:
	userbpf_prog__free(r);
	userbpf_map__free(bad);
	userbpf_map__free(mine);
	userbpf_map__free(ob);
	userbpf_map__free(outer);
	userbpf_map__free(inner);
	userbpf_map__free(tmpl);
}

static void test_hom(struct userbpf_rt *a, struct userbpf_rt *b)
{
	struct userbpf_map *tmpl = userbpf_map__create(a, T_ARRAY, "tmpl", 4, 4, 1, NULL);
	struct userbpf_map_create_opts o = { .sz = sizeof(o), .inner_map = tmpl };
	struct userbpf_map *hom = userbpf_map__create(a, T_HOM, "hom", 4, 4, 4, &o);
	struct userbpf_map *in = userbpf_map__create(a, T_ARRAY, "hin", 4, 4, 1, NULL);
	struct userbpf_map *hb = NULL, *bad = NULL, *ok = NULL, *seen;
	uint32_t k = 3, k7 = 7, k0 = 0, id, got = 0, v = 77;
	uint64_t ref = 0;

	TL_CHECK("hash_of_maps: made and pinned",
		 tmpl && hom && in && userbpf_map__pin(hom, at("hom")) == 0 &&
			 userbpf_map__pin(in, at("hin")) == 0);
	if (!tmpl || !hom || !in)
		goto out;
	userbpf_map__update_elem(in, &k0, &v, 0);
	id = userbpf_map__id(in);
	TL_EQ_U64("a: hom[7] = pinned inner", userbpf_map__update_elem(hom, &k7, &id, 0), 0);
	hb = userbpf_map__open_pinned(b, at("hom"));
	bad = userbpf_map__create(b, T_ARRAY, "bad", 4, 8, 1, NULL);
	ok = userbpf_map__create(b, T_ARRAY, "ok", 4, 4, 1, NULL);
	if (!hb || !bad || !ok) {
		tl_fail("hash_of_maps: open the pin", "%s", strerror(errno));
		goto out;
	}
	TL_CHECK("b: hom[7] gives b's own id of the inner map",
		 userbpf_map__lookup_elem(hb, &k7, &got, 0) == 0 && got != 0);
	TL_EQ_U64("b: lookup_ref gives the store id",
		  userbpf_map__lookup_ref(hb, &k7, &ref) == 0 ? ref : 0, sid_of(at("hin")));
	seen = hb->ops->lookup(hb, &k7);
	TL_EQ_U64("b: the program side reaches a's inner map (77)",
		  seen && userbpf_map__lookup_elem(seen, &k0, &got, 0) == 0 ? got : 0, 77);
	id = userbpf_map__id(bad);
	TL_EQ_U64("b: the template still refuses", (uint64_t)userbpf_map__update_elem(hb, &k, &id, 0),
		  (uint64_t)-EINVAL);
	id = userbpf_map__id(ok);
	TL_EQ_U64("b: ... and accepts a match (unpinned)", userbpf_map__update_elem(hb, &k, &id, 0), 0);
	TL_EQ_U64("b: read back", userbpf_map__lookup_elem(hb, &k, &got, 0) == 0 ? got : 0, id);
	TL_EQ_U64("a: b's private inner map reads empty",
		  (uint64_t)userbpf_map__lookup_elem(hom, &k, &got, 0), (uint64_t)-ENOENT);
	TL_EQ_U64("b: delete hom[7]", userbpf_map__delete_elem(hb, &k7), 0);
	TL_EQ_U64("a: hom[7] is gone", (uint64_t)userbpf_map__lookup_elem(hom, &k7, &got, 0),
		  (uint64_t)-ENOENT);
	/* many updates through both handles: the table of references recycles
	 * its entries */
	{
		int bad_n = 0;

		for (uint32_t i = 0; i < 500; i++) {
			uint32_t key = i % 4, iid = i % 2 ? userbpf_map__id(in) : userbpf_map__id(ok);
			struct userbpf_map *h = i % 2 ? hom : hb;

			bad_n += userbpf_map__update_elem(h, &key, &iid, 0) != 0;
		}
		TL_EQ_U64("500 updates from both sides, none refused", bad_n, 0);
	}
out:
	userbpf_map__free(ok);
	userbpf_map__free(bad);
	userbpf_map__free(hb);
	userbpf_map__free(in);
	userbpf_map__free(hom);
	userbpf_map__free(tmpl);
}

/* A child process with a runtime of its own: the programs from the pins. */
static void test_fork(void)
{
	int st = 0;
	pid_t pid;

	fflush(stdout);	/* the child must not print the parent's lines again */
	pid = fork();

	if (pid == 0) {
		struct userbpf_rt *c = userbpf_rt__new(NULL);
		struct userbpf_map *pc = c ? userbpf_map__open_pinned(c, at("jmp")) : NULL;
		struct userbpf_map *oc = c ? userbpf_map__open_pinned(c, at("outer")) : NULL;
		struct userbpf_prog *t = pc ? load(c, tail0, N(tail0), pc) : NULL;
		struct userbpf_prog *r = oc ? load(c, reader, N(reader), oc) : NULL;
		uint64_t a = t ? run(t, USERBPF_ENGINE_INTERPRETER) : 0;
		uint64_t b = r ? run(r, USERBPF_ENGINE_INTERPRETER) : 0;

		_exit(a == 42 && b == 5 ? 0 : 1 + (a != 42));
	}
	TL_CHECK("fork", pid > 0);
	if (pid <= 0)
		return;
	waitpid(pid, &st, 0);
	TL_CHECK("a child process tail-calls prog2 and reads the inner map (42, 5)",
		 WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Threads of one runtime meeting the slot at once, while another loads
 * and frees programs (the id table grows under them). */
struct thr {
	struct userbpf_prog *t;
	struct userbpf_rt *rt;
	atomic_int *go;
	int bad;
};

static void *runner(void *arg)
{
	struct thr *a = arg;

	atomic_fetch_add(a->go, 1);
	while (atomic_load(a->go) < 5)
		;
	for (int i = 0; i < 2000; i++)
		a->bad += run(a->t, USERBPF_ENGINE_INTERPRETER) != 42;
	return NULL;
}

static void *loader(void *arg)
{
	struct thr *a = arg;
	struct userbpf_prog *p[300];

	atomic_fetch_add(a->go, 1);
	while (atomic_load(a->go) < 5)
		;
	for (int i = 0; i < 300; i++)
		p[i] = load(a->rt, ret99, N(ret99), NULL);
	for (int i = 0; i < 300; i++) {
		a->bad += !p[i];
		userbpf_prog__free(p[i]);
	}
	return NULL;
}

static void test_threads(void)
{
	struct userbpf_rt *d = userbpf_rt__new(NULL);
	struct userbpf_map *pd = d ? userbpf_map__open_pinned(d, at("jmp")) : NULL;
	struct userbpf_prog *t = pd ? load(d, tail0, N(tail0), pd) : NULL;
	atomic_int go = 0;
	struct thr a[5];
	pthread_t th[5];
	int bad = 0, started = 0;

	TL_CHECK("threads: set up", t != NULL);
	for (int i = 0; t && i < 5; i++) {
		a[i] = (struct thr){ .t = t, .rt = d, .go = &go };
		started += pthread_create(&th[i], NULL, i < 4 ? runner : loader, &a[i]) == 0;
	}
	for (int i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		bad += a[i].bad;
	}
	if (t)
		TL_CHECK("threads: 4 x 2000 tail calls resolved at once, programs loaded meanwhile",
			 started == 5 && bad == 0);
	userbpf_prog__free(t);
	userbpf_map__free(pd);
	userbpf_rt__free(d);
}

/* Every allocation of a resolving runtime failing in turn. */
static void test_alloc_failures(void)
{
	long n, done = 0, through = 0;

	for (n = 1; n < 2000; n++) {
		struct userbpf_rt *c = tl_rt_new(n);
		struct userbpf_map *pc = c ? userbpf_map__open_pinned(c, at("jmp")) : NULL;
		struct userbpf_prog *t = pc ? load(c, tail0, N(tail0), pc) : NULL;
		uint64_t r = t ? run(t, USERBPF_ENGINE_INTERPRETER) : 0;

		if (t && r != 42 && r != 7)
			tl_fail("allocation failures", "at %ld: the run returned %llu", n,
				(unsigned long long)r);
		through += t && r == 7;
		userbpf_prog__free(t);
		userbpf_map__free(pc);
		userbpf_rt__free(c);
		if (t && r == 42 && tl_alloc_count < n) {
			done = n;
			break;
		}
	}
	TL_CHECK("allocation failures: each fails cleanly, then the tail call happens", done > 0);
	printf("# %ld allocations failed in turn, %ld runs fell through\n", done - 1, through);

	/* the same for the outer map and its inner map */
	done = 0;
	for (n = 1; n < 2000; n++) {
		struct userbpf_rt *c = tl_rt_new(n);
		struct userbpf_map *oc = c ? userbpf_map__open_pinned(c, at("outer")) : NULL;
		struct userbpf_prog *r = oc ? load(c, reader, N(reader), oc) : NULL;
		uint64_t v = r ? run(r, USERBPF_ENGINE_INTERPRETER) : 0;

		/* 1: the inner map could not be resolved; 2: the checked
		 * lookup could not record the value as reachable */
		if (r && v != 1 && v != 2 && (v < 5 || v > 5000))
			tl_fail("allocation failures (map-in-map)", "at %ld: the run returned %llu", n,
				(unsigned long long)v);
		userbpf_prog__free(r);
		userbpf_map__free(oc);
		userbpf_rt__free(c);
		if (r && v >= 5 && tl_alloc_count < n) {
			done = n;
			break;
		}
	}
	TL_CHECK("allocation failures (map-in-map): each fails cleanly, then the read happens",
		 done > 0);
}

int main(void)
{
	struct userbpf_rt *a, *b;

	snprintf(dir, sizeof(dir), "/tmp/ub-xproc-XXXXXX");
	if (!mkdtemp(dir)) {
		tl_skip("xproc", "mkdtemp failed");
		return tl_exit();
	}
	setenv("USERBPF_ROOT", dir, 1);
	a = tl_rt_new(0);
	b = tl_rt_new(0);
	TL_CHECK("two runtimes", a && b);
	if (a && b) {
		test_prog_array(a, b);
		test_aom(a, b);
		test_hom(a, b);
		test_fork();
		test_threads();
		test_alloc_failures();
	}
	userbpf_rt__free(b);
	userbpf_rt__free(a);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			tl_fail("cleanup", "%s", cmd);
	}
	return tl_exit();
}
