/* SPDX-License-Identifier: MIT */
/*
 * asm_llvm.c - unit tests of the llvm-syntax assembler (src/isa/asm_llvm.c).
 *
 * The main check is a round trip over the whole opcode table: for every
 * row, a few valid encodings (extreme immediates and offsets included) are
 * printed by our disassembler and assembled back, and the bytes must come
 * out identical.  So the assembler reads everything the disassembler
 * writes, and a new row that the assembler cannot read fails here.  Then
 * PREVAIL's spellings must give the same bytes as llvm's, labels and
 * relative targets must resolve, and bad text must be refused with a line
 * number, never crash.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "testlib.h"
#include "isa/isa_internal.h"
#include "isa/disasm_internal.h"

/* A valid encoding of row op, with field values picked by `k` (0..3) so
 * the extremes of each field are covered. */
static size_t make_insn(int op, int k, struct userbpf_insn in[2])
{
	static const int32_t imms[] = { -7, 0, INT32_MIN, INT32_MAX };
	static const int16_t offs[] = { -8, 0, INT16_MIN, INT16_MAX };
	const struct ub_opinfo *oi = &ub_opinfo[op];

	memset(in, 0, 2 * sizeof(*in));
	in->code = oi->code;
	in->dst_reg = (oi->zero & Z_DST) ? 0 : (uint8_t)(1 + k);
	in->src_reg = (oi->zero & Z_SRC) ? 0 : (uint8_t)(9 - k);
	in->off = (oi->zero & Z_OFF) ? 0 : offs[k];
	in->imm = (oi->zero & Z_IMM) ? 0 : imms[k];
	switch (oi->vkind) {
	case V_OFF: in->off = (int16_t)oi->vval; break;
	case V_IMM: in->imm = oi->vval; break;
	case V_SRC: in->src_reg = (uint8_t)oi->vval; break;
	default: break;
	}
	/* the indirect packet load prints no immediate, and cmpxchg names
	 * r0, so give them the only encodings their text can carry */
	if (oi->fmt == F_LDIND)
		in->imm = 0;
	if (oi->fmt == F_LDDW) {
		in[1].imm = imms[(k + 1) % 4];
		return 2;
	}
	return 1;
}

static void round_trip_table(void)
{
	int rows = 0, skipped = 0;

	for (int op = 0; op < UB_OP__COUNT; op++) {
		const struct ub_opinfo *oi = &ub_opinfo[op];
		char name[96];
		bool good = true;

		snprintf(name, sizeof(name), "asm_llvm round trip %s", oi->id);
		if (oi->fmt == F_CALL_LOCAL || oi->fmt == F_CALL_KFUNC) {
			/* llvm-objdump prints these as "call N", the helper
			 * call's text; local calls are tested with labels */
			tl_skip(name, "llvm prints helper, local and kfunc calls alike as `call N`");
			skipped++;
			continue;
		}
		for (int k = 0; k < 4 && good; k++) {
			struct userbpf_insn in[2], *got = NULL;
			size_t n = make_insn(op, k, in), cnt = 0;
			char text[192], err[192], why[128];
			int rc;

			if (ub_decode_op(in, why, sizeof(why)) != op) {
				tl_fail(name, "test encoding %d does not decode to the row: %s", k, why);
				good = false;
				break;
			}
			rc = userbpf_disasm_insn(in, n, text, sizeof(text));
			if (rc != (int)n) {
				tl_fail(name, "disassembler: %s", text);
				good = false;
				break;
			}
			rc = ub_asm_llvm(text, &got, &cnt, err, sizeof(err));
			if (rc) {
				tl_fail(name, "'%s' does not assemble: %s", text, err);
				good = false;
			} else if (cnt != n || memcmp(got, in, n * sizeof(*in))) {
				tl_fail(name, "'%s' assembles to other bytes (%zu slots, code %02x dst %u src %u off %d imm %d)",
					text, cnt, got[0].code, got[0].dst_reg, got[0].src_reg, got[0].off,
					got[0].imm);
				good = false;
			}
			free(got);
		}
		if (good)
			tl_ok(name);
		rows++;
	}
	TL_CHECK("asm_llvm round trip covered every row but the two call forms",
		 rows == UB_OP__COUNT - 2 && skipped == 2);
}

/* Two texts must assemble to the same bytes. */
static void same(const char *name, const char *a, const char *b)
{
	struct userbpf_insn *x = NULL, *y = NULL;
	size_t nx = 0, ny = 0;
	char ea[160], eb[160];
	int ra = ub_asm_llvm(a, &x, &nx, ea, sizeof(ea));
	int rb = ub_asm_llvm(b, &y, &ny, eb, sizeof(eb));

	if (ra || rb)
		tl_fail(name, "asm: %s / %s", ra ? ea : "ok", rb ? eb : "ok");
	else if (nx != ny || memcmp(x, y, nx * sizeof(*x)))
		tl_fail(name, "'%s' and '%s' differ", a, b);
	else
		tl_ok(name);
	free(x);
	free(y);
}

/* text must assemble to exactly want[n]. */
static void bytes(const char *name, const char *text, const struct userbpf_insn *want, size_t n)
{
	struct userbpf_insn *got = NULL;
	size_t cnt = 0;
	char err[160];

	if (ub_asm_llvm(text, &got, &cnt, err, sizeof(err)))
		tl_fail(name, "asm: %s", err);
	else if (cnt != n)
		tl_fail(name, "%zu slots, want %zu", cnt, n);
	else {
		size_t i = 0;

		while (i < n && !memcmp(&got[i], &want[i], sizeof(*got)))
			i++;
		if (i < n)
			tl_fail(name, "slot %zu: code %02x dst %u src %u off %d imm %d, want %02x %u %u %d %d",
				i, got[i].code, got[i].dst_reg, got[i].src_reg, got[i].off, got[i].imm,
				want[i].code, want[i].dst_reg, want[i].src_reg, want[i].off, want[i].imm);
		else
			tl_ok(name);
	}
	free(got);
}

/* text must be refused with a message containing `msg`. */
static void refused(const char *name, const char *text, const char *msg)
{
	struct userbpf_insn *got = (struct userbpf_insn *)&got;
	size_t cnt = 99;
	char err[160];
	int rc = ub_asm_llvm(text, &got, &cnt, err, sizeof(err));

	if (rc != -EINVAL)
		tl_fail(name, "returned %d, want -EINVAL", rc);
	else if (got || cnt)
		tl_fail(name, "outputs not cleared on error");
	else if (!strstr(err, msg))
		tl_fail(name, "message '%s' lacks '%s'", err, msg);
	else
		tl_ok(name);
}

#define I(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }

static void dialect(void)
{
	same("asm_llvm prevail movsx", "r2 s8= r1\nw3 s16= w4\nr5 s32= r6\nw2 s32= r2",
	     "r2 = (s8)r1\nw3 = (s16)w4\nr5 = (s32)r6\nw2 = w2");
	same("asm_llvm prevail swaps", "r1 = swap16 r1\nr1 = swap32 r1\nr1 = swap64 r1",
	     "r1 = bswap16 r1\nr1 = bswap32 r1\nr1 = bswap64 r1");
	same("asm_llvm prevail atomics",
	     "lock *(u64 *)(r2 + 4) += r1 fetch\nlock *(u32 *)(r2 + 4) x= r1\n"
	     "lock *(u64 *)(r2 - 4) cx= r3\nlock *(u32 *)(r2 + 4) |= r1 fetch",
	     "r1 = atomic_fetch_add((u64 *)(r2 + 4), r1)\nw1 = xchg32_32(r2 + 4, w1)\n"
	     "r0 = cmpxchg_64(r2 - 4, r0, r3)\nw1 = atomic_fetch_or((u32 *)(r2 + 4), w1)");
	same("asm_llvm prevail jset", "if r1 &== 0 goto +1\nif w1 &== w2 goto -1",
	     "if r1 & 0 goto +1\nif w1 & w2 goto -1");
	same("asm_llvm prevail spacing and comments", "r1=r2 ; copy\nr1 = - r1\n  # whole-line comment\nif w1 < r2 goto +0",
	     "r1 = r2\nr1 = -r1\nif w1 < w2 goto +0");
	same("asm_llvm lddw spellings", "r1 = -3ll\nr2 = 0xffffffffffffffffll\nr3 = 18446744073709551615 ll",
	     "r1 = -3 ll\nr2 = -1 ll\nr3 = -1 ll");
	/* a 32-bit pattern is the immediate whatever the width, as PREVAIL
	 * writes it ("64bit division - negative divisor") */
	{
		const struct userbpf_insn w[] = { I(0xb7, 1, 0, 0, -1), I(0xb4, 2, 0, 0, -1),
						  I(0x37, 0, 0, 0, (int32_t)4096655360u),
						  I(0xc5, 1, 0, 0, -3) };
		bytes("asm_llvm 32-bit patterns", "r1 = 0xffffffff\nw2 = 0xffffffff\nr0 /= 4096655360\n"
		      "if r1 s< 0xfffffffd goto +0", w, 4);
	}
	{
		const struct userbpf_insn w[] = {
			I(0x18, 1, 1, 0, 7), I(0, 0, 0, 0, 0),
			I(0x18, 2, 2, 0, 1), I(0, 0, 0, 0, 8),
			I(0x18, 3, 5, 0, 0), I(0, 0, 0, 0, 0),
			I(0x18, 4, 6, 0, 2), I(0, 0, 0, 0, 16),
		};
		bytes("asm_llvm prevail map loads",
		      "r1 = map_fd 7\nr2 = map_val(1) + 8\nr3 = map_by_idx(0)\nr4 = mva(map_by_idx(2)) + 16", w, 8);
	}
	{
		/* blocks laid out in order; targets are block starts */
		const struct userbpf_insn w[] = {
			I(0x85, 0, 1, 0, 4),		/* call <sub> */
			I(0x25, 1, 0, 2, 5),		/* if r1 > 5 goto <out> */
			I(0x05, 0, 0, -3, 0),		/* goto <start> */
			I(0x06, 0, 0, 0, -3),		/* gotol <mid> */
			I(0x95, 0, 0, 0, 0),		/* out: exit */
			I(0xb7, 0, 0, 0, 1),		/* sub: */
			I(0x95, 0, 0, 0, 0),
		};
		bytes("asm_llvm labels",
		      "<start>:\ncall <sub>\n<mid>:\nif r1 > 5 goto <out>\ngoto <start>\n"
		      "gotol mid\n<out>:\nexit\nsub:\nr0 = 1\nexit\n", w, 7);
	}
	{
		const struct userbpf_insn w[] = { I(0x30, 0, 0, 0, 23), I(0x48, 0, 7, 0, 0),
						  I(0x8d, 8, 0, 0, 0), I(0x85, 0, 0, 0, 12) };
		bytes("asm_llvm packet loads, callx, helper call",
		      "r0 = *(u8 *)skb[23]\nr0 = *(u16 *)skb[r7]\ncallx r8; bpf_map_lookup_elem\ncall 12", w, 4);
	}
}

static void errors(void)
{
	refused("asm_llvm refuses unknown labels", "goto <nowhere>\nexit", "line 1: Unknown label 'nowhere'");
	refused("asm_llvm refuses r11", "r11 = 1", "Invalid register");
	refused("asm_llvm refuses an imm past 32 bits", "r1 += 4294967296", "out of range");
	refused("asm_llvm refuses a move past 32 bits without ll", "r1 = 0x100000000", "write `ll`");
	refused("asm_llvm refuses 2^64", "r1 = 18446744073709551616 ll", "too large");
	refused("asm_llvm refuses an empty program", "; nothing\n\n", "Empty program");
	refused("asm_llvm refuses trailing text", "exit now", "Unexpected 'now'");
	refused("asm_llvm refuses an unknown operator", "r1 @= 2", "Unexpected character");
	refused("asm_llvm refuses a bad cast", "r1 = *(u24 *)(r2 + 0)", "Unknown access size");
	refused("asm_llvm refuses an offset past 16 bits", "r1 = *(u8 *)(r2 + 32768)", "out of range");
	refused("asm_llvm refuses signed stores", "*(s8 *)(r1 + 0) = 1", "Stores take");
	refused("asm_llvm refuses a label twice", "a:\na:\nexit", "defined twice");
	refused("asm_llvm refuses neg of another register", "r1 = -r2", "in place");
	refused("asm_llvm names the line", "exit\nexit\nbogus", "line 3:");
	refused("asm_llvm refuses NULL text", NULL, "");
}

/* Random mutations of valid text must never crash (ASan watches). */
static void no_crash(void)
{
	static const char seed[] =
		"<start>:\nr1 = *(u32 *)(r10 - 8)\nif w1 s< -3 goto <start>\n"
		"lock *(u64 *)(r2 + 4) cx= r1\nr0 = atomic_fetch_xor((u32 *)(r1 + 0), w0)\n"
		"r2 = mva(map_by_idx(2)) + 16\nr1 = 0x1234 ll\ncall <start>\nexit\n";
	static const char alphabet[] = "rw0123456789+-*/%&|^<>=!()[],:; \n#xsulfetchmapvalgotoifll";
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int accepted = 0;

	for (int iter = 0; iter < 20000; iter++) {
		char buf[sizeof(seed)];
		struct userbpf_insn *out = NULL;
		size_t cnt = 0;
		char err[64];
		int muts;

		memcpy(buf, seed, sizeof(seed));
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		muts = 1 + (int)(x % 4);
		for (int m = 0; m < muts; m++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[x % (sizeof(buf) - 1)] = alphabet[(x >> 20) % (sizeof(alphabet) - 1)];
		}
		if (!ub_asm_llvm(buf, &out, &cnt, err, sizeof(err))) {
			accepted++;
			if (!out || !cnt)
				tl_fail("asm_llvm mutations", "success without output");
		}
		free(out);
	}
	/* some mutations stay valid (a digit for a digit), most do not */
	TL_CHECK("asm_llvm 20000 mutated programs handled", accepted > 0 && accepted < 20000);
}

int main(void)
{
	round_trip_table();
	dialect();
	errors();
	no_crash();
	return tl_exit();
}
