/* bad_plugins.bpf.c - plugins that break the rules of the host's
 * "request_filter" type, one per program; host.c shows each refused with
 * the reason: a read past the end of the context, a write to a read-only
 * field, a helper the type does not allow, a verdict out of range. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "request_filter.h"

SEC("request_filter")
int read_past_ctx(struct request *req)
{
	/* the 8 bytes right after the context */
	return *(volatile __u64 *)(req + 1) ? REQ_DROP : REQ_PASS;
}

SEC("request_filter")
int write_read_only(struct request *req)
{
	req->status = 200;	/* pretend it went well */
	return REQ_PASS;
}

SEC("request_filter")
int call_not_allowed(struct request *req)
{
	/* the type lists its helpers: ktime_get_ns is not one of them */
	return bpf_ktime_get_ns() & 1;
}

SEC("request_filter")
int verdict_out_of_range(struct request *req)
{
	return req->bytes > 100 ? 7 : REQ_PASS;
}

char LICENSE[] SEC("license") = "GPL";
