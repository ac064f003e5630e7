/* request_filter.h - the contract between the host (host.c) and its BPF
 * plugins (filter.bpf.c): the context of the "request_filter" program
 * type, the verdicts a plugin returns and the host's own helper.
 * Included by both sides, so it uses only the __u32/__u64 types. */
#ifndef REQUEST_FILTER_H
#define REQUEST_FILTER_H

/* One request, as the plugin sees it.  The host fills every field; the
 * plugin may read all of them and write only priority and tag. */
struct request {
	__u32 status;		/* read-only: HTTP status */
	__u32 bytes;		/* read-only: response size */
	__u64 latency_ns;	/* read-only */
	__u32 client_id;	/* read-only */
	__u32 priority;		/* writable: 0 (default) .. 7 */
	__u64 tag;		/* writable: a label for the host's log */
};

/* What a plugin returns; the verifier holds it to this range. */
enum request_verdict {
	REQ_DROP = 0,
	REQ_PASS = 1,
	REQ_SAMPLE = 2,		/* pass, and log it in full */
};

/* The host's helper: bytes client `client_id` may still send (0 when
 * unknown).  Its id lies above Linux's helper ids. */
#define HOST_HELPER_QUOTA_LEFT 1000

/* The plugin's map of requests per status class (1xx .. 5xx). */
#define STATUS_CLASSES 6

#endif
