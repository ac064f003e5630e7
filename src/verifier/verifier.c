/* SPDX-License-Identifier: MIT */
/*
 * verifier.c - the path explorer and the rules it checks at each
 * instruction.
 *
 * Exploration is depth first: at a conditional jump whose outcome is not
 * known the other branch is pushed (its state refined by the condition) and
 * the current path goes on.  At prune points (jump targets, fall-throughs
 * of jumps, returns from calls) the state is compared with checkpoints
 * kept there: a state covered by a checkpoint whose exploration has
 * finished is safe and the path stops; a state equal to one still being
 * explored on the same path is an infinite loop.  Loops are otherwise
 * explored iteration by iteration, within the processed-instruction budget
 * (1M, as Linux), which is how their termination is proved.
 *
 * Soundness rules of thumb: a register or stack byte that might hold
 * anything else on some path is described by the join of the possibilities,
 * never by one of them; a check that depends on a value uses its whole
 * range.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "verifier/state.h"
#include "verifier/relevance.h"
#include "verifier/protos.h"
#include "isa/disasm_internal.h"

#define MAX_VAR_OFF (1 << 29)

struct venv {
	struct userbpf_rt *rt;
	const struct ub_dinsn *d;
	const struct userbpf_insn *insns;
	size_t cnt;
	const struct ub_vfy_opts *o;
	struct ub_vfy_result *res;
	uint64_t budget;
	uint32_t next_id;
	int err;			/* -ENOMEM: stop */
	bool refused;
	struct vstate **stack;		/* branches waiting */
	size_t nstack, capstack;
	struct ckpt **ck;		/* per insn: finished checkpoints */
	struct ckpt **live;		/* hash table of unfinished ones */
	size_t live_cap;		/* power of two */
	size_t nckpt;
	bool *prune;
	uint32_t *sub_of;		/* subprogram of each insn */
	uint32_t *sub_start;
	size_t nsub;
	uint32_t *sub_depth;		/* deepest stack byte each subprog used */
	uint16_t *rel_r;		/* relevance.c: registers that may reach a check */
	uint8_t *cstate;		/* note_const: per instruction, CONST_VARIES or 0 */
	uint64_t loop_cmps;		/* visit(): loop comparisons made so far */
	uint64_t *rel_s;		/* ... and stack slots */
	uint16_t *live_r;		/* ... and registers read before written */
	char *log;
	size_t log_len, log_cap;
	bool uninit_ok;			/* unwritten stack reads as unknown numbers (root) */
	uint32_t next_epoch;		/* callback entries */
};

/* ---- small services ---- */

static void *vmalloc(struct venv *e, size_t n)
{
	void *p = ub_calloc(e->rt, 1, n);
	if (!p)
		e->err = -ENOMEM;
	return p;
}

static void vlog(struct venv *e, const char *fmt, ...) UB_PRINTF(2, 3);
static void vlog(struct venv *e, const char *fmt, ...)
{
	va_list ap;
	char buf[512];
	int n;

	if (e->o->log_level <= 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (e->log_len + (size_t)n + 1 > e->log_cap) {
		size_t cap = e->log_cap ? e->log_cap * 2 : 4096;
		char *nl;
		while (cap < e->log_len + (size_t)n + 1)
			cap *= 2;
		if (cap > (64u << 20))
			return; /* the log is for people: 64 MiB is plenty */
		nl = ub_malloc(e->rt, cap);
		if (!nl)
			return;
		if (e->log_len)
			memcpy(nl, e->log, e->log_len);
		ub_free(e->rt, e->log);
		e->log = nl;
		e->log_cap = cap;
	}
	memcpy(e->log + e->log_len, buf, (size_t)n);
	e->log_len += (size_t)n;
	e->log[e->log_len] = 0;
}

const char *ub_rtype_name(int type)
{
	static const char *const names[UB_T__COUNT] = {
		"not initialised", "scalar", "ctx", "fp", "pkt", "pkt_meta", "pkt_end", "map_ptr",
		"map_value", "map_value_or_null", "mem", "mem_or_null", "func", "map_ptr_or_null",
		"map_key",
	};
	return type >= 0 && type < UB_T__COUNT ? names[type] : "?";
}

static int fmt_reg(char *buf, size_t sz, int r, const struct vreg *x)
{
	if (x->type == UB_T_NOT_INIT)
		return snprintf(buf, sz, "R%d=not initialised", r);
	if (x->type == UB_T_SCALAR) {
		if (ub_sc_is_const(&x->v))
			return snprintf(buf, sz, "R%d=%lld", r, (long long)x->v.t.v);
		return snprintf(buf, sz, "R%d=scalar(umin=%llu,umax=%llu,smin=%lld,smax=%lld)", r,
				(unsigned long long)x->v.umin, (unsigned long long)x->v.umax,
				(long long)x->v.smin, (long long)x->v.smax);
	}
	if (ub_sc_is_const(&x->v))
		return snprintf(buf, sz, "R%d=%s(off=%lld%s%s)", r, ub_rtype_name(x->type),
				(long long)(x->off + (int64_t)x->v.t.v),
				x->type == UB_T_PACKET ? ",r=" : "",
				x->type == UB_T_PACKET ? (x->range ? "proved" : "0") : "");
	return snprintf(buf, sz, "R%d=%s(off=%d,var=[%lld,%lld])", r, ub_rtype_name(x->type),
			x->off, (long long)x->v.smin, (long long)x->v.smax);
}

static const char *ins_text(struct venv *e, size_t i, char *buf, size_t sz)
{
	if (userbpf_disasm_insn(e->insns + i, e->cnt - i, buf, sz) < 0)
		snprintf(buf, sz, "(invalid)");
	return buf;
}

/* Refuses the program at instruction i: "insn N: TEXT: why (R..=...)". */
static void refuse(struct venv *e, const struct vstate *st, int r1, int r2, const char *fmt, ...)
	UB_PRINTF(5, 6);
static void refuse(struct venv *e, const struct vstate *st, int r1, int r2, const char *fmt, ...)
{
	char why[256], text[96], regs[256] = "";
	size_t n = 0;
	va_list ap;

	if (e->refused)
		return;
	e->refused = true;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (st && st->nframes) {
		const struct vframe *f = st->fr[st->nframes - 1];
		int rs[2] = { r1, r2 };
		for (int k = 0; k < 2; k++) {
			if (rs[k] < 0 || rs[k] > 10 || (k == 1 && rs[1] == rs[0]))
				continue;
			n += (size_t)snprintf(regs + n, n < sizeof(regs) ? sizeof(regs) - n : 0, "%s",
					      n ? ", " : " (");
			n += (size_t)fmt_reg(regs + n, n < sizeof(regs) ? sizeof(regs) - n : 0, rs[k],
					     &f->regs[rs[k]]);
		}
		if (n && n < sizeof(regs) - 1)
			snprintf(regs + n, sizeof(regs) - n, ")");
	}
	e->res->insn = st ? st->insn : 0;
	snprintf(e->res->reason, sizeof(e->res->reason), "insn %u: %s: %s%s",
		 st ? st->insn : 0, st ? ins_text(e, st->insn, text, sizeof(text)) : "-", why, regs);
	if (st && e->o->log_level >= 1) {
		vlog(e, "path to the refusal (last %u branch decisions):\n", st->ntrail);
		for (unsigned k = 0; k < st->ntrail; k++) {
			uint32_t t = st->trail[k];
			vlog(e, "  insn %u: %s: %s\n", t >> 1, ins_text(e, t >> 1, text, sizeof(text)),
			     (t & 1) ? "jump taken" : "fell through");
		}
		vlog(e, "refused: %s\n", e->res->reason);
	}
}

/* ---- states ---- */

static struct vframe *frame_new(struct venv *e)
{
	return vmalloc(e, sizeof(struct vframe));
}

static void frame_free(struct venv *e, struct vframe *f);

static void snap_put(struct venv *e, struct cbsnap *s)
{
	if (!s || --s->refcnt > 0)
		return;
	for (int i = 0; i < s->nframes; i++)
		frame_free(e, s->fr[i]);
	ub_free(e->rt, s);
}

/* Frames own a reference to their callback snapshot. */
static void frame_free(struct venv *e, struct vframe *f)
{
	if (!f)
		return;
	snap_put(e, f->snap);
	ub_free(e->rt, f);
}

static struct vframe *frame_dup(struct venv *e, const struct vframe *f)
{
	struct vframe *n = ub_malloc(e->rt, sizeof(*n));

	if (!n) {
		e->err = -ENOMEM;
		return NULL;
	}
	memcpy(n, f, sizeof(*n));
	if (n->snap)
		n->snap->refcnt++;
	return n;
}

static void state_free(struct venv *e, struct vstate *st)
{
	for (int i = 0; i < st->nframes; i++)
		frame_free(e, st->fr[i]);
	st->nframes = 0;
}

static bool state_copy(struct venv *e, struct vstate *dst, const struct vstate *src)
{
	*dst = *src;
	for (int i = 0; i < src->nframes; i++) {
		dst->fr[i] = frame_dup(e, src->fr[i]);
		if (!dst->fr[i]) {
			dst->nframes = (uint8_t)i;
			state_free(e, dst);
			return false;
		}
	}
	return true;
}

static struct vframe *cur(struct vstate *st)
{
	return st->fr[st->nframes - 1];
}

static void mark_scalar(struct vreg *r, struct ub_sc v)
{
	memset(r, 0, sizeof(*r));
	r->type = UB_T_SCALAR;
	r->v = v;
}

static void mark_unknown(struct vreg *r)
{
	mark_scalar(r, ub_sc_unknown());
}

static void mark_not_init(struct vreg *r)
{
	memset(r, 0, sizeof(*r));
}

static bool is_ptr(int type)
{
	return type != UB_T_SCALAR && type != UB_T_NOT_INIT;
}

static bool is_or_null(int type)
{
	return type == UB_T_MAP_VALUE_OR_NULL || type == UB_T_MEM_OR_NULL ||
	       type == UB_T_MAP_PTR_OR_NULL;
}

static int not_null_type(int type)
{
	return type == UB_T_MAP_VALUE_OR_NULL ? UB_T_MAP_VALUE :
	       type == UB_T_MAP_PTR_OR_NULL ? UB_T_MAP_PTR : UB_T_MEM;
}

/* The map a pointer belongs to, or NULL. */
static const struct ub_vfy_map *reg_map(const struct venv *e, const struct vreg *r)
{
	return r->map && r->map <= e->o->nmaps ? &e->o->maps[r->map - 1] : NULL;
}

/* ---- subsumption ---- */

/*
 * A load, store or helper access of map-value bytes [lo, hi) (every
 * offset the pointer may have) must stay off the value's declared
 * bpf_spin_lock and bpf_timer: they belong to the helpers (Linux's
 * check_map_access says the same, in the same words).
 */
static bool map_fields_ok(struct venv *e, struct vstate *st, int preg, const struct ub_vfy_map *m,
			  int64_t lo, int64_t hi)
{
	static const struct { const char *name; unsigned size; } f[2] = {
		{ "bpf_spin_lock", 4 }, { "bpf_timer", 16 },
	};

	for (int k = 0; m && k < 2; k++) {
		uint32_t off1 = k ? m->timer_off1 : m->lock_off1;

		if (off1 && lo < (int64_t)off1 - 1 + f[k].size && (int64_t)off1 - 1 < hi) {
			refuse(e, st, preg, -1,
			       "%s cannot be accessed directly by load/store (it lies at [%u, %u) of the value; R%d reaches [%lld, %lld))",
			       f[k].name, off1 - 1, off1 - 1 + f[k].size, preg, (long long)lo,
			       (long long)hi);
			return false;
		}
	}
	return true;
}

/* Does old cover cur?  idmap pairs old ids with cur ids. */
struct idmap {
	uint32_t old[64], cur[64];
	int n;
};

static bool id_match(struct idmap *m, uint32_t a, uint32_t b)
{
	if (!a && !b)
		return true;
	for (int i = 0; i < m->n; i++)
		if (m->old[i] == a)
			return m->cur[i] == b;
	if (m->n == 64)
		return false;
	m->old[m->n] = a;
	m->cur[m->n++] = b;
	return true;
}

/* live: some path reads it; relevant: what it holds may reach a check */
static bool reg_covers(const struct vreg *o, const struct vreg *c, struct idmap *m, bool relevant,
		       bool live)
{
	if (o->type == UB_T_NOT_INIT || !live)
		return true; /* the finished path never read it, nor will this one */
	if (o->type != c->type)
		return false;
	if (!relevant && (o->type == UB_T_SCALAR || o->frameno == c->frameno))
		return true; /* no check can see which value of this kind it is */
	if (o->type == UB_T_SCALAR) {
		/* a finished path may have relied on two registers being equal */
		if (o->id && (!c->id || !id_match(m, o->id, c->id)))
			return false;
		return ub_sc_in(&o->v, &c->v);
	}
	if (o->off != c->off || o->frameno != c->frameno || o->mem_size != c->mem_size ||
	    o->map != c->map)
		return false;
	if ((o->ref || c->ref) && (!o->ref || !c->ref || !id_match(m, o->ref, c->ref)))
		return false;
	if (!ub_sc_in(&o->v, &c->v))
		return false;
	if (o->type == UB_T_PACKET || o->type == UB_T_PACKET_META)
		if (c->range < o->range)
			return false;
	return id_match(m, o->id, c->id);
}

/* A frame as the comparisons see it: full, or compact from a checkpoint. */
struct fview {
	const struct vreg *regs;
	uint32_t callsite;
	uint8_t cb;
	unsigned base;
	const uint8_t *slot;		/* slot[b - base] */
	const struct vreg *spill;	/* spill[k - base / 8] */
};

static struct fview view_full(const struct vframe *f)
{
	return (struct fview){ f->regs, f->callsite, f->cb, 0, f->slot, f->spill };
}

static struct fview view_compact(const struct cframe *f)
{
	return (struct fview){ f->regs, f->callsite, f->cb, f->base, f->slot, f->spill };
}

static uint8_t fv_slot(const struct fview *v, unsigned b)
{
	return b < v->base ? S_INVALID : v->slot[b - v->base];
}

static const struct vreg *fv_spill(const struct fview *v, unsigned k)
{
	return &v->spill[k - v->base / 8];
}

static bool frame_covers(const struct fview *o, const struct fview *c, struct idmap *m,
			 uint16_t rel_r, uint64_t rel_s, uint16_t live_r, bool uninit_ok)
{
	if (o->callsite != c->callsite || o->cb != c->cb)
		return false;
	for (int r = 0; r < 11; r++)
		if (!reg_covers(&o->regs[r], &c->regs[r], m, rel_r & (1u << r), live_r & (1u << r)))
			return false;
	for (unsigned b = o->base; b < VF_STACK; b++) {
		uint8_t ok = fv_slot(o, b), ck = fv_slot(c, b);
		if (ok == S_INVALID)
			continue;
		if (ok == S_SPILL) {
			if (ck != S_SPILL)
				return false;
			if ((b & 7) == 0 && !reg_covers(fv_spill(o, b / 8), fv_spill(c, b / 8), m,
							 (rel_s >> (b / 8)) & 1, true))
				return false;
			continue;
		}
		if (ok == S_ZERO && ck != S_ZERO)
			return false;
		if (ok == S_MISC && ck == S_INVALID && !uninit_ok)
			return false;
		if (ok == S_MISC && ck == S_SPILL && fv_spill(c, b / 8)->type != UB_T_SCALAR)
			return false;
	}
	return true;
}

/*
 * Does checkpoint o cover state c (o_first) or c cover o (!o_first)?
 * With e, numbers that cannot reach a check (relevance.c) are not
 * compared; each frame is judged at the point where it resumes: the
 * innermost at the current instruction, a caller after its call.
 */
static bool ckpt_vs_state(const struct venv *e, const struct ckpt *o, const struct vstate *c,
			  bool o_first)
{
	struct idmap m = { .n = 0 };
	bool uninit_ok = e ? e->uninit_ok : false;

	if (o->nframes != c->nframes || o->nrefs != c->nrefs || o->lock_map != c->lock_map ||
	    o->lock_off != c->lock_off)
		return false;
	for (int i = 0; i < o->nrefs; i++)
		if (!id_match(&m, o_first ? o->refs[i] : c->refs[i], o_first ? c->refs[i] : o->refs[i]))
			return false;
	for (int i = 0; i < o->nframes; i++) {
		/* a caller resumes after its call, or at it when the callee is
		 * a callback that may be called again */
		uint32_t at = i == o->nframes - 1 ? c->insn :
			      c->fr[i + 1]->callsite + (c->fr[i + 1]->cb == CB_SYNC ? 0 : 1);
		uint16_t rr = e && at < e->cnt ? e->rel_r[at] : 0xffff;
		uint64_t rs = e && at < e->cnt ? e->rel_s[at] : ~0ull;
		uint16_t lr = e && at < e->cnt ? e->live_r[at] : 0xffff;
		struct fview ov = view_compact(o->fr[i]), cv = view_full(c->fr[i]);
		if (o_first ? !frame_covers(&ov, &cv, &m, rr, rs, lr, uninit_ok) :
			      !frame_covers(&cv, &ov, &m, rr, rs, lr, uninit_ok))
			return false;
	}
	return true;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

static uint64_t hash_reg(uint64_t h, const struct vreg *r)
{
	h = mix(h, (uint64_t)r->type | ((uint64_t)r->frameno << 8) | ((uint64_t)(uint32_t)r->off << 16));
	if (r->type == UB_T_NOT_INIT)
		return h;
	h = mix(h, r->v.t.v);
	h = mix(h, r->v.t.m);
	h = mix(h, r->v.umin);
	h = mix(h, r->v.umax);
	h = mix(h, (uint64_t)r->v.smin);
	h = mix(h, (uint64_t)r->v.smax);
	return mix(h, ((uint64_t)r->range << 32) | r->mem_size | ((uint64_t)r->map << 48));
}

/* A hash under which equal states (ids aside) hash alike. */
static uint64_t state_hash(const struct vstate *st)
{
	uint64_t h = st->nframes;

	for (int i = 0; i < st->nframes; i++) {
		const struct vframe *f = st->fr[i];
		h = mix(h, f->callsite);
		for (int r = 0; r < 11; r++)
			h = hash_reg(h, &f->regs[r]);
		for (int b = 0; b < VF_STACK; b += 8) {
			uint64_t w;
			memcpy(&w, &f->slot[b], 8);
			if (!w)
				continue;
			h = mix(h, w ^ (uint64_t)b);
			if (f->slot[b] == S_SPILL)
				h = hash_reg(h, &f->spill[b / 8]);
		}
	}
	return h;
}

static struct cframe *compact(struct venv *e, const struct vframe *f)
{
	unsigned base = VF_STACK, n;
	struct cframe *cf;

	for (unsigned b = 0; b < VF_STACK; b++)
		if (f->slot[b] != S_INVALID) {
			base = b & ~7u;
			break;
		}
	n = VF_STACK - base;
	cf = ub_malloc(e->rt, sizeof(*cf) + n + (n / 8) * sizeof(struct vreg) + 8);
	if (!cf) {
		e->err = -ENOMEM;
		return NULL;
	}
	memcpy(cf->regs, f->regs, sizeof(cf->regs));
	cf->callsite = f->callsite;
	cf->cb = f->cb;
	cf->epoch = f->epoch;
	cf->base = (uint16_t)base;
	cf->spill = (struct vreg *)(void *)(cf + 1);
	cf->slot = (uint8_t *)(cf->spill + n / 8);
	memcpy(cf->spill, &f->spill[base / 8], (n / 8) * sizeof(struct vreg));
	memcpy(cf->slot, &f->slot[base], n);
	return cf;
}

static void ckpt_free(struct venv *e, struct ckpt *c)
{
	for (int i = 0; i < c->nframes; i++)
		ub_free(e->rt, c->fr[i]);
	ub_free(e->rt, c);
	e->nckpt--;
}

static size_t live_slot(const struct venv *e, uint32_t insn, uint64_t hash)
{
	return (size_t)((hash ^ ((uint64_t)insn * 0x9e3779b97f4a7c15ull)) & (e->live_cap - 1));
}

/* Moves a checkpoint whose subtree is finished from the hash table of
 * unfinished ones to its instruction's list, where it can prune. */
static void ckpt_finish(struct venv *e, struct ckpt *c)
{
	struct ckpt **l = &e->live[live_slot(e, c->insn, c->hash)];

	while (*l && *l != c)
		l = &(*l)->hnext;
	if (*l)
		*l = c->hnext;
	c->live = false;
	c->next = e->ck[c->insn];
	e->ck[c->insn] = c;
}

/* A path below checkpoint c ended: walk up while subtrees complete. */
static void branch_done(struct venv *e, struct ckpt *c)
{
	while (c) {
		if (--c->branches > 0)
			return;
		ckpt_finish(e, c);
		c = c->parent;
	}
}

enum { VISIT_GO, VISIT_PRUNE, VISIT_LOOP };

#define MAX_CKPTS 200000	/* all checkpoints at once: bounds memory */
#define MAX_LOOP_CMP 64		/* unfinished checkpoints compared per visit */
#define MAX_LOOP_CMP_TOTAL 100000	/* ... and in a whole verification */

static int visit(struct venv *e, struct vstate *st)
{
	struct ckpt *c, **link;
	uint64_t h = state_hash(st);

	/* a finished checkpoint that covers this state: the path is safe */
	for (link = &e->ck[st->insn]; (c = *link);) {
		if (ckpt_vs_state(e, c, st, true)) {
			c->hit++;
			return VISIT_PRUNE;
		}
		/* as Linux: a finished checkpoint that keeps missing is
		 * dropped.  Pruning is an optimisation, and no live path has
		 * a finished checkpoint among its ancestors. */
		if (++c->miss > c->hit * 3 + 3) {
			*link = c->next;
			ckpt_free(e, c);
			continue;
		}
		link = &c->next;
	}
	/* an unfinished one equal to it: an ancestor, so a loop that does
	 * not move.  At most MAX_LOOP_CMP full comparisons per visit: states
	 * that hash alike but differ (ids) pile up on a path that loops, and
	 * comparing each new one with all of them made verification time
	 * quadratic (minutes for 200 instructions); and at most
	 * MAX_LOOP_CMP_TOTAL in all: 64 per visit over a million visits was
	 * still half a minute (found by the soundness generator).  A loop
	 * missed here still ends at the instruction budget, refused. */
	int ncmp = 0;
	for (c = e->live[live_slot(e, st->insn, h)];
	     c && ncmp < MAX_LOOP_CMP && e->loop_cmps < MAX_LOOP_CMP_TOTAL; c = c->hnext)
		if (c->insn == st->insn && c->hash == h && ++ncmp && ++e->loop_cmps &&
		    ckpt_vs_state(NULL, c, st, true) && ckpt_vs_state(NULL, c, st, false)) {
			/* the same state in a later call of a callback: the
			 * callback loop is bounded by its helper, and the
			 * earlier exploration covers this one */
			for (int i = 0; i < c->nframes; i++)
				if (c->fr[i]->epoch != st->fr[i]->epoch)
					return VISIT_PRUNE;
			return VISIT_LOOP;
		}
	/* a new checkpoint every few jumps and instructions, as Linux does */
	if ((st->since_jmps < 2 || st->since_insns < 8) && st->parent)
		return VISIT_GO;
	if (e->nckpt >= MAX_CKPTS)
		return VISIT_GO;
	c = vmalloc(e, sizeof(*c));
	if (!c)
		return VISIT_GO;
	e->nckpt++;
	c->nframes = st->nframes;
	c->nrefs = st->nrefs;
	memcpy(c->refs, st->refs, sizeof(c->refs));
	c->lock_map = st->lock_map;
	c->lock_off = st->lock_off;
	for (int i = 0; i < st->nframes; i++) {
		c->fr[i] = compact(e, st->fr[i]);
		if (!c->fr[i]) {
			c->nframes = (uint8_t)i;
			ckpt_free(e, c);
			return VISIT_GO;
		}
	}
	c->hash = h;
	c->insn = st->insn;
	c->parent = st->parent;
	c->branches = 1;
	c->live = true;
	link = &e->live[live_slot(e, st->insn, h)];
	c->hnext = *link;
	*link = c;
	st->parent = c;
	st->since_insns = st->since_jmps = 0;
	return VISIT_GO;
}

static void push_branch(struct venv *e, struct vstate *st)
{
	struct vstate *copy;

	if (e->nstack == e->capstack) {
		size_t cap = e->capstack ? e->capstack * 2 : 64;
		struct vstate **ns = ub_malloc(e->rt, cap * sizeof(*ns));
		if (!ns) {
			e->err = -ENOMEM;
			return;
		}
		if (e->nstack)
			memcpy(ns, e->stack, e->nstack * sizeof(*ns));
		ub_free(e->rt, e->stack);
		e->stack = ns;
		e->capstack = cap;
	}
	copy = vmalloc(e, sizeof(*copy));
	if (!copy)
		return;
	if (!state_copy(e, copy, st)) {
		ub_free(e->rt, copy);
		return;
	}
	/* The pushed path is one more branch below the same checkpoint. */
	if (copy->parent)
		copy->parent->branches++;
	e->stack[e->nstack++] = copy;
}

static void trail(struct vstate *st, uint32_t insn, bool taken)
{
	if (st->ntrail == VF_TRAIL) {
		memmove(st->trail, st->trail + 1, (VF_TRAIL - 1) * sizeof(st->trail[0]));
		st->ntrail--;
	}
	st->trail[st->ntrail++] = (insn << 1) | taken;
}

/* ---- memory ---- */

/* The helper whose call made a value, for messages. */
static const char *origin_name(struct venv *e, uint32_t insn)
{
	static const char *const known[] = { [1] = "bpf_map_lookup_elem", [131] = "bpf_ringbuf_reserve" };
	const struct ub_helper *h;
	uint32_t id;

	if (insn >= e->cnt || e->d[insn].op != UB_OP_CALL)
		return "the helper";
	id = (uint32_t)e->insns[insn].imm;
	if ((h = ub_rt_helper(e->rt, id)) && h->name)
		return h->name;
	if (id < sizeof(known) / sizeof(known[0]) && known[id])
		return known[id];
	return "the helper";
}

/* A loaded value of `size` bytes, sign-extended to 64 bits. */
static struct ub_sc loaded_sext(unsigned size)
{
	struct ub_sc u = ub_sc_unknown_bits(size * 8);
	return ub_sc_sext(&u, size * 8, true);
}

static const struct ub_ctx_field *ctx_field(struct venv *e, int64_t off, uint32_t size)
{
	for (size_t i = 0; i < e->o->nctx_fields; i++) {
		const struct ub_ctx_field *f = &e->o->ctx_fields[i];
		if (off >= f->off && off + size <= (int64_t)f->off + f->size)
			return f;
	}
	return NULL;
}

static void note_depth(struct venv *e, struct vstate *st, const struct vreg *p, int64_t lo)
{
	uint32_t sub = st->fr[p->frameno]->subprog;
	if (lo < 0 && (uint64_t)-lo > e->sub_depth[sub])
		e->sub_depth[sub] = (uint32_t)-lo;
}

/* Turns every spilled register overlapping [lo, hi) into plain bytes: a
 * write to part of one leaves the rest meaningless as a register, so a
 * slot holds a spill in all of its 8 bytes or in none. */
static void stack_unspill(struct vframe *tf, int64_t lo, int64_t hi)
{
	for (int64_t b = lo & ~(int64_t)7; b < hi; b += 8) {
		uint8_t *k = &tf->slot[VF_STACK + b];
		for (int j = 0; j < 8; j++)
			if (k[j] == S_SPILL)
				k[j] = S_MISC;
	}
}

static void note_fact(struct venv *e, uint32_t insn, uint8_t f)
{
	if (e->res->facts && insn < e->cnt)
		e->res->facts[insn] |= f;
}

/*
 * Index bounds for the JIT's Spectre v1 clamps, at `dst += src` and
 * `dst -= src` (ALU64, register source).  The fact holds only if on every
 * visit dst points into the stack, a map value or sized memory and src is
 * a number in [0, bound]; one other visit withdraws it for good.  Visits
 * cut short by pruning are covered only when src is relevant here
 * (relevance.c): then a pruned state's src lies inside the range of the
 * finished one it was compared with.  The JIT computes with a clamped copy
 * of src, which is the same value whenever the fact holds.
 */
#define IDX_NONE UINT32_MAX
static void note_index(struct venv *e, uint32_t insn, const struct vreg *dst, int sreg,
		       const struct vreg *src)
{
	uint32_t *b = e->res->bounds;
	bool ok;

	if (!b || !e->res->facts || insn >= e->cnt || b[insn] == IDX_NONE)
		return;
	ok = (dst->type == UB_T_STACK || dst->type == UB_T_MAP_VALUE || dst->type == UB_T_MEM) &&
	     src->type == UB_T_SCALAR && src->v.smin >= 0 && src->v.umax < IDX_NONE &&
	     (e->rel_r[insn] & (1u << sreg));
	if (!ok) {
		b[insn] = IDX_NONE;
		e->res->facts[insn] &= (uint8_t)~(UB_FACT_INDEX_BOUNDED | UB_FACT_SPECTRE_MASK);
		return;
	}
	if (!(e->res->facts[insn] & UB_FACT_INDEX_BOUNDED) || src->v.umax > b[insn])
		b[insn] = (uint32_t)src->v.umax;
	note_fact(e, insn, UB_FACT_INDEX_BOUNDED | (e->o->strict ? UB_FACT_SPECTRE_MASK : 0));
}

/*
 * Known constants for the JIT: an ALU instruction whose result is the
 * same number on every visit (UB_FACT_CONST_DST, the number in
 * res->consts[i]).  As for index bounds, visits cut short by pruning are
 * covered only when the instruction's inputs are relevant here (so
 * pruning compared their ranges); moves of an immediate are constants
 * already and are left out.
 */
static bool const_inputs_relevant(const struct venv *e, uint32_t insn, const struct ub_dinsn *x)
{
	const struct ub_opinfo *oi = &ub_opinfo[x->op];
	bool mov = (oi->code & 0xf0) == 0xb0 && (oi->fmt == F_ALU_K || oi->fmt == F_ALU_X);
	uint16_t need = 0;

	if (insn >= e->cnt || (mov && oi->fmt == F_ALU_K))
		return false;
	if (oi->fmt == F_ALU_X || oi->fmt == F_MOVSX)
		need |= (uint16_t)(1u << x->src);
	if (!mov && oi->fmt != F_MOVSX)
		need |= (uint16_t)(1u << x->dst);
	return (e->rel_r[insn] & need) == need;
}

#define CONST_VARIES 1	/* cstate: seen with different or unknown values */
static void note_const(struct venv *e, uint32_t insn, const struct ub_dinsn *x,
		       const struct vreg *dst, bool inputs_relevant)
{
	uint64_t *k = e->res->consts;

	(void)x;
	if (!k || !e->cstate || !e->res->facts || insn >= e->cnt || e->cstate[insn] == CONST_VARIES)
		return;
	if (!inputs_relevant || dst->type != UB_T_SCALAR || !ub_sc_is_const(&dst->v) ||
	    ((e->res->facts[insn] & UB_FACT_CONST_DST) && k[insn] != dst->v.t.v)) {
		e->cstate[insn] = CONST_VARIES;
		e->res->facts[insn] &= (uint8_t)~UB_FACT_CONST_DST;
		return;
	}
	k[insn] = dst->v.t.v;
	note_fact(e, insn, UB_FACT_CONST_DST);
}

/*
 * Checks an access of `size` bytes at p + off and performs its effect on
 * the state.  write: store `val` (NULL for a store of immediate `imm`);
 * read: *out gets the loaded value.  atomic: read and write.
 */
static bool mem_access(struct venv *e, struct vstate *st, int preg, int16_t insn_off,
		       unsigned size, bool write, bool read, const struct vreg *val, int64_t imm,
		       struct vreg *out, bool sext)
{
	struct vframe *f = cur(st);
	struct vreg *p = &f->regs[preg];
	int64_t lo = 0, hi = 0;	/* set once the offsets are known to be bounded */
	bool var = !ub_sc_is_const(&p->v);
	const char *what = write && read ? "access" : write ? "write" : "read";

	if (p->type == UB_T_NOT_INIT) {
		refuse(e, st, preg, -1, "R%d is not initialised: it cannot be used as an address", preg);
		return false;
	}
	if (p->type == UB_T_SCALAR) {
		refuse(e, st, preg, -1,
		       "R%d is a number, not a pointer: memory is reached through r10, the context, a packet or a map value",
		       preg);
		return false;
	}
	if (is_or_null(p->type)) {
		refuse(e, st, preg, -1,
		       "R%d may be NULL here: check the result of %s (insn %u) before dereferencing it",
		       preg, origin_name(e, p->origin), p->origin);
		return false;
	}
	if (p->v.smin < -MAX_VAR_OFF || p->v.smax > MAX_VAR_OFF) {
		refuse(e, st, preg, -1, "R%d has an unbounded offset: bound it with a comparison first",
		       preg);
		return false;
	}
	lo = (int64_t)p->off + insn_off + p->v.smin;
	hi = (int64_t)p->off + insn_off + p->v.smax + size; /* exclusive */
	switch (p->type) {
	case UB_T_STACK: {
		struct vframe *tf = st->fr[p->frameno];

		if (lo < -VF_STACK || hi > 0) {
			refuse(e, st, preg, -1,
			       "stack %s of %u bytes at offsets from %lld to %lld from r10 reaches outside the 512-byte frame [-512, 0)",
			       what, size, (long long)lo, (long long)(hi - size));
			return false;
		}
		if (read && !write && !var && out) {
			/* a spilled register comes back whole */
			if (size == 8 && (lo & 7) == 0 && tf->slot[VF_STACK + lo] == S_SPILL) {
				*out = tf->spill[(VF_STACK + lo) / 8];
				note_depth(e, st, p, lo);
				return true;
			}
		}
		if (read) {
			bool all_zero = true;
			for (int64_t b = lo; b < hi; b++) {
				uint8_t k = tf->slot[VF_STACK + b];
				if (k == S_INVALID && !e->uninit_ok) {
					refuse(e, st, preg, -1,
					       "reads stack byte %lld from r10, which no path has written: initialise it first",
					       (long long)b);
					return false;
				}
				if (k != S_ZERO)
					all_zero = false;
				if (k == S_SPILL && tf->spill[(VF_STACK + b) / 8].type != UB_T_SCALAR &&
				    e->o->strict) {
					refuse(e, st, preg, -1, "reads part of a spilled pointer");
					return false;
				}
			}
			if (out && !write) {
				if (all_zero && !var)
					mark_scalar(out, ub_sc_const(0));
				else if (sext)
					mark_scalar(out, loaded_sext(size));
				else
					mark_scalar(out, ub_sc_unknown_bits(size * 8));
			}
		}
		if (write && val && val->type == UB_T_STACK && val->frameno > p->frameno) {
			refuse(e, st, preg, -1,
			       "stores a pointer to a callee's stack frame into its caller's frame, where it would outlive the frame");
			return false;
		}
		if (write && e->o->strict) {
			/* Linux's unprivileged rules: a write over part of a
			 * spilled pointer would leave the rest of its bytes as
			 * plain data, readable (and so would one at a variable
			 * offset that may cover it) */
			for (int64_t b = lo & ~(int64_t)7; b < hi; b += 8) {
				const struct vreg *sp = &tf->spill[(VF_STACK + b) / 8];
				if (tf->slot[VF_STACK + b] == S_SPILL && sp->type != UB_T_SCALAR &&
				    (var || b < lo || b + 8 > hi || read)) {
					refuse(e, st, preg, -1,
					       "overwrites part of the pointer spilled at %lld from r10, whose other bytes would leak an address",
					       (long long)b);
					return false;
				}
			}
		}
		if (write) {
			bool spill = !var && size == 8 && (lo & 7) == 0 && val && !read;
			bool zero = !read && (val ? (val->type == UB_T_SCALAR && ub_sc_is_const(&val->v) &&
						     val->v.t.v == 0)
						  : imm == 0);
			if (var) {
				/* may or may not write each byte: what was set stays set,
				 * but loses its precise meaning */
				stack_unspill(tf, lo, hi);
				for (int64_t b = lo; b < hi; b++)
					if (tf->slot[VF_STACK + b] != S_INVALID)
						tf->slot[VF_STACK + b] = S_MISC;
			} else {
				/* a partly overwritten spill becomes plain bytes */
				for (int64_t b = lo & ~7; b < hi; b += 8) {
					uint8_t *k = &tf->slot[VF_STACK + b];
					if (k[0] == S_SPILL && (b < lo || b + 8 > hi))
						for (int j = 0; j < 8; j++)
							if (k[j] == S_SPILL)
								k[j] = S_MISC;
				}
				for (int64_t b = lo; b < hi; b++)
					tf->slot[VF_STACK + b] = spill ? S_SPILL : zero ? S_ZERO : S_MISC;
				if (spill)
					tf->spill[(VF_STACK + lo) / 8] = *val;
			}
		}
		note_depth(e, st, p, lo);
		return true;
	}
	case UB_T_CTX: {
		const struct ub_ctx_field *fl = NULL;
		if (p->off || var || p->v.t.v) {
			refuse(e, st, preg, -1,
			       "the context must be accessed as r1 was given, plus the instruction's offset: do not add to the context pointer");
			return false;
		}
		if (!e->o->ctx_fields) {
			if (lo < 0 || hi > (int64_t)e->o->ctx_size) {
				refuse(e, st, preg, -1, "context %s at [%lld, %lld) is outside its %u bytes",
				       what, (long long)lo, (long long)hi, e->o->ctx_size);
				return false;
			}
		} else {
			fl = ctx_field(e, lo, size);
			if (!fl || (write && !(fl->kind & UB_CTX_WRITE)) ||
			    (read && !(fl->kind & (UB_CTX_READ | UB_CTX_DATA | UB_CTX_DATA_END |
						   UB_CTX_DATA_META)))) {
				refuse(e, st, preg, -1,
				       "invalid context %s of %u bytes at offset %lld: the program type allows no such field",
				       what, size, (long long)lo);
				return false;
			}
		}
		if (hi > (int64_t)e->res->max_ctx_end)
			e->res->max_ctx_end = (uint32_t)hi;
		if (write && val && is_ptr(val->type)) {
			refuse(e, st, preg, -1, "stores a pointer into the context");
			return false;
		}
		if (read && out) {
			if (fl && (fl->kind & (UB_CTX_DATA | UB_CTX_DATA_END | UB_CTX_DATA_META))) {
				if (size != fl->size || lo != fl->off || sext) {
					refuse(e, st, preg, -1,
					       "packet pointers in the context must be read whole (%u bytes at %u), without sign extension",
					       fl->size, fl->off);
					return false;
				}
				memset(out, 0, sizeof(*out));
				out->type = fl->kind & UB_CTX_DATA ? UB_T_PACKET :
					    fl->kind & UB_CTX_DATA_END ? UB_T_PACKET_END : UB_T_PACKET_META;
				out->v = ub_sc_const(0);
				out->id = ++e->next_id;
				out->range = out->type == UB_T_PACKET ? 0 : 0;
				out->origin = st->insn;
				if (out->type == UB_T_PACKET && e->o->packet_size_min)
					out->range = e->o->packet_size_min;
			} else {
				mark_scalar(out, sext ? loaded_sext(size)
						      : ub_sc_unknown_bits(size * 8));
			}
		}
		return true;
	}
	case UB_T_PACKET: case UB_T_PACKET_META: {
		/* As Linux: a range proved for a pointer holds for every pointer
		 * of its id, which all carry the same variable part; so the
		 * check is on the fixed part, the variable part >= 0. */
		int64_t flo = (int64_t)p->off + insn_off, fhi = flo + size;
		if (var) {
			lo = flo;
			hi = fhi;
		} else {
			flo = lo;
			fhi = hi;
		}
		if (p->v.smin < 0 || flo < 0 || fhi > (int64_t)p->range) {
			refuse(e, st, preg, -1,
			       "packet %s of %u bytes at [%lld, %lld)%s is not proved inside the packet: compare data + %lld%s with data_end first",
			       what, size, (long long)flo, (long long)fhi, var ? " past the variable offset" : "",
			       (long long)fhi, var ? " + the variable offset" : "");
			return false;
		}
		if (write && val && is_ptr(val->type) && e->o->strict) {
			refuse(e, st, preg, -1, "stores a pointer into the packet, which leaks an address");
			return false;
		}
		break;
	}
	case UB_T_MAP_VALUE: case UB_T_MEM: case UB_T_MAP_KEY:
		if (write && p->type == UB_T_MAP_KEY) {
			refuse(e, st, preg, -1, "R%d is a map key, which the program may only read", preg);
			return false;
		}
		if (write && p->type == UB_T_MAP_VALUE && reg_map(e, p) && reg_map(e, p)->rdonly_prog) {
			refuse(e, st, preg, -1,
			       "map %u is read-only for programs (.rodata is read-only, or BPF_F_RDONLY_PROG): do not write its value",
			       p->map - 1);
			return false;
		}
		if (lo < 0 || hi > (int64_t)p->mem_size) {
			refuse(e, st, preg, -1,
			       "%s of %u bytes at [%lld, %lld) is outside the %u bytes of the %s",
			       what, size, (long long)lo, (long long)hi, p->mem_size,
			       p->type == UB_T_MAP_VALUE ? "map value" :
			       p->type == UB_T_MAP_KEY ? "map key" : "memory region");
			return false;
		}
		if (p->type == UB_T_MAP_VALUE && !map_fields_ok(e, st, preg, reg_map(e, p), lo, hi))
			return false;
		if (write && val && is_ptr(val->type) && e->o->strict) {
			refuse(e, st, preg, -1, "leaks a pointer into memory user space can read");
			return false;
		}
		break;
	default:
		refuse(e, st, preg, -1, "R%d is a %s, which cannot be dereferenced", preg,
		       ub_rtype_name(p->type));
		return false;
	}
	if (read && out && !write)
		mark_scalar(out, sext ? loaded_sext(size)
				      : ub_sc_unknown_bits(size * 8));
	return true;
}

/* ---- ALU ---- */

static bool check_init(struct venv *e, struct vstate *st, int r)
{
	if (cur(st)->regs[r].type == UB_T_NOT_INIT) {
		refuse(e, st, r, -1,
		       "R%d is read before any path writes it: give it a value first", r);
		return false;
	}
	return true;
}

static bool do_alu(struct venv *e, struct vstate *st, const struct ub_dinsn *x)
{
	const struct ub_opinfo *oi = &ub_opinfo[x->op];
	struct vframe *f = cur(st);
	bool w64 = UB_CLASS(oi->code) == UB_CLS_ALU64;
	unsigned op = oi->code & 0xf0;
	struct vreg *dst = &f->regs[x->dst], srcv;
	const struct vreg *src;
	bool is_mov = op == 0xb0;

	if (oi->fmt == F_ALU_X || oi->fmt == F_MOVSX) {
		if (!check_init(e, st, x->src))
			return false;
		src = &f->regs[x->src];
	} else {
		mark_scalar(&srcv, w64 ? ub_sc_const((uint64_t)x->imm)
				       : ub_sc_const((uint32_t)x->imm));
		src = &srcv;
	}
	if (!is_mov && !check_init(e, st, x->dst))
		return false;
	if (oi->fmt == F_ALU_X && w64 && (op == 0x00 || op == 0x10))
		note_index(e, st->insn, dst, x->src, src);
	if (oi->fmt == F_END || oi->fmt == F_BSWAP) {
		if (dst->type != UB_T_SCALAR) {
			if (e->o->strict) {
				refuse(e, st, x->dst, -1, "byte swap of a pointer leaks an address");
				return false;
			}
			mark_unknown(dst); /* as a root loader: it is a number now */
		}
		dst->v = ub_sc_swap(&dst->v, oi->width, oi->fmt == F_BSWAP || oi->code == 0xdc);
		dst->id = 0;
		return true;
	}
	if (oi->fmt == F_ALU_K && (op == 0x60 || op == 0x70 || op == 0xc0) &&
	    (x->imm < 0 || x->imm >= (w64 ? 64 : 32))) {
		refuse(e, st, -1, -1, "invalid shift by %lld: the amount must be below %d",
		       (long long)x->imm, w64 ? 64 : 32);
		return false;
	}
	if ((op == 0x30 || op == 0x90) && oi->fmt == F_ALU_K && x->imm == 0) {
		refuse(e, st, -1, -1, "division by the constant 0");
		return false;
	}
	if (is_mov) {
		if (oi->fmt == F_MOVSX) {
			if (src->type != UB_T_SCALAR) {
				refuse(e, st, x->src, -1, "sign extension of a pointer");
				return false;
			}
			mark_scalar(dst, ub_sc_sext(&src->v, (unsigned)oi->vval, w64));
			return true;
		}
		if (w64) {
			/* copies of an unknown number share an id, so that what a
			 * comparison teaches about one applies to all */
			if (src->type == UB_T_SCALAR && !ub_sc_is_const(&src->v) && !src->id &&
			    oi->fmt == F_ALU_X)
				f->regs[x->src].id = ++e->next_id;
			*dst = *src;
			return true;
		}
		if (is_ptr(src->type)) {
			if (e->o->strict) {
				refuse(e, st, x->src, -1, "a 32-bit copy of a pointer leaks part of an address");
				return false;
			}
			mark_scalar(dst, ub_sc_unknown_bits(32));
			return true;
		}
		mark_scalar(dst, ub_sc_alu(0xb0, false, &dst->v, &src->v));
		return true;
	}
	if (dst->type == UB_T_SCALAR && src->type == UB_T_SCALAR) {
		unsigned sop = op;
		if ((op == 0x30 || op == 0x90) && oi->vval == 1 && oi->vkind == V_OFF)
			sop |= 0x100;
		if ((op == 0x30 || op == 0x90) && e->o->div_by_zero_is_error && src->v.umin == 0 &&
		    !(oi->fmt == F_ALU_K)) {
			refuse(e, st, x->src, -1, "R%d may be 0 here, and this program type forbids dividing by 0",
			       x->src);
			return false;
		}
		if (op == 0x80)
			dst->v = ub_sc_alu(0x80, w64, &dst->v, &dst->v);
		else
			dst->v = ub_sc_alu(sop, w64, &dst->v, &src->v);
		dst->id = 0;
		return true;
	}
	/* pointer arithmetic */
	if (!w64) {
		/* Linux (adjust_ptr_min_max_vals, adjust_reg_min_max_vals): a
		 * privileged loader may subtract in 32 bits with a pointer on
		 * either side (clang >= 15 computes data_end - data so) and
		 * gets a number; nothing else */
		if (op == 0x10 && !e->o->strict) {
			mark_scalar(dst, ub_sc_unknown_bits(32));
			return true;
		}
		refuse(e, st, x->dst, x->src, "32-bit arithmetic on a pointer is not allowed");
		return false;
	}
	if (op == 0x10 && is_ptr(dst->type) && is_ptr(src->type)) {
		/* Linux (adjust_reg_min_max_vals): any two pointers, for a
		 * privileged loader (e.g. data_end - data); never unprivileged */
		if (e->o->strict) {
			refuse(e, st, x->dst, x->src, "subtracts pointers (unprivileged programs may not)");
			return false;
		}
		mark_unknown(dst);
		return true;
	}
	if (op != 0x00 && op != 0x10) {
		refuse(e, st, x->dst, x->src,
		       "only + and - apply to pointers; this operation on a pointer is not allowed");
		return false;
	}
	{
		struct vreg ptr, num;
		if (is_ptr(dst->type)) {
			ptr = *dst;
			num = *src;
		} else {
			if (op == 0x10) {
				refuse(e, st, x->dst, x->src, "subtracts a pointer from a number");
				return false;
			}
			ptr = *src;
			num = *dst;
		}
		if (is_ptr(num.type)) {
			refuse(e, st, x->dst, x->src, "adds two pointers");
			return false;
		}
		if (op == 0x10 && ptr.type == UB_T_STACK) {
			refuse(e, st, x->dst, x->src,
			       "subtraction from a stack pointer is not allowed (as on Linux): add a negative number instead");
			return false;
		}
		if (is_or_null(ptr.type)) {
			refuse(e, st, x->dst, x->src,
			       "arithmetic on a pointer that may be NULL: check the result of %s (insn %u) against 0 first",
			       origin_name(e, ptr.origin), ptr.origin);
			return false;
		}
		if (ptr.type == UB_T_PACKET_END || ptr.type == UB_T_MAP_PTR || ptr.type == UB_T_FUNC) {
			refuse(e, st, x->dst, x->src, "arithmetic on a %s pointer is not allowed",
			       ub_rtype_name(ptr.type));
			return false;
		}
		if (ub_sc_is_const(&num.v)) {
			int64_t k = (int64_t)num.v.t.v, noff;
			if (op == 0x10)
				k = (int64_t)(0 - (uint64_t)k);
			noff = (int64_t)ptr.off + k;
			if (noff < -MAX_VAR_OFF || noff > MAX_VAR_OFF) {
				refuse(e, st, x->dst, x->src, "pointer offset %lld is out of range",
				       (long long)noff);
				return false;
			}
			ptr.off = (int32_t)noff;
		} else {
			if (ptr.type == UB_T_CTX) {
				refuse(e, st, x->dst, x->src, "a variable offset on the context pointer is not allowed");
				return false;
			}
			ptr.v = ub_sc_alu(op, true, &ptr.v, &num.v);
			if (ptr.type == UB_T_PACKET || ptr.type == UB_T_PACKET_META) {
				ptr.id = ++e->next_id; /* a new range group */
				ptr.range = 0;
			}
		}
		*dst = ptr;
		return true;
	}
}

/* ---- jumps ---- */

/* Forgets reference ref (released, or NULL after all). */
static void ref_drop(struct vstate *st, uint32_t ref)
{
	for (int i = 0; i < st->nrefs; i++)
		if (st->refs[i] == ref) {
			memmove(&st->refs[i], &st->refs[i + 1], (size_t)(st->nrefs - i - 1) * sizeof(st->refs[0]));
			memmove(&st->ref_insn[i], &st->ref_insn[i + 1],
				(size_t)(st->nrefs - i - 1) * sizeof(st->ref_insn[0]));
			st->nrefs--;
			return;
		}
}

/* Releases ref: every copy of the pointer is dead (a number for root, as
 * Linux; unusable in strict mode). */
static void ref_release(struct venv *e, struct vstate *st, uint32_t ref)
{
	ref_drop(st, ref);
	for (int i = 0; i < st->nframes; i++) {
		struct vframe *f = st->fr[i];
		for (int r = 0; r < 11; r++)
			if (is_ptr(f->regs[r].type) && f->regs[r].ref == ref) {
				if (e->o->strict)
					mark_not_init(&f->regs[r]);
				else
					mark_unknown(&f->regs[r]);
			}
		for (int k = 0; k < VF_STACK / 8; k++)
			if (f->slot[k * 8] == S_SPILL && is_ptr(f->spill[k].type) && f->spill[k].ref == ref)
				mark_unknown(&f->spill[k]);
	}
}

/* Applies the outcome of `a op b` to copies of every register and spill
 * sharing a's id (null checks). */
static void mark_null(struct vstate *st, uint32_t id, bool is_null)
{
	for (int i = 0; i < st->nframes; i++) {
		struct vframe *f = st->fr[i];
		for (int r = 0; r < 11; r++) {
			struct vreg *x = &f->regs[r];
			if (is_or_null(x->type) && x->id == id) {
				if (is_null) {
					if (x->ref)
						ref_drop(st, x->ref);
					mark_scalar(x, ub_sc_const(0));
				} else {
					x->type = (uint8_t)not_null_type(x->type);
				}
			}
		}
		for (int s = 0; s < VF_STACK / 8; s++) {
			struct vreg *x = &f->spill[s];
			if (f->slot[s * 8] == S_SPILL && is_or_null(x->type) && x->id == id) {
				if (is_null) {
					if (x->ref)
						ref_drop(st, x->ref);
					mark_scalar(x, ub_sc_const(0));
				} else {
					x->type = (uint8_t)not_null_type(x->type);
				}
			}
		}
	}
}

static void mark_pkt_range(struct vstate *st, uint32_t id, int type, uint32_t range)
{
	for (int i = 0; i < st->nframes; i++) {
		struct vframe *f = st->fr[i];
		for (int r = 0; r < 11; r++) {
			struct vreg *x = &f->regs[r];
			if (x->type == type && x->id == id && x->range < range)
				x->range = range;
		}
		for (int s = 0; s < VF_STACK / 8; s++) {
			struct vreg *x = &f->spill[s];
			if (f->slot[s * 8] == S_SPILL && x->type == type && x->id == id &&
			    x->range < range)
				x->range = range;
		}
	}
}

/* Is r the packet's start itself (data, no offset)? */
static bool is_data_start(const struct vreg *r)
{
	return r->type == UB_T_PACKET && r->off == 0 && ub_sc_is_const(&r->v) && r->v.t.v == 0;
}

/* Gives every scalar linked to `r` (same id) the value of `r`. */
static void sync_linked(struct vstate *st, const struct vreg *r)
{
	if (r->type != UB_T_SCALAR || !r->id)
		return;
	for (int i = 0; i < st->nframes; i++) {
		struct vframe *f = st->fr[i];
		for (int k = 0; k < 11; k++)
			if (f->regs[k].type == UB_T_SCALAR && f->regs[k].id == r->id)
				f->regs[k].v = r->v;
		for (int s = 0; s < VF_STACK / 8; s++)
			if (f->slot[s * 8] == S_SPILL && f->spill[s].type == UB_T_SCALAR &&
			    f->spill[s].id == r->id)
				f->spill[s].v = r->v;
	}
}

/* The outcome of a comparison that involves pointers: -1 unknown, 0/1
 * known; *fixup tells how to refine each branch. */
static int ptr_cmp(unsigned op, bool w64, const struct vreg *a, const struct vreg *b)
{
	bool a_zero = b->type == UB_T_SCALAR && ub_sc_is_const(&b->v) && b->v.t.v == 0;

	if (!w64 || !a_zero || !is_ptr(a->type) || is_or_null(a->type))
		return -1;
	/* a pointer that cannot be NULL compared with 0 */
	if (op == 0x10)
		return 0;
	if (op == 0x50)
		return 1;
	return -1;
}

/* Refines both successors of a conditional jump; returns false to refuse. */
static bool do_jcc(struct venv *e, struct vstate *st, const struct ub_dinsn *x, bool *fall,
		   bool *take, struct vstate *tstate)
{
	const struct ub_opinfo *oi = &ub_opinfo[x->op];
	bool w64 = UB_CLASS(oi->code) == UB_CLS_JMP;
	unsigned op = oi->code & 0xf0;
	struct vframe *f = cur(st), *tf;
	struct vreg *a = &f->regs[x->dst], kreg, *b;
	int known;

	if (!check_init(e, st, x->dst))
		return false;
	if (oi->fmt == F_JMP_X) {
		if (!check_init(e, st, x->src))
			return false;
		b = &f->regs[x->src];
	} else {
		mark_scalar(&kreg, w64 ? ub_sc_const((uint64_t)x->imm) : ub_sc_const((uint32_t)x->imm));
		b = &kreg;
	}
	*fall = *take = true;
	if (a->type == UB_T_SCALAR && b->type == UB_T_SCALAR) {
		struct ub_sc ta = a->v, tb = b->v, fa = a->v, fb = b->v;
		*take = ub_sc_branch(op, w64, true, &ta, &tb);
		*fall = ub_sc_branch(op, w64, false, &fa, &fb);
		if (*take && !state_copy(e, tstate, st))
			return false;
		if (*take) {
			tf = cur(tstate);
			tf->regs[x->dst].v = ta;
			sync_linked(tstate, &tf->regs[x->dst]);
			if (oi->fmt == F_JMP_X) {
				tf->regs[x->src].v = tb;
				sync_linked(tstate, &tf->regs[x->src]);
			}
		}
		if (*fall) {
			a->v = fa;
			sync_linked(st, a);
			if (oi->fmt == F_JMP_X) {
				b->v = fb;
				sync_linked(st, b);
			}
		}
		return true;
	}
	if (e->o->strict && is_ptr(a->type) && is_ptr(b->type) &&
	    !((a->type == UB_T_PACKET || a->type == UB_T_PACKET_META || a->type == UB_T_PACKET_END) &&
	      (b->type == UB_T_PACKET || b->type == UB_T_PACKET_META || b->type == UB_T_PACKET_END))) {
		refuse(e, st, x->dst, x->src, "compares pointers, which leaks addresses");
		return false;
	}
	known = ptr_cmp(op, w64, a, b);
	if (known < 0 && b->type != UB_T_SCALAR && a->type == UB_T_SCALAR)
		known = -1;
	if (known >= 0) {
		*take = known == 1;
		*fall = known == 0;
		if (*take && !state_copy(e, tstate, st))
			return false;
		return true;
	}
	if (!state_copy(e, tstate, st))
		return false;
	tf = cur(tstate);
	/* null checks: ptr_or_null ==/!= 0 */
	if (w64 && is_or_null(a->type) && b->type == UB_T_SCALAR && ub_sc_is_const(&b->v) &&
	    b->v.t.v == 0 && (op == 0x10 || op == 0x50)) {
		uint32_t id = a->id;
		mark_null(tstate, id, op == 0x10);
		mark_null(st, id, op != 0x10);
		return true;
	}
	/* packet bounds: pkt vs pkt_end in either order */
	if (w64) {
		const struct vreg *pk = NULL;
		bool pkt_left = false;
		if ((a->type == UB_T_PACKET || a->type == UB_T_PACKET_META) && b->type == UB_T_PACKET_END) {
			pk = a;
			pkt_left = true;
		} else if (a->type == UB_T_PACKET_END && (b->type == UB_T_PACKET || b->type == UB_T_PACKET_META)) {
			pk = b;
		} else if (a->type == UB_T_PACKET_META && is_data_start(b)) {
			/* metadata ends where the packet starts: Linux bounds
			 * data_meta by comparisons with data */
			pk = a;
			pkt_left = true;
		} else if (is_data_start(a) && b->type == UB_T_PACKET_META) {
			pk = b;
		}
		if (pk && pk->off + (ub_sc_is_const(&pk->v) ? (int64_t)pk->v.t.v : 0) > 0 &&
		    pk->v.smin >= 0) {
			/* which branch learns pk <= end? */
			bool in_taken, in_fall;
			unsigned o = op;
			if (!pkt_left) /* end OP pk  ==  pk OP' end */
				o = o == 0x20 ? 0xa0 : o == 0x30 ? 0xb0 : o == 0xa0 ? 0x20 : o == 0xb0 ? 0x30 : o;
			/* pk > end: fall learns pk <= end; pk >= end: fall learns pk < end;
			 * pk < end / pk <= end: taken learns it */
			in_fall = o == 0x20 || o == 0x30;
			in_taken = o == 0xa0 || o == 0xb0;
			/* the fixed part; a variable part is shared by the id */
			uint32_t r = (uint32_t)(pk->off + (ub_sc_is_const(&pk->v) ? (int64_t)pk->v.t.v : 0));
			if (in_fall)
				mark_pkt_range(st, pk->id, pk->type, r);
			if (in_taken)
				mark_pkt_range(tstate, pk->id, pk->type, r);
		}
	}
	return true;
}

/* ---- calls ---- */

static bool check_mem_arg(struct venv *e, struct vstate *st, int r, const struct vreg *size,
			  bool write)
{
	struct vreg *p = &cur(st)->regs[r];
	uint64_t n = size->v.umax;

	if (size->v.smin < 0 || n > (1u << 29)) {
		refuse(e, st, r + 1, -1, "R%d is not a bounded size: compare it with a limit first", r + 1);
		return false;
	}
	if (n == 0)
		return true;
	if (p->type != UB_T_STACK && p->type != UB_T_PACKET && p->type != UB_T_PACKET_META &&
	    p->type != UB_T_MAP_VALUE && p->type != UB_T_MAP_KEY && p->type != UB_T_MEM) {
		/* the context's layout is the program type's view, not memory */
		refuse(e, st, r, -1, "R%d is %s: helpers take memory on the stack, in a packet or a map value",
		       r, p->type == UB_T_SCALAR ? "a number" : ub_rtype_name(p->type));
		return false;
	}
	if (p->type == UB_T_STACK) {
		/* every byte the helper might touch */
		int64_t lo, hi;
		struct vframe *tf = st->fr[p->frameno];
		if (p->v.smin < -MAX_VAR_OFF || p->v.smax > MAX_VAR_OFF) {
			refuse(e, st, r, -1, "R%d has an unbounded offset: bound it with a comparison first", r);
			return false;
		}
		lo = (int64_t)p->off + p->v.smin;
		hi = (int64_t)p->off + p->v.smax + (int64_t)n;
		if (lo < -VF_STACK || hi > 0) {
			refuse(e, st, r, r + 1, "helper memory [%lld, %lld) is outside the stack frame",
			       (long long)lo, (long long)hi);
			return false;
		}
		for (int64_t b = lo & ~(int64_t)7; write && e->o->strict && b < hi; b += 8)
			if (tf->slot[VF_STACK + b] == S_SPILL &&
			    tf->spill[(VF_STACK + b) / 8].type != UB_T_SCALAR) {
				/* as Linux's unprivileged rules: the helper might
				 * write part of it and leave the rest readable */
				refuse(e, st, r, r + 1,
				       "the helper may write over the pointer spilled at %lld from r10, whose other bytes would leak an address",
				       (long long)b);
				return false;
			}
		if (write)
			stack_unspill(tf, lo, hi);
		for (int64_t b = lo; b < hi; b++) {
			uint8_t *k = &tf->slot[VF_STACK + b];
			if (write) {
				if (*k != S_INVALID || ub_sc_is_const(&p->v))
					*k = S_MISC;
			} else if (*k == S_INVALID && !e->uninit_ok) {
				refuse(e, st, r, r + 1,
				       "the helper reads stack byte %lld from r10, which is not initialised",
				       (long long)b);
				return false;
			} else if (*k == S_SPILL && e->o->strict &&
				   tf->spill[(VF_STACK + b) / 8].type != UB_T_SCALAR) {
				/* Linux's check_stack_range_initialized: the helper
				 * would copy the address where the program or user
				 * space can read it (a map value, a ring buffer) */
				refuse(e, st, r, r + 1,
				       "the helper reads stack byte %lld from r10, part of a spilled pointer, which leaks an address",
				       (long long)b);
				return false;
			}
		}
		note_depth(e, st, p, lo);
		return true;
	}
	/* the whole range first, so that a refusal names all of it */
	if (p->type == UB_T_MAP_VALUE && p->v.smin >= -MAX_VAR_OFF && p->v.smax <= MAX_VAR_OFF &&
	    !map_fields_ok(e, st, r, reg_map(e, p), (int64_t)p->off + p->v.smin,
			   (int64_t)p->off + p->v.smax + (int64_t)n))
		return false;
	return mem_access(e, st, r, 0, (unsigned)(n > 8 ? 1 : n), write, !write, NULL, 0, NULL, false) &&
	       (n <= 8 || ((int64_t)p->off + p->v.smax + (int64_t)n <=
			   (int64_t)(p->type == UB_T_MAP_VALUE || p->type == UB_T_MEM ||
						     p->type == UB_T_MAP_KEY ? p->mem_size :
				     p->type == UB_T_PACKET ? p->range : e->o->ctx_size)) ||
		(refuse(e, st, r, r + 1, "helper memory of up to %llu bytes runs past the end of the region",
			(unsigned long long)n), false));
}

static bool check_mem_const(struct venv *e, struct vstate *st, int r, uint64_t n, bool write)
{
	struct vreg sz;

	mark_scalar(&sz, ub_sc_const(n));
	return check_mem_arg(e, st, r, &sz, write);
}

static bool is_const_zero(const struct vreg *r)
{
	return r->type == UB_T_SCALAR && ub_sc_is_const(&r->v) && r->v.t.v == 0;
}

/* A struct bpf_spin_lock or bpf_timer inside a map value: a map value
 * pointer at a constant, aligned offset with room for it. */
static bool check_map_field(struct venv *e, struct vstate *st, int r, const char *hname,
			    const char *what, unsigned size, uint32_t *off_out)
{
	struct vreg *a = &cur(st)->regs[r];
	int64_t off;

	if (a->type != UB_T_MAP_VALUE) {
		refuse(e, st, r, -1, "argument %d of %s must point to a %s inside a map value (R%d is %s)",
		       r, hname, what, r, ub_rtype_name(a->type));
		return false;
	}
	if (!ub_sc_is_const(&a->v)) {
		refuse(e, st, r, -1, "argument %d of %s must point to the %s at a constant offset", r,
		       hname, what);
		return false;
	}
	off = (int64_t)a->off + (int64_t)a->v.t.v;
	if (off < 0 || off + size > a->mem_size || off % (size >= 8 ? 8 : size)) {
		refuse(e, st, r, -1,
		       "argument %d of %s: a %s of %u bytes at offset %lld does not fit, aligned, in the %u-byte map value",
		       r, hname, what, size, (long long)off, a->mem_size);
		return false;
	}
	if (reg_map(e, a) && reg_map(e, a)->rdonly_prog) {
		refuse(e, st, r, -1, "map %u is read-only for programs: it cannot hold a %s", a->map - 1,
		       what);
		return false;
	}
	if (reg_map(e, a)) {
		/* declared by BTF: there and nowhere else */
		uint32_t off1 = size == 16 ? reg_map(e, a)->timer_off1 : reg_map(e, a)->lock_off1;

		if (off1 && (uint64_t)off != off1 - 1) {
			refuse(e, st, r, -1, "argument %d of %s: off %lld doesn't point to '%s' that is at %u",
			       r, hname, (long long)off, what, off1 - 1);
			return false;
		}
	}
	*off_out = (uint32_t)off;
	return true;
}

/* Enters the synchronous callback at target with entry registers args:
 * the caller's argument registers are spent as after the helper, and the
 * path that never calls it is pushed. */
static bool enter_sync_cb(struct venv *e, struct vstate *st, uint32_t target,
			  const struct vreg args[6])
{
	struct vframe *caller = cur(st), *nf;
	struct cbsnap *sn;

	for (int r = 1; r <= 5; r++)
		mark_not_init(&caller->regs[r]);
	mark_unknown(&caller->regs[0]);
	if (st->nframes >= VF_FRAMES) {
		refuse(e, st, -1, -1, "the callback would be frame %d; the limit is %d", st->nframes + 1,
		       VF_FRAMES);
		return false;
	}
	st->insn++;
	push_branch(e, st);		/* no call at all */
	st->insn--;
	sn = vmalloc(e, sizeof(*sn));
	nf = frame_new(e);
	if (!sn || !nf) {
		ub_free(e->rt, sn);
		ub_free(e->rt, nf);
		return false;
	}
	sn->refcnt = 1;
	sn->target = target;
	sn->nrefs = st->nrefs;
	memcpy(sn->args, args, sizeof(sn->args));
	for (int i = 0; i < st->nframes; i++) {
		sn->fr[i] = frame_dup(e, st->fr[i]);
		if (!sn->fr[i]) {
			sn->nframes = (uint8_t)i;
			snap_put(e, sn);
			ub_free(e->rt, nf);
			return false;
		}
		sn->nframes = (uint8_t)(i + 1);
	}
	for (int r = 1; r <= 5; r++)
		nf->regs[r] = args[r];
	nf->regs[10].type = UB_T_STACK;
	nf->regs[10].v = ub_sc_const(0);
	nf->regs[10].frameno = st->nframes;
	nf->callsite = st->insn;
	nf->subprog = e->sub_of[target];
	nf->cb = CB_SYNC;
	nf->epoch = ++e->next_epoch;
	nf->snap = sn;
	st->fr[st->nframes++] = nf;
	st->insn = target;
	return true;
}

/* Pushes the path of an asynchronous callback (a timer's): its own
 * frame and stack, r1-r3 = map, key, value. */
static bool push_async_cb(struct venv *e, struct vstate *st, uint32_t target, const struct vreg args[6])
{
	struct vstate a;
	struct vframe *nf = frame_new(e);

	if (!nf)
		return false;
	memset(&a, 0, sizeof(a));
	a.nframes = 1;
	a.fr[0] = nf;
	a.parent = st->parent;
	a.insn = target;
	for (int r = 1; r <= 5; r++)
		nf->regs[r] = args[r];
	nf->regs[10].type = UB_T_STACK;
	nf->regs[10].v = ub_sc_const(0);
	nf->callsite = st->insn;
	nf->subprog = e->sub_of[target];
	nf->cb = CB_ASYNC;
	nf->epoch = ++e->next_epoch;
	push_branch(e, &a);
	state_free(e, &a);
	return !e->err;
}

static bool do_helper(struct venv *e, struct vstate *st, bool *entered)
{
	uint32_t id = (uint32_t)e->insns[st->insn].imm;
	const struct ub_helper *h = ub_rt_helper(e->rt, id);
	const struct ub_vfy_hproto *hp = ub_vfy_hproto(id);
	const struct ub_helper_proto *pr;
	struct vframe *f = cur(st);
	const char *lname = ub_helper_linux_name(id);
	const char *hname;
	const struct ub_vfy_map *m = NULL;
	uint16_t map_ix = 0, field_map = 0;
	uint32_t release = 0, field_off = 0;
	int64_t func = -1;
	struct vreg cbctx, field_reg;
	uint64_t alloc_size = 0;

	*entered = false;
	mark_not_init(&cbctx);
	mark_not_init(&field_reg);
	if (!h) {
		refuse(e, st, -1, -1, "helper %u%s%s%s is not available", id, lname ? " (bpf_" : "",
		       lname ? lname : "", lname ? ")" : "");
		return false;
	}
	hname = h->name ? h->name : "the helper";
	pr = h->has_proto ? &h->proto : hp ? &hp->p : NULL;
	if (st->lock_map && id != UB_H_SPIN_UNLOCK) {
		refuse(e, st, -1, -1, "calls %s while holding a bpf_spin_lock: call bpf_spin_unlock first", hname);
		return false;
	}
	for (int i = 0; pr && i < 5; i++) {
		int at = pr->args[i], r = i + 1;
		struct vreg *a = &f->regs[r];
		if (at == UB_ARG_NONE)
			break;
		if (a->type == UB_T_NOT_INIT) {
			refuse(e, st, r, -1, "argument %d of %s (R%d) is not initialised", r, hname, r);
			return false;
		}
		switch (at) {
		case UB_ARG_ANY:
			if (e->o->strict && is_ptr(a->type)) {
				refuse(e, st, r, -1, "argument %d of %s is a pointer, which leaks an address", r, hname);
				return false;
			}
			break;
		case UB_ARG_CTX:
			if (a->type != UB_T_CTX || a->off) {
				refuse(e, st, r, -1, "argument %d of %s must be the context pointer as r1 was given", r, hname);
				return false;
			}
			break;
		case UB_ARG_MAP:
			if (a->type != UB_T_MAP_PTR) {
				refuse(e, st, r, -1, "argument %d of %s must be a map (lddw of a map), not %s", r,
				       hname, ub_rtype_name(a->type));
				return false;
			}
			m = reg_map(e, a);
			map_ix = a->map;
			if (m && !ub_vfy_map_helper_ok(m->type, id, hp)) {
				refuse(e, st, r, -1, "%s cannot be used with map %u, of type %u", hname,
				       a->map - 1, m->type);
				return false;
			}
			/* Linux's record_func_map: the helpers that change a map
			 * may not name one that is read-only for programs. */
			if (m && m->rdonly_prog && (id == 2 || id == 3 || id == 87 || id == 88)) {
				refuse(e, st, r, -1, "%s writes map %u, which is read-only for programs "
				       "(BPF_F_RDONLY_PROG): only lookups may use it", hname, a->map - 1);
				return false;
			}
			break;
		case UB_ARG_MAP_KEY: case UB_ARG_MAP_VALUE: case UB_ARG_MAP_VALUE_UNINIT:
		{
			/* a map the caller did not describe: its sizes are
			 * unknown, so at least one byte */
			uint32_t sz = !m ? 1 : at == UB_ARG_MAP_KEY ? m->key_size : m->value_size;
			if (!is_ptr(a->type) || is_or_null(a->type)) {
				refuse(e, st, r, -1, "argument %d of %s must point to the map's %s (%u bytes)", r,
				       hname, at == UB_ARG_MAP_KEY ? "key" : "value", sz);
				return false;
			}
			if (!check_mem_const(e, st, r, sz, at == UB_ARG_MAP_VALUE_UNINIT))
				return false;
			break;
		}
		case UB_ARG_MEM: case UB_ARG_MEM_UNINIT: case UB_ARG_MEM_OR_NULL: case UB_ARG_MEM_OR_NULL_W:
			if (i == 4 || f->regs[r + 1].type != UB_T_SCALAR) {
				refuse(e, st, r, r + 1, "argument %d of %s needs a size in R%d", r, hname, r + 1);
				return false;
			}
			if ((at == UB_ARG_MEM_OR_NULL || at == UB_ARG_MEM_OR_NULL_W) && is_const_zero(a)) {
				if (f->regs[r + 1].v.umax != 0) {
					refuse(e, st, r, r + 1, "argument %d of %s is NULL, so its size R%d must be 0",
					       r, hname, r + 1);
					return false;
				}
				break;
			}
			if (!is_ptr(a->type) || is_or_null(a->type)) {
				refuse(e, st, r, -1, "argument %d of %s must point to memory (R%d is %s)", r, hname,
				       r, a->type == UB_T_SCALAR ? "a number" : ub_rtype_name(a->type));
				return false;
			}
			if (!check_mem_arg(e, st, r, &f->regs[r + 1],
					   at == UB_ARG_MEM_UNINIT || at == UB_ARG_MEM_OR_NULL_W))
				return false;
			break;
		case UB_ARG_SIZE: case UB_ARG_SIZE_OR_ZERO:
			if (a->type != UB_T_SCALAR || (at == UB_ARG_SIZE && a->v.umin == 0)) {
				refuse(e, st, r, -1, "argument %d of %s must be a size%s", r, hname,
				       at == UB_ARG_SIZE ? " greater than 0" : "");
				return false;
			}
			break;
		case UB_ARG_CONST_SIZE:
			if (a->type != UB_T_SCALAR || !ub_sc_is_const(&a->v) || a->v.t.v > (1u << 29)) {
				refuse(e, st, r, -1, "argument %d of %s must be a known constant size", r, hname);
				return false;
			}
			alloc_size = a->v.t.v;
			break;
		case UB_ARG_RINGBUF_MEM:
			if (a->type != UB_T_MEM || !a->ref) {
				refuse(e, st, r, -1,
				       "argument %d of %s must be memory from bpf_ringbuf_reserve, checked against NULL (R%d is %s)",
				       r, hname, r, ub_rtype_name(a->type));
				return false;
			}
			if (a->off || !ub_sc_is_const(&a->v) || a->v.t.v) {
				refuse(e, st, r, -1, "argument %d of %s must point to the start of the reservation", r,
				       hname);
				return false;
			}
			release = a->ref;
			break;
		case UB_ARG_PTR_TO_LONG:
			if (!is_ptr(a->type) || is_or_null(a->type)) {
				refuse(e, st, r, -1, "argument %d of %s must point to 8 writable bytes", r, hname);
				return false;
			}
			if (!check_mem_const(e, st, r, 8, true))
				return false;
			break;
		case UB_ARG_CONST_STR: {
			const struct ub_vfy_map *sm = reg_map(e, a);
			if (a->type != UB_T_MAP_VALUE || !sm || !sm->rdonly_prog) {
				refuse(e, st, r, -1,
				       "argument %d of %s must point to a string in a read-only map (.rodata)", r, hname);
				return false;
			}
			if (!ub_sc_is_const(&a->v) || a->off + (int64_t)a->v.t.v < 0 ||
			    a->off + (int64_t)a->v.t.v >= (int64_t)a->mem_size) {
				refuse(e, st, r, -1, "argument %d of %s must be a constant address inside the map value", r,
				       hname);
				return false;
			}
			break;
		}
		case UB_ARG_STACK_OR_NULL:
			if (!is_const_zero(a) && a->type != UB_T_STACK) {
				refuse(e, st, r, -1, "argument %d of %s must be a stack pointer or 0", r, hname);
				return false;
			}
			cbctx = *a;
			break;
		case UB_ARG_SPIN_LOCK: case UB_ARG_TIMER:
			if (!check_map_field(e, st, r, hname, at == UB_ARG_TIMER ? "struct bpf_timer" : "struct bpf_spin_lock",
					     at == UB_ARG_TIMER ? 16 : 4, &field_off))
				return false;
			field_map = a->map;
			field_reg = *a;
			break;
		case UB_ARG_FUNC:
			if (a->type != UB_T_FUNC) {
				refuse(e, st, r, -1, "argument %d of %s must be a function", r, hname);
				return false;
			}
			func = a->off;
			break;
		default:
			break;
		}
	}
	/* what the helper does to the state */
	if (id == UB_H_TAIL_CALL && st->nrefs) {
		refuse(e, st, -1, -1,
		       "bpf_tail_call would leak the ringbuf memory reserved at insn %u: submit or discard it first",
		       st->ref_insn[0]);
		return false;
	}
	if (id == UB_H_TIMER_INIT && m && field_map != map_ix) {
		refuse(e, st, 1, 2, "the timer in R1 belongs to another map than the one in R2");
		return false;
	}
	if (id == UB_H_SPIN_LOCK && field_map) {
		st->lock_map = field_map;
		st->lock_off = field_off;
	} else if (id == UB_H_SPIN_UNLOCK && field_map) {
		if (st->lock_map != field_map || st->lock_off != field_off) {
			refuse(e, st, 1, -1, "bpf_spin_unlock of a lock that is not held here");
			return false;
		}
		st->lock_map = 0;
		st->lock_off = 0;
	}
	if (release)
		ref_release(e, st, release);
	if (func >= 0 && (id == UB_H_LOOP || id == UB_H_FOR_EACH)) {
		struct vreg args[6];
		memset(args, 0, sizeof(args));
		if (id == UB_H_LOOP) {
			mark_scalar(&args[1], ub_sc_unknown_bits(32));
			args[2] = cbctx;
		} else {
			args[1].type = UB_T_MAP_PTR;
			args[1].map = map_ix;
			args[1].v = ub_sc_const(0);
			args[2].type = UB_T_MAP_KEY;
			args[2].mem_size = m ? m->key_size : 0;
			args[2].v = ub_sc_const(0);
			args[3].type = UB_T_MAP_VALUE;
			args[3].mem_size = m ? m->value_size : 0;
			args[3].map = map_ix;
			args[3].v = ub_sc_const(0);
			args[4] = cbctx;
		}
		if (!enter_sync_cb(e, st, (uint32_t)func, args))
			return false;
		*entered = true;
		return true;
	}
	if (func >= 0 && id == UB_H_TIMER_SET_CB) {
		struct vreg args[6];
		const struct ub_vfy_map *tm = reg_map(e, &field_reg);
		memset(args, 0, sizeof(args));
		args[1].type = UB_T_MAP_PTR;
		args[1].map = field_reg.map;
		args[2].type = UB_T_MAP_KEY;
		args[2].mem_size = tm ? tm->key_size : 0;
		args[3].type = UB_T_MAP_VALUE;
		args[3].mem_size = field_reg.mem_size;
		args[3].map = field_reg.map;
		if (!push_async_cb(e, st, (uint32_t)func, args))
			return false;
	}
	for (int r = 1; r <= 5; r++)
		mark_not_init(&f->regs[r]);
	mark_unknown(&f->regs[0]);
	if (!pr)
		return true;
	if (pr->ret == UB_RET_VOID) {
		mark_not_init(&f->regs[0]);
	} else if (pr->ret == UB_RET_MAP_VALUE_OR_NULL || pr->ret == UB_RET_MEM_OR_NULL ||
		   pr->ret == UB_RET_RINGBUF_MEM_OR_NULL) {
		struct vreg *r0 = &f->regs[0];
		memset(r0, 0, sizeof(*r0));
		r0->type = pr->ret == UB_RET_MAP_VALUE_OR_NULL ? UB_T_MAP_VALUE_OR_NULL : UB_T_MEM_OR_NULL;
		r0->v = ub_sc_const(0);
		r0->id = ++e->next_id;
		r0->origin = st->insn;
		if (pr->ret == UB_RET_MAP_VALUE_OR_NULL && m) {
			if (m->type == UB_MAP_ARRAY_OF_MAPS || m->type == UB_MAP_HASH_OF_MAPS) {
				if (m->inner < 0 || (size_t)m->inner >= e->o->nmaps) {
					refuse(e, st, -1, -1, "map %u holds maps but names no inner map template",
					       map_ix - 1);
					return false;
				}
				r0->type = UB_T_MAP_PTR_OR_NULL;
				r0->map = (uint16_t)(m->inner + 1);
			} else {
				r0->mem_size = m->value_size;
				r0->map = map_ix;
			}
		}
		if (pr->ret == UB_RET_RINGBUF_MEM_OR_NULL) {
			if (st->nrefs == VF_REFS) {
				refuse(e, st, -1, -1, "more than %d ringbuf reservations held at once", VF_REFS);
				return false;
			}
			r0->mem_size = (uint32_t)alloc_size;
			r0->ref = r0->id;
			st->refs[st->nrefs] = r0->id;
			st->ref_insn[st->nrefs++] = st->insn;
		}
	}
	return true;
}

static bool do_local_call(struct venv *e, struct vstate *st, size_t target)
{
	struct vframe *caller = cur(st), *nf;

	if (st->lock_map) {
		refuse(e, st, -1, -1, "calls a function while holding a bpf_spin_lock: call bpf_spin_unlock first");
		return false;
	}
	if (st->nframes >= VF_FRAMES) {
		refuse(e, st, -1, -1, "the call chain would be %d frames deep; the limit is %d",
		       st->nframes + 1, VF_FRAMES);
		return false;
	}
	nf = frame_new(e);
	if (!nf)
		return false;
	for (int r = 1; r <= 5; r++)
		nf->regs[r] = caller->regs[r];
	nf->regs[10].type = UB_T_STACK;
	nf->regs[10].v = ub_sc_const(0);
	nf->regs[10].frameno = st->nframes;
	nf->callsite = st->insn;
	nf->subprog = e->sub_of[target];
	st->fr[st->nframes++] = nf;
	st->insn = (uint32_t)target;
	return true;
}

/* One stack byte that may be o or c. */
static uint8_t byte_join(const struct venv *e, uint8_t o, uint8_t c)
{
	if (o == S_SPILL)
		o = S_MISC;
	if (c == S_SPILL)
		c = S_MISC;
	if (o == c)
		return o;
	if (o == S_INVALID || c == S_INVALID)
		return e->uninit_ok ? S_MISC : S_INVALID;
	return S_MISC;
}

/* Widens frame c so that it also describes o (a caller frame of a
 * callback at its previous entry); true when o already covered c. */
static bool frame_join(struct venv *e, struct vframe *c, const struct vframe *o)
{
	struct idmap m = { .n = 0 };
	struct fview ov = view_full(o), cv = view_full(c);

	if (frame_covers(&ov, &cv, &m, 0xffff, ~0ull, 0xffff, e->uninit_ok))
		return true;
	for (int k = 0; k < VF_STACK / 8; k++) {
		uint8_t *cs = &c->slot[k * 8];
		const uint8_t *os = &o->slot[k * 8];
		if (cs[0] == S_SPILL && os[0] == S_SPILL) {
			struct vreg *cr = &c->spill[k];
			const struct vreg *orr = &o->spill[k];
			struct idmap m2 = { .n = 0 };
			if (cr->type == UB_T_SCALAR && orr->type == UB_T_SCALAR) {
				if (ub_sc_in(&orr->v, &cr->v))
					*cr = *orr;
				else
					mark_unknown(cr);
				cr->id = 0;
				continue;
			}
			if (reg_covers(orr, cr, &m2, true, true)) {
				*cr = *orr;
				continue;
			}
		}
		for (int j = 0; j < 8; j++)
			cs[j] = byte_join(e, os[j], cs[j]);
	}
	for (int r = 0; r < 11; r++) {
		struct idmap m3 = { .n = 0 };
		if (!reg_covers(&o->regs[r], &c->regs[r], &m3, true, true)) {
			/* callbacks do not change their callers' registers; be safe */
			if (o->regs[r].type == UB_T_SCALAR && c->regs[r].type == UB_T_SCALAR)
				mark_unknown(&c->regs[r]);
			else
				mark_not_init(&c->regs[r]);
		}
	}
	return false;
}

/* At a return from a synchronous callback: explores one more call of it
 * unless its last entry already covers this one. */
static bool recall_cb(struct venv *e, struct vstate *st)
{
	struct vframe *f = cur(st), *nf;
	struct cbsnap *old = f->snap, *sn;
	struct vstate s2;
	bool covered = true;

	if (!old)
		return true;
	if (!state_copy(e, &s2, st))
		return false;
	frame_free(e, s2.fr[--s2.nframes]);
	s2.fr[s2.nframes] = NULL;
	for (int i = 0; i < s2.nframes && i < old->nframes; i++)
		if (!frame_join(e, s2.fr[i], old->fr[i]))
			covered = false;
	if (covered) {
		state_free(e, &s2);
		return true;
	}
	sn = vmalloc(e, sizeof(*sn));
	nf = frame_new(e);
	if (!sn || !nf) {
		ub_free(e->rt, sn);
		ub_free(e->rt, nf);
		state_free(e, &s2);
		return false;
	}
	*sn = *old;
	sn->refcnt = 1;
	for (int i = 0; i < s2.nframes; i++) {
		sn->fr[i] = frame_dup(e, s2.fr[i]);
		if (!sn->fr[i]) {
			sn->nframes = (uint8_t)i;
			snap_put(e, sn);
			ub_free(e->rt, nf);
			state_free(e, &s2);
			return false;
		}
	}
	sn->nframes = s2.nframes;
	for (int r = 1; r <= 5; r++)
		nf->regs[r] = old->args[r];
	nf->regs[10].type = UB_T_STACK;
	nf->regs[10].v = ub_sc_const(0);
	nf->regs[10].frameno = s2.nframes;
	nf->callsite = f->callsite;
	nf->subprog = f->subprog;
	nf->cb = CB_SYNC;
	nf->epoch = ++e->next_epoch;
	nf->snap = sn;
	s2.fr[s2.nframes++] = nf;
	s2.insn = old->target;
	push_branch(e, &s2);
	state_free(e, &s2);
	return !e->err;
}

/* Returns false when the path ends (exit from the main program). */
static bool do_exit(struct venv *e, struct vstate *st, bool *ok)
{
	struct vframe *f = cur(st);
	struct vreg *r0 = &f->regs[0];

	*ok = false;
	if (r0->type == UB_T_NOT_INIT) {
		refuse(e, st, 0, -1, "R0 is not set at exit: the program must return a value");
		return false;
	}
	if (f->cb != CB_NONE) {
		int64_t hi = f->cb == CB_SYNC ? 1 : 0;
		if (r0->type != UB_T_SCALAR || r0->v.smin < 0 || r0->v.smax > hi) {
			refuse(e, st, 0, -1, "a %s callback must return %s", f->cb == CB_SYNC ? "loop" : "timer",
			       f->cb == CB_SYNC ? "0 or 1" : "0");
			return false;
		}
	}
	if (st->lock_map && (st->nframes == 1 || f->cb != CB_NONE)) {
		refuse(e, st, -1, -1, "exits while holding a bpf_spin_lock: call bpf_spin_unlock first");
		return false;
	}
	if ((st->nframes == 1 && st->nrefs) ||
	    (f->cb == CB_SYNC && f->snap && st->nrefs != f->snap->nrefs)) {
		if (st->nrefs)
			refuse(e, st, -1, -1,
			       "the ringbuf memory reserved at insn %u is neither submitted nor discarded on this path: call bpf_ringbuf_submit or bpf_ringbuf_discard",
			       st->ref_insn[st->nrefs - 1]);
		else
			refuse(e, st, -1, -1, "a callback may not release memory its caller reserved");
		return false;
	}
	if (st->nframes == 1) {
		if (f->cb == CB_ASYNC) {
			*ok = true;
			return false;
		}
		if (r0->type != UB_T_SCALAR && e->o->strict) {
			refuse(e, st, 0, -1, "returns a pointer, which leaks an address");
			return false;
		}
		if (e->o->check_return && (r0->type != UB_T_SCALAR || r0->v.smin < e->o->ret_min ||
					   r0->v.smax > e->o->ret_max)) {
			refuse(e, st, 0, -1, "the return value must lie in [%lld, %lld] for this program type",
			       (long long)e->o->ret_min, (long long)e->o->ret_max);
			return false;
		}
		e->res->exit_reachable = true;
		*ok = true;
		return false;
	}
	{
		struct vreg ret = *r0;
		uint32_t site = f->callsite;
		bool cb = f->cb == CB_SYNC;
		struct vframe *caller;

		if (ret.type == UB_T_STACK && ret.frameno == st->nframes - 1) {
			refuse(e, st, 0, -1, "returns a pointer into its own stack frame, which ends here");
			return false;
		}
		if (cb && !recall_cb(e, st))
			return false;
		frame_free(e, f);
		st->fr[--st->nframes] = NULL;
		caller = cur(st);
		for (int r = 1; r <= 5; r++)
			mark_not_init(&caller->regs[r]);
		if (cb)
			mark_unknown(&caller->regs[0]); /* the helper's result */
		else
			caller->regs[0] = ret;
		st->insn = site + 1;
		*ok = true;
		return true;
	}
}

/* ---- one instruction ---- */

enum { STEP_NEXT, STEP_END, STEP_REFUSE };

static int step(struct venv *e, struct vstate *st)
{
	const struct ub_dinsn *x = &e->d[st->insn];
	const struct ub_opinfo *oi;
	struct vframe *f = cur(st);

	if (x->op >= UB_OP__COUNT) {
		refuse(e, st, -1, -1, "execution reaches the second half of lddw");
		return STEP_REFUSE;
	}
	oi = &ub_opinfo[x->op];
	{
		uint16_t rd, wr;
		ub_insn_regs(x, &rd, &wr);
		if (wr & (1u << 10) && oi->fmt != F_CALL && oi->fmt != F_CALL_LOCAL) {
			refuse(e, st, 10, -1, "R10 is the read-only frame pointer: copy it to another register first");
			return STEP_REFUSE;
		}
	}
	if (e->o->log_level >= 2) {
		char text[96], regs[512];
		size_t n = 0;
		regs[0] = 0;
		for (int r = 0; r <= 10 && n < sizeof(regs); r++)
			if (f->regs[r].type != UB_T_NOT_INIT) {
				n += (size_t)snprintf(regs + n, sizeof(regs) - n, " ");
				if (n < sizeof(regs))
					n += (size_t)fmt_reg(regs + n, sizeof(regs) - n, r, &f->regs[r]);
			}
		vlog(e, "%u: %s ;%s\n", st->insn, ins_text(e, st->insn, text, sizeof(text)), regs);
	}
	switch (oi->fmt) {
	case F_ALU_K: case F_ALU_X: case F_NEG: case F_MOVSX: case F_END: case F_BSWAP: {
		bool in_rel = const_inputs_relevant(e, st->insn, x);

		if (!do_alu(e, st, x))
			return STEP_REFUSE;
		/* a 32-bit result: the JIT zero-extends it (conservatively,
		 * whether or not the upper half is read later) */
		if (UB_CLASS(oi->code) == UB_CLS_ALU)
			note_fact(e, st->insn, UB_FACT_ZEXT_NEEDED);
		note_const(e, st->insn, x, &f->regs[x->dst], in_rel);
		break;
	}
	case F_LDDW:
		if (x->op == UB_OP_LDDW) {
			mark_scalar(&f->regs[x->dst], ub_sc_const((uint64_t)x->imm));
		} else if (x->op == UB_OP_LDDW_CODE) {
			memset(&f->regs[x->dst], 0, sizeof(struct vreg));
			f->regs[x->dst].type = UB_T_FUNC;
			f->regs[x->dst].off = x->off;
			f->regs[x->dst].v = ub_sc_const(0);
		} else if (x->op == UB_OP_LDDW_MAP_FD || x->op == UB_OP_LDDW_MAP_VALUE) {
			uint32_t ix = (uint32_t)e->insns[st->insn].imm;
			int32_t voff = e->insns[st->insn + 1].imm;
			const struct ub_vfy_map *m;
			struct vreg *r = &f->regs[x->dst];
			if (ix >= e->o->nmaps || ix >= 0xffff) {
				refuse(e, st, -1, -1, "lddw names map %u, but the program has %zu map%s", ix,
				       e->o->nmaps, e->o->nmaps == 1 ? "" : "s");
				return STEP_REFUSE;
			}
			m = &e->o->maps[ix];
			memset(r, 0, sizeof(*r));
			r->v = ub_sc_const(0);
			r->map = (uint16_t)(ix + 1);
			r->origin = st->insn;
			if (x->op == UB_OP_LDDW_MAP_FD) {
				if (voff) {
					refuse(e, st, -1, -1, "lddw of map %u: the second slot's imm must be 0", ix);
					return STEP_REFUSE;
				}
				r->type = UB_T_MAP_PTR;
			} else {
				if (!m->direct_value) {
					refuse(e, st, -1, -1,
					       "lddw of a value of map %u: only single-entry arrays (globals) can be addressed directly",
					       ix);
					return STEP_REFUSE;
				}
				if (voff < 0 || (uint32_t)voff >= m->value_size) {
					refuse(e, st, -1, -1, "lddw of map %u's value at offset %d: the value has %u bytes",
					       ix, voff, m->value_size);
					return STEP_REFUSE;
				}
				r->type = UB_T_MAP_VALUE;
				r->off = voff;
				r->mem_size = m->value_size;
			}
		} else {
			refuse(e, st, -1, -1, "lddw of a BTF variable or of a map by fd index is not supported");
			return STEP_REFUSE;
		}
		st->insn += 2;
		return STEP_NEXT;
	case F_LDX: case F_LDXS: {
		struct vreg out;
		if (!check_init(e, st, x->src))
			return STEP_REFUSE;
		memset(&out, 0, sizeof(out));
		if (!mem_access(e, st, x->src, (int16_t)x->off, ub_opinfo[x->op].width, false, true, NULL, 0,
				&out, oi->fmt == F_LDXS))
			return STEP_REFUSE;
		if (out.type == UB_T_SCALAR && oi->width < 8 && oi->fmt == F_LDX)
			out.v = ub_sc_trunc(&out.v, oi->width * 8);
		f->regs[x->dst] = out;
		break;
	}
	case F_ST:
		if (!check_init(e, st, x->dst) ||
		    !mem_access(e, st, x->dst, (int16_t)x->off, oi->width, true, false, NULL, x->imm, NULL, false))
			return STEP_REFUSE;
		break;
	case F_STX: {
		struct vreg val;
		if (!check_init(e, st, x->dst) || !check_init(e, st, x->src))
			return STEP_REFUSE;
		/* a spilled number stays linked to the register it came from */
		if (oi->width == 8 && f->regs[x->src].type == UB_T_SCALAR &&
		    !ub_sc_is_const(&f->regs[x->src].v) && !f->regs[x->src].id &&
		    f->regs[x->dst].type == UB_T_STACK)
			f->regs[x->src].id = ++e->next_id;
		val = f->regs[x->src];
		if (oi->width < 8 && is_ptr(val.type)) {
			if (e->o->strict) {
				refuse(e, st, x->src, -1, "stores part of a pointer, which leaks an address");
				return STEP_REFUSE;
			}
			mark_unknown(&val);
		}
		if (!mem_access(e, st, x->dst, (int16_t)x->off, oi->width, true, false, &val, 0, NULL, false))
			return STEP_REFUSE;
		break;
	}
	case F_ATOMIC: {
		struct vreg *p = &f->regs[x->dst];
		bool cmpx = x->op == UB_OP_ATOMIC32_CMPXCHG || x->op == UB_OP_ATOMIC64_CMPXCHG;
		if (!check_init(e, st, x->dst) || !check_init(e, st, x->src) ||
		    (cmpx && !check_init(e, st, 0)))
			return STEP_REFUSE;
		if (f->regs[x->src].type != UB_T_SCALAR && e->o->strict) {
			refuse(e, st, x->src, -1, "an atomic operation with a pointer leaks an address");
			return STEP_REFUSE;
		}
		if (p->type != UB_T_STACK && p->type != UB_T_MAP_VALUE && p->type != UB_T_MEM) {
			if (is_ptr(p->type) && !is_or_null(p->type)) {
				refuse(e, st, x->dst, -1, "atomic operations work on the stack and map values, not on %s memory",
				       ub_rtype_name(p->type));
				return STEP_REFUSE;
			}
		}
		/* A variable offset too must keep the address aligned: its
		 * low bits must be known (Linux checks the tnum the same way,
		 * in check_generic_ptr_alignment). */
		if (is_ptr(p->type) &&
		    ((p->v.t.m & (uint64_t)(oi->width - 1)) ||
		     (((int64_t)p->off + x->off + (int64_t)p->v.t.v) % oi->width))) {
			refuse(e, st, x->dst, -1, "misaligned atomic access: the address must be a multiple of %u",
			       oi->width);
			return STEP_REFUSE;
		}
		{
			/* the old value of a slot holding a spilled register is
			 * that register (Linux fetches it whole) */
			struct vreg old;
			int64_t at = (int64_t)p->off + x->off + (int64_t)p->v.t.v;
			mark_scalar(&old, ub_sc_unknown_bits(oi->width * 8));
			if (p->type == UB_T_STACK && ub_sc_is_const(&p->v) && oi->width == 8 &&
			    at >= -VF_STACK && at < 0 && !(at & 7) &&
			    st->fr[p->frameno]->slot[VF_STACK + at] == S_SPILL)
				old = st->fr[p->frameno]->spill[(VF_STACK + at) / 8];
			if (!mem_access(e, st, x->dst, (int16_t)x->off, oi->width, true, true, NULL, 0, NULL, false))
				return STEP_REFUSE;
			if (cmpx)
				f->regs[0] = old;
			else if (x->imm & 1)
				f->regs[x->src] = old;
		}
		/* a 32-bit cmpxchg leaves r0 = the old value zero-extended,
		 * which the JIT must do explicitly (as for ALU32 results) */
		if (x->op == UB_OP_ATOMIC32_CMPXCHG)
			note_fact(e, st->insn, UB_FACT_ZEXT_NEEDED);
		break;
	}
	case F_LDABS: case F_LDIND:
		if (st->nframes > 1) {
			refuse(e, st, -1, -1,
			       "legacy packet loads are not allowed in called functions (as on Linux without BTF)");
			return STEP_REFUSE;
		}
		if (f->regs[6].type != UB_T_CTX) {
			refuse(e, st, 6, -1, "legacy packet loads need the context in R6");
			return STEP_REFUSE;
		}
		if (st->nrefs || st->lock_map) {
			refuse(e, st, -1, -1,
			       "a legacy packet load may end the program, which would leak a ringbuf reservation or a held lock");
			return STEP_REFUSE;
		}
		if (oi->fmt == F_LDIND && !check_init(e, st, x->src))
			return STEP_REFUSE;
		for (int r = 1; r <= 5; r++)
			mark_not_init(&f->regs[r]);
		mark_scalar(&f->regs[0], ub_sc_unknown_bits(oi->width * 8));
		break;
	case F_JA: case F_JA32:
		st->insn = (uint32_t)x->off;
		return STEP_NEXT;
	case F_JMP_K: case F_JMP_X: {
		struct vstate t;
		bool fall, take;
		uint32_t at = st->insn;
		memset(&t, 0, sizeof(t));
		if (!do_jcc(e, st, x, &fall, &take, &t)) {
			state_free(e, &t);
			return STEP_REFUSE;
		}
		if (take) {
			t.insn = (uint32_t)x->off;
			trail(&t, at, true);
			if (fall)
				push_branch(e, &t);
		}
		if (fall) {
			state_free(e, &t);
			st->insn++;
			trail(st, at, false);
			return STEP_NEXT;
		}
		if (!take) {
			state_free(e, &t);
			return STEP_END; /* cannot happen: one side is always feasible */
		}
		/* only the jump: continue on t */
		state_free(e, st);
		*st = t;
		return STEP_NEXT;
	}
	case F_CALL: {
		bool entered;
		if (!do_helper(e, st, &entered))
			return STEP_REFUSE;
		if (entered)
			return STEP_NEXT;
		break;
	}
	case F_CALL_LOCAL:
		return do_local_call(e, st, (size_t)x->off) ? STEP_NEXT : STEP_REFUSE;
	case F_CALLX:
		refuse(e, st, x->dst, -1, "indirect calls (callx) are not supported: call the function directly");
		return STEP_REFUSE;
	case F_CALL_KFUNC:
		refuse(e, st, -1, -1, "kfunc calls are not supported");
		return STEP_REFUSE;
	case F_EXIT: {
		bool ok;
		if (do_exit(e, st, &ok))
			return STEP_NEXT;
		return ok ? STEP_END : STEP_REFUSE;
	}
	default:
		refuse(e, st, -1, -1, "unknown instruction");
		return STEP_REFUSE;
	}
	st->insn++;
	return STEP_NEXT;
}

/* ---- the control flow graph, before exploring ---- */

static bool check_cfg(struct venv *e)
{
	size_t n = e->cnt;
	uint8_t *seen = vmalloc(e, n);
	uint32_t *work = vmalloc(e, n * sizeof(*work) + 1);
	bool *entry = vmalloc(e, n);
	size_t nw = 0, s = 0;
	bool ok = true;

	if (!seen || !work || !entry) {
		ub_free(e->rt, seen);
		ub_free(e->rt, work);
		ub_free(e->rt, entry);
		return false;
	}
	entry[0] = true;
	for (size_t i = 0; i < n; i++)
		if (e->d[i].op == UB_OP_CALL_LOCAL || e->d[i].op == UB_OP_LDDW_CODE)
			entry[e->d[i].off] = true;
	for (size_t i = 0; i < n; i++) {
		if (entry[i]) {
			e->sub_start[e->nsub] = (uint32_t)i;
			s = e->nsub++;
		}
		e->sub_of[i] = (uint32_t)s;
	}
#define PUSHW(t)                                                               \
	do {                                                                   \
		size_t _t = (t);                                               \
		if (_t < n && !seen[_t]) {                                     \
			seen[_t] = 1;                                          \
			work[nw++] = (uint32_t)_t;                             \
		}                                                              \
	} while (0)
	PUSHW(0);
	while (nw && ok) {
		uint32_t i = work[--nw];
		const struct ub_dinsn *x = &e->d[i];

		if (x->op >= UB_OP__COUNT)
			continue;
		if (ub_op_is_jump(x->op)) {
			if (e->sub_of[x->off] != e->sub_of[i]) {
				struct vstate fake = { .insn = i };
				refuse(e, &fake, -1, -1, "jumps into another function (insn %d)", x->off);
				ok = false;
				break;
			}
			PUSHW((size_t)x->off);
		}
		if (x->op == UB_OP_CALL_LOCAL || x->op == UB_OP_LDDW_CODE)
			PUSHW((size_t)x->off);
		if (!ub_op_ends_block(x->op)) {
			size_t next = i + (ub_opinfo[x->op].fmt == F_LDDW ? 2 : 1);
			if (next >= n || e->sub_of[next] != e->sub_of[i]) {
				struct vstate fake = { .insn = i };
				refuse(e, &fake, -1, -1, "execution falls off the end of the function");
				ok = false;
				break;
			}
			PUSHW(next);
		}
	}
#undef PUSHW
	for (size_t i = 0; ok && i < n; i++) {
		int fmt = e->d[i].op < UB_OP__COUNT ? ub_opinfo[e->d[i].op].fmt : -1;
		if (e->sub_of[i] != 0 && (fmt == F_LDABS || fmt == F_LDIND)) {
			struct vstate fake = { .insn = (uint32_t)i };
			refuse(e, &fake, -1, -1,
			       "legacy packet loads are not allowed in called functions (as on Linux without BTF)");
			ok = false;
			break;
		}
		if (!seen[i] && e->d[i].op != UB_OP__LDDW_HI) {
			struct vstate fake = { .insn = (uint32_t)i };
			refuse(e, &fake, -1, -1, "instruction %zu is unreachable: remove it or jump to it", i);
			ok = false;
		}
	}
	/* every lddw names a map that exists, in a form we know, on paths
	 * that run or not (as Linux resolves them before exploring) */
	for (size_t i = 0; ok && i + 1 < n; i++) {
		uint16_t op = e->d[i].op;
		uint32_t ix = (uint32_t)e->insns[i].imm;
		int32_t hi = e->insns[i + 1].imm;
		struct vstate fake = { .insn = (uint32_t)i };

		if (op == UB_OP_LDDW_BTF_VAR || op == UB_OP_LDDW_MAP_IDX || op == UB_OP_LDDW_MAP_IDX_VALUE) {
			refuse(e, &fake, -1, -1, "lddw of a BTF variable or of a map by fd index is not supported");
			ok = false;
		} else if ((op == UB_OP_LDDW_MAP_FD || op == UB_OP_LDDW_MAP_VALUE) && ix >= e->o->nmaps) {
			refuse(e, &fake, -1, -1, "lddw names map %u, but the program has %zu map%s", ix,
			       e->o->nmaps, e->o->nmaps == 1 ? "" : "s");
			ok = false;
		} else if (op == UB_OP_LDDW_MAP_FD && hi) {
			refuse(e, &fake, -1, -1, "lddw of map %u: the second slot's imm must be 0", ix);
			ok = false;
		} else if (op == UB_OP_LDDW_MAP_VALUE &&
			   (!e->o->maps[ix].direct_value || hi < 0 || (uint32_t)hi >= e->o->maps[ix].value_size)) {
			refuse(e, &fake, -1, -1,
			       "lddw of map %u's value at offset %d: only single-entry arrays (globals) can be addressed directly, inside their %u-byte value",
			       ix, hi, e->o->maps[ix].value_size);
			ok = false;
		}
	}
	/* prune points: jump targets and the instructions after jumps and calls */
	for (size_t i = 0; i < n; i++) {
		const struct ub_dinsn *x = &e->d[i];
		if (ub_op_is_jump(x->op)) {
			e->prune[x->off] = true;
			if (i + 1 < n)
				e->prune[i + 1] = true;
		}
		if ((x->op == UB_OP_CALL_LOCAL || x->op == UB_OP_CALL) && i + 1 < n)
			e->prune[i + 1] = true;
	}
	ub_free(e->rt, seen);
	ub_free(e->rt, work);
	ub_free(e->rt, entry);
	return ok;
}

/* ---- the entry state ---- */

static bool entry_state(struct venv *e, struct vstate *st)
{
	struct vframe *f = frame_new(e);
	const struct ub_vfy_opts *o = e->o;

	if (!f)
		return false;
	memset(st, 0, sizeof(*st));
	st->nframes = 1;
	st->fr[0] = f;
	f->regs[10].type = UB_T_STACK;
	f->regs[10].v = ub_sc_const(0);
	if (!o->entry) {
		f->regs[1].type = UB_T_CTX;
		f->regs[1].v = ub_sc_const(0);
	}
	for (size_t i = 0; i < o->nentry; i++) {
		const struct ub_vfy_entry_reg *er = &o->entry[i];
		struct vreg *r;
		if (er->reg > 9)
			continue;
		r = &f->regs[er->reg];
		memset(r, 0, sizeof(*r));
		r->type = er->type;
		r->off = er->off;
		r->mem_size = er->mem_size;
		r->v = er->type == UB_T_SCALAR ? ub_sc_unknown() : ub_sc_const(0);
		if (er->type == UB_T_PACKET || er->type == UB_T_PACKET_META) {
			r->id = 1; /* one packet: pointers at entry share its range */
			r->range = o->packet_size_min;
		}
		if (er->has_srange || er->has_urange) {
			if (er->type != UB_T_SCALAR)
				r->v = ub_sc_unknown();
			if (er->has_srange) {
				r->v.smin = er->smin;
				r->v.smax = er->smax;
			}
			if (er->has_urange) {
				r->v.umin = er->umin;
				r->v.umax = er->umax;
			}
			if (!ub_sc_sync(&r->v)) {
				refuse(e, NULL, -1, -1, "the entry state of r%u is empty", er->reg);
				return false;
			}
		}
	}
	for (size_t i = 0; i < o->nstack_init; i++) {
		int32_t from = o->stack_init[i][0], to = o->stack_init[i][1];
		for (int32_t b = from; b < to; b++)
			if (b >= -VF_STACK && b < 0)
				f->slot[VF_STACK + b] = S_MISC;
	}
	e->next_id = 16;
	return true;
}

/* ---- the driver ---- */

static void stack_depth_check(struct venv *e)
{
	/* deepest sum of frames, each rounded up to 32 bytes as Linux does,
	 * along the static call graph (depth-first, at most 8 deep) */
	uint32_t best = 0;
	struct { uint32_t sub, idx, sum; } stk[VF_FRAMES + 1];
	int sp = 0;

	stk[0].sub = 0;
	stk[0].idx = e->sub_start[0];
	stk[0].sum = (e->sub_depth[0] + 31) & ~31u;
	while (sp >= 0 && !e->refused) {
		uint32_t s = stk[sp].sub, end = s + 1 < e->nsub ? e->sub_start[s + 1] : (uint32_t)e->cnt;
		if (stk[sp].sum > best)
			best = stk[sp].sum;
		if (stk[sp].sum > VF_STACK) {
			struct vstate fake = { .insn = e->sub_start[s] };
			refuse(e, &fake, -1, -1,
			       "the stack used along a chain of calls is %u bytes; the limit is %u", stk[sp].sum,
			       VF_STACK);
			break;
		}
		/* a callback (lddw src=4) runs on top of the frame that names it */
		while (stk[sp].idx < end && e->d[stk[sp].idx].op != UB_OP_CALL_LOCAL &&
		       e->d[stk[sp].idx].op != UB_OP_LDDW_CODE)
			stk[sp].idx++;
		if (stk[sp].idx < end && sp + 1 == VF_FRAMES) {
			/* as Linux, on the static call graph: a call that would
			 * make a 9th frame is refused even on a path no run takes */
			struct vstate fake = { .insn = stk[sp].idx };
			refuse(e, &fake, -1, -1,
			       "the calls can nest more than %d frames deep (is a function recursive?)",
			       VF_FRAMES);
			break;
		}
		if (stk[sp].idx >= end) {
			sp--;
			if (sp >= 0)
				stk[sp].idx++;
			continue;
		}
		{
			uint32_t t = e->sub_of[e->d[stk[sp].idx].off];
			stk[sp + 1].sub = t;
			stk[sp + 1].idx = e->sub_start[t];
			stk[sp + 1].sum = stk[sp].sum + ((e->sub_depth[t] + 31) & ~31u);
			sp++;
		}
	}
	e->res->max_stack = best;
}

int ub_verify(struct userbpf_rt *rt, const struct ub_dinsn *d, const struct userbpf_insn *insns,
	      size_t cnt, const struct ub_vfy_opts *opts, struct ub_vfy_result *res)
{
	static const struct ub_vfy_opts defaults = { .ctx_size = 0 };
	struct venv e;
	struct vstate st;
	int err;

	memset(res, 0, sizeof(*res));
	memset(&e, 0, sizeof(e));
	memset(&st, 0, sizeof(st));
	e.rt = rt;
	e.d = d;
	e.insns = insns;
	e.cnt = cnt;
	e.o = opts ? opts : &defaults;
	e.res = res;
	e.budget = e.o->max_insns ? e.o->max_insns : 1000000;
	e.ck = vmalloc(&e, cnt * sizeof(*e.ck));
	e.live_cap = 1u << 16;
	e.live = vmalloc(&e, e.live_cap * sizeof(*e.live));
	e.prune = vmalloc(&e, cnt);
	e.sub_of = vmalloc(&e, cnt * sizeof(*e.sub_of));
	e.sub_start = vmalloc(&e, (cnt + 1) * sizeof(*e.sub_start));
	e.sub_depth = vmalloc(&e, (cnt + 1) * sizeof(*e.sub_depth));
	e.rel_r = vmalloc(&e, cnt * sizeof(*e.rel_r));
	e.cstate = vmalloc(&e, cnt + 1);
	res->consts = vmalloc(&e, (cnt + 1) * sizeof(*res->consts));
	e.rel_s = vmalloc(&e, cnt * sizeof(*e.rel_s));
	e.live_r = vmalloc(&e, cnt * sizeof(*e.live_r));
	res->facts = vmalloc(&e, cnt + 1);
	res->bounds = vmalloc(&e, (cnt + 1) * sizeof(*res->bounds));
	e.uninit_ok = !e.o->strict && !e.o->uninit_stack_is_error;
	if (e.err)
		goto out;
	if (!check_cfg(&e) || !entry_state(&e, &st))
		goto out;
	{
		struct ub_rel_opts ro = { .check_return = e.o->check_return,
					  .div_by_zero_is_error = e.o->div_by_zero_is_error,
					  .main_end = e.nsub > 1 ? e.sub_start[1] : cnt };
		e.err = ub_vfy_relevance(rt, d, cnt, &ro, e.rel_r, e.rel_s, e.live_r);
		if (e.err)
			goto out;
	}
	for (;;) {
		int r;

		if (e.err || e.refused)
			break;
		if (res->processed++ >= e.budget) {
			refuse(&e, &st, -1, -1,
			       "%llu instructions processed without finishing: a loop may not terminate, or the program is too complex",
			       (unsigned long long)e.budget);
			break;
		}
		if (e.prune[st.insn]) {
			int v = visit(&e, &st);
			if (v == VISIT_LOOP) {
				refuse(&e, &st, -1, -1,
				       "infinite loop: this instruction is reached again with the same state");
				break;
			}
			if (v == VISIT_PRUNE) {
				r = STEP_END;
				goto path_end;
			}
		}
		{
			bool jmp = ub_op_is_jump(e.d[st.insn].op);
			r = step(&e, &st);
			st.since_insns++;
			st.since_jmps += jmp;
		}
		if (r == STEP_NEXT)
			continue;
		if (r == STEP_REFUSE)
			break;
path_end:
		branch_done(&e, st.parent);
		state_free(&e, &st);
		if (!e.nstack)
			break;
		st = *e.stack[--e.nstack];
		ub_free(rt, e.stack[e.nstack]);
	}
	if (!e.refused && !e.err)
		stack_depth_check(&e);
	res->accepted = !e.refused && !e.err;
out:
	err = e.err;
	state_free(&e, &st);
	while (e.nstack) {
		struct vstate *s = e.stack[--e.nstack];
		state_free(&e, s);
		ub_free(rt, s);
	}
	ub_free(rt, e.stack);
	for (size_t i = 0; e.ck && i < cnt; i++) {
		struct ckpt *c = e.ck[i];
		while (c) {
			struct ckpt *nx = c->next;
			ckpt_free(&e, c);
			c = nx;
		}
	}
	for (size_t i = 0; e.live && i < e.live_cap; i++) {
		struct ckpt *c = e.live[i];
		while (c) {
			struct ckpt *nx = c->hnext;
			ckpt_free(&e, c);
			c = nx;
		}
	}
	ub_free(rt, e.ck);
	ub_free(rt, e.live);
	ub_free(rt, e.prune);
	ub_free(rt, e.sub_of);
	ub_free(rt, e.sub_start);
	ub_free(rt, e.sub_depth);
	ub_free(rt, e.rel_r);
	ub_free(rt, e.cstate);
	ub_free(rt, e.rel_s);
	ub_free(rt, e.live_r);
	res->log = e.log;
	res->log_len = e.log_len;
	if (err)
		res->accepted = false;
	return err;
}

void ub_vfy_result_free(struct userbpf_rt *rt, struct ub_vfy_result *res)
{
	if (!res)
		return;
	ub_free(rt, res->log);
	ub_free(rt, res->facts);
	ub_free(rt, res->bounds);
	ub_free(rt, res->consts);
	res->consts = NULL;
	res->log = NULL;
	res->facts = NULL;
	res->bounds = NULL;
}
