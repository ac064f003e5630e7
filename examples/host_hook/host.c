/* host.c - an application that embeds userbpf (include/userbpf/userbpf.h,
 * not the libbpf layer) and defines a hook of its own: BPF plugins that
 * filter requests.
 *
 *   1. It registers the program type "request_filter": its SEC prefix,
 *      its context (struct request: status, bytes, latency_ns and
 *      client_id read-only, priority and tag writable), the helpers a
 *      plugin may call (map lookup and update, and the host's own
 *      host_quota_left, registered with userbpf_rt__set_helper) and the
 *      range of its verdict (0..2).
 *   2. It loads a plugin (filter.bpf.c, built with clang) with
 *      userbpf_obj__open_file/load and verifies it against that type.
 *   3. It runs the plugin on a stream of fake requests, each context
 *      preceded by the 64-byte struct userbpf_ctx_header
 *      (userbpf_prog__run with ctx_has_header), prints each decision and
 *      what the plugin wrote, then the maps the plugin kept.
 *   4. It shows plugins that break the rules (bad_plugins.bpf.c) refused,
 *      with the runtime's reason.
 *
 * Usage: host_hook [--plugin FILE] [--bad FILE] [--requests N]
 * Exit status 0 when the plugin ran and every bad plugin was refused. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <userbpf/userbpf.h>
#include "request_filter.h"

/* Linux's helper ids for the two map helpers the type allows. */
#define HELPER_MAP_LOOKUP_ELEM 1
#define HELPER_MAP_UPDATE_ELEM 2

#define MAX_CLIENTS 4

/* The host's own state, which its helper reads. */
struct host {
	uint64_t quota[MAX_CLIENTS];	/* bytes each client may still send */
	char msgs[2048];		/* the runtime's warnings while quiet */
	bool quiet;			/* keep warnings for the caller to print */
};

/* A context as the runtime expects it when ctx_has_header is set: the
 * header, then the type's context right after it. */
struct request_slot {
	struct userbpf_ctx_header hdr;
	struct request req;
};
_Static_assert(sizeof(struct userbpf_ctx_header) == USERBPF_CTX_HEADER_SIZE, "64-byte header");
_Static_assert(offsetof(struct request_slot, req) == USERBPF_CTX_HEADER_SIZE, "ctx after it");

static void on_log(enum userbpf_log_level level, const char *msg, void *user)
{
	struct host *h = user;

	if (level != USERBPF_LOG_WARN)
		return;
	if (h->quiet) {
		size_t n = strlen(h->msgs);

		snprintf(h->msgs + n, sizeof(h->msgs) - n, "\n      %s", msg);
	} else {
		fprintf(stderr, "userbpf: %s\n", msg);
	}
}

/* long host_quota_left(u32 client_id): the host's helper. */
static uint64_t h_quota_left(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct userbpf_call *call)
{
	struct host *h = userbpf_call__user(call);

	(void)r2, (void)r3, (void)r4, (void)r5;
	return r1 < MAX_CLIENTS ? h->quota[r1] : 0;
}

static const struct userbpf_ctx_field request_fields[] = {
	{ offsetof(struct request, status), 4, USERBPF_CTX_READ },
	{ offsetof(struct request, bytes), 4, USERBPF_CTX_READ },
	{ offsetof(struct request, latency_ns), 8, USERBPF_CTX_READ },
	{ offsetof(struct request, client_id), 4, USERBPF_CTX_READ },
	{ offsetof(struct request, priority), 4, USERBPF_CTX_READ | USERBPF_CTX_WRITE },
	{ offsetof(struct request, tag), 8, USERBPF_CTX_READ | USERBPF_CTX_WRITE },
};
static const uint32_t request_helpers[] = { HELPER_MAP_LOOKUP_ELEM, HELPER_MAP_UPDATE_ELEM,
					    HOST_HELPER_QUOTA_LEFT };
static const char *const request_secs[] = { "request_filter", NULL };

static int register_hook(struct userbpf_rt *rt, struct host *h)
{
	struct userbpf_prog_type t = {
		.version = USERBPF_PROG_TYPE_VERSION,
		.size = sizeof(t),
		.name = "request_filter",
		.linux_type = 0,
		.sec_prefixes = request_secs,
		.ctx_size = sizeof(struct request),
		.ctx_fields = request_fields,
		.ctx_field_cnt = sizeof(request_fields) / sizeof(request_fields[0]),
		.helpers = request_helpers,
		.helper_cnt = sizeof(request_helpers) / sizeof(request_helpers[0]),
		.check_return = true,
		.ret_min = REQ_DROP,
		.ret_max = REQ_SAMPLE,
	};

	if (userbpf_rt__set_helper(rt, HOST_HELPER_QUOTA_LEFT, "host_quota_left", h_quota_left) ||
	    userbpf_rt__register_prog_type(rt, &t)) {
		fprintf(stderr, "host: registering the request_filter hook: %s\n", strerror(errno));
		return -1;
	}
	printf("registered program type 'request_filter' (SEC \"request_filter\"):\n"
	       "  context: struct request, %zu bytes: status, bytes, latency_ns, client_id "
	       "read-only; priority, tag writable\n"
	       "  helpers: map_lookup_elem, map_update_elem, host_quota_left (id %d)\n"
	       "  verdict: %d (drop) .. %d (sample)\n",
	       sizeof(struct request), HOST_HELPER_QUOTA_LEFT, REQ_DROP, REQ_SAMPLE);
	return 0;
}

static const char *verdict_name(uint64_t v)
{
	return v == REQ_DROP ? "DROP" : v == REQ_PASS ? "PASS" : v == REQ_SAMPLE ? "SAMPLE" : "?";
}

/* A deterministic stream of fake requests (a small LCG). */
static void fake_request(unsigned i, uint32_t *seed, struct request *r)
{
	static const uint32_t statuses[] = { 200, 200, 200, 200, 304, 404, 200, 503, 200, 301 };

	*seed = *seed * 1103515245u + 12345u;
	memset(r, 0, sizeof(*r));
	r->status = statuses[(*seed >> 8) % 10];
	r->bytes = 200 + (*seed >> 12) % 4000;
	r->latency_ns = (uint64_t)(1 + (*seed >> 16) % 800) * 1000 * 1000;
	r->client_id = i % MAX_CLIENTS;
}

static int run_plugin(struct userbpf_rt *rt, struct host *h, const char *path, unsigned nreq)
{
	struct userbpf_obj *obj;
	struct userbpf_prog *prog;
	struct userbpf_map *counts, *bytes;
	struct request_slot slot;
	uint32_t seed = 42;
	unsigned tally[3] = { 0 };
	int err = -1;

	obj = userbpf_obj__open_file(rt, path, NULL);
	if (!obj) {
		fprintf(stderr, "host: opening plugin %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (userbpf_obj__load(obj)) {
		fprintf(stderr, "host: loading plugin %s: %s\n", path, strerror(errno));
		goto out;
	}
	prog = userbpf_obj__find_prog(obj, "filter");
	if (!prog || !userbpf_prog__type(prog) ||
	    strcmp(userbpf_prog__type(prog)->name, "request_filter")) {
		fprintf(stderr, "host: %s has no request_filter program 'filter'\n", path);
		goto out;
	}
	/* NULL options: the entry state is the type's context */
	if (userbpf_prog__verify(prog, NULL)) {
		fprintf(stderr, "host: plugin %s refused by the verifier\n", path);
		goto out;
	}
	printf("\nplugin %s: program 'filter' (%zu instructions) verified against request_filter\n\n",
	       path, userbpf_prog__insn_cnt(prog));

	printf("%-4s %-6s %-6s %-6s %-9s %-7s %-8s %-6s %s\n", "REQ", "CLIENT", "STATUS", "BYTES",
	       "LATENCY", "VERDICT", "PRIORITY", "TAG", "QUOTA LEFT");
	for (unsigned i = 0; i < nreq; i++) {
		struct userbpf_run_opts ro = { .sz = sizeof(ro) };
		uint64_t verdict = 0;

		memset(&slot.hdr, 0, sizeof(slot.hdr));
		slot.hdr.magic = USERBPF_CTX_MAGIC;
		slot.hdr.hook_data = h;
		fake_request(i, &seed, &slot.req);
		ro.args[0] = (uint64_t)(uintptr_t)&slot.req;
		ro.ctx_has_header = true;
		ro.user = h;
		if (userbpf_prog__run(prog, &ro, &verdict)) {
			fprintf(stderr, "host: request %u: the run failed: %s\n", i, strerror(errno));
			goto out;
		}
		if (verdict == REQ_PASS || verdict == REQ_SAMPLE) {
			uint64_t *q = &h->quota[slot.req.client_id];

			*q = *q > slot.req.bytes ? *q - slot.req.bytes : 0;
		}
		tally[verdict <= REQ_SAMPLE ? verdict : 0]++;
		printf("%-4u %-6u %-6u %-6u %6.1f ms %-7s %-8u 0x%-4" PRIx64 " %" PRIu64 "\n", i,
		       slot.req.client_id, slot.req.status, slot.req.bytes,
		       (double)slot.req.latency_ns / 1e6, verdict_name(verdict), slot.req.priority,
		       (uint64_t)slot.req.tag, h->quota[slot.req.client_id]);
	}
	printf("\nverdicts: %u PASS, %u SAMPLE, %u DROP\n", tally[REQ_PASS], tally[REQ_SAMPLE],
	       tally[REQ_DROP]);

	counts = userbpf_obj__find_map(obj, "status_counts");
	bytes = userbpf_obj__find_map(obj, "client_bytes");
	if (!counts || !bytes) {
		fprintf(stderr, "host: the plugin's maps are missing\n");
		goto out;
	}
	printf("\nmap status_counts (kept by the plugin):\n");
	for (uint32_t c = 1; c < STATUS_CLASSES; c++) {
		uint64_t v = 0;

		if (!userbpf_map__lookup_elem(counts, &c, &v, 0) && v)
			printf("  %uxx: %" PRIu64 "\n", c, v);
	}
	printf("map client_bytes (kept by the plugin):\n");
	for (uint32_t c = 0; c < MAX_CLIENTS; c++) {
		uint64_t v = 0;

		if (!userbpf_map__lookup_elem(bytes, &c, &v, 0))
			printf("  client %u: %" PRIu64 " bytes\n", c, v);
	}
	err = 0;
out:
	userbpf_obj__close(obj);
	return err;
}

/*
 * Each program of the bad object alone: open, leave the others out,
 * load, verify.  Returns how many were accepted (0 is the right answer).
 */
static int show_refusals(struct userbpf_rt *rt, struct host *h, const char *path)
{
	struct userbpf_obj *probe = userbpf_obj__open_file(rt, path, NULL);
	size_t n = probe ? userbpf_obj__prog_cnt(probe) : 0;
	int accepted = 0;

	userbpf_obj__close(probe);
	if (!probe) {
		fprintf(stderr, "host: opening %s: %s\n", path, strerror(errno));
		return -1;
	}
	printf("\nplugins that break the rules (%s):\n", path);
	h->quiet = true;
	for (size_t i = 0; i < n; i++) {
		struct userbpf_obj *obj = userbpf_obj__open_file(rt, path, NULL);
		struct userbpf_prog *prog;
		const char *name, *stage = "the loader";
		int err;

		if (!obj)
			return -1;
		name = userbpf_obj__prog_name(obj, i);
		for (size_t j = 0; j < n; j++)
			userbpf_obj__set_prog_autoload(obj, j, j == i);
		h->msgs[0] = '\0';
		err = userbpf_obj__load(obj);
		prog = err ? NULL : userbpf_obj__find_prog(obj, name);
		if (!err && !prog)
			err = -ENOENT;
		if (!err) {
			stage = "the verifier";
			err = userbpf_prog__verify(prog, NULL);
		}
		if (err) {
			printf("  %s: refused by %s:%s\n", name, stage,
			       h->msgs[0] ? h->msgs : strerror(errno));
		} else {
			printf("  %s: ACCEPTED (it should not be)\n", name);
			accepted++;
		}
		userbpf_obj__close(obj);
	}
	h->quiet = false;
	return accepted;
}

int main(int argc, char **argv)
{
	struct host h = { .quota = { 20000, 5000, 9000, 1500 } };
	struct userbpf_rt_opts ro = { .sz = sizeof(ro), .log = on_log, .log_user = &h,
				      .log_level = USERBPF_LOG_WARN };
	struct userbpf_rt *rt;
	char plugin[4096], bad[4096];
	const char *slash = strrchr(argv[0], '/');
	int dir = slash ? (int)(slash - argv[0] + 1) : 0;
	unsigned nreq = 16;
	int err = 1, r;

	snprintf(plugin, sizeof(plugin), "%.*sfilter.bpf.o", dir, argv[0]);
	snprintf(bad, sizeof(bad), "%.*sbad_plugins.bpf.o", dir, argv[0]);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--plugin") && i + 1 < argc) {
			snprintf(plugin, sizeof(plugin), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--bad") && i + 1 < argc) {
			snprintf(bad, sizeof(bad), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--requests") && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (*end || !v || v > 100000) {
				fprintf(stderr, "host: bad request count '%s'\n", argv[i]);
				return 2;
			}
			nreq = (unsigned)v;
		} else {
			fprintf(stderr, "Usage: %s [--plugin FILE] [--bad FILE] [--requests N]\n",
				argv[0]);
			return 2;
		}
	}

	rt = userbpf_rt__new(&ro);
	if (!rt) {
		fprintf(stderr, "host: userbpf_rt__new: %s\n", strerror(errno));
		return 1;
	}
	if (register_hook(rt, &h))
		goto out;
	if (run_plugin(rt, &h, plugin, nreq))
		goto out;
	r = show_refusals(rt, &h, bad);
	if (r != 0)
		goto out;
	err = 0;
out:
	userbpf_rt__free(rt);
	return err;
}
