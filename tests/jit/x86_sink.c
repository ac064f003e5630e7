/* SPDX-License-Identifier: MIT */
/*
 * x86_sink.c - the x86-64 JIT's moves sunk past a conditional jump
 * (jit_x86_64.c, "moves sunk past a conditional jump") and its mask tests
 * (emit_test_fused), against the interpreter.
 *
 * A mask test `a = b; a &= c|imm; [moves]; if a OP 0 goto L` becomes
 * `test b, c` when a is dead after the jump: random runs of that shape,
 * with a read or not after the jump, moves in between that do or do not
 * touch a, every condition, a jump target inside the run or not, are
 * among the random programs too, and a small program checks that the
 * test instruction is there.
 *
 * A move `rX = rY|imm` followed, after up to a few other instructions, by
 * a conditional jump is emitted only on the side of the jump where rX is
 * read: into the fall-through's prefix when the jump goes back (a loop's
 * latch), or into a stub that only the jump lands on when it goes forward.
 * That is only right when rX is dead on the other side, nothing in
 * between touches rX or rY, the jump does not read rX and nothing jumps
 * into the run.  Random programs made of exactly such runs - moves of 64
 * and 32 bits, of registers and constants, fillers that do or do not touch
 * the registers, stack loads and stores, forward jumps over a few units
 * and bounded loops whose latch has moves before it, targets that do or do
 * not read the moved register - must give the interpreter's r0, which
 * folds r0-r9 and the stack, plain and blinded.  Two small programs check
 * that a move in a loop does get sunk (its bytes follow the jump, or sit
 * behind a short jump over them at the target), so the test can fail.
 * (Outside loops nothing is sunk: a move that runs once is not worth a
 * jump.)
 */
#include <string.h>
#include "testlib.h"
#include "tl_rng.h"
#include "exec/jit_internal.h"

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
#define MAXU 160
#define PROGS 1500

#if defined(__x86_64__)
static struct userbpf_rt *rt;

/* A unit: 1-2 slots; a jump names the unit it goes to. */
struct unit {
	struct userbpf_insn in[2];
	int n;
	int target;	/* -1: not a jump */
};

struct prog {
	struct unit u[MAXU + 200];
	int n;
};

static struct unit *add(struct prog *p, unsigned code, unsigned dst, unsigned src, int off,
			int32_t imm)
{
	struct unit *u = &p->u[p->n++];

	memset(u, 0, sizeof(*u));
	u->in[0] = (struct userbpf_insn)INSN(code, dst, src, off, imm);
	u->n = 1;
	u->target = -1;
	return u;
}

static void lddw(struct prog *p, unsigned dst, uint64_t v)
{
	struct unit *u = add(p, 0x18, dst, 0, 0, (int32_t)(uint32_t)v);

	u->in[1] = (struct userbpf_insn)INSN(0, 0, 0, 0, (int32_t)(v >> 32));
	u->n = 2;
}

/* r0-r8 are played with; r9 counts loops down. */
static unsigned reg(struct tl_rng *r)
{
	return tl_rn(r, 9);
}

static int32_t imm(struct tl_rng *r)
{
	static const int32_t v[] = { 0, 1, -1, 7, 0x7fffffff, INT32_MIN, 0x1234 };

	return tl_rn(r, 2) ? v[tl_rn(r, 7)] : (int32_t)tl_rn(r, 64);
}

/* A move: 64 or 32 bits, of a register or a constant. */
static void mov(struct prog *p, struct tl_rng *r, unsigned dst)
{
	static const uint8_t code[4] = { 0xbf, 0xb7, 0xbc, 0xb4 };
	unsigned c = code[tl_rn(r, 4)];

	add(p, c, dst, c & 0x08 ? reg(r) : 0, 0, c & 0x08 ? 0 : imm(r));
}

/* Something that is not a jump: ALU on a register, a stack access. */
static void filler(struct prog *p, struct tl_rng *r)
{
	static const uint8_t alu[] = { 0x07, 0x0f, 0xa7, 0xaf, 0x27, 0x04, 0xac, 0x57 };
	unsigned d = reg(r);

	switch (tl_rn(r, 4)) {
	case 0:
		add(p, 0x79, d, 10, -8 * (int)(1 + tl_rn(r, 8)), 0);		/* ldxdw */
		break;
	case 1:
		add(p, 0x7b, 10, reg(r), -8 * (int)(1 + tl_rn(r, 8)), 0);	/* stxdw */
		break;
	default: {
		unsigned c = alu[tl_rn(r, sizeof(alu))];

		add(p, c, d, c & 0x08 ? reg(r) : 0, 0, c & 0x08 ? 0 : imm(r));
		break;
	}
	}
}

static void jcc(struct prog *p, struct tl_rng *r, int target)
{
	static const uint8_t op[] = { 0x10, 0x20, 0x30, 0x50, 0x60, 0xa0, 0xb0, 0xc0, 0x40 };
	unsigned cls = tl_rn(r, 3) ? 0x05 : 0x06, o = op[tl_rn(r, sizeof(op))];
	struct unit *u = tl_rn(r, 2) ? add(p, cls | o | 0x08, reg(r), reg(r), 0, 0)
				     : add(p, cls | o, reg(r), 0, 0, imm(r));

	u->target = target;
}

/* mov; 0-3 fillers; a forward jump 1-5 units on, whose target may read
 * or write the moved register */
static void fwd_run(struct prog *p, struct tl_rng *r)
{
	unsigned x = reg(r);
	int over = 1 + (int)tl_rn(r, 5), here;

	mov(p, r, x);
	for (unsigned k = tl_rn(r, 4); k; k--)
		filler(p, r);
	here = p->n;
	jcc(p, r, here + 1 + over);
	for (int k = 0; k < over; k++) {
		/* the fall-through often overwrites x first (x dead there) */
		if (k == 0 && tl_rn(r, 2))
			mov(p, r, x);
		else
			filler(p, r);
	}
	/* the target: reads x, or overwrites it */
	if (tl_rn(r, 2))
		add(p, 0xaf, 0, x, 0, 0);	/* r0 ^= x */
	else
		mov(p, r, x);
}

/* a = b; a &= c|imm; [0-2 moves]; if a OP 0 goto +k; ... (a read after
 * or not) */
static void mask_run(struct prog *p, struct tl_rng *r)
{
	static const uint8_t op[] = { 0x10, 0x50, 0x60, 0x70, 0xc0, 0xd0, 0x20, 0x40 };
	unsigned a = reg(r), b = reg(r), c = reg(r);
	int over = 1 + (int)tl_rn(r, 3), here, into = -1;

	if (tl_rn(r, 3) == 0) {
		/* a jump from before the run into it: to the jump, or to a
		 * move in between */
		into = p->n;
		add(p, 0x5d, reg(r), reg(r), 0, 0);
	}
	add(p, 0xbf, a, b, 0, 0);
	if (tl_rn(r, 2))
		add(p, 0x5f, a, c, 0, 0);				/* a &= c */
	else
		add(p, 0x57, a, 0, 0, imm(r));				/* a &= imm */
	for (unsigned k = tl_rn(r, 3); k; k--) {
		if (tl_rn(r, 4))
			mov(p, r, reg(r));
		else
			filler(p, r);
	}
	here = p->n;
	if (into >= 0)
		p->u[into].target = here - (int)tl_rn(r, (unsigned)(here - into - 1));
	add(p, (tl_rn(r, 5) ? 0x05 : 0x06) | op[tl_rn(r, sizeof(op))], a, 0, 0,
	    tl_rn(r, 6) ? 0 : 1)->target = here + 1 + over;
	for (int k = 0; k < over; k++)
		filler(p, r);
	if (tl_rn(r, 2))
		add(p, 0xaf, 0, a, 0, 0);				/* r0 ^= a */
	else
		mov(p, r, a);
}

/* r9 = n; L: units; moves; r9 -= 1; if r9 != 0 goto L; (maybe x = ...) */
static void loop(struct prog *p, struct tl_rng *r)
{
	int head;
	unsigned x = reg(r);

	add(p, 0xb7, 9, 0, 0, (int32_t)(1 + tl_rn(r, 5)));
	head = p->n;
	if (tl_rn(r, 2))
		mov(p, r, x);	/* x dead at the head: written first */
	for (unsigned k = tl_rn(r, 4); k; k--) {
		switch (tl_rn(r, 4)) {
		case 0: filler(p, r); break;
		case 1: mask_run(p, r); break;
		default: fwd_run(p, r); break;
		}
	}
	mov(p, r, x);
	if (tl_rn(r, 2))
		filler(p, r);
	add(p, 0x17, 9, 0, 0, 1);				/* r9 -= 1 */
	add(p, 0x55, 9, 0, 0, 0)->target = head;		/* if r9 != 0 */
	if (tl_rn(r, 2))
		add(p, 0xaf, 0, x, 0, 0);
}

static size_t build(struct prog *p, struct tl_rng *r, struct userbpf_insn *out)
{
	int slot[MAXU + 201], s = 0;
	size_t n = 0;

	p->n = 0;
	for (unsigned k = 0; k <= 9; k++)
		lddw(p, k, tl_rnd(r));
	for (int k = 1; k <= 8; k++)
		add(p, 0x7a, 10, 0, -8 * k, (int32_t)tl_rnd(r));	/* stdw */
	while (p->n < MAXU) {
		switch (tl_rn(r, 5)) {
		case 0: loop(p, r); break;
		case 1: filler(p, r); break;
		case 2: mask_run(p, r); break;
		default: fwd_run(p, r); break;
		}
	}
	/* r0 = a fold of r0-r9 and the stack */
	for (unsigned k = 1; k <= 9; k++) {
		add(p, 0x27, 0, 0, 0, 0x5bd1e995);
		add(p, 0xaf, 0, k, 0, 0);
	}
	for (int k = 1; k <= 8; k++) {
		add(p, 0x79, 1, 10, -8 * k, 0);
		add(p, 0x27, 0, 0, 0, 0x5bd1e995);
		add(p, 0xaf, 0, 1, 0, 0);
	}
	add(p, 0x95, 0, 0, 0, 0);
	for (int k = 0; k < p->n; k++) {
		slot[k] = s;
		s += p->u[k].n;
	}
	slot[p->n] = s;
	for (int k = 0; k < p->n; k++) {
		struct unit *u = &p->u[k];

		if (u->target >= 0) {
			int t = u->target > p->n ? p->n : u->target;

			u->in[0].off = (int16_t)(slot[t] - slot[k] - 1);
		}
		for (int q = 0; q < u->n; q++)
			out[n++] = u->in[q];
	}
	return n;
}

static uint64_t run(struct userbpf_prog *prog, enum userbpf_engine e)
{
	struct userbpf_run_opts o = { .sz = sizeof(o), .engine = e };
	uint64_t ret = 0;
	int err = userbpf_prog__run(prog, &o, &ret);

	return err ? 0xdead0000u + (uint64_t)-err : ret;
}

static void random_progs(bool blind)
{
	static struct prog p;
	static struct userbpf_insn in[2 * (MAXU + 200)];
	struct tl_rng r = { blind ? 0x51b1 : 0x5105 };
	unsigned bad = 0;
	char name[120];

	for (unsigned t = 0; t < PROGS; t++) {
		size_t n = build(&p, &r, in);
		struct userbpf_prog_opts po = { .sz = sizeof(po), .jit_blind = blind };
		struct userbpf_prog *prog = userbpf_prog__load(rt, in, n, &po);
		uint64_t a, b;

		if (!prog) {
			if (bad++ < 3)
				tl_fail("sink: program loads", "program %u refused", t);
			continue;
		}
		userbpf_prog__set_trusted(prog, true);
		a = run(prog, USERBPF_ENGINE_INTERPRETER);
		b = run(prog, USERBPF_ENGINE_JIT);
		if (a != b && bad++ < 3)
			tl_fail("sink: JIT equals interpreter", "program %u%s: 0x%llx vs 0x%llx", t,
				blind ? " (blinded)" : "", (unsigned long long)a, (unsigned long long)b);
		userbpf_prog__free(prog);
	}
	snprintf(name, sizeof(name), "%u random programs with moves before jumps%s: JIT equals interpreter",
		 PROGS, blind ? " (blinded)" : "");
	TL_EQ_U64(name, bad, 0);
}

static bool has(const struct userbpf_prog *p, const uint8_t *pat, size_t n)
{
	const uint8_t *c = p->jit_code;

	for (size_t k = 0; c && k + n <= p->jit_len; k++)
		if (!memcmp(c + k, pat, n))
			return true;
	return false;
}

/* Loads, JITs and runs in[], and checks r0 against the interpreter. */
static struct userbpf_prog *jit(const struct userbpf_insn *in, size_t n, const char *what)
{
	struct userbpf_prog_opts po = { .sz = sizeof(po) };
	struct userbpf_prog *prog = userbpf_prog__load(rt, in, n, &po);
	char name[120];

	if (!prog) {
		tl_fail(what, "load failed");
		return NULL;
	}
	userbpf_prog__set_trusted(prog, true);
	snprintf(name, sizeof(name), "%s: JIT equals interpreter", what);
	TL_EQ_U64(name, run(prog, USERBPF_ENGINE_JIT), run(prog, USERBPF_ENGINE_INTERPRETER));
	return prog;
}

static void shapes(void)
{
	/* a latch with r6 = 0 before it, r6 dead at the loop head: the
	 * mov goes after the jne (into the exit's prefix) */
	static const struct userbpf_insn latch[] = {
		INSN(0xb7, 1, 0, 0, 5),		/* r1 = 5 */
		INSN(0xb7, 0, 0, 0, 0),		/* r0 = 0 */
		INSN(0xb7, 6, 0, 0, 9),		/* L: r6 = 9 */
		INSN(0x0f, 0, 6, 0, 0),		/* r0 += r6 */
		INSN(0xb7, 6, 0, 0, 0x77),	/* r6 = 0x77 */
		INSN(0x17, 1, 0, 0, 1),		/* r1 -= 1 */
		INSN(0x55, 1, 0, -5, 0),	/* if r1 != 0 goto L */
		INSN(0x0f, 0, 6, 0, 0),		/* r0 += r6 */
		INSN(0x95, 0, 0, 0, 0),
	};
	/* in a loop, r6 = r7 before a forward jump whose target reads r6,
	 * the fall-through overwrites it: a stub behind a short jump */
	static const struct userbpf_insn fwd[] = {
		INSN(0xb7, 1, 0, 0, 5),		/* r1 = 5 */
		INSN(0xb7, 0, 0, 0, 0),		/* r0 = 0 */
		INSN(0xb7, 7, 0, 0, 0x55),	/* r7 = 0x55 */
		INSN(0xb7, 6, 0, 0, 1),		/* L: r6 = 1 */
		INSN(0xbf, 6, 7, 0, 0),		/* r6 = r7 */
		INSN(0x25, 1, 0, 2, 3),		/* if r1 > 3 goto T */
		INSN(0xb7, 6, 0, 0, 2),		/* r6 = 2 */
		INSN(0x07, 6, 0, 0, 1),		/* r6 += 1 */
		INSN(0x0f, 0, 6, 0, 0),		/* T: r0 += r6 */
		INSN(0x17, 1, 0, 0, 1),		/* r1 -= 1 */
		INSN(0x55, 1, 0, -8, 0),	/* if r1 != 0 goto L */
		INSN(0x95, 0, 0, 0, 0),
	};
	/* jne rel8, then mov esi, 0x77 (r6 is rbx: bb 77 00 00 00) */
	static const uint8_t pat_latch[] = { 0xbb, 0x77, 0x00, 0x00, 0x00 };
	/* jmp +3, mov rbx, r13 (4c 89 eb) */
	static const uint8_t pat_fwd[] = { 0xeb, 0x03, 0x4c, 0x89, 0xeb };
	/* r2 = r1; r2 &= r3; r4 = r5; if r2 == 0 goto +1; r0 = 1 */
	static const struct userbpf_insn mask[] = {
		INSN(0xb7, 0, 0, 0, 0),
		INSN(0xb7, 3, 0, 0, 0x10),
		INSN(0xb7, 5, 0, 0, 7),
		INSN(0xbf, 2, 1, 0, 0),
		INSN(0x5f, 2, 3, 0, 0),
		INSN(0xbf, 4, 5, 0, 0),
		INSN(0x15, 2, 0, 1, 0),
		INSN(0xb7, 0, 0, 0, 1),
		INSN(0x0f, 0, 4, 0, 0),
		INSN(0x95, 0, 0, 0, 0),
	};
	/* test rdi, rdx (48 85 d7) */
	static const uint8_t pat_mask[] = { 0x48, 0x85, 0xd7 };
	struct userbpf_prog *p = jit(mask, sizeof(mask) / sizeof(mask[0]), "mask test");

	if (p) {
		TL_CHECK("mask test: one test instruction", has(p, pat_mask, sizeof(pat_mask)));
		userbpf_prog__free(p);
	}
	p = jit(latch, sizeof(latch) / sizeof(latch[0]), "move before a latch");

	if (p) {
		const uint8_t *c = p->jit_code;
		bool after = false;

		/* the mov must follow the backward jump directly */
		for (size_t k = 2; c && k + sizeof(pat_latch) <= p->jit_len; k++)
			if (c[k - 2] == 0x75 && (int8_t)c[k - 1] < 0 &&
			    !memcmp(c + k, pat_latch, sizeof(pat_latch)))
				after = true;
		TL_CHECK("move before a latch: emitted after the jump", after);
		userbpf_prog__free(p);
	}
	p = jit(fwd, sizeof(fwd) / sizeof(fwd[0]), "move before a forward jump");
	if (p) {
		TL_CHECK("move before a forward jump: emitted in a stub at the target",
			 has(p, pat_fwd, sizeof(pat_fwd)));
		userbpf_prog__free(p);
	}
}

int main(void)
{
	rt = userbpf_rt__new(NULL);
	if (!rt) {
		tl_fail("runtime", "no memory");
		return tl_exit();
	}
	shapes();
	random_progs(false);
	random_progs(true);
	userbpf_rt__free(rt);
	return tl_exit();
}
#else
int main(void)
{
	tl_skip("x86 sunk moves", "not an x86-64 host");
	return tl_exit();
}
#endif
