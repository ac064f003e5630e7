/* filter.bpf.c - a plugin for the host of host.c: a "request_filter"
 * program that decides what happens to each request (drop, pass, sample),
 * raises the priority of server errors, and keeps two maps the host
 * reads: requests per status class and bytes per client.  It asks the
 * host how much quota a client has left through the host's own helper. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "request_filter.h"

/* The host's helper, by the id it registered. */
static long (*host_quota_left)(__u32 client_id) = (void *)HOST_HELPER_QUOTA_LEFT;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STATUS_CLASSES);
	__type(key, __u32);
	__type(value, __u64);
} status_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);	/* client id */
	__type(value, __u64);	/* bytes */
} client_bytes SEC(".maps");

#define SLOW_NS (500ull * 1000 * 1000)

SEC("request_filter")
int filter(struct request *req)
{
	__u32 cls = req->status / 100, client = req->client_id;
	__u64 *v, bytes = req->bytes;
	long quota;

	if (cls >= STATUS_CLASSES)
		cls = 0;
	v = bpf_map_lookup_elem(&status_counts, &cls);
	if (v)
		__sync_fetch_and_add(v, 1);
	v = bpf_map_lookup_elem(&client_bytes, &client);
	if (v)
		__sync_fetch_and_add(v, bytes);
	else
		bpf_map_update_elem(&client_bytes, &client, &bytes, BPF_NOEXIST);

	if (req->status >= 500) {
		req->priority = 7;
		req->tag = 0x5e7e;	/* "server error" */
		return REQ_SAMPLE;
	}
	quota = host_quota_left(client);
	if (req->bytes > quota) {
		req->tag = 0x0dd;	/* "over quota" */
		return REQ_DROP;
	}
	if (req->latency_ns > SLOW_NS) {
		req->priority = 3;
		req->tag = 0x510;	/* "slow" */
		return REQ_SAMPLE;
	}
	return REQ_PASS;
}

char LICENSE[] SEC("license") = "GPL";
