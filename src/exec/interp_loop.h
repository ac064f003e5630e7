/* SPDX-License-Identifier: MIT */
/*
 * interp_loop.h - the body of the interpreter, included several times by
 * interp.c with different settings (no include guard on purpose):
 *
 *   UB_FN       name of the function to define
 *   UB_CHECKED  1: bound every memory access to the stack and registered
 *               regions, count the instruction budget, validate callx
 *               targets; 0: the fast mode for programs proved safe
 *   UB_GOTO     1: threaded dispatch with computed goto; 0: a switch
 *
 * Semantics follow Linux (kernel/bpf/core.c) and RFC 9669: division by
 * zero gives 0, modulo by zero leaves dst (its low 32 bits in ALU32), shift
 * amounts are masked to the operand width, INT_MIN / -1 wraps to INT_MIN and
 * INT_MIN % -1 is 0, ALU32 results are zero-extended.
 */

int UB_FN(struct userbpf_call *c, const uint64_t args[5], uint64_t *ret)
{
	uint64_t reg[11];
	struct {
		const struct ub_dinsn *ret_pc;	/* where exit resumes */
		const struct ub_dinsn *ret_base;
		const struct userbpf_prog *ret_prog;
		uint64_t saved[4];		/* caller's r6..r9 */
	} frames[UB_MAX_FRAMES];
	UB_ALIGNED16 uint8_t stack[UB_MAX_FRAMES * UB_STACK_SIZE];
	uint8_t *const stack_end = stack + sizeof(stack);
	const struct ub_dinsn *base = c->prog->d, *pc = c->entry ? c->entry : base;
	unsigned depth = 0;
	uint64_t call_target;
#if UB_CHECKED
	uint64_t budget = c->budget ? c->budget : UINT64_MAX;
	uint64_t fault_addr = 0;
	unsigned fault_size = 0;
	bool fault_write = false;
	unsigned zeroed = 1;	/* frames whose stack is cleared this run */
	/* The first region inline: most programs touch one buffer. */
	const uint64_t r0_lo = c->user_region_cnt ? (uint64_t)(uintptr_t)c->user_regions[0].base : 0;
	const uint64_t r0_size = c->user_region_cnt ? c->user_regions[0].size : 0;
	const bool r0_wr = c->user_region_cnt && c->user_regions[0].writable;
#endif

	reg[0] = 0;
	memcpy(&reg[1], args, 5 * sizeof(uint64_t));
	reg[6] = reg[7] = reg[8] = reg[9] = 0;
	reg[10] = (uint64_t)(uintptr_t)stack_end;
	c->entry = NULL;
	c->stack_lo = stack;
	c->stack_hi = stack_end;
#if UB_CHECKED
	/* Untrusted code must not see what the host left on its stack. */
	memset(stack_end - UB_STACK_SIZE, 0, UB_STACK_SIZE);
#endif

#define DST reg[pc->dst]
#define SRC reg[pc->src]
#define IMM pc->imm
#define U32(x) ((uint64_t)(uint32_t)(x))

#if UB_CHECKED
#define COUNT()                                                                \
	do {                                                                   \
		if (UB_UNLIKELY(budget-- == 0))                                \
			goto budget_out;                                       \
	} while (0)
#define MEMCHK(addr, size, wr)                                                 \
	do {                                                                   \
		uint64_t _ma = (addr);                                         \
		if (!((uint8_t *)(uintptr_t)_ma >= stack_end - (depth + 1) * UB_STACK_SIZE && \
		      _ma + (size) <= (uint64_t)(uintptr_t)stack_end &&         \
		      _ma + (size) > _ma) &&                                     \
		    !(_ma >= r0_lo && _ma - r0_lo < r0_size &&                  \
		      (size) <= r0_size - (_ma - r0_lo) && (r0_wr || !(wr))) &&  \
		    !ub_call_mem_ok(c, _ma, (size), (wr))) {                    \
			fault_addr = _ma;                                       \
			fault_size = (size);                                   \
			fault_write = (wr);                                    \
			goto mem_fault;                                        \
		}                                                              \
	} while (0)
#define MISALIGNED_CHK(p, t)                                                   \
	if ((uintptr_t)(p) & (sizeof(t) - 1))                                  \
		goto misaligned;
#else
#define MISALIGNED_CHK(p, t)
#define COUNT() ((void)0)
#define MEMCHK(addr, size, wr) ((void)0)
#endif

#if UB_GOTO
#define UB_X_LABEL(id, code, vk, vv, zero, fmt, w, cpu, asm, sym) [UB_OP_##id] = &&L_##id,
	static const void *const labels[UB_OP__COUNT + 1] = {
		UB_OPCODES(UB_X_LABEL)
		[UB_OP__LDDW_HI] = &&L__LDDW_HI,
	};
#undef UB_X_LABEL
#define CASE(id) L_##id:
/* The empty asm keeps clang from merging every handler's dispatch into one
 * shared indirect jump (which costs branch prediction); gcc never does, and
 * runs slower with it. */
#if defined(__clang__)
#define UB_KEEP_DISPATCH() __asm__("" : "+r"(pc))
#else
#define UB_KEEP_DISPATCH() ((void)0)
#endif
#define DISPATCH() do { COUNT(); UB_KEEP_DISPATCH(); goto *labels[pc->op]; } while (0)
#define NEXT() do { pc++; DISPATCH(); } while (0)
#define LOOP_BEGIN DISPATCH();
#define LOOP_END
#else
#define CASE(id) case UB_OP_##id:
#define DISPATCH() goto dispatch
#define NEXT() do { pc++; goto dispatch; } while (0)
#define LOOP_BEGIN dispatch: COUNT(); switch (pc->op) {
#define LOOP_END default: goto bad_op; }
#endif
#define JUMP() do { pc = base + pc->off; DISPATCH(); } while (0)
#define ALU64(id, op)                                                          \
	CASE(id##64_K) DST = DST op (uint64_t)IMM; NEXT();                     \
	CASE(id##64_X) DST = DST op SRC; NEXT();                               \
	CASE(id##32_K) DST = U32((uint32_t)DST op (uint32_t)IMM); NEXT();      \
	CASE(id##32_X) DST = U32((uint32_t)DST op (uint32_t)SRC); NEXT();
#define JCC(id, t, op)                                                         \
	CASE(id##_K) if ((t)DST op (t)(int64_t)IMM) JUMP(); NEXT();            \
	CASE(id##_X) if ((t)DST op (t)SRC) JUMP(); NEXT();
#define JCC32(id, t, op)                                                       \
	CASE(id##32_K) if ((t)(uint32_t)DST op (t)(uint32_t)IMM) JUMP(); NEXT(); \
	CASE(id##32_X) if ((t)(uint32_t)DST op (t)(uint32_t)SRC) JUMP(); NEXT();
#define LOAD(id, t, ext)                                                       \
	CASE(id) {                                                             \
		uint64_t _a = SRC + (uint64_t)(int64_t)pc->off;                \
		t _v;                                                          \
		MEMCHK(_a, sizeof(t), false);                                  \
		memcpy(&_v, (void *)(uintptr_t)_a, sizeof(t));                 \
		DST = (uint64_t)(ext)_v;                                       \
		NEXT();                                                        \
	}
#define STORE(id, t, val)                                                      \
	CASE(id) {                                                             \
		uint64_t _a = DST + (uint64_t)(int64_t)pc->off;                \
		t _v = (t)(val);                                               \
		MEMCHK(_a, sizeof(t), true);                                   \
		memcpy((void *)(uintptr_t)_a, &_v, sizeof(t));                 \
		NEXT();                                                        \
	}
#define ATOMIC_ADDR(t)                                                         \
	t *_p = (t *)(uintptr_t)(DST + (uint64_t)(int64_t)pc->off);            \
	MEMCHK((uint64_t)(uintptr_t)_p, sizeof(t), true);                      \
	MISALIGNED_CHK(_p, t)
#define ATOMIC(w, t, id, fn)                                                   \
	CASE(ATOMIC##w##_##id) {                                               \
		ATOMIC_ADDR(t)                                                 \
		(void)fn(_p, (t)SRC, __ATOMIC_SEQ_CST);                        \
		NEXT();                                                        \
	}                                                                      \
	CASE(ATOMIC##w##_##id##_FETCH) {                                       \
		ATOMIC_ADDR(t)                                                 \
		SRC = (uint64_t)fn(_p, (t)SRC, __ATOMIC_SEQ_CST);              \
		NEXT();                                                        \
	}

	LOOP_BEGIN

	/* ---- loads of immediates and legacy packet loads ---- */
	CASE(LDDW) CASE(LDDW_MAP_FD) CASE(LDDW_MAP_VALUE) CASE(LDDW_BTF_VAR)
	CASE(LDDW_MAP_IDX) CASE(LDDW_MAP_IDX_VALUE)
		DST = (uint64_t)IMM;
		pc += 2;
		DISPATCH();
	CASE(LDDW_CODE)
		DST = (uint64_t)(uintptr_t)(base + pc->off);
		pc += 2;
		DISPATCH();
	CASE(LDABSW) CASE(LDABSH) CASE(LDABSB)
	CASE(LDINDW) CASE(LDINDH) CASE(LDINDB) {
		/* Linux: an offset outside the packet ends the program with 0. */
		int64_t off = (int32_t)IMM;
		unsigned sz = ub_opinfo[pc->op].width;
		if (ub_opinfo[pc->op].fmt == F_LDIND)
			off = (int32_t)((uint32_t)SRC + (uint32_t)IMM);
		if (!ub_pkt_load(c, off, sz, &reg[0])) {
			*ret = 0;
			goto done;
		}
		NEXT();
	}

	/* ---- memory ---- */
	LOAD(LDXW, uint32_t, uint32_t)
	LOAD(LDXH, uint16_t, uint16_t)
	LOAD(LDXB, uint8_t, uint8_t)
	LOAD(LDXDW, uint64_t, uint64_t)
	LOAD(LDXSW, int32_t, int64_t)
	LOAD(LDXSH, int16_t, int64_t)
	LOAD(LDXSB, int8_t, int64_t)
	STORE(STW, uint32_t, IMM)
	STORE(STH, uint16_t, IMM)
	STORE(STB, uint8_t, IMM)
	STORE(STDW, uint64_t, IMM)
	STORE(STXW, uint32_t, SRC)
	STORE(STXH, uint16_t, SRC)
	STORE(STXB, uint8_t, SRC)
	STORE(STXDW, uint64_t, SRC)

	ATOMIC(32, uint32_t, ADD, __atomic_fetch_add)
	ATOMIC(32, uint32_t, OR, __atomic_fetch_or)
	ATOMIC(32, uint32_t, AND, __atomic_fetch_and)
	ATOMIC(32, uint32_t, XOR, __atomic_fetch_xor)
	ATOMIC(64, uint64_t, ADD, __atomic_fetch_add)
	ATOMIC(64, uint64_t, OR, __atomic_fetch_or)
	ATOMIC(64, uint64_t, AND, __atomic_fetch_and)
	ATOMIC(64, uint64_t, XOR, __atomic_fetch_xor)
	CASE(ATOMIC32_XCHG) {
		ATOMIC_ADDR(uint32_t)
		SRC = __atomic_exchange_n(_p, (uint32_t)SRC, __ATOMIC_SEQ_CST);
		NEXT();
	}
	CASE(ATOMIC64_XCHG) {
		ATOMIC_ADDR(uint64_t)
		SRC = __atomic_exchange_n(_p, SRC, __ATOMIC_SEQ_CST);
		NEXT();
	}
	CASE(ATOMIC32_CMPXCHG) {
		ATOMIC_ADDR(uint32_t)
		uint32_t expected = (uint32_t)reg[0];
		__atomic_compare_exchange_n(_p, &expected, (uint32_t)SRC, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		reg[0] = expected;
		NEXT();
	}
	CASE(ATOMIC64_CMPXCHG) {
		ATOMIC_ADDR(uint64_t)
		uint64_t expected = reg[0];
		__atomic_compare_exchange_n(_p, &expected, SRC, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		reg[0] = expected;
		NEXT();
	}

	/* ---- arithmetic ---- */
	ALU64(ADD, +)
	ALU64(SUB, -)
	ALU64(MUL, *)
	ALU64(OR, |)
	ALU64(AND, &)
	ALU64(XOR, ^)
	CASE(MOV64_K) DST = (uint64_t)IMM; NEXT();
	CASE(MOV64_X) DST = SRC; NEXT();
	CASE(MOV32_K) DST = U32(IMM); NEXT();
	CASE(MOV32_X) DST = U32(SRC); NEXT();
	CASE(MOVSX8_64) DST = (uint64_t)(int64_t)(int8_t)SRC; NEXT();
	CASE(MOVSX16_64) DST = (uint64_t)(int64_t)(int16_t)SRC; NEXT();
	CASE(MOVSX32_64) DST = (uint64_t)(int64_t)(int32_t)SRC; NEXT();
	CASE(MOVSX8_32) DST = U32((int32_t)(int8_t)SRC); NEXT();
	CASE(MOVSX16_32) DST = U32((int32_t)(int16_t)SRC); NEXT();
	CASE(NEG64) DST = (uint64_t)0 - DST; NEXT();
	CASE(NEG32) DST = U32((uint32_t)0 - (uint32_t)DST); NEXT();

	CASE(LSH64_K) DST <<= (IMM & 63); NEXT();
	CASE(LSH64_X) DST <<= (SRC & 63); NEXT();
	CASE(RSH64_K) DST >>= (IMM & 63); NEXT();
	CASE(RSH64_X) DST >>= (SRC & 63); NEXT();
	CASE(ARSH64_K) DST = (uint64_t)ub_asr64((int64_t)DST, (unsigned)(IMM & 63)); NEXT();
	CASE(ARSH64_X) DST = (uint64_t)ub_asr64((int64_t)DST, (unsigned)(SRC & 63)); NEXT();
	CASE(LSH32_K) DST = U32((uint32_t)DST << (IMM & 31)); NEXT();
	CASE(LSH32_X) DST = U32((uint32_t)DST << (SRC & 31)); NEXT();
	CASE(RSH32_K) DST = U32((uint32_t)DST >> (IMM & 31)); NEXT();
	CASE(RSH32_X) DST = U32((uint32_t)DST >> (SRC & 31)); NEXT();
	CASE(ARSH32_K) DST = U32(ub_asr32((int32_t)DST, (unsigned)(IMM & 31))); NEXT();
	CASE(ARSH32_X) DST = U32(ub_asr32((int32_t)DST, (unsigned)(SRC & 31))); NEXT();

	CASE(DIV64_K) DST = ub_udiv64(DST, (uint64_t)IMM); NEXT();
	CASE(DIV64_X) DST = ub_udiv64(DST, SRC); NEXT();
	CASE(DIV32_K) DST = U32(ub_udiv32((uint32_t)DST, (uint32_t)IMM)); NEXT();
	CASE(DIV32_X) DST = U32(ub_udiv32((uint32_t)DST, (uint32_t)SRC)); NEXT();
	CASE(MOD64_K) DST = ub_umod64(DST, (uint64_t)IMM); NEXT();
	CASE(MOD64_X) DST = ub_umod64(DST, SRC); NEXT();
	CASE(MOD32_K) DST = U32(ub_umod32((uint32_t)DST, (uint32_t)IMM)); NEXT();
	CASE(MOD32_X) DST = U32(ub_umod32((uint32_t)DST, (uint32_t)SRC)); NEXT();
	CASE(SDIV64_K) DST = (uint64_t)ub_sdiv64((int64_t)DST, IMM); NEXT();
	CASE(SDIV64_X) DST = (uint64_t)ub_sdiv64((int64_t)DST, (int64_t)SRC); NEXT();
	CASE(SDIV32_K) DST = U32(ub_sdiv32((int32_t)DST, (int32_t)IMM)); NEXT();
	CASE(SDIV32_X) DST = U32(ub_sdiv32((int32_t)DST, (int32_t)SRC)); NEXT();
	CASE(SMOD64_K) DST = (uint64_t)ub_smod64((int64_t)DST, IMM); NEXT();
	CASE(SMOD64_X) DST = (uint64_t)ub_smod64((int64_t)DST, (int64_t)SRC); NEXT();
	CASE(SMOD32_K) DST = U32(ub_smod32((int32_t)DST, (int32_t)IMM)); NEXT();
	CASE(SMOD32_X) DST = U32(ub_smod32((int32_t)DST, (int32_t)SRC)); NEXT();

	/* Byte order: userbpf runs on little-endian hosts only. */
	CASE(LE16) DST = (uint16_t)DST; NEXT();
	CASE(LE32) DST = (uint32_t)DST; NEXT();
	CASE(LE64) NEXT();
	CASE(BE16) CASE(BSWAP16) DST = __builtin_bswap16((uint16_t)DST); NEXT();
	CASE(BE32) CASE(BSWAP32) DST = __builtin_bswap32((uint32_t)DST); NEXT();
	CASE(BE64) CASE(BSWAP64) DST = __builtin_bswap64(DST); NEXT();

	/* ---- jumps ---- */
	CASE(JA) CASE(JA32) JUMP();
	JCC(JEQ, uint64_t, ==)
	JCC(JNE, uint64_t, !=)
	JCC(JGT, uint64_t, >)
	JCC(JGE, uint64_t, >=)
	JCC(JLT, uint64_t, <)
	JCC(JLE, uint64_t, <=)
	JCC(JSGT, int64_t, >)
	JCC(JSGE, int64_t, >=)
	JCC(JSLT, int64_t, <)
	JCC(JSLE, int64_t, <=)
	CASE(JSET_K) if (DST & (uint64_t)IMM) JUMP(); NEXT();
	CASE(JSET_X) if (DST & SRC) JUMP(); NEXT();
	JCC32(JEQ, uint32_t, ==)
	JCC32(JNE, uint32_t, !=)
	JCC32(JGT, uint32_t, >)
	JCC32(JGE, uint32_t, >=)
	JCC32(JLT, uint32_t, <)
	JCC32(JLE, uint32_t, <=)
	JCC32(JSGT, int32_t, >)
	JCC32(JSGE, int32_t, >=)
	JCC32(JSLT, int32_t, <)
	JCC32(JSLE, int32_t, <=)
	CASE(JSET32_K) if ((uint32_t)DST & (uint32_t)IMM) JUMP(); NEXT();
	CASE(JSET32_X) if ((uint32_t)DST & (uint32_t)SRC) JUMP(); NEXT();

	/* ---- calls ---- */
	CASE(CALL) {
		userbpf_helper_fn fn = (userbpf_helper_fn)(uintptr_t)IMM;
		c->pc = pc;
		reg[0] = fn(reg[1], reg[2], reg[3], reg[4], reg[5], c);
		if (UB_UNLIKELY(c->pending))
			goto pending;
		NEXT();
	}
	CASE(CALLX) {
		uint64_t target = DST;
		const struct ub_helper *h;
		c->pc = pc;
		call_target = target;
		if (target < c->rt->helper_cap && (h = &c->rt->helpers[target])->fn) {
			/* A helper id, as the bpf_conformance callx test uses. */
			reg[0] = h->fn(reg[1], reg[2], reg[3], reg[4], reg[5], c);
			if (UB_UNLIKELY(c->pending))
				goto pending;
			NEXT();
		}
#if UB_CHECKED
		{
			/* A code address from lddw src=4: must be an instruction
			 * start of the program running now. */
			uintptr_t lo = (uintptr_t)base, t = (uintptr_t)target;
			if (t < lo || t >= (uintptr_t)(base + c->prog->cnt) ||
			    (t - lo) % sizeof(*base) ||
			    ((const struct ub_dinsn *)t)->op == UB_OP__LDDW_HI) {
				ub_run_fault(c, -EINVAL,
					     "callx target 0x%llx is neither a helper id nor a code address",
					     (unsigned long long)target);
				return -EINVAL;
			}
		}
#endif
		goto local_call_to;
	}
	CASE(CALL_LOCAL) {
		call_target = (uint64_t)(uintptr_t)(base + pc->off);
local_call_to:
		if (UB_UNLIKELY(depth + 1 >= UB_MAX_FRAMES)) {
			c->pc = pc;
			ub_run_fault(c, -E2BIG, "call depth exceeds %d frames", UB_MAX_FRAMES);
			return -E2BIG;
		}
		frames[depth].ret_pc = pc + 1;
		frames[depth].ret_base = base;
		frames[depth].ret_prog = c->prog;
		memcpy(frames[depth].saved, &reg[6], sizeof(frames[depth].saved));
		depth++;
		reg[10] -= UB_STACK_SIZE;
#if UB_CHECKED
		/* A frame's stack is cleared the first time a run reaches its
		 * depth: later it can only hold this run's own data. */
		if (depth >= zeroed) {
			memset((uint8_t *)(uintptr_t)reg[10] - UB_STACK_SIZE, 0, UB_STACK_SIZE);
			zeroed = depth + 1;
		}
#endif
		pc = (const struct ub_dinsn *)(uintptr_t)call_target;
		DISPATCH();
	}
	CASE(CALL_KFUNC) {
		c->pc = pc;
		ub_run_fault(c, -EOPNOTSUPP, "kfunc calls are not supported");
		return -EOPNOTSUPP;
	}
	CASE(EXIT)
		if (depth == 0) {
			*ret = reg[0];
			goto done;
		}
		depth--;
		pc = frames[depth].ret_pc;
		base = frames[depth].ret_base;
		c->prog = frames[depth].ret_prog;
		memcpy(&reg[6], frames[depth].saved, sizeof(frames[depth].saved));
		reg[10] += UB_STACK_SIZE;
		DISPATCH();
	CASE(_LDDW_HI) {
		c->pc = pc;
		ub_run_fault(c, -EFAULT, "executed the second half of lddw");
		return -EFAULT;
	}

	LOOP_END

pending:
	if (c->pending & UB_PENDING_ABORT)
		return c->abort_err;
	c->pending = 0;
	/* The helper has counted the tail call and checked the target; the
	 * new program replaces the running one in its frame. */
	c->prog = c->tail_target;
	c->tail_target = NULL;
	reg[1] = c->tail_ctx;
	base = pc = c->prog->d;
	DISPATCH();

#if !UB_GOTO
bad_op:
	c->pc = pc;
	ub_run_fault(c, -EFAULT, "corrupt decoded op %u", pc->op);
	return -EFAULT;
#endif
#if UB_CHECKED
budget_out:
	c->pc = pc;
	c->executed = c->budget;
	ub_run_fault(c, -E2BIG, "instruction budget of %llu exhausted",
		     (unsigned long long)c->budget);
	return -E2BIG;
mem_fault:
	c->pc = pc;
	ub_run_fault(c, -EFAULT, "out-of-bounds %s of %u bytes at 0x%llx",
		     fault_write ? "write" : "read", fault_size,
		     (unsigned long long)fault_addr);
	return -EFAULT;
misaligned:
	c->pc = pc;
	ub_run_fault(c, -EFAULT, "misaligned atomic access at 0x%llx",
		     (unsigned long long)(DST + (uint64_t)(int64_t)pc->off));
	return -EFAULT;
#endif
done:
#if UB_CHECKED
	c->executed = (c->budget ? c->budget : UINT64_MAX) - budget;
#endif
	return 0;

#undef DST
#undef SRC
#undef IMM
#undef U32
#undef COUNT
#undef MEMCHK
#undef CASE
#undef DISPATCH
#undef NEXT
#undef LOOP_BEGIN
#undef LOOP_END
#undef JUMP
#undef ALU64
#undef JCC
#undef JCC32
#undef LOAD
#undef STORE
#undef ATOMIC_ADDR
#undef ATOMIC
#undef MISALIGNED_CHK
}
