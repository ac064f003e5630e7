/* tail.bpf.c - tail calls through a PROG_ARRAY filled by libbpf's static
 * initialisation: a chain of three, an empty slot and an out-of-range
 * index (both fall through), a program that tail-calls itself until the
 * 33-call limit stops it, and tail calls from a subprogram; each program
 * counts its runs in `cnt`. */
#include "kc.h"

KC_ARRAY(cnt, 8, __u64);

static __always_inline void count(__u32 i)
{
	__u64 *c = bpf_map_lookup_elem(&cnt, &i);

	if (c)
		*c += 1;
}

int kc_t1(struct xdp_md *ctx);
int kc_t2(struct xdp_md *ctx);
int kc_self(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jmp SEC(".maps") = {
	.values = {
		[1] = (void *)&kc_t1,
		[2] = (void *)&kc_t2,
		[5] = (void *)&kc_self,
	},
};

SEC("xdp")
int kc_t2(struct xdp_md *ctx)
{
	count(2);
	return 42;
}

SEC("xdp")
int kc_t1(struct xdp_md *ctx)
{
	count(1);
	bpf_tail_call(ctx, &jmp, 2);
	return 11;
}

SEC("xdp")
int kc_chain(struct xdp_md *ctx)
{
	count(0);
	bpf_tail_call(ctx, &jmp, 3);	/* empty: falls through */
	bpf_tail_call(ctx, &jmp, 100);	/* past the end: falls through */
	bpf_tail_call(ctx, &jmp, 1);
	return 7;
}

/* a tail call from a subprogram: the target replaces the subprogram's
 * frame, and its return value comes back to the caller */
static __noinline int sub_tail(struct xdp_md *ctx, __u32 slot)
{
	volatile __u64 pad[4] = { slot, 1, 2, 3 };

	count(5);
	bpf_tail_call(ctx, &jmp, slot);
	return 500 + pad[0];		/* the slot was empty */
}

SEC("xdp")
int kc_subtail(struct xdp_md *ctx)
{
	int a, b;

	count(6);
	a = sub_tail(ctx, 2);		/* kc_t2: 42 */
	b = sub_tail(ctx, 4);		/* empty: 504 */
	return a * 1000 + b;
}

SEC("xdp")
int kc_self(struct xdp_md *ctx)
{
	count(3);
	bpf_tail_call(ctx, &jmp, 5);
	count(4);			/* once: the call past the limit */
	return 33;
}

char LICENSE[] SEC("license") = "GPL";
