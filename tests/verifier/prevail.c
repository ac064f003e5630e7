/* SPDX-License-Identifier: MIT */
/*
 * prevail.c - runs PREVAIL's YAML verifier tests (the .yaml files of
 * $UB_SHARED/verifier-tests/prevail-yaml/, format in ../SOURCE.md there) through our verifier
 * and reports how often our verdict agrees with the expected one.
 *
 * PREVAIL tests code fragments from a stated abstract entry state, not
 * whole programs, so each case is translated:
 *   - `code` blocks are laid out in document order, each preceded by its
 *     label, and assembled by ub_asm_llvm().  PREVAIL checks a fragment
 *     without requiring it to end in `exit` (falling off the end is the
 *     exit, with no check of r0); we add `r0 = 0; exit` where the main
 *     program's blocks end without an exit or goto, so the added code can
 *     neither fail nor hide a failure.  Subprograms that fall off the end
 *     get the same tail.
 *   - `assume COND` (PREVAIL's pseudo-instruction: the path goes on only
 *     where COND holds) becomes `if !COND goto <tail>`, the path where it
 *     fails ending at that safe exit.  One instruction for one, so pcs
 *     stay put.  Not translatable inside a subprogram (the tail is main's).
 *   - `if a &!= b goto L` (PREVAIL's negated jset, not an eBPF
 *     instruction) becomes `if a & b goto +1; goto L`.
 *   - `pre` becomes struct ub_vfy_opts: registers (number -> scalar, ctx,
 *     stack at stack_offset - 512, packet, packet end (packet_offset =
 *     packet_size), shared -> memory of shared_region_size bytes, map_fd ->
 *     map pointer), value intervals, numeric stack bytes, packet_size.
 *     What has no counterpart (relations between variables, disjunctive
 *     types, pointers spilled to the stack, bottom) makes the case "not
 *     translatable", listed with its reason.  Known values of stack bytes
 *     are dropped (we can only say "a number"): such cases run, marked.
 *   - options: `!allow_division_by_zero` -> div_by_zero_is_error;
 *     `termination` needs nothing (we always require it).
 * Expected verdict: accept when `messages` is empty or only warns of
 * unreachable code, else reject.  Cases whose meaning is PREVAIL's own
 * (big-endian, callx, observation checks, malformed-test fixtures, rules
 * Linux does not have) are printed as skip lines with the reason.
 *
 * The verifier is being written: by default a disagreement is a `#`
 * comment line and the program passes if the harness itself worked
 * (the data parsed, every fragment assembled).  UB_PREVAIL_STRICT=1 makes
 * each disagreement a `not ok`; UB_PREVAIL_ONLY=text runs only the cases
 * whose name contains text.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "testlib.h"
#include "yaml.h"
#include "verifier/verifier.h"
#include "verifier/protos.h"

#define STACK 512
#define MAX_REASONS 64

struct tally {
	const char *file;
	int cases, agree, disagree, untrans, specific;
};

/* Reasons a case is not translatable, counted for the summary. */
static struct { char text[96]; int n; } reasons[MAX_REASONS];
static int nreasons;

static void count_reason(const char *r)
{
	for (int i = 0; i < nreasons; i++)
		if (!strcmp(reasons[i].text, r)) {
			reasons[i].n++;
			return;
		}
	if (nreasons < MAX_REASONS) {
		snprintf(reasons[nreasons].text, sizeof(reasons[nreasons].text), "%s", r);
		reasons[nreasons++].n = 1;
	}
}

/* ---- reading PREVAIL's constraint language ---- */

/* A constant or interval, in its signed view (s_ok) and unsigned view
 * (u_ok): PREVAIL writes uvalues up to 2^64-1 and svalues below 0. */
struct ival {
	bool has, s_ok, u_ok;
	int64_t lo, hi;
	uint64_t ulo, uhi;
};

struct preg {
	char type[24];
	struct ival sv, uv, off, size, numsize;
	bool u_is_s, off_is_psize, mentioned;
};

struct pre {
	struct preg r[11];
	int32_t stack_init[64][2];
	size_t nstack;
	struct ival psize;
	bool approx;
	char why[96];		/* non-empty: not translatable */
};

static bool parse_int(const char **s, int64_t *v, uint64_t *u, bool *s_ok, bool *u_ok)
{
	char *end;

	while (**s == ' ')
		(*s)++;
	errno = 0;
	if (**s == '-') {
		long long x = strtoll(*s, &end, 0);

		if (end == *s || errno)
			return false;
		*v = x;
		*s_ok = true;
		*u_ok = false;
	} else {
		unsigned long long x = strtoull(*s, &end, 0);

		if (end == *s || errno)
			return false;
		*u = x;
		*u_ok = true;
		*s_ok = x <= (unsigned long long)INT64_MAX;
		*v = (int64_t)(*s_ok ? x : 0);
	}
	if (*u_ok)
		*u = (uint64_t)*u;
	if (*s_ok && *v >= 0) {
		*u = (uint64_t)*v;
		*u_ok = true;
	}
	*s = end;
	return true;
}

/* "N" or "[a, b]", filling the whole string. */
static bool parse_ival(const char *s, struct ival *iv)
{
	int64_t a = 0, b = 0;
	uint64_t ua = 0, ub = 0;
	bool sa, sb, uaok, ubok;

	if (*s == '[') {
		s++;
		if (!parse_int(&s, &a, &ua, &sa, &uaok))
			return false;
		while (*s == ' ')
			s++;
		if (*s++ != ',' || !parse_int(&s, &b, &ub, &sb, &ubok))
			return false;
		while (*s == ' ')
			s++;
		if (*s++ != ']' || *s)
			return false;
	} else {
		if (!parse_int(&s, &a, &ua, &sa, &uaok) || *s)
			return false;
		b = a;
		ub = ua;
		sb = sa;
		ubok = uaok;
	}
	iv->s_ok = sa && sb && a <= b;
	iv->u_ok = uaok && ubok && ua <= ub;
	if (!iv->s_ok && !iv->u_ok)
		return false;
	iv->has = true;
	iv->lo = a;
	iv->hi = b;
	iv->ulo = ua;
	iv->uhi = ub;
	return true;
}

static void untrans(struct pre *p, const char *why)
{
	if (!p->why[0])
		snprintf(p->why, sizeof(p->why), "%s", why);
}

/* One constraint of `pre`. */
static void pre_one(struct pre *p, const char *c)
{
	char lhs[48], rhs[64];
	const char *eq = strchr(c, '=');
	size_t ln;

	if (!strcmp(c, "_|_")) {
		untrans(p, "pre-state is bottom (_|_)");
		return;
	}
	if (strstr(c, " in {")) {
		untrans(p, "register type is a disjunction (rN.type in {...})");
		return;
	}
	if (!eq || strstr(c, "<=") || strstr(c, ">=")) {
		untrans(p, "relational constraint between variables");
		return;
	}
	ln = (size_t)(eq - c);
	if (ln >= sizeof(lhs) || strlen(eq + 1) >= sizeof(rhs)) {
		untrans(p, "constraint too long");
		return;
	}
	memcpy(lhs, c, ln);
	lhs[ln] = '\0';
	snprintf(rhs, sizeof(rhs), "%s", eq + 1);
	if (!strncmp(lhs, "pc[", 3)) {
		untrans(p, "loop counter pc[N] in the pre-state");
		return;
	}
	if (!strcmp(lhs, "packet_size")) {
		if (!parse_ival(rhs, &p->psize) || !p->psize.s_ok)
			untrans(p, "packet_size is not a constant or interval");
		return;
	}
	if (!strcmp(lhs, "meta_offset")) {
		struct ival m = { 0 };

		if (!parse_ival(rhs, &m) || m.lo != 0 || m.hi != 0)
			untrans(p, "packet metadata (meta_offset other than 0)");
		return;
	}
	if (lhs[0] == 's' && lhs[1] == '[') {
		int64_t a, b;
		uint64_t ua;
		bool sok, uok;
		const char *s = lhs + 2;

		if (!parse_int(&s, &a, &ua, &sok, &uok) || !sok)
			goto bad;
		b = a;
		if (!strncmp(s, "...", 3)) {
			s += 3;
			if (!parse_int(&s, &b, &ua, &sok, &uok) || !sok)
				goto bad;
		}
		if (strncmp(s, "].", 2) || a > b)
			goto bad;
		if (a < 0 || b >= STACK) {
			untrans(p, "stack cell outside the 512-byte frame (a caller's frame)");
			return;
		}
		s += 2;
		if (!strcmp(s, "type")) {
			if (strcmp(rhs, "number")) {
				untrans(p, "pointer spilled to the stack in the pre-state");
				return;
			}
			if (p->nstack < sizeof(p->stack_init) / sizeof(p->stack_init[0])) {
				p->stack_init[p->nstack][0] = (int32_t)(a - STACK);
				p->stack_init[p->nstack++][1] = (int32_t)(b + 1 - STACK);
			}
			return;
		}
		if (!strcmp(s, "svalue") || !strcmp(s, "uvalue")) {
			p->approx = true;	/* we can only say "some number" */
			return;
		}
		goto bad;
	}
	if (lhs[0] == 'r') {
		char *dot;
		long rn = strtol(lhs + 1, &dot, 10);
		struct preg *r;
		const char *f;

		if (dot == lhs + 1 || *dot != '.' || rn < 0 || rn > 10)
			goto bad;
		r = &p->r[rn];
		r->mentioned = true;
		f = dot + 1;
		if (!strcmp(f, "type")) {
			if (rhs[0] == 'r') {
				if (strncmp(rhs, lhs, strlen(lhs)))
					untrans(p, "relational constraint between variables");
				return;
			}
			snprintf(r->type, sizeof(r->type), "%.23s", rhs);
			return;
		}
		if (rhs[0] == 'r' || rhs[0] == 's' || rhs[0] == 'p' || rhs[0] == 'm') {
			/* a variable on the right: only a few self-relations and
			 * the packet end have a meaning for us */
			char self[48];

			snprintf(self, sizeof(self), "r%ld.svalue", rn);
			if (!strcmp(f, "uvalue") && !strcmp(rhs, self)) {
				r->u_is_s = true;
				return;
			}
			if (!strcmp(f, rhs + (size_t)(dot - lhs) + 1) && !strncmp(rhs, lhs, (size_t)(dot - lhs) + 1))
				return;	/* rN.x=rN.x */
			if (!strcmp(f, "packet_offset") && !strcmp(rhs, "packet_size")) {
				r->off_is_psize = true;
				return;
			}
			untrans(p, "relational constraint between variables");
			return;
		}
		{
			struct ival iv = { 0 };

			if (!parse_ival(rhs, &iv))
				goto bad;
			if (strcmp(f, "uvalue") && !iv.s_ok) {
				untrans(p, "signed value past 2^63");
				return;
			}
			if (!strcmp(f, "uvalue") && !iv.u_ok) {
				untrans(p, "negative uvalue");
				return;
			}
			if (!strcmp(f, "svalue"))
				r->sv = iv;
			else if (!strcmp(f, "uvalue"))
				r->uv = iv;
			else if (!strcmp(f, "stack_offset") || !strcmp(f, "ctx_offset") ||
				 !strcmp(f, "packet_offset") || !strcmp(f, "shared_offset"))
				r->off = iv;
			else if (!strcmp(f, "shared_region_size"))
				r->size = iv;
			else if (!strcmp(f, "stack_numeric_size"))
				r->numsize = iv;
			else if (!strcmp(f, "map_fd") || !strcmp(f, "map_fd_programs"))
				; /* the map's identity: our entry state has no maps */
			else
				goto bad;
			return;
		}
	}
bad:
	{
		char why[96];

		snprintf(why, sizeof(why), "unknown constraint form '%.60s'", c);
		untrans(p, why);
	}
}

/* Builds entry registers from the parsed pre-state; false when not
 * translatable (p->why). */
static bool pre_build(struct pre *p, struct ub_vfy_entry_reg *ent, size_t *nent, struct ub_vfy_opts *o)
{
	*nent = 0;
	for (int i = 0; i <= 10 && !p->why[0]; i++) {
		struct preg *r = &p->r[i];
		struct ub_vfy_entry_reg *e;

		if (!r->mentioned)
			continue;
		if (!r->type[0]) {
			untrans(p, "register constrained without a type");
			break;
		}
		if (i == 10) {
			if (strcmp(r->type, "stack") || !r->off.has || r->off.lo != STACK || r->off.hi != STACK)
				untrans(p, "r10 other than the frame pointer at 512");
			continue;
		}
		e = &ent[(*nent)++];
		memset(e, 0, sizeof(*e));
		e->reg = (uint8_t)i;
		if (!strcmp(r->type, "number")) {
			e->type = UB_T_SCALAR;
			if (r->u_is_s) {
				/* the same 64 bits read signed and unsigned: both
				 * are the part of the given range in [0, 2^63) */
				int64_t lo = 0, hi = INT64_MAX;

				if (r->sv.has) {
					lo = r->sv.lo > 0 ? r->sv.lo : 0;
					hi = r->sv.hi;
				} else if (r->uv.has) {
					lo = r->uv.ulo > (uint64_t)INT64_MAX ? 1 : (int64_t)r->uv.ulo;
					hi = r->uv.uhi > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)r->uv.uhi;
				}
				if (hi < lo) {
					untrans(p, "empty value range");
					break;
				}
				r->sv = (struct ival){ .has = true, .s_ok = true, .u_ok = true, .lo = lo,
						       .hi = hi, .ulo = (uint64_t)lo, .uhi = (uint64_t)hi };
				r->uv = r->sv;
			}
			if (r->sv.has) {
				e->has_srange = true;
				e->smin = r->sv.lo;
				e->smax = r->sv.hi;
			}
			if (r->uv.has) {
				e->has_urange = true;
				e->umin = r->uv.ulo;
				e->umax = r->uv.uhi;
			}
			continue;
		}
		/* pointers: svalue/uvalue are the address, off the region
		 * offset; an interval offset becomes a variable part */
		if (!strcmp(r->type, "packet") && r->off_is_psize) {
			e->type = UB_T_PACKET_END;
			if (r->off.has && (!p->psize.has || r->off.lo > p->psize.lo))
				p->psize = r->off;
			continue;
		}
		if (!strcmp(r->type, "map_fd") || !strcmp(r->type, "map_fd_programs")) {
			e->type = UB_T_MAP_PTR;
			continue;
		}
		if (!r->off.has) {
			untrans(p, "pointer without an offset");
			break;
		}
		if (!strcmp(r->type, "ctx")) {
			e->type = UB_T_CTX;
			e->off = (int32_t)r->off.lo;
		} else if (!strcmp(r->type, "stack")) {
			e->type = UB_T_STACK;
			e->off = (int32_t)(r->off.lo - STACK);
			if (r->off.lo < 0 || r->off.hi > STACK) {
				untrans(p, "stack_offset outside the frame");
				break;
			}
			if (r->numsize.has) {
				if (r->numsize.lo != r->numsize.hi || r->off.lo != r->off.hi) {
					untrans(p, "stack_numeric_size or stack_offset is an interval");
					break;
				}
				if (p->nstack < sizeof(p->stack_init) / sizeof(p->stack_init[0]) && r->numsize.lo > 0) {
					p->stack_init[p->nstack][0] = e->off;
					p->stack_init[p->nstack++][1] =
						e->off + (int32_t)(r->numsize.lo < STACK ? r->numsize.lo : STACK);
				}
			}
		} else if (!strcmp(r->type, "packet")) {
			e->type = UB_T_PACKET;
			e->off = (int32_t)r->off.lo;
		} else if (!strcmp(r->type, "shared")) {
			if (!r->size.has || r->size.lo != r->size.hi || r->size.lo < 0 || r->size.lo > INT32_MAX) {
				untrans(p, "shared region without a constant size");
				break;
			}
			e->type = r->sv.has && r->sv.lo <= 0 ? UB_T_MEM_OR_NULL : UB_T_MEM;
			e->off = (int32_t)r->off.lo;
			e->mem_size = (uint32_t)r->size.lo;
		} else {
			char why[96];

			snprintf(why, sizeof(why), "register type '%s'", r->type);
			untrans(p, why);
			break;
		}
		if (r->off.lo < INT32_MIN / 2 || r->off.hi > INT32_MAX / 2) {
			untrans(p, "pointer offset out of range");
			break;
		}
		if (r->off.hi != r->off.lo) {
			e->has_srange = e->has_urange = true;
			e->smin = 0;
			e->smax = r->off.hi - r->off.lo;
			e->umin = 0;
			e->umax = (uint64_t)e->smax;
		}
	}
	if (p->why[0])
		return false;
	o->entry = ent;
	o->nentry = *nent;
	o->stack_init = (const int32_t (*)[2])p->stack_init;
	o->nstack_init = p->nstack;
	if (p->psize.has)
		o->packet_size_min = p->psize.lo > 0 ? (uint32_t)(p->psize.lo > 0xffff ? 0xffff : p->psize.lo) : 0;
	return true;
}

/* ---- building the program text ---- */

struct sbuf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *q = realloc(b->p, cap);

		if (!q) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* The negation of a comparison, for `assume`. */
static const char *negate(const char *op)
{
	static const char *const pairs[][2] = {
		{ "<", ">=" }, { "<=", ">" }, { ">", "<=" }, { ">=", "<" },
		{ "==", "!=" }, { "!=", "==" }, { "s<", "s>=" }, { "s<=", "s>" },
		{ "s>", "s<=" }, { "s>=", "s<" },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (!strcmp(op, pairs[i][0]))
			return pairs[i][1];
	return NULL;
}

/* Is the last instruction line of a block text an exit or goto? */
static bool ends_block(const char *text, bool *any)
{
	const char *p = text, *last = NULL;
	size_t lastn = 0;

	while (*p) {
		const char *e = strchr(p, '\n'), *s = p, *c;
		size_t n;

		if (!e)
			e = p + strlen(p);
		c = memchr(s, ';', (size_t)(e - s));
		n = (size_t)((c ? c : e) - s);
		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
			n--;
		if (n) {
			last = s;
			lastn = n;
		}
		p = *e ? e + 1 : e;
	}
	if (last)
		*any = true;
	return last && ((lastn == 4 && !memcmp(last, "exit", 4)) || !strncmp(last, "goto ", 5) ||
			!strncmp(last, "gotol ", 6));
}

/* Rewrites one block into b; false with why when it cannot. */
static bool put_block(struct sbuf *b, const char *text, bool in_sub, bool *used_tail, char *why,
		      size_t why_sz)
{
	const char *p = text;

	while (*p) {
		const char *e = strchr(p, '\n');
		char line[256], a[32], op[8], c2[48];
		size_t n;
		char *semi;

		if (!e)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n >= sizeof(line)) {
			snprintf(why, why_sz, "code line too long");
			return false;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = *e ? e + 1 : e;
		semi = strchr(line, ';');
		if (semi)
			*semi = '\0';
		if (sscanf(line, " assume %31s %7s %47s", a, op, c2) == 3) {
			const char *neg = negate(op);

			if (!neg) {
				snprintf(why, why_sz, "assume with operator '%s'", op);
				return false;
			}
			if (in_sub) {
				snprintf(why, why_sz, "assume inside a subprogram");
				return false;
			}
			snprintf(line, sizeof(line), "if %s %s %s goto <__ub_tail>", a, neg, c2);
			*used_tail = true;
		} else if (strstr(line, "&!=")) {
			char lab[64];

			if (sscanf(line, " if %31s &!= %47s goto %63s", a, c2, lab) != 3) {
				snprintf(why, why_sz, "unreadable negated jset");
				return false;
			}
			sb_str(b, "if ");
			sb_str(b, a);
			sb_str(b, " & ");
			sb_str(b, c2);
			sb_str(b, " goto +1\n");
			snprintf(line, sizeof(line), "goto %s", lab);
		}
		sb_str(b, line);
		sb_str(b, "\n");
	}
	return true;
}

/* ---- one case ---- */

enum verdict { V_AGREE, V_DISAGREE, V_UNTRANS, V_SPECIFIC };

static struct userbpf_rt *rt;
static bool strict;
static uint64_t budget = 1000000;
static int asm_failures;
static int run_expect_reject;	/* of the cases run: a refuse-all verifier's score */

static const struct ub_ctx_field ctx_fields[] = {
	{ 0, 4, UB_CTX_READ | UB_CTX_DATA },
	{ 4, 4, UB_CTX_READ | UB_CTX_DATA_END },
	{ 8, 56, UB_CTX_READ | UB_CTX_WRITE },
};

/* PREVAIL-only semantics, found by an expected message. */
static const struct { const char *msg, *why; } specific_msgs[] = {
	{ "observation", "observation check (observe:) of PREVAIL's harness" },
	{ "Illegal map update with a non-numerical value",
	  "PREVAIL refuses pointers in helper-written map values; Linux checks only that the bytes are initialised" },
	{ "Only numbers can be stored to externally-visible regions",
	  "PREVAIL refuses any pointer store into shared memory; Linux allows it for privileged programs" },
	{ "Invalid socket access", "socket pointers of PREVAIL's helper prototypes" },
};

static const char *is_specific(const struct y_doc *d, const struct y_val *msgs, const char *code)
{
	const struct y_val *opt = y_get(d, "options");

	if (y_get(d, "expected-exception"))
		return "malformed-test fixture: PREVAIL's harness must refuse the test itself";
	for (size_t i = 0; opt && opt->kind == Y_LIST && i < opt->n; i++)
		if (!strcmp(opt->items[i], "big_endian"))
			return "big-endian byte order (option big_endian)";
	if (strstr(code, "callx"))
		return "callx with a helper id in a register is PREVAIL's; Linux refuses BPF_CALLX";
	for (size_t i = 0; msgs && msgs->kind == Y_LIST && i < msgs->n; i++)
		for (size_t k = 0; k < sizeof(specific_msgs) / sizeof(specific_msgs[0]); k++)
			if (strstr(msgs->items[i], specific_msgs[k].msg))
				return specific_msgs[k].why;
	return NULL;
}

static enum verdict run_case(const char *file, const struct y_doc *d, int idx)
{
	const struct y_val *tc = y_get(d, "test-case"), *msgs = y_get(d, "messages");
	const struct y_val *pre = y_get(d, "pre"), *code = y_get(d, "code"), *opt = y_get(d, "options");
	char name[200], why[192], err[192];
	bool expect_accept = true, used_tail = false, any = false;
	struct pre *ps = NULL;
	struct ub_vfy_entry_reg ent[11];
	size_t nent = 0, cnt = 0, bad = 0;
	struct ub_vfy_opts o;
	struct ub_vfy_result res;
	struct sbuf b = { 0 }, all = { 0 };
	struct userbpf_insn *insns = NULL;
	struct ub_dinsn *di = NULL;
	enum verdict v = V_UNTRANS;
	const char *spec;
	bool got_accept;
	char got_reason[300];

	snprintf(name, sizeof(name), "prevail %s: %s", file,
		 tc && tc->kind == Y_STR ? tc->str : "(unnamed)");
	(void)idx;
	why[0] = '\0';
	if (d->err[0]) {
		snprintf(why, sizeof(why), "yaml: %s", d->err);
		goto untranslatable;
	}
	for (size_t i = 0; msgs && msgs->kind == Y_LIST && i < msgs->n; i++)
		if (!strstr(msgs->items[i], "Code becomes unreachable"))
			expect_accept = false;
	if (!code || code->kind != Y_MAP || !code->n) {
		snprintf(why, sizeof(why), "no code map");
		goto untranslatable;
	}
	for (size_t i = 0; i < code->n; i++)
		sb_str(&all, code->items[i]);
	spec = is_specific(d, msgs, all.p ? all.p : "");
	if (spec) {
		char line[400];

		snprintf(line, sizeof(line), "PREVAIL-specific: %s (expected %s)", spec,
			 expect_accept ? "accept" : "reject");
		tl_skip(name, line);
		v = V_SPECIFIC;
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.ctx_fields = ctx_fields;
	o.nctx_fields = sizeof(ctx_fields) / sizeof(ctx_fields[0]);
	o.ctx_size = 64;
	o.max_insns = budget;
	o.uninit_stack_is_error = true; /* PREVAIL refuses unwritten stack reads */
	for (size_t i = 0; opt && opt->kind == Y_LIST && i < opt->n; i++) {
		const char *x = opt->items[i];

		if (!strcmp(x, "!allow_division_by_zero"))
			o.div_by_zero_is_error = true;
		else if (strcmp(x, "termination") && strcmp(x, "simplify") && strcmp(x, "!big_endian") &&
			 strcmp(x, "allow_division_by_zero")) {
			snprintf(why, sizeof(why), "option '%.60s'", x);
			goto untranslatable;
		}
	}
	ps = calloc(1, sizeof(*ps));
	if (!ps) {
		snprintf(why, sizeof(why), "out of memory");
		goto untranslatable;
	}
	if (pre && pre->kind == Y_LIST)
		for (size_t i = 0; i < pre->n; i++)
			pre_one(ps, pre->items[i]);
	else if (pre && pre->kind != Y_NONE)
		untrans(ps, "pre is not a list");
	if (!pre_build(ps, ent, &nent, &o)) {
		snprintf(why, sizeof(why), "%s", ps->why);
		goto untranslatable;
	}

	/* the program: main blocks, a tail, then subprogram blocks */
	{
		bool in_sub = false, tail_done = false, main_ends = false, last_ends = false;

		for (size_t i = 0; i < code->n; i++) {
			char callee[80];

			snprintf(callee, sizeof(callee), "call %s", code->keys[i]);
			if (!in_sub && i > 0 && strstr(all.p, callee)) {
				in_sub = true;
				main_ends = any ? main_ends : false;
			}
			if (in_sub && !tail_done) {
				tail_done = true;
				if (used_tail || !main_ends)
					sb_str(&b, "<__ub_tail>:\nr0 = 0\nexit\n");
			}
			sb_str(&b, code->keys[i]);
			sb_str(&b, ":\n");
			if (!put_block(&b, code->items[i], in_sub, &used_tail, why, sizeof(why)))
				goto untranslatable;
			{
				bool blk_any = false, e = ends_block(code->items[i], &blk_any);

				if (blk_any) {
					any = true;
					if (!in_sub)
						main_ends = e;
					last_ends = e;
				}
			}
		}
		if (!tail_done) {
			if (used_tail || !main_ends)
				sb_str(&b, "<__ub_tail>:\nr0 = 0\nexit\n");
		} else if (!last_ends) {
			sb_str(&b, "r0 = 0\nexit\n");
		}
	}
	if (b.oom) {
		snprintf(why, sizeof(why), "out of memory");
		goto untranslatable;
	}
	if (ub_asm_llvm(b.p, &insns, &cnt, err, sizeof(err))) {
		snprintf(why, sizeof(why), "asm: %.180s", err);
		asm_failures++;
		goto untranslatable;
	}
	di = calloc(cnt, sizeof(*di));
	if (!di) {
		snprintf(why, sizeof(why), "out of memory");
		goto untranslatable;
	}
	if (ub_decode_prog(insns, cnt, di, &bad, err, sizeof(err))) {
		got_accept = false;
		snprintf(got_reason, sizeof(got_reason), "decode: insn %zu: %.180s", bad, err);
	} else {
		int rc = ub_verify(rt, di, insns, cnt, &o, &res);

		if (rc) {
			got_accept = false;
			snprintf(got_reason, sizeof(got_reason), "ub_verify failed to run (%d)", rc);
		} else {
			got_accept = res.accepted;
			snprintf(got_reason, sizeof(got_reason), "insn %zu: %.250s", res.insn, res.reason);
		}
		ub_vfy_result_free(rt, &res);
	}
	if (!expect_accept)
		run_expect_reject++;
	if (got_accept == expect_accept) {
		tl_ok(name);
		v = V_AGREE;
	} else {
		char first[160] = "";

		if (msgs && msgs->kind == Y_LIST) {
			for (size_t i = 0; i < msgs->n; i++)
				if (!strstr(msgs->items[i], "Code becomes unreachable")) {
					snprintf(first, sizeof(first), "; PREVAIL: %s", msgs->items[i]);
					break;
				}
		}
		if (strict)
			tl_fail(name, "expected %s, got %s%s%s%s", expect_accept ? "accept" : "reject",
				got_accept ? "accept" : "reject: ", got_accept ? "" : got_reason, first,
				ps->approx ? " (pre approximated: stack values dropped)" : "");
		else
			printf("# disagree %s: expected %s, got %s%s%s%s\n", name,
			       expect_accept ? "accept" : "reject", got_accept ? "accept" : "reject: ",
			       got_accept ? "" : got_reason, first,
			       ps->approx ? " (pre approximated: stack values dropped)" : "");
		v = V_DISAGREE;
	}
	goto out;
untranslatable:
	{
		char line[300], bucket[96];

		snprintf(line, sizeof(line), "not translatable: %s", why);
		tl_skip(name, line);
		/* bucket by the reason's text before any quote or colon detail */
		snprintf(bucket, sizeof(bucket), "%s", why);
		if (!strncmp(bucket, "asm:", 4))
			bucket[3] = '\0';
		else if (strstr(bucket, " '"))
			*strstr(bucket, " '") = '\0';
		count_reason(bucket);
		v = V_UNTRANS;
	}
out:
	free(ps);
	free(b.p);
	free(all.p);
	free(insns);
	free(di);
	return v;
}

/* ---- files ---- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1L << 26) &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

/* The YAML reader must survive any input: mutations of a real file are
 * parsed and freed (ASan and UBSan watch).  Returns documents seen. */
static size_t yaml_mutations(const char *text, size_t len)
{
	static const char alphabet[] = "-:[]\"' |#\n,{}<>ab";
	uint64_t x = 0x2545f4914f6cdd1dull;
	size_t seen = 0;
	char *buf = malloc(len + 1);

	if (!buf || !len) {
		free(buf);
		return 0;
	}
	for (int iter = 0; iter < 300; iter++) {
		struct y_doc *docs = NULL;
		size_t nd = 0, cut;

		memcpy(buf, text, len + 1);
		for (int m = 0; m < 8; m++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[x % len] = alphabet[(x >> 24) % (sizeof(alphabet) - 1)];
		}
		cut = (size_t)(x >> 33) % (len + 1);	/* a truncated file too */
		if (!y_parse_stream(buf, iter % 2 ? len : cut, &docs, &nd))
			seen += nd;
		y_docs_free(docs, nd);
	}
	free(buf);
	return seen;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Documents with a test-case key, counted by lines independently of the
 * YAML reader, so a reader that drops documents is caught. */
static int count_cases_raw(const char *t)
{
	int n = 0;

	for (const char *p = t; (p = strstr(p, "test-case:")); p++)
		if (p == t || p[-1] == '\n')
			n++;
	return n;
}

static uint64_t stub_helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
			    struct userbpf_call *call)
{
	(void)a; (void)b; (void)c; (void)d; (void)e; (void)call;
	return 0;
}

int main(void)
{
	const char *shared = getenv("UB_SHARED");
	const char *st = getenv("UB_PREVAIL_STRICT");
	/* UB_PREVAIL_ONLY=text runs only the cases whose name contains text */
	const char *only = getenv("UB_PREVAIL_ONLY");
	char dir[1024];
	DIR *dp;
	struct dirent *de;
	char **files = NULL;
	size_t nfiles = 0;
	struct tally tot = { "total", 0, 0, 0, 0, 0 };
	int raw_cases = 0, parse_errs = 0;
	struct userbpf_rt_opts ro = { .sz = sizeof(ro) };

	strict = st && !strcmp(st, "1");
	/* UB_PREVAIL_BUDGET=N: processed-instruction budget per case; the
	 * default is Linux's 1M, as the verifier's own. */
	if (getenv("UB_PREVAIL_BUDGET"))
		budget = strtoull(getenv("UB_PREVAIL_BUDGET"), NULL, 0);
	snprintf(dir, sizeof(dir), "%s/verifier-tests/prevail-yaml", shared ? shared : "../shared");
	dp = opendir(dir);
	if (!dp) {
		tl_skip("prevail", "no PREVAIL test data (UB_SHARED/verifier-tests/prevail-yaml)");
		return tl_exit();
	}
	while ((de = readdir(dp))) {
		size_t l = strlen(de->d_name);
		char **nf;

		if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") || !strcmp(de->d_name, "test-schema.yaml"))
			continue;
		nf = realloc(files, (nfiles + 1) * sizeof(*files));
		if (!nf)
			break;
		files = nf;
		files[nfiles] = strdup(de->d_name);
		if (files[nfiles])
			nfiles++;
	}
	closedir(dp);
	qsort(files, nfiles, sizeof(*files), cmp_str);
	ro.log = tl_log;
	rt = userbpf_rt__new(&ro);
	if (!rt) {
		tl_fail("prevail runtime", "userbpf_rt__new failed");
		return tl_exit();
	}
	/* the map, ringbuf and string helpers as the map layer registers them
	 * (functions without prototypes: the verifier's table has them) */
	for (uint32_t id = 1; id < 200; id++) {
		char name[64];
		if (!ub_vfy_hproto(id) || ub_rt_helper(rt, id) || !ub_helper_linux_name(id))
			continue;
		snprintf(name, sizeof(name), "bpf_%s", ub_helper_linux_name(id));
		userbpf_rt__set_helper(rt, id, name, stub_helper);
	}
	for (size_t f = 0; f < nfiles; f++) {
		char path[1400];
		size_t len = 0, nd = 0;
		char *text;
		struct y_doc *docs = NULL;
		struct tally t = { files[f], 0, 0, 0, 0, 0 };

		snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
		text = slurp(path, &len);
		if (!text) {
			tl_fail("prevail read", "%s: cannot read", path);
			continue;
		}
		raw_cases += count_cases_raw(text);
		if (f == 0)
			TL_CHECK("prevail yaml reader survives 300 mutated files", yaml_mutations(text, len) > 0);
		if (y_parse_stream(text, len, &docs, &nd)) {
			tl_fail("prevail yaml", "%s: out of memory", files[f]);
			free(text);
			continue;
		}
		for (size_t i = 0; i < nd; i++) {
			if (docs[i].err[0])
				parse_errs++;
			if (!y_get(&docs[i], "test-case"))
				continue;
			if (only) {
				const struct y_val *tc = y_get(&docs[i], "test-case");

				if (tc->kind != Y_STR || !strstr(tc->str, only))
					continue;
			}
			t.cases++;
			switch (run_case(files[f], &docs[i], (int)i)) {
			case V_AGREE: t.agree++; break;
			case V_DISAGREE: t.disagree++; break;
			case V_UNTRANS: t.untrans++; break;
			case V_SPECIFIC: t.specific++; break;
			}
		}
		printf("# prevail %-16s %3d cases: %3d agree, %3d disagree, %3d not translatable, %3d PREVAIL-specific\n",
		       files[f], t.cases, t.agree, t.disagree, t.untrans, t.specific);
		tot.cases += t.cases;
		tot.agree += t.agree;
		tot.disagree += t.disagree;
		tot.untrans += t.untrans;
		tot.specific += t.specific;
		y_docs_free(docs, nd);
		free(text);
	}
	printf("# prevail budget %llu processed instructions per case\n", (unsigned long long)budget);
	printf("# prevail total            %3d cases: %3d agree, %3d disagree, %3d not translatable, %3d PREVAIL-specific\n",
	       tot.cases, tot.agree, tot.disagree, tot.untrans, tot.specific);
	for (int i = 0; i < nreasons; i++)
		printf("# prevail not translatable: %3d x %s\n", reasons[i].n, reasons[i].text);

	/* the harness itself must have worked */
	if (nfiles > 0 && (only || tot.cases == raw_cases) && parse_errs == 0)
		tl_ok("prevail yaml: every document parsed");
	else
		tl_fail("prevail yaml", "%d test cases read of %d in the files, %d documents malformed",
			tot.cases, raw_cases, parse_errs);
	if (asm_failures == 0)
		tl_ok("prevail asm: every code fragment assembled");
	else
		tl_fail("prevail asm", "%d code fragments did not assemble", asm_failures);
	{
		int run = tot.agree + tot.disagree;

		if (run == 0)
			tl_fail("prevail agreement", "no case could be run");
		else
			printf("ok prevail agreement: %d/%d cases (%.1f%%)\n", tot.agree, run,
			       100.0 * tot.agree / run);
		printf("# prevail baseline: %d of the %d cases run expect a refusal (a verifier refusing everything scores that)\n",
		       run_expect_reject, run);
	}
	for (size_t f = 0; f < nfiles; f++)
		free(files[f]);
	free(files);
	userbpf_rt__free(rt);
	return tl_exit();
}
