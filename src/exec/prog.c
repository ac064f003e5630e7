/* SPDX-License-Identifier: MIT */
/*
 * prog.c - loading a program (decode, validate, resolve helpers) and
 * running it in the chosen engine.  This is the public face of src/exec.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include "exec/jit_internal.h"
#include "maps/map.h"
#include "progtypes/progtypes.h"
#include "platform/platform.h"
#include "verifier/verifier.h"

static void prog_free(struct userbpf_prog *prog)
{
	struct userbpf_rt *rt;

	if (!prog)
		return;
	rt = prog->rt;
	ub_timers_forget(rt, prog, NULL);
	ub_jit_free(prog);
	if (prog->id)
		ub_rt_id_del(rt, prog->id);
	for (size_t i = 0; i < prog->map_cnt; i++)
		ub_map_put(prog->maps[i]);
	ub_free(rt, prog->maps);
	ub_free(rt, prog->vfy_facts);
	ub_free(rt, prog->vfy_bounds);
	ub_free(rt, prog->vfy_consts);
	ub_free(rt, prog->name);
	ub_free(rt, prog->insns);
	ub_free(rt, prog->d);
	ub_free(rt, prog);
}

void userbpf_prog__free(struct userbpf_prog *prog)
{
	prog_free(prog);
}

/* lddw of a map (src 1 or 5: imm = index into the program's maps) or of
 * a map value (src 2 or 6: imm = index, second imm = offset into the
 * value): the decoded imm becomes the address. */
static int resolve_map(struct userbpf_prog *prog, size_t i)
{
	struct ub_dinsn *d = &prog->d[i];
	uint32_t idx = (uint32_t)prog->insns[i].imm;
	bool value = d->op == UB_OP_LDDW_MAP_VALUE || d->op == UB_OP_LDDW_MAP_IDX_VALUE;
	uint32_t off = (uint32_t)prog->insns[i + 1].imm;
	struct userbpf_map *m;
	uint8_t *base;

	if (idx >= prog->map_cnt) {
		ub_log(prog->rt, USERBPF_LOG_WARN,
		       "prog '%s': insn %zu: lddw refers to map %u, but the program was given %zu maps",
		       prog->name, i, idx, prog->map_cnt);
		return -EINVAL;
	}
	m = prog->maps[idx];
	if (!value) {
		d->imm = (int64_t)(uintptr_t)m;
		return 0;
	}
	base = m->ops->direct_value ? m->ops->direct_value(m) : NULL;
	if (!base || off >= m->def.value_size) {
		ub_log(prog->rt, USERBPF_LOG_WARN,
		       "prog '%s': insn %zu: lddw of map '%s' value at offset %u: %s", prog->name,
		       i, m->def.name, off,
		       base ? "past the end of the value" : "this map type has no direct value");
		return -EINVAL;
	}
	d->imm = (int64_t)(uintptr_t)(base + off);
	return 0;
}

/* Resolves helper calls to the runtime's functions, refusing unknown ids. */
static int resolve_calls(struct userbpf_prog *prog, bool pseudo_ok)
{
	struct userbpf_rt *rt = prog->rt;

	for (size_t i = 0; i < prog->cnt; i++) {
		struct ub_dinsn *d = &prog->d[i];

		if (d->op == UB_OP_CALL) {
			uint32_t id = (uint32_t)d->imm;
			const struct ub_helper *h =
				d->imm < 0 ? NULL : ub_rt_helper(rt, id);
			const char *lname = ub_helper_linux_name(id);

			if (h && !ub_progtype_allows_helper(prog->type, id)) {
				ub_log(rt, USERBPF_LOG_WARN,
				       "prog '%s': insn %zu: helper %u (%s) is not allowed in %s programs",
				       prog->name, i, id, h->name, prog->type->name);
				return -EINVAL;
			}
			if (!h) {
				if (lname && d->imm >= 0)
					ub_log(rt, USERBPF_LOG_WARN,
					       "prog '%s': insn %zu: helper %u (bpf_%s) is not available in this runtime",
					       prog->name, i, id, lname);
				else
					ub_log(rt, USERBPF_LOG_WARN,
					       "prog '%s': insn %zu: unknown helper id %lld",
					       prog->name, i, (long long)d->imm);
				return -EINVAL;
			}
			d->imm = (int64_t)(uintptr_t)h->fn;
		} else if (d->op == UB_OP_CALL_KFUNC) {
			ub_log(rt, USERBPF_LOG_WARN,
			       "prog '%s': insn %zu: kfunc calls (call with src=2) are not supported",
			       prog->name, i);
			return -EOPNOTSUPP;
		} else if (d->op == UB_OP_LDDW_MAP_FD || d->op == UB_OP_LDDW_MAP_IDX ||
			   d->op == UB_OP_LDDW_MAP_VALUE || d->op == UB_OP_LDDW_MAP_IDX_VALUE) {
			int err = resolve_map(prog, i);

			if (err)
				return err;
		} else if (!pseudo_ok && d->op == UB_OP_LDDW_BTF_VAR) {
			ub_log(rt, USERBPF_LOG_WARN,
			       "prog '%s': insn %zu: lddw with src=3 (a kernel variable) has no meaning here",
			       prog->name, i);
			return -EINVAL;
		}
	}
	return 0;
}

struct userbpf_prog *ub_prog_load(struct userbpf_rt *rt, const struct userbpf_insn *insns,
				  size_t cnt, const struct userbpf_prog_opts *opts,
				  bool pseudo_ok, int *errp)
{
	struct userbpf_prog *prog = NULL;
	const char *name = "prog";
	void *scratch = NULL;
	char why[256];
	size_t bad = 0;
	int err;

	if (OPTS_HAS(opts, name) && opts->name)
		name = opts->name;
	if (!insns && cnt) {
		err = -EINVAL;
		goto out;
	}
	if (cnt == 0 || cnt > UB_MAX_INSNS) {
		ub_log(rt, USERBPF_LOG_WARN, "prog '%s': %zu instructions (must be 1..%u)",
		       name, cnt, UB_MAX_INSNS);
		err = cnt ? -E2BIG : -EINVAL;
		goto out;
	}
	err = -ENOMEM;
	prog = ub_calloc(rt, 1, sizeof(*prog));
	if (!prog)
		goto out;
	prog->rt = rt;
	prog->cnt = cnt;
	prog->entry_regs = (uint16_t)(1u << 1);
	if (OPTS_HAS(opts, entry_regs) && opts->entry_regs)
		prog->entry_regs = opts->entry_regs;
	if (OPTS_HAS(opts, jit_blind))
		prog->jit_blind = opts->jit_blind;
	prog->name = ub_strdup(rt, name);
	prog->insns = ub_malloc(rt, cnt * sizeof(*insns));
	prog->d = ub_malloc(rt, cnt * sizeof(*prog->d));
	scratch = ub_malloc(rt, ub_check_reg_init_scratch(cnt));
	if (!prog->name || !prog->insns || !prog->d || !scratch)
		goto out;
	memcpy(prog->insns, insns, cnt * sizeof(*insns));
	if (OPTS_HAS(opts, map_cnt) && opts->map_cnt) {
		if (!opts->maps) {
			err = -EINVAL;
			goto out;
		}
		prog->maps = ub_calloc(rt, opts->map_cnt, sizeof(*prog->maps));
		if (!prog->maps)
			goto out;
		for (size_t i = 0; i < opts->map_cnt; i++) {
			if (!opts->maps[i]) {
				ub_log(rt, USERBPF_LOG_WARN, "prog '%s': map %zu is NULL", name, i);
				err = -EINVAL;
				goto out;
			}
			ub_map_get(opts->maps[i]);
			prog->maps[prog->map_cnt++] = opts->maps[i];
		}
	}
	if (OPTS_HAS(opts, prog_type) && opts->prog_type) {
		prog->type = userbpf_rt__prog_type(rt, opts->prog_type);
		if (!prog->type) {
			ub_log(rt, USERBPF_LOG_WARN, "prog '%s': unknown program type '%s'", name,
			       opts->prog_type);
			err = -EINVAL;
			goto out;
		}
	}
	if (OPTS_HAS(opts, prog_flags))
		prog->prog_flags = opts->prog_flags;
	prog->id = ub_rt_id_add(rt, UB_OBJ_PROG, prog);
	if (!prog->id)
		goto out;

	err = ub_decode_prog(prog->insns, cnt, prog->d, &bad, why, sizeof(why));
	if (!err)
		err = ub_check_reg_init(prog->d, cnt, prog->entry_regs, scratch, &bad,
					why, sizeof(why));
	if (err) {
		ub_log(rt, USERBPF_LOG_WARN, "prog '%s': insn %zu: %s", name, bad, why);
		goto out;
	}
	err = resolve_calls(prog, pseudo_ok);
	if (!err && prog->type && prog->type->on_load) {
		err = prog->type->on_load(prog->type->user, prog, prog->prog_flags);
		if (err > 0)
			err = -err;
		if (err)
			ub_log(rt, USERBPF_LOG_WARN, "prog '%s': the %s hook refused the program: %s",
			       name, prog->type->name, userbpf_strerror(err));
	}
out:
	ub_free(rt, scratch);
	if (err) {
		prog_free(prog);
		prog = NULL;
	}
	*errp = err;
	return prog;
}

struct userbpf_prog *userbpf_prog__load(struct userbpf_rt *rt,
					const struct userbpf_insn *insns, size_t cnt,
					const struct userbpf_prog_opts *opts)
{
	struct userbpf_prog *prog;
	int err;

	if (!rt)
		return ub_err_ptr(-EINVAL);
	prog = ub_prog_load(rt, insns, cnt, opts, false, &err);
	return prog ? prog : ub_err_ptr(err);
}

uint32_t userbpf_prog__id(const struct userbpf_prog *prog)
{
	return prog ? prog->id : 0;
}

size_t userbpf_prog__insn_cnt(const struct userbpf_prog *prog)
{
	return prog ? prog->cnt : 0;
}

const struct userbpf_insn *userbpf_prog__insns(const struct userbpf_prog *prog)
{
	return prog ? prog->insns : NULL;
}

void userbpf_prog__set_trusted(struct userbpf_prog *prog, bool trusted)
{
	if (prog) {
		prog->trusted = trusted;
		prog->verified_mem = 0;
	}
}

/* The program's maps as the verifier sees them; a map-in-map's inner
 * template follows the program's maps in the table.  *out is owned by the
 * caller (ub_free). */
static void vfy_map_of(const struct userbpf_map *m, struct ub_vfy_map *v)
{
	v->type = m->def.type;
	v->key_size = m->def.key_size;
	v->value_size = m->def.value_size;
	v->max_entries = m->def.max_entries;
	v->flags = m->def.map_flags;
	v->rdonly_prog = (m->def.map_flags & UB_F_RDONLY_PROG) != 0;
	v->direct_value = m->ops->direct_value != NULL;
	v->inner = -1;
	v->lock_off1 = m->def.spin_lock_off >= 0 ? (uint32_t)m->def.spin_lock_off + 1 : 0;
	v->timer_off1 = m->def.timer_off1;
}

static int vfy_maps(struct userbpf_prog *prog, struct ub_vfy_map **out, struct ub_vfy_opts *vo)
{
	size_t n = prog->map_cnt, extra = 0;
	struct ub_vfy_map *v;

	*out = NULL;
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		extra += prog->maps[i]->inner_tmpl != NULL;
	v = ub_calloc(prog->rt, n + extra, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0, k = n; i < n; i++) {
		vfy_map_of(prog->maps[i], &v[i]);
		if (prog->maps[i]->inner_tmpl) {
			vfy_map_of(prog->maps[i]->inner_tmpl, &v[k]);
			v[i].inner = (int32_t)k++;
		}
	}
	vo->maps = v;
	vo->nmaps = n + extra;
	*out = v;
	return 0;
}

/* The public context descriptor is the verifier's, bit for bit. */
_Static_assert(sizeof(struct userbpf_ctx_field) == sizeof(struct ub_ctx_field) &&
	       (int)USERBPF_CTX_READ == (int)UB_CTX_READ &&
	       (int)USERBPF_CTX_WRITE == (int)UB_CTX_WRITE &&
	       (int)USERBPF_CTX_DATA == (int)UB_CTX_DATA &&
	       (int)USERBPF_CTX_DATA_END == (int)UB_CTX_DATA_END &&
	       (int)USERBPF_CTX_DATA_META == (int)UB_CTX_DATA_META,
	       "userbpf_ctx_field and ub_ctx_field must agree");

int userbpf_prog__verify(struct userbpf_prog *prog, const struct userbpf_verify_opts *opts)
{
	struct ub_vfy_entry_reg ent[2];
	struct ub_vfy_opts vo;
	struct ub_vfy_result res;
	struct ub_vfy_map *vmaps = NULL;
	uint32_t mem = 0;
	int err;

	if (!prog || (opts && opts->sz < offsetof(struct userbpf_verify_opts, insns_processed)))
		return ub_err(-EINVAL);
	memset(&vo, 0, sizeof(vo));
	if (opts) {
		mem = opts->mem_size;
		vo.ctx_size = opts->ctx_size;
		vo.strict = opts->strict;
		vo.log_level = opts->log_level;
	}
	if (!mem && !vo.ctx_size && prog->type && prog->type->ctx_size) {
		/* The type's context: its fields, and its return range. */
		vo.ctx_fields = (const struct ub_ctx_field *)prog->type->ctx_fields;
		vo.nctx_fields = prog->type->ctx_field_cnt;
		vo.ctx_size = prog->type->ctx_size;
		vo.check_return = prog->type->check_return;
		vo.ret_min = prog->type->ret_min;
		vo.ret_max = prog->type->ret_max;
	}
	if (mem) {
		memset(ent, 0, sizeof(ent));
		ent[0] = (struct ub_vfy_entry_reg){ .reg = 1, .type = UB_T_MEM, .mem_size = mem };
		ent[1] = (struct ub_vfy_entry_reg){ .reg = 2, .type = UB_T_SCALAR, .has_srange = true,
						    .has_urange = true, .smin = mem, .smax = mem,
						    .umin = mem, .umax = mem };
		vo.entry = ent;
		vo.nentry = 2;
	}
	err = vfy_maps(prog, &vmaps, &vo);
	if (err)
		return ub_err(err);
	err = ub_verify(prog->rt, prog->d, prog->insns, prog->cnt, &vo, &res);
	ub_free(prog->rt, vmaps);
	if (!err && opts && OPTS_HAS(opts, insns_processed))
		((struct userbpf_verify_opts *)opts)->insns_processed = res.processed;
	if (!err && opts && opts->log_buf && opts->log_size) {
		size_t n = res.log_len < opts->log_size - 1 ? res.log_len : opts->log_size - 1;
		if (n)
			memcpy(opts->log_buf, res.log, n);
		opts->log_buf[n] = 0;
	}
	if (!err && !res.accepted) {
		ub_log(prog->rt, USERBPF_LOG_WARN, "prog '%s': refused: %s", prog->name, res.reason);
		err = -EACCES;
	}
	if (!err) {
		/* The verifier's facts, for the JIT (zero-extensions, index
		 * bounds for Spectre clamps, known constants). */
		ub_free(prog->rt, prog->vfy_facts);
		ub_free(prog->rt, prog->vfy_bounds);
		ub_free(prog->rt, prog->vfy_consts);
		prog->vfy_facts = res.facts;
		prog->facts = res.facts;
		prog->vfy_bounds = res.bounds;
		prog->fact_bound = res.bounds;
		prog->vfy_consts = res.consts;
		prog->fact_const = res.consts;
		res.facts = NULL;
		res.bounds = NULL;
		res.consts = NULL;
		prog->trusted = true;
		prog->verified_mem = mem;
		prog->max_ctx_end = res.max_ctx_end;
		ub_log(prog->rt, USERBPF_LOG_DEBUG, "prog '%s': verified, %llu instructions processed",
		       prog->name, (unsigned long long)res.processed);
	}
	ub_vfy_result_free(prog->rt, &res);
	return err ? ub_err(err) : 0;
}

int ub_run_fault(struct userbpf_call *c, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	size_t idx = c->pc ? (size_t)(c->pc - c->prog->d) : 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ub_log(c->rt, USERBPF_LOG_WARN, "prog '%s': insn %zu: %s", c->prog->name, idx, msg);
	return err;
}

static bool region_has(const struct userbpf_region *r, uint64_t addr, size_t size,
		       bool write)
{
	uint64_t lo = (uint64_t)(uintptr_t)r->base;

	if (write && !r->writable)
		return false;
	return addr >= lo && size <= r->size && addr - lo <= r->size - size;
}

bool ub_call_mem_ok(const struct userbpf_call *c, uint64_t addr, size_t size, bool write)
{
	for (size_t i = 0; i < c->user_region_cnt; i++)
		if (region_has(&c->user_regions[i], addr, size, write))
			return true;
	for (size_t i = 0; i < c->region_cnt; i++)
		if (region_has(&c->regions[i], addr, size, write))
			return true;
	/* The values of the program's arrays and globals (lddw src=2). */
	for (size_t i = 0; c->prog && i < c->prog->map_cnt; i++) {
		struct userbpf_map *m = c->prog->maps[i];
		struct userbpf_region r;

		if (!m->ops->direct_value)
			continue;
		r.base = m->ops->direct_value(m);
		r.size = (size_t)m->def.max_entries * ub_map_percpu_stride(m->def.value_size);
		r.writable = !(m->def.map_flags & UB_F_RDONLY_PROG) && !m->readonly;
		if (region_has(&r, addr, size, write))
			return true;
	}
	return false;
}

int userbpf_call__allow(struct userbpf_call *c, void *ptr, size_t size, bool writable)
{
	if (!c)
		return ub_err(-EINVAL);
	if (c->region_cnt == c->region_cap) {
		size_t cap = c->region_cap ? c->region_cap * 2 : 8;
		struct userbpf_region *r = ub_malloc(c->rt, cap * sizeof(*r));

		if (!r)
			return ub_err(-ENOMEM);
		if (c->region_cnt)
			memcpy(r, c->regions, c->region_cnt * sizeof(*r));
		ub_free(c->rt, c->regions);
		c->regions = r;
		c->region_cap = cap;
	}
	c->regions[c->region_cnt++] = (struct userbpf_region){ ptr, size, writable };
	return 0;
}

void userbpf_call__abort(struct userbpf_call *c, int err, const char *why)
{
	if (!c)
		return;
	ub_run_fault(c, err, "helper aborted the program: %s", why ? why : "no reason");
	c->pending |= UB_PENDING_ABORT;
	c->abort_err = err < 0 ? err : -EINVAL;
}

int ub_call_callback(struct userbpf_call *c, uint64_t fn, const uint64_t args[5],
		     uint64_t *ret)
{
	const struct userbpf_prog *p = c->prog;
	const struct ub_dinsn *t = (const struct ub_dinsn *)(uintptr_t)fn;
	const struct ub_dinsn *saved_pc = c->pc;
	uint8_t *lo = c->stack_lo, *hi = c->stack_hi;
	size_t saved_regions = c->region_cnt;
	int err;

	if (c->in_jit) {
		/* The JIT leaves programs with callbacks to the interpreter. */
		userbpf_call__abort(c, -EOPNOTSUPP, "a callback reached JIT-compiled code");
		return -EOPNOTSUPP;
	}
	if ((uintptr_t)t < (uintptr_t)p->d || (uintptr_t)t >= (uintptr_t)(p->d + p->cnt) ||
	    ((uintptr_t)t - (uintptr_t)p->d) % sizeof(*t) || t->op == UB_OP__LDDW_HI) {
		userbpf_call__abort(c, -EINVAL, "callback is not a code address of the program");
		return -EINVAL;
	}
	if (!c->fast && lo && userbpf_call__allow(c, lo, (size_t)(hi - lo), true)) {
		userbpf_call__abort(c, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	c->entry = t;
	err = (c->fast ? ub_interp_fast_goto : ub_interp_checked_goto)(c, args, ret);
	c->pc = saved_pc;
	c->stack_lo = lo;
	c->stack_hi = hi;
	c->region_cnt = saved_regions;
	c->prog = p;
	if (err) {
		c->pending |= UB_PENDING_ABORT;
		c->abort_err = err;
	}
	return err;
}

void *userbpf_call__user(const struct userbpf_call *c)
{
	return c ? c->user : NULL;
}

/* Maps of a program whose epoch a run enters (the first ones; objects
 * with more maps than this share them between programs rarely). */
#define UB_RUN_EPOCH_MAPS 64

/* The read section a run holds on one map: the hash families' epoch.
 * An LPM trie protects a lookup's value only during the lookup (a run that
 * held the trie's section could not recycle nodes its own writes free:
 * map_lpm.c), so a value a run keeps may be reused after a concurrent
 * delete, as with Linux's preallocated hash maps. */
struct run_section {
	uint32_t tok;
};

static void section_enter(struct userbpf_map *m, struct run_section *s)
{
	s->tok = ub_map_epoch_enter(m);
}

static void section_exit(struct userbpf_map *m, struct run_section *s)
{
	ub_map_epoch_exit(m, s->tok);
}

/* One run of an invocation set up by ub_prog_run_n(): the JIT for
 * trusted programs where it can, else the interpreter (checked mode, and
 * so a budget, is the interpreter's). */
static int run_once(struct userbpf_prog *prog, struct userbpf_call *c, const uint64_t *args,
		    enum userbpf_engine engine, enum ub_dispatch dispatch, bool trusted,
		    uint64_t *r0)
{
	ub_interp_fn fn;

	if (engine != USERBPF_ENGINE_INTERPRETER && trusted && !c->budget &&
	    ub_jit_available() && !prog->jit_err) {
		int err;

		c->fast = true;
		err = ub_jit_run(prog, c, args, r0);
		if (err == -EOPNOTSUPP && engine == USERBPF_ENGINE_JIT)
			ub_log(prog->rt, USERBPF_LOG_WARN,
			       "prog '%s': --engine jit: the JIT does not handle this program",
			       prog->name);
		if (err != -EOPNOTSUPP || engine == USERBPF_ENGINE_JIT)
			return err;
	}
	c->fast = trusted && !c->budget;
	if (c->fast)
		fn = dispatch == UB_DISPATCH_SWITCH ? ub_interp_fast_switch : ub_interp_fast_goto;
	else
		fn = dispatch == UB_DISPATCH_SWITCH ? ub_interp_checked_switch
						    : ub_interp_checked_goto;
	return fn(c, args, r0);
}

int ub_prog_run_n(struct userbpf_prog *prog, const struct userbpf_run_opts *opts,
		  enum ub_dispatch dispatch, uint32_t repeat, uint64_t *ret, uint64_t *elapsed_ns)
{
	static const uint64_t no_args[5];
	struct userbpf_call c;
	const uint64_t *args = no_args;
	enum userbpf_engine engine = USERBPF_ENGINE_DEFAULT;
	bool trusted_override = false, trusted;
	struct run_section sect[UB_RUN_EPOCH_MAPS];
	struct userbpf_prog_stats *st;
	uint64_t r0 = 0, t0 = 0, t1;
	int err = 0;

	if (!prog || !ret)
		return -EINVAL;
	if (repeat == 0)
		repeat = 1;
	ub_call_init(&c, prog->rt, prog);
	if (opts) {
		if (opts->sz < offsetof(struct userbpf_run_opts, insn_count))
			return -EINVAL;
		args = opts->args;
		c.user_regions = opts->regions;
		c.user_region_cnt = opts->region_cnt;
		c.budget = opts->insn_budget;
		c.user = opts->user;
		c.pkt = opts->pkt;
		c.pkt_len = opts->pkt_len;
		engine = opts->engine;
		if (OPTS_HAS(opts, ctx_has_header) && opts->ctx_has_header && args[0])
			c.ctx_hdr = (struct userbpf_ctx_header *)(uintptr_t)(args[0] -
									    USERBPF_CTX_HEADER_SIZE);
	}
	trusted = prog->trusted;
	if (engine == USERBPF_ENGINE_JIT) {
		const char *why = !ub_jit_available() ? "this CPU or OS has no JIT in this build"
				  : !prog->trusted ? "the JIT runs only verified programs"
				  : c.budget ? "an instruction budget needs the interpreter"
				  : NULL;
		if (why) {
			ub_log(prog->rt, USERBPF_LOG_WARN, "prog '%s': --engine jit: %s", prog->name, why);
			return -EOPNOTSUPP;
		}
	}
	/* A program verified for r1 = N bytes, r2 = N runs unchecked only
	 * when called that way. */
	if (prog->verified_mem && args[1] != prog->verified_mem) {
		trusted_override = true;
		if (engine == USERBPF_ENGINE_JIT) {
			ub_log(prog->rt, USERBPF_LOG_WARN,
			       "prog '%s': --engine jit: verified for %u bytes of data, called with %llu",
			       prog->name, prog->verified_mem, (unsigned long long)args[1]);
			return -EOPNOTSUPP;
		}
	}
	if (trusted_override)
		trusted = false;
	st = prog->stats;
	if (st || elapsed_ns)
		t0 = ub_os_monotonic_ns();
	/* A run is a read-side critical section of the maps it uses: what
	 * a lookup returns is not reused under it (map_hash.c). */
	for (size_t i = 0; i < prog->map_cnt && i < UB_RUN_EPOCH_MAPS; i++)
		section_enter(prog->maps[i], &sect[i]);
	for (uint32_t n = 0; n < repeat && !err; n++) {
		/* Each run starts afresh: its own tail calls, regions, header. */
		c.prog = prog;
		c.tail_cnt = 0;
		c.pending = 0;
		c.region_cnt = 0;
		if (c.ctx_hdr) {
			c.ctx_hdr->prog = prog;
			c.ctx_hdr->call = &c;
			c.ctx_hdr->tail_call_cnt = 0;
		}
		err = run_once(prog, &c, args, engine, dispatch, trusted, &r0);
	}
	for (size_t i = 0; i < prog->map_cnt && i < UB_RUN_EPOCH_MAPS; i++)
		section_exit(prog->maps[i], &sect[i]);
	if (st || elapsed_ns) {
		t1 = ub_os_monotonic_ns();
		if (elapsed_ns)
			*elapsed_ns = t1 - t0;
		if (st) {
			atomic_fetch_add_explicit((_Atomic uint64_t *)&st->run_time_ns, t1 - t0,
						  memory_order_relaxed);
			atomic_fetch_add_explicit((_Atomic uint64_t *)&st->run_cnt, repeat,
						  memory_order_relaxed);
		}
	}
	if (c.ctx_hdr)
		c.ctx_hdr->call = NULL;
	ub_free(prog->rt, c.regions);
	if (opts && OPTS_HAS(opts, insn_count) && opts->insn_count)
		*opts->insn_count = c.executed;
	if (err)
		return err;
	*ret = r0;
	return 0;
}

int ub_prog_run_at(struct userbpf_prog *prog, uint64_t fn, const uint64_t args[5],
		   const struct userbpf_region *regs, size_t nregs, uint64_t *ret)
{
	const struct ub_dinsn *t = (const struct ub_dinsn *)(uintptr_t)fn;
	struct run_section sect[UB_RUN_EPOCH_MAPS];
	struct userbpf_call c;
	int err;

	if ((uintptr_t)t < (uintptr_t)prog->d || (uintptr_t)t >= (uintptr_t)(prog->d + prog->cnt) ||
	    ((uintptr_t)t - (uintptr_t)prog->d) % sizeof(*t) || t->op == UB_OP__LDDW_HI) {
		ub_log(prog->rt, USERBPF_LOG_WARN, "prog '%s': callback is not a code address of it",
		       prog->name);
		return -EINVAL;
	}
	ub_call_init(&c, prog->rt, prog);
	c.rt = prog->rt;
	c.prog = prog;
	c.user_regions = regs;
	c.user_region_cnt = nregs;
	c.fast = prog->trusted;
	c.entry = t;
	for (size_t i = 0; i < prog->map_cnt && i < UB_RUN_EPOCH_MAPS; i++)
		section_enter(prog->maps[i], &sect[i]);
	err = (c.fast ? ub_interp_fast_goto : ub_interp_checked_goto)(&c, args, ret);
	for (size_t i = 0; i < prog->map_cnt && i < UB_RUN_EPOCH_MAPS; i++)
		section_exit(prog->maps[i], &sect[i]);
	ub_free(prog->rt, c.regions);
	return err;
}

int ub_prog_run_dispatch(struct userbpf_prog *prog, const struct userbpf_run_opts *opts,
			 enum ub_dispatch dispatch, uint64_t *ret)
{
	return ub_err(ub_prog_run_n(prog, opts, dispatch, 1, ret, NULL));
}

int userbpf_prog__run(struct userbpf_prog *prog, const struct userbpf_run_opts *opts,
		      uint64_t *ret)
{
	return ub_err(ub_prog_run_n(prog, opts, UB_DISPATCH_GOTO, 1, ret, NULL));
}

void userbpf_prog__set_stats(struct userbpf_prog *prog, struct userbpf_prog_stats *stats)
{
	if (prog)
		prog->stats = stats;
}

size_t userbpf_prog__map_cnt(const struct userbpf_prog *prog)
{
	return prog ? prog->map_cnt : 0;
}

struct userbpf_map *userbpf_prog__map(const struct userbpf_prog *prog, size_t i)
{
	return prog && i < prog->map_cnt ? prog->maps[i] : NULL;
}

const void *userbpf_prog__jited(struct userbpf_prog *prog, size_t *len)
{
	int err;

	if (!prog || !len)
		return ub_err_ptr(-EINVAL);
	if (!ub_jit_available())
		return ub_err_ptr(-EOPNOTSUPP);
	if (!prog->jit_code) {
		err = ub_jit_compile(prog);
		if (err)
			return ub_err_ptr(err);
	}
	*len = prog->jit_len;
	return prog->jit_code;
}
