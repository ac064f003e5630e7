/* sys.bpf.c - BPF_PROG_TYPE_SYSCALL: a context-only program (ctx_in, no
 * packet) that reads and writes its context, a map and a global, through
 * a subprogram. */
#include "kc.h"

struct args {
	__u64 a;
	__u32 b;
	__u32 out;
};

KC_ARRAY(seen, 4, __u64);
__u64 sys_calls;

static __noinline __u64 mix(__u64 a, __u32 b)
{
	volatile __u64 t[3] = { a, b, a ^ b };

	return t[0] * 5 + t[1] * 3 + t[2];
}

SEC("syscall")
int kc_sys(struct args *ctx)
{
	__u32 k = ctx->b & 3;
	__u64 *s = bpf_map_lookup_elem(&seen, &k);
	__u64 r = mix(ctx->a, ctx->b);

	if (s)
		*s += r;
	sys_calls++;
	ctx->out = (__u32)r;
	return (int)(r & 0x7fffffff);
}

char LICENSE[] SEC("license") = "GPL";
